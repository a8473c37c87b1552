package org.anode.conformance.stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.time.Duration;
import java.util.Random;
import org.anode.stream.StreamConfig;
import org.anode.stream.StreamException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The stream core (draft section 5, DECISIONS 21-27) over thousands of seeded simulated networks:
 * every byte written is read exactly once and in order, or a side fails with an exception - never
 * silent loss, duplication or corruption, never a stall - and allocation stays within the documented
 * bounds. Each case prints its seed on failure so it can be replayed.
 */
@Timeout(120)
class StreamSimulationProperties {
    private static final long SECOND = 1_000_000_000L;

    static StreamConfig lossyConfig(Random r) {
        StreamConfig c = new StreamConfig()
                .maxPayload(64 + r.nextInt(1300))
                .sendBufferSize(1024 * (4 + r.nextInt(252)))
                .receiveBufferSize(1024 * (2 + r.nextInt(254)))
                .noDelay(r.nextBoolean())
                .connectTimeout(Duration.ofSeconds(120))
                .deadPeerTimeout(Duration.ofSeconds(120))
                .timeWait(Duration.ofSeconds(120))
                .maxRto(Duration.ofSeconds(8))
                .dataAckEnabled(r.nextInt(4) != 0);
        if (r.nextInt(3) == 0) {
            c.maxPacketsInFlight(16 << r.nextInt(6));
        }
        if (r.nextInt(3) == 0) {
            c.ackEveryPackets(1 + r.nextInt(16));
        }
        return c;
    }

    static void impair(SimNetwork.Path p, Random r, double maxLoss) {
        p.loss = r.nextDouble() * maxLoss;
        p.duplicate = r.nextInt(3) == 0 ? r.nextDouble() * 0.05 : 0;
        p.corrupt = r.nextInt(3) == 0 ? r.nextDouble() * 0.05 : 0;
        p.delayNanos = 100_000L + (long) (r.nextDouble() * 50_000_000L);
        p.jitterNanos = r.nextInt(2) == 0 ? (long) (r.nextDouble() * 30_000_000L) : 0;
        if (r.nextInt(3) == 0) {
            p.bytesPerSecond = 50_000 + r.nextInt(5_000_000);
        }
    }

    @Test
    void everyByteArrivesOnceInOrderOrTheConnectionFails() {
        int cases = 2000;
        int complete = 0;
        for (long seed = 1; seed <= cases; seed++) {
            Random r = new Random(seed);
            SimNetwork net = new SimNetwork(seed, lossyConfig(r), lossyConfig(r));
            double maxLoss = 0.30;
            impair(net.ab, r, maxLoss);
            impair(net.ba, r, maxLoss);
            if (r.nextInt(10) == 0) {
                // A partition shorter than the dead-peer timeout: the transfer must survive it.
                net.ab.partitionFrom = net.now + (long) (r.nextDouble() * 5 * SECOND);
                net.ab.partitionUntil = net.ab.partitionFrom + (long) (r.nextDouble() * 20 * SECOND);
                net.ba.partitionFrom = net.ab.partitionFrom;
                net.ba.partitionUntil = net.ab.partitionUntil;
            }
            SimNetwork.Workload w = new SimNetwork.Workload();
            w.aToB = r.nextInt(4) == 0 ? r.nextInt(100) : r.nextInt(60_000);
            w.bToA = r.nextInt(3) == 0 ? 0 : r.nextInt(30_000);
            w.aCloses = w.bToA == 0 && r.nextBoolean();
            if (r.nextInt(20) == 0) {
                // An abort at a random moment: the peer must fail too or stop short, never misread.
                w.aAbortAt = net.now + (long) (r.nextDouble() * 3 * SECOND);
            }
            w.readChunk = 1 + r.nextInt(8192);
            w.writeChunk = 1 + r.nextInt(16384);
            SimNetwork.Outcome o;
            try {
                o = net.run(w, 3600 * SECOND);
            } catch (AssertionError e) {
                throw new AssertionError("seed " + seed + ": " + e.getMessage(), e);
            }
            if (o.complete(w)) {
                complete++;
            } else if (Boolean.getBoolean("sim.report")) {
                System.out.println("seed " + seed + " incomplete: " + net.state());
            }
            if (o.complete(w)) {
                continue;
            } else if (o.aFailure == null && o.bFailure == null) {
                fail("seed " + seed + ": neither complete nor failed: " + net.state());
            }
        }
        // With at most 30% loss each way the protocol should finish nearly always; the rest must
        // have failed loudly (checked above).
        assertTrue(complete >= cases * 90 / 100, "only " + complete + " of " + cases + " transfers completed");
    }

