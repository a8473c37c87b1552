package org.anode.cli;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * The progress line of a long transfer ({@code anode cat --progress}, draft 5 streams): bytes sent
 * and received and the current rate, redrawn in place on standard error at most every
 * {@link #INTERVAL_NANOS} and only when standard error is a terminal, so a log or a pipe never
 * fills with carriage returns. Counting is thread-safe (the two directions run on two threads).
 */
final class Progress {
    /** Redraw interval: 4 times a second. */
    static final long INTERVAL_NANOS = 250_000_000L;

    private final PrintStream err;
    private final boolean enabled;
    private final LongSupplier clock;
    private final AtomicLong sent = new AtomicLong();
    private final AtomicLong received = new AtomicLong();
    private final long start;
    private long lastDraw;
    private long lastBytes;
    private long lastDrawBytesTime;
    private double rate;
    private int drawn;

    /**
     * A progress line.
     *
     * @param err where it is drawn
     * @param enabled false: count only, never draw (not asked for, or standard error is no terminal)
     * @param clock nanoseconds
     */
    Progress(PrintStream err, boolean enabled, LongSupplier clock) {
        this.err = err;
        this.enabled = enabled;
        this.clock = clock;
        this.start = clock.getAsLong();
        this.lastDraw = start;
        this.lastDrawBytesTime = start;
    }

    /** {@code --progress} asked for it: draw when standard error is a terminal. */
    static Progress forCommand(boolean asked, PrintStream err) {
        return new Progress(err, asked && stderrIsTerminal(), System::nanoTime);
    }

    /**
     * Whether file descriptor 2 is a terminal. Java tells only whether the console (standard input
     * and output) is one, and a transfer's output is usually redirected, so this asks the OS: on
     * Linux /proc/self/fd/2 links to /dev/pts/N or /dev/ttyN for a terminal. Elsewhere: no.
     */
    static boolean stderrIsTerminal() {
        try {
            String target = Files.readSymbolicLink(Path.of("/proc/self/fd/2")).toString();
            return target.startsWith("/dev/pts/") || target.startsWith("/dev/tty");
        } catch (IOException | UnsupportedOperationException | SecurityException e) {
            return false;
        }
    }

    /** Counts bytes written to the stream. */
    void sent(long n) {
        sent.addAndGet(n);
        maybeDraw();
    }

    /** Counts bytes read from the stream. */
    void received(long n) {
        received.addAndGet(n);
        maybeDraw();
    }

    private synchronized void maybeDraw() {
        if (!enabled) {
            return;
        }
        long now = clock.getAsLong();
        if (now - lastDraw < INTERVAL_NANOS) {
            return;
        }
        long bytes = sent.get() + received.get();
        rate = (bytes - lastBytes) * 1e9 / Math.max(1, now - lastDrawBytesTime);
        lastBytes = bytes;
        lastDrawBytesTime = now;
        lastDraw = now;
        draw(now, false);
    }

    /** Draws the final line (when drawing at all) and ends it with a line feed. */
    synchronized void finish() {
        if (!enabled) {
            return;
        }
        long now = clock.getAsLong();
        rate = (sent.get() + received.get()) * 1e9 / Math.max(1, now - start);
        draw(now, true);
    }

    private void draw(long now, boolean last) {
        String line = String.format(
                Locale.ROOT,
                "sent %s  received %s  %s/s  %.1f s",
                size(sent.get()),
                size(received.get()),
                size((long) rate),
                (now - start) / 1e9);
        // Pad over a longer previous line, return to the line start, no line feed until the end.
        StringBuilder sb = new StringBuilder("\r").append(line);
        for (int i = line.length(); i < drawn; i++) {
            sb.append(' ');
        }
        drawn = line.length();
        if (last) {
            sb.append(System.lineSeparator());
        }
        err.print(sb);
        err.flush();
    }

    /** {@return bytes sent so far} */
    long sentBytes() {
        return sent.get();
    }

    /** {@return bytes received so far} */
    long receivedBytes() {
        return received.get();
    }

    /** Bytes in B, KiB, MiB or GiB with one decimal. */
    static String size(long bytes) {
        if (bytes < 1024) {
            return bytes + " B";
        }
        String[] units = {"KiB", "MiB", "GiB", "TiB"};
        double v = bytes;
        int u = -1;
        while (v >= 1024 && u < units.length - 1) {
            v /= 1024;
            u++;
        }
        return String.format(Locale.ROOT, "%.1f %s", v, units[u]);
    }
}
