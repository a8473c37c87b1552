package org.anode.stream;

import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * The receive side of one stream connection (draft 5.2.3, DECISIONS 21, 24 and 26): reassembly of
 * the peer's packets into the byte stream the application reads, and the window advertised for it.
 *
 * <p>In-order data goes to a byte ring; a packet that arrives ahead of a gap is held in a slot
 * indexed by its sequence number (at most {@code maxPacketsInFlight} slots, each packet counted at
 * its allocated size) until the gap fills. Everything counts against SO_RCVBUF, except that one
 * packet may be accepted beyond it to fill the gap that blocks delivery. The ring and the slots
 * start small, double on demand and are released when empty; held packets' arrays are pooled.
 *
 * <p>Sequence numbers: {@link #next()} is the next one expected in order; below it, numbers from
 * {@code del} on are held in slots and not yet moved into the ring. The peer's FIN takes a number
 * like data (DECISIONS 26) and is delivered as end-of-stream after everything before it.
 */
final class ReceiveBuffer {
    /** {@link #onData} outcomes. */
    static final int IGNORED = 0;
    /** An old number (at most {@link #DUP_ACK_HORIZON} back): acknowledge it again. */
    static final int OLD_DUPLICATE = 1;
    /** Beyond the packets the slots can track: dropped, answered with the window at once. */
    static final int BEYOND_WINDOW = 2;
    /** No room for it: dropped, answered with the window at once. */
    static final int NO_ROOM = 3;
    /** A copy of a packet already held out of order: acknowledge it again. */
    static final int HELD_DUPLICATE = 4;
    /** In order, nothing special: the acknowledgement may be delayed. */
    static final int IN_ORDER = 5;
    /** In order and it filled a gap, completed the stream, or a gap remains: acknowledge at once. */
    static final int IN_ORDER_ACK_NOW = 6;
    /** Held ahead of a gap: acknowledge at once. */
    static final int OUT_OF_ORDER = 7;

    /** {@link #onFin} outcomes besides {@link #IGNORED}: a copy of the FIN already delivered. */
    static final int FIN_DUPLICATE = 8;
    /** The FIN was taken (delivered now, or once the data before it arrives). */
    static final int FIN_ACCEPTED = 9;

    /** How far below {@link #next()} an old number is still acknowledged again. */
    static final int DUP_ACK_HORIZON = 1 << 20;

    private final int packetCap;
    private int bufSize;
    private int maxPayload;

    private int nxt;
    private int del;
    private int high;
    private long inOrderTotal;

    private byte[] ring;
    private long head;
    private long tail;
    private byte[][] slotBuf;
    private int slotCap;
    private int[] slotLen;
    private long storeBytes;
    /** Payload bytes held in the store below nxt: in order, readable, waiting for ring space. */
    private long storeReadable;

    private int storeOoo;
    private byte[][] pool;
    private int poolSize;
    private int maxLenSeen;

    private boolean finKnown;
    private int finSeq;
    private boolean finReceived;
    private long lastAdvertised;

    /**
     * @param bufSize SO_RCVBUF
     * @param packetCap {@code maxPacketsInFlight}, a power of two
     */
    ReceiveBuffer(int bufSize, int packetCap, int maxPayload) {
        this.bufSize = bufSize;
        this.packetCap = packetCap;
        this.maxPayload = maxPayload;
        this.lastAdvertised = bufSize;
    }

    /** The peer's ISN is known: its first packet is {@code peerIsn + 1}. */
    void start(int peerIsn) {
        nxt = peerIsn + 1;
        del = nxt;
        high = nxt;
    }

    /**
     * A data packet: the payload's {@code len} remaining bytes are copied (its position is not
     * moved). Returns what happened, for the acknowledgement: one of the constants above.
     */
    int onData(int seq, ByteBuffer payload, int len) {
        int d = seq - nxt;
        if (d < 0) {
            return d >= -DUP_ACK_HORIZON ? OLD_DUPLICATE : IGNORED;
        }
        if (len == 0) {
            // An empty S_DATA carries nothing to deliver; only an old number (a keepalive) is valid.
            return IGNORED;
        }
        if (finKnown && seq - finSeq >= 0) {
            return IGNORED;
        }
        if (seq - del >= packetCap) {
            return BEYOND_WINDOW;
        }
        ensureBuffers();
        int result;
        if (d == 0) {
            long buffered = (tail - head) + storeBytes;
            if (del == nxt
                    && bufSize - (tail - head) >= len
                    && storeOoo == 0
                    && tail - head + storeBytes + len <= bufSize) {
                ringPut(payload, len);
                del++;
            } else if (buffered + len <= bufSize || readableBytes() == 0) {
                slotRoom(seq);
                storeSlot(seq, payload, len, len);
                storeReadable += len;
            } else {
                return NO_ROOM;
            }
            nxt++;
            inOrderTotal++;
            boolean urgent = false;
            while (storeOoo > 0 && nxt - del < slotCap && slotLen[nxt & (slotCap - 1)] >= 0) {
                // A held packet directly follows: it is now in order.
                storeOoo--;
                storeReadable += slotLen[nxt & (slotCap - 1)];
                nxt++;
                inOrderTotal++;
                urgent = true;
            }
            if (finKnown && nxt == finSeq) {
                nxt++;
                inOrderTotal++;
                finReceived = true;
                urgent = true;
            }
            drainStore();
            result = urgent || storeOoo > 0 ? IN_ORDER_ACK_NOW : IN_ORDER;
        } else {
            if (seq - del < slotCap && slotLen[seq & (slotCap - 1)] >= 0) {
                return HELD_DUPLICATE;
            }
            int trueSize = Math.max(len, maxPayload);
            long limit = (long) bufSize - Math.max(maxLenSeen, len);
            if ((tail - head) + storeBytes + trueSize > limit) {
                return NO_ROOM;
            }
            slotRoom(seq);
            storeSlot(seq, payload, len, trueSize);
            storeOoo++;
            if (seq - high > 0) {
                high = seq;
            }
            result = OUT_OF_ORDER;
        }
        if (len > maxLenSeen) {
            maxLenSeen = len;
        }
        return result;
    }

    /**
     * The peer's FIN with number {@code seq} (S_CLOSE reason 00, DECISIONS 26). Returns
     * {@link #FIN_ACCEPTED}, {@link #FIN_DUPLICATE} or {@link #IGNORED} (outside the window, or
     * inconsistent with what was received).
     */
    int onFin(int seq) {
        if (finReceived) {
            return seq == finSeq ? FIN_DUPLICATE : IGNORED;
        }
        if (seq - nxt < 0 || seq - del >= packetCap) {
            return IGNORED;
        }
        if (finKnown && seq != finSeq) {
            return IGNORED;
        }
        if (!finKnown && storeOoo > 0 && high - seq >= 0) {
            // Data was already held beyond the claimed end of stream: an inconsistent peer.
            return IGNORED;
        }
        finKnown = true;
        finSeq = seq;
        if (nxt == finSeq) {
            nxt++;
            inOrderTotal++;
            finReceived = true;
            if (slotLen != null) {
                drainStore();
            } else {
                del = nxt;
            }
        }
        return FIN_ACCEPTED;
    }

    /** Copies readable in-order bytes into {@code dst}; returns how many (0 if none). */
    int read(ByteBuffer dst) {
        int total = 0;
        if (ring == null) {
            return 0;
        }
        while (dst.hasRemaining()) {
            long have = tail - head;
            if (have == 0) {
                if (!drainStore() || tail == head) {
                    break;
                }
                continue;
            }
            int cap = ring.length;
            int off = (int) (head % cap);
            int n = (int) Math.min(Math.min(have, dst.remaining()), cap - off);
            dst.put(ring, off, n);
            head += n;
            total += n;
        }
        if (total > 0) {
            drainStore();
        }
        return total;
    }

    /** Bytes {@link #read} can return now. */
    int readableBytes() {
        if (ring == null) {
            return 0;
        }
        return (int) Math.min(Integer.MAX_VALUE, tail - head + storeReadable);
    }

    /** Drops everything readable (input shut down or closed: data is acknowledged and discarded). */
    void discardReadable() {
        if (ring == null) {
            return;
        }
        head = tail;
        while (drainStore()) {
            head = tail;
        }
        head = tail;
    }

    // ---- the advertised window (DECISIONS 24) ----

    private long freeBytes() {
        if (ring == null) {
            return bufSize;
        }
        return Math.max(0, bufSize - (tail - head) - storeBytes);
    }

    /** Receiver-side silly window avoidance: less free space than this is advertised as 0. */
    private long swsThreshold() {
        return Math.min(bufSize / 2, Math.max(1024, maxPayload));
    }

    /** The window to advertise now, in 1024-byte units; remembered for {@link #windowUpdateDue()}. */
    int advertiseWindowUnits() {
        long free = freeBytes();
        if (free < swsThreshold()) {
            free = 0;
        }
        lastAdvertised = free;
        return (int) Math.min(65535, free / 1024);
    }

    /**
     * True when reading freed enough space that the peer should hear of it at once: the window
     * reopened past the silly-window threshold, or grew by half the buffer.
     */
    boolean windowUpdateDue() {
        long free = freeBytes();
        long threshold = swsThreshold();
        return (lastAdvertised < threshold && free >= threshold) || free - lastAdvertised >= bufSize / 2;
    }

    // ---- what the acknowledgements describe ----

    /** The next number expected in order. */
    int next() {
        return nxt;
    }

    /** Numbers received in order so far (data and FIN). */
    long inOrderTotal() {
        return inOrderTotal;
    }

    /** Packets held ahead of a gap. */
    int heldOutOfOrder() {
        return storeOoo;
    }

    /** The highest number held ahead of a gap (meaningful while {@link #heldOutOfOrder()} > 0). */
    int highestHeld() {
        return high;
    }

    boolean hasSlots() {
        return slotLen != null;
    }

    /** True when packet {@code seq} (above {@link #next()}) is held (after {@link #hasSlots()}). */
    boolean isHeld(int seq) {
        return seq - del < slotCap && slotLen[seq & (slotCap - 1)] >= 0;
    }

    /** True once the peer's FIN arrived, delivered or not. */
    boolean finKnown() {
        return finKnown;
    }

    int finSeq() {
        return finSeq;
    }

    /** True once the peer's FIN was received in order (end-of-stream follows the buffered data). */
    boolean finReceived() {
        return finReceived;
    }

    // ---- sizes and memory ----

    int bufferSize() {
        return bufSize;
    }

    /**
     * SO_RCVBUF. Takes effect at once: a smaller size shrinks the advertised window as the buffered
     * data is read.
     */
    void setBufferSize(int b) {
        if (ring == null) {
            bufSize = b;
        } else if (tail == head && storeBytes == 0) {
            bufSize = b;
            ring = null;
        } else if (b <= ring.length) {
            // Accounting uses the new, smaller limit; the existing ring is merely roomier.
            bufSize = b;
        } else {
            byte[] bigger = new byte[b];
            int n = (int) (tail - head);
            int cap = ring.length;
            for (int i = 0; i < n; i++) {
                bigger[i] = ring[(int) ((head + i) % cap)];
            }
            ring = bigger;
            head = 0;
            tail = n;
            bufSize = b;
        }
    }

    /** The path's largest payload (DECISIONS 27): held packets are counted at least at this size. */
    void setMaxPayload(int bytes) {
        maxPayload = bytes;
    }

    /** True when the buffers are allocated and hold nothing. */
    boolean releasable() {
        return ring != null && tail == head && storeBytes == 0 && del == nxt;
    }

    /** Frees the buffers if {@link #releasable()}; they are allocated again when data arrives. */
    void releaseIfIdle() {
        if (releasable()) {
            ring = null;
            dropSlots();
        }
    }

    /** The connection failed locally: nothing will be read. */
    void dropAll() {
        ring = null;
        dropSlots();
        storeBytes = 0;
        storeReadable = 0;
    }

    private void dropSlots() {
        slotBuf = null;
        slotCap = 0;
        slotLen = null;
        pool = null;
        poolSize = 0;
    }

    /** Heap bytes held by the ring, the slots and the held and pooled packets. */
    long allocatedBytes() {
        long n = 0;
        if (ring != null) {
            n += ring.length;
        }
        if (slotLen != null) {
            n += (long) slotCap * (8 + 4);
        }
        n += storeBytes;
        for (int i = 0; i < poolSize; i++) {
            n += pool[i].length;
        }
        return n;
    }

    // ---- internals ----

    private void ensureBuffers() {
        if (ring == null) {
            ring = new byte[Math.min(bufSize, SendBuffer.INITIAL_RING)];
            head = 0;
            tail = 0;
        }
        if (slotLen == null) {
            slotCap = Math.min(packetCap, SendBuffer.INITIAL_RECORDS);
            slotBuf = new byte[slotCap][];
            slotLen = new int[slotCap];
            Arrays.fill(slotLen, -1);
            pool = new byte[16][];
        }
    }

    /**
     * Makes room for {@code len} more bytes in the ring, growing it (doubling) up to SO_RCVBUF;
     * returns false if the ring is at its size and lacks room. An in-order packet larger than
     * SO_RCVBUF itself (which may be as small as 1 KiB, packets up to 64 KiB) still fits once the
     * ring is empty: otherwise the reader would see readable-but-empty forever. That extra memory
     * is bounded by the largest accepted payload.
     */
    private boolean ringRoom(int len) {
        long used = tail - head;
        if (ring.length - used >= len) {
            return true;
        }
        long limit = used == 0 ? Math.max(bufSize, len) : bufSize;
        if (used + len > limit) {
            return false;
        }
        long target = ring.length;
        while (target - used < len) {
            target = Math.min(limit, target * 2);
        }
        byte[] bigger = new byte[(int) target];
        int cap = ring.length;
        for (int i = 0; i < used; i++) {
            bigger[i] = ring[(int) ((head + i) % cap)];
        }
        ring = bigger;
        head = 0;
        tail = used;
        return true;
    }

    /**
     * Makes the slots cover {@code seq} (which is within {@code maxPacketsInFlight} of {@code del}):
     * doubles them as needed, moving the held packets to their new slots.
     */
    private void slotRoom(int seq) {
        int need = seq - del + 1;
        if (need <= slotCap) {
            return;
        }
        int cap = slotCap;
        while (cap < need && cap < packetCap) {
            cap *= 2;
        }
        int om = slotCap - 1;
        int nm = cap - 1;
        byte[][] buf = new byte[cap][];
        int[] len = new int[cap];
        Arrays.fill(len, -1);
        for (int i = 0; i < slotCap; i++) {
            int q = del + i;
            buf[q & nm] = slotBuf[q & om];
            len[q & nm] = slotLen[q & om];
        }
        slotBuf = buf;
        slotLen = len;
        slotCap = cap;
    }

    private void ringPut(ByteBuffer payload, int len) {
        ringRoom(len);
        int cap = ring.length;
        int off = (int) (tail % cap);
        int first = Math.min(len, cap - off);
        int pos = payload.position();
        payload.get(pos, ring, off, first);
        if (len > first) {
            payload.get(pos + first, ring, 0, len - first);
        }
        tail += len;
    }

    private void storeSlot(int seq, ByteBuffer payload, int len, int trueSize) {
        int idx = seq & (slotCap - 1);
        byte[] chunk = takeChunk(trueSize);
        payload.get(payload.position(), chunk, 0, len);
        slotBuf[idx] = chunk;
        slotLen[idx] = len;
        storeBytes += chunk.length;
    }

    private byte[] takeChunk(int size) {
        while (poolSize > 0) {
            byte[] c = pool[--poolSize];
            pool[poolSize] = null;
            if (c.length >= size) {
                return c;
            }
        }
        return new byte[size];
    }

    private void giveChunk(byte[] c) {
        if (poolSize < pool.length && c.length <= Math.max(maxPayload, maxLenSeen)) {
            pool[poolSize++] = c;
        }
    }

    /** Moves in-order held packets into the ring while it has room. Returns true if anything moved. */
    private boolean drainStore() {
        boolean moved = false;
        if (slotLen == null) {
            return false;
        }
        int mask = slotCap - 1;
        while (del != nxt) {
            if (finReceived && del == finSeq) {
                del++;
                continue;
            }
            int idx = del & mask;
            int len = slotLen[idx];
            if (len < 0) {
                // Cannot happen for numbers below nxt; stop rather than spin.
                break;
            }
            if (bufSize - (tail - head) < len && tail != head) {
                break;
            }
            byte[] chunk = slotBuf[idx];
            if (!ringRoom(len)) {
                break;
            }
            int cap = ring.length;
            int off = (int) (tail % cap);
            int first = Math.min(len, cap - off);
            System.arraycopy(chunk, 0, ring, off, first);
            if (len > first) {
                System.arraycopy(chunk, first, ring, 0, len - first);
            }
            tail += len;
            storeBytes -= chunk.length;
            storeReadable -= len;
            slotBuf[idx] = null;
            slotLen[idx] = -1;
            giveChunk(chunk);
            del++;
            moved = true;
        }
        return moved;
    }
}
