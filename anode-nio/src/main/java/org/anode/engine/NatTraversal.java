package org.anode.engine;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import org.anode.address.AnodeAddress;
import org.anode.wire.Endpoint;
import org.anode.wire.EndpointType;
import org.anode.wire.Message;
import org.anode.wire.MessageType;
import org.anode.wire.PacketReader;
import org.anode.wire.WireException;

/**
 * NAT traversal (draft 4.2.4 - 4.2.9, DECISIONS 35 and 36, addendum A3), sans I/O: it learns this
 * node's public endpoint from its zone relays (NETID), tells peers met over a relay where it may
 * be reached (EPI), probes the endpoints they tell it (EPC_REQ), and lets the engine move their
 * traffic onto a direct path once one is proven. Driven by the engine's hooks (a relayed packet, an
 * EPC, a proven endpoint), its message handlers (EPI, NETID_REQ, NETID) and {@link #tick}, which the
 * node calls every {@link #TICK_NANOS}.
 *
 * <p><b>NETID</b> (draft 4.2.8, 4.2.9; DECISIONS 35, 30): every relay the {@link Environment} names
 * is asked with NETID_REQ and an unspecified endpoint, at start (repeated every
 * {@link #NETID_RETRY_NANOS} until answered) and every {@link #NETID_INTERVAL_NANOS}; the answer
 * counts only if it carries an outstanding request id and comes from that relay's endpoint. The
 * reported endpoints classify the NAT ({@link NatType#classify}); a lone observer's "random" waits
 * up to {@link #NETID_RETRY_NANOS} for another relay in use, whose answer may show a sequence
 * (mode 2) before mode 3 opens its sockets. This node answers NETID_REQ too
 * (any node may be a zone relay): only to the request's own source, rate-limited, and only
 * for a request that arrived directly (hop count 0).
 *
 * <p><b>EPI</b> (draft 4.2.6): on the first packet over a relay between two nodes - the sender's
 * EPIs go out as the engine adds the relayed path, right behind that packet, the receiver's when
 * it arrives - and on every retry, both sides send, over that relay, one EPI per endpoint they may
 * be reached at: the public endpoint with the NAT-T mode of their NAT (0 none, 1 easy, 2
 * sequential with its step, 3 random with its socket count) and each interface address with mode
 * 0, then the TCP and HTTP endpoints it serves, if any (draft 2.9.2, 2.9.3). A node that does not
 * know its public endpoint yet asks NETID at once and sends its EPIs again when the answer comes.
 * A node that receives an authenticated EPI probes the UDP endpoints named and answers with its
 * own unless it sent them within the last 250 ms; at once, once per batch, if the EPI names an
 * endpoint it did not have. TCP and HTTP endpoints are only recorded
 * ({@link #carrierEndpoints(AnodeAddress)}, addendum A16).
 *
 * <p><b>Probing</b> (DECISIONS 36): modes 0 and 1, an EPC_REQ every {@link #PROBE_INTERVAL_NANOS}
 * for up to {@link #PROBE_WINDOW_NANOS}; mode 2 (step s, count k), the same for the next k ports
 * by s; mode 3 (count n), the hard side sends from n extra sockets to the peer's mode-1 endpoints
 * while the easy side probes random ports of the hard side's public address, each port once. Every
 * probe to an unproven endpoint is paid from a node-wide token bucket
 * ({@link #PROBE_RATE} a second, random-port probes from a separate one of {@link #MANY_RATE}), an
 * endpoint gets at most one probe per {@link #PROBE_INTERVAL_NANOS}, a peer at most
 * {@link #MAX_CANDIDATES} candidates and one round per backoff period, the node at most
 * {@link #MAX_SESSIONS} peers in traversal: a hostile EPI (a third party's endpoint, a flood)
 * buys a bounded number of small packets, never a stream.
 *
 * <p><b>Switch</b>: an endpoint is used only once its EPC came back (addendum A3); proven, it is
 * a hop-0 endpoint of the peer and, ranking first, takes the traffic at once (streams see no
 * change: their packets keep their numbers, the receiver orders what the two paths deliver, and
 * the RTT estimator follows the new path with the next samples). The relayed endpoint stays as
 * the fallback.
 *
 * <p><b>Fallback</b>: a direct path sent to and not heard from for {@link #SILENT_NANOS} (a PING
 * goes out on it after {@link #LIVENESS_NANOS} of silence, so one-way traffic does not count as
 * silence) is dropped from the peer's endpoints, so the relay carries the traffic again, and a new
 * round starts after a backoff that doubles from {@link #BACKOFF_MIN_NANOS} to
 * {@link #BACKOFF_MAX_NANOS}. <b>Keepalive</b>: a direct path with a NAT on either side that
 * carried nothing for {@link #KEEPALIVE_NANOS} gets a PING; a path without NAT on either side
 * gets none.
 *
 * <p>Event loop only, except {@link #localNat()} and {@link #remoteNat}, which may be read from
 * any thread.
 */
public final class NatTraversal {
    private static final System.Logger LOG = System.getLogger(NatTraversal.class.getName());

    /** DECISIONS 36 NAT-T modes. */
    static final int MODE_NONE = 0;

    static final int MODE_SIMULTANEOUS = 1;
    static final int MODE_PREDICT = 2;
    static final int MODE_MANY = 3;

    /** How often the node calls {@link #tick}. */
    public static final long TICK_NANOS = 20_000_000L;
    /** DECISIONS 36 mode 1: one EPC_REQ per endpoint this often ... */
    static final long PROBE_INTERVAL_NANOS = 100_000_000L;
    /** ... for this long. */
    static final long PROBE_WINDOW_NANOS = 5_000_000_000L;
    /**
     * EPIs of one round are sent again (they travel over a relay and may be lost, in particular
     * while the relay has not yet proven a restarted peer's new endpoint) at these times after the
     * round's start; and at most once per {@link #EPI_REPEAT_NANOS} on a peer's request.
     */
    static final long[] EPI_SCHEDULE_NANOS = {0, 250_000_000L, 500_000_000L, 1_000_000_000L, 2_000_000_000L};

    static final int EPI_SENDS_PER_ROUND = EPI_SCHEDULE_NANOS.length;
    static final long EPI_REPEAT_NANOS = 1_000_000_000L;
    /**
     * EPIs of a peer arriving within this of each other are one batch (a node sends its EPIs back
     * to back): an EPI naming an endpoint not yet known is answered with ours once per batch.
     */
    static final long EPI_BATCH_NANOS = 10_000_000L;
    /** A direct path sent to and silent this long is given up. */
    static final long SILENT_NANOS = 3_000_000_000L;
    /** A direct path silent this long while sent to gets a PING (an answer proves it alive). */
    static final long LIVENESS_NANOS = 1_000_000_000L;
    /** DECISIONS 33: NAT mappings are kept alive by a packet at least this often. */
    static final long KEEPALIVE_NANOS = 25_000_000_000L;

