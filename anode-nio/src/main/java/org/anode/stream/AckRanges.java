package org.anode.stream;

import java.util.Arrays;

/**
 * A reusable list of S_ACK / S_DACK acknowledgement ranges (draft 5.2.4, DECISIONS 22): each pair
 * {@code (first, count)} acknowledges the {@code count} sequence numbers starting at {@code first},
 * with {@code count} in 1..255.
 *
 * <p>One instance is meant to be reused for every packet (no per-packet garbage): the glue fills an
 * instance with {@link #append} while decoding an incoming S_ACK and passes it to
 * {@link StreamConnection#onAck}; the core fills its own instance with the merging {@link #add} and
 * hands it to {@link StreamSink#sendAck}. The capacity is fixed at construction, so a peer can never
 * make it grow.
 */
public final class AckRanges {
    /** Largest count one pair can carry (8-bit field). */
    public static final int MAX_COUNT = 255;

    private final int[] firsts;
    private final int[] counts;
    private int size;

    /**
     * @param capacity the most pairs this list can hold (at least 1)
     */
    public AckRanges(int capacity) {
        if (capacity < 1) {
            throw new IllegalArgumentException("capacity must be at least 1: " + capacity);
        }
        firsts = new int[capacity];
        counts = new int[capacity];
    }

    /** Removes every pair. */
    public void clear() {
        size = 0;
    }

    /** Number of pairs. */
    public int size() {
        return size;
    }

    /** The most pairs this list can hold. */
    public int capacity() {
        return firsts.length;
    }

    /** True when no further pair fits. */
    public boolean isFull() {
        return size == firsts.length;
    }

    /** First sequence number of pair {@code i}. */
    public int first(int i) {
        checkIndex(i);
        return firsts[i];
    }

    /** Count (1..255) of pair {@code i}. */
    public int count(int i) {
        checkIndex(i);
        return counts[i];
    }

    /**
     * Appends one pair exactly as given, without merging: this is how a decoder copies the pairs of
     * an incoming packet.
     *
     * @return false (and nothing changes) when the list is full
     * @throws IllegalArgumentException if {@code count} is not in 1..255 (DECISIONS 22: a count of 0
     *         is invalid; a decoder should have dropped such a packet)
     */
    public boolean append(int first, int count) {
        if (count < 1 || count > MAX_COUNT) {
            throw new IllegalArgumentException("acknowledgement count must be 1..255: " + count);
        }
        if (size == firsts.length) {
            return false;
        }
        firsts[size] = first;
        counts[size] = count;
        size++;
        return true;
    }

    /**
     * Adds the {@code count} sequence numbers from {@code first}, merging with an existing pair
     * they overlap or touch when the merged pair still fits in 255, and splitting longer runs into
     * 255-long pairs. Numbers already covered are not repeated.
     *
     * @param count any positive number of sequence numbers
     * @return true when every number is now covered, false when the list filled up first
     */
    public boolean add(int first, int count) {
        if (count < 1) {
            throw new IllegalArgumentException("count must be positive: " + count);
        }
        int start = first;
        int remaining = count;
        while (remaining > 0) {
            // Skip numbers already covered by some pair: the caller may re-add a duplicate.
            int covered = coveredRunFrom(start, remaining);
            if (covered > 0) {
                start += covered;
                remaining -= covered;
                continue;
            }
            int take = Math.min(remaining, MAX_COUNT);
            // Only as far as the next covered number, so no pair overlaps another.
            take = Math.min(take, distanceToNextCovered(start, take));
            if (!mergeOrAppend(start, take)) {
                return false;
            }
            start += take;
            remaining -= take;
        }
        return true;
    }

    /** True when some pair acknowledges {@code seq}. */
    public boolean contains(int seq) {
        for (int i = 0; i < size; i++) {
            int off = seq - firsts[i];
            if (off >= 0 && off < counts[i]) {
                return true;
            }
        }
        return false;
    }

    /** Total number of sequence numbers acknowledged (pairs never overlap when built by add). */
    public int totalCount() {
        int n = 0;
        for (int i = 0; i < size; i++) {
            n += counts[i];
        }
        return n;
    }

    private int coveredRunFrom(int seq, int max) {
        for (int i = 0; i < size; i++) {
            int off = seq - firsts[i];
            if (off >= 0 && off < counts[i]) {
                return Math.min(counts[i] - off, max);
            }
        }
        return 0;
    }

    private int distanceToNextCovered(int seq, int max) {
        int best = max;
        for (int i = 0; i < size; i++) {
            int d = firsts[i] - seq;
            if (d > 0 && d < best) {
                best = d;
            }
        }
        return best;
    }

    private boolean mergeOrAppend(int start, int take) {
        for (int i = 0; i < size; i++) {
            int f = firsts[i];
            int c = counts[i];
            if (f + c == start && c + take <= MAX_COUNT) {
                counts[i] = c + take;
                return true;
            }
            if (start + take == f && c + take <= MAX_COUNT) {
                firsts[i] = start;
                counts[i] = c + take;
                return true;
            }
        }
        if (size == firsts.length) {
            return false;
        }
        firsts[size] = start;
        counts[size] = take;
        size++;
        return true;
    }

    private void checkIndex(int i) {
        if (i < 0 || i >= size) {
            throw new IndexOutOfBoundsException("range " + i + " of " + size);
        }
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder("[");
        for (int i = 0; i < size; i++) {
            if (i > 0) {
                sb.append(", ");
            }
            sb.append(Serial.unsigned(firsts[i])).append('+').append(counts[i]);
        }
        return sb.append(']').toString();
    }

    /** Copies the pairs into a new array of {@code [first, count]} rows (for tests and logging). */
    public int[][] toArray() {
        int[][] out = new int[size][];
        for (int i = 0; i < size; i++) {
            out[i] = new int[] {firsts[i], counts[i]};
        }
        return out;
    }

    @Override
    public boolean equals(Object o) {
        if (!(o instanceof AckRanges)) {
            return false;
        }
        AckRanges other = (AckRanges) o;
        return size == other.size
                && Arrays.equals(firsts, 0, size, other.firsts, 0, size)
                && Arrays.equals(counts, 0, size, other.counts, 0, size);
    }

    @Override
    public int hashCode() {
        int h = size;
        for (int i = 0; i < size; i++) {
            h = 31 * h + firsts[i];
            h = 31 * h + counts[i];
        }
        return h;
    }
}
