package org.anode.stream;

import java.net.BindException;
import java.net.ConnectException;
import java.nio.ByteBuffer;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Supplier;
import java.util.random.RandomGenerator;
import javax.crypto.Mac;
import javax.crypto.ShortBufferException;
import javax.crypto.spec.SecretKeySpec;
import org.anode.address.AnodeAddress;
import org.anode.util.LongMap;
import org.anode.wire.MessageFields;
import org.anode.wire.MessageType;

/**
 * A node's stream endpoint (draft section 5.2, DECISIONS 21-27, 30; addendum A5): everything about
 * a node's stream connections that is protocol, not I/O - demultiplexing, link id allocation, the
 * listening ports with their backlog, refusals and their rate limit, hand-over of an accepted
 * connection only once it is confirmed, and the encoding of what the connections send. Sans-I/O
 * like {@link StreamConnection}: packets come in as bytes with the time they arrived, the clock is
 * always passed in, and what is to be sent goes out through a {@link PacketOut}. The glue (the nio
 * layer) keeps the locks, threads, timers and wake-ups.
 *
 * <h2>Demultiplexing (DECISIONS 23)</h2>
 * A connection is keyed by (remote address, remote link id, local port or local link id). For every
 * remote address the endpoint keeps two bounded tables: our own link ids (unique per remote, shared
 * by the connections we opened and those we accepted, so the peer's keys can never collide either),
 * and the demultiplexing key {@code remote link id << 16 | destination port field}. An opener's
 * connection is found by its own link id until the answering S_OPEN names the peer's link id; a
 * refusal (S_CLOSE reason 01) is matched the same way. An S_OPEN that matches nothing is a new
 * connection for the listener on its destination port. Our link ids avoid the ports we listen on,
 * so an answer to our S_OPEN is never mistaken for a new connection to that port. Link ids are
 * random, one more obstacle to blind injection next to the random ISN.
 *
 * <p>An acceptor's link id needs that uniqueness less than an opener's: the opener keys the
 * connection by (our link id, its own link id), unique at its end whatever ours is, and nothing we
 * receive is addressed to an acceptor's link id. So when a connection rebuilt from a stateless
 * answer (below) finds the link id the MAC chose - and the opener already uses - held by another
 * connection with that remote, it keeps it, and sits in the table of our link ids under its
 * demultiplexing key instead (above the 16-bit ids, so no lookup by link id ever finds it).
 *
 * <h2>Refusal and backlog</h2>
 * An S_OPEN for a port where nothing listens is refused with S_CLOSE reason 01
 * ({@link StreamAcceptor#refuse}), rate-limited, and only when the refusal packet is no larger than
 * the S_OPEN packet it answers (DECISIONS 30); otherwise it is dropped and the opener's connect
 * times out. Our own S_OPENs carry the full sender address (draft 3.2 allows it at any time), so a
 * refusal of them always fits. An S_OPEN for a listener whose backlog is full is dropped, as TCP
 * drops a SYN. An accepted connection answers at once but is handed to its listener only once the
 * opener has acknowledged our ISN (addendum A5): until then it counts against the backlog as
 * half-open, and a replayed S_OPEN, which can never acknowledge it, never reaches the application.
 *
 * <h2>Stateless answers under pressure (addendum A12)</h2>
 * When at least {@link #MAX_HALF_OPEN_PER_PEER} half-open connections fill a listener's backlog,
 * or one remote already holds that many, an S_OPEN is answered without keeping anything, as TCP's
 * SYN cookies do:
 * our answering S_OPEN carries flag {@link StreamConnection#FLAG_STATELESS} (0x80), and its ISN and our
 * link id are a MAC (HMAC-SHA256 under a per-endpoint secret) of the remote's address, its link id,
 * the port, its ISN and flags, and a 64-second time slot. The opener's third step (addendum A5) then
 * comes as an S_DACK naming our ISN and, as the sequence number of an empty payload, its own: if the
 * MAC matches (this slot or the one before), the opener has proven that it receives at its address
 * and the connection is rebuilt, established and confirmed, and queued for accept() directly -
 * half-open entries do not count against that queue. A flood of S_OPENs, from one peer or from many
 * identities, therefore fills nothing that a legitimate opener needs.
 *
 * <p>An opener whose stateless answer is late repeats its S_OPEN, and once the pressure is over the
 * copy gets a half-open connection with the same key. If the opener took the stateless answer, its
 * third step reaches that half-open connection, which it can never confirm: the connection gives way
 * at once ({@link #SUPERSEDED}) and the third step rebuilds the one the opener holds.
 *
 * <h2>Threading</h2>
 * The tables are guarded by the endpoint's own monitor, held only for lookups and updates; the
 * listening ports are an atomic array. Everything about one connection ({@link #deliver},
 * {@link #progress}, {@link #retire}) is called with the glue's guard of that connection held.
 * {@link #deliver} and {@link #unmatched} run on one receiving thread at a time (they share
 * scratch state and the refusal limiter).
 *
 * @param <P> the glue's handle of a remote peer (null for this node itself)
 * @param <L> the glue's connection type
 */
public final class StreamEndpoint<P, L extends StreamEndpoint.Link<P>> {
    /** Bound on the connections (any state) with one remote address: half the 16-bit link id space, so random allocation stays quick. */
    public static final int MAX_LINKS_PER_PEER = 32768;
    /** Largest number of packets one {@link StreamConnection#transmit} call emits before looping. */
    public static final int TRANSMIT_BATCH = 64;
    /** Refusals (S_CLOSE reason 01) per second, with bursts of a quarter of that. */
    public static final int REFUSALS_PER_SECOND = 200;
    /** The range port 0 binds in: the IANA dynamic ports, as the JDK's TCP sockets use. */
    public static final int EPHEMERAL_LOW = 49152;