    static final long BACKOFF_MIN_NANOS = 2_000_000_000L;
    static final long BACKOFF_MAX_NANOS = 120_000_000_000L;
    /** A peer not heard from over any path for this long leaves the traversal table. */
    static final long SESSION_IDLE_NANOS = 180_000_000_000L;

    static final long NETID_INTERVAL_NANOS = 60_000_000_000L;
    static final long NETID_RETRY_NANOS = 2_000_000_000L;
    /** Peers in traversal at once. */
    static final int MAX_SESSIONS = 256;
    /** Endpoints probed per peer (EPI endpoints plus predicted ports). */
    static final int MAX_CANDIDATES = 8;
    /** TCP and HTTP endpoints sent in one EPI round, and recorded per peer (addendum A16). */
    static final int MAX_CARRIER_EPIS = 4;
    /** Predicted ports probed for a mode-2 EPI. */
    static final int MAX_PREDICT = 4;
    /** Probes to unproven endpoints per second, node-wide (mode 0-2). */
    static final int PROBE_RATE = 200;
    /** Mode 3: extra sockets the hard side opens, random ports the easy side probes, and their rate. */
    static final int MANY_SOCKETS = 64;

    static final int MANY_PROBES = 2500;
    static final int MANY_RATE = 500;
    /** Mode 3 rounds running at once, node-wide (each owns sockets or a port bitmap). */
    static final int MAX_MANY = 2;
    /** How long the hard side's extra sockets keep sending. */
    static final long MANY_WINDOW_NANOS = 7_000_000_000L;
    /** A peer gets random-port probes (mode 3) at most this often. */
    static final long MANY_REPEAT_NANOS = 30_000_000_000L;
    /** NETID_REQ answers per second. */
    static final int NETID_ANSWER_RATE = 100;

    /** A relay this node may ask for NETID. */
    public record RelayRef(AnodeAddress address, Transport transport, InetSocketAddress endpoint) {}

    /** What the traversal needs from the node. */
    public interface Environment {
        /** The zone relays in use (own and others'), each with the transport that reaches it. */
        List<RelayRef> relays();

        /** Endpoints of this host's interfaces at which {@code t} receives (for EPIs). */
        List<InetSocketAddress> interfaceEndpoints(Transport t);

        /**
         * Opens another UDP socket like {@code like} on an ephemeral port whose packets go to the
         * engine (mode 3), or returns null if the node cannot.
         */
        Transport openExtraSocket(Transport like) throws IOException;

        /**
         * The TCP (0x03, 0x05) and HTTP (0x06) endpoints this node serves (draft 2.9.2, 2.9.3),
         * sent in EPIs after the UDP ones; the peer only records them (addendum A16).
         */
        default List<Endpoint> carrierEndpoints() {
            return List.of();
        }
    }

    /** Counters (event loop writes, any thread reads). */
    public static final class Stats {
        volatile long episSent;
        volatile long episReceived;
        volatile long probesSent;
        volatile long probesDenied;
        volatile long directPaths;
        volatile long fallbacks;
        volatile long netIdAnswers;
        volatile long lastSwitchNanos = -1;
        volatile int lastSwitchMode = -1;
        volatile int natObservers;

        public long episSent() {
            return episSent;
        }

        public long episReceived() {
            return episReceived;
        }

        /** EPC_REQ probes sent to unproven endpoints. */
        public long probesSent() {
            return probesSent;
        }

        /** Probes not sent because a budget was spent. */
        public long probesDenied() {
            return probesDenied;
        }

        /** Direct paths proven. */
        public long directPaths() {
            return directPaths;
        }

        /** Direct paths given up for silence. */
        public long fallbacks() {
            return fallbacks;
        }

        /** NETID answers sent as a relay. */
        public long netIdAnswers() {
            return netIdAnswers;
        }

        /**
         * Nanoseconds from the first packet over the relay between this node and a peer (sent or
         * received; or the loss of the previous direct path) to the proof of its direct path, last
         * time; -1 if never.
         */
        public long lastSwitchNanos() {
            return lastSwitchNanos;
        }

        /**
         * The NAT-T mode (DECISIONS 36) that found the last direct path: on the side that probed,
         * the mode of the endpoint that answered (2 for a predicted port, 3 for a random one); on a
         * hard NAT's side, the mode it announced (3 when an extra socket carries the path); -1 if
         * none yet, or if the path was found by the peer's probe alone.
         */
        public int lastSwitchMode() {
            return lastSwitchMode;
        }

        /** How many observers (relays' NETID answers, DECISIONS 35) the node's NAT type rests on. */
        public int natObservers() {
            return natObservers;
        }
    }

    /** One endpoint a peer may be reached at, being probed. */
    static final class Candidate {
        final InetSocketAddress endpoint;
        final int mode;
        long nextProbe;
        long until;

        Candidate(InetSocketAddress endpoint, int mode) {
            this.endpoint = endpoint;
            this.mode = mode;
        }
    }

    /** Mode 3, easy side: random ports of the hard side's address, each probed once. */
    static final class ManyPorts {
        final InetAddress ip;
        final long[] probed = new long[1024];
        int left;

        ManyPorts(InetAddress ip, int count) {
            this.ip = ip;
            this.left = count;
        }
    }

    /** Traversal state of one peer. */
    final class Session {
        final Peer peer;
        /**
         * Since when the relay carries this peer's traffic: the first packet over the relay (sent
         * or received), or the loss of the last direct path. The switch time counts from here.
         */
        long relayedSince;
        /** False while the peer has sent nothing (the session began with our first relayed packet). */
        boolean contacted;

        long lastContact;
        int probeId;
        int previousProbeId;
        long roundStart = Long.MIN_VALUE;
        long lastEpiSent = Long.MIN_VALUE;
        long lastEpiHeard = Long.MIN_VALUE;
        boolean batchAnswered;
        int episThisRound;
        long nextAttempt;
        int failures;
        NatType remoteNat = NatType.UNKNOWN;
        final List<Candidate> candidates = new ArrayList<>(MAX_CANDIDATES);
        /** TCP and HTTP endpoints its EPIs named, recorded only (addendum A16). */
        final List<Endpoint> carriers = new ArrayList<>(MAX_CARRIER_EPIS);

        ManyPorts many;
        /** Mode 3, hard side: the extra sockets and where they send. */
        List<Transport> extra;

        List<InetSocketAddress> extraTargets;
        long extraUntil;
        long extraNext;
        /** The direct path in use, or null. */
        Transport directVia;

        InetSocketAddress directEndpoint;
        long unansweredSince = Long.MIN_VALUE;
        long lastLivenessPing = Long.MIN_VALUE;
        long directSince;
        long lastRoundEnd = Long.MIN_VALUE;
        long lastPrune;
        long lastManyStart = Long.MIN_VALUE;

        Session(Peer peer, long now) {
            this.peer = peer;
            this.relayedSince = now;
            this.lastContact = now;
        }

        boolean hasDirect() {
            return directVia != null;
        }
    }

