package org.anode.conformance.stream;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.PriorityQueue;
import java.util.Random;
import org.anode.stream.AckRanges;
import org.anode.stream.StreamAcceptor;
import org.anode.stream.StreamConfig;
import org.anode.stream.StreamConnection;
import org.anode.stream.StreamException;
import org.anode.stream.StreamSink;

/**
 * A seeded, deterministic simulated network for the stream core (draft section 5): two endpoints,
 * a virtual clock, and a path per direction with loss, duplication, corruption (a corrupted packet
 * fails the MAC and is dropped, as the packet layer would), delay with jitter (hence reordering), a
 * bandwidth limit with a bounded queue, and partitions. Everything random comes from one seed, so a
 * failing case replays exactly.
 *
 * <p>The "glue" here is minimal: endpoint A opens, endpoint B listens (or refuses), and the two
 * applications run a {@link Workload} - A writes a pseudo-random byte stream and shuts its output, B
 * optionally writes back, and each side reads and checks every byte against the expected stream.
 */
final class SimNetwork {
    /** Impairments of one simulated path. */
    static final class Path {
        double loss;
        double duplicate;
        double corrupt;
        long delayNanos = 10_000_000L;
        long jitterNanos;
        long bytesPerSecond;
        long queueLimitNanos = 200_000_000L;
        long partitionFrom = Long.MAX_VALUE;
        long partitionUntil = Long.MIN_VALUE;
        long linkFreeAt;

        boolean partitioned(long now) {
            return now >= partitionFrom && now < partitionUntil;
        }
    }

    /** What the two applications do. */
    static final class Workload {
        long aToB;
        long bToA;
        boolean bListening = true;
        int readChunk = 4096;
        int writeChunk = 16384;
        /** B stops reading until this virtual time (exercises zero windows). */
        long bReadPausedUntil;
        /** A aborts (reason 2) at this virtual time. */
        long aAbortAt = Long.MAX_VALUE;
        /** A calls close() instead of shutdownOutput() after writing (only sensible when bToA is 0). */
        boolean aCloses;
        /** A neither shuts its output nor closes after writing: the stream stays open, quiet. */
        boolean aKeepsOutputOpen;
    }

    static final int OPEN = 1;
    static final int DATA = 2;
    static final int ACK = 3;
    static final int DACK = 4;
    static final int CLOSE = 5;

    static final class Packet {
        int type;
        int window;
        int isn;
        int flags;
        int seq;
        int reason;
        byte[] payload;
        int[] firsts;
        int[] counts;

        int wireSize() {
            int n = 28;
            switch (type) {
                case OPEN:
                    return n + 11;
                case DATA:
                    return n + 8 + payload.length;
                case ACK:
                    return n + 6 + 5 * firsts.length;
                case DACK:
                    return n + 11 + 5 * firsts.length + payload.length;
                default:
                    return n + 14;
            }
        }

        Packet copy() {
            Packet p = new Packet();
            p.type = type;
            p.window = window;
            p.isn = isn;
            p.flags = flags;
            p.seq = seq;
            p.reason = reason;
            p.payload = payload;
            p.firsts = firsts;
            p.counts = counts;
            return p;
        }
    }

    private static final class Event implements Comparable<Event> {
        final long time;
        final long order;
        final boolean toB;
        final Packet packet;

        Event(long time, long order, boolean toB, Packet packet) {
            this.time = time;
            this.order = order;
            this.toB = toB;
            this.packet = packet;
        }

        @Override
        public int compareTo(Event o) {
            int c = Long.compare(time, o.time);
            return c != 0 ? c : Long.compare(order, o.order);
        }
    }

    /** Result of one run. */
    static final class Outcome {
        long now;
        long aReceived;
        long bReceived;
        boolean aEof;
        boolean bEof;
        StreamException aFailure;
        StreamException bFailure;
        boolean bAccepted;
        long packetsSent;
        long packetsDropped;
        /** Data packets A sent, and how many of them carried a number A had sent before. */
        long dataSentA;

