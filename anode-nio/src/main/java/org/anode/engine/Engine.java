package org.anode.engine;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.NoRouteToHostException;
import java.nio.ByteBuffer;
import java.security.InvalidKeyException;
import java.security.SecureRandom;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeoutException;
import java.util.function.LongSupplier;
import org.anode.address.AnodeAddress;
import org.anode.address.AnodeIdentity;
import org.anode.address.ShortId;
import org.anode.crypto.internal.AesCmac;
import org.anode.wire.AddressField;
import org.anode.wire.ErrorCode;
import org.anode.wire.MessageFields;
import org.anode.wire.MessageType;
import org.anode.wire.PacketFormat;
import org.anode.wire.PacketReader;
import org.anode.wire.PacketWriter;
import org.anode.wire.SenderForm;
import org.anode.wire.WireException;

/**
 * The node's packet logic, sans I/O (draft 3 and 4): packets, their source endpoint and a clock
 * go in; packets to send (through the {@link Transport} objects it is handed) and deliveries to
 * {@link Handlers} come out. It owns the bounded {@link PeerTable}.
 *
 * <p>What happens to a received packet ({@link #receive}):
 * <ol>
 *   <li>It is parsed in place ({@link PacketReader}); anything malformed is dropped.
 *   <li>A packet not addressed to this node is handed to the {@link Relay} if the node relays
 *       (draft 2.3, DECISIONS 34), else dropped. An authenticated packet to this node that arrived
 *       with hop count 0 registers its sender at the relay (DECISIONS 33).
 *   <li>A flag 0x04 packet (authentication error response) is only reported to the
 *       {@link Handlers.ErrorHandler}: it never changes any state and is never answered
 *       (draft 3.2, DECISIONS 18). The one exception is an address cookie reply (addendum A15):
 *       if it echoes the MAC of a packet this node sent, from that packet's destination, the
 *       cookie is sent back in a PING, and nothing else happens.
 *   <li>The sender is resolved: a full address is looked up (for an unknown one, a key is agreed,
 *       rate-limited; while that budget is under pressure, only for a source that proved its
 *       address, the others get an address cookie, addendum A15); a short id is tried against
 *       every peer that has it, the first whose MAC verifies wins (draft 3.5). No verifying key:
 *       dropped, optionally answered with an ERROR no larger than the packet (DECISIONS 30).
 *   <li>The peer is marked as having answered (draft 3.2). If the source is one of its proven
 *       endpoints, that endpoint is refreshed with the packet's hop count (draft 3.1); a peer with
 *       no endpoint yet learns the source as its first. A source that is new for a peer which
 *       already has an endpoint is not used until it is proven: the engine sends an EPC_REQ with
 *       a random 32-bit id to it (draft 4.2.4) and adds it as a fresh (preferred) endpoint only
 *       when an EPC with that id comes back from that very endpoint (4.2.5). A NAT rebinding is
 *       followed after one round trip; a captured packet replayed from a spoofed source
 *       (DECISIONS 29) cannot redirect the peer's traffic. Checks are bounded per peer and
 *       overall and expire. Then: PING is answered with a PONG of the same payload,
 *       PONG completes the matching ping (RTT), ERROR is reported, EPC_REQ is answered with EPC,
 *       DGRAM goes to the {@link Handlers.DatagramHandler}, other types to a registered
 *       {@link Handlers.MessageHandler} (streams, types 20-24); anything else is dropped.
 * </ol>
 *
 * <p>Threading: {@code receive}, {@code addPeer}, {@code ping} and handler registration run on the
 * event-loop thread. {@link #begin}/{@link #finish} (sending) and the lookups are thread-safe: each
 * sender brings its own {@link Outbound}, the per-peer MAC instance is used under the peer's
 * monitor.
 *
 * <p>Replay (DECISIONS 29): packets carry no nonce, so a captured DGRAM or PING can be replayed and
 * will be accepted; a replay from another IP endpoint only makes the node send one small EPC_REQ
 * there (a header and a 4-byte id, at most once a second per endpoint, bounded in number), and
 * never moves the peer's traffic. Applications that need replay protection must add
 * it above DGRAM.
 *
 * <p>Peer table (draft 3 sets no bound; ours is {@link EngineConfig#maxPeers()}): an unknown
 * sender is admitted only if a token is left in its source's bucket and in the node-wide
 * key-agreement budget, and only if the table has room or holds a learned, unpinned peer idle in
 * both directions for the draft 3.2 answer timeout (see {@link Peer#pin()}). While less than a
 * quarter of the node-wide budget is left, a direct first contact is served only if its source
 * proved it receives at its address (an echoed {@link AddressCookies address cookie}, an endpoint
 * check, a challenge, or configuration), from a budget of its own; the others are answered with a
 * cookie (addendum A15).
 */
public final class Engine {
    private static final System.Logger LOG = System.getLogger(Engine.class.getName());
    /** Default sender peer id of a node (draft 3.4: real peers use a non-zero id; see {@link EngineConfig#localPeerId()}). */
    public static final int LOCAL_PEER_ID = 1;
    /** Largest packet the event loop's own sends (PONG, EPC, ERROR) may need. */
    private static final int LOOP_BUFFER = 65536;
    /** Outstanding endpoint checks per peer: a NAT rebinding needs one, a multihomed peer a few. */
    static final int MAX_CHECKS_PER_PEER = 4;
    /** Outstanding endpoint checks in all: bounds the EPC_REQs replays can make us send. */
    static final int MAX_CHECKS = 1024;
    /** Lifetime of an endpoint check: many round trips, short enough to free its slot soon. */
    static final long CHECK_LIFETIME_NANOS = 10_000_000_000L;
    /** An unanswered check is re-sent (same id) at most this often while its source keeps talking. */
    static final long CHECK_RESEND_NANOS = 1_000_000_000L;
    /** Sources remembered by the per-source key-agreement limit. */
    static final int MAX_SOURCES = 4096;
    /** Addendum A15: sources remembered as proven, and for how long. */
    static final int MAX_PROVEN_SOURCES = 4096;

    static final long PROVEN_SOURCE_LIFETIME_NANOS = 120_000_000_000L;
    /** Addendum A15: the arguments of an address cookie reply (code, cookie, echoed MAC field). */
    static final int COOKIE_REPLY_ARGS = 2 + AddressCookies.LENGTH + Long.BYTES;
    /** Addendum A15: a PING that carries a cookie has this payload: an 8-byte id, then the cookie. */
    static final int COOKIE_PING_PAYLOAD = Long.BYTES + AddressCookies.LENGTH;
    /** Addendum A15: cookie replies are answered at most this often per peer. */
    static final long COOKIE_PING_INTERVAL_NANOS = 1_000_000_000L;
    /** Addendum A15: outstanding pings re-sent with one cookie, at most. */
    static final int MAX_COOKIE_PINGS = 4;

    private final AnodeIdentity identity;
    private final AnodeAddress self;
    private final long selfShortId;
    private final EngineConfig config;
    private final LongSupplier clock;
    private final PeerTable table;
    private final PacketReader reader = new PacketReader();
    private final Outbound loopOut = new Outbound(LOOP_BUFFER);
    private final TokenBucket newPeerBudget;
    private final SourceBuckets newPeerSourceBudget;
    /** Addendum A10: first contacts relayed by a zone relay this node uses, per relay. */
    private final SourceBuckets newPeerRelayBudget;
    /** Outstanding endpoint checks, oldest first (their deadlines are in the same order). */
    private final ArrayDeque<EndpointCheck> checks = new ArrayDeque<>();

    private final TokenBucket errorReplyBudget;
    private final SecureRandom random = new SecureRandom();
    // ---- Addendum A15: address cookies for first contacts while the key-agreement budget is pressed.
    private final AddressCookies cookies = new AddressCookies(random);
    /** Sources that proved they receive at their address (cookie, endpoint check, challenge, configuration). */
    private final ProvenSources provenSources = new ProvenSources(MAX_PROVEN_SOURCES, PROVEN_SOURCE_LIFETIME_NANOS);
    /** Key agreements for unknown senders from proven sources while {@link #newPeerBudget} is pressed. */
    private final TokenBucket provenPeerBudget;