    private final Engine engine;
    private final Environment env;
    /** Request ids and random ports: unpredictable in a node, seeded in tests. */
    private final java.util.Random random;

    private final Map<Peer, Session> sessions = new HashMap<>();
    private final TokenBucket probeBudget = new TokenBucket(PROBE_RATE, PROBE_RATE / 2);
    private final TokenBucket manyBudget = new TokenBucket(MANY_RATE, MANY_RATE / 10);
    private final TokenBucket netIdAnswerBudget = new TokenBucket(NETID_ANSWER_RATE, NETID_ANSWER_RATE / 4);
    private final NetIdClient netId;
    private final Stats stats = new Stats();
    private int manyRunning;
    private volatile NatType localNat = NatType.UNKNOWN;

    /** Connects itself to the engine: its hooks and the EPI, NAT_T, NETID_REQ and NETID handlers. */
    public NatTraversal(Engine engine, Environment env) {
        this(engine, env, new SecureRandom());
    }

    /** With a given source of randomness (a seeded one makes tests repeatable). */
    NatTraversal(Engine engine, Environment env, java.util.Random random) {
        this.random = random;
        this.engine = engine;
        this.env = env;
        this.netId = new NetIdClient();
        engine.setMessageHandler(MessageType.EPI, this::onEpiPacket);
        engine.setMessageHandler(MessageType.NAT_T, (p, r, v, s, n) -> {
            // No mode defines a NAT_T message yet (DECISIONS 36): accepted and ignored.
        });
        engine.setMessageHandler(MessageType.NETID_REQ, this::onNetIdReq);
        engine.setMessageHandler(MessageType.NETID, this::onNetIdPacket);
        engine.setNatTraversal(this);
    }

    public Stats stats() {
        return stats;
    }

    /**
     * Runs, once at start, the code the first traversal needs - its messages' encoding and
     * decoding, the random source, the logger - so that a node contacting a peer right after it
     * started (a command-line ping, say) does not load and initialise it between the first relayed
     * packet and the switch. Event loop.
     */
    public void prepare() {
        java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(64);
        Endpoint any = Endpoint.udp(new InetSocketAddress(InetAddress.getLoopbackAddress(), 1));
        Message[] samples = {
            new Message.Epi(any, MODE_SIMULTANEOUS, new byte[0]),
            new Message.EpcReq(random.nextInt()),
            new Message.NetIdReq(random.nextInt(), Endpoint.Unspecified.INSTANCE),
            new Message.NetId(0, any)
        };
        for (Message m : samples) {
            b.clear();
            m.writeTo(b);
            try {
                Message.decode(m.type().code(), b, 0, b.position());
            } catch (WireException e) {
                throw new IllegalStateException("NAT traversal messages do not round-trip", e);
            }
        }
        LOG.isLoggable(System.Logger.Level.DEBUG);
    }

    /** This node's NAT as its NETID answers classify it. */
    public NatType localNat() {
        return localNat;
    }

    /** The peer's NAT as its EPIs say, or {@link NatType#UNKNOWN}. Thread-safe. */
    public NatType remoteNat(AnodeAddress peer) {
        return remoteNats.getOrDefault(peer, NatType.UNKNOWN);
    }

    /** True if traffic to the peer takes a direct path this traversal proved. Thread-safe. */
    public boolean isDirect(AnodeAddress peer) {
        return directPeers.containsKey(peer);
    }

    /** Copies of per-session facts for other threads (bounded by the session table). */
    private final java.util.concurrent.ConcurrentHashMap<AnodeAddress, NatType> remoteNats =
            new java.util.concurrent.ConcurrentHashMap<>();

    private final java.util.concurrent.ConcurrentHashMap<AnodeAddress, Boolean> directPeers =
            new java.util.concurrent.ConcurrentHashMap<>();

    private final java.util.concurrent.ConcurrentHashMap<AnodeAddress, List<Endpoint>> advertised =
            new java.util.concurrent.ConcurrentHashMap<>();

    /** The public endpoint NETID reported for {@code t}, or null. Event loop. */
    public InetSocketAddress publicEndpoint(Transport t) {
        return netId.publicEndpoint(t);
    }

    /** Peers in traversal (bounded by {@link #MAX_SESSIONS}). */
    int sessionCount() {
        return sessions.size();
    }

    /** Endpoints being probed for a peer (bounded by {@link #MAX_CANDIDATES}); tests. */
    int candidateCount(Peer p) {
        Session s = sessions.get(p);
        return s == null ? 0 : s.candidates.size();
    }

    // ------------------------------------------------------------------ engine hooks

    /**
     * The engine gave a peer a relayed path and is about to send it its first packet over the
     * relay: the round starts now, so this node's EPIs travel right behind that packet and the
     * peer can probe as soon as it hears from us, a relayed round trip earlier than if we waited
     * for its answer. A peer that never answers costs one round of EPIs; no further round starts
     * until it does ({@link #relayedContact}).
     */
    void relayedPath(Peer peer, long now) {
        if (sessions.containsKey(peer)) {
            return;
        }
        Session s = newSession(peer, now);
        if (s != null) {
            s.contacted = false;
            startRound(s, now);
        }
    }

    /** An authenticated packet of {@code peer} arrived over a relay (hop count above 0). */
    void relayedContact(Peer peer, long now) {
        Session s = session(peer, now);
        if (s == null) {
            return;
        }
        s.lastContact = now;
        if (!s.contacted) {
            // The first word of a peer we started a round for: if our EPIs went long before (it
            // was not there yet), it needs them again; if that round is over, a new one starts at
            // once, whatever its backoff, since the peer could not have taken part in it.
            s.contacted = true;
            if (!inRound(s, now)) {
                s.relayedSince = now;
                s.nextAttempt = now;
            } else if (now - s.lastEpiSent >= EPI_SCHEDULE_NANOS[1] && s.episThisRound < EPI_SENDS_PER_ROUND) {
                sendEpis(s, now);
            }
        }
        if (s.hasDirect()) {
            // The peer talks over the relay while our direct path is quiet: it no longer has that
            // path (it restarted on another port, or lost the mapping). Start over at once.
            PeerEndpoint d = directEndpoint(s);
            if (d != null && now - d.lastHeardNanos() < LIVENESS_NANOS) {
                // Not quiet yet (or packets still in flight over the relay): tell the peer where
                // we are once more, in case it is a new process of that address without our EPIs.
                if (now - s.directSince >= EPI_REPEAT_NANOS && now - s.lastEpiSent >= EPI_REPEAT_NANOS) {
                    sendEpis(s, now);
                }
                return;
            }
            lostDirect(s, now, true);
            s.nextAttempt = now;
        }
        if (now - s.nextAttempt >= 0 && !inRound(s, now)) {
            startRound(s, now);
        }
    }

    /** {@code peer}'s session, made now if it has none; null when the table is full. */
    private Session session(Peer peer, long now) {
        Session s = sessions.get(peer);
        return s != null ? s : newSession(peer, now);
    }

