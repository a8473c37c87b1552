package org.anode.stream;

/**
 * BBR congestion control, version 1 (draft-cardwell-iccrg-bbr-congestion-control-00, as in Linux's
 * {@code tcp_bbr.c}), behind {@link CongestionController} (DECISIONS 25: the draft has no congestion
 * control; {@link CongestionControl} selects this or {@link NewReno}).
 *
 * <p>The model: the bottleneck bandwidth is the maximum delivery rate sampled over the last ten
 * round trips (samples per draft-cheng-iccrg-delivery-rate-estimation, from per-packet delivery
 * state kept here), the propagation delay is the minimum RTT of the last ten seconds. Sending is
 * paced at a gain times the bandwidth, and the window is twice the bandwidth-delay product plus
 * a small allowance. States: STARTUP (gain 2/ln 2 until the bandwidth stops growing by 25% for three
 * rounds), DRAIN (the inverse gain until the queue made in STARTUP is gone), PROBE_BW (an eight-phase
 * gain cycle 1.25, 0.75, 1 x 6, one minimum RTT each), and PROBE_RTT (four packets for 200 ms and a
 * round when the minimum RTT is ten seconds old).
 *
 * <p>Why version 1 and not 2 or 3: the paths this must hold up on lose packets at random (1-10%,
 * radio links, overloaded relays), and BBRv2/v3 read a loss rate above 2% in a round as a sign of a
 * full queue and cap the flight ({@code inflight_hi}) - with random loss above that threshold they
 * shrink the rate much like a loss-based controller. Version 1 responds to loss only by packet
 * conservation during the first round of recovery and restores its window when recovery ends, so
 * its rate follows the measured bandwidth; on a real overload its window of twice the
 * bandwidth-delay product bounds the queue it can build. The cost, known from deployment, is that
 * competing with loss-based flows over a shallow buffer it takes more than a fair share; the
 * selectable {@link NewReno} remains for paths where that matters.
 *
 * <p>Per-packet state lives in primitive rings indexed by sequence number that grow on demand (to
 * the span of packets outstanding) and are released with the connection's other buffers.
 */
final class Bbr implements CongestionController {
    static final int STARTUP = 0;
    static final int DRAIN = 1;
    static final int PROBE_BW = 2;
    static final int PROBE_RTT = 3;

    private static final double HIGH_GAIN = 2.885;
    private static final double DRAIN_GAIN = 1 / HIGH_GAIN;
    private static final double CWND_GAIN = 2.0;
    private static final double[] PACING_GAINS = {1.25, 0.75, 1, 1, 1, 1, 1, 1};
    private static final int BW_WINDOW_ROUNDS = 10;
    private static final long MIN_RTT_WINDOW = 10_000_000_000L;
    private static final long PROBE_RTT_DURATION = 200_000_000L;
    private static final int MIN_CWND_PACKETS = 4;
    /** The shortest RTT the bandwidth-delay product is computed with (see {@link #bdp}). */
    private static final long MIN_BDP_RTT = 1_000_000L;
    /** Pace a little below the estimate (Linux: 1%) so the queue drains on average. */
    private static final double PACING_MARGIN = 0.99;

    private static final int INITIAL_SLOTS = 32;
    private static final int MAX_SLOTS = 1 << 16;

    private int maxPayload;
    private final long initialCwnd;
    private long cwnd;
    private int state = STARTUP;
    private double pacingGain = HIGH_GAIN;
    private double cwndGain = HIGH_GAIN;
    /** Bytes per second; 0 until the first rate is known (then derived from the initial window). */
    private long pacingRate;

    // ---- delivery-rate estimation: connection state ----
    private long delivered;
    private long deliveredTime;
    private long firstSentTime;
    /** Non-zero while application-limited: the {@code delivered} count at which that ends. */
    private long appLimitedUntil;

    // ---- delivery-rate estimation: per packet, indexed by sequence number ----
    private long[] pDelivered;
    private long[] pDeliveredTime;
    private long[] pFirstSent;
    private long[] pSent;
    private boolean[] pAppLimited;
    private int slots;
    /** The oldest sequence number that may still be acknowledged (the last sndUna seen). */
    private int base;