    public static final int EPHEMERAL_HIGH = 65535;
    /** Half-open connections one remote may hold before its S_OPENs are answered statelessly. */
    public static final int MAX_HALF_OPEN_PER_PEER = 8;
    /** The time slot of a stateless answer's MAC; an answer is good for one to two slots. */
    static final long COOKIE_SLOT_NANOS = 64_000_000_000L;

    /** {@link #deliver}: the connection was already retired, or the message type is not a stream one. */
    public static final int IGNORED = 0;
    /** {@link #deliver}: the connection took the message. */
    public static final int DELIVERED = 1;
    /** {@link #deliver}: the connection took the message and its connect completed with it. */
    public static final int CONNECTED = 2;
    /**
     * {@link #deliver}: the message was the proven third step of a stateless open (addendum A12) and
     * reached a half-open connection that an earlier copy of the same S_OPEN left, which gave way;
     * the glue lets it retire ({@link #progress} and {@link #retire}) and then hands the message to
     * {@link #unmatched}, which rebuilds the connection the opener holds.
     */
    public static final int SUPERSEDED = 3;

    private static final long REFUSAL_COST = 1_000_000_000L / REFUSALS_PER_SECOND;
    private static final long REFUSAL_BURST = REFUSAL_COST * Math.max(1, REFUSALS_PER_SECOND / 4);

    private final Host<P, L> host;
    private final Supplier<? extends RandomGenerator> random;
    private final AtomicReferenceArray<Listener<L>> listeners = new AtomicReferenceArray<>(65536);
    /** Guards {@link #peers} and every table in it, and the links' keys. */
    private final Object tables = new Object();

    private final HashMap<AnodeAddress, PeerLinks<L>> peers = new HashMap<>();
    /** Receiving thread only. */
    private final AckRanges rxRanges = new AckRanges(AckRanges.MAX_COUNT);
    /** Refusal token bucket (receiving thread only): credit in nanoseconds of refusal time. */
    private long refusalCredit = REFUSAL_BURST;

    private long refusalLast;
    private boolean refusalStarted;
    private volatile boolean closed;
    private final AtomicLong dropped = new AtomicLong();
    private final AtomicLong refused = new AtomicLong();
    private final LongAdder dataAcks = new LongAdder();
    private final AtomicLong statelessAnswers = new AtomicLong();
    private final AtomicLong provenOpens = new AtomicLong();
    /** Receiving thread only: the stateless answers' MAC and its scratch. */
    private final Mac cookieMac;

    private final ByteBuffer cookieIn = ByteBuffer.allocate(AnodeAddress.LENGTH + 20);
    private final byte[] cookieOut = new byte[32];

    /** The connections with one remote address (DECISIONS 23); guarded by {@link #tables}. */
    private static final class PeerLinks<L> {
        /** Every connection with the remote, by our link id (or {@link #sharedKey}); its size is their number. */
        final LongMap<L> byLocal = new LongMap<>();

        final LongMap<L> byKey = new LongMap<>();
        /** Accepted connections with this remote still waiting for confirmation (addendum A5). */
        int halfOpen;
    }

    /**
     * @param host what the endpoint asks of the glue
     * @param random the source of link ids and ephemeral ports, asked on every thread that opens,
     *     accepts or binds ({@code ThreadLocalRandom::current} in a node; a seeded generator in tests)
     */
    public StreamEndpoint(Host<P, L> host, Supplier<? extends RandomGenerator> random) {
        this.host = host;
        this.random = random;
        byte[] secret = new byte[32];
        new SecureRandom().nextBytes(secret);
        try {
            cookieMac = Mac.getInstance("HmacSHA256");
            cookieMac.init(new SecretKeySpec(secret, "HmacSHA256"));
        } catch (GeneralSecurityException e) {
            // Every Java SE runtime provides HmacSHA256.
            throw new IllegalStateException("HmacSHA256 unavailable", e);
        }
    }

    // ------------------------------------------------------------------ what the glue provides

    /**
     * The glue's side of one connection: the protocol state the endpoint keeps per connection
     * (draft 5.2, DECISIONS 23). The glue extends it with its locks, timers and readiness.
     *
     * @param <P> the glue's handle of a remote peer
     */
    public abstract static class Link<P> {
        private final StreamConnection connection;
        private final AnodeAddress remote;
        private final P peer;
        private final boolean opener;
        private final int localLink;
        private final int sendPort;
        /** Known at once for an acceptor, from the answering S_OPEN for an opener; -1 until then. */
        private volatile int remoteLink;
        /** The demultiplexing key, valid once {@link #keyed}; guarded by the endpoint's tables. */
        private int demuxKey;
        /**
         * The key of the link in its remote's {@code byLocal} table: the link id, or for a connection
         * rebuilt under a link id already in use, {@link #sharedKey} of its demultiplexing key.
         */
        private long tableKey;

        private boolean keyed;
        /** Guarded by the link's guard, as everything below. */
        private boolean retired;
        /** An acceptor's listener until the opener acknowledged our ISN (addendum A5), else null. */
        private Listener<?> awaitingListener;

        /**
         * @param remoteLink the peer's link id, or -1 for an opener until the answer names it
         * @param sendPort what goes into the destination port field: the port we opened to, or the
         *     opener's link id
         */
        protected Link(
                StreamConnection connection,
                AnodeAddress remote,
                P peer,
                boolean opener,
                int localLink,
                int remoteLink,
                int sendPort) {
            this.connection = connection;
            this.remote = remote;
            this.peer = peer;
            this.opener = opener;
            this.localLink = localLink;
            this.remoteLink = remoteLink;
            this.sendPort = sendPort;
        }