    private final TokenBucket cookieReplyBudget;
    private final SourceBuckets cookieReplySourceBudget;
    private final Map<Long, PendingPing> pings = new HashMap<>();
    private final Handlers.MessageHandler[] handlers = new Handlers.MessageHandler[256];
    private volatile Handlers.DatagramHandler datagramHandler;
    private volatile Handlers.ErrorHandler errorHandler;
    private final Stats stats = new Stats();
    /** Relaying hook (draft 2.3, DECISIONS 34): null unless the node is configured as a relay. */
    private volatile Relay relay;
    /** Routing hook (DECISIONS 31, 33): told of authenticated ERRORs; null without a router. */
    private volatile Router router;
    /** Addendum A10: endpoints of the zone relays this node uses (set by the router). */
    private volatile java.util.function.Predicate<InetSocketAddress> usedRelays = e -> false;
    // ---- NAT traversal hook (DECISIONS 35, 36; see NatTraversal): null when traversal is off.
    private volatile NatTraversal nat;

    private static final class PendingPing {
        final Peer peer;
        final long sentAt;
        final Handlers.PingCallback callback;

        PendingPing(Peer peer, long sentAt, Handlers.PingCallback callback) {
            this.peer = peer;
            this.sentAt = sentAt;
            this.callback = callback;
        }
    }

    /**
     * Counters of what the engine did with received packets (draft 3: malformed, unauthenticated,
     * flag 0x04, delivered). Written by the event loop only;
     * readable from any thread.
     */
    public static final class Stats {
        volatile long received;
        volatile long malformed;
        volatile long notForUs;
        volatile long authFailed;
        volatile long authErrorResponses;
        volatile long unknownSenderDropped;
        volatile long accepted;
        volatile long delivered;
        volatile long noListener;
        volatile long unhandledType;
        volatile long errorReplies;
        volatile long pongsSent;
        volatile long peerTableFull;
        volatile long endpointChecks;
        volatile long endpointsProven;
        volatile long relayedReceived;
        volatile long cookieReplies;
        volatile long cookiesAccepted;
        volatile long cookiePings;

        /** Packets handed to the engine. */
        public long received() {
            return received;
        }

        /** Dropped as malformed (draft 3 layout, DECISIONS 16-20). */
        public long malformed() {
            return malformed;
        }

        /** Dropped because the recipient was not this node. */
        public long notForUs() {
            return notForUs;
        }

        /** Dropped because no candidate sender's MAC verified (draft 3.3, 3.5). */
        public long authFailed() {
            return authFailed;
        }

        /** Flag 0x04 packets seen (reported only, DECISIONS 18). */
        public long authErrorResponses() {
            return authErrorResponses;
        }

        /** Dropped full-sender packets from unknown peers over the key-agreement budget or table bound. */
        public long unknownSenderDropped() {
            return unknownSenderDropped;
        }

        /** Packets whose MAC verified. */
        public long accepted() {
            return accepted;
        }

        /** DGRAM messages delivered to a bound port. */
        public long delivered() {
            return delivered;
        }

        /** DGRAM messages (or stream messages) for which nothing was listening. */
        public long noListener() {
            return noListener;
        }

        /** Authenticated messages of a type this node does not handle. */
        public long unhandledType() {
            return unhandledType;
        }

        /** ERROR replies sent (flag 0x04, rate-limited). */
        public long errorReplies() {
            return errorReplies;
        }

        /** PONGs sent. */
        public long pongsSent() {
            return pongsSent;
        }

        /**
         * Unknown senders dropped because the table was full and held no peer a newcomer may
         * replace (also counted in {@link #unknownSenderDropped()}).
         */
        public long peerTableFull() {
            return peerTableFull;
        }

        /** Authenticated packets that arrived through a relay (hop count above 0, draft 3.1). */
        public long relayedReceived() {
            return relayedReceived;
        }

        /** Endpoint checks started for new sources of known peers (draft 4.2.4). */
        public long endpointChecks() {
            return endpointChecks;
        }

        /** New endpoints proven by a matching EPC and added to their peer (draft 4.2.5). */
        public long endpointsProven() {
            return endpointsProven;
        }

        /**
         * Address cookie replies sent (addendum A15): first contacts answered with a cookie instead
         * of a key agreement while the budget for unknown senders was under pressure (also counted
         * in {@link #unknownSenderDropped()}).
         */
        public long cookieReplies() {
            return cookieReplies;
        }

        /** Valid address cookies received (addendum A15): sources that proved their address. */
        public long cookiesAccepted() {
            return cookiesAccepted;
        }

        /** PINGs sent carrying a cookie, answering another node's cookie reply (addendum A15). */
        public long cookiePings() {
            return cookiePings;
        }
    }

    /**
     * @param clock monotonic nanoseconds ({@code System::nanoTime} in a running node, a fake in tests)
     */
    public Engine(AnodeIdentity identity, EngineConfig config, LongSupplier clock) {
        this.identity = identity;
        this.self = identity.address();
        this.selfShortId = self.shortId().value();
        this.config = config;
        this.clock = clock;
        this.table = new PeerTable(config.maxPeers());
        this.newPeerBudget = new TokenBucket(config.newPeerRate(), Math.max(1, config.newPeerRate() / 4));
        int perSource = config.newPeerRatePerSource();
        this.newPeerSourceBudget = new SourceBuckets(perSource, Math.max(1, perSource / 4), MAX_SOURCES);
        int perRelay = relayedNewPeerRate(config);
        this.newPeerRelayBudget = new SourceBuckets(perRelay, Math.max(1, perRelay / 4), MAX_SOURCES);
        this.errorReplyBudget = new TokenBucket(config.errorReplyRate(), Math.max(1, config.errorReplyRate() / 4));
        this.provenPeerBudget = new TokenBucket(config.newPeerRate(), Math.max(1, config.newPeerRate() / 4));
        int cookieRate = cookieReplyRate(config);
        this.cookieReplyBudget = new TokenBucket(cookieRate, Math.max(1, cookieRate / 4));
        this.cookieReplySourceBudget = new SourceBuckets(perSource, Math.max(1, perSource / 4), MAX_SOURCES);
    }

    /**
     * Addendum A15: node-wide rate of address cookie replies - far above the key-agreement rate (a
     * reply costs one HMAC and is never larger than the packet it answers), so a flood from many
     * sources must be large before a legitimate newcomer misses its cookie.
     */
    static int cookieReplyRate(EngineConfig config) {
        return (int) Math.min(1_000_000, Math.max(1024L, 16L * config.newPeerRate()));
    }

    public AnodeAddress address() {
        return self;
    }

    public EngineConfig config() {
        return config;
    }

    public Stats stats() {
        return stats;
    }

    /** The clock the engine runs on. */
    public long now() {
        return clock.getAsLong();
    }

    // ------------------------------------------------------------------ registration

    /** Sets the DGRAM delivery target. */
    public void setDatagramHandler(Handlers.DatagramHandler h) {
        this.datagramHandler = h;
    }

    /** Sets the ERROR / flag 0x04 report target. */
    public void setErrorHandler(Handlers.ErrorHandler h) {
        this.errorHandler = h;
    }

    /**
     * Registers the handler for a message type the engine does not process itself: the stream
     * messages S_OPEN .. S_DACK (draft 5.1, types 20-24). Replaces any earlier handler; null
     * removes it (those messages are then dropped).
     *
     * @throws IllegalArgumentException for the types the engine handles (ERROR, PING, PONG,
     *     EPC_REQ, EPC, DGRAM)
     */
    public void setMessageHandler(MessageType type, Handlers.MessageHandler h) {
        switch (type) {
            case ERROR, PING, PONG, EPC_REQ, EPC, DGRAM ->
                throw new IllegalArgumentException(type + " is handled by the engine itself");
            default -> handlers[type.code()] = h;
        }
    }

    // ------------------------------------------------------------------ relaying hooks

    /**
     * Makes this node a relay (draft 2.3; see {@link Relay}): packets for other recipients are
     * forwarded instead of dropped, and authenticated packets to this node with hop count 0
     * register their sender. Null stops relaying. Call before the node receives traffic.
     */
    public void setRelay(Relay r) {
        if (r != null) {
            r.setErrorSender(this::sendRelayError);
        }
        this.relay = r;
    }

