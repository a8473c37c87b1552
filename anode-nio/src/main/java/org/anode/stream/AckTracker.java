package org.anode.stream;

/**
 * What one stream connection owes the peer in acknowledgements (draft 5.2.4 and 5.2.5,
 * DECISIONS 22): whether one is due now or may be delayed (every {@code ackEveryPackets} in-order
 * packets, or after the delayed-ACK time on the {@link TimerTable#ACK} timer), the duplicates seen
 * since the last one, and the ranges to send.
 *
 * <p>Acknowledgements are only ranges - there is no cumulative ACK - so the list always reports the
 * 255 most recent in-order numbers, every run held out of order, and every duplicate seen since the
 * last acknowledgement: a duplicate therefore always gets its own range, which resolves any lost
 * ACK. The list is built into one reused {@link AckRanges}, read by the sink during the send only.
 */
final class AckTracker {
    /** Most ranges an S_DACK carries (its acknowledgement part stays small beside the data). */
    static final int MAX_DACK_RANGES = 4;
    /** Duplicates remembered between acknowledgements; more are acknowledged by the in-order range. */
    static final int MAX_DUPLICATES = 8;

    private final TimerTable timers;
    private final int ackEvery;
    private final long delayedAck;
    private final int maxAckRanges;

    private int ackPending;
    private boolean ackNow;
    private final int[] dupSeqs = new int[MAX_DUPLICATES];
    private int dupCount;
    private AckRanges outRanges;

    AckTracker(TimerTable timers, int ackEveryPackets, long delayedAckNanos, int maxAckRanges) {
        this.timers = timers;
        this.ackEvery = ackEveryPackets;
        this.delayedAck = delayedAckNanos;
        this.maxAckRanges = maxAckRanges;
    }

    /** A packet we already had arrived again: acknowledge it at once, with its own range. */
    void noteDuplicate(int seq) {
        ackNow = true;
        ackPending++;
        for (int i = 0; i < dupCount; i++) {
            if (dupSeqs[i] == seq) {
                return;
            }
        }
        if (dupCount < dupSeqs.length) {
            dupSeqs[dupCount++] = seq;
        }
    }

    /** Something the peer must hear at once (a window update, a dropped packet). */
    void requestNow() {
        ackNow = true;
    }

    /** An in-order packet arrived; {@code urgent} when it must be acknowledged at once. */
    void onInOrder(long now, boolean urgent) {
        if (urgent) {
            ackNow = true;
        }
        ackPending++;
        if (ackPending >= ackEvery) {
            ackNow = true;
        } else if (!timers.isArmed(TimerTable.ACK)) {
            timers.set(TimerTable.ACK, now + delayedAck);
        }
    }

    /** A packet arrived ahead of a gap, or the peer's FIN: acknowledged at once. */
    void onImmediate() {
        ackPending++;
        ackNow = true;
    }

    /** True when packets arrived that no acknowledgement has covered yet. */
    boolean hasPending() {
        return ackPending > 0;
    }

    /** True when an acknowledgement would say something new (it may ride on data). */
    boolean pendingNow() {
        return ackNow || ackPending > 0;
    }

    /** True when a stand-alone acknowledgement must go out at {@code now}. */
    boolean due(long now) {
        return ackNow || (ackPending > 0 && timers.expired(TimerTable.ACK, now));
    }

    /** True when anything was received (or seen twice) since the last acknowledgement. */
    boolean holdsAnything() {
        return ackPending > 0 || dupCount > 0;
    }

    /** The delayed-ACK timer: a pending acknowledgement becomes due. */
    void onTimer(long now) {
        if (ackPending > 0 && timers.expired(TimerTable.ACK, now)) {
            ackNow = true;
        }
    }

    /** An acknowledgement went out (alone or on data): nothing is owed. */
    void onSent() {
        ackNow = false;
        ackPending = 0;
        timers.cancel(TimerTable.ACK);
        dupCount = 0;
    }

    /**
     * The opener's acknowledgement of the acceptor's ISN (addendum A5): the ranges of what was
     * received, plus {@code peerIsn}. With nothing received yet (the usual case) a one-pair list
     * for this packet only, so an idle connection does not keep a full acknowledgement list.
     */
    AckRanges isnAck(ReceiveBuffer rcv, int peerIsn) {
        AckRanges r;
        if (outRanges == null
                && rcv.inOrderTotal() == 0
                && rcv.heldOutOfOrder() == 0
                && dupCount == 0
                && !rcv.finKnown()) {
            r = new AckRanges(1);
        } else {
            r = build(Math.max(1, maxAckRanges - 1), rcv);
        }
        r.add(peerIsn, 1);
        return r;
    }

    /** The full list for a stand-alone S_ACK: at most {@code maxAckRanges} ranges. */
    AckRanges build(ReceiveBuffer rcv) {
        return build(maxAckRanges, rcv);
    }

    /**
     * Builds at most {@code max} ranges describing {@code rcv}: the in-order run (up to 255
     * numbers), the runs held out of order, the FIN if it is held, and the duplicates.
     */
    AckRanges build(int max, ReceiveBuffer rcv) {
        if (outRanges == null || outRanges.capacity() < maxAckRanges) {
            outRanges = new AckRanges(Math.max(maxAckRanges, MAX_DACK_RANGES + 1));
        }
        AckRanges r = outRanges;
        r.clear();
        int limit = Math.min(max, r.capacity());
        long inOrder = rcv.inOrderTotal();
        int next = rcv.next();
        if (inOrder > 0) {
            int c = (int) Math.min(AckRanges.MAX_COUNT, inOrder);
            addLimited(r, next - c, c, limit);
        }
        int held = rcv.heldOutOfOrder();
        boolean finHeld = rcv.finKnown() && !rcv.finReceived();
        if ((held > 0 || finHeld) && rcv.hasSlots()) {
            int top = held > 0 ? rcv.highestHeld() : next;
            int finSeq = rcv.finSeq();
            if (finHeld && finSeq - top > 0) {
                top = finSeq;
            }
            int runStart = 0;
            int runLen = 0;
            for (int s = next + 1; s - top <= 0 && r.size() < limit; s++) {
                boolean present = rcv.isHeld(s) || (finHeld && s == finSeq);
                if (present) {
                    if (runLen == 0) {
                        runStart = s;
                    }
                    runLen++;
                } else if (runLen > 0) {
                    addLimited(r, runStart, runLen, limit);
                    runLen = 0;
                }
            }
            if (runLen > 0) {
                addLimited(r, runStart, runLen, limit);
            }
        }
        for (int i = 0; i < dupCount; i++) {
            if (!r.contains(dupSeqs[i])) {
                addLimited(r, dupSeqs[i], 1, limit);
            }
        }
        return r;
    }

    private static void addLimited(AckRanges r, int first, int count, int limit) {
        while (count > 0 && r.size() < limit) {
            int before = r.size();
            int take = Math.min(count, AckRanges.MAX_COUNT);
            if (!r.add(first, take)) {
                return;
            }
            if (r.size() == before && r.size() >= limit) {
                return;
            }
            first += take;
            count -= take;
        }
    }
}