        /** The protocol state machine. */
        public final StreamConnection connection() {
            return connection;
        }

        /** The remote node. */
        public final AnodeAddress remote() {
            return remote;
        }

        /** The glue's peer handle, or null for a connection to this node itself. */
        public final P peer() {
            return peer;
        }

        /** True on the side that sent the first S_OPEN. */
        public final boolean isOpener() {
            return opener;
        }

        /** Our link id, unique per remote (DECISIONS 23). */
        public final int localLink() {
            return localLink;
        }

        /** The destination port field of what we send. */
        public final int sendPort() {
            return sendPort;
        }

        /** The peer's link id, or -1 while an opener waits for the answer. */
        public final int remoteLink() {
            return remoteLink;
        }

        /** True once removed from the endpoint's tables (link guard held). */
        public final boolean isRetired() {
            return retired;
        }

        /** True while an accepted connection waits for the opener's acknowledgement of our ISN (A5). */
        public final boolean isAwaitingConfirmation() {
            return awaitingListener != null;
        }
    }

    /**
     * A listening port (draft 5.2.1) as the endpoint sees it: the glue's listener owns the queue
     * of confirmed connections and the counters; the endpoint decides when to count and enqueue.
     *
     * @param <L> the glue's connection type
     */
    public interface Listener<L> {
        /** False once the listener closed: its port refuses from then on. */
        boolean isOpen();

        /** True when no further connection fits the backlog, half-open ones included. */
        boolean backlogFull();

        /**
         * True when confirmed connections alone fill the backlog: an S_OPEN is then dropped, as a
         * TCP listener drops a SYN when its accept queue is full; while only half-open connections
         * fill it, S_OPENs are answered statelessly (addendum A12). By default the same as
         * {@link #backlogFull()}, for a listener that does not tell the two apart.
         */
        default boolean acceptQueueFull() {
            return backlogFull();
        }

        /** Half-open connections counted against the backlog now (0 for a listener that does not count them). */
        default int halfOpenCount() {
            return 0;
        }

        /** An answered connection now waits for the opener's acknowledgement (addendum A5). */
        void halfOpenAdded();

        /** A half-open connection was confirmed (and is being enqueued) or given up. */
        void halfOpenDone();

        /**
         * Adds a confirmed connection to the backlog; false if the listener is closed or full, and
         * the endpoint then resets the connection, as a TCP listener resets what it cannot accept.
         */
        boolean enqueue(L link);
    }

    /**
     * What the endpoint asks of the glue (draft 5.2, DECISIONS 27 and 30).
     *
     * @param <P> the glue's peer handle
     * @param <L> the glue's connection type
     */
    public interface Host<P, L> {
        /**
         * The configuration for a connection {@code listener} accepts from {@code from} (the path's
         * payload size, DECISIONS 27, and the listener's buffer sizes), or null to drop the S_OPEN
         * (no usable path to the peer).
         */
        StreamConfig acceptConfig(P from, Listener<L> listener);

        /**
         * Creates the glue's connection for an accepted S_OPEN. Called with the endpoint's tables
         * locked: it must not block or call back into the endpoint.
         *
         * @param openerLink the opener's link id: our connection's remote link and send port
         * @param port the listening port the S_OPEN named
         */
        L accepted(StreamConnection connection, AnodeAddress remote, P from, int localLink, int openerLink, int port);

        /**
         * Whether {@code link} may take received data now, before the connection allocates its
         * receive buffer (the glue's memory budget); false drops the data, which the peer then
         * retransmits. Called with the link's guard held.
         */
        boolean admitData(L link);

        /**
         * The length of the packet header a message to {@code peer} would carry now (draft 3.2:
         * the sender address form depends on the peer's answers), for the refusal size rule
         * (DECISIONS 30). Never asked for this node itself.
         */
        int headerLength(P peer, long nowNanos);
    }

    /**
     * Creates the glue's connection for {@link #connect}. Called with the endpoint's tables locked.
     *
     * @param <L> the glue's connection type
     */
    @FunctionalInterface
    public interface Opener<L> {
        L create(StreamConnection connection, int localLink);
    }

    /**
     * Where encoded stream messages go (draft 3): the glue adds the packet header and MAC and
     * sends. One per sending thread.
     *
     * @param <P> the glue's peer handle
     */
    public interface PacketOut<P> {
        /**
         * Begins a packet of {@code type} to {@code peer} (null: this node itself).
         *
         * @param fullSender force the full sender address (draft 3.2): an opener's S_OPEN, so that
         *     a refusal of it fits (DECISIONS 30)
         * @return a buffer positioned at the first message byte, its limit the packet's end; or
         *     null if nothing can be sent to the peer now (the protocol recovers the loss)
         */
        ByteBuffer begin(P peer, MessageType type, boolean fullSender);

        /** Ends the message written since {@link #begin} at the buffer's position and sends it. */
        void finish();

        /** The packet begun is not sent (it did not fit): counted as lost, the protocol recovers it. */
        void abandon();
    }

    /**
     * Encodes what a connection's {@link StreamConnection#transmit} emits into stream messages
     * (draft 5.2) with the link id and destination port of DECISIONS 23, through the
     * {@link MessageFields} writers that also encode the {@link org.anode.wire.Message} records.
     * Allocation-free; one per sending thread, bound to one connection (or one refusal) at a time.
     *
     * @param <P> the glue's peer handle
     */
    public static final class Encoder<P> implements StreamSink {
        private final PacketOut<P> out;
        private StreamEndpoint<P, ?> endpoint;
        private P peer;
        private int senderLink;
        private int destination;
        private boolean opener;

        public Encoder(PacketOut<P> out) {
            this.out = out;
        }

