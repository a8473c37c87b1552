package org.anode.stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** {@link TimerTable}: arming, expiry and the earliest deadline of a set of kinds. */
class TimerTableTest {
    @Test
    void aNewTableHasNothingArmed() {
        TimerTable t = new TimerTable();
        for (int k = 0; k < TimerTable.COUNT; k++) {
            assertFalse(t.isArmed(k));
            assertFalse(t.expired(k, Long.MAX_VALUE - 1));
        }
        assertEquals(TimerTable.NONE, t.earliest(-1));
    }

    @Test
    void expiryIsInclusiveOfTheDeadline() {
        TimerTable t = new TimerTable();
        t.set(TimerTable.RTO, 100);
        assertTrue(t.isArmed(TimerTable.RTO));
        assertFalse(t.expired(TimerTable.RTO, 99));
        assertTrue(t.expired(TimerTable.RTO, 100));
        t.cancel(TimerTable.RTO);
        assertFalse(t.expired(TimerTable.RTO, 1000));
    }

    @Test
    void earliestConsidersOnlyTheGivenKinds() {
        TimerTable t = new TimerTable();
        t.set(TimerTable.ACK, 10);
        t.set(TimerTable.TLP, 30);
        t.set(TimerTable.CLOSE, 20);
        assertEquals(10, t.earliest(-1));
        assertEquals(20, t.earliest(1 << TimerTable.TLP | 1 << TimerTable.CLOSE));
        assertEquals(30, t.earliest(1 << TimerTable.TLP));
        assertEquals(TimerTable.NONE, t.earliest(1 << TimerTable.RTO));
        t.cancelAll();
        assertEquals(TimerTable.NONE, t.earliest(-1));
    }
}
