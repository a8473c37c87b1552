package org.anode.zone;

/**
 * A zone file (draft 2.1, 2.3.1; DECISIONS 10 and 12) could not be read: bad syntax, a missing
 * required key, a broken {@code zr} entry, or input beyond the configured {@link ZoneFileLimits}.
 *
 * <p>The message names the physical line (1-based) where the offending logical line started, when
 * there is one, and what was wrong, e.g. {@code line 7: zr.1: udp port 0 is not in 1-65535}.
 * Entries given programmatically (not parsed from text) have no line; {@link #line()} is then 0.
 */
public final class ZoneFileException extends Exception {
    private static final long serialVersionUID = 1L;

    private final int line;
    private final String problem;

    /**
     * @param line    1-based physical line of the problem, or 0 when the problem is not tied to a line
     * @param problem what was wrong, without the line prefix
     */
    public ZoneFileException(int line, String problem) {
        this(line, problem, null);
    }

    public ZoneFileException(int line, String problem, Throwable cause) {
        super(line > 0 ? "line " + line + ": " + problem : problem, cause);
        this.line = Math.max(0, line);
        this.problem = problem;
    }

    /** The 1-based physical line the problem was found on, or 0 if it is not tied to a line. */
    public int line() {
        return line;
    }

    /** The problem, without the {@code line N: } prefix. */
    public String problem() {
        return problem;
    }
}
