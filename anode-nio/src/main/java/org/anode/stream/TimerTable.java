package org.anode.stream;

/**
 * The deadlines of one stream connection (draft section 5), one array slot per timer kind instead
 * of a field each: the connection's {@link StreamConnection#nextTimeoutNanos()} is the earliest of
 * the armed ones that matter in its state, and the glue keeps that single deadline in its node-wide
 * timer heap. {@link #NONE} means not armed; comparing {@code now >= get(kind)} is false for it.
 */
final class TimerTable {
    static final long NONE = Long.MAX_VALUE;

    /** Retransmission timeout (RFC 6298). */
    static final int RTO = 0;
    /** RACK reordering window of the oldest packet not yet judged lost (RFC 8985). */
    static final int REORDER = 1;
    /** Tail loss probe (RFC 8985 section 7). */
    static final int TLP = 2;
    /** Delayed acknowledgement. */
    static final int ACK = 3;
    /** Zero-window probe (DECISIONS 24). */
    static final int PERSIST = 4;
    /** The peer's time to close its side once everything we sent is acknowledged (DECISIONS 26). */
    static final int CLOSE = 5;
    /** Linger after both closes, answering the peer's retransmissions (DECISIONS 26). */
    static final int TIME_WAIT = 6;
    /** Opener: the connect timeout (draft 5.2.1). */
    static final int CONNECT = 7;
    /** Either side: repeat our S_OPEN (draft 5.2.1, addendum A5). */
    static final int OPEN_RETX = 8;
    /** Acceptor: give up an unconfirmed connection (addendum A5). */
    static final int CONFIRM = 9;

    static final int COUNT = 10;

    private final long[] at = new long[COUNT];

    TimerTable() {
        cancelAll();
    }

    long get(int kind) {
        return at[kind];
    }

    void set(int kind, long deadline) {
        at[kind] = deadline;
    }

    void cancel(int kind) {
        at[kind] = NONE;
    }

    boolean isArmed(int kind) {
        return at[kind] != NONE;
    }

    /** True when {@code kind} is armed and due at {@code now}. */
    boolean expired(int kind, long now) {
        return now >= at[kind];
    }

    void cancelAll() {
        java.util.Arrays.fill(at, NONE);
    }

    /** The earliest deadline among the kinds whose bit ({@code 1 << kind}) is set in {@code kinds}. */
    long earliest(int kinds) {
        long t = NONE;
        for (int k = 0; k < COUNT; k++) {
            if ((kinds & (1 << k)) != 0 && at[k] < t) {
                t = at[k];
            }
        }
        return t;
    }
}