    /**
     * Addendum A10: the key-agreement rate for first contacts relayed by one zone relay this node
     * uses - half the node-wide rate (so direct first contacts and other relays keep the other
     * half), and never less than the per-source rate.
     */
    static int relayedNewPeerRate(EngineConfig config) {
        return Math.max(config.newPeerRatePerSource(), config.newPeerRate() / 2);
    }

    /** Whether {@code source} is the endpoint of a zone relay this node registers with or routes through. */
    private boolean isUsedRelay(InetSocketAddress source) {
        return usedRelays.test(source);
    }

    /**
     * Tells the engine which endpoints are zone relays it uses (addendum A10); the router sets it.
     * Thread-safe; the predicate must be too, and must not allocate.
     */
    void setUsedRelays(java.util.function.Predicate<InetSocketAddress> relays) {
        this.usedRelays = relays;
    }

    /** Connects the router (it calls this itself). */
    void setRouter(Router r) {
        this.router = r;
    }

    /** Connects NAT traversal (it calls this itself). */
    void setNatTraversal(NatTraversal n) {
        this.nat = n;
    }

    /** The relay logic, or null if this node does not relay. */
    public Relay relay() {
        return relay;
    }

    /**
     * Adds a relayed path to {@code address} (DECISIONS 33): packets to it go to the relay's
     * endpoint {@code relayEndpoint} over {@code via}, counted as one hop until the recipient's
     * own packets say otherwise. Creates the peer (learned, agreeing its key once) if needed.
     * Event loop only.
     *
     * @throws IllegalStateException if the peer table has no room
     */
    public Peer addRelayedPath(AnodeAddress address, Transport via, InetSocketAddress relayEndpoint)
            throws InvalidKeyException {
        if (address.equals(self)) {
            throw new IllegalArgumentException("cannot relay to this node's own address");
        }
        long now = clock.getAsLong();
        Peer p = table.get(address);
        if (p == null) {
            p = new Peer(address, AesCmac.forKey(identity.agree(address)), false);
            Peer evicted = table.insert(p, now);
            if (evicted == p) {
                throw new IllegalStateException("peer table full (" + table.max() + " peers, none replaceable)");
            }
            logEviction(evicted);
        }
        p.addEndpoint(new PeerEndpoint(via, relayEndpoint, 1, PeerEndpoint.NEVER, false), config.maxEndpointsPerPeer());
        // ---- NAT traversal hook: the first packet over this relay is about to go (DECISIONS 36).
        NatTraversal nt = nat;
        if (nt != null) {
            // The clock again: the key agreement above came before the first packet existed, and
            // the switch time counts from that packet (issue 12's figure).
            nt.relayedPath(p, clock.getAsLong());
        }
        return p;
    }

    /** The recipient's short id; computed from a full recipient address (error path only). */
    private static long recipientShortId(PacketReader r) {
        if (!r.recipientIsFull()) {
            return r.recipientShortId();
        }
        try {
            return r.recipientAddress().shortId().value();
        } catch (WireException e) {
            return 0;
        }
    }

    /**
     * The relay's optional ERROR reply (draft 4.2.1) to the sender of a packet it could not
     * forward: only to a sender it knows (the reply is authenticated), with the recipient's short
     * id as argument (addendum A6), to the source the packet came from, never larger than it.
     */
    private boolean sendRelayError(PacketReader r, Transport via, InetSocketAddress source, int code, long recipient) {
        Peer p;
        if (r.senderIsFull()) {
            p = table.findFull(r.buffer(), r.senderOffset());
        } else {
            p = table.withShortId(r.senderShortId());
            if (p != null && p.nextSameShortId != null) {
                return false;
            }
        }
        if (p == null) {
            return false;
        }
        int limit = r.length();
        try {
            ByteBuffer b =
                    beginTo(loopOut, p, via, source, MessageType.ERROR, p.remotePeerId(), limit, SenderForm.SHORT);
            if (b.remaining() < 10) {
                return false;
            }
            b.putShort((short) code).putLong(recipient);
            return finish(loopOut);
        } catch (IOException | RuntimeException e) {
            LOG.log(System.Logger.Level.DEBUG, "relay ERROR to " + source + " not sent: " + e);
            return false;
        }
    }

    // ------------------------------------------------------------------ LAN discovery hooks (DECISIONS 37)

    /**
     * The peer with this address, created if new as a learned peer with no endpoint (one key
     * agreement): what a LAN query is MACed with, and what an endpoint check of a LAN hint is
     * sent for. Event loop only.
     *
     * @throws IllegalStateException if the peer table has no room
     * @throws IllegalArgumentException for this node's own address
     */
    public Peer peerFor(AnodeAddress address) throws InvalidKeyException {
        if (address.equals(self)) {
            throw new IllegalArgumentException("this node's own address");
        }
        Peer p = table.get(address);
        if (p == null) {
            p = new Peer(address, AesCmac.forKey(identity.agree(address)), false);
            Peer evicted = table.insert(p, clock.getAsLong());
            if (evicted == p) {
                throw new IllegalStateException("peer table full (" + table.max() + " peers, none replaceable)");
            }
            logEviction(evicted);
        }
        return p;
    }

    /**
     * Writes a LAN query for {@code peer} (DECISIONS 37) at {@code dst}'s position: an EPI with an
     * unspecified endpoint and NAT-T mode 0 (draft 4.2.6), both addresses in full, MACed for the
     * peer, so that only that address can authenticate it. Any thread.
     *
     * @return the packet's length; {@code dst}'s position is left at its end
     */
    public int writeQuery(ByteBuffer dst, Peer peer) {
        PacketWriter w = new PacketWriter();
        w.begin(dst, self, SenderForm.FULL, peer.address(), true, config.localPeerId(), 0, MessageType.EPI);
        dst.put((byte) 0).put((byte) 0).put((byte) 0);
        synchronized (peer) {
            return w.finish(peer.cmac());
        }
    }

    /**
     * Checks {@code endpoint} for {@code peer} with an EPC_REQ (draft 4.2.4): the endpoint becomes
     * the peer's only when the EPC comes back from it (4.2.5). Bounded and rate-limited like the
     * checks of a known peer's new source. Event loop only.
     */
    public void checkEndpoint(Peer peer, Transport via, InetSocketAddress endpoint) {
        checkEndpoint(peer, via, endpoint, clock.getAsLong());
    }

    /**
     * A packet that came in on the LAN discovery port (DECISIONS 37), taken as if it had arrived
     * on {@code via} (the node's own socket of that family, which answers go out of). Only a query
     * for this node counts: hop count 0, EPI with an unspecified endpoint, both addresses in full,
     * the recipient this node, a MAC that verifies (an unknown sender's key is agreed within the
     * usual rate limits). It is answered by an EPC_REQ to its source and changes nothing else;
     * everything else is dropped without an answer (never relayed). Event loop only.
     *
     * @return true if it was such a query
     */
    public boolean receiveQuery(Transport via, InetSocketAddress source, ByteBuffer packet) {
        long now = clock.getAsLong();
        PacketReader r = reader;
        try {
            r.wrap(packet);
        } catch (WireException e) {
            return false;
        }
        if (r.hopCount() != 0
                || !r.senderIsFull()
                || !r.recipientIsFull()
                || r.isAuthErrorResponse()
                || r.messageType() != MessageType.EPI
                || r.payloadLength() < 3
                || r.buffer().get(r.payloadOffset() + 1) != 0
                || !self.matches(r.buffer(), r.recipientOffset())) {
            return false;
        }
        Peer p = table.findFull(r.buffer(), r.senderOffset());
        if (p == null) {
            // A LAN query is answered by an endpoint check, not a cookie: the usual budgets only.
            p = admitUnknown(r, via, source, now, false);
        } else if (!verify(p, r)) {
            stats.authFailed++;
            p = null;
        }
        if (p == null) {
            return false;
        }
        stats.accepted++;
        checkEndpoint(p, via, source, now);
        return true;
    }

    // ------------------------------------------------------------------ peers

    /** The peer with this address, or null. Thread-safe. */
    public Peer peer(AnodeAddress a) {
        return table.get(a);
    }

    /** Every known peer (a live view). */
    public Collection<Peer> peers() {
        return table.peers();
    }

    public int peerCount() {
        return table.size();
    }

    /** The table itself, for tests of this package. */
    PeerTable table() {
        return table;
    }