        long retransmissionsA;
        long maxAllocatedA;
        long maxAllocatedB;
        boolean aTerminated;
        boolean bTerminated;
        /** Longest virtual time B's application waited between two reads that returned A's bytes. */
        long maxStallB;
        /** When B's application last received bytes (or the run started). */
        long lastProgressB;
        /** When A's connect completed (0 if it never did). */
        long aEstablishedAt;

        boolean complete(Workload w) {
            return aFailure == null && bFailure == null && bReceived == w.aToB && aReceived == w.bToA && aEof && bEof;
        }

        @Override
        public String toString() {
            return "t=" + now / 1_000_000 + "ms aRecv=" + aReceived + " bRecv=" + bReceived + " aEof=" + aEof
                    + " bEof=" + bEof + " aFail=" + aFailure + " bFail=" + bFailure + " sent=" + packetsSent
                    + " dropped=" + packetsDropped;
        }
    }

    final Random rnd;
    final Path ab = new Path();
    final Path ba = new Path();
    final StreamConfig configA;
    final StreamConfig configB;
    private final PriorityQueue<Event> events = new PriorityQueue<>();
    private long order;
    long now = 1_000_000_000L;
    StreamConnection a;
    StreamConnection b;
    private final List<int[]> openIsnsSeenByB = new ArrayList<>();
    private final Outcome out = new Outcome();
    private final ByteBuffer readBuf;
    private final ByteBuffer writeBuf;
    private final byte[] expected = new byte[65536];
    private long aWritten;
    private long bWritten;
    private final long streamSeedAB;
    private final long streamSeedBA;
    private final AckRanges inRanges = new AckRanges(512);

    SimNetwork(long seed, StreamConfig configA, StreamConfig configB) {
        this.rnd = new Random(seed);
        this.configA = configA.random(new Random(seed * 31 + 7));
        this.configB = configB.random(new Random(seed * 17 + 3));
        this.streamSeedAB = seed ^ 0x5DEECE66DL;
        this.streamSeedBA = seed ^ 0xABCDEF12345L;
        this.readBuf = ByteBuffer.allocate(65536);
        this.writeBuf = ByteBuffer.allocate(65536);
    }

    /** Byte {@code i} of the stream identified by {@code seed}: cheap, position-dependent, seed-dependent. */
    static byte streamByte(long seed, long i) {
        return (byte) (block(seed, i >>> 3) >>> ((i & 7) * 8));
    }

    private static long block(long seed, long b) {
        long x = (b + seed) * 0x9E3779B97F4A7C15L;
        x ^= x >>> 29;
        x *= 0xBF58476D1CE4E5B9L;
        x ^= x >>> 32;
        return x;
    }

    /** Fills {@code out[off .. off+n)} with stream bytes from position {@code pos}. */
    static void fill(long seed, long pos, byte[] out, int off, int n) {
        long cachedBlock = -1;
        long v = 0;
        for (int i = 0; i < n; i++) {
            long p = pos + i;
            long b = p >>> 3;
            if (b != cachedBlock) {
                cachedBlock = b;
                v = block(seed, b);
            }
            out[off + i] = (byte) (v >>> ((p & 7) * 8));
        }
    }

    private final class Sink implements StreamSink {
        final boolean fromA;

        Sink(boolean fromA) {
            this.fromA = fromA;
        }

        @Override
        public void sendOpen(int windowUnits, int isn, int flags) {
            Packet p = new Packet();
            p.type = OPEN;
            p.window = windowUnits;
            p.isn = isn;
            p.flags = flags;
            send(fromA, p);
        }

        @Override
        public void sendData(int seq, ByteBuffer payload) {
            Packet p = new Packet();
            p.type = DATA;
            p.seq = seq;
            p.payload = bytes(payload);
            send(fromA, p);
        }

        @Override
        public void sendAck(int windowUnits, AckRanges ranges) {
            Packet p = new Packet();
            p.type = ACK;
            p.window = windowUnits;
            copyRanges(ranges, p);
            send(fromA, p);
        }

        @Override
        public void sendDataAck(int windowUnits, AckRanges ranges, int seq, ByteBuffer payload) {
            Packet p = new Packet();
            p.type = DACK;
            p.window = windowUnits;
            copyRanges(ranges, p);
            p.seq = seq;
            p.payload = bytes(payload);
            send(fromA, p);
        }

