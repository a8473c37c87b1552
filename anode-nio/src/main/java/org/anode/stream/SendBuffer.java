package org.anode.stream;

import java.nio.ByteBuffer;

/**
 * The send side of one stream connection (draft 5.2.3, DECISIONS 21): the bytes written and not
 * yet acknowledged, in a ring of at most SO_SNDBUF, and one descriptor per packet in flight - a
 * ring indexed by sequence number of its first byte, length, send time and state flags - with the
 * byte counts that loss recovery and congestion control need ("pipe", RFC 6675: bytes in flight,
 * not counting packets judged lost). Sequence numbers count packets (DECISIONS 21).
 *
 * <p>Byte positions are absolute counters taken modulo the ring length. Both rings start small and
 * double on demand (bytes up to SO_SNDBUF, descriptors up to {@code maxPacketsInFlight}), and are
 * released when everything was acknowledged, so an idle connection holds neither. The descriptors
 * are parallel primitive arrays: nothing is allocated per packet.
 */
final class SendBuffer {
    /** Size at which the ring starts; it doubles on demand up to SO_SNDBUF. */
    static final int INITIAL_RING = 16 * 1024;
    /** Descriptors at first use; they double on demand up to {@code maxPacketsInFlight}. */
    static final int INITIAL_RECORDS = 32;
    /** Heap bytes of one descriptor (start, length, send time, flags). */
    static final int RECORD_BYTES = 8 + 4 + 8 + 1;

    /** Acknowledged (selectively, ahead of {@link #una()}). */
    static final byte F_ACKED = 1;
    /** Judged lost and not yet retransmitted: not in flight. */
    static final byte F_LOST = 2;
    /** Sent more than once: no RTT sample from it (Karn). */
    static final byte F_RETX = 4;
    /** Our FIN (S_CLOSE reason 00, DECISIONS 26): no payload. */
    static final byte F_FIN = 8;
    /** A zero-window probe. */
    static final byte F_PROBE = 16;
    /** Sent as a tail loss probe. */
    static final byte F_TLP = 32;

    private final int packetCap;
    private int bufSize;

    private byte[] ring;
    private ByteBuffer view;
    private ByteBuffer scratch;
    private long unaByte;
    private long nxtByte;
    private long endByte;

    private int una;
    private int nxt;
    private long[] recStart;
    private int recCap;
    private int[] recLen;
    private long[] recSent;
    private byte[] recFlags;

    private long inFlight;
    private long outstanding;
    private int lostCount;
    private int retxCursor;
    /** The connection's trace, or null; {@link #traceNow} is the time of the event being handled. */
    ConnectionTrace trace;

    long traceNow;

    /**
     * @param bufSize SO_SNDBUF
     * @param packetCap {@code maxPacketsInFlight}, a power of two
     * @param firstSeq the sequence number of the first packet (ISN + 1)
     */
    SendBuffer(int bufSize, int packetCap, int firstSeq) {
        this.bufSize = bufSize;
        this.packetCap = packetCap;
        this.una = firstSeq;
        this.nxt = firstSeq;
        this.retxCursor = firstSeq;
    }

    // ---- the bytes ----

    /**
     * Copies as many bytes from {@code src} as SO_SNDBUF leaves room for and returns that number,
     * possibly 0 (allocating the rings on first use).
     */
    int write(ByteBuffer src) {
        int want = src.remaining();
        if (want == 0) {
            return 0;
        }
        if (ring == null) {
            // Only ever (re)allocated while empty (see release), so the byte counters can simply keep
            // counting: positions are taken modulo the ring length.
            ring = new byte[Math.min(bufSize, INITIAL_RING)];
            view = ByteBuffer.wrap(ring);
        }
        ensureRecords();
        long free = bufSize - (endByte - unaByte);
        if (free <= 0) {
            return 0;
        }
        int n = (int) Math.min(want, free);
        ringRoom(n);
        int cap = ring.length;
        int off = (int) (endByte % cap);
        int first = Math.min(n, cap - off);
        src.get(ring, off, first);
        if (n > first) {
            src.get(ring, 0, n - first);
        }
        endByte += n;
        return n;
    }

    /** Grows the ring (doubling, up to SO_SNDBUF) until {@code n} more bytes fit. */
    private void ringRoom(int n) {
        long used = endByte - unaByte;
        if (ring.length - used >= n) {
            return;
        }
        long target = ring.length;
        while (target - used < n) {
            target = Math.min(Math.max(bufSize, used + n), target * 2);
        }
        replaceRing((int) target);
    }

    /** Re-places each buffered byte at its position in a ring of {@code size} bytes. */
    private void replaceRing(int size) {
        byte[] bigger = new byte[size];
        int oldCap = ring.length;
        for (long pos = unaByte; pos < endByte; pos++) {
            bigger[(int) (pos % size)] = ring[(int) (pos % oldCap)];
        }
        ring = bigger;
        view = ByteBuffer.wrap(ring);
    }

