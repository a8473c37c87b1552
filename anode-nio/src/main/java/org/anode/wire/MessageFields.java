package org.anode.wire;

import java.nio.ByteBuffer;

/**
 * Allocation-free access to message fields in place (draft 4.2 and 5.2): the layouts as offsets,
 * a structural validator, absolute getters for the stream and datagram messages the data path
 * handles per packet, and writers for their fixed headers. {@link Message} records decode through
 * the same {@link #validate} so both layers accept exactly the same bytes.
 *
 * <p>Getters take {@code off}, the absolute index of the message's first byte (what
 * {@link PacketReader#payloadOffset()} returns), and assume the message was validated
 * (as {@link PacketReader#wrap} does). Writers write at {@code dst}'s position and advance it.
 * Sequence numbers and request ids are unsigned 32-bit values carried in an {@code int}.
 */
public final class MessageFields {
    /** S_* messages: 16-bit sender link id at offset 0 (draft 5.2). */
    public static final int LINK_ID = 0;
    /** S_* and DGRAM messages: 16-bit destination port at offset 2 (draft 4.2.10, 5.2). */
    public static final int DESTINATION_PORT = 2;
    /** S_OPEN, S_ACK, S_DACK: 16-bit window (1024-byte units, DECISIONS 24) at offset 4. */
    public static final int WINDOW = 4;
    /** EPC_REQ and EPC are exactly the 4-byte request id (draft 4.2.4, 4.2.5). */
    public static final int EPC_LENGTH = 4;
    /** DGRAM: source port, destination port, then the payload (draft 4.2.10). */
    public static final int DGRAM_HEADER = 4;
    /** S_OPEN is exactly 11 bytes (draft 5.2.1). */
    public static final int S_OPEN_LENGTH = 11;
    /** S_CLOSE is exactly 14 bytes (draft 5.2.2). */
    public static final int S_CLOSE_LENGTH = 14;
    /** S_DATA: link id, port, sequence number, then the payload (draft 5.2.3). */
    public static final int S_DATA_HEADER = 8;
    /** S_ACK: link id, port, window, then one or more ranges to the end (draft 5.2.4, DECISIONS 22). */
    public static final int S_ACK_HEADER = 6;
    /** S_DACK: link id, port, window, number of ranges, ranges, payload (draft 5.2.5). */
    public static final int S_DACK_HEADER = 7;
    /**
     * Length of the sequence number that opens an S_DACK's payload: the draft's S_DACK "combines
     * ACK and DATA" but gives its data no sequence number, so the payload carries the S_DATA body
     * after the port - sequence number, then data (docs/DECISIONS-addenda.md, A1).
     */
    public static final int S_DACK_SEQUENCE_LENGTH = 4;
    /** An acknowledgement range: 32-bit first sequence number, 8-bit count (DECISIONS 22). */
    public static final int ACK_RANGE_LENGTH = 5;
    /** S_OPEN flag 0x01: the sender link id is also a port the sender listens on (draft 5.2.1). */
    public static final int S_OPEN_FLAG_LINK_IS_PORT = 0x01;
    /**
     * S_OPEN flag 0x80 on an acceptor's answer: the acceptor kept no state, and the opener's third
     * handshake step carries its ISN (docs/DECISIONS-addenda.md, A12).
     */
    public static final int S_OPEN_FLAG_STATELESS = 0x80;

    private static final int S_OPEN_FLAGS = S_OPEN_FLAG_LINK_IS_PORT | S_OPEN_FLAG_STATELESS;

    private MessageFields() {}

    // ---------------------------------------------------------------- validation

