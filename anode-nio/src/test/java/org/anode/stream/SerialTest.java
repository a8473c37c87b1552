package org.anode.stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** RFC 1982 serial arithmetic on 32-bit packet sequence numbers (draft 5.2.3, DECISIONS 21). */
class SerialTest {
    @Test
    void ordersAcrossTheWrap() {
        int before = 0xFFFF_FFF0;
        int after = 0x0000_0010;
        assertTrue(Serial.lt(before, after));
        assertTrue(Serial.gt(after, before));
        assertTrue(Serial.le(before, before));
        assertTrue(Serial.ge(after, after));
        assertFalse(Serial.lt(after, before));
        assertEquals(0x20, Serial.diff(after, before));
        assertEquals(-0x20, Serial.diff(before, after));
        assertEquals(after, Serial.max(before, after));
        assertEquals(after, Serial.max(after, before));
    }

    @Test
    void addWrapsModulo2To32() {
        assertEquals(0, Serial.add(0xFFFF_FFFF, 1));
        assertEquals(4, Serial.add(0xFFFF_FFFE, 6));
        assertEquals(0xFFFF_FFFFL, Serial.unsigned(-1));
        assertEquals(0x8000_0000L, Serial.unsigned(Integer.MIN_VALUE));
    }

    @Test
    void halfTheSpaceApartIsTheLimit() {
        int a = 5;
        int b = a + Integer.MAX_VALUE; // 2^31 - 1 ahead: still comparable
        assertTrue(Serial.lt(a, b));
        assertTrue(Serial.gt(b, a));
        // RFC 1982 leaves exactly 2^31 undefined; here each compares as before the other, and
        // neither as after: no caller may rely on an order there.
        int c = a + Integer.MIN_VALUE;
        assertTrue(Serial.lt(a, c) && Serial.lt(c, a));
        assertFalse(Serial.gt(a, c) || Serial.gt(c, a));
    }

    @Test
    void everyOffsetWithinTheWindowComparesAsExpected() {
        int[] bases = {0, 1, 0x7FFF_FFFF, 0x8000_0000, 0xFFFF_FF00, 0xFFFF_FFFF};
        for (int base : bases) {
            for (int d = -70_000; d <= 70_000; d += 7) {
                int x = base + d;
                assertEquals(d < 0, Serial.lt(x, base), "base " + base + " d " + d);
                assertEquals(d > 0, Serial.gt(x, base), "base " + base + " d " + d);
                assertEquals(d, Serial.diff(x, base));
            }
        }
    }
}
