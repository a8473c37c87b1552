package org.anode.wire;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * A message: the payload of a packet after its type byte (draft 4.2 and 5.2). Every message type
 * is an immutable record here, with value equality (byte-array components are copied in and out
 * and compared by content).
 *
 * <p>These records are the general, allocating layer. The per-packet data path reads S_DATA,
 * S_ACK, S_DACK and DGRAM in place with {@link MessageFields}. Both decode through
 * {@link MessageFields#validate}, so they accept exactly the same bytes, and the stream messages
 * encode through the same {@link MessageFields} writers as the live stream path, so they write
 * exactly the same bytes.
 */
public sealed interface Message
        permits Message.Error,
                Message.Ping,
                Message.Pong,
                Message.EpcReq,
                Message.Epc,
                Message.Epi,
                Message.NatT,
                Message.NetIdReq,
                Message.NetId,
                Message.Dgram,
                Message.SOpen,
                Message.SClose,
                Message.SData,
                Message.SAck,
                Message.SDack {

    /** The message type. */
    MessageType type();

    /** Bytes {@link #writeTo} writes (the type byte, part of the packet header, not included). */
    int encodedLength();

    /** Writes the message at {@code dst}'s position, advancing it. */
    void writeTo(ByteBuffer dst);

    /** Decodes {@code src}'s bytes from position to limit as one message, advancing the position to the limit. */
    static Message decode(MessageType type, ByteBuffer src) throws WireException {
        Message m = decode(type.code(), src, src.position(), src.limit());
        src.position(src.limit());
        return m;
    }

    /** Decodes the message occupying absolute indices {@code [off, limit)} of {@code b}. */
    static Message decode(int typeCode, ByteBuffer b, int off, int limit) throws WireException {
        MessageFields.validate(typeCode, b, off, limit);
        MessageType type = MessageType.fromCode(typeCode);
        switch (type) {
            case ERROR:
                return new Error(ErrorCode.fromCode(b.getShort(off) & 0xffff), slice(b, off + 2, limit));
            case PING:
                return new Ping(slice(b, off, limit));
            case PONG:
                return new Pong(slice(b, off, limit));
            case EPC_REQ:
                return new EpcReq(b.getInt(off));
            case EPC:
                return new Epc(b.getInt(off));
            case EPI: {
                int end = Endpoint.validate(b, off + 1, limit);
                Endpoint e = Endpoint.decodeValidated(b, off + 1, end);
                return new Epi(e, b.get(end) & 0xff, slice(b, end + 1, limit));
            }
            case NAT_T:
                return new NatT(b.get(off) & 0xff, slice(b, off + 1, limit));
            case NETID_REQ:
                return new NetIdReq(b.getInt(off), Endpoint.decodeValidated(b, off + 4, limit));
            case NETID:
                return new NetId(b.getInt(off), Endpoint.decodeValidated(b, off + 4, limit));
            case DGRAM:
                return new Dgram(
                        MessageFields.dgramSourcePort(b, off),
                        MessageFields.destinationPort(b, off),
                        slice(b, off + MessageFields.DGRAM_HEADER, limit));
            case S_OPEN:
                return new SOpen(
                        MessageFields.linkId(b, off),
                        MessageFields.destinationPort(b, off),
                        MessageFields.window(b, off),
                        MessageFields.sOpenInitialSequence(b, off),
                        (MessageFields.sOpenFlags(b, off) & MessageFields.S_OPEN_FLAG_LINK_IS_PORT) != 0,
                        (MessageFields.sOpenFlags(b, off) & MessageFields.S_OPEN_FLAG_STATELESS) != 0);
            case S_CLOSE:
                return new SClose(
                        MessageFields.linkId(b, off),
                        MessageFields.destinationPort(b, off),
                        CloseReason.fromCode(MessageFields.sCloseReason(b, off)),
                        MessageFields.sCloseInitialSequence(b, off),
                        MessageFields.sCloseSequence(b, off));
            case S_DATA:
                return new SData(
                        MessageFields.linkId(b, off),
                        MessageFields.destinationPort(b, off),
                        MessageFields.sDataSequence(b, off),
                        slice(b, MessageFields.sDataPayloadOffset(off), limit));
            case S_ACK:
                return new SAck(
                        MessageFields.linkId(b, off),
                        MessageFields.destinationPort(b, off),
                        MessageFields.window(b, off),
                        ranges(b, MessageFields.sAckRangesOffset(off), MessageFields.sAckRangeCount(off, limit)));
            case S_DACK: {
                int n = MessageFields.sDackRangeCount(b, off);
                return new SDack(
                        MessageFields.linkId(b, off),
                        MessageFields.destinationPort(b, off),
                        MessageFields.window(b, off),
                        ranges(b, MessageFields.sDackRangesOffset(off), n),
                        MessageFields.sDackSequence(b, off),
                        slice(b, MessageFields.sDackPayloadOffset(b, off), limit));
            }
            default:
                throw new WireException("unknown message type " + type);
        }
    }

    private static byte[] slice(ByteBuffer b, int from, int to) {
        byte[] out = new byte[to - from];
        b.get(from, out);
        return out;
    }

    private static List<AckRange> ranges(ByteBuffer b, int p, int n) {
        // n is bounded by the validated message length (5 bytes per range), never by a bare count field.
        List<AckRange> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++, p += MessageFields.ACK_RANGE_LENGTH) {
            out.add(new AckRange(MessageFields.ackFirst(b, p), MessageFields.ackCount(b, p)));
        }
        return List.copyOf(out);
    }

    private static void checkU16(int v, String what) {
        MessageFields.u16(v, what);
    }

    private static void checkU8(int v, String what) {
        if ((v & ~0xff) != 0) {
            throw new IllegalArgumentException(what + " out of 8-bit range: " + v);
        }
    }

    private static List<AckRange> checkRanges(List<AckRange> ranges, int max) {
        List<AckRange> copy = List.copyOf(ranges);
        if (copy.isEmpty() || copy.size() > max) {
            throw new IllegalArgumentException("need 1-" + max + " acknowledgement ranges, got " + copy.size());
        }
        return copy;
    }

    /**
     * ERROR (0x00, draft 4.2.1).
     *
     * @param code the error code
     * @param arguments error arguments; the draft defines none, so normally empty, but they are kept
     */
    record Error(ErrorCode code, byte[] arguments) implements Message {
        public Error {
            Objects.requireNonNull(code, "code");
            arguments = Bytes.copy(arguments, "arguments");
        }

        /** An ERROR without arguments. */
        public Error(ErrorCode code) {
            this(code, new byte[0]);
        }

        @Override
        public byte[] arguments() {
            return arguments.clone();
        }

        @Override
        public MessageType type() {
            return MessageType.ERROR;
        }

        @Override
        public int encodedLength() {
            return 2 + arguments.length;
        }

        @Override
        public void writeTo(ByteBuffer dst) {
            dst.putShort((short) code.code()).put(arguments);
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Error e && code == e.code && Arrays.equals(arguments, e.arguments);
        }

        @Override
        public int hashCode() {
            return code.hashCode() * 31 + Arrays.hashCode(arguments);
        }

        @Override
        public String toString() {
            return "Error[" + code + ", " + Bytes.toString(arguments) + "]";
        }
    }

    /** PING (0x01, draft 4.2.2): any payload, echoed in a PONG. */
    record Ping(byte[] payload) implements Message {
        public Ping {
            payload = Bytes.copy(payload, "payload");
        }

        @Override
        public byte[] payload() {
            return payload.clone();
        }

        @Override
        public MessageType type() {
            return MessageType.PING;
        }

        @Override
        public int encodedLength() {
            return payload.length;
        }

        @Override
        public void writeTo(ByteBuffer dst) {
            dst.put(payload);
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Ping p && Arrays.equals(payload, p.payload);
        }

        @Override
        public int hashCode() {
            return Arrays.hashCode(payload);
        }

        @Override
        public String toString() {
            return "Ping[" + Bytes.toString(payload) + "]";
        }
    }

    /** PONG (0x02, draft 4.2.3): the echoed PING payload. */
    record Pong(byte[] payload) implements Message {
        public Pong {
            payload = Bytes.copy(payload, "payload");
        }

        @Override
        public byte[] payload() {
            return payload.clone();
        }

        @Override
        public MessageType type() {
            return MessageType.PONG;
        }

        @Override
        public int encodedLength() {
            return payload.length;
        }

        @Override
        public void writeTo(ByteBuffer dst) {
            dst.put(payload);
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Pong p && Arrays.equals(payload, p.payload);
        }

        @Override
        public int hashCode() {
            return Arrays.hashCode(payload) + 1;
        }

        @Override
        public String toString() {
            return "Pong[" + Bytes.toString(payload) + "]";
        }
    }

    /** EPC_REQ (0x03, draft 4.2.4): endpoint check request. @param requestId unsigned 32-bit */
    record EpcReq(int requestId) implements Message {
        @Override
        public MessageType type() {
            return MessageType.EPC_REQ;
        }

        @Override
        public int encodedLength() {
            return 4;
        }

        @Override
        public void writeTo(ByteBuffer dst) {
            dst.putInt(requestId);
        }
    }

    /** EPC (0x04, draft 4.2.5): endpoint check response echoing the request id. @param requestId unsigned 32-bit */
    record Epc(int requestId) implements Message {
        @Override
        public MessageType type() {
            return MessageType.EPC;
        }

        @Override
        public int encodedLength() {
            return 4;
        }

        @Override
        public void writeTo(ByteBuffer dst) {
            dst.putInt(requestId);
        }
    }

    /**
     * EPI (0x05, draft 4.2.6): endpoint information. Its flags byte must be zero, so it is not a
     * component. No NAT-T modes are defined by the draft; mode and options are carried as bytes.
     *
     * @param endpoint where the sender is reachable; unspecified means "this packet's source"
     * @param natTMode NAT traversal mode, 0-255
     * @param natTOptions options for that mode
     */
    record Epi(Endpoint endpoint, int natTMode, byte[] natTOptions) implements Message {
        public Epi {
            Objects.requireNonNull(endpoint, "endpoint");
            checkU8(natTMode, "NAT-T mode");
            natTOptions = Bytes.copy(natTOptions, "natTOptions");
        }

        @Override
        public byte[] natTOptions() {
            return natTOptions.clone();
        }

        @Override
        public MessageType type() {
            return MessageType.EPI;
        }

        @Override
        public int encodedLength() {
            return 1 + endpoint.encodedLength() + 1 + natTOptions.length;
        }

        @Override
        public void writeTo(ByteBuffer dst) {
            dst.put((byte) 0);
            endpoint.writeTo(dst);
            dst.put((byte) natTMode).put(natTOptions);
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Epi e
                    && endpoint.equals(e.endpoint)
                    && natTMode == e.natTMode
                    && Arrays.equals(natTOptions, e.natTOptions);
        }

        @Override
        public int hashCode() {
            return (endpoint.hashCode() * 31 + natTMode) * 31 + Arrays.hashCode(natTOptions);
        }

        @Override
        public String toString() {
            return "Epi[" + endpoint + ", mode=" + natTMode + ", " + Bytes.toString(natTOptions) + "]";
        }
    }

    /**
     * NAT_T (0x06, draft 4.2.7).
     *
     * @param mode NAT traversal mode, 0-255
     * @param options options for that mode
     */
    record NatT(int mode, byte[] options) implements Message {
        public NatT {
            checkU8(mode, "NAT-T mode");
            options = Bytes.copy(options, "options");
        }

        @Override
        public byte[] options() {
            return options.clone();
        }

        @Override
        public MessageType type() {
            return MessageType.NAT_T;
        }

        @Override
        public int encodedLength() {
            return 1 + options.length;
        }

        @Override
        public void writeTo(ByteBuffer dst) {
            dst.put((byte) mode).put(options);
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof NatT n && mode == n.mode && Arrays.equals(options, n.options);
        }

        @Override
        public int hashCode() {
            return mode * 31 + Arrays.hashCode(options);
        }

        @Override
        public String toString() {
            return "NatT[mode=" + mode + ", " + Bytes.toString(options) + "]";
        }
    }

    /**
     * NETID_REQ (0x07, draft 4.2.8). Answer only toward the packet's own source unless the
     * requester is authenticated and rate-limited (DECISIONS 30).
     *
     * @param requestId unsigned 32-bit
     * @param endpoint where to send the NETID; unspecified means "the request's origin"
     */
    record NetIdReq(int requestId, Endpoint endpoint) implements Message {
        public NetIdReq {
            Objects.requireNonNull(endpoint, "endpoint");
        }

        @Override
        public MessageType type() {
            return MessageType.NETID_REQ;
        }

        @Override
        public int encodedLength() {
            return 4 + endpoint.encodedLength();
        }

        @Override
        public void writeTo(ByteBuffer dst) {
            dst.putInt(requestId);
            endpoint.writeTo(dst);
        }
    }

    /**
     * NETID (0x08, draft 4.2.9): the endpoint the response was sent to.
     *
     * @param requestId the request id echoed back
     * @param endpoint the endpoint this NETID was sent to
     */
    record NetId(int requestId, Endpoint endpoint) implements Message {
        public NetId {
            Objects.requireNonNull(endpoint, "endpoint");
        }

        @Override
        public MessageType type() {
            return MessageType.NETID;
        }

        @Override
        public int encodedLength() {
            return 4 + endpoint.encodedLength();
        }

        @Override
        public void writeTo(ByteBuffer dst) {
            dst.putInt(requestId);
            endpoint.writeTo(dst);
        }
    }

    /**
     * DGRAM (0x09, draft 4.2.10): a UDP-like datagram.
     *
     * @param sourcePort 0-65535
     * @param destinationPort 0-65535
     * @param payload the datagram
     */
    record Dgram(int sourcePort, int destinationPort, byte[] payload) implements Message {
        public Dgram {
            checkU16(sourcePort, "source port");
            checkU16(destinationPort, "destination port");
            payload = Bytes.copy(payload, "payload");
        }

        @Override
        public byte[] payload() {
            return payload.clone();
        }

        @Override
        public MessageType type() {
            return MessageType.DGRAM;
        }

        @Override
        public int encodedLength() {
            return MessageFields.DGRAM_HEADER + payload.length;
        }

        @Override
        public void writeTo(ByteBuffer dst) {
            MessageFields.writeDgramHeader(dst, sourcePort, destinationPort);
            dst.put(payload);
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Dgram d
                    && sourcePort == d.sourcePort
                    && destinationPort == d.destinationPort
                    && Arrays.equals(payload, d.payload);
        }

        @Override
        public int hashCode() {
            return (sourcePort * 31 + destinationPort) * 31 + Arrays.hashCode(payload);
        }

        @Override
        public String toString() {
            return "Dgram[" + sourcePort + "->" + destinationPort + ", " + Bytes.toString(payload) + "]";
        }
    }

    /**
     * S_OPEN (20, draft 5.2.1; link ids and ports per DECISIONS 23).
     *
     * @param senderLinkId 0-65535
     * @param destinationPort 0-65535
     * @param window receive window in 1024-byte units, 0-65535 (DECISIONS 24)
     * @param initialSequence the sender's random ISN (unsigned 32-bit)
     * @param linkIdIsPort flag 0x01: the link id is also a port the sender listens on
     * @param stateless flag 0x80 (addendum A12): an acceptor's answer that kept no state
     */
    record SOpen(
            int senderLinkId,
            int destinationPort,
            int window,
            int initialSequence,
            boolean linkIdIsPort,
            boolean stateless)
            implements Message {
        public SOpen {
            checkU16(senderLinkId, "sender link id");
            checkU16(destinationPort, "destination port");
            checkU16(window, "window");
        }

        /** An S_OPEN without the stateless flag (the draft's own form). */
        public SOpen(int senderLinkId, int destinationPort, int window, int initialSequence, boolean linkIdIsPort) {
            this(senderLinkId, destinationPort, window, initialSequence, linkIdIsPort, false);
        }

        @Override
        public MessageType type() {
            return MessageType.S_OPEN;
        }

        @Override
        public int encodedLength() {
            return MessageFields.S_OPEN_LENGTH;
        }

        @Override
        public void writeTo(ByteBuffer dst) {
            MessageFields.writeSOpen(
                    dst,
                    senderLinkId,
                    destinationPort,
                    window,
                    initialSequence,
                    (linkIdIsPort ? MessageFields.S_OPEN_FLAG_LINK_IS_PORT : 0)
                            | (stateless ? MessageFields.S_OPEN_FLAG_STATELESS : 0));
        }
    }

    /**
     * S_CLOSE (21, draft 5.2.2; DECISIONS 21, 26). Its flags byte must be zero, so it is not a
     * component. A refusal has {@code sequence == initialSequence} and reason REFUSED.
     *
     * @param senderLinkId 0-65535
     * @param destinationPort 0-65535
     * @param reason why the connection closes
     * @param initialSequence the ISN of the connection being closed
     * @param sequence the next unused sequence number, to be acknowledged
     */
    record SClose(int senderLinkId, int destinationPort, CloseReason reason, int initialSequence, int sequence)
            implements Message {
        public SClose {
            checkU16(senderLinkId, "sender link id");
            checkU16(destinationPort, "destination port");
            Objects.requireNonNull(reason, "reason");
        }

        /** True for the refusal form: current sequence equals the initial one; never acknowledged. */
        public boolean isRefusalForm() {
            return sequence == initialSequence;
        }

        @Override
        public MessageType type() {
            return MessageType.S_CLOSE;
        }

        @Override
        public int encodedLength() {
            return MessageFields.S_CLOSE_LENGTH;
        }

        @Override
        public void writeTo(ByteBuffer dst) {
            MessageFields.writeSClose(dst, senderLinkId, destinationPort, reason.code(), initialSequence, sequence);
        }
    }

    /**
     * S_DATA (22, draft 5.2.3; sequence numbers count packets, DECISIONS 21).
     *
     * @param senderLinkId 0-65535
     * @param destinationPort 0-65535
     * @param sequence unsigned 32-bit, wrapping
     * @param payload the data
     */
    record SData(int senderLinkId, int destinationPort, int sequence, byte[] payload) implements Message {
        public SData {
            checkU16(senderLinkId, "sender link id");
            checkU16(destinationPort, "destination port");
            payload = Bytes.copy(payload, "payload");
        }

        @Override
        public byte[] payload() {
            return payload.clone();
        }

        @Override
        public MessageType type() {
            return MessageType.S_DATA;
        }

        @Override
        public int encodedLength() {
            return MessageFields.S_DATA_HEADER + payload.length;
        }

        @Override
        public void writeTo(ByteBuffer dst) {
            MessageFields.writeSData(dst, senderLinkId, destinationPort, sequence, ByteBuffer.wrap(payload));
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof SData d
                    && senderLinkId == d.senderLinkId
                    && destinationPort == d.destinationPort
                    && sequence == d.sequence
                    && Arrays.equals(payload, d.payload);
        }

        @Override
        public int hashCode() {
            return ((senderLinkId * 31 + destinationPort) * 31 + sequence) * 31 + Arrays.hashCode(payload);
        }

        @Override
        public String toString() {
            return "SData[" + senderLinkId + "->" + destinationPort + ", seq=" + Integer.toUnsignedString(sequence)
                    + ", " + Bytes.toString(payload) + "]";
        }
    }

    /**
     * S_ACK (23, draft 5.2.4): one or more ranges, running to the end of the message (DECISIONS 22).
     *
     * @param senderLinkId 0-65535
     * @param destinationPort 0-65535
     * @param window receive window in 1024-byte units (DECISIONS 24)
     * @param ranges one or more acknowledgement ranges (copied, unmodifiable)
     */
    record SAck(int senderLinkId, int destinationPort, int window, List<AckRange> ranges) implements Message {
        public SAck {
            checkU16(senderLinkId, "sender link id");
            checkU16(destinationPort, "destination port");
            checkU16(window, "window");
            ranges = checkRanges(ranges, Integer.MAX_VALUE);
        }

        @Override
        public MessageType type() {
            return MessageType.S_ACK;
        }

        @Override
        public int encodedLength() {
            return MessageFields.S_ACK_HEADER + ranges.size() * MessageFields.ACK_RANGE_LENGTH;
        }

        @Override
        public void writeTo(ByteBuffer dst) {
            MessageFields.writeSAckHeader(dst, senderLinkId, destinationPort, window);
            for (AckRange r : ranges) {
                r.writeTo(dst);
            }
        }
    }

    /**
     * S_DACK (24, draft 5.2.5): acknowledgements counted by the Num. Acks byte, then data.
     *
     * @param senderLinkId 0-65535
     * @param destinationPort 0-65535
     * @param window receive window in 1024-byte units (DECISIONS 24)
     * @param ranges 1-255 acknowledgement ranges (copied, unmodifiable)
     * @param sequence the data's sequence number. The draft's layout names only "Payload"; like
     *     S_DATA's body it opens with the 32-bit sequence number (docs/DECISIONS-addenda.md, A1),
     *     since data without one could not be ordered or acknowledged
     * @param payload the data (may be empty)
     */
    record SDack(int senderLinkId, int destinationPort, int window, List<AckRange> ranges, int sequence, byte[] payload)
            implements Message {
        public SDack {
            checkU16(senderLinkId, "sender link id");
            checkU16(destinationPort, "destination port");
            checkU16(window, "window");
            ranges = checkRanges(ranges, 255);
            payload = Bytes.copy(payload, "payload");
        }

        @Override
        public byte[] payload() {
            return payload.clone();
        }

        @Override
        public MessageType type() {
            return MessageType.S_DACK;
        }

        @Override
        public int encodedLength() {
            return MessageFields.S_DACK_HEADER
                    + ranges.size() * MessageFields.ACK_RANGE_LENGTH
                    + MessageFields.S_DACK_SEQUENCE_LENGTH
                    + payload.length;
        }

        @Override
        public void writeTo(ByteBuffer dst) {
            MessageFields.writeSDackHeader(dst, senderLinkId, destinationPort, window, ranges.size());
            for (AckRange r : ranges) {
                r.writeTo(dst);
            }
            MessageFields.writeSDackData(dst, sequence, ByteBuffer.wrap(payload));
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof SDack d
                    && senderLinkId == d.senderLinkId
                    && destinationPort == d.destinationPort
                    && window == d.window
                    && ranges.equals(d.ranges)
                    && sequence == d.sequence
                    && Arrays.equals(payload, d.payload);
        }

        @Override
        public int hashCode() {
            return ((((senderLinkId * 31 + destinationPort) * 31 + window) * 31 + ranges.hashCode()) * 31 + sequence)
                            * 31
                    + Arrays.hashCode(payload);
        }

        @Override
        public String toString() {
            return "SDack[" + senderLinkId + "->" + destinationPort + ", window=" + window + ", " + ranges + ", seq="
                    + Integer.toUnsignedString(sequence) + ", " + Bytes.toString(payload) + "]";
        }
    }
}
