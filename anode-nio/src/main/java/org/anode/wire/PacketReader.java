package org.anode.wire;

import java.nio.ByteBuffer;
import org.anode.address.AnodeAddress;
import org.anode.address.InvalidAddressException;
import org.anode.address.ShortId;
import org.anode.crypto.internal.AesCmac;

/**
 * A reusable, mutable view of one received packet (draft 3; DECISIONS 16-20) that reads the
 * header and message in place: {@link #wrap} validates everything that can be validated without
 * big-integer arithmetic, allocating nothing unless the packet is invalid, and the accessors are
 * plain reads of the caller's buffer. One instance per receiving thread.
 *
 * <p>What {@link #wrap} checks: minimum length, that no undefined flag is set (DECISIONS 20), a
 * known type byte and zero unused bytes in each full address, a defined message type, and the
 * message's own structure ({@link MessageFields#validate}). What it does not: the public key point
 * of a full address (a big-integer operation, kept off the short-id path; {@link #senderAddress()}
 * does it) and the MAC ({@link #verifyMac}).
 *
 * <p>Flag 0x04 packets: {@link #isAuthErrorResponse()} must be checked before acting on a
 * packet; such a packet may only be surfaced as an error and never changes state (DECISIONS 18).
 * {@link #mayChangeState()} is the same rule stated positively.
 *
 * <p>The buffer's position and limit are never changed; the packet is
 * {@code [position, limit)} at the time of {@link #wrap}. The view is valid while the caller does
 * not modify those bytes.
 */
public final class PacketReader {
    private final byte[] scratch = new byte[PacketMac.SCRATCH];
    private ByteBuffer buf;
    private boolean valid;
    private int start;
    private int end;
    private int flags;
    private int recipientOffset;
    private int peerIdsOffset;
    private MessageType type;

    /**
     * Points this reader at the packet in {@code packet[position, limit)} and validates it.
     * On failure the reader is left invalid (accessors throw {@link IllegalStateException}).
     *
     * @return this
     */
    public PacketReader wrap(ByteBuffer packet) throws WireException {
        valid = false;
        buf = packet;
        int s = packet.position();
        int e = packet.limit();
        int len = e - s;
        if (len < PacketFormat.MIN_HEADER_LENGTH) {
            throw new WireException("packet of " + len + " bytes is shorter than the " + PacketFormat.MIN_HEADER_LENGTH
                    + "-byte minimum header");
        }
        int f = packet.get(s + PacketFormat.FLAGS) & 0xff;
        if ((f & ~PacketFormat.KNOWN_FLAGS) != 0) {
            throw new WireException(
                    "packet has undefined flag bits 0x" + Integer.toHexString(f & ~PacketFormat.KNOWN_FLAGS)
                            + " (DECISIONS 20: only 0x01, 0x02, 0x04 are defined)");
        }
        int header = PacketFormat.headerLength(f);
        if (len < header) {
            throw new WireException("packet of " + len + " bytes is shorter than its " + header
                    + "-byte header (flags 0x" + Integer.toHexString(f) + ")");
        }
        int r = s + PacketFormat.SENDER;
        if ((f & PacketFormat.FLAG_SENDER_FULL) != 0) {
            checkFullAddress(packet, r, "sender");
            r += AnodeAddress.LENGTH;
        } else {
            r += ShortId.LENGTH;
        }
        int p = r;
        if ((f & PacketFormat.FLAG_RECIPIENT_FULL) != 0) {
            checkFullAddress(packet, p, "recipient");
            p += AnodeAddress.LENGTH;
        } else {
            p += ShortId.LENGTH;
        }
        MessageType t = MessageType.fromCode(packet.get(p + 1) & 0xff);
        MessageFields.validate(t.code(), packet, p + 2, e);
        start = s;
        end = e;
        flags = f;
        recipientOffset = r;
        peerIdsOffset = p;
        type = t;
        valid = true;
        return this;
    }

    /** The cheap part of address validation (DECISIONS 8, 16): type byte and unused bytes. */
    private static void checkFullAddress(ByteBuffer b, int off, String which) throws WireException {
        int t = b.get(off) & 0xff;
        if (t != AnodeAddress.TYPE_ANODE_256_40) {
            throw new WireException(which + " address has unknown type " + t + " (only 1, ANODE-256-40, is defined)");
        }
        if (b.get(off + 5) != 0 || b.get(off + 6) != 0) {
            throw new WireException(which + " address has non-zero unused bytes");
        }
    }

