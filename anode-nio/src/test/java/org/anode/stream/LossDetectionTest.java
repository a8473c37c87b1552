package org.anode.stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import org.junit.jupiter.api.Test;

/** {@link LossDetection}: RACK's reordering window, spurious retransmissions, the tail loss probe. */
class LossDetectionTest {
    private static final long MS = 1_000_000L;
    private static final long DELAYED_ACK = 40 * MS;

    private final TimerTable timers = new TimerTable();
    private final SendBuffer snd = new SendBuffer(1 << 20, 64, 1);
    private final RttEstimator rtt = new RttEstimator(1000 * MS, 200 * MS, 60_000 * MS, 20_000 * MS);
    private final NewReno cc = new NewReno(10, 1000);
    private final LossDetection loss = new LossDetection(timers, DELAYED_ACK);

    /** Sends packets 1..n, packet i at (i - 1) * 10 ms. */
    private void send(int n) {
        snd.write(ByteBuffer.allocate(n * 1000));
        for (int i = 0; i < n; i++) {
            snd.recordRoom();
            snd.sendNew(i * 10 * MS, 1000, (byte) 0);
        }
    }

    private void ack(int seq, long now) {
        byte f = snd.markAcked(seq);
        long sent = snd.sentAt(seq);
        loss.onAcked(seq, f, sent, now - sent, rtt.minRtt());
        if ((f & SendBuffer.F_RETX) == 0) {
            rtt.sample(now - sent);
        }
        snd.advance();
    }

    @Test
    void aPacketIsLostOnceALaterOneIsAcknowledgedAndTheReorderingWindowPassed() {
        send(4);
        ack(3, 100 * MS);
        // RTT 80 ms, window 80 / 4 = 20 ms: packet 1 (sent at 0) is due at 100 ms, packet 2 at 110 ms.
        loss.detect(100 * MS, snd, rtt, cc);
        assertTrue((snd.flags(1) & SendBuffer.F_LOST) != 0);
        assertEquals(0, snd.flags(2) & SendBuffer.F_LOST);
        assertEquals(0, snd.flags(4) & SendBuffer.F_LOST, "sent after the acknowledged one: not judged");
        assertEquals(1, snd.lostCount());
        assertEquals(5000, cc.window(), "one congestion event");
        assertEquals(110 * MS, timers.get(TimerTable.REORDER));
        loss.onTimer(110 * MS, snd, rtt, cc);
        assertTrue((snd.flags(2) & SendBuffer.F_LOST) != 0);
        assertEquals(2, snd.lostCount());
        assertEquals(5000, cc.window(), "the same episode does not halve again");
        assertFalse(timers.isArmed(TimerTable.REORDER));
    }

    @Test
    void nothingIsLostWithoutALaterAcknowledgement() {
        send(2);
        ack(1, 50 * MS);
        loss.detect(10_000 * MS, snd, rtt, cc);
        assertEquals(0, snd.lostCount());
    }

    @Test
    void aSpuriousRetransmissionWidensTheReorderingWindow() {
        send(3);
        ack(3, 100 * MS);
        loss.detect(100 * MS, snd, rtt, cc);
        snd.markRetransmitted(1, 101 * MS);
        assertEquals(1, loss.reorderMultiplier());
        // The original transmission's acknowledgement arrives 1 ms after the retransmission:
        // far less than half the minimum RTT, so the retransmission was spurious.
        ack(1, 102 * MS);
        assertEquals(2, loss.reorderMultiplier());
    }

    @Test
    void theTailProbeWaitsTwoRttsAndMoreForALonePacket() {
        send(2);
        ack(1, 80 * MS);
        // srtt 80 ms, one packet left: 2 * 80 + 40 ms.
        loss.armTailProbe(100 * MS, snd, rtt.srtt(), cc);
        assertEquals(100 * MS + 200 * MS, timers.get(TimerTable.TLP));
        assertFalse(loss.isTailProbeDue());
        loss.onTimer(300 * MS, snd, rtt, cc);
        assertTrue(loss.takeTailProbe());
        assertFalse(loss.takeTailProbe(), "taken once");
        loss.onTailProbeSent();
        loss.armTailProbe(300 * MS, snd, rtt.srtt(), cc);
        assertFalse(timers.isArmed(TimerTable.TLP), "one probe until an acknowledgement");
    }

    @Test
    void noTailProbeWhenTheTimeoutComesFirstOrAfterATimeout() {
        send(3);
        ack(1, 80 * MS);
        timers.set(TimerTable.RTO, 150 * MS);
        loss.armTailProbe(100 * MS, snd, rtt.srtt(), cc);
        assertFalse(timers.isArmed(TimerTable.TLP));
        timers.cancel(TimerTable.RTO);
        loss.onRetransmissionTimeout();
        loss.armTailProbe(100 * MS, snd, rtt.srtt(), cc);
        assertFalse(timers.isArmed(TimerTable.TLP), "timeout recovery: no probes");
    }
}