    @Test
    void cleanPathsAlwaysComplete() {
        for (long seed = 10_001; seed <= 10_300; seed++) {
            Random r = new Random(seed);
            SimNetwork net = new SimNetwork(seed, lossyConfig(r), lossyConfig(r));
            net.ab.delayNanos = 1_000_000L + r.nextInt(20_000_000);
            net.ba.delayNanos = net.ab.delayNanos;
            net.ab.jitterNanos = r.nextBoolean() ? 5_000_000L : 0;
            SimNetwork.Workload w = new SimNetwork.Workload();
            w.aToB = r.nextInt(300_000);
            w.bToA = r.nextInt(100_000);
            SimNetwork.Outcome o = net.run(w, 600 * SECOND);
            assertTrue(o.complete(w), "seed " + seed + ": " + net.state());
            assertTrue(o.aTerminated || o.bTerminated || (o.aEof && o.bEof), "seed " + seed);
        }
    }

    @Test
    void sequenceNumbersWrapAroundTwoToThe32() {
        for (int start = -40; start <= 0; start += 4) {
            final int isn = start;
            Random fixed = new Random(1) {
                private static final long serialVersionUID = 1L;

                @Override
                public int nextInt() {
                    return isn;
                }
            };
            StreamConfig ca = new StreamConfig().maxPayload(100);
            StreamConfig cb = new StreamConfig().maxPayload(100);
            SimNetwork net = new SimNetwork(500 + start, ca, cb);
            net.configA.random(fixed);
            net.configB.random(fixed);
            net.ab.loss = 0.1;
            net.ba.loss = 0.1;
            net.ab.jitterNanos = 5_000_000L;
            SimNetwork.Workload w = new SimNetwork.Workload();
            w.aToB = 20_000;
            w.bToA = 7_000;
            SimNetwork.Outcome o = net.run(w, 600 * SECOND);
            assertTrue(o.complete(w), "isn " + isn + ": " + net.state());
            assertEquals(isn, net.a.isn());
        }
    }

    @Test
    void zeroWindowIsProbedAndReopened() {
        for (long seed = 20_001; seed <= 20_050; seed++) {
            Random r = new Random(seed);
            StreamConfig ca = new StreamConfig().maxPayload(500).sendBufferSize(64 * 1024);
            StreamConfig cb = new StreamConfig().maxPayload(500).receiveBufferSize(4096);
            SimNetwork net = new SimNetwork(seed, ca, cb);
            net.ab.loss = r.nextDouble() * 0.2;
            net.ba.loss = r.nextDouble() * 0.2;
            SimNetwork.Workload w = new SimNetwork.Workload();
            w.aToB = 50_000;
            w.bReadPausedUntil = net.now + 30 * SECOND;
            SimNetwork.Outcome o = net.run(w, 1200 * SECOND);
            assertTrue(o.complete(w), "seed " + seed + ": " + net.state());
            assertTrue(o.now > w.bReadPausedUntil, "the transfer cannot end while the reader is paused");
        }
    }

    @Test
    void reorderingWithoutLossCausesNoRetransmissionStorm() {
        long totalData = 0;
        long totalRetx = 0;
        for (long seed = 50_001; seed <= 50_020; seed++) {
            Random r = new Random(seed);
            StreamConfig c = new StreamConfig().maxPayload(1000);
            SimNetwork net = new SimNetwork(seed, c, new StreamConfig(c));
            net.ab.delayNanos = 10_000_000L;
            net.ab.jitterNanos = (2 + r.nextInt(20)) * 1_000_000L;
            net.ba.delayNanos = 10_000_000L;
            net.ba.jitterNanos = net.ab.jitterNanos;
            net.ab.bytesPerSecond = 2_000_000 + r.nextInt(8_000_000);
            net.ab.queueLimitNanos = Long.MAX_VALUE;
            SimNetwork.Workload w = new SimNetwork.Workload();
            w.aToB = 300_000;
            SimNetwork.Outcome o = net.run(w, 600 * SECOND);
            assertTrue(o.complete(w), "seed " + seed + ": " + net.state());
            if (Boolean.getBoolean("sim.report")) {
                System.out.println("seed " + seed + " retransmissions " + o.retransmissionsA + " of " + o.dataSentA);
            }
            totalData += o.dataSentA;
            totalRetx += o.retransmissionsA;
            assertTrue(
                    o.retransmissionsA * 10 <= o.dataSentA,
                    "seed " + seed + ": " + o.retransmissionsA + " spurious retransmissions of " + o.dataSentA);
        }
        // The reorder window adapts: spurious retransmissions stay a small fraction overall.
        assertTrue(totalRetx * 50 <= totalData, totalRetx + " spurious retransmissions of " + totalData);
    }