        @Override
        public void sendClose(int reason, int isn, int seq) {
            Packet p = new Packet();
            p.type = CLOSE;
            p.reason = reason;
            p.isn = isn;
            p.seq = seq;
            send(fromA, p);
        }
    }

    private static byte[] bytes(ByteBuffer b) {
        byte[] out = new byte[b.remaining()];
        b.get(out);
        return out;
    }

    private static void copyRanges(AckRanges r, Packet p) {
        if (r.size() < 1) {
            throw new AssertionError("an acknowledgement without ranges was emitted");
        }
        p.firsts = new int[r.size()];
        p.counts = new int[r.size()];
        for (int i = 0; i < r.size(); i++) {
            p.firsts[i] = r.first(i);
            p.counts[i] = r.count(i);
            if (p.counts[i] < 1 || p.counts[i] > 255) {
                throw new AssertionError("invalid range count " + p.counts[i]);
            }
        }
    }

    private final Sink sinkA = new Sink(true);
    private final Sink sinkB = new Sink(false);

    static final boolean TRACE = Boolean.getBoolean("sim.trace");

    private final java.util.HashSet<Integer> seqsSentA = new java.util.HashSet<>();

    /** When non-null, every packet A emits is appended here (an eavesdropper's capture of A's side). */
    List<Packet> captureA;

    private void send(boolean fromA, Packet p) {
        out.packetsSent++;
        if (fromA && captureA != null) {
            captureA.add(p.copy());
        }
        if (fromA && (p.type == DATA || p.type == DACK) && p.payload.length > 0) {
            out.dataSentA++;
            if (!seqsSentA.add(p.seq)) {
                out.retransmissionsA++;
            }
        }
        if (TRACE) {
            System.out.println((now / 1000) + "us " + (fromA ? "A>" : "B>") + " type=" + p.type + " seq=" + p.seq
                    + " win=" + p.window + " len=" + (p.payload == null ? -1 : p.payload.length) + " reason=" + p.reason
                    + (p.firsts == null
                            ? ""
                            : " acks=" + java.util.Arrays.toString(p.firsts) + java.util.Arrays.toString(p.counts)));
        }
        Path path = fromA ? ab : ba;
        int copies = rnd.nextDouble() < path.duplicate ? 2 : 1;
        for (int c = 0; c < copies; c++) {
            if (path.partitioned(now) || rnd.nextDouble() < path.loss || rnd.nextDouble() < path.corrupt) {
                out.packetsDropped++;
                continue;
            }
            long depart = now;
            if (path.bytesPerSecond > 0) {
                long start = Math.max(now, path.linkFreeAt);
                if (start - now > path.queueLimitNanos) {
                    out.packetsDropped++;
                    continue;
                }
                long tx = p.wireSize() * 1_000_000_000L / path.bytesPerSecond;
                path.linkFreeAt = start + tx;
                depart = start + tx;
            }
            long jitter = path.jitterNanos > 0 ? (long) (rnd.nextDouble() * path.jitterNanos) : 0;
            events.add(new Event(depart + path.delayNanos + jitter, order++, fromA, c == 0 ? p : p.copy()));
        }
    }

    private void deliver(Event e) {
        Packet p = e.packet;
        StreamConnection target = e.toB ? b : a;
        if (e.toB && b == null) {
            if (p.type == OPEN) {
                if (workload.bListening) {
                    b = new StreamAcceptor(configB, 0).accept(now, p.window, p.isn, p.flags);
                    out.bAccepted = true;
                    openIsnsSeenByB.add(new int[] {p.isn});
                } else {
                    StreamAcceptor.refuse(sinkB, p.isn);
                }
            }
            return;
        }
        if (target == null) {
            return;
        }
        switch (p.type) {
            case OPEN:
                target.onOpen(now, p.window, p.isn, p.flags);
                break;
            case DATA:
                target.onData(now, p.seq, ByteBuffer.wrap(p.payload));
                break;
            case ACK:
                fill(p);
                target.onAck(now, p.window, inRanges);
                break;
            case DACK:
                fill(p);
                target.onDataAck(now, p.window, inRanges, p.seq, ByteBuffer.wrap(p.payload));
                break;
            case CLOSE:
                target.onClose(now, p.reason, p.isn, p.seq);
                break;
            default:
                throw new AssertionError();
        }
    }