        void bind(StreamEndpoint<P, ?> ep, P to, int link, int port, boolean isOpener) {
            endpoint = ep;
            peer = to;
            senderLink = link;
            destination = port;
            opener = isOpener;
        }

        /** Forgets the connection and peer (a per-thread encoder must not keep a closed node reachable). */
        void unbind() {
            endpoint = null;
            peer = null;
        }

        @Override
        public void sendOpen(int windowUnits, int isn, int flags) {
            ByteBuffer b = out.begin(peer, MessageType.S_OPEN, opener);
            if (b == null) {
                return;
            }
            MessageFields.writeSOpen(b, senderLink, destination, windowUnits, isn, flags);
            out.finish();
        }

        @Override
        public void sendData(int seq, ByteBuffer payload) {
            ByteBuffer b = out.begin(peer, MessageType.S_DATA, false);
            if (b == null) {
                return;
            }
            if (b.remaining() < MessageFields.S_DATA_HEADER + payload.remaining()) {
                // The path's packet limit shrank under the connection: the data is retransmitted.
                out.abandon();
                return;
            }
            MessageFields.writeSData(b, senderLink, destination, seq, payload);
            out.finish();
        }

        @Override
        public void sendAck(int windowUnits, AckRanges ranges) {
            ByteBuffer b = out.begin(peer, MessageType.S_ACK, false);
            if (b == null) {
                return;
            }
            int room = (b.remaining() - MessageFields.S_ACK_HEADER) / MessageFields.ACK_RANGE_LENGTH;
            int n = Math.min(ranges.size(), room);
            MessageFields.writeSAckHeader(b, senderLink, destination, windowUnits);
            for (int i = 0; i < n; i++) {
                MessageFields.writeAckRange(b, ranges.first(i), ranges.count(i));
            }
            out.finish();
        }

        @Override
        public void sendDataAck(int windowUnits, AckRanges ranges, int seq, ByteBuffer payload) {
            int n = ranges.size();
            ByteBuffer b = out.begin(peer, MessageType.S_DACK, false);
            if (b == null) {
                return;
            }
            if (n < 1
                    || n > AckRanges.MAX_COUNT
                    || b.remaining()
                            < MessageFields.S_DACK_HEADER
                                    + n * MessageFields.ACK_RANGE_LENGTH
                                    + MessageFields.S_DACK_SEQUENCE_LENGTH
                                    + payload.remaining()) {
                // The core budgets for this; should the path shrink, the two halves still go out.
                out.abandon();
                sendAck(windowUnits, ranges);
                sendData(seq, payload);
                return;
            }
            // S_DACK (draft 5.2.5) with its data numbered as S_DATA's (addendum A1).
            MessageFields.writeSDackHeader(b, senderLink, destination, windowUnits, n);
            for (int i = 0; i < n; i++) {
                MessageFields.writeAckRange(b, ranges.first(i), ranges.count(i));
            }
            MessageFields.writeSDackData(b, seq, payload);
            out.finish();
            StreamEndpoint<P, ?> ep = endpoint;
            if (ep != null) {
                ep.dataAcks.increment();
            }
        }

        @Override
        public void sendClose(int reason, int isn, int seq) {
            ByteBuffer b = out.begin(peer, MessageType.S_CLOSE, false);
            if (b == null) {
                return;
            }
            MessageFields.writeSClose(b, senderLink, destination, reason, isn, seq);
            out.finish();
        }
    }

    // ------------------------------------------------------------------ listening ports

    /**
     * Reserves stream port {@code port} for {@code listener}, or with 0 a free one from the
     * ephemeral range. Stream ports are a namespace of their own, separate from DGRAM ports.
     *
     * @return the port
     * @throws BindException if it is taken or none is free
     */
    public int bind(Listener<L> listener, int port) throws BindException {
        if (port < 0 || port > 0xFFFF) {
            throw new IllegalArgumentException("stream ports are 0-65535: " + port);
        }
        if (port != 0) {
            if (!listeners.compareAndSet(port, null, listener)) {
                throw new BindException("Address already in use: Anode stream port " + port);
            }
            return port;
        }
        int span = EPHEMERAL_HIGH - EPHEMERAL_LOW + 1;
        int start = random.get().nextInt(span);
        for (int i = 0; i < span; i++) {
            int p = EPHEMERAL_LOW + (start + i) % span;
            if (listeners.compareAndSet(p, null, listener)) {
                return p;
            }
        }
        throw new BindException("no free ephemeral Anode stream port");
    }

    /** Releases {@code port} if {@code listener} holds it. */
    public void unbind(Listener<L> listener, int port) {
        listeners.compareAndSet(port, listener, null);
    }

    /** The listener on {@code port}, or null. */
    public Listener<L> listener(int port) {
        return listeners.get(port);
    }

    // ------------------------------------------------------------------ opening

    /**
     * Registers a new opener's connection to {@code (remote, port)} (draft 5.2.1) under a link id
     * unique for the remote; its S_OPEN goes out on its first {@link #progress}.
     *
     * @param peer the glue's peer handle, or null for this node itself
     * @param sourcePort a port to announce as the link id (S_OPEN flag 0x01), or 0 for a random id
     * @throws ConnectException if the remote has {@link #MAX_LINKS_PER_PEER} connections
     * @throws BindException if {@code sourcePort} is already a link id to the remote
     */
    public L connect(
            AnodeAddress remote, P peer, int port, int sourcePort, StreamConfig config, long nowNanos, Opener<L> opener)
            throws ConnectException, BindException {
        synchronized (tables) {
            PeerLinks<L> pl = peers.computeIfAbsent(remote, a -> new PeerLinks<>());
            try {
                if (pl.byLocal.size() >= MAX_LINKS_PER_PEER) {
                    throw new ConnectException("too many connections to " + remote);
                }
                int local;
                if (sourcePort != 0) {
                    if (pl.byLocal.get(sourcePort) != null) {
                        throw new BindException("Address already in use: link " + sourcePort + " to " + remote);
                    }
                    local = sourcePort;
                } else {
                    local = allocateLocal(pl, port);
                }
                StreamConnection conn = StreamConnection.connect(
                        config, nowNanos, sourcePort != 0 ? StreamConnection.FLAG_SOURCE_PORT : 0);
                L link = opener.create(conn, local);
                Link<P> k = link;
                k.tableKey = local;
                pl.byLocal.put(local, link);
                return link;
            } finally {
                // Whatever failed, no empty table stays behind for the remote.
                dropIfEmpty(remote, pl);
            }
        }
    }

