package org.anode.wire;

import java.nio.ByteBuffer;

/**
 * One acknowledgement of S_ACK / S_DACK (draft 5.2.4, DECISIONS 22): {@code count} consecutive
 * sequence numbers starting at {@code first} ("1, 4" acknowledges 1, 2, 3 and 4). Sequence
 * numbers wrap modulo 2^32.
 *
 * @param first the first acknowledged sequence number (unsigned 32-bit)
 * @param count how many, 1-255 (0 is invalid)
 */
public record AckRange(int first, int count) {
    public AckRange {
        if (count < 1 || count > 255) {
            throw new IllegalArgumentException("an acknowledgement range counts 1-255 sequence numbers, got " + count);
        }
    }

    /** The last acknowledged sequence number, {@code first + count - 1} modulo 2^32. */
    public int last() {
        return first + count - 1;
    }

    /** True if {@code seq} is one of the acknowledged numbers (modular, so ranges may wrap). */
    public boolean contains(int seq) {
        return Integer.compareUnsigned(seq - first, count) < 0;
    }

    /** Writes the 5 bytes at {@code dst}'s position. */
    public void writeTo(ByteBuffer dst) {
        MessageFields.writeAckRange(dst, first, count);
    }

    @Override
    public String toString() {
        return "AckRange[" + Integer.toUnsignedString(first) + "+" + count + "]";
    }
}
