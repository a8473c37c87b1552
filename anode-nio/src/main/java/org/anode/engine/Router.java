package org.anode.engine;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NoRouteToHostException;
import java.net.StandardProtocolFamily;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;
import org.anode.address.AnodeAddress;
import org.anode.address.Zone;

import org.anode.zone.ZoneFile;
import org.anode.zone.ZoneRelay;

/**
 * Finds a path to an address (draft 2.1, 2.3, 2.3.1; DECISIONS 31, 33): what the node already
 * knows first (configured or learned endpoints), then the address's zone relay - zone file,
 * {@code zr} entry chosen by the address's byte sum, registration with that relay, and a relayed
 * path through it, proven when the recipient answers a PING sent that way.
 *
 * <p>Also keeps the node reachable: when its own zone has relays it PINGs its designated relay at
 * start and every {@link #ANNOUNCE_INTERVAL_NANOS} (this registers it, DECISIONS 33, and keeps its
 * NAT mapping open), and it PINGs every other relay it routes through at the same interval while
 * a peer reached through it was sent to within the registration lifetime.
 *
 * <p>A peer may have several paths (its endpoints: direct ones, relayed ones); the engine ranks
 * them by hop count, then freshness ({@link PeerEndpoint}), so a direct path found later (NAT
 * traversal, an endpoint the application adds) wins over the relay at once.
 *
 * <p>Failure reasons ({@link NoRouteToHostException} messages): the zone file could not be had,
 * the zone has no relays, the relay did not answer (relay silent), the relay reported the
 * recipient as not registered (ERROR 04, addendum A6), or the relay answered but the recipient did
 * not within the route timeout.
 *
 * <p>Threading: {@link #resolve} and {@link #pathTo} are thread-safe; everything else runs on the
 * event loop. Zone files are looked up on the executor given (they may need HTTP).
 */
public final class Router {
    private static final System.Logger LOG = System.getLogger(Router.class.getName());
    /** DECISIONS 33: a node PINGs its designated relay (and relays in use) this often. */
    public static final long ANNOUNCE_INTERVAL_NANOS = 25_000_000_000L;
    /** How often an unanswered resolution repeats its PINGs (relay and recipient). */
    static final long PROBE_INTERVAL_NANOS = 1_000_000_000L;
    /** A relay counts as in use this long after a peer reached through it was last sent to. */
    static final long IN_USE_NANOS = 120_000_000_000L;
    /** Retry delay after the own zone file could not be had. */
    static final long ANNOUNCE_RETRY_NANOS = 30_000_000_000L;
    /** Most resolutions in progress at once. */
    static final int MAX_PENDING = 1024;

    /**
     * Where zone files come from (DECISIONS 32: overrides, DNS URL, IP fallback, TTL cache), e.g.
     * {@code ZoneDirectory::lookup}. Must not block; the future fails when the zone has no file.
     */
    @FunctionalInterface
    public interface ZoneLookup {
        CompletableFuture<ZoneFile> lookup(Zone zone);
    }

    /** What the router knows about one relay it uses. */
    static final class RelayState {
        final AnodeAddress address;
        final Transport transport;
        final InetSocketAddress endpoint;
        boolean own;
        long lastPongNanos = Long.MIN_VALUE;
        long lastPingNanos = Long.MIN_VALUE;
        boolean answered;
        long inUseUntil;

        RelayState(AnodeAddress address, Transport transport, InetSocketAddress endpoint) {
            this.address = address;
            this.transport = transport;
            this.endpoint = endpoint;
        }
    }

    /** One address being resolved. */
    private final class Resolution {
        final AnodeAddress target;
        final CompletableFuture<Peer> future = new CompletableFuture<>();
        final long deadline;
        RelayState relay;
        Peer peer;
        String zoneFailure;
        boolean notRegistered;
        EventLoop.Timer timer;

        Resolution(AnodeAddress target, long deadline) {
            this.target = target;
            this.deadline = deadline;
        }
    }