    /**
     * Tells the engine that {@code address} can be reached at {@code endpoint} over {@code via}
     * (the way to reach a peer before discovery exists). Creates the peer, agreeing its MAC key
     * once, if needed. Event loop only.
     *
     * @throws IllegalStateException if the table is full and holds no learned, unpinned peer to
     *     replace (configured peers are never evicted, not even for configured ones)
     * @throws IllegalArgumentException if {@code address} is this node's own
     */
    public Peer addPeer(AnodeAddress address, Transport via, InetSocketAddress endpoint) throws InvalidKeyException {
        if (address.equals(self)) {
            throw new IllegalArgumentException("cannot add this node's own address as a peer");
        }
        Peer p = table.get(address);
        if (p == null) {
            p = new Peer(address, AesCmac.forKey(identity.agree(address)), true);
            Peer evicted = table.insert(p, clock.getAsLong());
            if (evicted == p) {
                throw new IllegalStateException(
                        "peer table full (" + table.max() + " peers, all configured or in use)");
            }
            logEviction(evicted);
        } else {
            p.markConfigured();
        }
        p.addEndpoint(new PeerEndpoint(via, endpoint, 0, PeerEndpoint.NEVER, true), config.maxEndpointsPerPeer());
        // Addendum A15: the application vouches for this endpoint.
        provenSources.prove(endpoint, clock.getAsLong());
        EngineEvents.pathChanged(address, endpoint, 0, EngineEvents.PathChangeKind.CONFIGURED);
        return p;
    }

    private static void logEviction(Peer evicted) {
        if (evicted != null) {
            LOG.log(System.Logger.Level.DEBUG, "peer table full: evicted {0}", evicted.address());
        }
    }

    // ------------------------------------------------------------------ receive

    /** Processes one received packet (event loop). Never throws for any input. */
    public void receive(Transport via, InetSocketAddress source, ByteBuffer packet) {
        receive(via, source, packet, null, 0);
    }

    /** Most packets {@link #receiveMany} looks at together. */
    private static final int MANY = 32;

    private final PacketReader[] preReaders = new PacketReader[MANY];
    private final Peer[] preHint = new Peer[MANY];
    private final long[] preMac = new long[MANY];
    private final PacketReader[] preGroup = new PacketReader[MANY];
    private final int[] preIndex = new int[MANY];
    private final long[] preOut = new long[MANY];
    private final boolean[] preDone = new boolean[MANY];

    /**
     * Processes packets read in a row from one socket, in order, exactly as one {@link #receive}
     * each - except that the MACs of the packets whose sender names one known peer are computed
     * first, one pass per peer ({@link PacketReader#expectedMacs}), which is cheaper than one
     * CMAC each for a burst of data from one peer (docs/benchmarks/stream.md). The verification itself is unchanged (the MAC field
     * compared in constant time against the MAC computed with the peer's key); a packet whose
     * sender resolves differently when its turn comes (an earlier packet of the batch changed the
     * peer table) is verified the ordinary way. Event loop. Never throws for any input.
     */
    public void receiveMany(Transport via, InetSocketAddress[] sources, ByteBuffer[] packets, int n) {
        for (int base = 0; base < n; base += MANY) {
            int m = Math.min(MANY, n - base);
            precomputeMacs(packets, base, m);
            for (int i = 0; i < m; i++) {
                Peer hint = preHint[i];
                preHint[i] = null;
                receive(via, sources[base + i], packets[base + i], hint, preMac[i]);
            }
        }
    }

    /** Fills {@link #preHint}/{@link #preMac} for {@code packets[base .. base + m)}; event loop. */
    private void precomputeMacs(ByteBuffer[] packets, int base, int m) {
        for (int i = 0; i < m; i++) {
            preHint[i] = null;
            ByteBuffer b = packets[base + i];
            if (!b.hasArray()) {
                continue;
            }
            PacketReader r = preReaders[i];
            if (r == null) {
                r = new PacketReader();
                preReaders[i] = r;
            }
            try {
                r.wrap(b);
            } catch (WireException e) {
                continue;
            }
            if (r.isAuthErrorResponse()) {
                continue;
            }
            Peer p;
            if (r.senderIsFull()) {
                p = table.findFull(r.buffer(), r.senderOffset());
            } else {
                p = table.withShortId(r.senderShortId());
                if (p != null && p.nextSameShortId != null) {
                    // Several candidates (draft 3.5): the ordinary path tries each key.
                    p = null;
                }
            }
            preHint[i] = p;
        }
        java.util.Arrays.fill(preDone, 0, m, false);
        for (int i = 0; i < m; i++) {
            Peer p = preHint[i];
            if (p == null || preDone[i]) {
                continue;
            }
            int g = 0;
            for (int j = i; j < m; j++) {
                if (preHint[j] == p) {
                    preGroup[g] = preReaders[j];
                    preIndex[g++] = j;
                    preDone[j] = true;
                }
            }
            if (g < org.anode.crypto.internal.AesCmac.MIN_MANY) {
                // Too few to gain from one pass: the ordinary verification for each.
                for (int q = 0; q < g; q++) {
                    preHint[preIndex[q]] = null;
                    preGroup[q] = null;
                }
                continue;
            }
            synchronized (p) {
                PacketReader.expectedMacs(preGroup, g, p.cmac(), preOut);
            }
            for (int q = 0; q < g; q++) {
                preMac[preIndex[q]] = preOut[q];
                preGroup[q] = null;
            }
        }
    }

    /**
     * {@link #receive}, with {@code hintMac} the MAC computed in advance for this packet under the
     * key of {@code hint} (null: none), used if the sender resolves to that very peer.
     */
    private void receive(Transport via, InetSocketAddress source, ByteBuffer packet, Peer hint, long hintMac) {
        long now = clock.getAsLong();
        stats.received++;
        PacketReader r = reader;
        try {
            r.wrap(packet);
        } catch (WireException e) {
            stats.malformed++;
            if (LOG.isLoggable(System.Logger.Level.TRACE)) {
                LOG.log(System.Logger.Level.TRACE, "malformed packet from " + source + ": " + e.getMessage());
            }
            return;
        }
        if (r.recipientIsFull()
                ? !self.matches(r.buffer(), r.recipientOffset())
                : r.recipientShortId() != selfShortId) {
            Relay rl = relay;
            if (rl != null) {
                rl.forward(r, packet, via, source, now);
                return;
            }
            stats.notForUs++;
            if (config.errorReplies() && !r.isAuthErrorResponse() && errorReplyBudget.tryTake(now)) {
                // Draft 4.2.1 ERROR 03 (optional, rate-limited): this node does not relay. Only to a
                // known sender, never larger than the packet (see sendRelayError).
                if (sendRelayError(r, via, source, ErrorCode.RELAY_NOT_AUTHORIZED.code(), recipientShortId(r))) {
                    stats.errorReplies++;
                }
            }
            return;
        }
        if (r.isAuthErrorResponse()) {
            stats.authErrorResponses++;
            if (isCookieReply(r)) {
                onCookieReply(r, via, source, now);
            } else {
                reportUnauthenticated(r, source);
            }
            return;
        }
        Peer peer = resolveSender(r, via, source, now, hint, hintMac);
        if (peer == null) {
            return;
        }
        stats.accepted++;
        int hops = r.hopCount();
        if (hops > 0) {
            stats.relayedReceived++;
        }
        boolean known = peer.heard(via, source, hops, r.senderPeerId(), now, config.maxEndpointsPerPeer());
        if (!peer.isSourceProven() && table.underPressure()) {
            challenge(peer, now);
        }
        if (!known) {
            checkEndpoint(peer, via, source, now);
        } else if (hops == 0) {
            // DECISIONS 33: a direct, authenticated packet to the relay itself registers its sender -
            // only from a proven endpoint (addendum A3): a replay from a spoofed source must not
            // move a registration; a new source registers once its EPC came back (onEpc).
            Relay rl = relay;
            if (rl != null) {
                rl.register(peer.address(), r.senderPeerId(), via, source, now);
            }
        }
        dispatch(peer, r, via, source, now);
        // ---- NAT traversal hook: contact over a relay starts hole punching (DECISIONS 36).
        NatTraversal nt = nat;
        if (hops > 0 && nt != null) {
            nt.relayedContact(peer, now);
        }
    }