    private boolean baseSet;
    /** One past the newest sequence number recorded. */
    private int top;

    // ---- the rate sample of the acknowledgement being processed ----
    private boolean rsValid;
    private long rsPriorDelivered;
    private long rsPriorTime;
    private long rsSendElapsed;
    private long rsAckElapsed;
    private long rsNewestSent;
    private boolean rsAppLimited;

    // ---- the model ----
    private final long[] bwRounds = new long[BW_WINDOW_ROUNDS];
    private long btlBw;
    private long roundCount;
    private long nextRoundDelivered;
    private boolean roundStart;
    private long minRtt = RttEstimator.NO_SAMPLE;
    private long minRttStamp;
    private long fullBw;
    private int fullBwCount;
    private boolean filledPipe;
    private int cycleIndex;
    private long cycleStamp;
    private long probeRttDoneStamp;
    private boolean probeRttRoundDone;
    private boolean idleRestart;
    private long priorCwnd;

    // ---- loss episodes ----
    private boolean inRecovery;
    private boolean conservation;
    private int recoveryPoint;
    private boolean recoveryPointSet;
    private boolean lossInRound;

    /**
     * @param initialWindowPackets the initial window
     * @param cycleStart where the PROBE_BW gain cycle starts (any int; taken modulo the cycle, never
     *        on the draining phase), so that flows sharing a bottleneck do not probe in lockstep
     */
    Bbr(int initialWindowPackets, int maxPayload, int cycleStart) {
        this.maxPayload = maxPayload;
        this.initialCwnd = (long) initialWindowPackets * maxPayload;
        this.cwnd = initialCwnd;
        int c = Math.floorMod(cycleStart, PACING_GAINS.length - 1);
        this.cycleIndex = c == 0 ? 0 : c + 1;
    }

    // =====================================================================================
    // Events
    // =====================================================================================

    @Override
    public void onPacketSent(long now, int seq, int bytes, long inFlight, boolean retransmission) {
        if (inFlight - bytes <= 0) {
            // Nothing was in flight: the delivery-rate interval starts now.
            firstSentTime = now;
            deliveredTime = now;
            if (appLimitedUntil != 0) {
                // Restarting after idle: pace at the estimated rate, not a probing gain.
                idleRestart = true;
                if (state == PROBE_BW) {
                    setPacingRate(1.0);
                }
            }
        }
        if (!baseSet) {
            base = seq;
            top = seq;
            baseSet = true;
        }
        if (seq - top >= 0) {
            top = seq + 1;
        }
        if (bytes == 0) {
            // A FIN delivers nothing: it yields no rate sample, and a FIN alone allocates nothing.
            return;
        }
        if (!ensureSlot()) {
            return;
        }
        int i = seq & (slots - 1);
        pDelivered[i] = delivered;
        pDeliveredTime[i] = deliveredTime;
        pFirstSent[i] = firstSentTime;
        pSent[i] = now;
        pAppLimited[i] = appLimitedUntil != 0;
    }

    /** Grows the per-packet rings to cover {@code base .. top}; false if that span is too long. */
    private boolean ensureSlot() {
        int span = top - base;
        if (span <= 0 || span > MAX_SLOTS) {
            return false;
        }
        if (pDelivered != null && span <= slots) {
            return true;
        }
        int n = pDelivered == null ? INITIAL_SLOTS : slots;
        while (n < span) {
            n <<= 1;
        }
        long[] d = new long[n];
        long[] dt = new long[n];
        long[] fs = new long[n];
        long[] st = new long[n];
        boolean[] al = new boolean[n];
        if (pDelivered != null) {
            int om = slots - 1;
            int nm = n - 1;
            for (int s = base; s != top - 1; s++) {
                d[s & nm] = pDelivered[s & om];
                dt[s & nm] = pDeliveredTime[s & om];
                fs[s & nm] = pFirstSent[s & om];
                st[s & nm] = pSent[s & om];
                al[s & nm] = pAppLimited[s & om];
            }
        }
        pDelivered = d;
        pDeliveredTime = dt;
        pFirstSent = fs;
        pSent = st;
        pAppLimited = al;
        slots = n;
        return true;
    }