    /**
     * Checks that {@code [off, limit)} is a well-formed message of type {@code typeCode}: length,
     * flag bytes, codes, endpoints and counts. Allocates nothing unless it throws. Full addresses
     * do not occur inside messages, so this is all a message needs.
     */
    public static void validate(int typeCode, ByteBuffer b, int off, int limit) throws WireException {
        int len = limit - off;
        MessageType type = MessageType.fromCode(typeCode);
        switch (type) {
            case ERROR:
                atLeast(type, len, 2);
                ErrorCode.fromCode(b.getShort(off) & 0xffff);
                return;
            case PING:
            case PONG:
                return;
            case EPC_REQ:
            case EPC:
                exactly(type, len, EPC_LENGTH);
                return;
            case EPI: {
                atLeast(type, len, 1);
                int flags = b.get(off) & 0xff;
                if (flags != 0) {
                    throw new WireException(
                            "EPI flags must be zero (draft 4.2.6), got 0x" + Integer.toHexString(flags));
                }
                int p = Endpoint.validate(b, off + 1, limit);
                if (p >= limit) {
                    throw new WireException("EPI ends before its NAT-T mode byte");
                }
                return;
            }
            case NAT_T:
                atLeast(type, len, 1);
                return;
            case NETID_REQ:
            case NETID: {
                atLeast(type, len, 4);
                int p = Endpoint.validate(b, off + 4, limit);
                if (p != limit) {
                    throw new WireException(type + " has " + (limit - p) + " bytes after its endpoint");
                }
                return;
            }
            case DGRAM:
                atLeast(type, len, DGRAM_HEADER);
                return;
            case S_OPEN: {
                exactly(type, len, S_OPEN_LENGTH);
                int flags = b.get(off + 10) & 0xff;
                if ((flags & ~S_OPEN_FLAGS) != 0) {
                    throw new WireException("S_OPEN has undefined flags 0x" + Integer.toHexString(flags)
                            + " (draft 5.2.1 defines only 0x01; addendum A12 adds 0x80)");
                }
                return;
            }
            case S_CLOSE: {
                exactly(type, len, S_CLOSE_LENGTH);
                int flags = b.get(off + 4) & 0xff;
                if (flags != 0) {
                    throw new WireException(
                            "S_CLOSE flags must be zero (draft 5.2.2), got 0x" + Integer.toHexString(flags));
                }
                CloseReason.fromCode(b.get(off + 5) & 0xff);
                return;
            }
            case S_DATA:
                atLeast(type, len, S_DATA_HEADER);
                return;
            case S_ACK: {
                atLeast(type, len, S_ACK_HEADER + ACK_RANGE_LENGTH);
                int rest = len - S_ACK_HEADER;
                if (rest % ACK_RANGE_LENGTH != 0) {
                    throw new WireException("S_ACK ranges are 5 bytes each, but " + rest + " bytes follow the header");
                }
                checkRanges(b, off + S_ACK_HEADER, rest / ACK_RANGE_LENGTH);
                return;
            }
            case S_DACK: {
                atLeast(type, len, S_DACK_HEADER);
                int n = b.get(off + 6) & 0xff;
                if (n == 0) {
                    throw new WireException(
                            "S_DACK must carry one or more acknowledgements (draft 5.2.5), Num. Acks is 0");
                }
                if (len - S_DACK_HEADER < n * ACK_RANGE_LENGTH + S_DACK_SEQUENCE_LENGTH) {
                    throw new WireException("S_DACK claims " + n + " acknowledgements (" + n * ACK_RANGE_LENGTH
                            + " bytes) and a 4-byte sequence number, but only " + (len - S_DACK_HEADER)
                            + " bytes follow its header");
                }
                checkRanges(b, off + S_DACK_HEADER, n);
                return;
            }
            default:
                throw new WireException("unknown message type " + type);
        }
    }

    private static void checkRanges(ByteBuffer b, int p, int n) throws WireException {
        for (int i = 0; i < n; i++, p += ACK_RANGE_LENGTH) {
            if (b.get(p + 4) == 0) {
                throw new WireException("acknowledgement range " + i + " has count 0 (DECISIONS 22)");
            }
        }
    }

    private static void atLeast(MessageType t, int len, int min) throws WireException {
        if (len < min) {
            throw new WireException(t + " needs at least " + min + " bytes, got " + len);
        }
    }

    private static void exactly(MessageType t, int len, int n) throws WireException {
        if (len != n) {
            throw new WireException(t + " is exactly " + n + " bytes, got " + len);
        }
    }

    // ---------------------------------------------------------------- getters

    /** Sender link id of any S_* message. */
    public static int linkId(ByteBuffer b, int off) {
        return b.getShort(off + LINK_ID) & 0xffff;
    }

    /** Destination port of any S_* message or of a DGRAM. */
    public static int destinationPort(ByteBuffer b, int off) {
        return b.getShort(off + DESTINATION_PORT) & 0xffff;
    }

