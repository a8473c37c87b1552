package org.anode.conformance.stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import org.anode.stream.StreamConfig;
import org.anode.stream.StreamException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Dead peers and heavy loss in the simulated network (virtual time): a reader waiting on a peer
 * that vanished learns it within the peer-silence timeout (default 30 s) without SO_KEEPALIVE; a
 * live but quiet peer on a lossy path is not declared dead; nobody probes when nobody waits; a
 * path that comes back after an outage is noticed within the RTO ceiling; and the user timeout, not
 * a retry count, ends a connection whose peer is gone while data is outstanding.
 */
@Timeout(120)
class DeadPeerProperties {
    private static final long SECOND = 1_000_000_000L;
    private static final long MS = 1_000_000L;

    private static void kill(SimNetwork net, long at) {
        // The peer's process is gone: nothing from it, nothing to it (nobody sends a close for it).
        net.ab.partitionFrom = at;
        net.ab.partitionUntil = Long.MAX_VALUE;
        net.ba.partitionFrom = at;
        net.ba.partitionUntil = Long.MAX_VALUE;
    }

    @Test
    void aWaitingReaderLearnsWithinThirtySecondsThatItsPeerDied() {
        for (long seed = 1; seed <= 10; seed++) {
            SimNetwork net = new SimNetwork(seed, new StreamConfig(), new StreamConfig());
            net.ab.delayNanos = 10 * MS;
            net.ba.delayNanos = 10 * MS;
            SimNetwork.Workload w = new SimNetwork.Workload();
            w.aToB = 100_000;
            w.aKeepsOutputOpen = true;
            long killedAt = net.now + 5 * SECOND;
            kill(net, killedAt);
            SimNetwork.Outcome o = net.run(w, 600 * SECOND);
            assertEquals(w.aToB, o.bReceived, net.state());
            assertNotNull(o.bFailure, "the waiting reader must learn: " + net.state());
            assertEquals(StreamException.Kind.TIMED_OUT, o.bFailure.kind());
            assertTrue(o.now - killedAt <= 30 * SECOND, "learnt after " + (o.now - killedAt) / MS + " ms");
        }
    }

    @Test
    void theTimeoutIsConfigurable() {
        StreamConfig c = new StreamConfig().peerSilenceTimeout(Duration.ofSeconds(6));
        SimNetwork net = new SimNetwork(3, c, new StreamConfig(c));
        SimNetwork.Workload w = new SimNetwork.Workload();
        w.aToB = 10_000;
        w.aKeepsOutputOpen = true;
        long killedAt = net.now + 2 * SECOND;
        kill(net, killedAt);
        SimNetwork.Outcome o = net.run(w, 600 * SECOND);
        assertNotNull(o.bFailure, net.state());
        assertTrue(o.now - killedAt <= 6 * SECOND, "learnt after " + (o.now - killedAt) / MS + " ms");
    }

    @Test
    void aQuietLivePeerOnALossyPathIsNotDeclaredDead() {
        for (long seed = 1; seed <= 10; seed++) {
            SimNetwork net = new SimNetwork(seed, new StreamConfig(), new StreamConfig());
            net.ab.loss = 0.3;
            net.ba.loss = 0.3;
            SimNetwork.Workload w = new SimNetwork.Workload();
            w.aToB = 10_000;
            w.aKeepsOutputOpen = true;
            long start = net.now;
            SimNetwork.Outcome o = net.run(w, 600 * SECOND);
            assertNull(o.bFailure, "seed " + seed + ": " + net.state());
            assertNull(o.aFailure, "seed " + seed + ": " + net.state());
            assertEquals(w.aToB, o.bReceived);
            assertTrue(o.now - start >= 600 * SECOND, "ran only " + (o.now - start) / MS + " ms");
        }
    }

    @Test
    void nobodyProbesWhenNobodyWaits() {
        SimNetwork net = new SimNetwork(5, new StreamConfig(), new StreamConfig());
        SimNetwork.Workload w = new SimNetwork.Workload();
        w.aToB = 10_000;
        w.aKeepsOutputOpen = true;
        // B's application never reads: nothing waits, so after the transfer the line stays silent.
        w.bReadPausedUntil = Long.MAX_VALUE;
        SimNetwork.Outcome o = net.run(w, 600 * SECOND);
        assertNull(o.bFailure, net.state());
        // The handshake, eight data packets and their acknowledgements; then silence.
        assertTrue(o.packetsSent < 40, "packets " + o.packetsSent);
    }

    @Test
    void aPathThatComesBackIsNoticedWithinTheRtoCeiling() {
        // A 20 s outage with the defaults, and a 90 s one when the reader's silence watch is off
        // (the sender's user timeout, 120 s, is not reached either way).
        for (long seed = 1; seed <= 6; seed++) {
            long outage = seed <= 3 ? 20 * SECOND : 90 * SECOND;
            StreamConfig c = new StreamConfig();
            if (seed > 3) {
                c.peerSilenceTimeout(Duration.ZERO);
            }
            SimNetwork net = new SimNetwork(seed, c, new StreamConfig(c));
            net.ab.bytesPerSecond = 1_000_000;
            long from = net.now + 2 * SECOND;
            long until = from + outage;
            net.ab.partitionFrom = from;
            net.ab.partitionUntil = until;
            net.ba.partitionFrom = from;
            net.ba.partitionUntil = until;
            SimNetwork.Workload w = new SimNetwork.Workload();
            w.aToB = 8_000_000;
            SimNetwork.Outcome o = net.run(w, 600 * SECOND);
            assertNull(o.aFailure, net.state());
            assertEquals(w.aToB, o.bReceived);
            // The outage, plus at most the 5 s RTO ceiling and a round trip to resume.
            assertTrue(o.maxStallB <= outage + 5 * SECOND + 500 * MS, "stall " + o.maxStallB / MS + " ms");
        }
    }

    @Test
    void theUserTimeoutEndsAConnectionWhosePeerIsGoneWithDataOutstanding() {
        StreamConfig c = new StreamConfig().userTimeout(Duration.ofSeconds(40));
        SimNetwork net = new SimNetwork(9, c, new StreamConfig(c));
        net.ab.bytesPerSecond = 1_000_000;
        long killedAt = net.now + 2 * SECOND;
        kill(net, killedAt);
        SimNetwork.Workload w = new SimNetwork.Workload();
        w.aToB = 50_000_000;
        SimNetwork.Outcome o = net.run(w, 600 * SECOND);
        assertNotNull(o.aFailure, net.state());
        assertEquals(StreamException.Kind.TIMED_OUT, o.aFailure.kind());
        long after = o.now - killedAt;
        // The last packet heard was just before the kill: the user timeout from there, not before.
        assertTrue(after >= 39 * SECOND && after <= 41 * SECOND, "failed after " + after / MS + " ms");
    }
}
