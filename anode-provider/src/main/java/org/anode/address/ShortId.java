package org.anode.address;

import java.nio.ByteBuffer;

/**
 * An 8-byte short address identifier (draft 2.7, DECISIONS 5): AES-DIGEST of the 40-byte address,
 * first 8 bytes XOR last 8 bytes. Held as a big-endian {@code long} so that it is a cheap map key.
 *
 * @param value the 8 bytes as a big-endian long
 */
public record ShortId(long value) {
    /** Length on the wire. */
    public static final int LENGTH = 8;

    /**
     * Reads 8 bytes from {@code src} at its position, advancing it.
     *
     * @param src the buffer to read from
     * @return the short id
     */
    public static ShortId read(ByteBuffer src) {
        return new ShortId(src.getLong());
    }

    /**
     * Builds a short id from exactly 8 bytes.
     *
     * @param bytes the 8 bytes, big-endian
     * @return the short id
     */
    public static ShortId of(byte[] bytes) {
        if (bytes.length != LENGTH) {
            throw new IllegalArgumentException("a short id is 8 bytes, got " + bytes.length);
        }
        return new ShortId(ByteBuffer.wrap(bytes).getLong());
    }

    /**
     * Writes the 8 bytes at {@code dst}'s position, advancing it.
     *
     * @param dst the buffer to write to
     */
    public void writeTo(ByteBuffer dst) {
        dst.putLong(value);
    }

    /** {@return the 8 bytes, big-endian} */
    public byte[] toByteArray() {
        return ByteBuffer.allocate(LENGTH).putLong(value).array();
    }

    /** 16 lower-case hex digits. */
    @Override
    public String toString() {
        return String.format("%016x", value);
    }
}
