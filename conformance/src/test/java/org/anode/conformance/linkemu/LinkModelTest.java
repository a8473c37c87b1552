package org.anode.conformance.linkemu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.anode.linkemu.LinkModel;
import org.anode.linkemu.LinkProfile;
import org.junit.jupiter.api.Test;

/** The link emulator's decisions in virtual time: each netem impairment does what tc-netem(8) says. */
class LinkModelTest {
    private static final long MS = 1_000_000L;

    @Test
    void cleanLinkForwardsEveryPacketAtOnce() {
        LinkModel m = new LinkModel(1, LinkProfile.CLEAN);
        LinkModel.Decision d = new LinkModel.Decision();
        for (int i = 0; i < 1000; i++) {
            m.admit(i, 1200, d);
            assertEquals(1, d.copies);
            assertEquals(i, d.departures[0]);
            m.departed();
        }
    }

    @Test
    void lossDropsTheStatedFraction() {
        LinkModel m = new LinkModel(2, LinkProfile.CLEAN.withLoss(0.05));
        LinkModel.Decision d = new LinkModel.Decision();
        int lost = 0;
        int n = 20_000;
        for (int i = 0; i < n; i++) {
            m.admit(i, 1200, d);
            lost += d.droppedLoss;
            assertEquals(1 - d.droppedLoss, d.copies);
            for (int c = 0; c < d.copies; c++) {
                m.departed();
            }
        }
        // Binomial(20000, 0.05): mean 1000, sd about 31; six sd either way.
        assertTrue(lost > 810 && lost < 1190, "lost " + lost);
    }

    @Test
    void delayWithJitterStaysInItsBoundsAndReorders() {
        LinkModel m = new LinkModel(3, LinkProfile.CLEAN.withDelay(10 * MS, 3 * MS));
        LinkModel.Decision d = new LinkModel.Decision();
        long previous = Long.MIN_VALUE;
        int overtaken = 0;
        long min = Long.MAX_VALUE;
        long max = Long.MIN_VALUE;
        for (int i = 0; i < 5000; i++) {
            long now = i * 100_000L;
            m.admit(now, 1200, d);
            long delay = d.departures[0] - now;
            min = Math.min(min, delay);
            max = Math.max(max, delay);
            if (d.departures[0] < previous) {
                overtaken++;
            }
            previous = d.departures[0];
            m.departed();
        }
        assertTrue(min >= 7 * MS && max <= 13 * MS, min + ".." + max);
        // Uniform over 6 ms with 0.1 ms spacing: the spread really is used, and it reorders.
        assertTrue(min < 8 * MS && max > 12 * MS, min + ".." + max);
        assertTrue(overtaken > 1000, "overtaken " + overtaken);
    }

    @Test
    void reorderedPacketsSkipTheDelay() {
        LinkModel m = new LinkModel(4, LinkProfile.CLEAN.withDelay(10 * MS, 0).withReorder(0.25));
        LinkModel.Decision d = new LinkModel.Decision();
        int immediate = 0;
        int n = 10_000;
        for (int i = 0; i < n; i++) {
            m.admit(i, 100, d);
            long delay = d.departures[0] - i;
            assertTrue(delay == 0 || delay == 10 * MS, "delay " + delay);
            if (delay == 0) {
                immediate++;
            }
            m.departed();
        }
        assertTrue(immediate > 2250 && immediate < 2750, "immediate " + immediate);
    }

    @Test
    void duplicationQueuesASecondCopy() {
        LinkModel m = new LinkModel(5, LinkProfile.CLEAN.withDuplicate(0.1));
        LinkModel.Decision d = new LinkModel.Decision();
        int copies = 0;
        for (int i = 0; i < 10_000; i++) {
            m.admit(i, 100, d);
            copies += d.copies;
            for (int c = 0; c < d.copies; c++) {
                m.departed();
            }
        }
        assertTrue(copies > 10_800 && copies < 11_200, "copies " + copies);
    }

    @Test
    void corruptionFlipsOneBitInsideThePayload() {
        LinkModel m = new LinkModel(6, LinkProfile.CLEAN.withCorrupt(1.0));
        LinkModel.Decision d = new LinkModel.Decision();
        for (int i = 0; i < 1000; i++) {
            byte[] p = new byte[37];
            m.admit(i, p.length, d);
            assertTrue(d.corrupt);
            LinkModel.flip(p, 0, d.corruptBit);
            int bits = 0;
            for (byte b : p) {
                bits += Integer.bitCount(b & 0xFF);
            }
            assertEquals(1, bits);
            m.departed();
        }
    }

    @Test
    void rateLimitSerialisesPacketsBackToBack() {
        // 1 MB/s, 972 + 28 bytes: exactly one millisecond per packet.
        LinkModel m = new LinkModel(7, LinkProfile.CLEAN.withRate(1_000_000).withDelay(5 * MS, 0));
        LinkModel.Decision d = new LinkModel.Decision();
        for (int i = 0; i < 100; i++) {
            m.admit(0, 972, d);
            assertEquals(5 * MS + (i + 1) * MS, d.departures[0]);
        }
    }

    @Test
    void queueLimitDropsAtTheTailUntilPacketsLeave() {
        LinkModel m = new LinkModel(8, LinkProfile.CLEAN.withRate(1_000_000).withLimit(10));
        LinkModel.Decision d = new LinkModel.Decision();
        for (int i = 0; i < 10; i++) {
            m.admit(0, 972, d);
            assertEquals(1, d.copies);
        }
        m.admit(0, 972, d);
        assertEquals(0, d.copies);
        assertEquals(1, d.droppedQueue);
        m.departed();
        m.admit(0, 972, d);
        assertEquals(1, d.copies);
        assertEquals(10, m.held());
    }

    @Test
    void sameSeedSameDecisions() {
        LinkProfile p = LinkProfile.CLEAN
                .withLoss(0.1)
                .withDuplicate(0.05)
                .withCorrupt(0.02)
                .withReorder(0.1)
                .withDelay(10 * MS, 3 * MS)
                .withRate(5_000_000);
        LinkModel x = new LinkModel(9, p);
        LinkModel y = new LinkModel(9, p);
        LinkModel.Decision dx = new LinkModel.Decision();
        LinkModel.Decision dy = new LinkModel.Decision();
        for (int i = 0; i < 5000; i++) {
            x.admit(i * 1000L, 1200, dx);
            y.admit(i * 1000L, 1200, dy);
            assertEquals(dx.copies, dy.copies);
            assertEquals(dx.corrupt, dy.corrupt);
            for (int c = 0; c < dx.copies; c++) {
                assertEquals(dx.departures[c], dy.departures[c]);
                x.departed();
                y.departed();
            }
        }
    }

    @Test
    void invalidProfilesAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> LinkProfile.CLEAN.withLoss(1.5));
        assertThrows(IllegalArgumentException.class, () -> LinkProfile.CLEAN.withLoss(Double.NaN));
        assertThrows(IllegalArgumentException.class, () -> LinkProfile.CLEAN.withDelay(-1, 0));
        assertThrows(IllegalArgumentException.class, () -> LinkProfile.CLEAN.withLimit(0));
    }
}