    private final Engine engine;
    private final EventLoop loop;
    private final ZoneLookup zones;
    private final Function<InetSocketAddress, Transport> transports;
    private final long timeoutNanos;
    private final long announceNanos;
    private final Map<AnodeAddress, RelayState> relays = new HashMap<>();
    private final Map<AnodeAddress, Resolution> pending = new HashMap<>();
    private volatile Map<InetSocketAddress, AnodeAddress> relayByEndpoint = Map.of();
    private EventLoop.Timer announceTimer;
    private volatile boolean closed;

    /**
     * @param transports the node's transport able to reach an endpoint, or null
     * @param timeout how long a resolution may take (DECISIONS 31: 10 s by default)
     * @param announceInterval how often relays are PINGed (DECISIONS 33: {@link #ANNOUNCE_INTERVAL_NANOS})
     */
    public Router(Engine engine, EventLoop loop, ZoneLookup zones, Function<InetSocketAddress, Transport> transports,
            Duration timeout, Duration announceInterval) {
        this.engine = engine;
        this.loop = loop;
        this.zones = zones;
        this.transports = transports;
        this.timeoutNanos = timeout.toNanos();
        this.announceNanos = announceInterval.toNanos();
        engine.setRouter(this);
    }

    // ------------------------------------------------------------------ announce

    /**
     * Starts announcing: looks up the node's own zone file and, if it names relays, registers with
     * the designated one now and every {@link #ANNOUNCE_INTERVAL_NANOS} (DECISIONS 33). Thread-safe.
     */
    public void startAnnouncing() {
        AnodeAddress self = engine.address();
        zones.lookup(self.zone()).whenComplete((f, e) -> {
            if (e != null) {
                LOG.log(System.Logger.Level.DEBUG, "own zone file: " + e.getMessage());
                retryAnnounce();
                return;
            }
            loop.execute(() -> {
                if (closed) {
                    return;
                }
                Optional<ZoneRelay> zr = f.relayFor(self);
                if (zr.isEmpty()) {
                    LOG.log(System.Logger.Level.DEBUG, "zone {0} has no relays: LAN only", self.zone());
                    return;
                }
                RelayState r = relayState(zr.get());
                if (r == null) {
                    return;
                }
                r.own = true;
                pingRelay(r);
                scheduleAnnounce();
            });
        });
    }

    private void retryAnnounce() {
        loop.execute(() -> {
            if (!closed) {
                loop.schedule(ANNOUNCE_RETRY_NANOS, this::startAnnouncing);
            }
        });
    }

    private void scheduleAnnounce() {
        if (announceTimer == null && !closed) {
            announceTimer = loop.schedule(announceNanos, this::announceTick);
        }
    }

    /** Every 25 s: PING the own relay, and every relay a recently used peer is reached through. */
    private void announceTick() {
        announceTimer = null;
        if (closed) {
            return;
        }
        long now = engine.now();
        for (Peer p : engine.peers()) {
            PeerEndpoint e = p.bestEndpoint();
            if (e != null && e.hops() > 0) {
                AnodeAddress ra = relayByEndpoint.get(e.address());
                RelayState r = ra == null ? null : relays.get(ra);
                long sent = p.lastSentNanos();
                if (r != null && sent != org.anode.wire.SenderForm.NEVER_ANSWERED) {
                    long until = sent + IN_USE_NANOS;
                    if (until - r.inUseUntil > 0) {
                        r.inUseUntil = until;
                    }
                }
            }
        }
        boolean any = false;
        for (RelayState r : relays.values()) {
            if (r.own || r.inUseUntil - now > 0) {
                pingRelay(r);
                any = true;
            }
        }
        if (any) {
            scheduleAnnounce();
        }
    }

    // ------------------------------------------------------------------ resolve

