package org.anode.nio;

import java.nio.ByteBuffer;

/**
 * The bounded receive queue of one {@link AnodeDatagramChannel} (draft 4.2.10 DGRAM payloads with
 * their source): at most {@code byteLimit} payload bytes (SO_RCVBUF) and {@code countLimit}
 * datagrams. A datagram that does not fit is dropped, as UDP drops on a full socket buffer.
 *
 * <p>Payloads sit back to back in one byte ring that starts small and doubles up to the byte limit,
 * so an idle channel costs little and a busy one allocates nothing per datagram. Not thread-safe:
 * the channel guards it with its queue lock.
 */
final class AnodeDatagramQueue {
    private static final int INITIAL_BYTES = 8 * 1024;
    private static final int INITIAL_COUNT = 16;

    private byte[] ring = new byte[0];
    private int dataHead;
    private int bytesUsed;
    private int[] lengths = new int[0];
    private AnodeSocketAddress[] sources = new AnodeSocketAddress[0];
    private int head;
    private int count;
    private int byteLimit;
    private int countLimit;
    private long dropped;

    AnodeDatagramQueue(int byteLimit, int countLimit) {
        this.byteLimit = byteLimit;
        this.countLimit = countLimit;
    }

    void setByteLimit(int limit) {
        this.byteLimit = limit;
    }

    int byteLimit() {
        return byteLimit;
    }

    int size() {
        return count;
    }

    boolean isEmpty() {
        return count == 0;
    }

    long dropped() {
        return dropped;
    }

    /** Appends a datagram copied from {@code src[off, off + len)}; false (counted) if it does not fit. */
    boolean offer(AnodeSocketAddress source, ByteBuffer src, int off, int len) {
        if (count >= countLimit || bytesUsed + len > byteLimit) {
            dropped++;
            return false;
        }
        ensureCapacity(bytesUsed + len, count + 1);
        int cap = ring.length;
        int tail = cap == 0 ? 0 : (dataHead + bytesUsed) % cap;
        int first = Math.min(len, cap - tail);
        src.get(off, ring, tail, first);
        if (first < len) {
            src.get(off + first, ring, 0, len - first);
        }
        bytesUsed += len;
        int slot = (head + count) % lengths.length;
        lengths[slot] = len;
        sources[slot] = source;
        count++;
        return true;
    }

    /** Length of the datagram at the head; queue must be non-empty. */
    int peekLength() {
        return lengths[head];
    }

    /** Source of the datagram at the head; queue must be non-empty. */
    AnodeSocketAddress peekSource() {
        return sources[head];
    }

    /**
     * Removes the head datagram, copying as much as fits into {@code dsts[off, off + n)} in order
     * (scatter); the rest of the datagram is discarded, as UDP truncates. Returns the bytes copied.
     */
    int poll(ByteBuffer[] dsts, int off, int n) {
        int len = lengths[head];
        int cap = ring.length;
        int pos = dataHead;
        int left = len;
        int copied = 0;
        for (int i = off; i < off + n && left > 0; i++) {
            ByteBuffer d = dsts[i];
            int take = Math.min(d.remaining(), left);
            copied += copyOut(d, pos, take, cap);
            pos = cap == 0 ? 0 : (pos + take) % cap;
            left -= take;
        }
        dropHead(len);
        return copied;
    }

    /** As {@link #poll(ByteBuffer[], int, int)} for one buffer. */
    int poll(ByteBuffer dst) {
        int len = lengths[head];
        int copied = copyOut(dst, dataHead, Math.min(dst.remaining(), len), ring.length);
        dropHead(len);
        return copied;
    }

    private int copyOut(ByteBuffer d, int pos, int take, int cap) {
        if (take == 0) {
            return 0;
        }
        int first = Math.min(take, cap - pos);
        d.put(ring, pos, first);
        if (first < take) {
            d.put(ring, 0, take - first);
        }
        return take;
    }

    private void dropHead(int len) {
        sources[head] = null;
        head = (head + 1) % lengths.length;
        count--;
        bytesUsed -= len;
        dataHead = ring.length == 0 ? 0 : (dataHead + len) % ring.length;
        if (count == 0) {
            head = 0;
            dataHead = 0;
        }
    }

    /** Discards every queued datagram whose source is not {@code keep} (after connect). */
    void retainOnly(AnodeSocketAddress keep) {
        int n = count;
        byte[] tmp = new byte[bytesUsed];
        int[] lens = new int[n];
        AnodeSocketAddress[] srcs = new AnodeSocketAddress[n];
        int kept = 0;
        int used = 0;
        for (int i = 0; i < n; i++) {
            AnodeSocketAddress s = sources[head];
            int len = lengths[head];
            if (s.equals(keep)) {
                poll(ByteBuffer.wrap(tmp, used, len));
                lens[kept] = len;
                srcs[kept] = s;
                kept++;
                used += len;
            } else {
                dropHead(len);
            }
        }
        ByteBuffer all = ByteBuffer.wrap(tmp);
        for (int i = 0, o = 0; i < kept; o += lens[i], i++) {
            offer(srcs[i], all, o, lens[i]);
        }
    }

    void clear() {
        for (int i = 0; i < sources.length; i++) {
            sources[i] = null;
        }
        head = 0;
        count = 0;
        bytesUsed = 0;
        dataHead = 0;
    }

    private void ensureCapacity(int bytes, int n) {
        if (bytes > ring.length) {
            int cap = Math.max(INITIAL_BYTES, ring.length);
            while (cap < bytes) {
                cap *= 2;
            }
            cap = Math.min(cap, Math.max(byteLimit, bytes));
            byte[] r = new byte[cap];
            int old = ring.length;
            if (bytesUsed > 0) {
                int first = Math.min(bytesUsed, old - dataHead);
                System.arraycopy(ring, dataHead, r, 0, first);
                System.arraycopy(ring, 0, r, first, bytesUsed - first);
            }
            ring = r;
            dataHead = 0;
        }
        if (n > lengths.length) {
            int cap = Math.max(INITIAL_COUNT, lengths.length * 2);
            cap = Math.min(cap, Math.max(countLimit, n));
            int[] l = new int[cap];
            AnodeSocketAddress[] s = new AnodeSocketAddress[cap];
            for (int i = 0; i < count; i++) {
                int k = (head + i) % lengths.length;
                l[i] = lengths[k];
                s[i] = sources[k];
            }
            lengths = l;
            sources = s;
            head = 0;
        }
    }
}