    @Override
    public void onPacketAcked(long now, int seq, int bytes) {
        delivered += bytes;
        deliveredTime = now;
        if (bytes == 0 || pDelivered == null || seq - base < 0 || seq - top >= 0) {
            return;
        }
        int i = seq & (slots - 1);
        long pd = pDelivered[i];
        long ps = pSent[i];
        if (!rsValid || pd > rsPriorDelivered || (pd == rsPriorDelivered && ps - rsNewestSent > 0)) {
            rsValid = true;
            rsPriorDelivered = pd;
            rsPriorTime = pDeliveredTime[i];
            rsAppLimited = pAppLimited[i];
            rsSendElapsed = ps - pFirstSent[i];
            rsAckElapsed = now - rsPriorTime;
            rsNewestSent = ps;
            firstSentTime = ps;
        }
    }

    @Override
    public void onApplicationLimited(long inFlight) {
        appLimitedUntil = Math.max(1, delivered + inFlight);
    }

    @Override
    public void onAck(
            long now, int sndUna, long ackedBytes, long priorInFlight, long inFlight, long rttSample, long minRttSeen) {
        if (baseSet && sndUna - base > 0) {
            base = sndUna;
        }
        if (appLimitedUntil != 0 && delivered > appLimitedUntil) {
            appLimitedUntil = 0;
        }
        if (ackedBytes > 0) {
            idleRestart = false;
        }
        roundStart = false;
        long sampleBw = -1;
        if (rsValid) {
            if (rsPriorDelivered >= nextRoundDelivered) {
                nextRoundDelivered = delivered;
                roundCount++;
                roundStart = true;
                conservation = false;
                lossInRound = false;
                bwRounds[(int) (roundCount % BW_WINDOW_ROUNDS)] = 0;
            }
            long interval = Math.max(rsSendElapsed, rsAckElapsed);
            long sampleDelivered = delivered - rsPriorDelivered;
            if (interval > 0 && sampleDelivered > 0 && (minRtt == RttEstimator.NO_SAMPLE || interval >= minRtt)) {
                sampleBw = (long) (sampleDelivered * 1e9 / interval);
            }
        }
        boolean sampleAppLimited = rsAppLimited;
        rsValid = false;
        if (sampleBw > 0 && (!sampleAppLimited || sampleBw >= btlBw)) {
            int slot = (int) (roundCount % BW_WINDOW_ROUNDS);
            if (sampleBw > bwRounds[slot]) {
                bwRounds[slot] = sampleBw;
            }
            long max = 0;
            for (long b : bwRounds) {
                max = Math.max(max, b);
            }
            btlBw = max;
        }
        updateMinRtt(now, rttSample, inFlight);
        if (inRecovery && recoveryPointSet && sndUna - recoveryPoint >= 0) {
            // The episode is over: BBR's window does not keep a loss-based reduction.
            inRecovery = false;
            conservation = false;
            cwnd = Math.max(cwnd, priorCwnd);
        }
        checkFullPipe(sampleAppLimited);
        if (state == STARTUP && filledPipe) {
            state = DRAIN;
            pacingGain = DRAIN_GAIN;
            cwndGain = HIGH_GAIN;
        }
        if (state == DRAIN && inFlight <= bdp(1.0)) {
            enterProbeBw(now);
        }
        if (state == PROBE_BW) {
            advanceCycle(now, priorInFlight, inFlight);
        }
        if (state == PROBE_RTT) {
            handleProbeRtt(now, inFlight);
        }
        setPacingRate(pacingGain);
        setCwnd(ackedBytes, inFlight);
    }