    /** SO_SNDBUF: bytes the buffer may hold. */
    int bufferSize() {
        return bufSize;
    }

    /**
     * SO_SNDBUF. Growing takes effect at once; shrinking below what is buffered only limits new
     * writes until the buffered data is acknowledged.
     */
    void setBufferSize(int bytes) {
        if (ring != null && endByte == unaByte && una == nxt) {
            ring = null;
            view = null;
        } else if (ring != null && bytes > ring.length) {
            replaceRing(bytes);
        }
        bufSize = bytes;
    }

    /** Bytes {@link #write} would accept now. */
    long free() {
        return bufSize - (endByte - unaByte);
    }

    /** Bytes written and not yet acknowledged (unsent included). */
    long unacknowledged() {
        return endByte - unaByte;
    }

    /** Bytes written and never sent. */
    long unsent() {
        return endByte - nxtByte;
    }

    boolean hasRing() {
        return ring != null;
    }

    /**
     * The payload of {@code len} bytes at byte position {@code start}: a view of the ring, or when
     * it wraps a copy in a scratch buffer (allocated once). Valid until the next call.
     */
    ByteBuffer payload(long start, int len, int maxPayload) {
        int cap = ring.length;
        int off = (int) (start % cap);
        if (off + len <= cap) {
            view.clear();
            view.position(off);
            view.limit(off + len);
            return view;
        }
        if (scratch == null || scratch.capacity() < len) {
            scratch = ByteBuffer.allocate(Math.max(len, maxPayload));
        }
        scratch.clear();
        int first = cap - off;
        scratch.put(ring, off, first);
        scratch.put(ring, 0, len - first);
        scratch.flip();
        return scratch;
    }

    // ---- the descriptors ----

    /** The oldest unacknowledged sequence number. */
    int una() {
        return una;
    }

    /** The next sequence number to send. */
    int nxt() {
        return nxt;
    }

    /** True when every packet sent was acknowledged. */
    boolean allAcked() {
        return una == nxt;
    }

    boolean hasRecords() {
        return recFlags != null;
    }

    /** Payload bytes sent, not acknowledged and not judged lost (RFC 6675 "pipe"). */
    long inFlight() {
        return inFlight;
    }

    /** Payload bytes sent and not acknowledged, lost ones included (what the peer's window covers). */
    long outstanding() {
        return outstanding;
    }

    /** Packets judged lost and not yet retransmitted. */
    int lostCount() {
        return lostCount;
    }

    byte flags(int seq) {
        return recFlags[seq & (recCap - 1)];
    }

    int length(int seq) {
        return recLen[seq & (recCap - 1)];
    }

    long start(int seq) {
        return recStart[seq & (recCap - 1)];
    }

    long sentAt(int seq) {
        return recSent[seq & (recCap - 1)];
    }

    private void ensureRecords() {
        if (recStart == null) {
            recCap = Math.min(packetCap, INITIAL_RECORDS);
            recStart = new long[recCap];
            recLen = new int[recCap];
            recSent = new long[recCap];
            recFlags = new byte[recCap];
        }
    }

    /**
     * True when a descriptor is free for the next sequence number, growing the descriptor ring
     * (doubling, up to {@code maxPacketsInFlight}) when it is full.
     */
    boolean recordRoom() {
        ensureRecords();
        if (nxt - una < recCap) {
            return true;
        }
        if (recCap >= packetCap) {
            return false;
        }
        int cap = Math.min(packetCap, recCap * 2);
        int om = recCap - 1;
        int nm = cap - 1;
        long[] start = new long[cap];
        int[] len = new int[cap];
        long[] sent = new long[cap];
        byte[] flags = new byte[cap];
        for (int q = una; q != nxt; q++) {
            // The live records keep their sequence numbers; only their slots move.
            start[q & nm] = recStart[q & om];
            len[q & nm] = recLen[q & om];
            sent[q & nm] = recSent[q & om];
            flags[q & nm] = recFlags[q & om];
        }
        recStart = start;
        recLen = len;
        recSent = sent;
        recFlags = flags;
        recCap = cap;
        return true;
    }

    /**
     * Takes the next {@code len} unsent bytes as the packet {@link #nxt()} (after
     * {@link #recordRoom()}) and returns its sequence number.
     */
    int sendNew(long now, int len, byte flags) {
        int s = nxt;
        int idx = s & (recCap - 1);
        recStart[idx] = nxtByte;
        recLen[idx] = len;
        recSent[idx] = now;
        recFlags[idx] = flags;
        nxt++;
        nxtByte += len;
        outstanding += len;
        inFlight += len;
        return s;
    }