    /**
     * A path to {@code target}: completes with its peer at once if it has an endpoint, else when a
     * relayed path is proven; fails with {@link NoRouteToHostException} (the reason in its
     * message) when every way failed or the route timeout passed. Thread-safe.
     */
    public CompletableFuture<Peer> resolve(AnodeAddress target) {
        Peer known = engine.peer(target);
        if (known != null && usable(known) && !pendingContains(target)) {
            return CompletableFuture.completedFuture(known);
        }
        CompletableFuture<Peer> f = new CompletableFuture<>();
        if (closed) {
            f.completeExceptionally(new java.nio.channels.ClosedChannelException());
            return f;
        }
        loop.execute(() -> startResolve(target).future.whenComplete((p, e) -> {
            if (e != null) {
                f.completeExceptionally(e);
            } else {
                f.complete(p);
            }
        }));
        return f;
    }

    /**
     * True if the peer's best path may carry traffic without a resolution: a direct endpoint
     * (configured or learned), or a relayed one that packets have come back over. A relayed path
     * the router installed and the recipient never answered on is not enough.
     */
    public static boolean usable(Peer p) {
        PeerEndpoint e = p.bestEndpoint();
        return e != null && (e.hops() == 0 || e.lastHeardNanos() != PeerEndpoint.NEVER);
    }

    private boolean pendingContains(AnodeAddress a) {
        // Read from other threads only as a hint; the loop re-checks.
        synchronized (pending) {
            return pending.containsKey(a);
        }
    }

    private Resolution startResolve(AnodeAddress target) {
        Resolution existing;
        synchronized (pending) {
            existing = pending.get(target);
        }
        if (existing != null) {
            return existing;
        }
        long now = engine.now();
        Resolution res = new Resolution(target, now + timeoutNanos);
        Peer known = engine.peer(target);
        if (known != null && usable(known)) {
            res.future.complete(known);
            return res;
        }
        if (target.equals(engine.address())) {
            res.future.completeExceptionally(new NoRouteToHostException("that is this node's own address"));
            return res;
        }
        synchronized (pending) {
            if (pending.size() >= MAX_PENDING) {
                res.future.completeExceptionally(new NoRouteToHostException("too many addresses being resolved ("
                        + MAX_PENDING + ")"));
                return res;
            }
            pending.put(target, res);
        }
        res.timer = loop.schedule(timeoutNanos, () -> fail(res, timeoutReason(res)));
        zones.lookup(target.zone()).whenComplete((f, e) -> loop.execute(() -> {
            if (e != null) {
                Throwable c = e instanceof java.util.concurrent.CompletionException && e.getCause() != null
                        ? e.getCause() : e;
                res.zoneFailure = "zone file of zone " + target.zone() + " unreachable: " + c.getMessage();
                fail(res, res.zoneFailure);
            } else {
                onZoneFile(res, f);
            }
        }));
        return res;
    }

    private void onZoneFile(Resolution res, ZoneFile f) {
        if (res.future.isDone()) {
            return;
        }
        Optional<ZoneRelay> zr = f.relayFor(res.target);
        if (zr.isEmpty()) {
            fail(res, "zone " + res.target.zone() + " has no relays (its addresses are reachable on their LAN only)");
            return;
        }
        ZoneRelay z = zr.get();
        AnodeAddress relayAddress = z.addresses().get(0);
        long now = engine.now();
        if (relayAddress.equals(engine.address())) {
            // This node is the designated relay: the recipient is reachable if registered here.
            Relay rl = engine.relay();
            InetSocketAddress ep = rl == null ? null : rl.endpointOf(res.target, now);
            if (ep == null) {
                fail(res, "recipient " + res.target + " not registered at its zone relay (this node)");
                return;
            }
            try {
                res.peer = engine.addPeer(res.target, rl.transportOf(res.target, now), ep);
            } catch (java.security.InvalidKeyException | RuntimeException e) {
                fail(res, "cannot reach " + res.target + ": " + e.getMessage());
                return;
            }
            probe(res);
            return;
        }
        RelayState r = relayState(z);
        if (r == null) {
            fail(res, "zone relay zr." + Integer.toHexString(z.index()) + " of zone " + res.target.zone()
                    + " has no IP address this node can reach");
            return;
        }
        res.relay = r;
        try {
            res.peer = engine.addRelayedPath(res.target, r.transport, r.endpoint);
        } catch (java.security.InvalidKeyException | RuntimeException e) {
            fail(res, "cannot reach " + res.target + ": " + e.getMessage());
            return;
        }
        r.inUseUntil = now + IN_USE_NANOS;
        probe(res);
        scheduleAnnounce();
    }

