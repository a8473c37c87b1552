package org.anode.stream;

/**
 * Serial-number arithmetic on 32-bit sequence numbers (RFC 1982), as the stream protocol's
 * per-packet sequence numbers wrap at 2^32 (draft 5.2.3, DECISIONS 21).
 *
 * <p>Sequence numbers are carried in Java {@code int}s holding the unsigned 32-bit value. Two numbers
 * are comparable when they are less than 2^31 apart; the protocol keeps every window far below that,
 * so the signed difference {@code a - b} gives the order directly (RFC 1982 leaves a distance of
 * exactly 2^31 undefined: here each number then compares as before the other; the core never
 * compares numbers that far apart, as its windows are bounded far below).
 */
public final class Serial {
    private Serial() {}

    /** Signed distance from {@code b} to {@code a}: positive when {@code a} is after {@code b}. */
    public static int diff(int a, int b) {
        return a - b;
    }

    /** True when {@code a} precedes {@code b}. */
    public static boolean lt(int a, int b) {
        return a - b < 0;
    }

    /** True when {@code a} precedes or equals {@code b}. */
    public static boolean le(int a, int b) {
        return a - b <= 0;
    }

    /** True when {@code a} follows {@code b}. */
    public static boolean gt(int a, int b) {
        return a - b > 0;
    }

    /** True when {@code a} follows or equals {@code b}. */
    public static boolean ge(int a, int b) {
        return a - b >= 0;
    }

    /** {@code a + n} modulo 2^32 (Java int overflow is exactly that). */
    public static int add(int a, int n) {
        return a + n;
    }

    /** The later of two sequence numbers. */
    public static int max(int a, int b) {
        return a - b >= 0 ? a : b;
    }

    /** The unsigned value of a sequence number, for logging and wire encoders. */
    public static long unsigned(int a) {
        return a & 0xFFFF_FFFFL;
    }
}
