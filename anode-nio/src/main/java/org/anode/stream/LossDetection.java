package org.anode.stream;

/**
 * Fast loss detection for one stream connection (DECISIONS 22 and 25: acknowledgements are only
 * ranges, so there is no cumulative ACK to count duplicates of). RACK-style time-based detection
 * (RFC 8985): a packet is lost once a packet <em>sent after it</em> has been acknowledged and a
 * reordering window has passed - a quarter of the minimum RTT, widened each time a retransmission
 * proves spurious, never above the smoothed RTT - so that reordering does not cause retransmission
 * storms. A tail loss probe (RFC 8985 section 7) after about two RTTs of silence lets RACK find
 * losses at the end of a flight without waiting for the retransmission timeout.
 *
 * <p>The packets themselves are the {@link SendBuffer}'s; this part keeps the RACK state (the send
 * time and RTT of the most recently sent packet acknowledged, the highest number acknowledged),
 * the probe state, and arms the {@link TimerTable#REORDER} and {@link TimerTable#TLP} timers.
 */
final class LossDetection {
    private final TimerTable timers;
    /** The peer's delayed-acknowledgement allowance: a lone packet's probe waits for it. */
    private final long delayedAck;

    private long rackXmitTime = Long.MIN_VALUE;
    private long rackRtt;
    /** The reordering window in quarters of the minimum RTT. */
    private int reoMult = 1;

    private int highestAcked;
    private boolean anyAcked;
    private boolean tlpDue;
    private boolean tlpOutstanding;
    /** After a timeout, until everything then in flight is acknowledged: no probes. */
    private boolean rtoRecovery;

    LossDetection(TimerTable timers, long delayedAckNanos) {
        this.timers = timers;
        this.delayedAck = delayedAckNanos;
    }

    /**
     * Packet {@code seq}, with flags {@code flags} and last sent at {@code sent}, was newly
     * acknowledged {@code sample} after that.
     */
    void onAcked(int seq, byte flags, long sent, long sample, long minRtt) {
        boolean ambiguous = (flags & SendBuffer.F_RETX) != 0;
        if (ambiguous
                && (flags & SendBuffer.F_TLP) == 0
                && minRtt != RttEstimator.NO_SAMPLE
                && sample < minRtt / 2 + 1) {
            // The original transmission was acknowledged: the retransmission was spurious.
            if (reoMult < 8) {
                reoMult++;
            }
        } else if (sent > rackXmitTime) {
            rackXmitTime = sent;
            rackRtt = sample;
        }
        if (!anyAcked || seq - highestAcked > 0) {
            highestAcked = seq;
            anyAcked = true;
        }
    }

    /**
     * Marks lost every packet below the highest acknowledged one whose reordering window has
     * passed, tells {@code cc} of the loss, and arms the reordering timer for the earliest packet
     * still waiting.
     */
    void detect(long now, SendBuffer snd, RttEstimator rtt, CongestionController cc) {
        timers.cancel(TimerTable.REORDER);
        if (!anyAcked || !snd.hasRecords() || rackXmitTime == Long.MIN_VALUE) {
            return;
        }
        long minRtt = rtt.minRtt();
        long srtt = rtt.srtt();
        long reoWnd = minRtt == RttEstimator.NO_SAMPLE ? 0 : (minRtt / 4) * reoMult;
        if (srtt > 0 && reoWnd > srtt) {
            reoWnd = srtt;
        }
        if (snd.allAcked() || highestAcked - snd.una() < 0) {
            return;
        }
        int end = highestAcked + 1;
        boolean lossSeen = false;
        int firstLost = 0;
        for (int s = snd.una(); s != end; s++) {
            if ((snd.flags(s) & (SendBuffer.F_ACKED | SendBuffer.F_LOST)) != 0) {
                continue;
            }
            long sent = snd.sentAt(s);
            if (sent > rackXmitTime) {
                continue;
            }
            long deadline = sent + rackRtt + reoWnd;
            if (now >= deadline) {
                snd.markLost(s);
                if (!lossSeen) {
                    lossSeen = true;
                    firstLost = s;
                }
            } else if (deadline < timers.get(TimerTable.REORDER)) {
                timers.set(TimerTable.REORDER, deadline);
            }
        }
        if (lossSeen) {
            cc.onLoss(now, firstLost, snd.nxt(), snd.inFlight());
        }
    }

    /** An acknowledgement that acknowledged something was processed (after {@link #detect}). */
    void onAckProcessed(int sndUna, CongestionController cc) {
        tlpOutstanding = false;
        if (rtoRecovery && cc.pastRecoveryPoint(sndUna)) {
            rtoRecovery = false;
        }
    }

    /**
     * Arms the tail loss probe after packets left or an acknowledgement arrived: two smoothed RTTs
     * (plus the delayed-ACK allowance for a lone packet), unless the retransmission timeout comes
     * first. Only in the open state: during recovery the timeout and RACK are already at work.
     */
    void armTailProbe(long now, SendBuffer snd, long srtt, CongestionController cc) {
        if (srtt <= 0 || snd.allAcked() || snd.lostCount() > 0 || tlpOutstanding || rtoRecovery) {
            timers.cancel(TimerTable.TLP);
            return;
        }
        long pto = 2 * srtt;
        if (snd.nxt() - snd.una() == 1) {
            // A lone packet may be waiting for the peer's delayed acknowledgement.
            pto += delayedAck;
        }
        pto = Math.max(pto, 1_000_000L);
        long at = now + pto;
        timers.set(
                TimerTable.TLP,
                (timers.isArmed(TimerTable.RTO) && at >= timers.get(TimerTable.RTO)) ? TimerTable.NONE : at);
    }

    /** Runs the reordering and probe timers due at {@code now}. */
    void onTimer(long now, SendBuffer snd, RttEstimator rtt, CongestionController cc) {
        if (timers.expired(TimerTable.REORDER, now)) {
            detect(now, snd, rtt, cc);
        }
        if (timers.expired(TimerTable.TLP, now)) {
            timers.cancel(TimerTable.TLP);
            tlpDue = true;
        }
    }

    /** True when a tail loss probe should go out on the next transmit; clears the request. */
    boolean takeTailProbe() {
        boolean due = tlpDue;
        tlpDue = false;
        return due;
    }

    boolean isTailProbeDue() {
        return tlpDue;
    }

    /** The probe went out: no other until an acknowledgement arrives. */
    void onTailProbeSent() {
        tlpOutstanding = true;
    }

    /** The retransmission timeout fired: RACK and probes stand down until it is recovered. */
    void onRetransmissionTimeout() {
        timers.cancel(TimerTable.REORDER);
        timers.cancel(TimerTable.TLP);
        tlpDue = false;
        tlpOutstanding = false;
        rtoRecovery = true;
    }

    /** The reordering window in quarters of the minimum RTT (1 to 8). */
    int reorderMultiplier() {
        return reoMult;
    }
}
