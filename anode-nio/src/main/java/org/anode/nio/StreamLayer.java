package org.anode.nio;

import java.io.IOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.ProtocolFamily;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.anode.address.AnodeAddress;
import org.anode.engine.Engine;
import org.anode.engine.EventLoop;
import org.anode.engine.Outbound;
import org.anode.engine.Peer;
import org.anode.engine.Transport;
import org.anode.stream.StreamConfig;
import org.anode.stream.StreamConnection;
import org.anode.stream.StreamEndpoint;
import org.anode.wire.MessageFields;
import org.anode.wire.MessageType;
import org.anode.wire.PacketFormat;
import org.anode.wire.PacketReader;
import org.anode.wire.SenderForm;

/**
 * A node's stream layer (draft section 5, DECISIONS 21-27): the glue between the protocol - the
 * {@link StreamEndpoint} (demultiplexing, link ids, listening ports and backlog, refusals, addendum
 * A5 hand-over, message encoding) and its {@link StreamConnection}s - and the node's {@link Engine},
 * event loop and channels {@link AnodeSocketChannel} and {@link AnodeServerSocketChannel}. What
 * stays here is I/O: locks, threads, timers, wake-ups, packet headers and MACs, and the node's
 * memory budget for stream buffers.
 *
 * <h2>Threading</h2>
 * Packets and timers are handled on the node's event-loop thread. The endpoint's tables are guarded
 * by its own monitor, held only for lookups and updates. Each connection is guarded by its
 * {@link StreamLink#lock}; the event loop takes it to feed a packet or a timer in, application threads
 * take it to read, write, shut down or close - and whoever changed the connection transmits what became
 * sendable at once, on its own thread, with its own {@link Outbound} buffer (the engine's send path is
 * thread-safe; the peer's cached MAC key is used under the peer's monitor). A write therefore leaves
 * without a hand-off to the loop. The one exception is received packets: the event loop feeds each into
 * its connection at once but transmits (acknowledgements, data the acknowledgements released) and wakes
 * readers once per connection at the end of the UDP read batch, so a burst of packets costs one ACK and
 * one wake-up. Each connection's next deadline is filed in one deadline heap per node
 * ({@link StreamTimers}), updated in place whenever it moves.
 *
 * <h2>Packet size</h2>
 * The S_DATA payload is the path's packet limit (DECISIONS 27, counting the full sender address) less
 * the S_DATA header, fixed when the connection is created. When data flows both ways, an acknowledgement
 * rides on a data packet as S_DACK (draft 5.2.5), whose data opens with its sequence number (addendum
 * A1, docs/DECISIONS-addenda.md); the core keeps such packets within the same limit.
 *
 * <h2>Connections to this node itself</h2>
 * A connection to the node's own address runs the same protocol, but its messages are handed to the
 * event loop in memory instead of being sealed into packets (as datagrams to the node's own ports
 * are), with the IPv4 packet limit setting the payload size.
 */
final class StreamLayer implements AnodeNodeStreams {
    private static final System.Logger LOG = System.getLogger(StreamLayer.class.getName());
    /** Smallest buffer a connection gets when the buffer budget is spent. */
    static final int MIN_BUFFER = 16 * 1024;
    /** Backlog when the application passes 0 or less, as the JDK's. */
    static final int DEFAULT_BACKLOG = 50;
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
    private final StreamEndpoint<Peer, StreamLink> endpoint;
    private final PacketSink loopSink = new PacketSink();
    /** Sender peer id (draft 3.4) of the packet being received; event loop only. */
    private int rxPeerId;
    /**
     * Application threads' sinks: static, and a sink holds its layer only while in use, so a thread
     * that once wrote to a stream does not keep a closed node reachable.
     */
    private static final ThreadLocal<PacketSink> APP_SINKS = ThreadLocal.withInitial(PacketSink::new);

    private final StreamTimers timers;
    /** Links with packets handled in the current read batch, not yet transmitted for (event loop only). */
    private final ArrayList<StreamLink> dirty = new ArrayList<>();

    private boolean flushQueued;
    /** True while a UDP read batch is being handled (loop holders only); its end flushes {@link #dirty}. */
    private boolean inBatch;

