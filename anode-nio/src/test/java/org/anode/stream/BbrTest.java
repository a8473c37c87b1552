package org.anode.stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayDeque;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * {@link Bbr} driven by a small fluid model of one path (a bottleneck of fixed rate, a fixed
 * propagation delay, optional random loss), all in virtual time: the model converges on the path's
 * bandwidth and delay, random loss does not shrink it, PROBE_RTT comes every ten seconds, and
 * application-limited samples do not lower the estimate.
 */
class BbrTest {
    private static final int MSS = 1000;
    private static final long MS = 1_000_000L;

    /** A sender using {@code cc} over a path of {@code rate} bytes/s and {@code rtt}, losing {@code loss}. */
    static final class Path {
        final CongestionController cc;
        final long rate;
        final long rtt;
        final double loss;
        final Random rnd = new Random(42);
        long now;
        long linkFree;
        long nextSend;
        int nextSeq = 1;
        int una = 1;
        long inFlight;
        long deliveredBytes;
        boolean appLimited;
        final boolean[] acked = new boolean[1 << 22];
        final long[] sentAt = new long[1 << 22];
        /** Pending acknowledgements: {seq, arrival}, in arrival order (the link is FIFO). */
        final ArrayDeque<long[]> acks = new ArrayDeque<>();

        final java.util.Set<String> states = new java.util.HashSet<>();

        Path(CongestionController cc, long rate, long rtt, double loss) {
            this.cc = cc;
            this.rate = rate;
            this.rtt = rtt;
            this.loss = loss;
        }

        void runUntil(long end) {
            while (now < end) {
                // Send what the window and the pacer allow.
                while (!appLimited && inFlight + MSS <= cc.window() && nextSend <= now) {
                    int s = nextSeq++;
                    sentAt[s] = now;
                    inFlight += MSS;
                    cc.onPacketSent(now, s, MSS, inFlight, false);
                    nextSend = Math.max(nextSend, now - MS) + cc.pacingIntervalNanos(MSS, rtt);
                    long depart = Math.max(now, linkFree) + MSS * 1_000_000_000L / rate;
                    linkFree = depart;
                    if (rnd.nextDouble() >= loss) {
                        acks.add(new long[] {s, depart + rtt});
                    }
                }
                if (appLimited) {
                    cc.onApplicationLimited(inFlight);
                }
                long next = acks.isEmpty() ? Long.MAX_VALUE : acks.peek()[1];
                if (!appLimited && inFlight + MSS <= cc.window()) {
                    next = Math.min(next, Math.max(nextSend, now + 1));
                }
                if (next == Long.MAX_VALUE) {
                    next = now + MS;
                }
                now = Math.min(next, end);
                while (!acks.isEmpty() && acks.peek()[1] <= now) {
                    ack((int) acks.poll()[0]);
                }
            }
        }

        private void ack(int seq) {
            long prior = inFlight;
            acked[seq] = true;
            inFlight -= MSS;
            deliveredBytes += MSS;
            cc.onPacketAcked(now, seq, MSS);
            // Packets before this one that are not acknowledged were lost (the link is FIFO).
            int firstLost = -1;
            for (int s = una; s < seq; s++) {
                if (!acked[s]) {
                    acked[s] = true;
                    inFlight -= MSS;
                    if (firstLost < 0) {
                        firstLost = s;
                    }
                }
            }
            while (una < nextSeq && acked[una]) {
                una++;
            }
            cc.onAck(now, una, MSS, prior, inFlight, now - sentAt[seq], now - sentAt[seq]);
            if (firstLost >= 0) {
                cc.onLoss(now, firstLost, nextSeq, inFlight);
            }
            states.add(cc.stateName());
        }

        /** Goodput over {@code duration} from now. */
        double measure(long duration) {
            long before = deliveredBytes;
            long start = now;
            runUntil(now + duration);
            return (deliveredBytes - before) * 1e9 / (now - start);
        }
    }