    private void check() {
        if (!valid) {
            throw new IllegalStateException("no valid packet wrapped");
        }
    }

    /** True after a successful {@link #wrap}. */
    public boolean isValid() {
        return valid;
    }

    /** The wrapped buffer. */
    public ByteBuffer buffer() {
        check();
        return buf;
    }

    /** Absolute index of the packet's first byte (the hop count). */
    public int start() {
        check();
        return start;
    }

    /** Absolute index just past the packet. */
    public int end() {
        check();
        return end;
    }

    /** Total packet length, hop count included. */
    public int length() {
        check();
        return end - start;
    }

    /** The hop count, 0-255 (draft 3.1). */
    public int hopCount() {
        check();
        return buf.get(start) & 0xff;
    }

    /** The flags byte (only defined bits, as validated). */
    public int flags() {
        check();
        return flags;
    }

    /** Flag 0x01: the sender field is a full address. */
    public boolean senderIsFull() {
        check();
        return (flags & PacketFormat.FLAG_SENDER_FULL) != 0;
    }

    /** Flag 0x02: the recipient field is a full address. */
    public boolean recipientIsFull() {
        check();
        return (flags & PacketFormat.FLAG_RECIPIENT_FULL) != 0;
    }

    /**
     * Flag 0x04: an authentication error response. It may carry no valid MAC; it may inform the
     * application of an error and must have no other effect (draft 3.2, DECISIONS 18).
     */
    public boolean isAuthErrorResponse() {
        check();
        return (flags & PacketFormat.FLAG_AUTH_ERROR) != 0;
    }

    /** {@code !isAuthErrorResponse()}: whether this packet, once its MAC verifies, may change any state. */
    public boolean mayChangeState() {
        return !isAuthErrorResponse();
    }

    /** The MAC field as a big-endian long. */
    public long mac() {
        check();
        return buf.getLong(start + PacketFormat.MAC);
    }

    /** Absolute index of the sender field (40 or 8 bytes). */
    public int senderOffset() {
        check();
        return start + PacketFormat.SENDER;
    }

    /** Absolute index of the recipient field (40 or 8 bytes). */
    public int recipientOffset() {
        check();
        return recipientOffset;
    }

    /** The sender's short id as a long; only when the sender field is short. */
    public long senderShortId() {
        if (senderIsFull()) {
            throw new IllegalStateException("sender is a full address; use senderAddress() or senderIs()");
        }
        return buf.getLong(start + PacketFormat.SENDER);
    }

    /** The recipient's short id as a long; only when the recipient field is short. */
    public long recipientShortId() {
        if (recipientIsFull()) {
            throw new IllegalStateException("recipient is a full address; use recipientAddress() or recipientIs()");
        }
        return buf.getLong(recipientOffset);
    }

    /**
     * True if the sender field names {@code a}: byte comparison for a full address, short-id
     * comparison otherwise (a short id may collide: the MAC disambiguates, draft 3.5).
     * Allocation-free once {@code a}'s short id is cached.
     */
    public boolean senderIs(AnodeAddress a) {
        return senderIsFull()
                ? a.matches(buf, start + PacketFormat.SENDER)
                : a.shortId().value() == buf.getLong(start + PacketFormat.SENDER);
    }

    /** As {@link #senderIs}, for the recipient field. */
    public boolean recipientIs(AnodeAddress a) {
        return recipientIsFull()
                ? a.matches(buf, recipientOffset)
                : a.shortId().value() == buf.getLong(recipientOffset);
    }

    /**
     * The sender's full address, fully validated (including the public key point: big-integer
     * work, so call it only for senders not already known by {@link #senderIs}).
     * Only when the sender field is full.
     */
    public AnodeAddress senderAddress() throws WireException {
        if (!senderIsFull()) {
            throw new IllegalStateException("sender is a short id; only a full sender field carries the address");
        }
        return readAddress(start + PacketFormat.SENDER, "sender");
    }

    /** The recipient's full address, fully validated. Only when the recipient field is full. */
    public AnodeAddress recipientAddress() throws WireException {
        if (!recipientIsFull()) {
            throw new IllegalStateException("recipient is a short id; only a full recipient field carries the address");
        }
        return readAddress(recipientOffset, "recipient");
    }