    /** Window of S_OPEN, S_ACK or S_DACK, in 1024-byte units. */
    public static int window(ByteBuffer b, int off) {
        return b.getShort(off + WINDOW) & 0xffff;
    }

    /** Request id of EPC_REQ, EPC, NETID_REQ or NETID. */
    public static int requestId(ByteBuffer b, int off) {
        return b.getInt(off);
    }

    /** DGRAM source port. */
    public static int dgramSourcePort(ByteBuffer b, int off) {
        return b.getShort(off) & 0xffff;
    }

    /** Index of the first DGRAM payload byte. */
    public static int dgramPayloadOffset(int off) {
        return off + DGRAM_HEADER;
    }

    /** S_OPEN initial sequence number. */
    public static int sOpenInitialSequence(ByteBuffer b, int off) {
        return b.getInt(off + 6);
    }

    /** S_OPEN flags byte. */
    public static int sOpenFlags(ByteBuffer b, int off) {
        return b.get(off + 10) & 0xff;
    }

    /** S_CLOSE reason byte (validated: 0-3). */
    public static int sCloseReason(ByteBuffer b, int off) {
        return b.get(off + 5) & 0xff;
    }

    /** S_CLOSE initial sequence number. */
    public static int sCloseInitialSequence(ByteBuffer b, int off) {
        return b.getInt(off + 6);
    }

    /** S_CLOSE current sequence number. */
    public static int sCloseSequence(ByteBuffer b, int off) {
        return b.getInt(off + 10);
    }

    /** S_DATA sequence number. */
    public static int sDataSequence(ByteBuffer b, int off) {
        return b.getInt(off + 4);
    }

    /** Index of the first S_DATA payload byte. */
    public static int sDataPayloadOffset(int off) {
        return off + S_DATA_HEADER;
    }

    /** Number of ranges in a validated S_ACK occupying {@code [off, limit)}. */
    public static int sAckRangeCount(int off, int limit) {
        return (limit - off - S_ACK_HEADER) / ACK_RANGE_LENGTH;
    }

    /** Index of an S_ACK's first range. */
    public static int sAckRangesOffset(int off) {
        return off + S_ACK_HEADER;
    }

    /** Number of ranges in an S_DACK (its Num. Acks byte). */
    public static int sDackRangeCount(ByteBuffer b, int off) {
        return b.get(off + 6) & 0xff;
    }

    /** Index of an S_DACK's first range. */
    public static int sDackRangesOffset(int off) {
        return off + S_DACK_HEADER;
    }

    /** Sequence number of an S_DACK's data (addendum A1): the 4 bytes after its last range. */
    public static int sDackSequence(ByteBuffer b, int off) {
        return b.getInt(off + S_DACK_HEADER + sDackRangeCount(b, off) * ACK_RANGE_LENGTH);
    }

    /** Index of the first S_DACK data byte, after the ranges and the sequence number. */
    public static int sDackPayloadOffset(ByteBuffer b, int off) {
        return off + S_DACK_HEADER + sDackRangeCount(b, off) * ACK_RANGE_LENGTH + S_DACK_SEQUENCE_LENGTH;
    }

    /** First sequence number of the range at {@code rangeOff}; range i is at rangesOffset + 5 * i. */
    public static int ackFirst(ByteBuffer b, int rangeOff) {
        return b.getInt(rangeOff);
    }

    /** Count (1-255) of the range at {@code rangeOff}. */
    public static int ackCount(ByteBuffer b, int rangeOff) {
        return b.get(rangeOff + 4) & 0xff;
    }

    // ---------------------------------------------------------------- writers
    //
    // The one encoding of the stream messages: the Message records and the live stream path
    // (org.anode.stream.StreamEndpoint) both write through these, so the golden packets that pin
    // the records pin what the stream layer sends. They allocate nothing and leave a payload
    // buffer's position and limit as they were.

