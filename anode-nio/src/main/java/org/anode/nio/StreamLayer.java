package org.anode.nio;

import java.io.IOException;
import java.net.BindException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.ProtocolFamily;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReferenceArray;
import org.anode.address.AnodeAddress;
import org.anode.engine.Engine;
import org.anode.engine.EventLoop;
import org.anode.engine.Outbound;
import org.anode.engine.Peer;
import org.anode.engine.Transport;
import org.anode.stream.AckRanges;
import org.anode.stream.StreamAcceptor;
import org.anode.stream.StreamConfig;
import org.anode.stream.StreamConnection;
import org.anode.stream.StreamSink;
import org.anode.wire.MessageFields;
import org.anode.wire.MessageType;
import org.anode.wire.PacketFormat;
import org.anode.wire.PacketReader;
import org.anode.wire.SenderForm;

/**
 * A node's stream layer (draft section 5, DECISIONS 21-27): the glue between the pure
 * {@link StreamConnection} core, the node's {@link Engine} and event loop, and the channels
 * {@link AnodeSocketChannel} and {@link AnodeServerSocketChannel}.
 *
 * <h2>Demultiplexing (DECISIONS 23)</h2>
 * A connection is keyed by (remote address, remote link id, local port or local link id). For every
 * remote address the layer keeps two bounded tables: our own link ids (unique per remote, shared by
 * the connections we opened and those we accepted, so the peer's keys can never collide either), and
 * the demultiplexing key {@code remote link id << 16 | destination port field}. An opener's connection
 * is found by its own link id until the answering S_OPEN names the peer's link id; a refusal
 * (S_CLOSE reason 01) is matched the same way. An S_OPEN that matches nothing is a new connection for
 * the listener on its destination port. Our link ids avoid the ports we listen on, so an answer to
 * our S_OPEN is never mistaken for a new connection to that port. Stream ports are a namespace of
 * their own, separate from DGRAM ports (as TCP ports are from UDP ports).
 *
 * <h2>Refusal and backlog</h2>
 * An S_OPEN for a port where nothing listens is refused with S_CLOSE reason 01 (through
 * {@link StreamAcceptor#refuse}), rate-limited, and only when the refusal packet is no larger than the
 * S_OPEN packet it answers (DECISIONS 30); otherwise it is dropped and the opener's connect times out.
 * This layer's own S_OPENs always carry the full sender address (draft 3.2 allows it at any time), so
 * a refusal of them always fits: between two Anode nodes of this implementation a connect to a closed
 * port fails at once.
 * An S_OPEN for a listener whose backlog is full is dropped, as TCP drops a SYN: the opener's
 * retransmission is accepted once the application has accepted others.
 *
 * <h2>Threading</h2>
 * Packets and timers are handled on the node's event-loop thread. The link tables are guarded by one
 * layer-wide monitor, held only for lookups and updates. Each connection is guarded by its
 * {@link StreamLink#lock}; the event loop takes it to feed a packet or a timer in, application threads
 * take it to read, write, shut down or close - and whoever changed the connection transmits what became
 * sendable at once, on its own thread, with its own {@link Outbound} buffer (the engine's send path is
 * thread-safe; the peer's cached MAC key is used under the peer's monitor). A write therefore leaves
 * without a hand-off to the loop. The one exception is received packets: the event loop feeds each into
 * its connection at once but transmits (acknowledgements, data the acknowledgements released) and wakes
 * readers once per connection at the end of the UDP read batch, so a burst of packets costs one ACK and
 * one wake-up. Timers are event-loop timers, one per connection, moved earlier when the connection's
 * next deadline moves earlier.
 *
 * <h2>Packet size</h2>
 * The S_DATA payload is the path's packet limit (DECISIONS 27, counting the full sender address) less
 * the S_DATA header, fixed when the connection is created. When data flows both ways, an acknowledgement
 * rides on a data packet as S_DACK (draft 5.2.5), whose data opens with its sequence number (addendum
 * A1, docs/DECISIONS-addenda.md); the core keeps such packets within the same limit.
 *
 * <h2>Connections to this node itself</h2>
 * A connection to the node's own address runs the same protocol, but its messages are handed to the
 * event loop in memory instead of being encoded into packets (as datagrams to the node's own ports
 * are), with the IPv4 packet limit setting the payload size.
 */
final class StreamLayer implements AnodeNodeStreams {
    private static final System.Logger LOG = System.getLogger(StreamLayer.class.getName());
    /** Bound on the connections (any state) with one remote address: half the 16-bit link id space, so random allocation stays quick. */
    static final int MAX_LINKS_PER_PEER = 32768;
    /** Smallest buffer a connection gets when the buffer budget is spent. */
    static final int MIN_BUFFER = 16 * 1024;
    /** Backlog when the application passes 0 or less, as the JDK's. */
    static final int DEFAULT_BACKLOG = 50;
    /** Largest number of packets emitted per transmit call before looping. */
    private static final int TRANSMIT_BATCH = 64;
    /** Refusals (S_CLOSE reason 01) per second, with bursts of a quarter of that. */
    private static final int REFUSALS_PER_SECOND = 200;
    private static final int EPHEMERAL_LOW = 49152;
    private static final int EPHEMERAL_HIGH = 65535;
    /** How long node close waits for gracefully closing connections before aborting them. */
    private static final long CLOSE_GRACE_NANOS = TimeUnit.SECONDS.toNanos(2);
    /** The shortest such wait, before round trips are added to it. */
    private static final long CLOSE_GRACE_MIN_NANOS = TimeUnit.MILLISECONDS.toNanos(100);

