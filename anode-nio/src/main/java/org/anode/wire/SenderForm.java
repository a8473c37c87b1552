package org.anode.wire;

/**
 * How to write the sender address (draft 3.2): a peer must send its full address until the
 * recipient has answered, and may then send its short id, an assumption that times out after
 * 60 seconds without an answer. The engine keeps one "last answer" timestamp per peer and asks
 * {@link #choose} for every packet, so the rule lives here and cannot be forgotten there.
 */
public enum SenderForm {
    /** Full 40-byte address, flag 0x01. */
    FULL,
    /** 8-byte short id, no flag. */
    SHORT;

    /** The recommended timeout of draft 3.2. */
    public static final long ANSWER_TIMEOUT_NANOS = 60_000_000_000L;

    /** Value of "last answer" for a peer that has never answered. */
    public static final long NEVER_ANSWERED = Long.MIN_VALUE;

    /**
     * The form for the next packet to a peer.
     *
     * @param lastAnswerNanos {@link System#nanoTime()} when the peer last sent us an authenticated
     *     packet, or {@link #NEVER_ANSWERED}
     * @param nowNanos {@link System#nanoTime()} now
     */
    public static SenderForm choose(long lastAnswerNanos, long nowNanos) {
        if (lastAnswerNanos == NEVER_ANSWERED) {
            return FULL;
        }
        // Difference, not comparison, so nanoTime wrap-around is harmless; a "future" answer
        // (clock misuse) is treated as stale, which errs on the side of the full address.
        long age = nowNanos - lastAnswerNanos;
        return age >= 0 && age < ANSWER_TIMEOUT_NANOS ? SHORT : FULL;
    }

    /** The header flag bit this form sets (0x01 or 0). */
    public int flag() {
        return this == FULL ? PacketFormat.FLAG_SENDER_FULL : 0;
    }
}