    private final Runnable flushTask = this::flushDirty;
    private final AtomicLong unsent = new AtomicLong();
    /**
     * Node-wide budget for the memory of the connections' buffers (what
     * {@link StreamConnection#allocatedBytes()} reports): an eighth of the heap, at least 32 MiB -
     * an eighth because a 512 KiB ring is a humongous object for G1 and can take a whole 1 MiB region.
     * Connections get their full SO_SNDBUF/SO_RCVBUF while it lasts, then {@link #MIN_BUFFER}; past
     * 1.5 times it no new receive buffer is allocated at all (see {@link #chargeReceive}).
     */
    private volatile long bufferBudget =
            Math.max(32L << 20, Runtime.getRuntime().maxMemory() / 8);

    private final AtomicLong bufferCharged = new AtomicLong();
    private final AtomicLong budgetDrops = new AtomicLong();

    /** A listening channel as the endpoint sees it: its backlog is the channel's. */
    private record ChannelListener(AnodeServerSocketChannel channel) implements StreamEndpoint.Listener<StreamLink> {
        @Override
        public boolean isOpen() {
            return channel.isOpen();
        }

        @Override
        public boolean backlogFull() {
            return channel.backlogFull();
        }

        @Override
        public boolean acceptQueueFull() {
            return channel.acceptQueueFull();
        }

        @Override
        public int halfOpenCount() {
            return channel.halfOpen();
        }

        @Override
        public void halfOpenAdded() {
            channel.halfOpenAdded();
        }

        @Override
        public void halfOpenDone() {
            channel.halfOpenDone();
        }

        @Override
        public boolean enqueue(StreamLink link) {
            return channel.enqueue(link);
        }
    }

    /** What the endpoint asks of the node: paths, peers and the buffer budget. */
    private final class NodeHost implements StreamEndpoint.Host<Peer, StreamLink> {
        @Override
        public StreamConfig acceptConfig(Peer from, StreamEndpoint.Listener<StreamLink> listener) {
            int packet = from == null ? localPacketSize() : engine.maxPacketSize(from);
            if (packet < 0) {
                return null;
            }
            return new StreamConfig(baseConfig)
                    .maxPayload(payloadFor(packet))
                    .receiveBufferSize(((ChannelListener) listener).channel().acceptedReceiveBufferSize());
        }

        @Override
        public StreamLink accepted(
                StreamConnection conn, AnodeAddress remote, Peer from, int localLink, int openerLink, int port) {
            StreamLink link = new StreamLink(
                    conn,
                    remote,
                    from,
                    false,
                    localLink,
                    openerLink,
                    openerLink,
                    AnodeSocketAddress.of(node.address(), port),
                    AnodeSocketAddress.of(remote, openerLink));
            // On the loop, so the peer cannot be evicted under us: pin() succeeds (addendum A4).
            if (from != null && from.pin()) {
                link.pinnedPeer = from;
            }
            NodeEvents.opened(link);
            return link;
        }

        @Override
        public boolean admitData(StreamLink link) {
            return chargeReceive(link);
        }

        @Override
        public int headerLength(Peer peer, long nowNanos) {
            return PacketFormat.headerLength(peer.senderForm(nowNanos).flag());
        }
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
        this.endpoint = new StreamEndpoint<>(new NodeHost(), ThreadLocalRandom::current);
        for (MessageType t : new MessageType[] {
            MessageType.S_OPEN, MessageType.S_CLOSE, MessageType.S_DATA, MessageType.S_ACK, MessageType.S_DACK
        }) {
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
        endpoint.close();
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
        for (MessageType t : new MessageType[] {
            MessageType.S_OPEN, MessageType.S_CLOSE, MessageType.S_DATA, MessageType.S_ACK, MessageType.S_DACK
        }) {
            engine.setMessageHandler(t, null);
        }
    }

    private List<StreamLink> snapshot() {
        return endpoint.links();
    }

    // ------------------------------------------------------------------ statistics