    private AnodeAddress readAddress(int off, String which) throws WireException {
        byte[] a = new byte[AnodeAddress.LENGTH];
        buf.get(off, a);
        try {
            return AnodeAddress.fromBytes(a);
        } catch (InvalidAddressException e) {
            throw new WireException(which + " address invalid: " + e.getMessage(), e);
        }
    }

    /** The sender field as a value (validates a full address). */
    public AddressField sender() throws WireException {
        return senderIsFull()
                ? new AddressField.Full(senderAddress())
                : new AddressField.Short(new ShortId(senderShortId()));
    }

    /** The recipient field as a value (validates a full address). */
    public AddressField recipient() throws WireException {
        return recipientIsFull()
                ? new AddressField.Full(recipientAddress())
                : new AddressField.Short(new ShortId(recipientShortId()));
    }

    /** Sender peer id, 0-15 (high nibble, draft 3.4). */
    public int senderPeerId() {
        check();
        return (buf.get(peerIdsOffset) & 0xf0) >>> 4;
    }

    /** Recipient peer id, 0-15 (low nibble, draft 3.4). */
    public int recipientPeerId() {
        check();
        return buf.get(peerIdsOffset) & 0x0f;
    }

    /** The message type. */
    public MessageType messageType() {
        check();
        return type;
    }

    /** Absolute index of the message's first byte (the {@code off} of {@link MessageFields}). */
    public int payloadOffset() {
        check();
        return peerIdsOffset + 2;
    }

    /** Absolute index just past the message: the packet's end. */
    public int payloadLimit() {
        check();
        return end;
    }

    /** Message length in bytes. */
    public int payloadLength() {
        check();
        return end - peerIdsOffset - 2;
    }

    /** A new read-only buffer over the message bytes (allocates the view, not the bytes). */
    public ByteBuffer payloadSlice() {
        check();
        return buf.asReadOnlyBuffer().position(payloadOffset()).limit(end).slice();
    }

    /**
     * True if the MAC is right for the key {@code cmac} holds (the per-peer key of DECISIONS 4).
     * Constant-time comparison, no allocation, buffer untouched.
     */
    public boolean verifyMac(AesCmac cmac) {
        check();
        return PacketMac.verify(cmac, buf, start, end, scratch);
    }

    /** The MAC field as it came (draft 3.3: the folded CMAC the sender computed). */
    public long macField() {
        check();
        return buf.getLong(start + PacketFormat.MAC);
    }

    /**
     * The MACs the packets {@code rs[0 .. n)} (array-backed, each wrapped) should carry under the key
     * {@code cmac} holds, computed in one pass ({@link AesCmac#foldedMany}): what
     * {@link #verifyMac} compares against, cheaper for a burst of packets from one peer than one
     * CMAC each. Each packet's MAC field is set to the packet length for the computation (the MAC
     * input of DECISIONS 17 is then one run of bytes) and restored afterwards.
     *
     * @param n at most {@link AesCmac#MAX_MANY}
     */
    public static void expectedMacs(PacketReader[] rs, int n, AesCmac cmac, long[] out) {
        byte[][] arrays = new byte[n][];
        int[] offs = new int[n];
        int[] lens = new int[n];
        long[] saved = new long[n];
        for (int i = 0; i < n; i++) {
            PacketReader r = rs[i];
            r.check();
            ByteBuffer b = r.buf;
            if (!b.hasArray()) {
                throw new IllegalArgumentException("packet " + i + " has no accessible array");
            }
            saved[i] = b.getLong(r.start + PacketFormat.MAC);
            b.putLong(r.start + PacketFormat.MAC, r.end - r.start);
            arrays[i] = b.array();
            offs[i] = b.arrayOffset() + r.start + PacketFormat.FLAGS;
            lens[i] = r.end - r.start - PacketFormat.FLAGS;
        }
        try {
            cmac.foldedMany(arrays, offs, lens, n, out);
        } finally {
            for (int i = 0; i < n; i++) {
                rs[i].buf.putLong(rs[i].start + PacketFormat.MAC, saved[i]);
            }
        }
    }

    /** Decodes the message into its record (allocates). */
    public Message message() throws WireException {
        check();
        return Message.decode(type.code(), buf, payloadOffset(), end);
    }

    /** The whole packet as a value (allocates; validates full addresses; does not check the MAC). */
    public Packet toPacket() throws WireException {
        check();
        return new Packet(
                hopCount(), isAuthErrorResponse(), sender(), recipient(), senderPeerId(), recipientPeerId(), message());
    }
}
