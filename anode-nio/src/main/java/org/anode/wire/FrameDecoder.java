package org.anode.wire;

import java.nio.ByteBuffer;

/**
 * Splits a TCP stream or HTTP body into packets (draft 2.9.2, 2.9.3, DECISIONS 14): each packet is
 * preceded by its length as a 16-bit big-endian integer. Bytes may arrive in any chunks; packets
 * come out whole.
 *
 * <p>A length shorter than the smallest possible packet header, or longer than the configured
 * maximum, cannot be a packet: the stream is then out of step and cannot be resynchronised, so the
 * decoder fails for good and the caller must close the connection. Memory is bounded: one buffer
 * of the maximum packet length, allocated once. Not thread-safe; one per connection.
 *
 * <pre>{@code
 * ByteBuffer p;
 * while ((p = decoder.next(chunk)) != null) { handle(p); }   // chunk fully consumed when null
 * }</pre>
 */
public final class FrameDecoder {
    /** The largest length a 16-bit prefix can express. */
    public static final int MAX_FRAME_LENGTH = 0xffff;

    private final int maxPacketLength;
    private final byte[] body;
    private final ByteBuffer out;
    private int prefixBytes;
    private int length;
    private int filled;
    private String failure;

    /** A decoder accepting packets up to 65535 bytes. */
    public FrameDecoder() {
        this(MAX_FRAME_LENGTH);
    }

    /**
     * A decoder accepting packets of {@link PacketFormat#MIN_HEADER_LENGTH} to
     * {@code maxPacketLength} bytes.
     */
    public FrameDecoder(int maxPacketLength) {
        if (maxPacketLength < PacketFormat.MIN_HEADER_LENGTH || maxPacketLength > MAX_FRAME_LENGTH) {
            throw new IllegalArgumentException("maximum packet length must be " + PacketFormat.MIN_HEADER_LENGTH + "-"
                    + MAX_FRAME_LENGTH + ", got " + maxPacketLength);
        }
        this.maxPacketLength = maxPacketLength;
        this.body = new byte[maxPacketLength];
        this.out = ByteBuffer.wrap(body);
    }

    /** The configured maximum packet length. */
    public int maxPacketLength() {
        return maxPacketLength;
    }

    /**
     * Consumes bytes from {@code in} (advancing its position) until one packet is complete and
     * returns it, or returns null once {@code in} is exhausted without completing one. The
     * returned buffer is this decoder's own, holding the packet in {@code [0, limit)}; it is valid
     * until the next call.
     *
     * @throws WireException if a length prefix cannot be a packet's, now or on any earlier call
     */
    public ByteBuffer next(ByteBuffer in) throws WireException {
        if (failure != null) {
            throw new WireException("frame decoder failed earlier (" + failure + "); the stream is out of step");
        }
        while (in.hasRemaining()) {
            if (prefixBytes < 2) {
                length = (length << 8) | (in.get() & 0xff);
                if (++prefixBytes == 2) {
                    checkLength();
                }
                continue;
            }
            int n = Math.min(in.remaining(), length - filled);
            in.get(body, filled, n);
            filled += n;
            if (filled == length) {
                break;
            }
        }
        if (prefixBytes == 2 && filled == length) {
            out.clear().limit(length);
            prefixBytes = 0;
            length = 0;
            filled = 0;
            return out;
        }
        return null;
    }

    private void checkLength() throws WireException {
        if (length < PacketFormat.MIN_HEADER_LENGTH) {
            failure = "frame length " + length + " is shorter than the " + PacketFormat.MIN_HEADER_LENGTH
                    + "-byte minimum packet";
        } else if (length > maxPacketLength) {
            failure = "frame length " + length + " exceeds the maximum packet length " + maxPacketLength;
        } else {
            return;
        }
        throw new WireException(failure);
    }

    /** True if no partial frame is buffered: the stream may end here cleanly. */
    public boolean atFrameBoundary() {
        return prefixBytes == 0 && failure == null;
    }

    /**
     * Declares the end of the input (an HTTP body, or a TCP stream's orderly close): fails if a
     * partial frame is left, since a truncated packet must not pass silently (DECISIONS 14).
     */
    public void endOfStream() throws WireException {
        if (failure != null) {
            throw new WireException("frame decoder failed earlier (" + failure + ")");
        }
        if (prefixBytes != 0) {
            throw new WireException(
                    prefixBytes < 2
                            ? "stream ended inside a length prefix"
                            : "stream ended inside a frame: " + filled + " of " + length + " bytes received");
        }
    }

    /** True once a bad length has been seen. */
    public boolean isFailed() {
        return failure != null;
    }

    /**
     * Writes {@code packet[position, limit)} to {@code dst} with its 16-bit length prefix,
     * advancing both. The length must be a possible packet length.
     */
    public static void writeFrame(ByteBuffer dst, ByteBuffer packet) {
        int len = packet.remaining();
        writeLengthPrefix(dst, len);
        dst.put(packet);
    }

    /** Writes just the 16-bit prefix for a packet of {@code length} bytes. */
    public static void writeLengthPrefix(ByteBuffer dst, int length) {
        if (length < PacketFormat.MIN_HEADER_LENGTH || length > MAX_FRAME_LENGTH) {
            throw new IllegalArgumentException("a framed packet is " + PacketFormat.MIN_HEADER_LENGTH + "-"
                    + MAX_FRAME_LENGTH + " bytes, got " + length);
        }
        dst.putShort((short) length);
    }
}