    private Session newSession(Peer peer, long now) {
        if (sessions.size() >= MAX_SESSIONS) {
            expireSessions(now);
            if (sessions.size() >= MAX_SESSIONS) {
                return null;
            }
        }
        Session s = new Session(peer, now);
        s.contacted = true;
        s.nextAttempt = now;
        sessions.put(peer, s);
        return s;
    }

    /** How long the peer has been silent: since its last packet, or its last contact with us here. */
    private static long idleFor(Session s, long now) {
        long heard = s.peer.lastAnsweredNanos();
        long last =
                heard == org.anode.wire.SenderForm.NEVER_ANSWERED || s.lastContact - heard > 0 ? s.lastContact : heard;
        return now - last;
    }

    /** Frees the slots of sessions whose peer is gone or silent (the table is full). */
    private void expireSessions(long now) {
        Iterator<Session> it = sessions.values().iterator();
        while (it.hasNext()) {
            Session s = it.next();
            if (s.peer.isEvicted() || (!s.hasDirect() && idleFor(s, now) > SESSION_IDLE_NANOS / 6)) {
                dropSession(s);
                it.remove();
            }
        }
    }

    private boolean inRound(Session s, long now) {
        return s.roundStart != Long.MIN_VALUE && now - s.roundStart < PROBE_WINDOW_NANOS;
    }

    /**
     * An EPC no engine check was waiting for: true if it answers one of this peer's probes from
     * an endpoint that was probed (then the engine adopts the endpoint).
     */
    boolean onEpc(Peer peer, Transport via, InetSocketAddress source, int hops, int id, long now) {
        Session s = sessions.get(peer);
        if (s == null || hops != 0 || (id != s.probeId && id != s.previousProbeId)) {
            return false;
        }
        for (Candidate c : s.candidates) {
            if (c.endpoint.equals(source)) {
                return true;
            }
        }
        if (s.extra != null && s.extra.contains(via) && s.extraTargets.contains(source)) {
            return true;
        }
        ManyPorts m = s.many;
        return m != null && m.ip.equals(source.getAddress()) && isProbed(m, source.getPort());
    }

    /** The engine adopted an endpoint proven by EPC (ours or its own check, addendum A3). */
    void proven(Peer peer, Transport via, InetSocketAddress source, int hops, long now) {
        if (hops != 0) {
            return;
        }
        Session s = sessions.get(peer);
        if (s == null) {
            return;
        }
        PeerEndpoint best = peer.bestEndpoint();
        if (best == null || !best.is(via, source)) {
            return;
        }
        boolean wasDirect = s.hasDirect();
        s.directVia = via;
        s.directEndpoint = source;
        s.directSince = now;
        directPeers.put(peer.address(), Boolean.TRUE);
        s.unansweredSince = Long.MIN_VALUE;
        s.failures = 0;
        if (!wasDirect) {
            stats.directPaths++;
            stats.lastSwitchNanos = now - s.relayedSince;
            stats.lastSwitchMode = switchMode(s, via, source);
            LOG.log(
                    System.Logger.Level.DEBUG,
                    "direct path to {0} at {1} over {2}",
                    peer.address(),
                    source,
                    via.name());
        }
        s.candidates.clear();
        endMany(s);
        closeExtra(s, via);
    }

    /** Which NAT-T mode found the path {@code via}/{@code source} just proven (see {@link Stats#lastSwitchMode}). */
    private int switchMode(Session s, Transport via, InetSocketAddress source) {
        if (s.extra != null && s.extra.contains(via)) {
            return MODE_MANY;
        }
        NatType mine = localNatOf(s.peer);
        for (Candidate c : s.candidates) {
            if (c.endpoint.equals(source)) {
                // Behind a hard NAT, the peer's packets reached our mapping toward it only by the
                // mode we announced (prediction or random ports).
                return mine.isHard() ? mine.natTMode() : c.mode;
            }
        }
        ManyPorts m = s.many;
        return m != null && m.ip.equals(source.getAddress()) && isProbed(m, source.getPort()) ? MODE_MANY : -1;
    }

    // ------------------------------------------------------------------ EPI

    private void startRound(Session s, long now) {
        s.previousProbeId = s.probeId;
        s.probeId = random.nextInt();
        s.roundStart = now;
        s.episThisRound = 0;
        s.candidates.clear();
        endMany(s);
        s.nextAttempt = now + backoff(s.failures);
        sendEpis(s, now);
    }

    private static long backoff(int failures) {
        long b = BACKOFF_MIN_NANOS << Math.min(failures, 10);
        return Math.min(b, BACKOFF_MAX_NANOS);
    }

    /** Sends this node's EPIs to the peer over its relayed path (draft 4.2.6). */
    private void sendEpis(Session s, long now) {
        PeerEndpoint via = relayedEndpoint(s.peer);
        if (via == null) {
            return;
        }
        s.lastEpiSent = now;
        s.episThisRound++;
        Transport t = via.transport();
        NatType mine = netId.type(t);
        // Mode 2 announces the newest mapping of a sequence that counts up: the highest port.
        InetSocketAddress pub = mine == NatType.HARD_SEQUENTIAL ? netId.highestPort(t) : netId.publicEndpoint(t);
        if (pub == null) {
            // Not known yet (a node that just started): ask the relays now rather than at the next
            // tick; the answer sends the EPIs again with it (onNetId).
            netId.tick(now);
        }
        List<InetSocketAddress> sent = new ArrayList<>(4);
        if (pub != null && probeable(pub)) {
            send(s, via, new Message.Epi(Endpoint.udp(pub), mine.natTMode(), modeOptions(t, mine)));
            sent.add(pub);
        }
        for (InetSocketAddress i : env.interfaceEndpoints(t)) {
            if (sent.size() >= MAX_CANDIDATES / 2) {
                break;
            }
            if (!sent.contains(i) && probeable(i)) {
                send(s, via, new Message.Epi(Endpoint.udp(i), MODE_NONE, new byte[0]));
                sent.add(i);
            }
        }
        List<Endpoint> carriers = env.carrierEndpoints();
        for (int i = 0; i < carriers.size() && i < MAX_CARRIER_EPIS; i++) {
            send(s, via, new Message.Epi(carriers.get(i), MODE_NONE, new byte[0]));
        }
    }

    private void send(Session s, PeerEndpoint via, Message m) {
        if (engine.sendMessageTo(s.peer, via.transport(), via.address(), m, true)) {
            stats.episSent++;
        }
    }

    private byte[] modeOptions(Transport t, NatType mine) {
        if (mine == NatType.HARD_SEQUENTIAL) {
            int step = netId.step(t);
            return new byte[] {(byte) (step >> 8), (byte) step, (byte) MAX_PREDICT};
        }
        if (mine == NatType.HARD_RANDOM) {
            return new byte[] {(byte) MANY_SOCKETS};
        }
        return new byte[0];
    }

    /** The peer's best relayed endpoint, or null. */
    private static PeerEndpoint relayedEndpoint(Peer p) {
        for (PeerEndpoint e : p.endpoints()) {
            if (e.hops() > 0) {
                return e;
            }
        }
        return null;
    }

