package org.anode.linkemu;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.util.PriorityQueue;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A userspace UDP link emulator with netem's semantics ({@link LinkProfile}), sitting on the real
 * UDP path between two nodes: node A sends to {@link #addressForA()} as if it were B, node B sends
 * to {@link #addressForB()} as if it were A, and the emulator forwards each datagram to the other
 * side after applying that direction's impairments. B therefore sees A's packets coming from
 * {@link #addressForB()}, so its replies go through the emulator too.
 *
 * <p>A's real address may be given, or learnt from the last datagram that arrived on A's side
 * (for a client with an ephemeral port, such as a QUIC client). Every random decision comes from
 * the seed ({@link LinkModel}); with real sockets the arrival order, hence the exact outcome, can
 * still vary. The queue of each direction is bounded by its profile's limit. One thread runs the
 * emulator; {@link #close()} stops it.
 */
public final class LinkEmulator implements AutoCloseable {
    /** Per-direction counters. */
    public static final class Stats {
        public final AtomicLong received = new AtomicLong();
        public final AtomicLong forwarded = new AtomicLong();
        public final AtomicLong lost = new AtomicLong();
        public final AtomicLong queueDrops = new AtomicLong();
        public final AtomicLong duplicated = new AtomicLong();
        public final AtomicLong corrupted = new AtomicLong();

        @Override
        public String toString() {
            return "received=" + received + " forwarded=" + forwarded + " lost=" + lost + " queueDrops=" + queueDrops
                    + " duplicated=" + duplicated + " corrupted=" + corrupted;
        }
    }

    private static final class Held implements Comparable<Held> {
        final long departure;
        final long order;
        final boolean toB;
        final byte[] data;

        Held(long departure, long order, boolean toB, byte[] data) {
            this.departure = departure;
            this.order = order;
            this.toB = toB;
            this.data = data;
        }

        @Override
        public int compareTo(Held o) {
            int c = Long.compare(departure, o.departure);
            return c != 0 ? c : Long.compare(order, o.order);
        }
    }

    private static final int MAX_DATAGRAM = 65535;

    private final DatagramChannel sideA;
    private final DatagramChannel sideB;
    private final Selector selector;
    private final LinkModel aToB;
    private final LinkModel bToA;
    private final Stats statsAToB = new Stats();
    private final Stats statsBToA = new Stats();
    private final InetSocketAddress nodeB;
    private volatile SocketAddress nodeA;
    private final PriorityQueue<Held> queue = new PriorityQueue<>();
    private final ByteBuffer buf = ByteBuffer.allocateDirect(MAX_DATAGRAM);
    private final LinkModel.Decision decision = new LinkModel.Decision();
    private final Thread thread;
    private volatile boolean closed;
    private long order;

    /**
     * Starts an emulator on the loopback address between {@code nodeA} (null: learnt from its first
     * datagram) and {@code nodeB}, both directions clean until {@link #setProfile} is called.
     */
    public LinkEmulator(InetSocketAddress nodeA, InetSocketAddress nodeB, long seed) throws IOException {
        this(InetAddress.getLoopbackAddress(), nodeA, nodeB, seed);
    }

    /** As {@link #LinkEmulator(InetSocketAddress, InetSocketAddress, long)}, listening on {@code bind}. */
    public LinkEmulator(InetAddress bind, InetSocketAddress nodeA, InetSocketAddress nodeB, long seed)
            throws IOException {
        if (nodeB == null) {
            throw new IllegalArgumentException("node B's address is required");
        }
        this.nodeA = nodeA;
        this.nodeB = nodeB;
        this.aToB = new LinkModel(seed * 2 + 1, LinkProfile.CLEAN);
        this.bToA = new LinkModel(seed * 2 + 2, LinkProfile.CLEAN);
        this.selector = Selector.open();
        DatagramChannel a = null;
        DatagramChannel b = null;
        try {
            a = open(bind);
            b = open(bind);
            a.register(selector, SelectionKey.OP_READ, Boolean.TRUE);
            b.register(selector, SelectionKey.OP_READ, Boolean.FALSE);
        } catch (IOException | RuntimeException e) {
            close(a);
            close(b);
            selector.close();
            throw e;
        }
        this.sideA = a;
        this.sideB = b;
        this.thread = new Thread(this::run, "link-emulator-" + a.socket().getLocalPort());
        thread.setDaemon(true);
        thread.start();
    }

    private static DatagramChannel open(InetAddress bind) throws IOException {
        DatagramChannel ch = DatagramChannel.open();
        try {
            // Large socket buffers: the emulator's own queue, not the kernel's, should decide drops.
            ch.setOption(StandardSocketOptions.SO_RCVBUF, 8 << 20);
            ch.setOption(StandardSocketOptions.SO_SNDBUF, 8 << 20);
            ch.bind(new InetSocketAddress(bind, 0));
            ch.configureBlocking(false);
            return ch;
        } catch (IOException | RuntimeException e) {
            ch.close();
            throw e;
        }
    }

    private static void close(DatagramChannel ch) {
        if (ch != null) {
            try {
                ch.close();
            } catch (IOException ignored) {
                // Closing after a failed start; the start's exception is what matters.
            }
        }
    }

    /** Where node A sends its datagrams for B. */
    public InetSocketAddress addressForA() throws IOException {
        return (InetSocketAddress) sideA.getLocalAddress();
    }

    /** Where node B sends its datagrams for A. */
    public InetSocketAddress addressForB() throws IOException {
        return (InetSocketAddress) sideB.getLocalAddress();
    }

    /** Sets the impairments of the A-to-B direction. */
    public void setAToB(LinkProfile p) {
        aToB.setProfile(p);
    }

    /** Sets the impairments of the B-to-A direction. */
    public void setBToA(LinkProfile p) {
        bToA.setProfile(p);
    }

    /** Sets the same impairments in both directions. */
    public void setProfile(LinkProfile p) {
        setAToB(p);
        setBToA(p);
    }

    public Stats statsAToB() {
        return statsAToB;
    }

    public Stats statsBToA() {
        return statsBToA;
    }

    private void run() {
        try {
            while (!closed) {
                long now = System.nanoTime();
                Held head = queue.peek();
                if (head == null) {
                    selector.select(100);
                } else if (head.departure - now > 200_000) {
                    // Millisecond timer granularity: a departure may be up to a millisecond late,
                    // never early. Below 0.2 ms the loop polls rather than oversleeping.
                    selector.select(Math.max(1, (head.departure - now) / 1_000_000));
                } else {
                    selector.selectNow();
                }
                selector.selectedKeys().clear();
                receiveAll(sideA, true);
                receiveAll(sideB, false);
                sendDue(System.nanoTime());
            }
        } catch (IOException e) {
            if (!closed) {
                System.getLogger(LinkEmulator.class.getName())
                        .log(System.Logger.Level.WARNING, "link emulator stopped", e);
            }
        }
    }

    private void receiveAll(DatagramChannel ch, boolean fromA) throws IOException {
        // Bounded per round so that departures are not starved by a flood.
        for (int i = 0; i < 256; i++) {
            buf.clear();
            SocketAddress src = ch.receive(buf);
            if (src == null) {
                return;
            }
            if (fromA) {
                nodeA = src;
            }
            buf.flip();
            int len = buf.remaining();
            long now = System.nanoTime();
            LinkModel model = fromA ? aToB : bToA;
            Stats st = fromA ? statsAToB : statsBToA;
            st.received.incrementAndGet();
            model.admit(now, len, decision);
            st.lost.addAndGet(decision.droppedLoss);
            st.queueDrops.addAndGet(decision.droppedQueue);
            if (decision.copies == 2) {
                st.duplicated.incrementAndGet();
            }
            for (int c = 0; c < decision.copies; c++) {
                byte[] data = new byte[len];
                buf.get(buf.position(), data, 0, len);
                if (c == 0 && decision.corrupt) {
                    LinkModel.flip(data, 0, decision.corruptBit);
                    st.corrupted.incrementAndGet();
                }
                queue.add(new Held(decision.departures[c], order++, fromA, data));
            }
        }
    }

    private void sendDue(long now) throws IOException {
        while (!queue.isEmpty() && queue.peek().departure <= now) {
            Held h = queue.poll();
            (h.toB ? aToB : bToA).departed();
            SocketAddress dst = h.toB ? nodeB : nodeA;
            if (dst == null) {
                continue;
            }
            try {
                (h.toB ? sideB : sideA).send(ByteBuffer.wrap(h.data), dst);
                (h.toB ? statsAToB : statsBToA).forwarded.incrementAndGet();
            } catch (IOException e) {
                // The destination went away (ICMP unreachable reported on the socket): like a
                // link whose far end is down, the packet is gone.
                if (!sideA.isOpen() || !sideB.isOpen()) {
                    throw e;
                }
            }
        }
    }

    @Override
    public void close() throws IOException {
        closed = true;
        selector.wakeup();
        try {
            thread.join(5000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        try {
            sideA.close();
            sideB.close();
        } finally {
            selector.close();
        }
    }
}
