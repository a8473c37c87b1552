package org.anode.conformance.lab;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A process the {@link Lab} started inside one of its network namespaces (the lab is the test
 * fixture for the zone relays and relaying of draft 2.3 and 2.3.1). Its standard output and error go
 * to files in the lab's directory, so a failing test can show them and nothing blocks on a full
 * pipe; its standard input is either a pipe the test writes lines to or a file.
 */
public final class LabProcess implements AutoCloseable {
    private static final Duration POLL = Duration.ofMillis(50);

    private final String name;
    private final String namespace;
    private final Process process;
    private final Path out;
    private final Path err;
    private int nextCall = 1;

    LabProcess(String name, String namespace, Process process, Path out, Path err) {
        this.name = name;
        this.namespace = namespace;
        this.process = process;
        this.out = out;
        this.err = err;
    }

    /** The name the test gave this process; its output files are named after it. */
    public String name() {
        return name;
    }

    /** The file that receives the process's standard output. */
    public Path stdoutFile() {
        return out;
    }

    /** Whether the process is still running. */
    public boolean isAlive() {
        return process.isAlive();
    }

    /** The process's standard output so far. */
    public String stdout() {
        return read(out);
    }

    /** The process's standard error so far. */
    public String stderr() {
        return read(err);
    }

    /** The lines of standard output so far; a last line without its newline is left out. */
    public List<String> lines() {
        String s = stdout();
        int end = s.lastIndexOf('\n');
        return end < 0 ? List.of() : s.substring(0, end).lines().toList();
    }

    /** Writes one line to the process's standard input. */
    public void send(String line) {
        try {
            OutputStream in = process.getOutputStream();
            in.write((line + "\n").getBytes(StandardCharsets.UTF_8));
            in.flush();
        } catch (IOException e) {
            throw new AssertionError(
                    name + ": cannot write to its standard input (" + e.getMessage() + ")" + tails(), e);
        }
    }

    /** Writes {@code len} bytes of {@code data} to the process's standard input (a pipe). */
    public void write(byte[] data, int off, int len) {
        try {
            OutputStream in = process.getOutputStream();
            in.write(data, off, len);
            in.flush();
        } catch (IOException e) {
            throw new AssertionError(
                    name + ": cannot write to its standard input (" + e.getMessage() + ")" + tails(), e);
        }
    }

    /** Closes the process's standard input (end of file for it). */
    public void closeStdin() {
        try {
            process.getOutputStream().close();
        } catch (IOException e) {
            throw new AssertionError(name + ": cannot close its standard input", e);
        }
    }

    /**
     * Waits until a complete line of standard output matches {@code pattern} and returns the match.
     * Fails with both output files' tails when the process exits first or the time is up.
     */
    public Matcher await(Pattern pattern, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            boolean alive = process.isAlive();
            for (String line : lines()) {
                Matcher m = pattern.matcher(line);
                if (m.find()) {
                    return m;
                }
            }
            if (!alive) {
                throw new AssertionError(name + " exited with " + process.exitValue()
                        + " before printing a line matching /" + pattern + "/" + tails());
            }
            if (System.nanoTime() - deadline > 0) {
                throw new AssertionError(name + ": no line matching /" + pattern + "/ within " + timeout + tails());
            }
            sleep(POLL);
        }
    }

    /** {@link #await(Pattern, Duration)} with a regular expression. */
    public Matcher await(String regex, Duration timeout) {
        return await(Pattern.compile(regex), timeout);
    }

    /**
     * Sends one command to a {@link LabAgent} and returns its answer (what follows "ok "); an "err"
     * answer fails the test.
     */
    public String call(String command, Duration timeout) {
        return answer(request(command), command, timeout);
    }

    /** Sends one command to a {@link LabAgent} without waiting; {@link #answer} collects the reply. */
    public int request(String command) {
        int id = nextCall++;
        send(id + " " + command);
        return id;
    }

    /** The answer to request {@code id} (what follows "ok "); an "err" answer fails the test. */
    public String answer(int id, String command, Duration timeout) {
        Matcher m = await(Pattern.compile("^" + id + " (ok|err) ?(.*)$"), timeout);
        if (m.group(1).equals("err")) {
            throw new AssertionError(name + ": '" + command + "' failed: " + m.group(2) + tails());
        }
        return m.group(2);
    }

    /** Waits until {@code check} holds for the standard output, failing after {@code timeout}. */
    public void awaitStdout(Predicate<String> check, String what, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!check.test(stdout())) {
            if (System.nanoTime() - deadline > 0) {
                throw new AssertionError(name + ": " + what + " not seen within " + timeout + tails());
            }
            sleep(POLL);
        }
    }

    /** Waits until standard error contains {@code text}, failing after {@code timeout}. */
    public void awaitStderr(String text, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!stderr().contains(text)) {
            if (!process.isAlive()) {
                throw new AssertionError(
                        name + " exited with " + process.exitValue() + " before printing \"" + text + "\"" + tails());
            }
            if (System.nanoTime() - deadline > 0) {
                throw new AssertionError(
                        name + ": \"" + text + "\" not on its standard error within " + timeout + tails());
            }
            sleep(POLL);
        }
    }

    /** Waits for the process to exit and returns its status; fails (and kills it) after {@code timeout}. */
    public int awaitExit(Duration timeout) {
        try {
            if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                close();
                throw new AssertionError(name + " still running after " + timeout + tails());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(name + ": interrupted", e);
        }
        return process.exitValue();
    }

    /** The last lines of both output files, for failure messages. */
    public String tails() {
        return "\n--- " + name + " in " + namespace + ": stdout (" + out + ") ---\n" + tail(stdout()) + "\n--- stderr ("
                + err + ") ---\n" + tail(stderr());
    }

    /** Stops the process: SIGTERM, then SIGKILL if it has not gone within two seconds. */
    @Override
    public void close() {
        if (!process.isAlive()) {
            return;
        }
        process.destroy();
        try {
            if (!process.waitFor(2, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                process.waitFor(2, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }

    private static String tail(String s) {
        // Keep failure messages readable: the last 3000 characters are enough to see what went wrong.
        return s.length() <= 3000 ? s : "[...]" + s.substring(s.length() - 3000);
    }

    private static String read(Path p) {
        try {
            return Files.exists(p) ? Files.readString(p, StandardCharsets.ISO_8859_1) : "";
        } catch (IOException e) {
            return "(cannot read " + p + ": " + e.getMessage() + ")";
        }
    }

    static void sleep(Duration d) {
        try {
            Thread.sleep(d.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        }
    }
}