    /** Finds the sender whose key verifies the MAC, or returns null having counted the drop. */
    private Peer resolveSender(
            PacketReader r, Transport via, InetSocketAddress source, long now, Peer hint, long hintMac) {
        if (r.senderIsFull()) {
            Peer p = table.findFull(r.buffer(), r.senderOffset());
            if (p != null) {
                if (p == hint ? (r.macField() ^ hintMac) == 0L : verify(p, r)) {
                    return p;
                }
                authFailed(r, via, source, now);
                return null;
            }
            return admitUnknown(r, via, source, now, true);
        }
        long id = r.senderShortId();
        // Draft 3.5: every peer with this short id is a candidate; the MAC decides.
        for (Peer p = table.withShortId(id); p != null; p = p.nextSameShortId) {
            // A MAC computed in advance under this peer's key: the same constant-time comparison.
            if (p == hint ? (r.macField() ^ hintMac) == 0L : verify(p, r)) {
                return p;
            }
        }
        authFailed(r, via, source, now);
        return null;
    }

    private static boolean verify(Peer p, PacketReader r) {
        synchronized (p) {
            return r.verifyMac(p.cmac());
        }
    }

    /**
     * A full sender address not in the table: agree a key (rate-limited), verify, then admit.
     *
     * @param cookiesAllowed whether a direct packet may be answered by an address cookie while the
     *     budget is under pressure (addendum A15)
     */
    private Peer admitUnknown(
            PacketReader r, Transport via, InetSocketAddress source, long now, boolean cookiesAllowed) {
        boolean cookieProven = false;
        if (cookiesAllowed && r.hopCount() == 0 && newPeerBudget.mostlySpent(now)) {
            // Addendum A15: under pressure, only a source that proved it receives at its address gets
            // a key agreement, from a budget the unproven flood cannot reach; the others get a
            // cookie, which costs one HMAC and no state.
            cookieProven = carriesCookie(r) && cookies.check(source, now, r.buffer(), r.payloadOffset() + Long.BYTES);
            if (cookieProven) {
                provenSources.prove(source, now);
                stats.cookiesAccepted++;
            } else if (!provenSources.isProven(source, now)) {
                stats.unknownSenderDropped++;
                sendCookieReply(r, via, source, now);
                return null;
            }
            if (!newPeerSourceBudget.tryTake(source.getAddress(), now) || !provenPeerBudget.tryTake(now)) {
                stats.unknownSenderDropped++;
                return null;
            }
        } else {
            // Per source first, so one source's flood spends its own tokens, not everyone's; a zone
            // relay this node uses stands for many sources and has a larger bucket (addendum A10).
            SourceBuckets perSource =
                    r.hopCount() > 0 && isUsedRelay(source) ? newPeerRelayBudget : newPeerSourceBudget;
            if (!perSource.tryTake(source.getAddress(), now) || !newPeerBudget.tryTake(now)) {
                stats.unknownSenderDropped++;
                return null;
            }
        }
        if (!table.canAdmitLearned(now)) {
            stats.unknownSenderDropped++;
            stats.peerTableFull++;
            return null;
        }
        AnodeAddress a;
        try {
            a = r.senderAddress();
        } catch (WireException e) {
            stats.malformed++;
            return null;
        }
        if (a.equals(self)) {
            stats.authFailed++;
            return null;
        }
        AesCmac mac;
        try {
            mac = AesCmac.forKey(identity.agree(a));
        } catch (InvalidKeyException e) {
            stats.malformed++;
            return null;
        }
        if (!r.verifyMac(mac)) {
            authFailed(r, via, source, now);
            return null;
        }
        Peer p = new Peer(a, mac, false);
        if (cookieProven) {
            // The cookie came back to this very source: the peer receives at its address (A13).
            // A source proven earlier is not enough for that, since a blind sender can spoof it.
            p.markSourceProven();
        }
        Peer evicted = table.insert(p, now);
        if (evicted == p) {
            stats.unknownSenderDropped++;
            stats.peerTableFull++;
            return null;
        }
        logEviction(evicted);
        return p;
    }

    // ------------------------------------------------------------------ address cookies (A15)

    /** Whether the packet is a PING whose payload may hold an address cookie after its 8-byte id. */
    private static boolean carriesCookie(PacketReader r) {
        return r.messageType() == MessageType.PING && r.payloadLength() == COOKIE_PING_PAYLOAD;
    }

    /**
     * Answers a first contact under pressure with an address cookie (addendum A15): ERROR 0x80
     * under flag 0x04, from our short id to the sender's short id, without a MAC (no key agreed),
     * carrying the cookie for the packet's source and the packet's MAC field. Rate-limited per
     * source and node-wide; never larger than the packet it answers (DECISIONS 30).
     */
    private void sendCookieReply(PacketReader r, Transport via, InetSocketAddress source, long now) {
        int size = PacketFormat.MIN_HEADER_LENGTH + COOKIE_REPLY_ARGS;
        if (size > r.length()
                || !cookieReplySourceBudget.tryTake(source.getAddress(), now)
                || !cookieReplyBudget.tryTake(now)) {
            return;
        }
        try {
            ShortId recipient = r.senderAddress().shortId();
            ByteBuffer b = loopOut.buf;
            b.clear();
            loopOut.writer.begin(
                    b,
                    0,
                    true,
                    new AddressField.Short(self.shortId()),
                    new AddressField.Short(recipient),
                    config.localPeerId(),
                    r.senderPeerId(),
                    MessageType.ERROR);
            b.putShort((short) ErrorCode.ADDRESS_COOKIE.code());
            cookies.write(source, now, b);
            b.putLong(r.macField());
            int len = loopOut.writer.finishWithoutMac();
            b.flip();
            // Counted before sending, as PONGs are: the answer can arrive before this returns.
            stats.cookieReplies++;
            if (len > r.length() || !via.send(b, source)) {
                stats.cookieReplies--;
            }
        } catch (WireException | IOException | RuntimeException e) {
            LOG.log(System.Logger.Level.DEBUG, "cookie reply to " + source + " not sent: " + e);
        }
    }

    /** An ERROR 0x80 under flag 0x04 with the arguments of addendum A15. */
    private static boolean isCookieReply(PacketReader r) {
        return r.messageType() == MessageType.ERROR
                && r.payloadLength() == COOKIE_REPLY_ARGS
                && (r.buffer().getShort(r.payloadOffset()) & 0xffff) == ErrorCode.ADDRESS_COOKIE.code();
    }

    /**
     * Another node asks this one to prove its address before it agrees a key (addendum A15). The
     * reply is unauthenticated, so it is used for one thing only (DECISIONS 18 otherwise holds):
     * if it comes directly from an endpoint of a peer this node is sending to and echoes the MAC
     * of one of the last full-sender packets sent to that peer, the cookie is sent back in a PING
     * - one for each outstanding ping to the peer (so they complete), or one of its own. No other
     * state changes; at most one such answer per peer a second.
     */
    private void onCookieReply(PacketReader r, Transport via, InetSocketAddress source, long now) {
        if (r.hopCount() != 0) {
            return;
        }
        ByteBuffer b = r.buffer();
        int cookieAt = r.payloadOffset() + 2;
        long echoed = b.getLong(cookieAt + AddressCookies.LENGTH);
        boolean full = r.senderIsFull();
        Peer p = full ? table.findFull(b, r.senderOffset()) : table.withShortId(r.senderShortId());
        for (; p != null; p = full ? null : p.nextSameShortId) {
            if (p.hasEndpoint(via, source) && p.takeSentFullMac(echoed)) {
                if (p.cookiePingAt == SenderForm.NEVER_ANSWERED || now - p.cookiePingAt >= COOKIE_PING_INTERVAL_NANOS) {
                    p.cookiePingAt = now;
                    sendCookiePings(p, via, source, b, cookieAt);
                }
                return;
            }
        }
        LOG.log(System.Logger.Level.DEBUG, "cookie reply from {0} matches nothing sent: ignored", source);
    }

    private void sendCookiePings(Peer p, Transport via, InetSocketAddress dest, ByteBuffer cookie, int cookieAt) {
        int n = 0;
        for (Map.Entry<Long, PendingPing> e : pings.entrySet()) {
            if (n == MAX_COOKIE_PINGS) {
                break;
            }
            if (e.getValue().peer == p) {
                sendCookiePing(p, via, dest, e.getKey(), cookie, cookieAt);
                n++;
            }
        }
        if (n == 0) {
            // No ping to complete (the first packet was a DGRAM or an S_OPEN): a PING of its own,
            // whose PONG matches nothing; the peer's retransmissions find this node known.
            sendCookiePing(p, via, dest, random.nextLong(), cookie, cookieAt);
        }
    }

