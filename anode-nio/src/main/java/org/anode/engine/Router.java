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
 * <p>It follows the zone file without a restart (DECISIONS 32, addendum A11): every announce
 * re-reads the own zone file from the TTL cache (a stale file is refreshed in the background) and
 * moves the registration to the relay the file names now; a relay that misses
 * three PINGs in a row is silent, its addresses go to the next
 * {@code zr} entry ({@code RelayHealth}), paths through it are dropped and re-resolved, and the
 * own zone file is fetched again at once.
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

        /**
         * Fetches the zone's file now even if the cached one is fresh (its relays stopped
         * answering), e.g. {@code ZoneDirectory::refresh}; by default {@link #lookup}.
         */
        default CompletableFuture<ZoneFile> refresh(Zone zone) {
            return lookup(zone);
        }

        /** Lookups and refreshes of a {@link org.anode.zone.ZoneDirectory} (its TTL cache, DECISIONS 32). */
        static ZoneLookup of(org.anode.zone.ZoneDirectory directory) {
            return new ZoneLookup() {
                @Override
                public CompletableFuture<ZoneFile> lookup(Zone zone) {
                    return directory.lookup(zone);
                }

                @Override
                public CompletableFuture<ZoneFile> refresh(Zone zone) {
                    return directory.refresh(zone);
                }
            };
        }
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
        boolean rerouting;
        EventLoop.Timer timer;
        /** LAN discovery (DECISIONS 37): when it gives up, and why the other ways failed meanwhile. */
        long lanUntil;

        String otherFailure;

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
    // Relay failover and zone file changes (addendum A11): event loop only.
    private final RelayHealth health = new RelayHealth();
    private RelayState ownRelay;
    private boolean announcing;
    private volatile Map<InetSocketAddress, AnodeAddress> relayByEndpoint = Map.of();
    private EventLoop.Timer announceTimer;
    private volatile boolean closed;
    private volatile Lan lan;

    // ------------------------------------------------------------------ LAN discovery (DECISIONS 31, 37)

    /** LAN discovery as the router sees it: one more way to find an address, in parallel. */
    public interface Lan {
        /** {@code target} is wanted and has no proven path: look for it on the LAN (event loop). */
        void want(AnodeAddress target);

        /** How long a search on the LAN may go on before that way counts as failed. */
        long windowNanos();
    }

    /** How often a resolution looks whether the LAN has given it a direct path. */
    static final long LAN_POLL_NANOS = 20_000_000L;

    /** Adds LAN discovery as a way of finding addresses (null: none). */
    public void setLan(Lan l) {
        this.lan = l;
    }

    /** Starts the LAN way for a new resolution: a query now, a look for its answer every 20 ms. */
    private void startLan(Resolution res, long now) {
        Lan l = lan;
        if (l == null) {
            return;
        }
        res.lanUntil = now + l.windowNanos();
        l.want(res.target);
        lanPoll(res);
    }

    private void lanPoll(Resolution res) {
        if (res.future.isDone() || closed) {
            return;
        }
        Peer p = engine.peer(res.target);
        if (p != null && usable(p)) {
            res.peer = p;
            succeed(res);
            return;
        }
        if (engine.now() - res.lanUntil >= 0) {
            if (res.otherFailure != null) {
                fail(res, res.otherFailure + "; not found on the LAN either");
            }
            return;
        }
        loop.schedule(LAN_POLL_NANOS, () -> lanPoll(res));
    }

    /** One way (zone file, relay) failed: the resolution fails unless the LAN is still looking. */
    private void wayFailed(Resolution res, String reason) {
        if (lan != null && engine.now() - res.lanUntil < 0) {
            res.otherFailure = reason;
            return;
        }
        fail(res, reason);
    }
    // ---- fallback transports (DECISIONS 38): hook set by the node, see RelayCarriers
    private volatile RelayCarriers relayCarriers;

    /**
     * Makes the transport a relay is reached by (DECISIONS 38): given the relay's zr entry, its zone
     * file (for {@code zh} URIs), the UDP endpoint chosen and the UDP transport that reaches it,
     * returns the transport to use for that endpoint (one that may fall back to TCP and HTTP while
     * keeping the endpoint), or {@code udp} itself.
     */
    @FunctionalInterface
    public interface RelayCarriers {
        Transport carrier(ZoneFile file, ZoneRelay relay, InetSocketAddress udpEndpoint, Transport udp);
    }

    /** Sets the {@link RelayCarriers} hook; relays met before keep their transport. */
    public void setRelayCarriers(RelayCarriers c) {
        this.relayCarriers = c;
    }
    // ---- end fallback hook

    /**
     * @param transports the node's transport able to reach an endpoint, or null
     * @param timeout how long a resolution may take (DECISIONS 31: 10 s by default)
     * @param announceInterval how often relays are PINGed (DECISIONS 33: {@link #ANNOUNCE_INTERVAL_NANOS})
     */
    public Router(
            Engine engine,
            EventLoop loop,
            ZoneLookup zones,
            Function<InetSocketAddress, Transport> transports,
            Duration timeout,
            Duration announceInterval) {
        this.engine = engine;
        this.loop = loop;
        this.zones = zones;
        this.transports = transports;
        this.timeoutNanos = timeout.toNanos();
        this.announceNanos = announceInterval.toNanos();
        engine.setRouter(this);
        engine.setUsedRelays(this::isRelayEndpoint);
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
                announcing = true;
                onOwnZoneFile(f);
            });
        });
    }

    /**
     * The current file of the node's own zone (event loop): registers with the relay it names for
     * this node now, if that is not the relay it registers with already (addendum A11: the file
     * changed, or the relay went silent).
     */
    private void onOwnZoneFile(ZoneFile f) {
        if (closed) {
            return;
        }
        AnodeAddress self = engine.address();
        Optional<ZoneRelay> zr = health.choose(f, self, engine.now());
        if (zr.isEmpty()) {
            if (ownRelay != null) {
                LOG.log(System.Logger.Level.INFO, "zone {0} no longer has relays: LAN only", self.zone());
                ownRelay.own = false;
                ownRelay = null;
            } else {
                LOG.log(System.Logger.Level.DEBUG, "zone {0} has no relays: LAN only", self.zone());
            }
            return;
        }
        if (zr.get().addresses().get(0).equals(self)) {
            return;
        }
        RelayState r = relayState(f, zr.get());
        if (r == null || r == ownRelay) {
            return;
        }
        if (ownRelay != null) {
            LOG.log(
                    System.Logger.Level.INFO,
                    "own zone relay moves from {0} to {1} at {2}",
                    ownRelay.address,
                    r.address,
                    r.endpoint);
            ownRelay.own = false;
        }
        r.own = true;
        ownRelay = r;
        pingRelay(r);
        scheduleAnnounce();
    }

    /** Re-reads the own zone file (cached; a stale one is refreshed in the background, DECISIONS 32). */
    private void recheckOwnZone(boolean force) {
        if (!announcing || closed) {
            return;
        }
        Zone z = engine.address().zone();
        (force ? zones.refresh(z) : zones.lookup(z)).whenComplete((f, e) -> {
            if (f != null) {
                loop.execute(() -> onOwnZoneFile(f));
            }
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
        recheckOwnZone(false);
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
        if (any || announcing) {
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
                res.future.completeExceptionally(
                        new NoRouteToHostException("too many addresses being resolved (" + MAX_PENDING + ")"));
                return res;
            }
            pending.put(target, res);
        }
        res.timer = loop.schedule(timeoutNanos, () -> fail(res, timeoutReason(res)));
        startLan(res, now);
        zones.lookup(target.zone())
                .whenComplete((f, e) -> loop.execute(() -> {
                    if (e != null) {
                        Throwable c = e instanceof java.util.concurrent.CompletionException && e.getCause() != null
                                ? e.getCause()
                                : e;
                        boolean malformed = c instanceof org.anode.zone.ZoneUnavailableException z
                                && z.reason() == org.anode.zone.ZoneUnavailableException.Reason.MALFORMED;
                        res.zoneFailure = "zone file of zone " + target.zone()
                                + (malformed ? " malformed" : " unreachable") + ": " + c.getMessage();
                        wayFailed(res, res.zoneFailure);
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
        Optional<ZoneRelay> zr = health.choose(f, res.target, engine.now());
        if (zr.isEmpty()) {
            wayFailed(
                    res,
                    "zone " + res.target.zone() + " has no relays (its addresses are reachable on their LAN only)");
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
                wayFailed(res, "recipient " + res.target + " not registered at its zone relay (this node)");
                return;
            }
            try {
                res.peer = engine.addPeer(res.target, rl.transportOf(res.target, now), ep);
            } catch (java.security.InvalidKeyException | RuntimeException e) {
                wayFailed(res, "cannot reach " + res.target + ": " + e.getMessage());
                return;
            }
            probe(res);
            return;
        }
        RelayState r = relayState(f, z);
        if (r == null) {
            wayFailed(
                    res,
                    "zone relay zr." + Integer.toHexString(z.index()) + " of zone " + res.target.zone()
                            + " has no IP address this node can reach");
            return;
        }
        res.relay = r;
        try {
            res.peer = engine.addRelayedPath(res.target, r.transport, r.endpoint);
        } catch (java.security.InvalidKeyException | RuntimeException e) {
            wayFailed(res, "cannot reach " + res.target + ": " + e.getMessage());
            return;
        }
        r.inUseUntil = now + IN_USE_NANOS;
        probe(res);
        scheduleAnnounce();
    }

    /** The relay's state, creating it (and its configured peer entry) on first use; null if unreachable. */
    private RelayState relayState(ZoneFile f, ZoneRelay z) {
        AnodeAddress a = z.addresses().get(0);
        RelayState r = relays.get(a);
        if (r != null) {
            return r;
        }
        InetSocketAddress ep = null;
        Transport t = null;
        for (StandardProtocolFamily fam :
                new StandardProtocolFamily[] {StandardProtocolFamily.INET, StandardProtocolFamily.INET6}) {
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
        RelayCarriers rc = relayCarriers;
        if (rc != null) {
            t = rc.carrier(f, z, ep, t);
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
        if (res.relay != null && health.silent(res.relay.address, now) && !res.rerouting) {
            // Addendum A11: the relay went silent; the zone file (re-read) names the next one.
            res.rerouting = true;
            zones.refresh(res.target.zone())
                    .whenComplete((f, e) -> loop.execute(() -> {
                        res.rerouting = false;
                        if (f != null && !res.future.isDone() && health.silent(res.relay.address, engine.now())) {
                            onZoneFile(res, f);
                        }
                    }));
        }
        if (res.relay != null
                && (res.relay.lastPingNanos == Long.MIN_VALUE
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
                health.answered(r.address);
            }

            @Override
            public void failed(Exception cause) {
                if (cause instanceof java.util.concurrent.TimeoutException) {
                    onRelayMiss(r);
                }
            }
        });
        if (id != 0) {
            loop.schedule(PROBE_INTERVAL_NANOS * 3, () -> engine.expirePing(id));
        }
    }

    /**
     * A PING to a relay went unanswered (event loop): a relay the node needs is PINGed again soon,
     * so that a dead one is noticed in seconds; after {@link RelayHealth#SILENT_AFTER} misses in a
     * row it is silent (addendum A11).
     */
    private void onRelayMiss(RelayState r) {
        if (closed) {
            return;
        }
        long now = engine.now();
        if (health.missed(r.address, now)) {
            onRelaySilent(r);
        } else if (!health.silent(r.address, now) && (r.own || r.inUseUntil - now > 0)) {
            loop.schedule(PROBE_INTERVAL_NANOS, () -> {
                if (!closed && !health.silent(r.address, engine.now())) {
                    pingRelay(r);
                }
            });
        }
    }

    /**
     * A relay went silent (addendum A11): paths through it are dropped, peers in use through it are
     * resolved again (through the next relay of their zone file), and if it was this node's own
     * relay the own zone file is fetched again and the node registers with the relay it names.
     */
    private void onRelaySilent(RelayState r) {
        LOG.log(
                System.Logger.Level.INFO,
                "zone relay {0} at {1} silent after {2} unanswered PINGs",
                r.address,
                r.endpoint,
                RelayHealth.SILENT_AFTER);
        long now = engine.now();
        List<AnodeAddress> again = new ArrayList<>();
        for (Peer p : engine.peers()) {
            PeerEndpoint best = p.bestEndpoint();
            boolean inUse = best != null
                    && best.hops() > 0
                    && best.address().equals(r.endpoint)
                    && p.lastSentNanos() != org.anode.wire.SenderForm.NEVER_ANSWERED
                    && now - p.lastSentNanos() < IN_USE_NANOS;
            if (p.removeRelayedEndpoints(r.endpoint) && inUse) {
                again.add(p.address());
            }
        }
        if (r.own) {
            recheckOwnZone(true);
        }
        for (AnodeAddress a : again) {
            startResolve(a);
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
        if (res.otherFailure != null) {
            return res.otherFailure + "; not found on the LAN either";
        }
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
                if (r.relay != null
                        && r.relay.address.equals(from.address())
                        && r.target.shortId().value() == argument) {
                    hit.add(r);
                }
            }
        }
        for (Resolution r : hit) {
            r.notRegistered = true;
            wayFailed(
                    r,
                    "recipient " + r.target + " not registered at its zone relay " + from.address() + " at "
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
        Optional<AnodeAddress> relay =
                relayed ? Optional.ofNullable(relayByEndpoint.get(e.address())) : Optional.empty();
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
        return Optional.of(new PeerPath(
                a,
                relayed,
                e.address(),
                relay,
                Math.max(e.hops(), relayed ? 1 : 0),
                rtt < 0 ? Optional.empty() : Optional.of(Duration.ofNanos(rtt)),
                eps.length));
    }

    /**
     * Whether {@code endpoint} is the endpoint of a zone relay this node registers with or routes
     * through (addendum A10). Thread-safe, allocation-free.
     */
    boolean isRelayEndpoint(InetSocketAddress endpoint) {
        return relayByEndpoint.containsKey(endpoint);
    }

    /** Relays this node registers with (its own, and those in use). Event loop or tests. */
    // ---- NAT traversal hook: the relays NETID asks (DECISIONS 35), own relay first. Event loop.
    public List<NatTraversal.RelayRef> relayRefs() {
        List<NatTraversal.RelayRef> l = new ArrayList<>(relays.size());
        for (RelayState r : relays.values()) {
            if (r.own) {
                l.add(0, new NatTraversal.RelayRef(r.address, r.transport, r.endpoint));
            } else if (r.answered) {
                l.add(new NatTraversal.RelayRef(r.address, r.transport, r.endpoint));
            }
        }
        return l;
    }

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
