package org.anode.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** anode cat --progress: redrawn in place at most 4 times a second, and silent when not a terminal. */
class ProgressTest {
    @Test
    void drawsInPlaceAtMostEveryIntervalAndEndsTheLine() {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        AtomicLong now = new AtomicLong(0);
        Progress p = new Progress(new PrintStream(buf, true, StandardCharsets.UTF_8), true, now::get);
        p.sent(1000);
        assertEquals("", buf.toString(StandardCharsets.UTF_8), "nothing before the first interval");
        now.set(Progress.INTERVAL_NANOS);
        p.sent(1 << 20);
        String first = buf.toString(StandardCharsets.UTF_8);
        assertTrue(first.startsWith("\rsent 1.0 MiB  received 0 B  "), first);
        now.set(Progress.INTERVAL_NANOS + 1);
        p.received(5);
        assertEquals(first, buf.toString(StandardCharsets.UTF_8), "not redrawn within the interval");
        now.set(1_000_000_000L);
        p.finish();
        String all = buf.toString(StandardCharsets.UTF_8);
        assertTrue(all.endsWith(System.lineSeparator()), all);
        assertTrue(all.contains("\rsent 1.0 MiB  received 5 B  1.0 MiB/s  1.0 s"), all);
        assertEquals((1 << 20) + 1000, p.sentBytes());
        assertEquals(5, p.receivedBytes());
    }

    @Test
    void disabledCountsButNeverDraws() {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        AtomicLong now = new AtomicLong(0);
        Progress p = new Progress(new PrintStream(buf, true, StandardCharsets.UTF_8), false, now::get);
        now.set(10_000_000_000L);
        p.sent(10);
        p.received(20);
        p.finish();
        assertEquals("", buf.toString(StandardCharsets.UTF_8));
        assertEquals(10, p.sentBytes());
        assertEquals(20, p.receivedBytes());
    }

    @Test
    void sizes() {
        assertEquals("512 B", Progress.size(512));
        assertEquals("1.5 KiB", Progress.size(1536));
        assertEquals("3.0 GiB", Progress.size(3L << 30));
    }
}