    /** A free link id for {@code pl}, never 0, a listening port or {@code avoid}; tables locked. */
    private int allocateLocal(PeerLinks<L> pl, int avoid) {
        RandomGenerator r = random.get();
        while (true) {
            // The table is at most half full, so this ends quickly.
            int id = 1 + r.nextInt(0xFFFF);
            if (id != avoid && pl.byLocal.get(id) == null && listeners.get(id) == null) {
                return id;
            }
        }
    }

    private void dropIfEmpty(AnodeAddress remote, PeerLinks<L> pl) {
        if (pl.byLocal.isEmpty() && pl.byKey.isEmpty()) {
            peers.remove(remote);
        }
    }

    // ------------------------------------------------------------------ receiving

    private static int key(int remoteLink, int localField) {
        return (remoteLink << 16) | localField;
    }

    /**
     * The {@code byLocal} key of a rebuilt connection whose link id another connection holds: above
     * every link id, and unique per remote as its demultiplexing key is.
     */
    private static long sharedKey(int demuxKey) {
        return 1L << 32 | (demuxKey & 0xFFFFFFFFL);
    }

    /**
     * The connection a stream message {@code b[off, ...)} of {@code type} from {@code remote}
     * belongs to, or null (then {@link #unmatched} handles it).
     */
    public L route(AnodeAddress remote, MessageType type, ByteBuffer b, int off) {
        int x = MessageFields.linkId(b, off);
        int y = MessageFields.destinationPort(b, off);
        synchronized (tables) {
            PeerLinks<L> pl = peers.get(remote);
            if (pl == null) {
                return null;
            }
            L link = pl.byKey.get(key(x, y));
            if (link == null && (type == MessageType.S_OPEN || type == MessageType.S_CLOSE)) {
                // The answer to our S_OPEN, or its refusal, names our link id as its port.
                L p = pl.byLocal.get(y);
                if (p != null && p.isOpener() && p.remoteLink() < 0) {
                    link = p;
                }
            }
            return link;
        }
    }

    /**
     * A stream message no connection took: an S_OPEN is accepted for the listener on its port, or
     * refused through {@code refusals} (bound for the call), or dropped; anything else is dropped.
     *
     * @param packetLength the length of the packet it came in (the refusal must not be larger)
     * @return the accepted connection, which the glue then drives with {@link #progress} to send
     *     the answering S_OPEN; or null
     */
    public L unmatched(
            AnodeAddress remote,
            P from,
            MessageType type,
            int packetLength,
            ByteBuffer b,
            int off,
            long nowNanos,
            Encoder<P> refusals) {
        if (type == MessageType.S_DACK && !closed) {
            L proven = proven(remote, from, b, off, nowNanos);
            if (proven == null) {
                dropped.incrementAndGet();
            }
            return proven;
        }
        if (type != MessageType.S_OPEN || closed) {
            dropped.incrementAndGet();
            return null;
        }
        int x = MessageFields.linkId(b, off);
        int y = MessageFields.destinationPort(b, off);
        int window = MessageFields.window(b, off);
        int isn = MessageFields.sOpenInitialSequence(b, off);
        int flags = MessageFields.sOpenFlags(b, off);
        Listener<L> listener = listeners.get(y);
        if (listener == null || !listener.isOpen()) {
            refuse(from, packetLength, x, y, isn, nowNanos, refusals);
            return null;
        }
        if (listener.acceptQueueFull()) {
            dropped.incrementAndGet();
            return null;
        }
        StreamConfig cfg = host.acceptConfig(from, listener);
        if (cfg == null) {
            dropped.incrementAndGet();
            return null;
        }
        // Pressure (addendum A12): many half-open connections fill the backlog, or this remote holds
        // its share of them. A small backlog filled by a few half-open connections is not a flood:
        // the S_OPEN is dropped as before and retransmitted.
        if ((listener.backlogFull() && listener.halfOpenCount() >= MAX_HALF_OPEN_PER_PEER)
                || halfOpenOf(remote) >= MAX_HALF_OPEN_PER_PEER) {
            answerStatelessly(remote, from, cfg, x, y, isn, flags, nowNanos, refusals);
            return null;
        }
        if (listener.backlogFull()) {
            dropped.incrementAndGet();
            return null;
        }
        synchronized (tables) {
            PeerLinks<L> pl = peers.computeIfAbsent(remote, a -> new PeerLinks<>());
            try {
                return accept(pl, remote, from, listener, cfg, x, y, window, isn, flags, nowNanos);
            } finally {
                dropIfEmpty(remote, pl);
            }
        }
    }