    private void sendCookiePing(
            Peer p, Transport via, InetSocketAddress dest, long id, ByteBuffer cookie, int cookieAt) {
        try {
            ByteBuffer b =
                    beginTo(loopOut, p, via, dest, MessageType.PING, 0, via.maxPacketSize(dest), SenderForm.FULL);
            if (b.remaining() < COOKIE_PING_PAYLOAD) {
                return;
            }
            b.putLong(id);
            b.put(b.position(), cookie, cookieAt, AddressCookies.LENGTH);
            b.position(b.position() + AddressCookies.LENGTH);
            stats.cookiePings++;
            if (!finish(loopOut)) {
                stats.cookiePings--;
            }
        } catch (IOException | RuntimeException e) {
            LOG.log(System.Logger.Level.DEBUG, "cookie PING to " + dest + " not sent: " + e);
        }
    }

    /** Sources remembered as proven (addendum A15); event loop, for tests of this package. */
    int provenSourceCount() {
        return provenSources.size();
    }

    private void authFailed(PacketReader r, Transport via, InetSocketAddress source, long now) {
        stats.authFailed++;
        if (config.errorReplies() && errorReplyBudget.tryTake(now)) {
            sendAuthErrorReply(r, via, source);
        }
    }

    /**
     * Answers an unauthenticated packet with ERROR 0x02 under flag 0x04 (draft 3.2, 4.2.1): from
     * our short id to the sender field as it came, without a MAC (no key verified). Sent only if
     * it is no larger than the packet it answers (DECISIONS 30: no amplification).
     */
    private void sendAuthErrorReply(PacketReader r, Transport via, InetSocketAddress source) {
        try {
            AddressField recipient = r.senderIsFull()
                    ? new AddressField.Full(r.senderAddress())
                    : new AddressField.Short(new ShortId(r.senderShortId()));
            int size = PacketFormat.MIN_HEADER_LENGTH - ShortId.LENGTH + recipient.encodedLength() + 2;
            if (size > r.length()) {
                return;
            }
            ByteBuffer b = loopOut.buf;
            b.clear();
            loopOut.writer.begin(
                    b,
                    0,
                    true,
                    new AddressField.Short(self.shortId()),
                    recipient,
                    config.localPeerId(),
                    0,
                    MessageType.ERROR);
            b.putShort((short) ErrorCode.AUTHENTICATION_FAILED.code());
            int len = loopOut.writer.finishWithoutMac();
            b.flip();
            if (len <= r.length() && via.send(b, source)) {
                stats.errorReplies++;
            }
        } catch (WireException | IOException | RuntimeException e) {
            LOG.log(System.Logger.Level.DEBUG, "ERROR reply to " + source + " not sent: " + e);
        }
    }

    private void reportUnauthenticated(PacketReader r, InetSocketAddress source) {
        Handlers.ErrorHandler h = errorHandler;
        int code = -1;
        if (r.messageType() == MessageType.ERROR) {
            code = r.buffer().getShort(r.payloadOffset()) & 0xffff;
        }
        AnodeAddress claimed = null;
        if (r.senderIsFull()) {
            Peer p = table.findFull(r.buffer(), r.senderOffset());
            claimed = p != null ? p.address() : null;
        } else {
            Peer p = table.withShortId(r.senderShortId());
            // Only name a sender when the short id is unambiguous; it is a claim, not a fact.
            claimed = p != null && p.nextSameShortId == null ? p.address() : null;
        }
        if (LOG.isLoggable(System.Logger.Level.DEBUG)) {
            LOG.log(
                    System.Logger.Level.DEBUG,
                    "unauthenticated error response (flag 0x04) from " + source + " code " + code
                            + (claimed != null ? " claiming to be " + claimed : ""));
        }
        if (h != null) {
            try {
                h.error(claimed, source, code, false);
            } catch (RuntimeException e) {
                LOG.log(System.Logger.Level.WARNING, "error handler failed", e);
            }
        }
    }

    private void dispatch(Peer peer, PacketReader r, Transport via, InetSocketAddress source, long now) {
        MessageType t = r.messageType();
        ByteBuffer b = r.buffer();
        int off = r.payloadOffset();
        switch (t) {
            case PING -> {
                // Counted before sending: the PONG can reach its asker, and a reader of this
                // counter, before this thread returns from the send.
                stats.pongsSent++;
                sendLoopPacket(peer, via, source, MessageType.PONG, b, off, r.payloadLimit());
            }
            case PONG -> onPong(peer, source, b, off, r.payloadLength(), now, r.hopCount());
            case EPC_REQ -> sendLoopPacket(peer, via, source, MessageType.EPC, b, off, r.payloadLimit());
            case EPC -> onEpc(peer, via, source, r.hopCount(), MessageFields.requestId(b, off), now);
            case ERROR -> {
                int code = b.getShort(off) & 0xffff;
                Router rt = router;
                if (rt != null) {
                    boolean arg = r.payloadLength() >= 10;
                    rt.onError(peer, code, arg ? b.getLong(off + 2) : 0, arg);
                }
                LOG.log(System.Logger.Level.DEBUG, "ERROR 0x{0} from {1}", Integer.toHexString(code), peer.address());
                Handlers.ErrorHandler h = errorHandler;
                if (h != null) {
                    try {
                        h.error(peer.address(), source, code, true);
                    } catch (RuntimeException e) {
                        LOG.log(System.Logger.Level.WARNING, "error handler failed", e);
                    }
                }
            }
            case DGRAM -> {
                Handlers.DatagramHandler h = datagramHandler;
                int srcPort = MessageFields.dgramSourcePort(b, off);
                int dstPort = MessageFields.destinationPort(b, off);
                int p = MessageFields.dgramPayloadOffset(off);
                if (h != null && h.deliver(peer, srcPort, dstPort, b, p, r.payloadLimit() - p)) {
                    stats.delivered++;
                } else {
                    stats.noListener++;
                }
            }
            default -> {
                Handlers.MessageHandler h = handlers[t.code()];
                if (h == null) {
                    stats.unhandledType++;
                    return;
                }
                try {
                    h.handle(peer, r, via, source, now);
                } catch (RuntimeException e) {
                    LOG.log(System.Logger.Level.WARNING, "handler for " + t + " failed", e);
                }
            }
        }
    }

    /** Sends a reply whose message is {@code src[from, to)} back to where the request came from. */
    private void sendLoopPacket(
            Peer peer, Transport via, InetSocketAddress dest, MessageType type, ByteBuffer src, int from, int to) {
        try {
            ByteBuffer b = beginTo(loopOut, peer, via, dest, type, peer.remotePeerId(), LOOP_BUFFER);
            if (b.remaining() < to - from) {
                return;
            }
            b.put(b.position(), src, from, to - from);
            b.position(b.position() + to - from);
            finish(loopOut);
        } catch (IOException | RuntimeException e) {
            LOG.log(System.Logger.Level.DEBUG, type + " to " + dest + " not sent: " + e);
        }
    }

    // ------------------------------------------------------------------ endpoint checks

    /**
     * An authenticated packet of {@code peer} came from a source that is not one of its proven
     * endpoints: check that source (draft 4.2.4) rather than trust it, since the packet may be a
     * replay from a spoofed address (DECISIONS 29). Event loop.
     */
    private void checkEndpoint(Peer peer, Transport via, InetSocketAddress source, long now) {
        expireChecks(now);
        EndpointCheck[] cs = peer.checks;
        for (EndpointCheck c : cs) {
            if (c.is(via, source)) {
                // The EPC_REQ or its EPC may have been lost; the candidate is still talking.
                if (now - c.sentNanos >= CHECK_RESEND_NANOS) {
                    c.sentNanos = now;
                    sendEndpointCheck(c);
                }
                return;
            }
        }
        if (cs.length >= MAX_CHECKS_PER_PEER || checks.size() >= MAX_CHECKS) {
            return;
        }
        int id;
        do {
            id = random.nextInt();
        } while (hasCheckId(cs, id));
        EndpointCheck c = new EndpointCheck(peer, via, source, id, now);
        EndpointCheck[] grown = java.util.Arrays.copyOf(cs, cs.length + 1);
        grown[cs.length] = c;
        peer.checks = grown;
        checks.addLast(c);
        stats.endpointChecks++;
        sendEndpointCheck(c);
    }