    /** The relay's state, creating it (and its configured peer entry) on first use; null if unreachable. */
    private RelayState relayState(ZoneRelay z) {
        AnodeAddress a = z.addresses().get(0);
        RelayState r = relays.get(a);
        if (r != null) {
            return r;
        }
        InetSocketAddress ep = null;
        Transport t = null;
        for (StandardProtocolFamily fam : new StandardProtocolFamily[] {StandardProtocolFamily.INET,
                StandardProtocolFamily.INET6}) {
            Optional<InetAddress> ip = z.pickIp(fam);
            if (ip.isPresent()) {
                InetSocketAddress cand = new InetSocketAddress(ip.get(), z.udpPort());
                Transport ct = transports.apply(cand);
                if (ct != null) {
                    ep = cand;
                    t = ct;
                    break;
                }
            }
        }
        if (t == null) {
            return null;
        }
        try {
            engine.addPeer(a, t, ep);
        } catch (java.security.InvalidKeyException | RuntimeException e) {
            LOG.log(System.Logger.Level.DEBUG, "relay " + a + " unusable: " + e);
            return null;
        }
        r = new RelayState(a, t, ep);
        relays.put(a, r);
        Map<InetSocketAddress, AnodeAddress> m = new HashMap<>(relayByEndpoint);
        m.put(ep, a);
        relayByEndpoint = Map.copyOf(m);
        return r;
    }

    /** PINGs the relay (registering this node there, DECISIONS 33) and the target through it. */
    private void probe(Resolution res) {
        if (res.future.isDone() || closed) {
            return;
        }
        long now = engine.now();
        if (res.relay != null && (res.relay.lastPingNanos == Long.MIN_VALUE
                || now - res.relay.lastPingNanos >= PROBE_INTERVAL_NANOS / 2)) {
            pingRelay(res.relay);
        }
        Peer p = res.peer;
        long id = engine.ping(p, new Handlers.PingCallback() {
            @Override
            public void pong(long rttNanos) {
                succeed(res);
            }

            @Override
            public void failed(Exception cause) {
                // Timed out (re-sent below) or not sendable; the deadline decides.
            }
        });
        if (id != 0) {
            loop.schedule(PROBE_INTERVAL_NANOS * 3, () -> engine.expirePing(id));
        }
        loop.schedule(PROBE_INTERVAL_NANOS, () -> probe(res));
    }

    private void pingRelay(RelayState r) {
        Peer p = engine.peer(r.address);
        if (p == null) {
            try {
                p = engine.addPeer(r.address, r.transport, r.endpoint);
            } catch (java.security.InvalidKeyException | RuntimeException e) {
                return;
            }
        }
        r.lastPingNanos = engine.now();
        long id = engine.ping(p, new Handlers.PingCallback() {
            @Override
            public void pong(long rttNanos) {
                r.answered = true;
                r.lastPongNanos = engine.now();
            }

            @Override
            public void failed(Exception cause) {
                // The next announce or probe tries again.
            }
        });
        if (id != 0) {
            loop.schedule(PROBE_INTERVAL_NANOS * 3, () -> engine.expirePing(id));
        }
    }

    private void succeed(Resolution res) {
        if (res.future.isDone()) {
            return;
        }
        remove(res);
        res.future.complete(res.peer);
    }

