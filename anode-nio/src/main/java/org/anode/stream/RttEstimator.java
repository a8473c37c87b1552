package org.anode.stream;

/**
 * Round-trip time estimation and the retransmission timeout of one stream connection (draft
 * section 5 leaves both out; DECISIONS 25 asks for a congestion control, which needs them): RFC 6298
 * smoothed RTT and variance, the minimum RTT seen (for RACK's reordering window), and the
 * exponential backoff of the timeout. Karn's rule is the caller's: it feeds only samples from
 * packets that were sent once.
 */
final class RttEstimator {
    /** {@link #minRtt()} before the first sample. */
    static final long NO_SAMPLE = Long.MAX_VALUE;

    private final long minRto;
    private final long maxRto;
    /**
     * Never back off so far that fewer than four retransmissions fit in the dead-peer timeout: the
     * peer would be declared dead after one or two tries on a merely lossy path.
     */
    private final long ceiling;

    private long srtt = -1;
    private long rttvar;
    private long rto;
    private long minRtt = NO_SAMPLE;
    private int backoff;

    RttEstimator(long initialRto, long minRto, long maxRto, long deadPeerTimeout) {
        this.minRto = minRto;
        this.maxRto = maxRto;
        this.ceiling = Math.min(maxRto, Math.max(minRto, deadPeerTimeout / 4));
        this.rto = initialRto;
    }

    /** Takes one RTT measurement (a non-positive one counts as 1 ns) and recomputes the timeout. */
    void sample(long r) {
        if (r <= 0) {
            r = 1;
        }
        if (r < minRtt) {
            minRtt = r;
        }
        if (srtt < 0) {
            srtt = r;
            rttvar = r / 2;
        } else {
            long err = Math.abs(srtt - r);
            rttvar = (3 * rttvar + err) / 4;
            srtt = (7 * srtt + r) / 8;
        }
        long candidate = srtt + Math.max(1000, 4 * rttvar);
        rto = Math.max(minRto, Math.min(maxRto, candidate));
    }

    /** Smoothed RTT, or -1 before the first sample. */
    long srtt() {
        return srtt;
    }

    /** RTT variance (meaningless before the first sample). */
    long rttvar() {
        return rttvar;
    }

    /** The smallest sample seen, or {@link #NO_SAMPLE}. */
    long minRtt() {
        return minRtt;
    }

    /** The timeout before backoff. */
    long baseRto() {
        return rto;
    }

    /** How many times the timeout has doubled since the last fresh sample. */
    int backoff() {
        return backoff;
    }

    /** A retransmission timeout fired: double the timeout (bounded). */
    void backOff() {
        if (backoff < 30) {
            backoff++;
        }
    }

    /** A fresh sample, or the peer proved alive: the backoff no longer applies. */
    void resetBackoff() {
        backoff = 0;
    }

    /** The retransmission timeout with the current backoff. */
    long currentRto() {
        return backedOff(backoff);
    }

    /** The base timeout doubled {@code steps} times, never above the ceiling (also the persist interval). */
    long backedOff(int steps) {
        long r = rto;
        for (int i = 0; i < steps && r < ceiling; i++) {
            r <<= 1;
        }
        return Math.min(r, ceiling);
    }
}