    private final AnodeNode node;
    private final Engine engine;
    private final EventLoop loop;
    /** Replaced, never changed in place (tests shorten the accept timeout while the loop reads it). */
    private volatile StreamConfig baseConfig;
    private final int outboundCapacity;
    private final AtomicReferenceArray<AnodeServerSocketChannel> listeners = new AtomicReferenceArray<>(65536);
    /** Guards {@link #peers} and every table in it. */
    private final Object tables = new Object();
    private final HashMap<AnodeAddress, PeerLinks> peers = new HashMap<>();
    private final PacketSink loopSink = new PacketSink();
    /**
     * Application threads' sinks: static, and a sink holds its layer only while in use, so a thread
     * that once wrote to a stream does not keep a closed node reachable.
     */
    private static final ThreadLocal<PacketSink> APP_SINKS = ThreadLocal.withInitial(PacketSink::new);
    private final StreamTimers timers;
    /** Event loop only. */
    private final AckRanges rxRanges = new AckRanges(AckRanges.MAX_COUNT);
    /** Links with packets handled in the current read batch, not yet transmitted for (event loop only). */
    private final ArrayList<StreamLink> dirty = new ArrayList<>();
    private boolean flushQueued;
    /** True while a UDP read batch is being handled (loop holders only); its end flushes {@link #dirty}. */
    private boolean inBatch;
    private final Runnable flushTask = this::flushDirty;
    private long refusalCredit;
    private long refusalLast;
    private final long refusalCost = 1_000_000_000L / REFUSALS_PER_SECOND;
    private final long refusalBurst = refusalCost * Math.max(1, REFUSALS_PER_SECOND / 4);
    private volatile boolean closed;
    private final AtomicLong unsent = new AtomicLong();
    private final AtomicLong dropped = new AtomicLong();
    private final AtomicLong refused = new AtomicLong();
    private final java.util.concurrent.atomic.LongAdder dataAcks = new java.util.concurrent.atomic.LongAdder();
    /**
     * Node-wide budget for the memory of the connections' buffers (what
     * {@link StreamConnection#allocatedBytes()} reports): an eighth of the heap, at least 32 MiB -
     * an eighth because a 512 KiB ring is a humongous object for G1 and can take a whole 1 MiB region.
     * Connections get their full SO_SNDBUF/SO_RCVBUF while it lasts, then {@link #MIN_BUFFER}; past
     * 1.5 times it no new receive buffer is allocated at all (see {@link #chargeReceive}).
     */
    private volatile long bufferBudget = Math.max(32L << 20, Runtime.getRuntime().maxMemory() / 8);
    private final AtomicLong bufferCharged = new AtomicLong();
    private final AtomicLong budgetDrops = new AtomicLong();

    /** The connections with one remote address (DECISIONS 23); guarded by {@link #tables}. */
    private static final class PeerLinks {
        final StreamIntMap<StreamLink> byLocal = new StreamIntMap<>();
        final StreamIntMap<StreamLink> byKey = new StreamIntMap<>();
    }

    StreamLayer(AnodeNode node) {
        this.node = node;
        this.engine = node.engine();
        this.loop = node.loop();
        AnodeNodeConfig c = node.config();
        this.outboundCapacity = Math.max(c.maxPacketIpv4(), c.maxPacketIpv6());
        // S_DACK carries its data's sequence number after the acknowledgements (addendum A1).
        this.baseConfig = new StreamConfig().dataAckEnabled(true);
        this.timers = new StreamTimers(loop, this::fireLink);
        this.refusalCredit = refusalBurst;
        for (MessageType t : new MessageType[] {MessageType.S_OPEN, MessageType.S_CLOSE, MessageType.S_DATA,
                MessageType.S_ACK, MessageType.S_DACK}) {
            engine.setMessageHandler(t, this::onMessage);
        }
    }

    // ------------------------------------------------------------------ AnodeNodeStreams

    @Override
    public SocketChannel openSocketChannel(AnodeSelectorProvider provider, ProtocolFamily family) throws IOException {
        AnodeSocketChannel ch = new AnodeSocketChannel(provider, node, this);
        node.channelOpened(ch);
        return ch;
    }

    @Override
    public ServerSocketChannel openServerSocketChannel(AnodeSelectorProvider provider, ProtocolFamily family)
            throws IOException {
        AnodeServerSocketChannel ch = new AnodeServerSocketChannel(provider, node, this);
        node.channelOpened(ch);
        return ch;
    }