    private void updateMinRtt(long now, long rttSample, long inFlight) {
        boolean expired = minRtt != RttEstimator.NO_SAMPLE && now - minRttStamp > MIN_RTT_WINDOW;
        if (rttSample > 0 && (rttSample < minRtt || expired)) {
            minRtt = rttSample;
            minRttStamp = now;
        }
        if (expired && !idleRestart && state != PROBE_RTT) {
            priorCwnd = savedCwnd();
            state = PROBE_RTT;
            pacingGain = 1.0;
            cwndGain = 1.0;
            probeRttDoneStamp = 0;
        }
    }

    private void handleProbeRtt(long now, long inFlight) {
        if (probeRttDoneStamp == 0 && inFlight <= (long) MIN_CWND_PACKETS * maxPayload) {
            probeRttDoneStamp = now + PROBE_RTT_DURATION;
            probeRttRoundDone = false;
            nextRoundDelivered = delivered;
        } else if (probeRttDoneStamp != 0) {
            if (roundStart) {
                probeRttRoundDone = true;
            }
            if (probeRttRoundDone && now - probeRttDoneStamp >= 0) {
                minRttStamp = now;
                cwnd = Math.max(cwnd, priorCwnd);
                if (filledPipe) {
                    enterProbeBw(now);
                } else {
                    state = STARTUP;
                    pacingGain = HIGH_GAIN;
                    cwndGain = HIGH_GAIN;
                }
            }
        }
    }

    private void checkFullPipe(boolean appLimited) {
        if (filledPipe || !roundStart || appLimited) {
            return;
        }
        if (btlBw >= fullBw + fullBw / 4) {
            fullBw = btlBw;
            fullBwCount = 0;
            return;
        }
        if (++fullBwCount >= 3) {
            filledPipe = true;
        }
    }

    private void enterProbeBw(long now) {
        state = PROBE_BW;
        cwndGain = CWND_GAIN;
        cycleStamp = now;
        pacingGain = PACING_GAINS[cycleIndex];
    }

    private void advanceCycle(long now, long priorInFlight, long inFlight) {
        boolean elapsed = minRtt != RttEstimator.NO_SAMPLE && now - cycleStamp > minRtt;
        double g = PACING_GAINS[cycleIndex];
        boolean next;
        if (g > 1) {
            // Probe until the flight really reached the probing level (or loss says it cannot).
            next = elapsed && (lossInRound || priorInFlight >= bdp(g));
        } else if (g < 1) {
            next = elapsed || inFlight <= bdp(1.0);
        } else {
            next = elapsed;
        }
        if (next) {
            cycleIndex = (cycleIndex + 1) % PACING_GAINS.length;
            cycleStamp = now;
            pacingGain = PACING_GAINS[cycleIndex];
        }
    }

    private long bdp(double gain) {
        if (btlBw == 0 || minRtt == RttEstimator.NO_SAMPLE) {
            return initialCwnd;
        }
        // Acknowledgements come in batches of up to a timer quantum (the event loop, the pacer's
        // burst, delayed acknowledgements): on a path whose RTT is shorter than that, a window of
        // twice bandwidth x RTT would idle the sender between batches (the role BBRv2's
        // aggregation allowance plays). So the product never uses less than a millisecond.
        return (long) (gain * btlBw * Math.max(minRtt, MIN_BDP_RTT) / 1e9);
    }

    private void setPacingRate(double gain) {
        if (btlBw == 0) {
            return;
        }
        long rate = (long) (gain * btlBw * PACING_MARGIN);
        if (minRtt != RttEstimator.NO_SAMPLE) {
            // Never below the minimum window per round trip, and in STARTUP never below the
            // initial window's rate (as Linux starts from cwnd / srtt): a first sample from a
            // one-byte write must not pace the transfer that follows at bytes per second.
            long floor = (long) ((double) MIN_CWND_PACKETS * maxPayload * 1e9 / minRtt);
            if (!filledPipe) {
                floor = Math.max(floor, (long) (HIGH_GAIN * initialCwnd * 1e9 / minRtt));
            }
            rate = Math.max(rate, floor);
        }
        if (filledPipe || rate > pacingRate) {
            pacingRate = rate;
        }
    }