    private void onEpiPacket(Peer peer, PacketReader r, Transport via, InetSocketAddress source, long now) {
        Message.Epi epi;
        try {
            Message m = Message.decode(MessageType.EPI.code(), r.buffer(), r.payloadOffset(), r.payloadLimit());
            epi = (Message.Epi) m;
        } catch (WireException e) {
            return;
        }
        onEpi(peer, via, source, r.hopCount(), epi, now);
    }

    /** An authenticated EPI (draft 4.2.6): remember and probe its endpoint, answer with ours. */
    void onEpi(Peer peer, Transport via, InetSocketAddress source, int hops, Message.Epi epi, long now) {
        stats.episReceived++;
        if (epi.endpoint().type().isTcp() || epi.endpoint().type() == EndpointType.HTTP) {
            recordCarrier(peer, epi.endpoint(), now);
            return;
        }
        InetSocketAddress ep;
        if (epi.endpoint() instanceof Endpoint.Ip ip && ip.isUdp()) {
            ep = ip.toSocketAddress();
        } else if (epi.endpoint() instanceof Endpoint.Unspecified && hops == 0) {
            ep = source;
        } else {
            return;
        }
        if (!probeable(ep)) {
            return;
        }
        Session s = session(peer, now);
        if (s == null) {
            return;
        }
        s.lastContact = now;
        s.contacted = true;
        if (s.lastEpiHeard == Long.MIN_VALUE || now - s.lastEpiHeard >= EPI_BATCH_NANOS) {
            s.batchAnswered = false;
        }
        s.lastEpiHeard = now;
        NatType announced = NatType.ofMode(epi.natTMode());
        if (announced != NatType.UNKNOWN
                && (s.remoteNat == NatType.UNKNOWN || announced.ordinal() > s.remoteNat.ordinal())) {
            s.remoteNat = announced;
            remoteNats.put(peer.address(), announced);
        }
        if (s.hasDirect()) {
            PeerEndpoint d = directEndpoint(s);
            // The peer, reached directly, names another port of the same address over the relay,
            // as a peer with a port-keeping NAT does after restarting on a new socket: probe it
            // (our direct path stays until the new one is proven, so a replayed EPI moves nothing).
            boolean moved = epi.natTMode() <= MODE_SIMULTANEOUS
                    && hops > 0
                    && ep.getAddress().equals(s.directEndpoint.getAddress())
                    && ep.getPort() != s.directEndpoint.getPort();
            if (moved) {
                if (!inRound(s, now)) {
                    // A new process of the peer: its traffic is on the relay from now on.
                    s.relayedSince = now;
                    startRound(s, now);
                } else if (now - s.lastEpiSent >= PROBE_INTERVAL_NANOS * 2) {
                    // The peer needs ours to open its NAT toward us.
                    sendEpis(s, now);
                }
                addCandidate(s, ep, epi.natTMode(), now);
                return;
            }
            // An EPI over the relay while our direct path is quiet: the peer lost that path (its
            // mapping went, it moved): start over. A working path stays, and the peer gets our
            // EPIs again (rate-limited) so that it can find it.
            if (hops == 0 || (d != null && now - d.lastHeardNanos() < LIVENESS_NANOS)) {
                if (hops > 0 && now - s.lastEpiSent >= EPI_REPEAT_NANOS) {
                    sendEpis(s, now);
                }
                return;
            }
            lostDirect(s, now, true);
            s.roundStart = Long.MIN_VALUE;
            s.lastRoundEnd = Long.MIN_VALUE;
        }
        boolean answerAfterProbe = false;
        if (!inRound(s, now)) {
            // The peer started a round: join it, so both NATs open at once - but at most one
            // round per BACKOFF_MIN after the last, so replayed or flooded EPIs buy no more.
            if (s.roundStart == Long.MIN_VALUE
                    && s.lastRoundEnd != Long.MIN_VALUE
                    && now - s.lastRoundEnd < BACKOFF_MIN_NANOS) {
                return;
            }
            startRound(s, now);
        } else if (s.episThisRound < EPI_SENDS_PER_ROUND
                && (now - s.lastEpiSent >= EPI_SCHEDULE_NANOS[1] || (!isCandidate(s, ep) && !s.batchAnswered))) {
            // The peer's EPI may be its answer to ours, or a new round of its own: ours again, soon.
            // At once if it names an endpoint we did not have: the peer has news (typically its
            // public endpoint, which it had not learned when the round began), so it is still
            // building its side, and ours may have been lost on the way - crossing a relay that
            // still forwarded to the endpoint of the peer's previous process, say. One answer
            // per batch of the peer's EPIs. They go after the first probe of the endpoint: that
            // probe, and the EPC it brings back, is what the switch waits for; ours are insurance.
            s.batchAnswered = true;
            answerAfterProbe = true;
        }
        addCandidate(s, ep, epi.natTMode(), now);
        byte[] o = epi.natTOptions();
        switch (epi.natTMode()) {
            case MODE_PREDICT -> {
                if (o.length >= 3) {
                    int step = (short) (((o[0] & 0xff) << 8) | (o[1] & 0xff));
                    int k = Math.min(o[2] & 0xff, MAX_PREDICT);
                    for (int i = 1; i <= k && step != 0; i++) {
                        int port = ep.getPort() + step * i;
                        if (port > 0 && port <= 0xffff) {
                            addCandidate(s, new InetSocketAddress(ep.getAddress(), port), MODE_PREDICT, now);
                        }
                    }
                }
            }
            case MODE_MANY -> {
                // Random ports only pay off if our own mapping is stable; two hard NATs stay relayed.
                if (!localNatOf(peer).isHard()
                        && s.many == null
                        && manyRunning < MAX_MANY
                        && (s.lastManyStart == Long.MIN_VALUE || now - s.lastManyStart >= MANY_REPEAT_NANOS)) {
                    s.many = new ManyPorts(ep.getAddress(), MANY_PROBES);
                    s.lastManyStart = now;
                    manyRunning++;
                }
            }
            case MODE_SIMULTANEOUS -> {
                if (localNatOf(peer) == NatType.HARD_RANDOM) {
                    openExtra(s, ep, now);
                }
            }
            default -> {}
        }
        if (answerAfterProbe) {
            sendEpis(s, now);
        }
    }

    /**
     * A TCP or HTTP endpoint the peer serves (addendum A16): recorded for {@link #carrierEndpoints},
     * at most {@link #MAX_CARRIER_EPIS} per peer (the newest replace the oldest), and never
     * connected to nor probed, so an EPI naming a third party's host makes this node open nothing.
     */
    private void recordCarrier(Peer peer, Endpoint e, long now) {
        if (e instanceof Endpoint.Ip ip) {
            InetAddress a = ip.address();
            if (ip.port() == 0 || a.isAnyLocalAddress() || a.isMulticastAddress()) {
                return;
            }
        }
        Session s = session(peer, now);
        if (s == null) {
            return;
        }
        s.lastContact = now;
        if (s.carriers.contains(e)) {
            return;
        }
        if (s.carriers.size() >= MAX_CARRIER_EPIS) {
            s.carriers.remove(0);
        }
        s.carriers.add(e);
        advertised.put(peer.address(), List.copyOf(s.carriers));
    }