    /**
     * Node shutdown (after every channel was closed): gives connections that are closing gracefully
     * a short grace to deliver their last data and FIN, then aborts whatever remains, so peers learn
     * at once instead of timing out.
     */
    @Override
    public void close() {
        // New connections are refused from now on; packets for existing ones are still handled
        // during the grace period, so their close handshakes can complete.
        closed = true;
        long start = System.nanoTime();
        while (loop.isRunning()) {
            List<StreamLink> open = snapshot();
            boolean busy = false;
            long rtt = 0;
            for (StreamLink l : open) {
                l.lock.lock();
                try {
                    StreamConnection c = l.conn;
                    if (c.failure() == null && c.isEstablished() && !c.isOutputClosed()) {
                        busy = true;
                        rtt = Math.max(rtt, c.smoothedRttNanos());
                    }
                } finally {
                    l.lock.unlock();
                }
            }
            // A few round trips are enough for a FIN that can still be acknowledged; a peer that is
            // gone must not hold the node's close for long.
            long grace = Math.min(CLOSE_GRACE_NANOS, CLOSE_GRACE_MIN_NANOS + 4 * rtt);
            if (!busy || System.nanoTime() - start > grace) {
                break;
            }
            try {
                Thread.sleep(2);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        long now = System.nanoTime();
        for (StreamLink l : snapshot()) {
            l.lock.lock();
            try {
                if (l.conn.failure() == null && !l.conn.isTerminated() && !l.conn.isOutputClosed()) {
                    l.conn.abort(StreamConnection.REASON_REFUSED);
                }
                afterInput(l, now);
                retire(l);
            } finally {
                l.lock.unlock();
            }
        }
        for (MessageType t : new MessageType[] {MessageType.S_OPEN, MessageType.S_CLOSE, MessageType.S_DATA,
                MessageType.S_ACK, MessageType.S_DACK}) {
            engine.setMessageHandler(t, null);
        }
    }

    private List<StreamLink> snapshot() {
        List<StreamLink> all = new ArrayList<>();
        synchronized (tables) {
            for (PeerLinks pl : peers.values()) {
                pl.byLocal.forEach(all::add);
            }
        }
        return all;
    }

    // ------------------------------------------------------------------ statistics

    /** Connections currently in the tables (any state). */
    int linkCount() {
        synchronized (tables) {
            int n = 0;
            for (PeerLinks pl : peers.values()) {
                n += pl.byLocal.size();
            }
            return n;
        }
    }

    /**
     * Connections in the tables that are fully open: not failed and not closing on our side (tests:
     * a closed channel must never leave one of these behind).
     */
    int openLinkCount() {
        int n = 0;
        for (StreamLink l : snapshot()) {
            l.lock.lock();
            try {
                if (!l.retired && l.conn.failure() == null && !l.conn.isOutputShutdown()) {
                    n++;
                }
            } finally {
                l.lock.unlock();
            }
        }
        return n;
    }

    /** Packets the UDP socket had no room for (the protocol recovers them as losses). */
    long unsentPackets() {
        return unsent.get();
    }

    /** Stream packets that matched no connection, or arrived for a full backlog. */
    long droppedPackets() {
        return dropped.get();
    }

    /** Refusals sent. */
    long refusals() {
        return refused.get();
    }

    /** S_DACK packets sent (an acknowledgement riding on data). */
    long dataAcksSent() {
        return dataAcks.sum();
    }

    // ------------------------------------------------------------------ listeners

    /**
     * Reserves stream port {@code port} (0: a free ephemeral one) for a listener.
     *
     * @throws BindException if it is taken or none is free
     */
    int bindListener(AnodeServerSocketChannel l, int port) throws IOException {
        if (closed) {
            throw new java.nio.channels.ClosedChannelException();
        }
        if (port != 0) {
            if (!listeners.compareAndSet(port, null, l)) {
                throw new BindException("Address already in use: Anode stream port " + port);
            }
            return port;
        }
        int span = EPHEMERAL_HIGH - EPHEMERAL_LOW + 1;
        int start = ThreadLocalRandom.current().nextInt(span);
        for (int i = 0; i < span; i++) {
            int p = EPHEMERAL_LOW + (start + i) % span;
            if (listeners.compareAndSet(p, null, l)) {
                return p;
            }
        }
        throw new BindException("no free ephemeral Anode stream port");
    }

    void unbindListener(AnodeServerSocketChannel l, int port) {
        listeners.compareAndSet(port, l, null);
    }

    // ------------------------------------------------------------------ connect

    /**
     * Starts a connection to {@code target} (the opener side, draft 5.2.1): allocates a link id
     * unique for the remote, creates the connection and sends its S_OPEN from the calling thread.
     *
     * @param sourcePort a port to announce as the link id with S_OPEN flag 0x01, or 0
     * @throws ConnectException if no endpoint is known for the target, the remote has too many
     *     connections, or the node is closing
     */
    StreamLink connect(AnodeSocketChannel channel, AnodeSocketAddress target, int sourcePort, StreamConfig options)
            throws IOException {
        if (closed) {
            throw new java.nio.channels.ClosedChannelException();
        }
        AnodeAddress remote = target.address();
        boolean self = remote.equals(node.address());
        Peer peer = self ? null : engine.peer(remote);
        if (peer != null && !peer.pin()) {
            // Evicted between the lookup and the pin: look again (it may have been re-admitted).
            peer = engine.peer(remote);
            if (peer != null && !peer.pin()) {
                peer = null;
            }
        }
        // From here on the pin belongs to the link; any failure before it is published releases it.
        boolean published = false;
        try {
            int packet = self ? localPacketSize() : peer == null ? -1 : engine.maxPacketSize(peer);
            if (packet < 0) {
                throw new ConnectException("no endpoint known for Anode address " + remote
                        + " (tell the node one with AnodeNode.addPeerEndpoint)");
            }
            StreamConfig cfg = new StreamConfig(options).maxPayload(payloadFor(packet));
            long now = System.nanoTime();
            StreamLink link;
            synchronized (tables) {
                PeerLinks pl = peers.computeIfAbsent(remote, a -> new PeerLinks());
                if (pl.byLocal.size() >= MAX_LINKS_PER_PEER) {
                    if (pl.byLocal.isEmpty()) {
                        peers.remove(remote);
                    }
                    throw new ConnectException("too many connections to " + remote);
                }
                int local;
                if (sourcePort != 0) {
                    if (pl.byLocal.get(sourcePort) != null) {
                        throw new BindException("Address already in use: link " + sourcePort + " to " + remote);
                    }
                    local = sourcePort;
                } else {
                    local = allocateLocal(pl, target.getPort());
                }
                StreamConnection conn = StreamConnection.connect(cfg, now,
                        sourcePort != 0 ? StreamConnection.FLAG_SOURCE_PORT : 0);
                link = new StreamLink(conn, remote, peer, true, local, -1, target.getPort(),
                        AnodeSocketAddress.of(node.address(), local), target);
                // Before the S_OPEN goes out, so the answer's readiness signal reaches the channel.
                link.channel = channel;
                link.pinnedPeer = peer;
                pl.byLocal.put(local, link);
                published = true;
            }
            NodeEvents.opened(link);
            link.lock.lock();
            try {
                afterInput(link, now);
            } finally {
                link.lock.unlock();
            }
            return link;
        } finally {
            if (!published && peer != null) {
                peer.unpin();
            }
        }
    }

    /** A free link id for {@code pl}, never 0, a listening port or {@code avoid}; tables lock held. */
    private int allocateLocal(PeerLinks pl, int avoid) {
        ThreadLocalRandom r = ThreadLocalRandom.current();
        while (true) {
            // Random, so link ids are not predictable (one more obstacle to blind injection next to
            // the random ISN); the table is at most half full, so this ends quickly.
            int id = 1 + r.nextInt(0xFFFF);
            if (id != avoid && pl.byLocal.get(id) == null && listeners.get(id) == null) {
                return id;
            }
        }
    }

    /** Packet limit of a connection from this node to itself (never on the wire; DECISIONS 27 sizes). */
    private int localPacketSize() {
        return node.config().maxPacketIpv4();
    }

    private static int payloadFor(int maxPacket) {
        int p = maxPacket - PacketFormat.headerLength(PacketFormat.FLAG_SENDER_FULL) - MessageFields.S_DATA_HEADER;
        return Math.max(64, Math.min(p, 65000));
    }

    /**
     * Changes the configuration of connections accepted from now on (tests: a shorter time-wait, or
     * a shorter wait for the opener's acknowledgement of our ISN, addendum A5, than the defaults of
     * 30 s each).
     */
    void configureAccepted(java.util.function.UnaryOperator<StreamConfig> change) {
        baseConfig = change.apply(new StreamConfig(baseConfig));
    }

    /** A copy of the layer's default stream configuration, for a channel's options. */
    StreamConfig defaultConfig() {
        return new StreamConfig(baseConfig);
    }

    // ------------------------------------------------------------------ driving a connection

    /**
     * After any input to the connection (lock held): transmits what became sendable, moves the
     * timer, publishes readiness, and retires the link once the protocol is finished.
     */
    void afterInput(StreamLink l, long now) {
        if (l.discardInput) {
            discard(l);
        }
        if (l.awaitingListener != null && l.conn.isPeerConfirmed() && l.conn.failure() == null && !l.retired) {
            handOver(l);
        }
        PacketSink sink = (loop.inLoop() ? loopSink : APP_SINKS.get()).use(this);
        sink.link = l;
        try {
            while (l.conn.transmit(now, sink, TRANSMIT_BATCH) == TRANSMIT_BATCH) {
                // More may be sendable: keep going until the windows or the pacer stop it.
            }
        } finally {
            sink.release();
        }
        schedule(l, now);
        l.publish();
        if (l.conn.isTerminated()) {
            retire(l);
        }
        settle(l);
    }

    /**
     * An accepted connection became confirmed (addendum A5; lock held): it moves from the listener's
     * half-open count to its backlog, where accept() finds it. If the listener closed or filled
     * meanwhile the connection is reset, as a TCP listener resets what it cannot accept.
     */
    private void handOver(StreamLink l) {
        AnodeServerSocketChannel listener = l.awaitingListener;
        l.awaitingListener = null;
        listener.halfOpenDone();
        if (!listener.enqueue(l)) {
            l.conn.abort(StreamConnection.REASON_REFUSED);
        }
    }

    // ------------------------------------------------------------------ buffer budget

    /**
     * Before data can make the core allocate a connection's receive ring (link lock held): sizes it
     * against the node's buffer budget. The ring is allocated when the peer's first data arrives, so
     * without this a peer could make the node allocate SO_RCVBUF bytes per connection just by opening
     * connections and sending a byte on each. Within the budget a connection gets its SO_RCVBUF; past
     * it, {@link #MIN_BUFFER} (a smaller advertised window); past the hard limit (1.5 times the budget)
     * no new ring at all: the data is dropped, and the peer retransmits it once memory is free again
     * (or its connection times out), so memory stays bounded however many connections a peer opens.
     *
     * @return false if the data must be dropped
     */
    boolean chargeReceive(StreamLink l) {
        if (l.rcvSized) {
            return true;
        }
        long used = bufferCharged.get();
        long budget = bufferBudget;
        if (used >= budget + budget / 2) {
            budgetDrops.incrementAndGet();
            return false;
        }
        int size = used + l.rcvWant <= budget ? l.rcvWant : Math.min(l.rcvWant, MIN_BUFFER);
        if (size != l.conn.receiveBufferSize()) {
            l.conn.setReceiveBufferSize(size);
        }
        l.rcvSized = true;
        return true;
    }

    /**
     * The same for the send ring before the application's first write (link lock held): SO_SNDBUF
     * within the budget, {@link #MIN_BUFFER} past it. Writes are never refused: the application
     * decides what it writes.
     */
    void chargeSend(StreamLink l) {
        if (l.sndSized) {
            return;
        }
        int size = bufferCharged.get() + l.sndWant <= bufferBudget ? l.sndWant : Math.min(l.sndWant, MIN_BUFFER);
        if (size != l.conn.sendBufferSize()) {
            l.conn.setSendBufferSize(size);
        }
        l.sndSized = true;
    }

    /**
     * Accounts the connection's buffers (lock held): after any input, after the core released idle
     * buffers, and (as zero) once the link is retired. The core's rings start small and grow on
     * demand up to SO_RCVBUF / SO_SNDBUF, so while a connection holds buffers it is charged what it
     * may grow to (the sizes granted by {@link #chargeReceive} / {@link #chargeSend}), not only what
     * it holds now: otherwise many connections granted full buffers while small could later grow
     * past the budget together.
     */
    private void settle(StreamLink l) {
        long alloc = l.retired ? 0 : l.conn.allocatedBytes();
        long granted = (l.rcvSized ? l.conn.receiveBufferSize() : 0) + (l.sndSized ? l.conn.sendBufferSize() : 0);
        long cur = alloc == 0 ? 0 : Math.max(alloc, granted);
        if (cur != l.charged) {
            bufferCharged.addAndGet(cur - l.charged);
            l.charged = cur;
        }
        if (cur == 0) {
            l.rcvSized = false;
            l.sndSized = false;
        }
    }

    /** Data packets dropped because the buffer budget's hard limit was reached. */
    long budgetDrops() {
        return budgetDrops.get();
    }

    /** Bytes of the buffer budget charged now (tests and statistics). */
    long bufferCharged() {
        return bufferCharged.get();
    }

    /** The node's budget for stream buffers. */
    long bufferBudget() {
        return bufferBudget;
    }

    /** Replaces the budget (tests: a small one shows the shrinking without a small heap). */
    void bufferBudget(long bytes) {
        bufferBudget = bytes;
    }

    /**
     * After {@code shutdownInput()}: reads and drops what arrived (lock held), so the receive window
     * stays open and the peer is not stalled by data nobody will read.
     */
    private static void discard(StreamLink l) {
        if (l.conn.readableBytes() == 0) {
            return;
        }
        ByteBuffer sink = ByteBuffer.allocate(8192);
        try {
            while (true) {
                sink.clear();
                if (l.conn.read(sink) <= 0) {
                    return;
                }
            }
        } catch (org.anode.stream.StreamException e) {
            // The failure stays recorded in the connection; there is nothing to drop.
        }
    }

    private void schedule(StreamLink l, long now) {
        timers.set(l, l.retired ? StreamConnection.NO_TIMEOUT : l.conn.nextTimeoutNanos());
    }

    /** A link's deadline passed (event loop, from {@link StreamTimers}). */
    private void fireLink(StreamLink l) {
        l.lock.lock();
        try {
            if (l.retired) {
                return;
            }
            long now = System.nanoTime();
            l.conn.onTimer(now);
            afterInput(l, now);
        } finally {
            l.lock.unlock();
        }
    }

    /** Removes a finished link from the tables (lock held); its channel keeps the object. */
    void retire(StreamLink l) {
        if (l.retired) {
            return;
        }
        l.retired = true;
        NodeEvents.closed(l);
        if (l.awaitingListener != null) {
            // Never confirmed (a replay, or an opener that went away): nobody saw it.
            l.awaitingListener.halfOpenDone();
            l.awaitingListener = null;
        }
        if (l.pinnedPeer != null) {
            l.pinnedPeer.unpin();
            l.pinnedPeer = null;
        }
        timers.set(l, StreamConnection.NO_TIMEOUT);
        settle(l);
        synchronized (tables) {
            PeerLinks pl = peers.get(l.remote);
            if (pl == null) {
                return;
            }
            pl.byLocal.remove(l.localLink, l);
            if (l.keyed) {
                pl.byKey.remove(l.demuxKey, l);
            }
            if (pl.byLocal.isEmpty() && pl.byKey.isEmpty()) {
                peers.remove(l.remote);
            }
        }
    }

    private static int key(int remoteLink, int localField) {
        return (remoteLink << 16) | localField;
    }

    // ------------------------------------------------------------------ receive (event loop)

    private void onMessage(Peer from, PacketReader r, Transport via, InetSocketAddress source, long now) {
        receive(from.address(), from, r.messageType(), r.buffer(), r.payloadOffset(), r.payloadLimit(), r.length(),
                now);
    }

    /**
     * One authenticated stream message {@code b[off, limit)} of a packet of {@code packetLength}
     * bytes from {@code remote}; {@code from} is its peer, or null for a message from this node to
     * itself. Event loop.
     */
    private void receive(AnodeAddress remote, Peer from, MessageType type, ByteBuffer b, int off, int limit,
            int packetLength, long now) {
        int x = MessageFields.linkId(b, off);
        int y = MessageFields.destinationPort(b, off);
        StreamLink link = null;
        synchronized (tables) {
            PeerLinks pl = peers.get(remote);
            if (pl != null) {
                link = pl.byKey.get(key(x, y));
                if (link == null && (type == MessageType.S_OPEN || type == MessageType.S_CLOSE)) {
                    StreamLink p = pl.byLocal.get(y);
                    if (p != null && p.opener && p.remoteLink < 0) {
                        link = p;
                    }
                }
            }
        }
        if (link == null) {
            if (type == MessageType.S_OPEN && !closed) {
                incomingOpen(remote, from, packetLength, b, off, x, y, now);
            } else {
                dropped.incrementAndGet();
            }
            return;
        }
        link.lock.lock();
        try {
            if (link.retired) {
                return;
            }
            StreamConnection c = link.conn;
            switch (type) {
                case S_OPEN -> {
                    if (link.opener && link.remoteLink < 0) {
                        link.remoteLink = x;
                        synchronized (tables) {
                            PeerLinks pl = peers.get(link.remote);
                            if (pl != null) {
                                link.demuxKey = key(x, link.localLink);
                                link.keyed = true;
                                pl.byKey.put(link.demuxKey, link);
                            }
                        }
                    }
                    boolean wasConnecting = c.isConnecting();
                    c.onOpen(now, MessageFields.window(b, off), MessageFields.sOpenInitialSequence(b, off),
                            MessageFields.sOpenFlags(b, off));
                    if (wasConnecting && !c.isConnecting()) {
                        // Wake the connecting thread now, before the batch's end sends our
                        // acknowledgement of the peer's ISN (addendum A5): connect latency is the
                        // S_OPEN round trip, not that plus a send.
                        link.publish();
                    }
                }
                case S_CLOSE -> c.onClose(now, MessageFields.sCloseReason(b, off),
                        MessageFields.sCloseInitialSequence(b, off), MessageFields.sCloseSequence(b, off));
                case S_DATA -> {
                    int pos = b.position();
                    int lim = b.limit();
                    try {
                        b.limit(limit).position(MessageFields.sDataPayloadOffset(off));
                        if (chargeReceive(link)) {
                            c.onData(now, MessageFields.sDataSequence(b, off), b);
                        }
                    } finally {
                        b.limit(lim).position(pos);
                    }
                }
                case S_ACK -> {
                    AckRanges ranges = rxRanges;
                    ranges.clear();
                    int n = MessageFields.sAckRangeCount(off, limit);
                    int p = MessageFields.sAckRangesOffset(off);
                    for (int i = 0; i < n && ranges.append(MessageFields.ackFirst(b, p), MessageFields.ackCount(b, p));
                            i++, p += MessageFields.ACK_RANGE_LENGTH) {
                        // Copies the pairs as they came (a full list keeps the first 255).
                    }
                    c.onAck(now, MessageFields.window(b, off), ranges);
                }
                case S_DACK -> {
                    AckRanges ranges = rxRanges;
                    ranges.clear();
                    int n = MessageFields.sDackRangeCount(b, off);
                    int p = MessageFields.sDackRangesOffset(off);
                    for (int i = 0; i < n; i++, p += MessageFields.ACK_RANGE_LENGTH) {
                        ranges.append(MessageFields.ackFirst(b, p), MessageFields.ackCount(b, p));
                    }
                    // After the ranges: the data's sequence number, then the data (addendum A1).
                    if (limit - p < 4) {
                        c.onAck(now, MessageFields.window(b, off), ranges);
                        break;
                    }
                    int seq = b.getInt(p);
                    int pos = b.position();
                    int lim = b.limit();
                    try {
                        b.limit(limit).position(p + 4);
                        if (chargeReceive(link)) {
                            c.onDataAck(now, MessageFields.window(b, off), ranges, seq, b);
                        } else {
                            c.onAck(now, MessageFields.window(b, off), ranges);
                        }
                    } finally {
                        b.limit(lim).position(pos);
                    }
                }
                default -> {
                    return;
                }
            }
        } finally {
            link.lock.unlock();
        }
        markDirty(link);
    }

    /**
     * Defers a link's transmit to the end of the event loop's current read batch (event loop):
     * the packets of one batch are answered with one acknowledgement and one burst of data, and
     * blocked readers are woken once, instead of once per packet.
     */
    private void markDirty(StreamLink link) {
        if (link.dirty) {
            return;
        }
        link.dirty = true;
        dirty.add(link);
        if (!inBatch && !flushQueued) {
            // Not from a UDP read batch (a message from this node to itself): tasks run after
            // the selector's keys are processed, i.e. after whatever else this round handles.
            flushQueued = true;
            loop.execute(flushTask);
        }
    }

    @Override
    public void beginBatch() {
        inBatch = true;
    }

    /**
     * The end of a UDP read batch: transmits and publishes for the links the batch touched, on the
     * thread that read it. That is the event-loop thread, or an application thread that polled the
     * socket while waiting ({@link AnodeNode#pollIo()}): it then sees its data readable (or its
     * connect done) as soon as its poll returns, instead of waiting for a task that only the
     * event-loop thread runs - which would cost the very wake-up the poll is there to save.
     */
    @Override
    public void endOfBatch() {
        inBatch = false;
        if (!dirty.isEmpty()) {
            flushDirty();
        }
    }

    private void flushDirty() {
        flushQueued = false;
        long now = System.nanoTime();
        ArrayList<StreamLink> d = dirty;
        for (int i = 0; i < d.size(); i++) {
            StreamLink l = d.get(i);
            l.lock.lock();
            try {
                l.dirty = false;
                afterInput(l, now);
            } finally {
                l.lock.unlock();
            }
        }
        d.clear();
    }

    /** A new S_OPEN: hand it to the listener on port {@code y}, or refuse it. Event loop. */
    private void incomingOpen(AnodeAddress remote, Peer from, int packetLength, ByteBuffer b, int off, int x, int y,
            long now) {
        int window = MessageFields.window(b, off);
        int isn = MessageFields.sOpenInitialSequence(b, off);
        int flags = MessageFields.sOpenFlags(b, off);
        AnodeServerSocketChannel listener = listeners.get(y);
        if (listener == null || !listener.isOpen()) {
            refuse(from, packetLength, x, y, isn, now);
            return;
        }
        if (listener.backlogFull()) {
            dropped.incrementAndGet();
            return;
        }
        int packet = from == null ? localPacketSize() : engine.maxPacketSize(from);
        if (packet < 0) {
            dropped.incrementAndGet();
            return;
        }
        StreamConfig cfg = new StreamConfig(baseConfig).maxPayload(payloadFor(packet))
                .receiveBufferSize(listener.acceptedReceiveBufferSize());
        StreamLink link;
        synchronized (tables) {
            PeerLinks pl = peers.computeIfAbsent(remote, a -> new PeerLinks());
            if (pl.byLocal.size() >= MAX_LINKS_PER_PEER) {
                dropped.incrementAndGet();
                return;
            }
            int local = allocateLocal(pl, -1);
            StreamConnection conn = StreamConnection.accept(cfg, now, window, isn, flags, 0);
            link = new StreamLink(conn, remote, from, false, local, x, x,
                    AnodeSocketAddress.of(node.address(), y), AnodeSocketAddress.of(remote, x));
            link.demuxKey = key(x, y);
            link.keyed = true;
            // Handed to accept() only once the opener acknowledges our ISN (addendum A5); until
            // then it counts against the backlog as half-open.
            link.awaitingListener = listener;
            listener.halfOpenAdded();
            // On the loop, so the peer cannot be evicted under us: pin() succeeds (addendum A4).
            if (from != null && from.pin()) {
                link.pinnedPeer = from;
            }
            pl.byLocal.put(local, link);
            pl.byKey.put(link.demuxKey, link);
        }
        NodeEvents.opened(link);
        link.lock.lock();
        try {
            afterInput(link, now);
        } finally {
            link.lock.unlock();
        }
    }

    /**
     * Refuses an S_OPEN (draft 5.2.2, DECISIONS 21): S_CLOSE reason 01 with both sequence fields equal
     * to the opener's ISN, sent as (sender link = the port it asked for, destination = its link id),
     * rate-limited and never larger than the packet it answers (DECISIONS 30).
     */
    private void refuse(Peer from, int packetLength, int x, int y, int isn, long now) {
        int flags = from == null ? 0 : SenderForm.choose(from.lastAnsweredNanos(), now).flag();
        if (from != null && PacketFormat.headerLength(flags) + MessageFields.S_CLOSE_LENGTH > packetLength) {
            dropped.incrementAndGet();
            return;
        }
        long credit = Math.min(refusalBurst, refusalCredit + Math.max(0, now - refusalLast));
        refusalLast = now;
        if (credit < refusalCost) {
            refusalCredit = credit;
            dropped.incrementAndGet();
            return;
        }
        refusalCredit = credit - refusalCost;
        PacketSink sink = loopSink.use(this);
        sink.refuse(from, y, x);
        try {
            StreamAcceptor.refuse(sink, isn);
            refused.incrementAndGet();
        } finally {
            sink.release();
        }
    }


    // ------------------------------------------------------------------ send

    /**
     * Encodes what a connection's {@link StreamConnection#transmit} emits into Anode packets (draft 3
     * and 5.2) to the link's peer, with the link ids and destination port of DECISIONS 23, and hands
     * them to the engine's send path (MAC with the peer's cached key). One per thread.
     */
    private static final class PacketSink implements StreamSink {
        /** Packets written and not yet sent: up to {@link #BURST} go out together (one MAC pass). */
        private static final int BURST = 32;
        private final Outbound[] outs = new Outbound[BURST];
        private int held;
        /** Slots used since {@link #use}: {@link #release} makes them forget their peer. */
        private int touched;
        private Outbound out;
        /** The layer being served; set by {@link #use}, cleared by {@link #release}. */
        private StreamLayer layer;
        StreamLink link;
        Peer refusalPeer;
        /** The type of a message being written for local delivery, else null. */
        private MessageType localType;
        private int refusalLink;
        private int refusalPort;

        /** Binds the sink to {@code l} for one transmit, growing its buffer to the node's packet limit. */
        PacketSink use(StreamLayer l) {
            layer = l;
            held = 0;
            out = slot(0);
            return this;
        }

        /** Buffer {@code i} of the burst, made (or grown to the node's packet limit) on first use. */
        private Outbound slot(int i) {
            if (i >= touched) {
                touched = i + 1;
            }
            Outbound o = outs[i];
            if (o == null || o.buffer().capacity() < layer.outboundCapacity) {
                o = new Outbound(layer.outboundCapacity);
                outs[i] = o;
            }
            return o;
        }

        /**
         * Sends the packets held so far: their MACs in one pass ({@link Engine#finishAll}), which
         * for a burst of data to one peer costs about half of one MAC each.
         */
        private void flush() {
            int n = held;
            if (n == 0) {
                return;
            }
            held = 0;
            out = slot(0);
            int sent = layer.engine.finishAll(outs, n);
            if (sent < n) {
                layer.unsent.addAndGet(n - sent);
            }
        }

        void release() {
            if (layer != null) {
                flush();
            }
            layer = null;
            // A per-thread sink outlives nodes: keep no peer or transport of this one (review M4).
            for (int i = 0; i < touched; i++) {
                outs[i].forget();
            }
            touched = 0;
            link = null;
            refusalPeer = null;
            localType = null;
        }

        void refuse(Peer peer, int senderLink, int destination) {
            link = null;
            refusalPeer = peer;
            refusalLink = senderLink;
            refusalPort = destination;
        }

        private ByteBuffer begin(MessageType type) {
            return begin(type, null);
        }

        /** Starts a message; {@code form} forces the sender address form (null: the draft 3.2 choice). */
        private ByteBuffer begin(MessageType type, SenderForm form) {
            boolean toSelf = link != null ? link.peer == null : refusalPeer == null;
            if (toSelf) {
                localType = type;
                ByteBuffer b = out.buffer();
                b.clear();
                b.limit(layer.localPacketSize());
                b.putShort((short) (link != null ? link.localLink : refusalLink));
                b.putShort((short) (link != null ? link.sendPort : refusalPort));
                return b;
            }
            localType = null;
            Peer p = link != null ? link.peer : refusalPeer;
            try {
                ByteBuffer b = layer.engine.begin(out, p, type, p.remotePeerId(), form);
                b.putShort((short) (link != null ? link.localLink : refusalLink));
                b.putShort((short) (link != null ? link.sendPort : refusalPort));
                return b;
            } catch (IOException | RuntimeException e) {
                layer.unsent.incrementAndGet();
                return null;
            }
        }

        private void finish() {
            if (localType != null) {
                // A connection to this node itself: the message is handed to the event loop in
                // memory, never encoded into a packet (as datagrams to the node's own ports are).
                ByteBuffer b = out.buffer();
                b.flip();
                ByteBuffer copy = ByteBuffer.allocate(b.remaining()).put(b).flip();
                MessageType type = localType;
                localType = null;
                StreamLayer l = layer;
                l.loop.execute(() -> l.receive(l.node.address(), null, type, copy, 0, copy.limit(),
                        PacketFormat.headerLength(PacketFormat.FLAG_SENDER_FULL) + copy.limit(), System.nanoTime()));
                return;
            }
            // All packets of one sink use go to the same peer (one link, or one refusal).
            held++;
            if (held == BURST) {
                flush();
            } else {
                out = slot(held);
            }
        }

        @Override
        public void sendOpen(int windowUnits, int isn, int flags) {
            // An opener's S_OPEN always carries the full 40-byte sender address (draft 3.2 allows it
            // at any time), so that a refusal - 3 bytes longer than an S_OPEN - never exceeds the
            // packet it answers (DECISIONS 30), even after the peers have switched to short ones.
            ByteBuffer b = begin(MessageType.S_OPEN, link != null && link.opener ? SenderForm.FULL : null);
            if (b == null) {
                return;
            }
            b.putShort((short) windowUnits).putInt(isn).put((byte) flags);
            finish();
        }

        @Override
        public void sendData(int seq, ByteBuffer payload) {
            ByteBuffer b = begin(MessageType.S_DATA);
            if (b == null) {
                return;
            }
            int n = payload.remaining();
            if (b.remaining() < 4 + n) {
                // The path's packet limit shrank under the connection: drop, it is retransmitted.
                layer.unsent.incrementAndGet();
                return;
            }
            b.putInt(seq);
            b.put(b.position(), payload, payload.position(), n);
            b.position(b.position() + n);
            finish();
        }

        @Override
        public void sendAck(int windowUnits, AckRanges ranges) {
            ByteBuffer b = begin(MessageType.S_ACK);
            if (b == null) {
                return;
            }
            b.putShort((short) windowUnits);
            int room = (b.remaining()) / MessageFields.ACK_RANGE_LENGTH;
            int n = Math.min(ranges.size(), room);
            for (int i = 0; i < n; i++) {
                MessageFields.writeAckRange(b, ranges.first(i), ranges.count(i));
            }
            finish();
        }

        @Override
        public void sendDataAck(int windowUnits, AckRanges ranges, int seq, ByteBuffer payload) {
            int n = ranges.size();
            int len = payload.remaining();
            ByteBuffer b = begin(MessageType.S_DACK);
            if (b == null) {
                return;
            }
            if (n < 1 || n > AckRanges.MAX_COUNT || b.remaining() < 3 + n * MessageFields.ACK_RANGE_LENGTH + 4 + len) {
                // Cannot happen with the core's budget; stay correct by sending the two halves.
                layer.unsent.incrementAndGet();
                sendAck(windowUnits, ranges);
                sendData(seq, payload);
                return;
            }
            // S_DACK (draft 5.2.5) with its data numbered as S_DATA's (addendum A1).
            b.putShort((short) windowUnits).put((byte) n);
            for (int i = 0; i < n; i++) {
                MessageFields.writeAckRange(b, ranges.first(i), ranges.count(i));
            }
            b.putInt(seq);
            b.put(b.position(), payload, payload.position(), len);
            b.position(b.position() + len);
            finish();
            layer.dataAcks.increment();
        }

        @Override
        public void sendClose(int reason, int isn, int seq) {
            ByteBuffer b = begin(MessageType.S_CLOSE);
            if (b == null) {
                return;
            }
            b.put((byte) 0).put((byte) reason).putInt(isn).putInt(seq);
            finish();
        }
    }
}