    private void fill(Packet p) {
        inRanges.clear();
        for (int i = 0; i < p.firsts.length; i++) {
            inRanges.append(p.firsts[i], p.counts[i]);
        }
    }

    private Workload workload;

    /**
     * Runs the workload until both sides are finished (complete or failed) or {@code limitNanos} of
     * virtual time have passed.
     */
    Outcome run(Workload w, long limitNanos) {
        this.workload = w;
        a = StreamConnection.connect(configA, now, 0);
        out.lastProgressB = now;
        long end = now + limitNanos;
        long allocBoundA = allocationBound(configA);
        long allocBoundB = allocationBound(configB);
        // The loop body lives in its own method: JDK 17.0.15's C2 crashed compiling it on-stack.
        while (now < end && step(w, allocBoundA, allocBoundB)) {
            // step() advances the virtual clock
        }
        out.now = now;
        out.aFailure = a.failure();
        out.bFailure = b == null ? null : b.failure();
        out.aTerminated = a.isTerminated();
        out.bTerminated = b == null || b.isTerminated();
        return out;
    }

    private boolean step(Workload w, long allocBoundA, long allocBoundB) {
        if (out.aEstablishedAt == 0 && a.isEstablished()) {
            out.aEstablishedAt = now;
        }
        apps();
        pump();
        if (a != null) {
            out.maxAllocatedA = Math.max(out.maxAllocatedA, a.allocatedBytes());
            if (a.allocatedBytes() > allocBoundA) {
                throw new AssertionError("A allocated " + a.allocatedBytes() + " > bound " + allocBoundA);
            }
        }
        if (b != null) {
            out.maxAllocatedB = Math.max(out.maxAllocatedB, b.allocatedBytes());
            if (b.allocatedBytes() > allocBoundB) {
                throw new AssertionError("B allocated " + b.allocatedBytes() + " > bound " + allocBoundB);
            }
        }
        if (finished()) {
            return false;
        }
        long next = Long.MAX_VALUE;
        if (!events.isEmpty()) {
            next = events.peek().time;
        }
        next = Math.min(next, a.nextTimeoutNanos());
        if (b != null) {
            next = Math.min(next, b.nextTimeoutNanos());
        }
        if (w.bReadPausedUntil > now) {
            next = Math.min(next, w.bReadPausedUntil);
        }
        if (w.aAbortAt > now) {
            next = Math.min(next, w.aAbortAt);
        }
        if (next == Long.MAX_VALUE) {
            // Nothing can happen any more; the caller judges whether this end state is legal.
            return false;
        }
        if (next > now) {
            now = next;
        }
        while (!events.isEmpty() && events.peek().time <= now) {
            deliver(events.poll());
        }
        if (now >= a.nextTimeoutNanos()) {
            a.onTimer(now);
        }
        if (b != null && now >= b.nextTimeoutNanos()) {
            b.onTimer(now);
        }
        return true;
    }

    String state() {
        return out + " a[" + describe(a) + "] b[" + describe(b) + "]";
    }

    private static String describe(StreamConnection c) {
        if (c == null) {
            return "none";
        }
        return "est=" + c.isEstablished() + " unacked=" + c.unacknowledgedBytes() + " readable=" + c.readableBytes()
                + " outShut=" + c.isOutputShutdown() + " outClosed=" + c.isOutputClosed() + " inClosed="
                + c.isInputClosed() + " cwnd=" + c.congestionWindow() + " peerWin=" + c.peerWindowBytes()
                + " term=" + c.isTerminated() + " next=" + c.nextTimeoutNanos();
    }

    /** The most a connection may ever allocate under {@code c} (see StreamConnection's bounds). */
    static long allocationBound(StreamConfig c) {
        long packets = c.maxPacketsInFlight();
        long chunk = Math.max(c.maxPayload(), 65535);
        // 21 bytes per send descriptor, 33 per packet of the BBR controller's delivery-rate state.
        return c.sendBufferSize()
                + packets * (21 + 33)
                + c.receiveBufferSize()
                + packets * 12
                + c.receiveBufferSize()
                + chunk
                + 16L * chunk
                + chunk;
    }

