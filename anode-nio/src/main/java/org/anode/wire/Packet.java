package org.anode.wire;

import java.nio.ByteBuffer;
import java.util.Objects;
import org.anode.crypto.internal.AesCmac;

/**
 * A whole packet as an immutable value (draft 3, DECISIONS 16-20): the general, allocating
 * counterpart of {@link PacketReader} / {@link PacketWriter}. The flags byte is not a component:
 * it follows from the address forms and {@code authErrorResponse}, so no undefined flag can be
 * expressed. The MAC is not a component either: it is computed on encoding and checked by
 * {@link PacketReader#verifyMac}.
 *
 * @param hopCount 0-255
 * @param authErrorResponse flag 0x04: this packet must never change state (DECISIONS 18)
 * @param sender full address (flag 0x01) or short id
 * @param recipient full address (flag 0x02) or short id
 * @param senderPeerId 0-15
 * @param recipientPeerId 0-15
 * @param message the message
 */
public record Packet(
        int hopCount,
        boolean authErrorResponse,
        AddressField sender,
        AddressField recipient,
        int senderPeerId,
        int recipientPeerId,
        Message message) {

    public Packet {
        if ((hopCount & ~0xff) != 0) {
            throw new IllegalArgumentException("hop count out of range: " + hopCount);
        }
        Objects.requireNonNull(sender, "sender");
        Objects.requireNonNull(recipient, "recipient");
        Objects.requireNonNull(message, "message");
        if ((senderPeerId & ~0xf) != 0 || (recipientPeerId & ~0xf) != 0) {
            throw new IllegalArgumentException("peer ids are 4 bits (0-15): " + senderPeerId + ", " + recipientPeerId);
        }
    }

    /** The flags byte this packet is written with. */
    public int flags() {
        return (sender.isFull() ? PacketFormat.FLAG_SENDER_FULL : 0)
                | (recipient.isFull() ? PacketFormat.FLAG_RECIPIENT_FULL : 0)
                | (authErrorResponse ? PacketFormat.FLAG_AUTH_ERROR : 0);
    }

    /** Total encoded length. */
    public int encodedLength() {
        return PacketFormat.headerLength(flags()) + message.encodedLength();
    }

    /** Writes the packet with its MAC at {@code dst}'s position, advancing it; returns the length. */
    public int writeTo(ByteBuffer dst, AesCmac cmac) {
        PacketWriter w = new PacketWriter();
        w.begin(dst, hopCount, authErrorResponse, sender, recipient, senderPeerId, recipientPeerId, message.type());
        message.writeTo(dst);
        return w.finish(cmac);
    }

    /** Writes an authentication error response without a MAC (see {@link PacketWriter#finishWithoutMac}). */
    public int writeWithoutMac(ByteBuffer dst) {
        PacketWriter w = new PacketWriter();
        w.begin(dst, hopCount, authErrorResponse, sender, recipient, senderPeerId, recipientPeerId, message.type());
        message.writeTo(dst);
        return w.finishWithoutMac();
    }

    /** Encodes into a new array. */
    public byte[] toByteArray(AesCmac cmac) {
        ByteBuffer b = ByteBuffer.allocate(encodedLength());
        writeTo(b, cmac);
        return b.array();
    }

    /**
     * Decodes {@code src[position, limit)} as one packet, advancing the position to the limit.
     * Validates everything, full addresses included; does not check the MAC (that needs the key:
     * use {@link PacketReader#verifyMac}).
     */
    public static Packet decode(ByteBuffer src) throws WireException {
        Packet p = new PacketReader().wrap(src).toPacket();
        src.position(src.limit());
        return p;
    }
}
