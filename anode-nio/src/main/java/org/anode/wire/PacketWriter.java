package org.anode.wire;

import java.nio.ByteBuffer;
import java.util.Objects;
import org.anode.address.AnodeAddress;
import org.anode.crypto.internal.AesCmac;

/**
 * Writes packets straight into a caller's buffer (draft 3, DECISIONS 16-17): {@code begin} writes
 * the header with a zero MAC placeholder and leaves the buffer positioned at the message; the
 * caller writes the message (a {@link Message}'s {@code writeTo} or {@link MessageFields} writers
 * plus its payload); {@link #finish} computes the MAC over the finished bytes and stores it.
 * Reusable and allocation-free; one instance per sending thread.
 *
 * <pre>{@code
 * w.begin(buf, self, SenderForm.choose(peer.lastAnswer, now), peer.address, 0, peer.id, MessageType.S_DATA);
 * MessageFields.writeSDataHeader(buf, link, port, seq);
 * buf.put(data);
 * int len = w.finish(peer.cmac);   // buf: [start, start + len) is the packet, position at its end
 * }</pre>
 */
public final class PacketWriter {
    private final byte[] scratch = new byte[PacketMac.SCRATCH];
    private ByteBuffer dst;
    private int start = -1;
    private int flags;

    /**
     * Starts the common case: hop count 0, sender in the form {@link SenderForm#choose} gave,
     * recipient as a short id (draft 3.2: there is no need for a full recipient), not an error
     * response. The sender's short id is cached in its {@link AnodeAddress}.
     *
     * @return {@code dst}, positioned at the first message byte
     */
    public ByteBuffer begin(
            ByteBuffer dst,
            AnodeAddress sender,
            SenderForm senderForm,
            AnodeAddress recipient,
            int senderPeerId,
            int recipientPeerId,
            MessageType type) {
        int f = senderForm.flag();
        head(dst, 0, f);
        if (senderForm == SenderForm.FULL) {
            sender.writeTo(dst);
        } else {
            dst.putLong(sender.shortId().value());
        }
        dst.putLong(recipient.shortId().value());
        return tail(dst, senderPeerId, recipientPeerId, type);
    }

    /**
     * As {@link #begin(ByteBuffer, AnodeAddress, SenderForm, AnodeAddress, int, int, MessageType)},
     * with the recipient written in full (flag 0x02) when {@code recipientFull}: a packet sent
     * through a relay before the recipient has answered names it in full (DECISIONS 33), so the
     * relay can match the registration without a digest of its own.
     */
    public ByteBuffer begin(
            ByteBuffer dst,
            AnodeAddress sender,
            SenderForm senderForm,
            AnodeAddress recipient,
            boolean recipientFull,
            int senderPeerId,
            int recipientPeerId,
            MessageType type) {
        if (!recipientFull) {
            return begin(dst, sender, senderForm, recipient, senderPeerId, recipientPeerId, type);
        }
        head(dst, 0, senderForm.flag() | PacketFormat.FLAG_RECIPIENT_FULL);
        if (senderForm == SenderForm.FULL) {
            sender.writeTo(dst);
        } else {
            dst.putLong(sender.shortId().value());
        }
        recipient.writeTo(dst);
        return tail(dst, senderPeerId, recipientPeerId, type);
    }

    /**
     * Starts a packet with every header field given. Flags follow from the arguments: 0x01 if
     * {@code sender} is full, 0x02 if {@code recipient} is full, 0x04 if {@code authErrorResponse}.
     *
     * @return {@code dst}, positioned at the first message byte
     */
    public ByteBuffer begin(
            ByteBuffer dst,
            int hopCount,
            boolean authErrorResponse,
            AddressField sender,
            AddressField recipient,
            int senderPeerId,
            int recipientPeerId,
            MessageType type) {
        if ((hopCount & ~0xff) != 0) {
            throw new IllegalArgumentException("hop count out of range: " + hopCount);
        }
        int f = (sender.isFull() ? PacketFormat.FLAG_SENDER_FULL : 0)
                | (recipient.isFull() ? PacketFormat.FLAG_RECIPIENT_FULL : 0)
                | (authErrorResponse ? PacketFormat.FLAG_AUTH_ERROR : 0);
        head(dst, hopCount, f);
        sender.writeTo(dst);
        recipient.writeTo(dst);
        return tail(dst, senderPeerId, recipientPeerId, type);
    }