    /**
     * Writes an S_OPEN (draft 5.2.1); {@code flags} a combination of
     * {@link #S_OPEN_FLAG_LINK_IS_PORT} and {@link #S_OPEN_FLAG_STATELESS}.
     */
    public static void writeSOpen(
            ByteBuffer dst, int linkId, int destinationPort, int window, int initialSequence, int flags) {
        if ((flags & ~S_OPEN_FLAGS) != 0) {
            throw new IllegalArgumentException(
                    "S_OPEN defines only flags 0x01 and 0x80, got 0x" + Integer.toHexString(flags));
        }
        dst.putShort(u16(linkId, "link id"))
                .putShort(u16(destinationPort, "destination port"))
                .putShort(u16(window, "window"))
                .putInt(initialSequence)
                .put((byte) flags);
    }

    /**
     * Writes an S_CLOSE (draft 5.2.2): flags 0, then the reason (0-3), the connection's initial
     * sequence number and the close's sequence number (equal to it for a refusal, DECISIONS 21).
     */
    public static void writeSClose(
            ByteBuffer dst, int linkId, int destinationPort, int reason, int initialSequence, int sequence) {
        if ((reason & ~3) != 0) {
            throw new IllegalArgumentException("S_CLOSE reasons are 0-3, got " + reason);
        }
        dst.putShort(u16(linkId, "link id"))
                .putShort(u16(destinationPort, "destination port"))
                .put((byte) 0)
                .put((byte) reason)
                .putInt(initialSequence)
                .putInt(sequence);
    }

    /**
     * Writes an S_DATA (draft 5.2.3) carrying {@code payload}'s remaining bytes; {@code payload}'s
     * position is not moved.
     */
    public static void writeSData(ByteBuffer dst, int linkId, int destinationPort, int sequence, ByteBuffer payload) {
        writeSDataHeader(dst, linkId, destinationPort, sequence);
        putPayload(dst, payload);
    }

    /**
     * Writes what follows an S_DACK's ranges: the data's sequence number (addendum A1), then
     * {@code payload}'s remaining bytes; {@code payload}'s position is not moved.
     */
    public static void writeSDackData(ByteBuffer dst, int sequence, ByteBuffer payload) {
        dst.putInt(sequence);
        putPayload(dst, payload);
    }

    private static void putPayload(ByteBuffer dst, ByteBuffer payload) {
        int n = payload.remaining();
        dst.put(dst.position(), payload, payload.position(), n);
        dst.position(dst.position() + n);
    }

    /** Writes an S_DATA header; the caller then writes the payload. */
    public static void writeSDataHeader(ByteBuffer dst, int linkId, int destinationPort, int sequence) {
        dst.putShort(u16(linkId, "link id"))
                .putShort(u16(destinationPort, "destination port"))
                .putInt(sequence);
    }

    /** Writes a DGRAM header; the caller then writes the payload. */
    public static void writeDgramHeader(ByteBuffer dst, int sourcePort, int destinationPort) {
        dst.putShort(u16(sourcePort, "source port")).putShort(u16(destinationPort, "destination port"));
    }

    /** Writes an S_ACK header; the caller then writes one or more ranges with {@link #writeAckRange}. */
    public static void writeSAckHeader(ByteBuffer dst, int linkId, int destinationPort, int window) {
        dst.putShort(u16(linkId, "link id"))
                .putShort(u16(destinationPort, "destination port"))
                .putShort(u16(window, "window"));
    }

    /**
     * Writes an S_DACK header; the caller then writes {@code rangeCount} ranges, the data's
     * sequence number ({@code putInt}, addendum A1) and the data.
     */
    public static void writeSDackHeader(ByteBuffer dst, int linkId, int destinationPort, int window, int rangeCount) {
        if (rangeCount < 1 || rangeCount > 255) {
            throw new IllegalArgumentException("S_DACK carries 1-255 ranges, got " + rangeCount);
        }
        writeSAckHeader(dst, linkId, destinationPort, window);
        dst.put((byte) rangeCount);
    }

    /** Writes an acknowledgement range {@code (first, count)}, count 1-255 (DECISIONS 22). */
    public static void writeAckRange(ByteBuffer dst, int first, int count) {
        if (count < 1 || count > 255) {
            throw new IllegalArgumentException("an acknowledgement range counts 1-255 sequence numbers, got " + count);
        }
        dst.putInt(first).put((byte) count);
    }

    static short u16(int v, String what) {
        if ((v & ~0xffff) != 0) {
            throw new IllegalArgumentException(what + " out of 16-bit range: " + v);
        }
        return (short) v;
    }
}