    /** Our FIN takes the next sequence number (after {@link #recordRoom()}); returns it. */
    int sendFin(long now) {
        int s = nxt;
        int idx = s & (recCap - 1);
        recStart[idx] = nxtByte;
        recLen[idx] = 0;
        recSent[idx] = now;
        recFlags[idx] = F_FIN;
        nxt++;
        return s;
    }

    /** The oldest packet judged lost and not yet retransmitted, or {@link #nxt()} if none. */
    int nextLost() {
        int mask = recCap - 1;
        int s = Serial.max(retxCursor, una);
        while (s != nxt && (recFlags[s & mask] & (F_LOST | F_ACKED)) != F_LOST) {
            s++;
        }
        retxCursor = s;
        return s;
    }

    /** A lost packet goes out again: it is in flight once more, and yields no RTT sample. */
    void markRetransmitted(int seq, long now) {
        int idx = seq & (recCap - 1);
        recFlags[idx] = (byte) ((recFlags[idx] & ~F_LOST) | F_RETX);
        recSent[idx] = now;
        lostCount--;
        inFlight += recLen[idx];
    }

    /** A packet still in flight goes out again as a tail loss probe. */
    void markProbed(int seq, long now) {
        int idx = seq & (recCap - 1);
        recFlags[idx] = (byte) (recFlags[idx] | F_RETX | F_TLP);
        recSent[idx] = now;
    }

    /**
     * The newest packet not yet acknowledged at or after {@link #una()}, or {@link #nxt()} if every
     * one was (only while some are outstanding).
     */
    int newestUnacked() {
        int mask = recCap - 1;
        int s = nxt - 1;
        while ((recFlags[s & mask] & F_ACKED) != 0) {
            if (s == una) {
                return nxt;
            }
            s--;
        }
        return s;
    }

    /** A packet in flight (neither acknowledged nor lost) is judged lost. */
    void markLost(int seq) {
        if (trace != null) {
            trace.lost(traceNow, seq);
        }
        int idx = seq & (recCap - 1);
        recFlags[idx] = (byte) (recFlags[idx] | F_LOST);
        lostCount++;
        inFlight -= recLen[idx];
        if (seq - retxCursor < 0) {
            retxCursor = seq;
        }
    }

    /** The retransmission timeout: every packet in flight is judged lost. */
    void markAllLost() {
        int mask = recCap - 1;
        for (int s = una; s != nxt; s++) {
            int idx = s & mask;
            byte f = recFlags[idx];
            if ((f & (F_ACKED | F_LOST)) == 0) {
                if (trace != null) {
                    trace.lost(traceNow, s);
                }
                recFlags[idx] = (byte) (f | F_LOST);
                lostCount++;
                inFlight -= recLen[idx];
            }
        }
        retxCursor = una;
    }

    /**
     * A packet not yet acknowledged (its flags lack {@link #F_ACKED}) was acknowledged: it leaves
     * the flight. Returns its flags from before.
     */
    byte markAcked(int seq) {
        int idx = seq & (recCap - 1);
        byte f = recFlags[idx];
        recFlags[idx] = (byte) ((f | F_ACKED) & ~F_LOST);
        int len = recLen[idx];
        if ((f & F_LOST) != 0) {
            lostCount--;
        } else {
            inFlight -= len;
        }
        outstanding -= len;
        return f;
    }

    /** Moves {@link #una()} past the acknowledged packets at its front, freeing their bytes. */
    void advance() {
        int mask = recCap - 1;
        while (una != nxt && (recFlags[una & mask] & F_ACKED) != 0) {
            int idx = una & mask;
            unaByte = recStart[idx] + recLen[idx];
            recFlags[idx] = 0;
            una++;
        }
        if (una == nxt) {
            unaByte = nxtByte;
        }
        if (retxCursor - una < 0) {
            retxCursor = una;
        }
    }

    // ---- memory ----

    /** True when the rings are allocated and hold nothing anyone waits for. */
    boolean releasable() {
        return (ring != null || recStart != null) && endByte == unaByte && una == nxt;
    }

    /** Frees the rings if {@link #releasable()}; they are allocated again on the next write. */
    void releaseIfIdle() {
        if (releasable()) {
            ring = null;
            view = null;
            dropRecords();
            scratch = null;
        }
    }

    /** The connection failed: the unsent and unacknowledged data will never be delivered. */
    void dropAll() {
        ring = null;
        view = null;
        dropRecords();
    }

    private void dropRecords() {
        recStart = null;
        recCap = 0;
        recLen = null;
        recSent = null;
        recFlags = null;
    }

    /** Heap bytes held by the rings and the scratch buffer. */
    long allocatedBytes() {
        long n = 0;
        if (ring != null) {
            n += ring.length;
        }
        if (recStart != null) {
            n += (long) recCap * RECORD_BYTES;
        }
        if (scratch != null) {
            n += scratch.capacity();
        }
        return n;
    }
}