    private void setCwnd(long acked, long inFlight) {
        long target = bdp(cwndGain) + 3L * maxPayload;
        if (state == PROBE_BW && cycleIndex == 0) {
            target += 2L * maxPayload;
        }
        if (conservation) {
            cwnd = Math.max(cwnd, inFlight + acked);
        } else if (filledPipe) {
            cwnd = Math.min(cwnd + acked, target);
        } else if (cwnd < target || delivered < initialCwnd) {
            cwnd += acked;
        }
        long floor = (long) MIN_CWND_PACKETS * maxPayload;
        if (cwnd < floor) {
            cwnd = floor;
        }
        if (state == PROBE_RTT && cwnd > floor) {
            cwnd = floor;
        }
        if (cwnd > NewReno.MAX_CWND) {
            cwnd = NewReno.MAX_CWND;
        }
    }

    private long savedCwnd() {
        if (!inRecovery && state != PROBE_RTT) {
            return cwnd;
        }
        return Math.max(priorCwnd, cwnd);
    }

    @Override
    public void onLoss(long now, int firstLost, int sndNxt, long inFlight) {
        lossInRound = true;
        if (inRecovery || (recoveryPointSet && firstLost - recoveryPoint < 0)) {
            return;
        }
        // Packet conservation for the first round of the episode: send one packet per packet
        // delivered, then grow back towards the model's window.
        priorCwnd = savedCwnd();
        cwnd = Math.max(inFlight + maxPayload, (long) MIN_CWND_PACKETS * maxPayload);
        inRecovery = true;
        conservation = true;
        recoveryPoint = sndNxt;
        recoveryPointSet = true;
        nextRoundDelivered = delivered;
    }

    @Override
    public void onRetransmissionTimeout(long now, int sndNxt, long priorInFlight) {
        priorCwnd = savedCwnd();
        cwnd = maxPayload;
        inRecovery = true;
        conservation = false;
        recoveryPoint = sndNxt;
        recoveryPointSet = true;
        lossInRound = true;
        // Everything in flight was written off; what remains is measured afresh.
        nextRoundDelivered = delivered;
        fullBw = 0;
        fullBwCount = 0;
    }

    // =====================================================================================
    // Answers
    // =====================================================================================

    @Override
    public long window() {
        return cwnd;
    }

    @Override
    public boolean inRecovery() {
        return inRecovery;
    }

    @Override
    public boolean pastRecoveryPoint(int sndUna) {
        return recoveryPointSet && sndUna - recoveryPoint >= 0;
    }

    @Override
    public long pacingIntervalNanos(int bytes, long srtt) {
        long rate = pacingRate;
        if (rate <= 0) {
            // No bandwidth sample yet: the initial window over the RTT, at the startup gain.
            rate = Math.max(1, (long) (HIGH_GAIN * initialCwnd * 1e9 / srtt));
        }
        return (long) (bytes * 1e9 / rate);
    }

    @Override
    public long pacingRate(long srtt) {
        if (pacingRate > 0 || srtt <= 0) {
            return pacingRate;
        }
        return (long) (HIGH_GAIN * initialCwnd * 1e9 / srtt);
    }

    @Override
    public void setMaxPayload(int bytes) {
        maxPayload = bytes;
    }

    @Override
    public String stateName() {
        switch (state) {
            case STARTUP:
                return "startup";
            case DRAIN:
                return "drain";
            case PROBE_BW:
                return "probe_bw";
            default:
                return "probe_rtt";
        }
    }

    @Override
    public long allocatedBytes() {
        return pDelivered == null ? 0 : (long) slots * 33;
    }

    @Override
    public void release() {
        pDelivered = null;
        pDeliveredTime = null;
        pFirstSent = null;
        pSent = null;
        pAppLimited = null;
        slots = 0;
    }

    // ---- for tests and the trace ----

    int state() {
        return state;
    }

    long bottleneckBandwidth() {
        return btlBw;
    }

    long minRtt() {
        return minRtt;
    }

    boolean filledPipe() {
        return filledPipe;
    }
}