    private boolean finished() {
        boolean aDone = a.failure() != null || (a.isTerminated());
        boolean bDone = b == null ? (a.failure() != null) : (b.failure() != null || b.isTerminated());
        if (aDone && bDone) {
            return true;
        }
        // Both applications saw everything and both closes are acknowledged: only time-wait remains.
        return b != null && out.aEof && out.bEof && a.isOutputClosed() && b.isOutputClosed();
    }

    private void apps() {
        if (now >= workload.aAbortAt && a.failure() == null) {
            a.abort(StreamConnection.REASON_PROTOCOL_ERROR);
        }
        // A writes its stream, then shuts output.
        if (a.failure() == null && !a.isOutputShutdown()) {
            aWritten += writeSome(a, streamSeedAB, aWritten, workload.aToB);
            if (aWritten == workload.aToB && !workload.aKeepsOutputOpen) {
                if (!workload.aCloses) {
                    a.shutdownOutput();
                } else if (a.isEstablished()) {
                    // close() while connecting abandons the connect; NIO code closes only once connected.
                    a.close(now);
                }
            }
        }
        if (b != null && b.failure() == null && !b.isOutputShutdown()) {
            bWritten += writeSome(b, streamSeedBA, bWritten, workload.bToA);
            if (bWritten == workload.bToA) {
                b.shutdownOutput();
            }
        }
        if (!out.aEof) {
            out.aReceived += readSome(a, streamSeedBA, out.aReceived, workload.bToA, true);
        }
        if (b != null && !out.bEof && now >= workload.bReadPausedUntil) {
            long got = readSome(b, streamSeedAB, out.bReceived, workload.aToB, false);
            if (got > 0) {
                out.maxStallB = Math.max(out.maxStallB, now - out.lastProgressB);
                out.lastProgressB = now;
                out.bReceived += got;
            }
        }
    }

    private int writeSome(StreamConnection c, long seed, long written, long total) {
        int n = 0;
        try {
            while (written + n < total) {
                int chunk = (int) Math.min(Math.min(workload.writeChunk, writeBuf.capacity()), total - written - n);
                // Only generate what the connection can take (the rest would be regenerated anyway).
                chunk = Math.min(chunk, Math.max(1, c.sendBufferFree()));
                writeBuf.clear();
                fill(seed, written + n, writeBuf.array(), 0, chunk);
                writeBuf.limit(chunk);
                int w = c.write(writeBuf);
                n += w;
                if (w < chunk) {
                    break;
                }
            }
        } catch (StreamException e) {
            // The failure is recorded by the connection itself; the outcome reports it.
        }
        return n;
    }

    private long readSome(StreamConnection c, long seed, long received, long total, boolean isA) {
        long n = 0;
        try {
            while (true) {
                readBuf.clear();
                readBuf.limit(Math.min(workload.readChunk, readBuf.capacity()));
                int r = c.read(readBuf);
                if (r < 0) {
                    if (received + n != total) {
                        throw new AssertionError("end-of-stream after " + (received + n) + " of " + total + " bytes");
                    }
                    if (isA) {
                        out.aEof = true;
                    } else {
                        out.bEof = true;
                    }
                    break;
                }
                if (r == 0) {
                    break;
                }
                if (received + n + r > total) {
                    throw new AssertionError("received more than was written: " + (received + n + r) + " of " + total);
                }
                fill(seed, received + n, expected, 0, r);
                byte[] got = readBuf.array();
                for (int i = 0; i < r; i++) {
                    if (got[i] != expected[i]) {
                        throw new AssertionError("corrupted byte at offset " + (received + n + i));
                    }
                }
                n += r;
            }
        } catch (StreamException e) {
            // Failure recorded on the connection.
        }
        return n;
    }

    private void pump() {
        for (int round = 0; round < 1000; round++) {
            int n = a.transmit(now, sinkA, 64);
            if (b != null) {
                n += b.transmit(now, sinkB, 64);
            }
            if (n == 0) {
                return;
            }
            apps();
        }
    }
}