    /** The tables part of accepting an S_OPEN; tables locked. */
    private L accept(
            PeerLinks<L> pl,
            AnodeAddress remote,
            P from,
            Listener<L> listener,
            StreamConfig cfg,
            int x,
            int y,
            int window,
            int isn,
            int flags,
            long nowNanos) {
        if (pl.byLocal.size() >= MAX_LINKS_PER_PEER) {
            dropped.incrementAndGet();
            return null;
        }
        int local = allocateLocal(pl, -1);
        StreamConnection conn = StreamConnection.accept(cfg, nowNanos, window, isn, flags, 0);
        L link = host.accepted(conn, remote, from, local, x, y);
        Link<P> k = link;
        k.demuxKey = key(x, y);
        k.keyed = true;
        // Handed to the listener only once the opener acknowledges our ISN (addendum A5);
        // until then it counts against the backlog as half-open.
        k.awaitingListener = listener;
        listener.halfOpenAdded();
        pl.halfOpen++;
        k.tableKey = local;
        pl.byLocal.put(local, link);
        pl.byKey.put(k.demuxKey, link);
        return link;
    }

    private int halfOpenOf(AnodeAddress remote) {
        synchronized (tables) {
            PeerLinks<L> pl = peers.get(remote);
            return pl == null ? 0 : pl.halfOpen;
        }
    }

    /**
     * The MAC of a stateless answer (addendum A12) into {@link #cookieOut}: bytes 0-3 are our ISN,
     * 4-5 our link id. Receiving thread only.
     */
    private void cookie(AnodeAddress remote, int x, int y, int isn, int flags, long slot) {
        ByteBuffer in = cookieIn;
        in.clear();
        remote.writeTo(in);
        in.putShort((short) x)
                .putShort((short) y)
                .putInt(isn)
                .putShort((short) flags)
                .putLong(slot);
        cookieMac.update(in.array(), 0, in.position());
        try {
            cookieMac.doFinal(cookieOut, 0);
        } catch (ShortBufferException e) {
            throw new IllegalStateException(e);
        }
    }

    private int cookieIsn() {
        return (cookieOut[0] & 0xff) << 24
                | (cookieOut[1] & 0xff) << 16
                | (cookieOut[2] & 0xff) << 8
                | (cookieOut[3] & 0xff);
    }

    /** Our link id from the MAC: never 0 (link ids are 1-65535). */
    private int cookieLink() {
        return 1 + ((cookieOut[4] & 0xff) << 8 | (cookieOut[5] & 0xff)) % 0xFFFF;
    }

    /**
     * Answers an S_OPEN without keeping state (addendum A12): our S_OPEN with flag
     * {@link StreamConnection#FLAG_STATELESS}, its ISN and our link id from the MAC. It is no larger
     * than the S_OPEN it answers (the same message; our header is at most the opener's).
     */
    private void answerStatelessly(
            AnodeAddress remote, P from, StreamConfig cfg, int x, int y, int isn, int flags, long now, Encoder<P> enc) {
        cookie(remote, x, y, isn, flags & 0xFF, Math.floorDiv(now, COOKIE_SLOT_NANOS));
        int window = Math.min(0xFFFF, cfg.receiveBufferSize() / 1024);
        // Our link id must not be a listening port (an answer to our own S_OPENs could then be
        // taken for a new connection); such an answer is simply not sent.
        if (listeners.get(cookieLink()) != null) {
            dropped.incrementAndGet();
            return;
        }
        enc.bind(this, from, cookieLink(), x, false);
        try {
            enc.sendOpen(window, cookieIsn(), StreamConnection.FLAG_STATELESS);
            statelessAnswers.incrementAndGet();
        } finally {
            enc.unbind();
        }
    }

    /**
     * An S_DACK no connection took: if it is the third step of a stateless open (addendum A12) whose
     * MAC checks out, the opener proved its address, and its connection is rebuilt and queued for
     * its listener. Otherwise null (the caller counts the drop).
     */
    private L proven(AnodeAddress remote, P from, ByteBuffer b, int off, long now) {
        int x = MessageFields.linkId(b, off);
        int y = MessageFields.destinationPort(b, off);
        Listener<L> listener = listeners.get(y);
        if (listener == null || !listener.isOpen()) {
            return null;
        }
        int flags = provenFlags(remote, b, off, now);
        if (flags < 0) {
            return null;
        }
        return rebuild(
                remote,
                from,
                listener,
                x,
                y,
                MessageFields.window(b, off),
                MessageFields.sDackSequence(b, off),
                flags,
                cookieIsn(),
                cookieLink(),
                now);
    }

    /**
     * Whether the S_DACK {@code b[off, ...)} is the third step of a stateless open (addendum A12):
     * its ranges acknowledge the ISN our MAC gives for the current or the previous slot. Returns
     * the opener's flags the match was for, with {@link #cookieOut} holding the MAC, or -1.
     * Receiving thread only.
     */
    private int provenFlags(AnodeAddress remote, ByteBuffer b, int off, long now) {
        int x = MessageFields.linkId(b, off);
        int y = MessageFields.destinationPort(b, off);
        // The packet layer checked the message's structure (MessageFields.check): the ranges and
        // the sequence number are there.
        int n = MessageFields.sDackRangeCount(b, off);
        int rangesOff = MessageFields.sDackRangesOffset(off);
        int openerIsn = MessageFields.sDackSequence(b, off);
        long slot = Math.floorDiv(now, COOKIE_SLOT_NANOS);
        for (long s = slot; s >= slot - 1; s--) {
            for (int flags = 0; flags <= StreamConnection.FLAG_SOURCE_PORT; flags++) {
                cookie(remote, x, y, openerIsn, flags, s);
                int ourIsn = cookieIsn();
                for (int i = 0, p = rangesOff; i < n; i++, p += MessageFields.ACK_RANGE_LENGTH) {
                    if (MessageFields.ackFirst(b, p) == ourIsn && MessageFields.ackCount(b, p) == 1) {
                        return flags;
                    }
                }
            }
        }
        return -1;
    }

