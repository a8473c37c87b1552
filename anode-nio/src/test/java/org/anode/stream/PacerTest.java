package org.anode.stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** {@link Pacer}: bursts up to the quantum, then one packet per interval. */
class PacerTest {
    @Test
    void withoutAnRttNothingIsPaced() {
        Pacer p = new Pacer(1000);
        p.onSent(0, 1_000_000);
        assertTrue(p.allows(0, -1));
        assertFalse(p.isBlocked());
    }

    @Test
    void aBurstOfAQuantumThenOnePacketPerInterval() {
        Pacer p = new Pacer(1000);
        long now = 1_000_000;
        int sent = 0;
        while (p.allows(now, 50) && sent < 100) {
            p.onSent(now, 100);
            sent++;
        }
        // The burst credit is max(quantum, 10 intervals) = 1000 ns: ten packets, then the eleventh waits.
        assertEquals(11, sent);
        assertTrue(p.isBlocked());
        assertEquals(now + 100, p.nextSendTime());
        assertTrue(p.allows(now + 100, 50));
        p.clearBlocked();
        assertFalse(p.isBlocked());
    }

    @Test
    void idleTimeEarnsNoMoreThanOneBurst() {
        Pacer p = new Pacer(500);
        p.onSent(0, 100);
        long later = 1_000_000_000L;
        p.onSent(later, 100);
        assertEquals(later - 1000 + 100, p.nextSendTime());
    }
}
