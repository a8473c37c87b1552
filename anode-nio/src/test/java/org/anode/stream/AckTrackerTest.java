package org.anode.stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import org.junit.jupiter.api.Test;

/** {@link AckTracker}: when an acknowledgement is due, and the ranges it carries. */
class AckTrackerTest {
    private static final int ISN = 500;
    private static final long DELAY = 40;

    private final TimerTable timers = new TimerTable();
    private final AckTracker ack = new AckTracker(timers, 2, DELAY, 16);
    private final ReceiveBuffer rcv = new ReceiveBuffer(64 * 1024, 64, 1000);

    AckTrackerTest() {
        rcv.start(ISN);
    }

    private void data(int seq) {
        rcv.onData(seq, ByteBuffer.allocate(10), 10);
    }

    private static String ranges(AckRanges r) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < r.size(); i++) {
            b.append(r.first(i) - ISN).append('+').append(r.count(i)).append(' ');
        }
        return b.toString().trim();
    }

    @Test
    void anInOrderPacketIsAcknowledgedAfterTheDelayOrEveryNthPacket() {
        data(ISN + 1);
        ack.onInOrder(100, false);
        assertTrue(ack.hasPending());
        assertFalse(ack.due(100));
        assertEquals(100 + DELAY, timers.get(TimerTable.ACK));
        assertTrue(ack.due(100 + DELAY));
        data(ISN + 2);
        ack.onInOrder(110, false);
        assertTrue(ack.due(110), "the second packet makes it due at once");
        assertEquals("1+2", ranges(ack.build(rcv)));
        ack.onSent();
        assertFalse(ack.pendingNow());
        assertFalse(timers.isArmed(TimerTable.ACK));
    }

    @Test
    void theDelayedAckTimerMakesAPendingAcknowledgementDue() {
        ack.onInOrder(0, false);
        ack.onTimer(DELAY - 1);
        assertFalse(ack.due(DELAY - 1));
        ack.onTimer(DELAY);
        assertTrue(ack.due(0), "due from now on, whatever the clock");
    }

    @Test
    void heldRunsAndDuplicatesGetTheirOwnRanges() {
        data(ISN + 1);
        data(ISN + 3);
        data(ISN + 4);
        data(ISN + 6);
        ack.noteDuplicate(ISN + 1);
        ack.noteDuplicate(ISN + 1);
        assertTrue(ack.due(0));
        assertTrue(ack.holdsAnything());
        // In order 1 (the duplicate of 1 is inside it), held 3-4 and 6.
        assertEquals("1+1 3+2 6+1", ranges(ack.build(rcv)));
        assertEquals("1+1 3+2", ranges(ack.build(2, rcv)), "bounded by the caller's limit");
    }

    @Test
    void aDuplicateBelowTheInOrderWindowIsReportedOnItsOwn() {
        for (int i = 1; i <= 300; i++) {
            data(ISN + i);
        }
        ack.noteDuplicate(ISN + 2);
        // The in-order range reports the 255 most recent numbers only.
        assertEquals("46+255 2+1", ranges(ack.build(rcv)));
    }

    @Test
    void aHeldFinIsAcknowledgedAsARange() {
        data(ISN + 1);
        rcv.onFin(ISN + 3);
        assertEquals("1+1 3+1", ranges(ack.build(rcv)));
    }

    @Test
    void theIsnAcknowledgementOfAnIdleConnectionIsOnePair() {
        AckRanges r = ack.isnAck(rcv, 77);
        assertEquals(1, r.capacity());
        assertEquals(1, r.size());
        assertEquals(77, r.first(0));
        data(ISN + 1);
        AckRanges full = ack.isnAck(rcv, 77);
        assertTrue(full.contains(77));
        assertTrue(full.contains(ISN + 1));
    }
}