    /**
     * The TCP and HTTP endpoints the peer's EPIs named (addendum A16), oldest first; unproven and
     * never used for sending. Thread-safe.
     */
    public List<Endpoint> carrierEndpoints(AnodeAddress peer) {
        return advertised.getOrDefault(peer, List.of());
    }

    /**
     * Whether an endpoint named in an EPI may be probed: never port 0, a wildcard, multicast or
     * broadcast, and never this host's loopback or an IPv6 link-local address (which an EPI cannot
     * scope) - an EPI must not make the node send to its own host's services.
     */
    static boolean probeable(InetSocketAddress ep) {
        InetAddress a = ep.getAddress();
        return a != null
                && ep.getPort() != 0
                && !a.isAnyLocalAddress()
                && !a.isMulticastAddress()
                && !a.isLoopbackAddress()
                && !(a instanceof java.net.Inet6Address && a.isLinkLocalAddress())
                && !(a instanceof java.net.Inet4Address
                        && (a.getAddress()[3] & 0xff) == 0xff
                        && (a.getAddress()[0] & 0xff) == 0xff);
    }

    private NatType localNatOf(Peer peer) {
        PeerEndpoint e = relayedEndpoint(peer);
        return e == null ? localNat : netId.type(e.transport());
    }

    private static boolean isCandidate(Session s, InetSocketAddress ep) {
        for (Candidate c : s.candidates) {
            if (c.endpoint.equals(ep)) {
                return true;
            }
        }
        return false;
    }

    private void addCandidate(Session s, InetSocketAddress ep, int mode, long now) {
        for (Candidate c : s.candidates) {
            if (c.endpoint.equals(ep)) {
                if (now - c.until >= 0) {
                    c.until = now + PROBE_WINDOW_NANOS;
                }
                return;
            }
        }
        if (s.candidates.size() >= MAX_CANDIDATES) {
            return;
        }
        Candidate c = new Candidate(ep, mode);
        c.nextProbe = now;
        c.until = now + PROBE_WINDOW_NANOS;
        s.candidates.add(c);
        probe(s, c, now);
    }

    /** Mode 3, hard side: extra sockets each send to the easy side's endpoint. */
    private void openExtra(Session s, InetSocketAddress target, long now) {
        if (s.extra == null) {
            if (manyRunning >= MAX_MANY) {
                return;
            }
            PeerEndpoint rel = relayedEndpoint(s.peer);
            if (rel == null) {
                return;
            }
            List<Transport> socks = new ArrayList<>(MANY_SOCKETS);
            try {
                for (int i = 0; i < MANY_SOCKETS; i++) {
                    Transport t = env.openExtraSocket(rel.transport().underlying());
                    if (t == null) {
                        break;
                    }
                    socks.add(t);
                }
            } catch (IOException | RuntimeException e) {
                LOG.log(System.Logger.Level.DEBUG, "extra sockets for NAT traversal: " + e);
            }
            if (socks.isEmpty()) {
                return;
            }
            manyRunning++;
            s.extra = socks;
            s.extraTargets = new ArrayList<>(2);
            s.extraNext = now;
        }
        if (s.extraTargets.size() < 2 && !s.extraTargets.contains(target)) {
            s.extraTargets.add(target);
        }
        s.extraUntil = now + MANY_WINDOW_NANOS;
    }

    /** Closes the extra sockets of a round but {@code keep} (the one the direct path uses). */
    private void closeExtra(Session s, Transport keep) {
        if (s.extra == null) {
            return;
        }
        for (Transport t : s.extra) {
            if (t == keep) {
                continue;
            }
            for (PeerEndpoint e : s.peer.endpoints()) {
                if (e.transport() == t) {
                    s.peer.forget(t, e.address());
                }
            }
            t.close();
        }
        List<Transport> kept = keep != null && s.extra.contains(keep) ? List.of(keep) : null;
        s.extra = kept;
        if (kept == null) {
            s.extraTargets = null;
            manyRunning--;
        } else {
            // The kept socket is the direct path's; it no longer sends probes.
            s.extraUntil = Long.MIN_VALUE;
        }
    }

    private void endMany(Session s) {
        if (s.many != null) {
            s.many = null;
            manyRunning--;
        }
    }

    // ------------------------------------------------------------------ probing

    private void probe(Session s, Candidate c, long now) {
        if (now - c.nextProbe < 0 || now - c.until >= 0) {
            return;
        }
        if (!probeBudget.tryTake(now)) {
            stats.probesDenied++;
            return;
        }
        c.nextProbe = now + PROBE_INTERVAL_NANOS;
        sendProbe(s, mainTransport(s, c.endpoint), c.endpoint);
    }

    private void sendProbe(Session s, Transport t, InetSocketAddress to) {
        if (t != null && engine.sendMessageTo(s.peer, t, to, new Message.EpcReq(s.probeId), false)) {
            stats.probesSent++;
        }
    }

    /** The transport probes go out on: the one the relay is reached over, if it reaches there. */
    private Transport mainTransport(Session s, InetSocketAddress to) {
        PeerEndpoint rel = relayedEndpoint(s.peer);
        if (rel != null && rel.transport().underlying().canReach(to)) {
            return rel.transport().underlying();
        }
        for (RelayRef r : env.relays()) {
            if (r.transport().underlying().canReach(to)) {
                return r.transport().underlying();
            }
        }
        return null;
    }

    private static boolean isProbed(ManyPorts m, int port) {
        return (m.probed[port >>> 6] & (1L << (port & 63))) != 0;
    }

    private void probeMany(Session s, long now) {
        ManyPorts m = s.many;
        Transport t = mainTransport(s, new InetSocketAddress(m.ip, 1));
        while (m.left > 0) {
            if (!manyBudget.tryTake(now)) {
                return;
            }
            int port = 1024 + random.nextInt(65536 - 1024);
            for (int tries = 0; tries < 16 && isProbed(m, port); tries++) {
                port = 1024 + random.nextInt(65536 - 1024);
            }
            m.probed[port >>> 6] |= 1L << (port & 63);
            m.left--;
            sendProbe(s, t, new InetSocketAddress(m.ip, port));
        }
        // All sent; the bitmap stays until the round ends, for the answers still on their way.
    }

    // ------------------------------------------------------------------ tick