    private void head(ByteBuffer dst, int hopCount, int f) {
        Objects.requireNonNull(dst, "dst");
        this.dst = dst;
        this.start = dst.position();
        this.flags = f;
        dst.put((byte) hopCount).put((byte) f).putLong(0L);
    }

    private ByteBuffer tail(ByteBuffer dst, int senderPeerId, int recipientPeerId, MessageType type) {
        if ((senderPeerId & ~0xf) != 0 || (recipientPeerId & ~0xf) != 0) {
            start = -1;
            throw new IllegalArgumentException("peer ids are 4 bits (0-15): " + senderPeerId + ", " + recipientPeerId);
        }
        dst.put((byte) ((senderPeerId << 4) | recipientPeerId)).put((byte) type.code());
        return dst;
    }

    /** Absolute index of the packet being written. */
    public int start() {
        if (start < 0) {
            throw new IllegalStateException("no packet begun");
        }
        return start;
    }

    /**
     * Ends the packet at {@code dst}'s position: computes the MAC (DECISIONS 17) with the per-peer
     * key {@code cmac} holds and stores it. {@code dst}'s position is left at the packet's end.
     *
     * @return the packet length
     */
    public int finish(AesCmac cmac) {
        int s = start();
        int e = dst.position();
        PacketMac.computeAndStore(cmac, dst, s, e, scratch);
        start = -1;
        return e - s;
    }

    /**
     * Ends the packets begun with {@code ws[0 .. n)} (each at its buffer's position) as
     * {@link #finish} does, with one key for all of them: their MACs are computed together
     * ({@link AesCmac#foldedMany}), which is cheaper for a burst of packets to one peer than one
     * {@code finish} each. The MAC input is the same, byte for byte (DECISIONS 17): the MAC field
     * is first set to the packet length, then the bytes from the flags to the end are authenticated.
     * Buffers without an accessible array are finished one by one.
     *
     * @param n at most {@link AesCmac#MAX_MANY}
     */
    public static void finishAll(PacketWriter[] ws, int n, AesCmac cmac) {
        if (n < 0 || n > AesCmac.MAX_MANY) {
            throw new IllegalArgumentException("between 0 and " + AesCmac.MAX_MANY + " packets: " + n);
        }
        if (n < AesCmac.MIN_MANY) {
            for (int i = 0; i < n; i++) {
                ws[i].finish(cmac);
            }
            return;
        }
        Batch sc = BATCH.get();
        byte[][] arrays = sc.arrays;
        int[] offs = sc.offs;
        int[] lens = sc.lens;
        long[] macs = sc.macs;
        PacketWriter[] batched = sc.writers;
        int m = 0;
        for (int i = 0; i < n; i++) {
            PacketWriter w = ws[i];
            ByteBuffer b = w.dst;
            if (!b.hasArray()) {
                w.finish(cmac);
                continue;
            }
            int s = w.start();
            int e = b.position();
            b.putLong(s + PacketFormat.MAC, e - s);
            arrays[m] = b.array();
            offs[m] = b.arrayOffset() + s + PacketFormat.FLAGS;
            lens[m] = e - s - PacketFormat.FLAGS;
            batched[m++] = w;
        }
        cmac.foldedMany(arrays, offs, lens, m, macs);
        for (int i = 0; i < m; i++) {
            PacketWriter w = batched[i];
            w.dst.putLong(w.start + PacketFormat.MAC, macs[i]);
            w.start = -1;
            batched[i] = null;
            arrays[i] = null;
        }
    }

    /** Per-thread scratch of {@link #finishAll}, so a burst allocates nothing. */
    private static final class Batch {
        final byte[][] arrays = new byte[AesCmac.MAX_MANY][];
        final int[] offs = new int[AesCmac.MAX_MANY];
        final int[] lens = new int[AesCmac.MAX_MANY];
        final long[] macs = new long[AesCmac.MAX_MANY];
        final PacketWriter[] writers = new PacketWriter[AesCmac.MAX_MANY];
    }

    private static final ThreadLocal<Batch> BATCH = ThreadLocal.withInitial(Batch::new);

    /**
     * Ends an authentication error response (flag 0x04) without a MAC, for when no key is
     * usable: draft 3.2 allows such a packet to carry no valid MAC. The MAC field stays zero.
     * Any other packet must be authenticated, so this refuses it.
     *
     * @return the packet length
     */
    public int finishWithoutMac() {
        int s = start();
        if ((flags & PacketFormat.FLAG_AUTH_ERROR) == 0) {
            throw new IllegalStateException("only an authentication error response (flag 0x04) may go without a MAC");
        }
        start = -1;
        return dst.position() - s;
    }
}