    @Test
    void convergesOnTheBottleneckAndTwiceTheBdp() {
        Bbr bbr = new Bbr(10, MSS, 3);
        Path p = new Path(bbr, 1_000_000, 20 * MS, 0);
        p.runUntil(3000 * MS);
        assertEquals("probe_bw", bbr.stateName());
        assertTrue(bbr.filledPipe());
        long bw = bbr.bottleneckBandwidth();
        assertTrue(bw > 950_000 && bw < 1_100_000, "bandwidth " + bw);
        assertTrue(bbr.minRtt() >= 20 * MS && bbr.minRtt() < 23 * MS, "min RTT " + bbr.minRtt());
        // 2 x BDP (20 kB) plus the quantisation allowance.
        assertTrue(bbr.window() >= 40_000 && bbr.window() <= 2 * 22_000 + 5 * MSS, "cwnd " + bbr.window());
        double g = p.measure(3000 * MS);
        assertTrue(g > 950_000, "goodput " + g);
    }

    @Test
    void randomLossDoesNotShrinkTheModel() {
        Bbr bbr = new Bbr(10, MSS, 5);
        Path p = new Path(bbr, 1_000_000, 20 * MS, 0.05);
        p.runUntil(3000 * MS);
        double g = p.measure(5000 * MS);
        // 5% of what is sent is lost; the rest of the link's capacity is used.
        assertTrue(g > 0.9 * 0.95 * 1_000_000, "goodput " + g);
        assertTrue(bbr.bottleneckBandwidth() > 850_000, "bandwidth " + bbr.bottleneckBandwidth());

        NewReno reno = new NewReno(10, MSS);
        Path q = new Path(reno, 1_000_000, 20 * MS, 0.05);
        q.runUntil(3000 * MS);
        double r = q.measure(5000 * MS);
        assertTrue(g > 4 * r, "BBR " + g + " vs NewReno " + r);
    }

    @Test
    void probesTheMinimumRttEveryTenSeconds() {
        Bbr bbr = new Bbr(10, MSS, 0);
        Path p = new Path(bbr, 1_000_000, 20 * MS, 0);
        p.runUntil(9000 * MS);
        assertTrue(!p.states.contains("probe_rtt"));
        p.runUntil(12_000 * MS);
        assertTrue(p.states.contains("probe_rtt"), "states " + p.states);
        p.runUntil(13_000 * MS);
        assertEquals("probe_bw", bbr.stateName(), "back to probing bandwidth after 200 ms and a round");
    }

    @Test
    void applicationLimitedSamplesDoNotLowerTheEstimate() {
        Bbr bbr = new Bbr(10, MSS, 2);
        Path p = new Path(bbr, 1_000_000, 20 * MS, 0);
        p.runUntil(3000 * MS);
        long bw = bbr.bottleneckBandwidth();
        // A trickle: one packet every 50 ms, marked application-limited, for twenty rounds and more.
        for (int i = 0; i < 40; i++) {
            p.appLimited = false;
            long w = bbr.window();
            long in = p.inFlight;
            if (in + MSS <= w) {
                int s = p.nextSeq++;
                p.sentAt[s] = p.now;
                p.inFlight += MSS;
                bbr.onPacketSent(p.now, s, MSS, p.inFlight, false);
                p.acks.add(new long[] {s, p.now + MSS * 1_000_000_000L / p.rate + p.rtt});
            }
            p.appLimited = true;
            p.runUntil(p.now + 50 * MS);
        }
        assertTrue(bbr.bottleneckBandwidth() >= bw * 9 / 10, bw + " -> " + bbr.bottleneckBandwidth());
    }

    @Test
    void aTimeoutCollapsesTheWindowAndRecoveryRestoresIt() {
        Bbr bbr = new Bbr(10, MSS, 1);
        Path p = new Path(bbr, 1_000_000, 20 * MS, 0);
        p.runUntil(3000 * MS);
        long before = bbr.window();
        bbr.onRetransmissionTimeout(p.now, p.nextSeq, p.inFlight);
        assertEquals(MSS, bbr.window());
        assertTrue(bbr.inRecovery());
        p.runUntil(p.now + 500 * MS);
        assertTrue(bbr.window() >= before * 8 / 10, before + " -> " + bbr.window());
    }
}