    /** Timers: probes, NETID, liveness, keepalive, retries, expiry. Event loop. */
    public void tick(long now) {
        netId.tick(now);
        Iterator<Session> it = sessions.values().iterator();
        while (it.hasNext()) {
            Session s = it.next();
            if (s.peer.isEvicted() || (!s.hasDirect() && idleFor(s, now) > SESSION_IDLE_NANOS)) {
                dropSession(s);
                it.remove();
                continue;
            }
            if (now - s.lastPrune >= LIVENESS_NANOS) {
                s.lastPrune = now;
                pruneStale(s, now);
            }
            for (int i = 0; i < s.candidates.size(); i++) {
                probe(s, s.candidates.get(i), now);
            }
            if (s.hasDirect()) {
                watchDirect(s, now);
                continue;
            }
            if (s.many != null) {
                probeMany(s, now);
            }
            if (s.extra != null) {
                tickExtra(s, now);
            }
            if (inRound(s, now)
                    && s.episThisRound < EPI_SENDS_PER_ROUND
                    && now - s.roundStart >= EPI_SCHEDULE_NANOS[s.episThisRound]) {
                sendEpis(s, now);
            }
            if (!inRound(s, now) && s.roundStart != Long.MIN_VALUE && s.extra == null) {
                // The round ended without a direct path.
                if (s.failures < 31) {
                    s.failures++;
                }
                s.candidates.clear();
                endMany(s);
                s.roundStart = Long.MIN_VALUE;
                s.lastRoundEnd = now;
                s.nextAttempt = now + backoff(s.failures);
            }
            if (s.roundStart == Long.MIN_VALUE
                    && s.contacted
                    && now - s.nextAttempt >= 0
                    && idleFor(s, now) < SESSION_IDLE_NANOS
                    && relayedEndpoint(s.peer) != null) {
                startRound(s, now);
            }
        }
    }

    private void tickExtra(Session s, long now) {
        if (now - s.extraUntil >= 0) {
            closeExtra(s, null);
            return;
        }
        if (now - s.extraNext < 0) {
            return;
        }
        s.extraNext = now + PROBE_INTERVAL_NANOS * 3;
        for (Transport t : s.extra) {
            for (InetSocketAddress to : s.extraTargets) {
                sendProbe(s, t, to);
            }
        }
    }

    private void dropSession(Session s) {
        remoteNats.remove(s.peer.address());
        directPeers.remove(s.peer.address());
        advertised.remove(s.peer.address());
        endMany(s);
        // Every extra socket goes, the direct path's too: the session that owned it is gone.
        closeExtra(s, null);
    }

    /**
     * Forgets the peer's learned direct endpoints, other than the path in use, that have been
     * silent for {@link #SILENT_NANOS}: a path proven alongside the one chosen, or left behind by
     * a peer that restarted on another port. They would otherwise pile up and, at the endpoint
     * bound, push out the relayed path the traversal needs (a peer keeps at most a few
     * endpoints, and the relayed one ranks last).
     */
    private void pruneStale(Session s, long now) {
        for (PeerEndpoint e : s.peer.endpoints()) {
            if (e.hops() == 0
                    && !e.isConfigured()
                    && !e.is(s.directVia, s.directEndpoint)
                    && e.lastHeardNanos() != PeerEndpoint.NEVER
                    && now - e.lastHeardNanos() >= SILENT_NANOS
                    && relayedEndpoint(s.peer) != null) {
                s.peer.forget(e.transport(), e.address());
            }
        }
    }

    /** The peer's endpoint that is the session's direct path, or null. */
    private static PeerEndpoint directEndpoint(Session s) {
        for (PeerEndpoint e : s.peer.endpoints()) {
            if (e.is(s.directVia, s.directEndpoint)) {
                return e;
            }
        }
        return null;
    }

    /** Liveness and keepalive of the direct path in use. */
    private void watchDirect(Session s, long now) {
        Peer p = s.peer;
        PeerEndpoint d = directEndpoint(s);
        if (d == null || d.hops() != 0) {
            lostDirect(s, now, false);
            return;
        }
        long heard = d.lastHeardNanos();
        long sent = p.lastSentNanos();
        if (sent != org.anode.wire.SenderForm.NEVER_ANSWERED && sent - heard > 0) {
            if (s.unansweredSince == Long.MIN_VALUE) {
                s.unansweredSince = sent;
            }
            if (now - heard >= LIVENESS_NANOS
                    && (s.lastLivenessPing == Long.MIN_VALUE || now - s.lastLivenessPing >= LIVENESS_NANOS)) {
                s.lastLivenessPing = now;
                ping(p);
            }
            if (now - s.unansweredSince >= SILENT_NANOS && relayedEndpoint(p) != null) {
                lostDirect(s, now, true);
            }
            return;
        }
        s.unansweredSince = Long.MIN_VALUE;
        boolean natted = localNatOf(p) != NatType.NONE || s.remoteNat != NatType.NONE;
        if (natted && (sent == org.anode.wire.SenderForm.NEVER_ANSWERED || now - sent >= KEEPALIVE_NANOS)) {
            ping(p);
        }
    }

    private void ping(Peer p) {
        long id = engine.ping(p, new Handlers.PingCallback() {
            @Override
            public void pong(long rttNanos) {}

            @Override
            public void failed(Exception cause) {}
        });
        if (id != 0) {
            pendingPingIds.add(id);
            if (pendingPingIds.size() > 64) {
                engine.expirePing(pendingPingIds.remove(0));
            }
        }
    }

    /** PINGs this class sent (liveness, keepalive); the oldest are expired to bound the engine's table. */
    private final List<Long> pendingPingIds = new ArrayList<>();

    private void lostDirect(Session s, long now, boolean silent) {
        Transport via = s.directVia;
        if (silent) {
            s.peer.forget(via, s.directEndpoint);
            stats.fallbacks++;
            LOG.log(
                    System.Logger.Level.DEBUG,
                    "direct path to {0} at {1} silent: back to the relay",
                    s.peer.address(),
                    s.directEndpoint);
        }
        s.directVia = null;
        s.directEndpoint = null;
        s.relayedSince = now;
        directPeers.remove(s.peer.address());
        s.unansweredSince = Long.MIN_VALUE;
        if (s.failures < 31) {
            s.failures++;
        }
        s.roundStart = Long.MIN_VALUE;
        s.nextAttempt = now + backoff(s.failures);
        closeExtra(s, null);
    }

    // ------------------------------------------------------------------ NETID

    private void onNetIdReq(Peer peer, PacketReader r, Transport via, InetSocketAddress source, long now) {
        if (r.hopCount() != 0) {
            return;
        }
        Message.NetIdReq req;
        try {
            req = (Message.NetIdReq)
                    Message.decode(MessageType.NETID_REQ.code(), r.buffer(), r.payloadOffset(), r.payloadLimit());
        } catch (WireException e) {
            return;
        }
        Endpoint src = Endpoint.udp(source);
        // DECISIONS 30: the answer goes to the request's source only, never to an endpoint it names.
        if (!(req.endpoint() instanceof Endpoint.Unspecified) && !req.endpoint().equals(src)) {
            return;
        }
        if (!netIdAnswerBudget.tryTake(now)) {
            return;
        }
        if (engine.sendMessageTo(peer, via, source, new Message.NetId(req.requestId(), src), false)) {
            stats.netIdAnswers++;
        }
    }