    private static boolean hasCheckId(EndpointCheck[] cs, int id) {
        for (EndpointCheck c : cs) {
            if (c.requestId == id) {
                return true;
            }
        }
        return false;
    }

    private void sendEndpointCheck(EndpointCheck c) {
        try {
            ByteBuffer b = beginTo(
                    loopOut,
                    c.peer,
                    c.transport,
                    c.address,
                    MessageType.EPC_REQ,
                    c.peer.remotePeerId(),
                    c.transport.maxPacketSize(c.address));
            b.putInt(c.requestId);
            finish(loopOut);
        } catch (IOException | RuntimeException e) {
            LOG.log(System.Logger.Level.DEBUG, "EPC_REQ to " + c.address + " not sent: " + e);
        }
    }

    /**
     * An authenticated EPC (draft 4.2.5): if it answers an outstanding check of this peer and came
     * from the checked endpoint itself, that endpoint is proven and becomes a fresh endpoint of
     * the peer (preferred over staler ones at the same hop count). Anything else is ignored.
     */
    private void onEpc(Peer peer, Transport via, InetSocketAddress source, int hops, int id, long now) {
        expireChecks(now);
        for (EndpointCheck c : peer.checks) {
            if (c.requestId == id && c.is(via, source)) {
                dropCheck(c);
                checks.remove(c);
                adoptProven(peer, via, source, hops, now);
                return;
            }
        }
        // ---- NAT traversal hook: the EPC may answer one of its probes (DECISIONS 36).
        NatTraversal nt = nat;
        if (nt != null && nt.onEpc(peer, via, source, hops, id, now)) {
            adoptProven(peer, via, source, hops, now);
        }
    }

    /** An endpoint answered an EPC_REQ sent to it (draft 4.2.5): it becomes a fresh endpoint of the peer. */
    private void adoptProven(Peer peer, Transport via, InetSocketAddress source, int hops, long now) {
        peer.proven(via, source, hops, now, config.maxEndpointsPerPeer());
        if (hops == 0) {
            provenSources.prove(source, now);
        }
        Relay rl = relay;
        if (rl != null && hops == 0) {
            rl.register(peer.address(), peer.remotePeerId(), via, source, now);
        }
        stats.endpointsProven++;
        EngineEvents.pathChanged(peer.address(), source, hops, EngineEvents.PathChangeKind.PROVEN);
        LOG.log(System.Logger.Level.DEBUG, "endpoint {0} of {1} proven", source, peer.address());
        NatTraversal nt = nat;
        if (nt != null) {
            nt.proven(peer, via, source, hops, now);
        }
    }

    private void expireChecks(long now) {
        EndpointCheck c;
        while ((c = checks.peekFirst()) != null && now - c.createdNanos >= CHECK_LIFETIME_NANOS) {
            checks.pollFirst();
            dropCheck(c);
        }
    }

    /** Removes a check from its peer's list. */
    private static void dropCheck(EndpointCheck c) {
        EndpointCheck[] cs = c.peer.checks;
        for (int i = 0; i < cs.length; i++) {
            if (cs[i] == c) {
                EndpointCheck[] shrunk = new EndpointCheck[cs.length - 1];
                System.arraycopy(cs, 0, shrunk, 0, i);
                System.arraycopy(cs, i + 1, shrunk, i, cs.length - i - 1);
                c.peer.checks = shrunk.length == 0 ? Peer.NO_CHECKS : shrunk;
                return;
            }
        }
    }

    /** Outstanding endpoint checks (bounded by {@link #MAX_CHECKS}); event loop. */
    int pendingEndpointChecks() {
        return checks.size();
    }

    /**
     * Sends one message to {@code dest} over {@code via}, whatever the peer's best endpoint (NAT
     * traversal's probes and EPIs). Event loop only.
     *
     * @return true if the transport took it
     */
    boolean sendMessageTo(Peer peer, Transport via, InetSocketAddress dest, org.anode.wire.Message m, boolean relayed) {
        try {
            ByteBuffer b = beginTo(
                    loopOut, peer, via, dest, m.type(), peer.remotePeerId(), via.maxPacketSize(dest), null, relayed);
            if (b.remaining() < m.encodedLength()) {
                return false;
            }
            m.writeTo(b);
            return finish(loopOut);
        } catch (IOException | RuntimeException e) {
            LOG.log(System.Logger.Level.DEBUG, m.type() + " to " + dest + " not sent: " + e);
            return false;
        }
    }

    // ------------------------------------------------------------------ ping

    /**
     * Sends a PING with a random 8-byte payload to the peer's best endpoint and calls back when
     * the PONG with that payload arrives (event loop). The caller arranges for
     * {@link #expirePing} at the deadline.
     *
     * @return the ping's id, or 0 if it failed at once (the callback has been told)
     */
    public long ping(Peer peer, Handlers.PingCallback callback) {
        if (pings.size() >= config.maxPendingPings()) {
            callback.failed(new IOException("too many outstanding pings (" + config.maxPendingPings() + ")"));
            return 0;
        }
        long id;
        do {
            id = random.nextLong();
        } while (id == 0 || pings.containsKey(id));
        try {
            ByteBuffer b = begin(loopOut, peer, MessageType.PING, 0);
            b.putLong(id);
            pings.put(id, new PendingPing(peer, clock.getAsLong(), callback));
            if (!finish(loopOut)) {
                pings.remove(id);
                callback.failed(new IOException("UDP send buffer full"));
                return 0;
            }
        } catch (IOException | RuntimeException e) {
            pings.remove(id);
            callback.failed(e instanceof IOException io ? io : new IOException(e));
            return 0;
        }
        return id;
    }

    /** Fails a ping that has not been answered (event loop); no effect if it was. */
    public void expirePing(long id) {
        PendingPing p = pings.remove(id);
        if (p != null) {
            p.peer.pingUnanswered(p.sentAt);
            p.callback.failed(new TimeoutException("no PONG from " + p.peer.address()));
        }
    }

    /** Fails every outstanding ping (node shutdown). */
    public void failAllPings(Exception cause) {
        List<PendingPing> all = new ArrayList<>(pings.values());
        pings.clear();
        for (PendingPing p : all) {
            p.callback.failed(cause);
        }
    }

    /** Outstanding pings (bounded by the configuration). */
    public int pendingPings() {
        return pings.size();
    }

    /**
     * Addendum A13: while the peer table is under pressure, a peer that has not proven its source
     * address gets a PING with a random payload (at most one a second); the echo in its PONG proves
     * it receives at its address. Event loop.
     */
    private void challenge(Peer peer, long now) {
        if (peer.challengeSentAt != SenderForm.NEVER_ANSWERED && now - peer.challengeSentAt < 1_000_000_000L) {
            return;
        }
        long c = random.nextLong() | 1L;
        try {
            ByteBuffer b = begin(loopOut, peer, MessageType.PING, 0);
            b.putLong(c);
            if (finish(loopOut)) {
                peer.challenge = c;
                peer.challengeSentAt = now;
                if (peer.firstChallengeAt == SenderForm.NEVER_ANSWERED) {
                    peer.firstChallengeAt = now;
                }
            }
        } catch (IOException | RuntimeException e) {
            LOG.log(System.Logger.Level.DEBUG, "challenge to " + peer.address() + " not sent: " + e);
        }
    }

