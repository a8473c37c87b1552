package org.anode.stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** {@link NewReno}: slow start, congestion avoidance, one halving per episode, timeout collapse. */
class NewRenoTest {
    private static final int MSS = 1000;

    @Test
    void slowStartGrowsByTheBytesAcknowledged() {
        NewReno cc = new NewReno(10, MSS);
        assertEquals(10_000, cc.window());
        cc.onAck(0, 5, 3000, 10_000, 7000, 1000, 1000);
        assertEquals(13_000, cc.window());
    }

    @Test
    void anApplicationLimitedSenderDoesNotGrowTheWindow() {
        NewReno cc = new NewReno(10, MSS);
        cc.onAck(0, 5, 3000, 4999, 1999, 1000, 1000);
        assertEquals(10_000, cc.window());
    }

    @Test
    void aLossHalvesOncePerEpisodeAndRecoveryEndsPastTheReductionPoint() {
        NewReno cc = new NewReno(10, MSS);
        cc.onLoss(0, 3, 20, 8000);
        assertEquals(5000, cc.window());
        assertEquals(5000, cc.slowStartThreshold());
        assertTrue(cc.inRecovery());
        cc.onLoss(0, 10, 22, 4000);
        assertEquals(5000, cc.window(), "a packet sent before the reduction does not halve again");
        cc.onAck(0, 19, 1000, 5000, 4000, -1, 1000);
        assertEquals(5000, cc.window(), "no growth during recovery");
        assertFalse(cc.pastRecoveryPoint(19));
        cc.onAck(0, 20, 1000, 5000, 4000, -1, 1000);
        assertFalse(cc.inRecovery());
        assertTrue(cc.pastRecoveryPoint(20));
        cc.onLoss(0, 20, 30, 4000);
        assertEquals(2500, cc.window(), "a packet sent after the reduction starts a new episode");
        cc.onLoss(0, 30, 40, 1000);
        cc.onLoss(0, 40, 50, 1000);
        assertEquals(2 * MSS, cc.window(), "never below two packets");
    }

    @Test
    void congestionAvoidanceAddsOnePacketPerWindowAcknowledged() {
        NewReno cc = new NewReno(10, MSS);
        cc.onLoss(0, 1, 10, 10_000);
        cc.onAck(0, 10, 1000, 5000, 4000, -1, 1000);
        long w = cc.window();
        assertEquals(5000, w);
        cc.onAck(0, 11, 3000, 5000, 2000, -1, 1000);
        assertEquals(5000, cc.window(), "4000 of 5000 bytes acknowledged since the reduction");
        cc.onAck(0, 12, 1000, 5000, 4000, -1, 1000);
        assertEquals(5000 + MSS, cc.window());
    }

    @Test
    void aTimeoutCollapsesToOnePacketAndHalvesTheThresholdFromTheFlight() {
        NewReno cc = new NewReno(10, MSS);
        assertFalse(cc.pastRecoveryPoint(0));
        cc.onRetransmissionTimeout(0, 50, 9000);
        assertEquals(MSS, cc.window());
        assertEquals(4500, cc.slowStartThreshold());
        assertFalse(cc.inRecovery());
        assertFalse(cc.pastRecoveryPoint(49));
        assertTrue(cc.pastRecoveryPoint(50));
    }

    @Test
    void theWindowIsBounded() {
        NewReno cc = new NewReno(10, MSS);
        cc.onAck(0, 1, NewReno.MAX_CWND, NewReno.MAX_CWND, 0, -1, 1000);
        assertEquals(NewReno.MAX_CWND, cc.window());
    }

    @Test
    void pacingIsTwiceTheWindowPerRttInSlowStartAndOneAndAQuarterAfter() {
        NewReno cc = new NewReno(10, MSS);
        // 10,000 bytes per 100 ms at 2x: 1000 bytes take 5 ms.
        assertEquals(5_000_000, cc.pacingIntervalNanos(1000, 100_000_000));
        cc.onLoss(0, 1, 10, 10_000);
        // 5000 bytes per 100 ms at 1.25x: 1000 bytes take 16 ms.
        assertEquals(16_000_000, cc.pacingIntervalNanos(1000, 100_000_000));
        cc.setMaxPayload(8000);
        assertEquals(10_000_000, cc.pacingIntervalNanos(1000, 100_000_000), "never paced by less than one packet");
    }
}