    @Test
    void refusedWhenNothingListens() {
        SimNetwork net = new SimNetwork(7, new StreamConfig(), new StreamConfig());
        SimNetwork.Workload w = new SimNetwork.Workload();
        w.bListening = false;
        w.aToB = 100;
        SimNetwork.Outcome o = net.run(w, 60 * SECOND);
        assertNotNull(o.aFailure);
        assertEquals(StreamException.Kind.REFUSED, o.aFailure.kind());
        assertTrue(net.a.isConnectFailed());
    }

    @Test
    void connectTimesOutWhenNoAnswerComes() {
        SimNetwork net =
                new SimNetwork(8, new StreamConfig().connectTimeout(Duration.ofSeconds(20)), new StreamConfig());
        net.ab.loss = 1.0;
        SimNetwork.Workload w = new SimNetwork.Workload();
        long start = net.now;
        SimNetwork.Outcome o = net.run(w, 120 * SECOND);
        assertNotNull(o.aFailure);
        assertEquals(StreamException.Kind.CONNECT_TIMED_OUT, o.aFailure.kind());
        assertEquals(start + 20 * SECOND, o.now, "fails exactly at the connect timeout");
        // 1 s initial RTO doubling: sent at 0, 1, 3, 7, 15 s.
        assertEquals(5, o.packetsSent);
    }

    @Test
    void permanentPartitionFailsWithTimeoutOnBothSides() {
        for (long seed = 30_001; seed <= 30_020; seed++) {
            StreamConfig ca = new StreamConfig()
                    .deadPeerTimeout(Duration.ofSeconds(30))
                    .keepAlive(true)
                    .keepAliveIdle(Duration.ofSeconds(10))
                    .keepAliveInterval(Duration.ofSeconds(2))
                    .keepAliveProbes(3);
            StreamConfig cb = new StreamConfig(ca);
            SimNetwork net = new SimNetwork(seed, ca, cb);
            net.ab.partitionFrom = net.now + SECOND / 2;
            net.ab.partitionUntil = Long.MAX_VALUE;
            net.ba.partitionFrom = net.ab.partitionFrom;
            net.ba.partitionUntil = Long.MAX_VALUE;
            net.ab.bytesPerSecond = 1_000_000;
            SimNetwork.Workload w = new SimNetwork.Workload();
            w.aToB = 10_000_000;
            SimNetwork.Outcome o = net.run(w, 600 * SECOND);
            assertNotNull(o.aFailure, "seed " + seed + ": " + net.state());
            assertEquals(StreamException.Kind.TIMED_OUT, o.aFailure.kind());
            assertNotNull(o.bFailure, "keepalive must detect the dead peer: " + net.state());
            assertEquals(StreamException.Kind.TIMED_OUT, o.bFailure.kind());
            assertTrue(o.bReceived < w.aToB);
        }
    }

    @Test
    void abortResetsThePeerAfterItsDataIsRead() {
        SimNetwork net = new SimNetwork(9, new StreamConfig(), new StreamConfig());
        net.ab.bytesPerSecond = 1_000_000;
        SimNetwork.Workload w = new SimNetwork.Workload();
        w.aToB = 5_000_000;
        w.aAbortAt = net.now + 2 * SECOND;
        SimNetwork.Outcome o = net.run(w, 120 * SECOND);
        assertNotNull(o.aFailure);
        assertEquals(StreamException.Kind.CLOSED, o.aFailure.kind());
        assertNotNull(o.bFailure);
        assertEquals(StreamException.Kind.PROTOCOL_ERROR, o.bFailure.kind());
        assertEquals(2, o.bFailure.remoteReason());
        assertTrue(o.bReceived > 0 && o.bReceived < w.aToB);
    }

    @Test
    void halfCloseKeepsTheOtherDirectionFlowingUnderLoss() {
        for (long seed = 40_001; seed <= 40_100; seed++) {
            Random r = new Random(seed);
            SimNetwork net = new SimNetwork(seed, lossyConfig(r), lossyConfig(r));
            net.ab.loss = 0.2;
            net.ba.loss = 0.2;
            SimNetwork.Workload w = new SimNetwork.Workload();
            w.aToB = 10;
            w.bToA = 80_000;
            SimNetwork.Outcome o = net.run(w, 3600 * SECOND);
            if (!o.complete(w)) {
                assertTrue(o.aFailure != null || o.bFailure != null, "seed " + seed + ": " + net.state());
            }
            assertNull(o.aFailure == null && o.bFailure == null && !o.complete(w) ? "stalled" : null);
        }
    }
}
