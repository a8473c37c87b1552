package org.anode.stream;

/**
 * NewReno congestion control (DECISIONS 25; selectable with {@link CongestionControl#NEW_RENO}), with RFC 5681 / 6582 semantics and the RFC 6675
 * "pipe" accounting that selective acknowledgements allow: slow start from an initial window,
 * additive increase of one packet per window acknowledged, one halving per loss episode (a loss of
 * a packet sent before the last reduction does not halve again), and a collapse to one packet on
 * timeout. The window does not grow while the sender is application- or window-limited.
 *
 * <p>NewReno rather than CUBIC as the loss-based option: on short, low-loss paths (loopback, LAN,
 * one relay hop) CUBIC's faster regrowth on long fat paths buys nothing, while NewReno is simple to
 * verify deterministically under the simulated network and TCP-friendly by construction. Being
 * loss-based, it reads random loss as congestion (its rate falls as 1/sqrt(loss)), which is why
 * {@link Bbr} is the default.
 * Sending is paced at 2x (slow start) or 1.25x (congestion avoidance) the window per smoothed RTT.
 */
final class NewReno implements CongestionController {
    /** Upper bound of the window, whatever the acknowledgements say. */
    static final long MAX_CWND = 64L << 20;

    private int maxPayload;
    private long cwnd;
    private long ssthresh = Long.MAX_VALUE;
    /** Bytes acknowledged in congestion avoidance since the last one-packet increase. */
    private long caAcc;

    private boolean fastRecovery;
    /** sndNxt at the last reduction: RFC 6582's "recover". */
    private int reductionPoint;

    private boolean reductionPointSet;

    NewReno(int initialWindowPackets, int maxPayload) {
        this.maxPayload = maxPayload;
        this.cwnd = (long) initialWindowPackets * maxPayload;
    }

    @Override
    public void onPacketSent(long now, int seq, int bytes, long inFlight, boolean retransmission) {
        // The window is driven by acknowledgements and losses only.
    }

    @Override
    public void onPacketAcked(long now, int seq, int bytes) {
        // NewReno counts acknowledged bytes per acknowledgement (onAck), not per packet.
    }

    @Override
    public void onApplicationLimited(long inFlight) {
        // Window growth is already held back while the flight is under half the window (onAck).
    }

    @Override
    public void onAck(
            long now, int sndUna, long ackedBytes, long priorInFlight, long inFlight, long rttSample, long minRtt) {
        if (fastRecovery) {
            if (sndUna - reductionPoint >= 0) {
                fastRecovery = false;
            } else {
                return;
            }
        }
        if (priorInFlight * 2 < cwnd) {
            // Application- or window-limited: growing cwnd now would not be validated by the path.
            return;
        }
        if (cwnd < ssthresh) {
            cwnd += ackedBytes;
        } else {
            caAcc += ackedBytes;
            if (caAcc >= cwnd) {
                caAcc -= cwnd;
                cwnd += maxPayload;
            }
        }
        if (cwnd > MAX_CWND) {
            cwnd = MAX_CWND;
        }
    }

    @Override
    public void onLoss(long now, int firstLost, int sndNxt, long inFlight) {
        if (reductionPointSet && firstLost - reductionPoint < 0) {
            // Sent before the last reduction: part of the episode already answered.
            return;
        }
        ssthresh = Math.max(cwnd / 2, 2L * maxPayload);
        cwnd = ssthresh;
        caAcc = 0;
        fastRecovery = true;
        reductionPoint = sndNxt;
        reductionPointSet = true;
    }

    @Override
    public void onRetransmissionTimeout(long now, int sndNxt, long priorInFlight) {
        ssthresh = Math.max(priorInFlight / 2, 2L * maxPayload);
        cwnd = maxPayload;
        caAcc = 0;
        fastRecovery = false;
        reductionPoint = sndNxt;
        reductionPointSet = true;
    }

    @Override
    public long window() {
        return cwnd;
    }

    /** The slow-start threshold ({@code Long.MAX_VALUE} until the first loss). */
    long slowStartThreshold() {
        return ssthresh;
    }

    @Override
    public boolean inRecovery() {
        return fastRecovery;
    }

    @Override
    public boolean pastRecoveryPoint(int sndUna) {
        return reductionPointSet && sndUna - reductionPoint >= 0;
    }

    @Override
    public long pacingIntervalNanos(int bytes, long srtt) {
        long gainPercent = cwnd < ssthresh ? 200 : 125;
        return (long) bytes * srtt * 100 / (Math.max(cwnd, maxPayload) * gainPercent);
    }

    @Override
    public long pacingRate(long srtt) {
        if (srtt <= 0) {
            return 0;
        }
        long gainPercent = cwnd < ssthresh ? 200 : 125;
        return Math.max(cwnd, maxPayload) * gainPercent / 100 * 1_000_000_000L / srtt;
    }

    @Override
    public void setMaxPayload(int bytes) {
        maxPayload = bytes;
    }

    @Override
    public String stateName() {
        return fastRecovery ? "recovery" : cwnd < ssthresh ? "slow_start" : "congestion_avoidance";
    }

    @Override
    public long allocatedBytes() {
        return 0;
    }

    @Override
    public void release() {
        // No per-packet state.
    }
}