    private L rebuild(
            AnodeAddress remote,
            P from,
            Listener<L> listener,
            int x,
            int y,
            int window,
            int openerIsn,
            int flags,
            int ourIsn,
            int local,
            long now) {
        StreamConfig cfg = host.acceptConfig(from, listener);
        if (cfg == null || listeners.get(local) != null || listener.acceptQueueFull()) {
            // A full accept queue drops the third step, as Linux drops a cookie's ACK then: the
            // opener repeats it with backoff, and the MAC stays good for a slot or two.
            return null;
        }
        L link;
        synchronized (tables) {
            PeerLinks<L> pl = peers.computeIfAbsent(remote, a -> new PeerLinks<>());
            try {
                if (pl.byLocal.size() >= MAX_LINKS_PER_PEER || pl.byKey.get(key(x, y)) != null) {
                    return null;
                }
                StreamConnection conn = StreamConnection.acceptProven(cfg, now, window, openerIsn, flags, ourIsn);
                link = host.accepted(conn, remote, from, local, x, y);
                Link<P> k = link;
                k.demuxKey = key(x, y);
                k.keyed = true;
                // The opener already knows our link id from the answer, and the MAC may have picked
                // one that another connection with this remote holds: the connection is kept under
                // its demultiplexing key then (see the class comment on demultiplexing).
                k.tableKey = pl.byLocal.get(local) == null ? local : sharedKey(k.demuxKey);
                pl.byLocal.put(k.tableKey, link);
                pl.byKey.put(k.demuxKey, link);
            } finally {
                dropIfEmpty(remote, pl);
            }
        }
        provenOpens.incrementAndGet();
        if (!listener.enqueue(link)) {
            // The accept queue itself is full of confirmed connections: reset, as TCP would.
            link.connection().abort(StreamConnection.REASON_REFUSED);
        }
        return link;
    }

    /**
     * Refuses an S_OPEN (draft 5.2.2, DECISIONS 21): S_CLOSE reason 01 with both sequence fields
     * equal to the opener's ISN, sent as (sender link = the port it asked for, destination = its
     * link id), rate-limited and never larger than the packet it answers (DECISIONS 30): a refusal
     * must not be a way to amplify traffic toward a forged source.
     */
    private void refuse(P from, int packetLength, int x, int y, int isn, long now, Encoder<P> enc) {
        if (from != null && host.headerLength(from, now) + MessageFields.S_CLOSE_LENGTH > packetLength) {
            dropped.incrementAndGet();
            return;
        }
        long elapsed = refusalStarted ? Math.max(0, now - refusalLast) : 0;
        refusalStarted = true;
        long credit = Math.min(REFUSAL_BURST, refusalCredit + elapsed);
        refusalLast = now;
        if (credit < REFUSAL_COST) {
            refusalCredit = credit;
            dropped.incrementAndGet();
            return;
        }
        refusalCredit = credit - REFUSAL_COST;
        enc.bind(this, from, y, x, false);
        try {
            StreamAcceptor.refuse(enc, isn);
            refused.incrementAndGet();
        } finally {
            enc.unbind();
        }
    }