    private void fail(Resolution res, String reason) {
        if (res.future.isDone()) {
            return;
        }
        remove(res);
        LOG.log(System.Logger.Level.DEBUG, "no route to {0}: {1}", res.target, reason);
        res.future.completeExceptionally(new NoRouteToHostException(reason));
    }

    private void remove(Resolution res) {
        synchronized (pending) {
            pending.remove(res.target, res);
        }
        if (res.timer != null) {
            res.timer.cancel();
        }
    }

    private String timeoutReason(Resolution res) {
        String t = Duration.ofNanos(timeoutNanos).toMillis() + " ms";
        if (res.zoneFailure != null) {
            return res.zoneFailure;
        }
        if (res.peer == null) {
            return "zone file of zone " + res.target.zone() + " unreachable: no answer within " + t;
        }
        if (res.relay == null) {
            return "recipient " + res.target + " did not answer within " + t;
        }
        String relay = "zone relay " + res.relay.address + " at " + res.relay.endpoint;
        if (!res.relay.answered) {
            return relay + " silent: no answer within " + t;
        }
        return "recipient " + res.target + " not registered at " + relay + " (the relay answered, the recipient"
                + " did not within " + t + ")";
    }

    // ------------------------------------------------------------------ engine hooks

    /**
     * An authenticated ERROR from a peer (event loop): ERROR 04 from a relay names, as its
     * argument, the short id of a recipient it has no registration for (addendum A6); a
     * resolution of that recipient through that relay fails at once with that reason.
     */
    void onError(Peer from, int code, long argument, boolean hasArgument) {
        if (code != org.anode.wire.ErrorCode.RELAY_RECIPIENT_UNREACHABLE.code() || !hasArgument) {
            return;
        }
        List<Resolution> hit = new ArrayList<>();
        synchronized (pending) {
            for (Resolution r : pending.values()) {
                if (r.relay != null && r.relay.address.equals(from.address())
                        && r.target.shortId().value() == argument) {
                    hit.add(r);
                }
            }
        }
        for (Resolution r : hit) {
            r.notRegistered = true;
            fail(r, "recipient " + r.target + " not registered at its zone relay " + from.address() + " at "
                    + r.relay.endpoint + " (ERROR 04)");
        }
    }

    // ------------------------------------------------------------------ queries

    /** How {@code a} is reached now, or empty if no path is known. Thread-safe. */
    public Optional<PeerPath> pathTo(AnodeAddress a) {
        Peer p = engine.peer(a);
        if (p == null) {
            return Optional.empty();
        }
        PeerEndpoint[] eps = p.endpoints();
        if (eps.length == 0) {
            return Optional.empty();
        }
        PeerEndpoint e = eps[0];
        boolean relayed = e.hops() > 0;
        Optional<AnodeAddress> relay = relayed ? Optional.ofNullable(relayByEndpoint.get(e.address()))
                : Optional.empty();
        if (relayed && relay.isEmpty()) {
            // Learned from a relayed packet: name the peer we know at that endpoint directly, if any.
            for (Peer q : engine.peers()) {
                PeerEndpoint b = q.bestEndpoint();
                if (q != p && b != null && b.hops() == 0 && b.address().equals(e.address())) {
                    relay = Optional.of(q.address());
                    break;
                }
            }
        }
        long rtt = p.smoothedRttNanos();
        return Optional.of(new PeerPath(a, relayed, e.address(), relay, Math.max(e.hops(), relayed ? 1 : 0),
                rtt < 0 ? Optional.empty() : Optional.of(Duration.ofNanos(rtt)), eps.length));
    }

    /** Relays this node registers with (its own, and those in use). Event loop or tests. */
    int relayCount() {
        return relays.size();
    }

    /** Stops the announce timer and fails pending resolutions (node shutdown). */
    public void close() {
        closed = true;
        List<Resolution> all;
        synchronized (pending) {
            all = new ArrayList<>(pending.values());
            pending.clear();
        }
        for (Resolution r : all) {
            r.future.completeExceptionally(new java.nio.channels.ClosedChannelException());
        }
    }
}