    private void onNetIdPacket(Peer peer, PacketReader r, Transport via, InetSocketAddress source, long now) {
        if (r.hopCount() != 0) {
            return;
        }
        try {
            Message.NetId m = (Message.NetId)
                    Message.decode(MessageType.NETID.code(), r.buffer(), r.payloadOffset(), r.payloadLimit());
            netId.onNetId(peer, via, source, m, now);
        } catch (WireException e) {
            // Malformed: dropped.
        }
    }

    /** NETID requests and what they reported, per local socket (DECISIONS 35). */
    final class NetIdClient {
        /** Outstanding requests: at most one per relay. */
        final Map<RelayRef, int[]> pending = new HashMap<>();

        final Map<RelayRef, Long> lastAsked = new HashMap<>();
        final Map<RelayRef, Long> lastAnswered = new HashMap<>();
        /** Per transport, per observer endpoint, the public endpoint reported (insertion ordered). */
        final Map<Transport, java.util.LinkedHashMap<InetSocketAddress, InetSocketAddress>> seen = new HashMap<>();

        final Map<Transport, NatType> types = new HashMap<>();
        /** Per transport, when its first NETID answer came. */
        final Map<Transport, Long> firstAnswer = new HashMap<>();

        void tick(long now) {
            List<RelayRef> rs = env.relays();
            for (int i = 0; i < rs.size() && i < 8; i++) {
                RelayRef r = rs.get(i);
                Long answered = lastAnswered.get(r);
                Long asked = lastAsked.get(r);
                long every = answered == null ? NETID_RETRY_NANOS : NETID_INTERVAL_NANOS;
                if (asked != null && now - asked < every) {
                    continue;
                }
                Peer p = engine.peer(r.address());
                if (p == null) {
                    continue;
                }
                int id = random.nextInt();
                lastAsked.put(r, now);
                pending.put(r, new int[] {id});
                engine.sendMessageTo(
                        p, r.transport(), r.endpoint(), new Message.NetIdReq(id, Endpoint.Unspecified.INSTANCE), false);
            }
            if (lastAsked.size() > 16) {
                lastAsked.keySet().retainAll(rs);
                lastAnswered.keySet().retainAll(rs);
                pending.keySet().retainAll(rs);
            }
        }

        void onNetId(Peer peer, Transport via, InetSocketAddress source, Message.NetId m, long now) {
            RelayRef hit = null;
            for (Map.Entry<RelayRef, int[]> e : pending.entrySet()) {
                RelayRef r = e.getKey();
                if (e.getValue()[0] == m.requestId()
                        && r.address().equals(peer.address())
                        && r.transport() == via
                        && r.endpoint().equals(source)) {
                    hit = r;
                    break;
                }
            }
            if (hit == null || !(m.endpoint() instanceof Endpoint.Ip ip) || !ip.isUdp()) {
                return;
            }
            pending.remove(hit);
            lastAnswered.put(hit, now);
            via = via.underlying(); // a relay link's mapping is its UDP socket's
            // Read before the answer is recorded: a new public endpoint makes the EPIs go again.
            InetSocketAddress oldPublic = publicEndpoint(via);
            java.util.LinkedHashMap<InetSocketAddress, InetSocketAddress> obs =
                    seen.computeIfAbsent(via, k -> new java.util.LinkedHashMap<>());
            firstAnswer.putIfAbsent(via, now);
            obs.put(source, ip.toSocketAddress());
            while (obs.size() > 8) {
                obs.remove(obs.keySet().iterator().next());
            }
            NatType before = types.get(via);
            NatType t = classify(via, obs);
            types.put(via, t);
            localNat = t;
            stats.natObservers = obs.size();
            if (before != t) {
                LOG.log(
                        System.Logger.Level.DEBUG,
                        "NAT of {0}: {1}, public endpoint {2}",
                        via.name(),
                        t,
                        ip.toSocketAddress());
            }
            if (!ip.toSocketAddress().equals(oldPublic)) {
                // Peers in a round heard only our interface endpoints so far: tell them this one now.
                for (Session s : sessions.values()) {
                    if (!s.hasDirect() && inRound(s, now)) {
                        sendEpis(s, now);
                    }
                }
            }
        }

        private NatType classify(Transport via, Map<InetSocketAddress, InetSocketAddress> obs) {
            InetSocketAddress local = via.localAddress();
            List<InetAddress> ips = new ArrayList<>();
            if (local.getAddress().isAnyLocalAddress()) {
                for (InetSocketAddress i : env.interfaceEndpoints(via)) {
                    ips.add(i.getAddress());
                }
            } else {
                ips.add(local.getAddress());
            }
            return NatType.classify(local.getPort(), ips, new ArrayList<>(obs.values()));
        }

        InetSocketAddress publicEndpoint(Transport t) {
            java.util.LinkedHashMap<InetSocketAddress, InetSocketAddress> obs = seen.get(t.underlying());
            if (obs == null || obs.isEmpty()) {
                return null;
            }
            InetSocketAddress last = null;
            for (InetSocketAddress m : obs.values()) {
                last = m;
            }
            return last;
        }

        NatType type(Transport t) {
            Transport u = t.underlying();
            NatType n = types.get(u);
            if (n == null || (n == NatType.HARD_RANDOM && awaitingSecond(u))) {
                return NatType.UNKNOWN;
            }
            return n;
        }

        /**
         * One observer saw the port changed, and another relay this socket reaches has not answered
         * yet (for at most {@link #NETID_RETRY_NANOS} after the first answer): its answer may show
         * ports in sequence (mode 2), and a mode-3 verdict would have opened 64 sockets, each a
         * new mapping that moves a sequential NAT's next port out of the peer's prediction.
         * Meanwhile the public endpoint is announced in mode 1.
         */
        private boolean awaitingSecond(Transport u) {
            java.util.LinkedHashMap<InetSocketAddress, InetSocketAddress> obs = seen.get(u);
            Long first = firstAnswer.get(u);
            if (obs == null || obs.size() != 1 || first == null || engine.now() - first >= NETID_RETRY_NANOS) {
                return false;
            }
            for (RelayRef r : env.relays()) {
                if (r.transport().underlying() == u && !obs.containsKey(r.endpoint())) {
                    return true;
                }
            }
            return false;
        }

        InetSocketAddress highestPort(Transport t) {
            java.util.LinkedHashMap<InetSocketAddress, InetSocketAddress> obs = seen.get(t.underlying());
            InetSocketAddress best = null;
            for (InetSocketAddress m : obs == null ? List.<InetSocketAddress>of() : obs.values()) {
                if (best == null || m.getPort() > best.getPort()) {
                    best = m;
                }
            }
            return best;
        }

        int step(Transport t) {
            java.util.LinkedHashMap<InetSocketAddress, InetSocketAddress> obs = seen.get(t.underlying());
            return obs == null ? 0 : NatType.sequentialStep(new ArrayList<>(obs.values()));
        }
    }
}