    private void onPong(Peer peer, InetSocketAddress source, ByteBuffer b, int off, int len, long now, int hops) {
        // A ping re-sent with an address cookie (A15) comes back with the cookie after its id.
        if (len != Long.BYTES && len != COOKIE_PING_PAYLOAD) {
            return;
        }
        long id = b.getLong(off);
        if (peer.challenge != 0 && id == peer.challenge) {
            peer.markSourceProven();
            if (hops == 0) {
                provenSources.prove(source, now);
            }
            return;
        }
        PendingPing p = pings.get(id);
        // A PONG only completes a ping sent to the same peer: another peer echoing a payload it
        // saw must not fake liveness.
        if (p == null || p.peer != peer) {
            return;
        }
        pings.remove(id);
        long rtt = now - p.sentAt;
        peer.rttSample(rtt);
        peer.lastPongHops = hops;
        try {
            p.callback.pong(rtt);
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "ping callback failed", e);
        }
    }

    // ------------------------------------------------------------------ send

    /**
     * Largest message (what follows the common header) that fits one packet to this peer's best
     * endpoint, counting the header with the full sender address so the figure does not change
     * with the draft 3.2 answered state. -1 if the peer has no endpoint.
     */
    public int maxMessageSize(Peer peer) {
        PeerEndpoint e = peer.bestEndpoint();
        if (e == null) {
            return -1;
        }
        return maxPacketSize(e) - PacketFormat.headerLength(PacketFormat.FLAG_SENDER_FULL);
    }

    /**
     * The packet budget of one endpoint: a relayed path (hop count above 0) reserves room for the
     * full recipient address a sender writes until the recipient answers (DECISIONS 33), so the
     * figure does not change with that state.
     */
    private static int maxPacketSize(PeerEndpoint e) {
        int m = e.transport().maxPacketSize(e.address());
        return e.hops() > 0 ? m - (AnodeAddress.LENGTH - ShortId.LENGTH) : m;
    }

    /** The packet size limit (DECISIONS 27) of this peer's best endpoint, or -1 without one. */
    public int maxPacketSize(Peer peer) {
        PeerEndpoint e = peer.bestEndpoint();
        return e == null ? -1 : maxPacketSize(e);
    }

    /**
     * Starts a packet to {@code peer}'s best endpoint: writes the common header (sender address
     * full or short per draft 3.2, recipient short) and returns {@code o}'s buffer positioned at
     * the message, its limit at the path's packet size (DECISIONS 27). The caller writes the
     * message and calls {@link #finish}. Thread-safe given a caller-owned {@code o}.
     *
     * @param recipientPeerId draft 3.4 peer id of the recipient (0 = any)
     * @throws NoRouteToHostException if no endpoint is known for the peer
     */
    public ByteBuffer begin(Outbound o, Peer peer, MessageType type, int recipientPeerId) throws IOException {
        return begin(o, peer, type, recipientPeerId, null);
    }

    /**
     * {@link #begin(Outbound, Peer, MessageType, int)} with the sender address form forced: draft 3.2
     * allows the full 40-byte address at any time, and a sender that needs a packet's size to be
     * independent of the answered state (an opener's S_OPEN, DECISIONS 30) asks for
     * {@link SenderForm#FULL}.
     *
     * @param form the sender form, or null for the draft 3.2 choice by the peer's answered state
     */
    public ByteBuffer begin(Outbound o, Peer peer, MessageType type, int recipientPeerId, SenderForm form)
            throws IOException {
        PeerEndpoint e = peer.bestEndpoint();
        if (e == null) {
            throw new NoRouteToHostException("no endpoint known for Anode address " + peer.address()
                    + " (tell the node one with AnodeNode.addPeerEndpoint)");
        }
        return beginTo(
                o,
                peer,
                e.transport(),
                e.address(),
                type,
                recipientPeerId,
                e.transport().maxPacketSize(e.address()),
                form,
                e.hops() > 0);
    }

    private ByteBuffer beginTo(
            Outbound o,
            Peer peer,
            Transport via,
            InetSocketAddress dest,
            MessageType type,
            int recipientPeerId,
            int maxPacket)
            throws IOException {
        return beginTo(o, peer, via, dest, type, recipientPeerId, maxPacket, null);
    }

    private ByteBuffer beginTo(
            Outbound o,
            Peer peer,
            Transport via,
            InetSocketAddress dest,
            MessageType type,
            int recipientPeerId,
            int maxPacket,
            SenderForm form)
            throws IOException {
        return beginTo(o, peer, via, dest, type, recipientPeerId, maxPacket, form, false);
    }

    /**
     * @param relayed the destination is a relay: the recipient is written in full until it has
     *     answered (DECISIONS 33)
     */
    private ByteBuffer beginTo(
            Outbound o,
            Peer peer,
            Transport via,
            InetSocketAddress dest,
            MessageType type,
            int recipientPeerId,
            int maxPacket,
            SenderForm form,
            boolean relayed)
            throws IOException {
        if (!via.isOpen()) {
            throw new java.nio.channels.ClosedChannelException();
        }
        ByteBuffer b = o.buf;
        b.clear();
        b.limit(Math.min(b.capacity(), maxPacket));
        long now = clock.getAsLong();
        o.peer = peer;
        o.transport = via;
        o.destination = dest;
        o.start = 0;
        o.beganNanos = now;
        boolean recipientFull = relayed && peer.senderForm(now) == SenderForm.FULL;
        o.writer.begin(
                b,
                self,
                form != null ? form : peer.senderForm(now),
                peer.address(),
                recipientFull,
                config.localPeerId(),
                recipientPeerId,
                type);
        return b;
    }

    /**
     * Ends and sends {@code n} packets begun with {@link #begin} to one peer, in order: their MACs
     * are computed together ({@link PacketWriter#finishAll}), which is cheaper per packet than
     * {@link #finish} for a burst, then each goes to its transport as {@link #finish} sends it.
     * A packet the transport has no room for, or cannot take, is skipped (it counts as lost).
     *
     * @param os packets begun for the same peer, at most {@link org.anode.crypto.internal.AesCmac#MAX_MANY}
     * @return how many the transports took
     */
    public int finishAll(Outbound[] os, int n) {
        if (n == 0) {
            return 0;
        }
        if (n > org.anode.crypto.internal.AesCmac.MAX_MANY) {
            throw new IllegalArgumentException("too many packets for one pass: " + n);
        }
        Peer p = os[0].peer;
        PacketWriter[] ws = WRITERS.get();
        for (int i = 0; i < n; i++) {
            if (os[i].peer != p) {
                throw new IllegalArgumentException("packets for more than one peer");
            }
            ws[i] = os[i].writer;
        }
        synchronized (p) {
            PacketWriter.finishAll(ws, n, p.cmac());
            for (int i = 0; i < n; i++) {
                noteFullMac(os[i], p);
            }
        }
        java.util.Arrays.fill(ws, 0, n, null);
        int sent = 0;
        for (int i = 0; i < n; i++) {
            Outbound o = os[i];
            ByteBuffer b = o.buf;
            b.flip();
            try {
                if (o.transport.send(b, o.destination)) {
                    p.sent(o.beganNanos);
                    sent++;
                }
            } catch (IOException | RuntimeException e) {
                if (LOG.isLoggable(System.Logger.Level.TRACE)) {
                    LOG.log(System.Logger.Level.TRACE, "packet not sent: " + e);
                }
            }
        }
        return sent;
    }

    /**
     * Addendum A15: remembers the MAC of a packet sent with the full sender address, which a cookie
     * reply must echo. A flag test per packet; caller holds {@code p}'s monitor.
     */
    private static void noteFullMac(Outbound o, Peer p) {
        ByteBuffer b = o.buf;
        if ((b.get(o.start + PacketFormat.FLAGS) & PacketFormat.FLAG_SENDER_FULL) != 0) {
            p.noteSentFullMac(b.getLong(o.start + PacketFormat.MAC));
        }
    }

    /** Per-thread scratch of {@link #finishAll}. */
    private static final ThreadLocal<PacketWriter[]> WRITERS =
            ThreadLocal.withInitial(() -> new PacketWriter[org.anode.crypto.internal.AesCmac.MAX_MANY]);

    /**
     * Ends the packet begun with {@link #begin}: computes the MAC with the peer's cached key
     * (DECISIONS 17) and sends it. A packet the transport took marks the peer as recently sent to
     * (it is then not idle, so not evictable, see {@link Peer#isIdle}).
     *
     * @return true if the transport took it, false if it had no room (not sent)
     */
    public boolean finish(Outbound o) throws IOException {
        Peer p = o.peer;
        ByteBuffer b = o.buf;
        synchronized (p) {
            o.writer.finish(p.cmac());
            noteFullMac(o, p);
        }
        b.flip();
        if (o.transport.send(b, o.destination)) {
            p.sent(o.beganNanos);
            return true;
        }
        return false;
    }
}