    /** Connections currently in the tables (any state). */
    int linkCount() {
        return endpoint.linkCount();
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
                if (!l.isRetired() && l.conn.failure() == null && !l.conn.isOutputShutdown()) {
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
        return endpoint.droppedPackets();
    }

    /** Refusals sent. */
    long refusals() {
        return endpoint.refusals();
    }

    /** S_DACK packets sent (an acknowledgement riding on data). */
    long dataAcksSent() {
        return endpoint.dataAcksSent();
    }

    // ------------------------------------------------------------------ listeners

    /**
     * Reserves stream port {@code port} (0: a free ephemeral one) for a listener.
     *
     * @throws BindException if it is taken or none is free
     */
    int bindListener(AnodeServerSocketChannel l, int port) throws IOException {
        if (endpoint.isClosed()) {
            throw new java.nio.channels.ClosedChannelException();
        }
        return endpoint.bind(new ChannelListener(l), port);
    }

    void unbindListener(AnodeServerSocketChannel l, int port) {
        if (endpoint.listener(port) instanceof ChannelListener c && c.channel() == l) {
            endpoint.unbind(c, port);
        }
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
        if (endpoint.isClosed()) {
            throw new java.nio.channels.ClosedChannelException();
        }
        AnodeAddress remote = target.address();
        boolean self = remote.equals(node.address());
        // No path yet: the node finds one through the zone relay, bounded (DECISIONS 31).
        Peer peer = self ? null : node.route(remote);
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
            Peer p = peer;
            StreamLink link = endpoint.connect(remote, peer, target.getPort(), sourcePort, cfg, now, (conn, local) -> {
                StreamLink l = new StreamLink(
                        conn,
                        remote,
                        p,
                        true,
                        local,
                        -1,
                        target.getPort(),
                        AnodeSocketAddress.of(node.address(), local),
                        target);
                // Before the S_OPEN goes out, so the answer's readiness signal reaches the channel.
                l.channel = channel;
                l.pinnedPeer = p;
                l.remotePeerId = target.peerId();
                return l;
            });
            published = true;
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
        PacketSink sink = (loop.inLoop() ? loopSink : APP_SINKS.get()).use(this);
        sink.peerId = l.remotePeerId;
        try {
            endpoint.progress(l, now, sink.encoder);
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
        long alloc = l.isRetired() ? 0 : l.conn.allocatedBytes();
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
        timers.set(l, l.isRetired() ? StreamConnection.NO_TIMEOUT : l.conn.nextTimeoutNanos());
    }

    /** A link's deadline passed (event loop, from {@link StreamTimers}). */
    private void fireLink(StreamLink l) {
        l.lock.lock();
        try {
            if (l.isRetired()) {
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
        if (!endpoint.retire(l)) {
            return;
        }
        NodeEvents.closed(l);
        if (l.pinnedPeer != null) {
            l.pinnedPeer.unpin();
            l.pinnedPeer = null;
        }
        timers.set(l, StreamConnection.NO_TIMEOUT);
        settle(l);
    }

    // ------------------------------------------------------------------ receive (event loop)

    private void onMessage(Peer from, PacketReader r, Transport via, InetSocketAddress source, long now) {
        rxPeerId = r.senderPeerId();
        receive(
                from.address(),
                from,
                r.messageType(),
                r.buffer(),
                r.payloadOffset(),
                r.payloadLimit(),
                r.length(),
                now);
    }

    /**
     * One authenticated stream message {@code b[off, limit)} of a packet of {@code packetLength}
     * bytes from {@code remote}; {@code from} is its peer, or null for a message from this node to
     * itself. Event loop.
     */
    private void receive(
            AnodeAddress remote,
            Peer from,
            MessageType type,
            ByteBuffer b,
            int off,
            int limit,
            int packetLength,
            long now) {
        StreamLink link = endpoint.route(remote, type, b, off);
        if (link != null && deliver(link, from, type, b, off, limit, now) != StreamEndpoint.SUPERSEDED) {
            return;
        }
        StreamLink fresh;
        PacketSink sink = loopSink.use(this);
        // A refusal or an acceptance goes to the device that sent the S_OPEN (draft 3.4).
        sink.peerId = from == null ? 0 : rxPeerId;
        try {
            fresh = endpoint.unmatched(remote, from, type, packetLength, b, off, now, sink.encoder);
        } finally {
            sink.release();
        }
        if (fresh != null) {
            if (from != null) {
                fresh.remotePeerId = rxPeerId;
            }
            fresh.lock.lock();
            try {
                afterInput(fresh, now);
            } finally {
                fresh.lock.unlock();
            }
        }
    }

    /**
     * Feeds a message into the connection it was routed to (event loop). A half-open connection
     * that gave way to a proven stateless open ({@link StreamEndpoint#SUPERSEDED}) retires here at
     * once, and the caller then hands the message to {@link StreamEndpoint#unmatched}.
     */
    private int deliver(StreamLink link, Peer from, MessageType type, ByteBuffer b, int off, int limit, long now) {
        int result;
        link.lock.lock();
        try {
            result = endpoint.deliver(link, type, b, off, limit, now);
            if (result == StreamEndpoint.SUPERSEDED) {
                afterInput(link, now);
            } else if (result == StreamEndpoint.CONNECTED) {
                if (link.remotePeerId == 0 && from != null) {
                    // The opener's connection stays with the device that accepted it (DECISIONS 41).
                    link.remotePeerId = rxPeerId;
                }
                // Wake the connecting thread now, before the batch's end sends our acknowledgement
                // of the peer's ISN (addendum A5): connect latency is the S_OPEN round trip, not
                // that plus a send.
                link.publish();
            }
        } finally {
            link.lock.unlock();
        }
        if (result != StreamEndpoint.IGNORED && result != StreamEndpoint.SUPERSEDED) {
            markDirty(link);
        }
        return result;
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

    // ------------------------------------------------------------------ send

    /**
     * Seals the stream messages the endpoint's {@link StreamEndpoint.Encoder} writes into Anode
     * packets (draft 3) to one peer and hands them to the engine's send path (MAC with the peer's
     * cached key), or, for this node itself, to the event loop in memory. One per thread.
     */
    private static final class PacketSink implements StreamEndpoint.PacketOut<Peer> {
        /** Packets written and not yet sent: up to {@link #BURST} go out together (one MAC pass). */
        private static final int BURST = 32;

        private final Outbound[] outs = new Outbound[BURST];
        final StreamEndpoint.Encoder<Peer> encoder = new StreamEndpoint.Encoder<>(this);
        private int held;
        /** Slots used since {@link #use}: {@link #release} makes them forget their peer. */
        private int touched;

        private Outbound out;
        /** The layer being served; set by {@link #use}, cleared by {@link #release}. */
        private StreamLayer layer;
        /** The type of a message being written for local delivery, else null. */
        private MessageType localType;
        /**
         * Draft 3.4 recipient peer id for this use: the link's device (DECISIONS 41), or 0 for the
         * peer's latest; set after {@link #use}, cleared by {@link #release}.
         */
        int peerId;

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
         * for a burst of data to one peer is cheaper than one MAC each.
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
            // A per-thread sink outlives nodes: keep no peer or transport of this one.
            for (int i = 0; i < touched; i++) {
                outs[i].forget();
            }
            touched = 0;
            localType = null;
            peerId = 0;
        }

        @Override
        public ByteBuffer begin(Peer peer, MessageType type, boolean fullSender) {
            if (peer == null) {
                localType = type;
                ByteBuffer b = out.buffer();
                b.clear();
                b.limit(layer.localPacketSize());
                return b;
            }
            localType = null;
            try {
                // All packets of one sink use go to the same peer (one link, or one refusal).
                int to = peerId != 0 ? peerId : peer.remotePeerId();
                return layer.engine.begin(out, peer, type, to, fullSender ? SenderForm.FULL : null);
            } catch (IOException | RuntimeException e) {
                layer.unsent.incrementAndGet();
                return null;
            }
        }

        @Override
        public void abandon() {
            localType = null;
            layer.unsent.incrementAndGet();
        }

        @Override
        public void finish() {
            if (localType != null) {
                // A connection to this node itself: the message is handed to the event loop in
                // memory, never sealed into a packet (as datagrams to the node's own ports are).
                ByteBuffer b = out.buffer();
                b.flip();
                ByteBuffer copy = ByteBuffer.allocate(b.remaining()).put(b).flip();
                MessageType type = localType;
                localType = null;
                StreamLayer l = layer;
                l.loop.execute(() -> l.receive(
                        l.node.address(),
                        null,
                        type,
                        copy,
                        0,
                        copy.limit(),
                        PacketFormat.headerLength(PacketFormat.FLAG_SENDER_FULL) + copy.limit(),
                        System.nanoTime()));
                return;
            }
            held++;
            if (held == BURST) {
                flush();
            } else {
                out = slot(held);
            }
        }
    }
}