    /**
     * Feeds the stream message {@code b[off, limit)} into {@code link}'s connection (link guard
     * held; the receiving thread). {@code b}'s position and limit are restored.
     *
     * @return {@link #IGNORED}, {@link #DELIVERED}, {@link #CONNECTED} (the glue wakes the
     *     connecting thread at once rather than after the batch's acknowledgement goes out) or
     *     {@link #SUPERSEDED}
     */
    public int deliver(L link, MessageType type, ByteBuffer b, int off, int limit, long nowNanos) {
        Link<P> k = link;
        if (k.retired) {
            return IGNORED;
        }
        StreamConnection c = k.connection;
        switch (type) {
            case S_OPEN -> {
                if (k.opener && k.remoteLink < 0) {
                    int x = MessageFields.linkId(b, off);
                    k.remoteLink = x;
                    synchronized (tables) {
                        PeerLinks<L> pl = peers.get(k.remote);
                        if (pl != null) {
                            k.demuxKey = key(x, k.localLink);
                            k.keyed = true;
                            pl.byKey.put(k.demuxKey, link);
                        }
                    }
                }
                boolean wasConnecting = c.isConnecting();
                c.onOpen(
                        nowNanos,
                        MessageFields.window(b, off),
                        MessageFields.sOpenInitialSequence(b, off),
                        MessageFields.sOpenFlags(b, off));
                return wasConnecting && !c.isConnecting() ? CONNECTED : DELIVERED;
            }
            case S_CLOSE ->
                c.onClose(
                        nowNanos,
                        MessageFields.sCloseReason(b, off),
                        MessageFields.sCloseInitialSequence(b, off),
                        MessageFields.sCloseSequence(b, off));
            case S_DATA -> {
                int pos = b.position();
                int lim = b.limit();
                try {
                    b.limit(limit).position(MessageFields.sDataPayloadOffset(off));
                    if (host.admitData(link)) {
                        c.onData(nowNanos, MessageFields.sDataSequence(b, off), b);
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
                for (int i = 0;
                        i < n && ranges.append(MessageFields.ackFirst(b, p), MessageFields.ackCount(b, p));
                        i++, p += MessageFields.ACK_RANGE_LENGTH) {
                    // Copies the pairs as they came (a full list keeps the first 255).
                }
                c.onAck(nowNanos, MessageFields.window(b, off), ranges);
            }
            case S_DACK -> {
                if (k.awaitingListener != null
                        && !c.isPeerConfirmed()
                        && MessageFields.sDackSequence(b, off) == c.peerIsn()
                        && provenFlags(k.remote, b, off, nowNanos) >= 0) {
                    // Addendum A12: the opener repeated its S_OPEN while our stateless answer to it
                    // was on its way, the copy found no pressure and got this connection, and the
                    // opener took the stateless answer. It can never confirm this connection, whose
                    // key the rebuilt one needs: this one gives way at once.
                    c.supersede();
                    return SUPERSEDED;
                }
                AckRanges ranges = rxRanges;
                ranges.clear();
                int n = MessageFields.sDackRangeCount(b, off);
                int p = MessageFields.sDackRangesOffset(off);
                for (int i = 0; i < n; i++, p += MessageFields.ACK_RANGE_LENGTH) {
                    ranges.append(MessageFields.ackFirst(b, p), MessageFields.ackCount(b, p));
                }
                // After the ranges: the data's sequence number, then the data (addendum A1).
                if (limit - p < MessageFields.S_DACK_SEQUENCE_LENGTH) {
                    c.onAck(nowNanos, MessageFields.window(b, off), ranges);
                    return DELIVERED;
                }
                int seq = b.getInt(p);
                int pos = b.position();
                int lim = b.limit();
                try {
                    b.limit(limit).position(p + MessageFields.S_DACK_SEQUENCE_LENGTH);
                    if (host.admitData(link)) {
                        c.onDataAck(nowNanos, MessageFields.window(b, off), ranges, seq, b);
                    } else {
                        c.onAck(nowNanos, MessageFields.window(b, off), ranges);
                    }
                } finally {
                    b.limit(lim).position(pos);
                }
            }
            default -> {
                return IGNORED;
            }
        }
        return DELIVERED;
    }

    // ------------------------------------------------------------------ driving a connection

    /**
     * After any input to {@code link} (link guard held): hands a connection that just became
     * confirmed to its listener (addendum A5), then encodes what became sendable through
     * {@code encoder}, whose {@link PacketOut} sends it.
     */
    public void progress(L link, long nowNanos, Encoder<P> encoder) {
        Link<P> k = link;
        StreamConnection c = k.connection;
        if (k.awaitingListener != null && c.isPeerConfirmed() && c.failure() == null && !k.retired) {
            handOver(link);
        }
        encoder.bind(this, k.peer, k.localLink, k.sendPort, k.opener);
        try {
            while (c.transmit(nowNanos, encoder, TRANSMIT_BATCH) == TRANSMIT_BATCH) {
                // More may be sendable: keep going until the windows or the pacer stop it.
            }
        } finally {
            encoder.unbind();
        }
    }

    /**
     * A confirmed acceptor moves from its listener's half-open count to its backlog, where the
     * application finds it; a listener that closed or filled meanwhile gets it reset.
     */
    @SuppressWarnings("unchecked")
    private void handOver(L link) {
        Link<P> k = link;
        Listener<L> listener = (Listener<L>) k.awaitingListener;
        k.awaitingListener = null;
        listener.halfOpenDone();
        halfOpenDone(k.remote);
        if (!listener.enqueue(link)) {
            k.connection.abort(StreamConnection.REASON_REFUSED);
        }
    }

    /**
     * Removes a finished connection from the tables (link guard held); a connection that was
     * never confirmed (a replay, or an opener that went away) leaves its listener's half-open
     * count without anyone having seen it.
     *
     * @return false if it was retired before
     */
    public boolean retire(L link) {
        Link<P> k = link;
        if (k.retired) {
            return false;
        }
        k.retired = true;
        if (k.awaitingListener != null) {
            k.awaitingListener.halfOpenDone();
            k.awaitingListener = null;
            halfOpenDone(k.remote);
        }
        synchronized (tables) {
            PeerLinks<L> pl = peers.get(k.remote);
            if (pl != null) {
                pl.byLocal.remove(k.tableKey, link);
                if (k.keyed) {
                    pl.byKey.remove(k.demuxKey, link);
                }
                dropIfEmpty(k.remote, pl);
            }
        }
        return true;
    }

    private void halfOpenDone(AnodeAddress remote) {
        synchronized (tables) {
            PeerLinks<L> pl = peers.get(remote);
            if (pl != null && pl.halfOpen > 0) {
                pl.halfOpen--;
            }
        }
    }

    // ------------------------------------------------------------------ state and statistics

    /** S_OPENs answered without keeping state (addendum A12). */
    public long statelessAnswers() {
        return statelessAnswers.get();
    }

    /** Connections rebuilt from a proven stateless open (addendum A12). */
    public long provenOpens() {
        return provenOpens.get();
    }

    /** From now on every S_OPEN that matches no connection is dropped (node shutdown). */
    public void close() {
        closed = true;
    }

    /** True after {@link #close}. */
    public boolean isClosed() {
        return closed;
    }

    /** A snapshot of the connections in the tables (any state). */
    public List<L> links() {
        List<L> all = new ArrayList<>();
        synchronized (tables) {
            for (PeerLinks<L> pl : peers.values()) {
                pl.byLocal.forEach(all::add);
            }
        }
        return all;
    }

    /** Connections in the tables (any state). */
    public int linkCount() {
        synchronized (tables) {
            int n = 0;
            for (PeerLinks<L> pl : peers.values()) {
                n += pl.byLocal.size();
            }
            return n;
        }
    }

    /** Remote addresses with an entry in the tables (tests: entries do not outlive their links). */
    public int remoteCount() {
        synchronized (tables) {
            return peers.size();
        }
    }

    /** Stream messages that matched no connection, or were dropped for a full backlog or the limits. */
    public long droppedPackets() {
        return dropped.get();
    }

    /** Refusals sent. */
    public long refusals() {
        return refused.get();
    }

    /** S_DACK messages sent (an acknowledgement riding on data). */
    public long dataAcksSent() {
        return dataAcks.sum();
    }
}
