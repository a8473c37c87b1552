package org.anode.conformance.stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import org.anode.stream.AckRanges;
import org.anode.stream.StreamAcceptor;
import org.anode.stream.StreamConfig;
import org.anode.stream.StreamConnection;
import org.anode.stream.StreamException;
import org.anode.stream.StreamSink;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Replay of a recorded stream (DECISIONS 29 with addendum A5): the opener's side of a finished
 * connection - every packet it emitted, over a lossy, reordering network - is captured, then fed,
 * shuffled and duplicated, to a fresh acceptor (the listener after its time-wait forgot the
 * connection). Whatever the recording holds, the fresh acceptor must never deliver a byte or an
 * end-of-stream, never acknowledge anything, send nothing but its S_OPEN, and give up within the
 * connect timeout. Each case prints its seed on failure.
 */
@Timeout(120)
class StreamReplayProperties {
    private static final long SECOND = 1_000_000_000L;

    /** Records the types a connection emits. */
    private static final class Types implements StreamSink {
        final List<Integer> out = new ArrayList<>();

        @Override
        public void sendOpen(int windowUnits, int isn, int flags) {
            out.add(SimNetwork.OPEN);
        }

        @Override
        public void sendData(int seq, ByteBuffer payload) {
            out.add(SimNetwork.DATA);
        }

        @Override
        public void sendAck(int windowUnits, AckRanges ranges) {
            out.add(SimNetwork.ACK);
        }

        @Override
        public void sendDataAck(int windowUnits, AckRanges ranges, int seq, ByteBuffer payload) {
            out.add(SimNetwork.DACK);
        }

        @Override
        public void sendClose(int reason, int isn, int seq) {
            out.add(SimNetwork.CLOSE);
        }
    }

    @Test
    void aReplayedOpenerSideIsNeverDeliveredOrAcknowledged() throws StreamException {
        int cases = 600;
        int withData = 0;
        for (long seed = 1; seed <= cases; seed++) {
            Random r = new Random(seed);
            StreamConfig ca = StreamSimulationProperties.lossyConfig(r);
            StreamConfig cb = StreamSimulationProperties.lossyConfig(r);
            SimNetwork net = new SimNetwork(seed, ca, cb);
            StreamSimulationProperties.impair(net.ab, r, 0.15);
            StreamSimulationProperties.impair(net.ba, r, 0.15);
            net.captureA = new ArrayList<>();
            SimNetwork.Workload w = new SimNetwork.Workload();
            w.aToB = 1 + r.nextInt(20_000);
            w.bToA = r.nextInt(3) == 0 ? 0 : r.nextInt(5_000);
            SimNetwork.Outcome o = net.run(w, 300 * SECOND);
            List<SimNetwork.Packet> capture = net.captureA;
            SimNetwork.Packet open = null;
            for (SimNetwork.Packet p : capture) {
                if (p.type == SimNetwork.OPEN) {
                    open = p;
                    break;
                }
            }
            assertNotNull(open, "seed " + seed + ": A always sends an S_OPEN");
            if (o.bReceived > 0) {
                withData++;
            }

            // The replay: a fresh acceptor (another random ISN) fed the capture, shuffled and
            // with duplicates, at a steady pace.
            StreamConfig fresh = new StreamConfig(cb)
                    .random(new Random(seed * 7919 + 1))
                    .connectTimeout(Duration.ofSeconds(5 + r.nextInt(25)));
            long now = 1000 * SECOND;
            long start = now;
            StreamConnection b = new StreamAcceptor(fresh, 0).accept(now, open.window, open.isn, open.flags);
            Types sent = new Types();
            List<SimNetwork.Packet> replay = new ArrayList<>(capture);
            for (int i = 0, n = capture.size() / 4; i < n; i++) {
                replay.add(capture.get(r.nextInt(capture.size())));
            }
            if (r.nextBoolean()) {
                Collections.shuffle(replay, r);
            }
            AckRanges ranges = new AckRanges(512);
            ByteBuffer dst = ByteBuffer.allocate(65536);
            for (SimNetwork.Packet p : replay) {
                now += r.nextInt(2_000_000);
                switch (p.type) {
                    case SimNetwork.OPEN -> b.onOpen(now, p.window, p.isn, p.flags);
                    case SimNetwork.DATA -> b.onData(now, p.seq, ByteBuffer.wrap(p.payload));
                    case SimNetwork.ACK -> b.onAck(now, p.window, fill(ranges, p));
                    case SimNetwork.DACK ->
                        b.onDataAck(now, p.window, fill(ranges, p), p.seq, ByteBuffer.wrap(p.payload));
                    case SimNetwork.CLOSE -> b.onClose(now, p.reason, p.isn, p.seq);
                    default -> throw new AssertionError();
                }
                if (now >= b.nextTimeoutNanos()) {
                    b.onTimer(now);
                }
                b.transmit(now, sent, 64);
                if (b.failure() == null) {
                    dst.clear();
                    assertEquals(0, b.read(dst), "seed " + seed + ": replayed data was delivered");
                    assertFalse(b.isReadable(), "seed " + seed);
                }
            }
            for (int i = 0; i < 100 && !b.isTerminated(); i++) {
                long t = b.nextTimeoutNanos();
                assertTrue(
                        t != StreamConnection.NO_TIMEOUT, "seed " + seed + ": an unconfirmed acceptor keeps a timer");
                now = Math.max(now, t);
                b.onTimer(now);
                b.transmit(now, sent, 64);
            }
            assertTrue(b.isTerminated(), "seed " + seed + ": the replayed connection is given up");
            assertFalse(b.isPeerConfirmed(), "seed " + seed);
            assertTrue(
                    now - start <= fresh.connectTimeoutNanos() + replay.size() * 2_000_000L,
                    "seed " + seed + ": given up within the connect timeout");
            for (int type : sent.out) {
                assertEquals(SimNetwork.OPEN, type, "seed " + seed + ": the replay got a packet of type " + type);
            }
            assertFalse(
                    sent.out.contains(SimNetwork.ACK)
                            || sent.out.contains(SimNetwork.DACK)
                            || sent.out.contains(SimNetwork.DATA),
                    "seed " + seed + ": nothing acknowledged, nothing sent");
        }
        assertTrue(withData > cases / 2, "most recordings carried delivered data: " + withData);
    }

    private static AckRanges fill(AckRanges r, SimNetwork.Packet p) {
        r.clear();
        for (int i = 0; i < p.firsts.length; i++) {
            r.append(p.firsts[i], p.counts[i]);
        }
        return r;
    }
}
