package org.anode.nio;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.net.NoRouteToHostException;
import java.net.ProtocolFamily;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.DatagramChannel;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.security.InvalidKeyException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.function.Consumer;
import org.anode.address.AnodeAddress;
import org.anode.address.AnodeIdentity;
import org.anode.engine.Engine;
import org.anode.engine.EventLoop;
import org.anode.engine.Handlers;
import org.anode.engine.PacketReceiver;
import org.anode.engine.Peer;
import org.anode.engine.Transport;
import org.anode.transport.UdpTransport;

/**
 * A running Anode node (draft sections 3 and 4): an identity, one or more UDP sockets (draft
 * 2.9.1), an event-loop thread, a bounded peer table, and the {@link AnodeSelectorProvider} whose
 * channels carry this node's traffic.
 *
 * <pre>{@code
 * AnodeNode node = AnodeNode.start(AnodeIdentity.generate(Zone.DEFAULT), AnodeNodeConfig.defaults());
 * node.addPeerEndpoint(peerAddress, new InetSocketAddress("192.0.2.7", 4242));
 * DatagramChannel ch = node.selectorProvider().openDatagramChannel()
 *         .bind(AnodeSocketAddress.of(node.address(), 7));
 * ch.send(ByteBuffer.wrap(hello), AnodeSocketAddress.of(peerAddress, 7));
 * }</pre>
 *
 * <p>Reaching peers (DECISIONS 31-34): the application may tell the node where a peer is
 * ({@link #addPeerEndpoint}), a peer that sends first is learned from its source endpoint, and any
 * other address is reached through its zone relay: the zone file (the draft's URLs, or a source
 * configured per zone), the designated relay, a registration there, and a relayed path proven by
 * the recipient's answer. Connect, send and ping wait for that (at most
 * {@link AnodeNodeConfig#routeTimeout()}; a non-blocking connect instead returns at once and
 * completes through {@code OP_CONNECT}, and a non-blocking datagram waits in the node, not in the
 * caller) and fail with {@link NoRouteToHostException} and the
 * reason when every way failed; {@link #pathTo} tells how a peer is reached. A node whose own zone
 * has relays registers with its designated relay at start and every 25 s, and a node configured
 * with {@link AnodeNodeConfig.Builder#relay} relays for others. A peer seen later
 * from another source (its NAT mapping moved) is followed once that source answered an endpoint
 * check (draft 4.2.4/4.2.5, one round trip); a replayed packet from a spoofed source never moves
 * its traffic.
 *
 * <p>Security: packets are authenticated, not encrypted (DECISIONS 28); replays are possible
 * (DECISIONS 29). Unauthenticated packets never change state, and the node never answers one with
 * more bytes than it carried (DECISIONS 30).
 *
 * <p>{@link #close()} stops the event loop, closes every channel opened on the node (threads
 * blocked in them get {@link java.nio.channels.AsynchronousCloseException}) and releases the
 * sockets. If the event loop dies (an {@link Error} thrown by something it runs), the node logs it
 * and closes itself the same way.
 */
public final class AnodeNode implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(AnodeNode.class.getName());
    /** Range of ephemeral Anode ports (as IANA's for IP): ports the node picks itself. */
    private static final int EPHEMERAL_LOW = 49152;

    private static final int EPHEMERAL_HIGH = 65535;

    private final AnodeIdentity identity;
    private final AnodeNodeConfig config;
    private final EventLoop loop;
    private final Engine engine;
    private final List<Transport> transports = new java.util.concurrent.CopyOnWriteArrayList<>();
    private final AnodeSelectorProvider provider;
    private final AtomicReferenceArray<AnodeDatagramChannel> ports = new AtomicReferenceArray<>(65536);
    private final Set<java.nio.channels.Channel> channels = ConcurrentHashMap.newKeySet();
    private final AnodeNodeStreams streams;
    private final Object closeLock = new Object();
    private volatile boolean open = true;
    private volatile Consumer<PeerError> errorListener;
    private final org.anode.zone.ZoneDirectory zones;
    private final PendingDatagrams pendingDatagrams = new PendingDatagrams(this);
    private final org.anode.engine.Router router;
    /** LAN discovery (DECISIONS 37), or null when configured off. */
    private volatile org.anode.transport.LanDiscovery lan;
    /** TCP and HTTP transports, both sides (DECISIONS 38). */
    private final NodeCarriers carriers;
    /** NAT traversal, or null when the configuration turns it off. */
    private final NodeNatTraversal nat;

    /**
     * An ERROR (draft 4.2.1) or authentication error response (flag 0x04, draft 3.2) that reached
     * the node. Unauthenticated reports are information only: the node never acts on them
     * (DECISIONS 18), and neither should the application beyond logging.
     *
     * @param claimedSender the sending peer if known; only trustworthy when {@code authenticated}
     * @param source the IP endpoint the packet came from
     * @param code the ERROR code (draft 4.2.1: 1 invalid, 2 authentication failed, 3 relaying not
     *     authorised, 4 relay recipient unreachable), or -1 if the packet carried no ERROR message
     * @param authenticated whether the packet's MAC verified
     */
    public record PeerError(AnodeAddress claimedSender, InetSocketAddress source, int code, boolean authenticated) {}

    /**
     * A snapshot of what the node did with the packets it received.
     *
     * @param received packets handed to the engine
     * @param malformed dropped as malformed (draft 3, DECISIONS 16-20)
     * @param notForUs dropped because the recipient was another address
     * @param authFailed dropped because no candidate's MAC verified (draft 3.3, 3.5)
     * @param authErrorResponses flag 0x04 packets (reported only)
     * @param unknownSenderDropped unknown senders over the key-agreement budget or table bound
     * @param accepted packets whose MAC verified
     * @param delivered DGRAMs delivered to a bound port
     * @param noListener DGRAMs (and stream messages) with nothing listening
     * @param unhandledType authenticated messages of a type the node does not handle
     * @param errorReplies ERROR replies sent
     * @param pongsSent PONGs sent
     * @param peerTableFull unknown senders dropped because the table was full of peers that may not
     *     be replaced (configured, in use, or active within 60 s); also in {@code unknownSenderDropped}
     * @param endpointChecks EPC_REQs started for new sources of known peers (draft 4.2.4)
     * @param endpointsProven new endpoints proven by their EPC and put to use (draft 4.2.5)
     * @param peers peers in the table
     * @param relayed authenticated packets that reached this node through a relay (hop count above 0)
     * @param forwarded packets this node forwarded as a relay (DECISIONS 34; 0 unless it relays)
     * @param droppedByPolicy packets this node's relay dropped: hop limit, unregistered recipient,
     *     loop, rate limit (details in {@link #relayStatistics()})
     * @param cookieReplies first contacts answered with an address cookie instead of a key
     *     agreement, while the budget for unknown senders was under pressure (addendum A15); also in
     *     {@code unknownSenderDropped}
     * @param cookiesAccepted valid address cookies received: sources that proved their address (A15)
     * @param cookiePings PINGs this node sent carrying another node's address cookie (A15)
     */
    public record Statistics(
            long received,
            long malformed,
            long notForUs,
            long authFailed,
            long authErrorResponses,
            long unknownSenderDropped,
            long accepted,
            long delivered,
            long noListener,
            long unhandledType,
            long errorReplies,
            long pongsSent,
            long peerTableFull,
            long endpointChecks,
            long endpointsProven,
            int peers,
            long relayed,
            long forwarded,
            long droppedByPolicy,
            long cookieReplies,
            long cookiesAccepted,
            long cookiePings) {}

    private AnodeNode(AnodeIdentity identity, AnodeNodeConfig config) throws IOException {
        this.identity = identity;
        this.config = config;
        this.loop = new EventLoop(config.threadName());
        this.engine = new Engine(identity, config.engineConfig(), System::nanoTime);
        this.provider = new AnodeSelectorProvider(new Channels());
        this.engine.setDatagramHandler(this::deliver);
        this.engine.setErrorHandler(this::onError);
        this.streams = AnodeNodeStreams.forNode(this);
        // A loop that died (an Error in a handler, e.g. OutOfMemoryError) would leave the node
        // "open" with nothing ever waking its callers: close it, so they fail as on close().
        this.loop.setFailureHandler(t -> close());
        // Reaching any address (DECISIONS 31-34): relay role, zone lookups, router.
        if (config.relay() != null) {
            engine.setRelay(new org.anode.engine.Relay(config.relay().toEngine()));
        }
        this.zones = org.anode.zone.ZoneDirectory.create(config.zoneDirectory());
        this.router = new org.anode.engine.Router(
                engine,
                loop,
                org.anode.engine.Router.ZoneLookup.of(zones),
                this::transportFor,
                config.routeTimeout(),
                config.announceInterval());
        // Fallback transports (DECISIONS 38): relays are reached through links that may use TCP or HTTP.
        this.carriers = new NodeCarriers(loop, config.fallback());
        router.setRelayCarriers((file, zr, ep, udp) -> carriers.carrier(
                file,
                zr,
                ep,
                udp,
                new Receiver(),
                relay -> pingAsync(relay, Duration.ofSeconds(3)).exceptionally(e -> null)));
        // ---- NAT traversal (DECISIONS 35, 36)
        this.nat = config.natTraversal() ? new NodeNatTraversal(loop, engine, router, Receiver::new, carriers) : null;
    }

    /**
     * Starts a node: binds its UDP sockets, starts its event loop.
     *
     * @param identity the node's key pair and Anode address
     * @param config sockets, limits and features of the node
     * @return the running node; close it to release its sockets and thread
     * @throws IOException if a configured socket cannot be bound (with the default configuration,
     *     a host without IPv6 gets an IPv4 socket only)
     */
    public static AnodeNode start(AnodeIdentity identity, AnodeNodeConfig config) throws IOException {
        Objects.requireNonNull(identity, "identity");
        Objects.requireNonNull(config, "config");
        AnodeNode n = new AnodeNode(identity, config);
        n.loop.start();
        try {
            if (config.isDefaultBind()) {
                // DECISIONS 40: IPv4 and IPv6 on one port, or a clear failure for a configured one.
                n.transports.addAll(UdpTransport.openPair(
                        n.loop,
                        config.bindAddresses().get(0).getPort(),
                        config.maxPacketIpv4(),
                        config.maxPacketIpv6(),
                        n.new Receiver()));
            } else {
                for (InetSocketAddress bind : config.bindAddresses()) {
                    n.transports.add(
                            UdpTransport.open(n.loop, bind, config.maxPacketFor(bind.getAddress()), n.new Receiver()));
                }
            }
            n.carriers.listen(config, n.new Receiver());
        } catch (IOException | RuntimeException e) {
            n.close();
            throw e;
        }
        // LAN discovery (DECISIONS 37): listens beside the node's sockets, feeds the router.
        if (config.lan()) {
            List<UdpTransport> udp = new ArrayList<>();
            for (Transport t : n.transports) {
                if (t instanceof UdpTransport u) {
                    udp.add(u);
                }
            }
            n.lan = org.anode.transport.LanDiscovery.start(
                    n.loop, n.engine, udp, config.lanPort(), org.anode.engine.Discovery.ANNOUNCE_INTERVAL_NANOS);
            n.router.setLan(n.lan);
        }
        if (config.announce()
                && (identity.address().zone().id() != 0
                        || config.zoneSources().containsKey(identity.address().zone()))) {
            n.router.startAnnouncing();
        }
        if (n.nat != null) {
            n.nat.start();
        }
        LOG.log(System.Logger.Level.DEBUG, "Anode node {0} listening on {1}", identity.address(), n.localEndpoints());
        NodeManagement.register(n);
        return n;
    }

    /**
     * Starts a node with {@link AnodeNodeConfig#defaults()}.
     *
     * @param identity the node's key pair and Anode address
     * @return the running node; close it to release its sockets and thread
     * @throws IOException if no UDP socket can be bound
     */
    public static AnodeNode start(AnodeIdentity identity) throws IOException {
        return start(identity, AnodeNodeConfig.defaults());
    }

    /** {@return this node's Anode address} */
    public AnodeAddress address() {
        return identity.address();
    }

    /** {@return the configuration the node was started with} */
    public AnodeNodeConfig config() {
        return config;
    }

    /** {@return the provider whose channels and selectors use this node} */
    public AnodeSelectorProvider selectorProvider() {
        return provider;
    }

    /**
     * Opens an unbound datagram channel on this node.
     *
     * @return the new channel
     * @throws IOException if the node is closed
     */
    public AnodeDatagramChannel openDatagramChannel() throws IOException {
        return (AnodeDatagramChannel) provider.openDatagramChannel();
    }

    /**
     * {@return the local endpoint of the TCP transport this node serves (draft 2.9.2), if
     * configured}
     */
    public java.util.Optional<InetSocketAddress> tcpEndpoint() {
        return carriers.tcpEndpoint();
    }

    /**
     * {@return the local endpoint of the HTTP transport this node serves (draft 2.9.3), if
     * configured}
     */
    public java.util.Optional<InetSocketAddress> httpEndpoint() {
        return carriers.httpEndpoint();
    }

    /**
     * Serves {@code body} to HTTP GET requests for {@code path} on this node's HTTP transport (the
     * zone file at {@code /z}, DECISIONS 11).
     *
     * @param path the request path, e.g. {@code /z}
     * @param body the response body, served as given
     * @throws IllegalStateException if the node serves no HTTP transport
     */
    public void serveHttp(String path, byte[] body) {
        org.anode.transport.HttpTransport h = carriers.httpTransport();
        if (h == null) {
            throw new IllegalStateException("this node serves no HTTP transport (AnodeNodeConfig.Builder.httpPort)");
        }
        h.serve(path, body);
    }

    /**
     * {@return the endpoint type (draft 2.10: 0x02/0x04 UDP, 0x03/0x05 TCP, 0x06 HTTP) of the
     * carrier a relayed peer's relay is reached over now (DECISIONS 38), or empty if the peer is
     * not reached through a relay this node uses}
     *
     * @param address the peer
     */
    public java.util.Optional<org.anode.wire.EndpointType> carrierTo(AnodeAddress address) {
        return router.pathTo(Objects.requireNonNull(address, "address")).flatMap(p -> carriers.carrierOf(p.endpoint()));
    }

    /** {@return the local IP endpoints of the node's UDP sockets (give one to peers)} */
    public List<InetSocketAddress> localEndpoints() {
        List<InetSocketAddress> l = new ArrayList<>();
        for (Transport t : transports) {
            l.add(t.localAddress());
        }
        return List.copyOf(l);
    }

    /**
     * Tells the node that the peer {@code address} can be reached at the UDP endpoint
     * {@code endpoint}: the documented way to reach a peer before discovery exists. The peer's MAC
     * key is agreed now, once. May be called again to add endpoints (at most
     * {@link AnodeNodeConfig#maxEndpointsPerPeer()} per peer; configured peers are never evicted
     * from the table). Configured endpoints are trusted: traffic goes there without an endpoint
     * check.
     *
     * @param address the peer's Anode address
     * @param endpoint the peer's UDP endpoint, resolved
     * @throws IllegalArgumentException if the endpoint is unresolved, has port 0, is of an address
     *     family no socket of this node can reach, or {@code address} is this node's own
     * @throws IllegalStateException if the peer table is full and every peer in it is configured or
     *     in use by a stream (a configured peer may replace any other learned peer)
     * @throws ClosedChannelException if the node is closed
     */
    public void addPeerEndpoint(AnodeAddress address, InetSocketAddress endpoint) throws IOException {
        Objects.requireNonNull(address, "address");
        Objects.requireNonNull(endpoint, "endpoint");
        ensureOpen();
        if (endpoint.isUnresolved()) {
            throw new IllegalArgumentException("endpoint must be a resolved IP address: " + endpoint);
        }
        if (endpoint.getPort() == 0) {
            // Nothing can be sent to UDP port 0: every packet to the peer would vanish and a
            // stream connect would merely time out.
            throw new IllegalArgumentException(
                    "endpoint port must not be 0 (nothing can be sent to UDP port 0): " + endpoint);
        }
        Transport via = transportFor(endpoint);
        if (via == null) {
            throw new IllegalArgumentException(
                    "no socket of this node can reach " + endpoint + " (bound: " + localEndpoints() + ")");
        }
        try {
            loop.submit(() -> engine.addPeer(address, via, endpoint)).get(10, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            Throwable c = e.getCause();
            if (c instanceof RuntimeException r) {
                throw r;
            }
            if (c instanceof InvalidKeyException) {
                throw new IllegalArgumentException("cannot agree a key with " + address + ": " + c.getMessage(), c);
            }
            throw new IOException(c);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while adding a peer endpoint");
        } catch (TimeoutException e) {
            throw new IOException("event loop did not respond", e);
        }
    }

    private Transport transportFor(InetSocketAddress endpoint) {
        for (Transport t : transports) {
            if (t.canReach(endpoint)) {
                return t;
            }
        }
        return null;
    }

    /**
     * Sends a PING (draft 4.2.2) to the peer and waits for its PONG.
     *
     * @param peer the peer's Anode address
     * @param timeout how long to wait for the PONG once a path is known
     * @return the round-trip time
     * @throws SocketTimeoutException if no PONG arrives within {@code timeout}
     * @throws NoRouteToHostException if no endpoint is known for the peer
     */
    public Duration ping(AnodeAddress peer, Duration timeout) throws IOException {
        CompletableFuture<Duration> f = pingAsync(peer, timeout);
        try {
            // A path may have to be found first (DECISIONS 31): that has its own bound.
            return f.get(
                    timeout.toNanos() + config.routeTimeout().toNanos() + TimeUnit.SECONDS.toNanos(5),
                    TimeUnit.NANOSECONDS);
        } catch (ExecutionException e) {
            Throwable c = e.getCause();
            if (c instanceof TimeoutException) {
                throw new SocketTimeoutException("no PONG from " + peer + " within " + timeout);
            }
            if (c instanceof IOException io) {
                throw io;
            }
            throw new IOException(c);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while waiting for a PONG");
        } catch (TimeoutException e) {
            throw new SocketTimeoutException("no PONG from " + peer + " within " + timeout);
        }
    }

    /**
     * As {@link #ping}, without blocking; completes on the event-loop thread.
     *
     * @param peer the peer's Anode address
     * @param timeout how long to wait for the PONG once a path is known
     * @return the round-trip time, or completed exceptionally as {@link #ping} would throw
     */
    public CompletableFuture<Duration> pingAsync(AnodeAddress peer, Duration timeout) {
        Objects.requireNonNull(peer, "peer");
        CompletableFuture<Duration> f = new CompletableFuture<>();
        if (!open) {
            f.completeExceptionally(new ClosedChannelException());
            return f;
        }
        long timeoutNanos = timeout.toNanos();
        Peer known = engine.peer(peer);
        if (known == null || !org.anode.engine.Router.usable(known)) {
            // No path yet: find one through the address's zone relay (DECISIONS 31), then ping.
            router.resolve(peer).whenComplete((p, e) -> {
                if (e != null) {
                    f.completeExceptionally(e instanceof java.util.concurrent.CompletionException c ? c.getCause() : e);
                } else {
                    sendPing(p.address(), f, timeoutNanos);
                }
            });
            return f;
        }
        sendPing(peer, f, timeoutNanos);
        return f;
    }

    private void sendPing(AnodeAddress peer, CompletableFuture<Duration> f, long timeoutNanos) {
        loop.submit(() -> {
                    Peer p = engine.peer(peer);
                    if (p == null) {
                        f.completeExceptionally(
                                new NoRouteToHostException("no endpoint known for Anode address " + peer));
                        return null;
                    }
                    long id = engine.ping(p, new Handlers.PingCallback() {
                        @Override
                        public void pong(long rttNanos) {
                            f.complete(Duration.ofNanos(rttNanos));
                        }

                        @Override
                        public void failed(Exception cause) {
                            f.completeExceptionally(cause);
                        }
                    });
                    if (id != 0) {
                        loop.schedule(timeoutNanos, () -> engine.expirePing(id));
                    }
                    return null;
                })
                .whenComplete((v, e) -> {
                    // The loop stopped (node closed, or its loop failed) before the ping was sent.
                    if (e != null) {
                        f.completeExceptionally(new ClosedChannelException());
                    }
                });
        if (!open) {
            f.completeExceptionally(new ClosedChannelException());
        }
    }

    // ------------------------------------------------------------------ reaching addresses

    /**
     * {@return NAT traversal counters (DECISIONS 35, 36), or null when the configuration turns
     * traversal off}
     */
    public org.anode.engine.NatTraversal.Stats traversalStatistics() {
        return nat == null ? null : nat.traversal().stats();
    }

    /**
     * {@return the hop count of the PONG that answered the latest completed ping to {@code address}
     * (draft 3.1): 0 means the reply took a direct path, above 0 a relay; empty if none came yet}
     *
     * @param address the peer
     */
    public java.util.OptionalInt lastReplyHops(AnodeAddress address) {
        org.anode.engine.Peer p = engine.peer(Objects.requireNonNull(address, "address"));
        int h = p == null ? -1 : p.lastPongHops();
        return h < 0 ? java.util.OptionalInt.empty() : java.util.OptionalInt.of(h);
    }

    /**
     * {@return how {@code address} is reached right now (draft 3.1, 2.3, 2.9): direct endpoint or
     * relay (which), hop count, RTT, the carrier of each path (UDP, or TCP/HTTP to a relay,
     * DECISIONS 38) and the TCP/HTTP endpoints the peer advertised (addendum A16); empty if the
     * node knows no path} Does not look for one (see {@link #findPath}).
     *
     * @param address the peer
     */
    public java.util.Optional<AnodePath> pathTo(AnodeAddress address) {
        org.anode.engine.NatTraversal t = nat == null ? null : nat.traversal();
        return router.pathTo(Objects.requireNonNull(address, "address")).map(p -> {
            org.anode.engine.Peer peer = engine.peer(address);
            org.anode.engine.PeerEndpoint[] eps =
                    peer == null ? new org.anode.engine.PeerEndpoint[0] : peer.endpoints();
            List<AnodePath.Route> routes = new ArrayList<>(eps.length);
            org.anode.wire.EndpointType carrier = null;
            for (org.anode.engine.PeerEndpoint e : eps) {
                AnodePath.Route r = new AnodePath.Route(
                        e.address(), e.hops(), NodeCarriers.carrierType(e.transport(), e.address()));
                if (carrier == null && e.address().equals(p.endpoint())) {
                    carrier = r.carrier();
                    routes.add(0, r);
                } else {
                    routes.add(r);
                }
            }
            if (carrier == null) {
                // The peer's endpoints changed between the two snapshots: the best path alone.
                carrier = carriers.carrierOf(p.endpoint()).orElse(AnodePath.udp(p.endpoint()));
                routes.add(0, new AnodePath.Route(p.endpoint(), p.hops(), carrier));
            }
            return AnodePath.of(
                    p,
                    t == null ? org.anode.engine.NatType.UNKNOWN : t.localNat(),
                    t == null ? org.anode.engine.NatType.UNKNOWN : t.remoteNat(address),
                    carrier,
                    routes,
                    t == null ? List.of() : t.carrierEndpoints(address));
        });
    }

    /**
     * Finds a path to {@code address} if none is known, waiting at most
     * {@link AnodeNodeConfig#routeTimeout()} (DECISIONS 31): its zone file, its designated zone
     * relay, registration there and a relayed path proven by the recipient's answer. Connect, send
     * and ping do this themselves; an application using non-blocking channels may call this first
     * so that they never wait.
     *
     * @param address the peer
     * @return the path found, as {@link #pathTo} then describes it
     * @throws NoRouteToHostException with the reason, when every way failed
     */
    public AnodePath findPath(AnodeAddress address) throws IOException {
        route(Objects.requireNonNull(address, "address"));
        return pathTo(address).orElseThrow(() -> new NoRouteToHostException("path to " + address + " lost meanwhile"));
    }

    /** Datagrams of non-blocking channels waiting for their path. */
    PendingDatagrams pendingDatagrams() {
        return pendingDatagrams;
    }

    /** True if a packet to {@code address} can go out now, without finding a path first. */
    boolean hasPath(AnodeAddress address) {
        Peer p = engine.peer(address);
        return p != null && org.anode.engine.Router.usable(p);
    }

    /** Finds a path without blocking (DECISIONS 31); completes on the event loop, or at once. */
    CompletableFuture<Peer> findPathAsync(AnodeAddress address) {
        return router.resolve(address);
    }

    /** The peer to send to, finding a path first if it has none (blocking, bounded). */
    Peer route(AnodeAddress address) throws IOException {
        Peer p = engine.peer(address);
        if (p != null && org.anode.engine.Router.usable(p)) {
            return p;
        }
        ensureOpen();
        try {
            return router.resolve(address).get(config.routeTimeout().toMillis() + 2000, TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            Throwable c = e.getCause();
            if (c instanceof IOException io) {
                throw io instanceof NoRouteToHostException n ? copy(n) : io;
            }
            throw new IOException(c);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while finding a path to " + address);
        } catch (TimeoutException e) {
            throw new NoRouteToHostException("no path to " + address + " within " + config.routeTimeout());
        }
    }

    /** A fresh exception per caller (the shared one's stack trace is another thread's). */
    private static NoRouteToHostException copy(NoRouteToHostException e) {
        NoRouteToHostException n = new NoRouteToHostException(e.getMessage());
        n.initCause(e);
        return n;
    }

    /**
     * Counters of relayed traffic (draft 2.3, DECISIONS 34).
     *
     * @param relayedReceived authenticated packets that reached this node through a relay (hop count above 0)
     * @param forwarded packets this node forwarded as a relay
     * @param droppedByPolicy packets the relay dropped: hop limit, unregistered recipient, loop, rate limit
     * @param droppedHopLimit of which over the hop limit
     * @param droppedNotRegistered of which for an unregistered recipient
     * @param droppedRateLimited of which by a token bucket
     * @param registrations live registrations in this relay's table
     * @param errorReplies ERROR 04 replies sent
     */
    public record RelayStatistics(
            long relayedReceived,
            long forwarded,
            long droppedByPolicy,
            long droppedHopLimit,
            long droppedNotRegistered,
            long droppedRateLimited,
            int registrations,
            long errorReplies) {}

    /**
     * {@return the relay counters (all zero but {@code relayedReceived} for a node that does not
     * relay)}
     */
    public RelayStatistics relayStatistics() {
        org.anode.engine.Relay r = engine.relay();
        long relayed = engine.stats().relayedReceived();
        if (r == null) {
            return new RelayStatistics(relayed, 0, 0, 0, 0, 0, 0, 0);
        }
        org.anode.engine.Relay.Stats s = r.stats();
        int regs;
        if (loop.inLoop()) {
            // Called from a handler on the loop itself: waiting for the loop would wait for ourselves.
            return new RelayStatistics(
                    relayed,
                    r.stats().forwarded(),
                    r.stats().droppedByPolicy(),
                    r.stats().droppedHopLimit(),
                    r.stats().droppedNotRegistered(),
                    r.stats().droppedRateLimited(),
                    r.registrationCount(engine.now()),
                    r.stats().errorReplies());
        }
        try {
            regs = loop.submit(() -> r.registrationCount(engine.now())).get(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            regs = -1;
        } catch (ExecutionException | TimeoutException e) {
            regs = -1;
        }
        return new RelayStatistics(
                relayed,
                s.forwarded(),
                s.droppedByPolicy(),
                s.droppedHopLimit(),
                s.droppedNotRegistered(),
                s.droppedRateLimited(),
                regs,
                s.errorReplies());
    }

    /** {@return the counters of LAN discovery (DECISIONS 37); all zero when it is off} */
    public LanStatistics lanStatistics() {
        org.anode.transport.LanDiscovery l = lan;
        if (l == null) {
            return new LanStatistics(false, 0, 0, 0, 0, 0, 0, 0, 0, 0);
        }
        org.anode.engine.Discovery.Stats s = l.discovery().stats();
        int hints;
        try {
            hints = loop.submit(() -> l.discovery().hintCount()).get(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            hints = -1;
        } catch (ExecutionException | TimeoutException e) {
            hints = -1;
        }
        return new LanStatistics(
                true,
                s.announcementsSent(),
                s.announcementsRead(),
                s.announcementsDropped(),
                s.queriesSent(),
                s.queriesAnswered(),
                s.hintChecks(),
                s.ignored(),
                hints,
                l.targets().size());
    }

    /**
     * Receives every ERROR and flag 0x04 report (see {@link PeerError}); called on the event-loop
     * thread, must not block. Null removes the listener.
     *
     * @param listener the listener, or null
     */
    public void setErrorListener(Consumer<PeerError> listener) {
        this.errorListener = listener;
    }

    /** {@return the counters of received traffic and the peer count} */
    public Statistics statistics() {
        Engine.Stats s = engine.stats();
        org.anode.engine.Relay rl = engine.relay();
        return new Statistics(
                s.received(),
                s.malformed(),
                s.notForUs(),
                s.authFailed(),
                s.authErrorResponses(),
                s.unknownSenderDropped(),
                s.accepted(),
                s.delivered(),
                s.noListener(),
                s.unhandledType(),
                s.errorReplies(),
                s.pongsSent(),
                s.peerTableFull(),
                s.endpointChecks(),
                s.endpointsProven(),
                engine.peerCount(),
                s.relayedReceived(),
                rl == null ? 0 : rl.stats().forwarded(),
                rl == null ? 0 : rl.stats().droppedByPolicy(),
                s.cookieReplies(),
                s.cookiesAccepted(),
                s.cookiePings());
    }

    /** {@return the number of peers in the table} */
    public int peerCount() {
        return engine.peerCount();
    }

    /**
     * {@return whether the peer table holds {@code address}}
     *
     * @param address the peer
     */
    public boolean knowsPeer(AnodeAddress address) {
        return engine.peer(address) != null;
    }

    /**
     * {@return the IP endpoints a peer's traffic may go to, best first (empty if unknown):
     * configured ones, the first it was heard from, and those that answered an endpoint check}
     *
     * @param address the peer
     */
    public List<InetSocketAddress> peerEndpoints(AnodeAddress address) {
        Peer p = engine.peer(address);
        List<InetSocketAddress> l = new ArrayList<>();
        if (p != null) {
            for (var e : p.endpoints()) {
                l.add(e.address());
            }
        }
        return List.copyOf(l);
    }

    /** {@return false once {@link #close()} was called} */
    public boolean isOpen() {
        return open;
    }

    /**
     * Closes every channel opened on this node (blocked callers get
     * {@link java.nio.channels.AsynchronousCloseException}), fails outstanding pings, stops the
     * event loop and releases the UDP sockets. Idempotent.
     */
    @Override
    public void close() {
        synchronized (closeLock) {
            if (!open) {
                return;
            }
            open = false;
        }
        NodeManagement.unregister(this);
        for (java.nio.channels.Channel c : List.copyOf(channels)) {
            try {
                c.close();
            } catch (IOException e) {
                LOG.log(System.Logger.Level.DEBUG, "closing " + c, e);
            }
        }
        streams.close();
        router.close();
        org.anode.transport.LanDiscovery l = lan;
        if (l != null) {
            l.close();
        }
        if (nat != null) {
            nat.close();
        }
        if (loop.isRunning()) {
            try {
                loop.submit(() -> {
                            engine.failAllPings(new ClosedChannelException());
                            return null;
                        })
                        .get(5, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (ExecutionException | TimeoutException e) {
                LOG.log(System.Logger.Level.DEBUG, "failing pings at close", e);
            }
        }
        // The TCP and HTTP transports close their connections on the loop while it still runs.
        carriers.close();
        loop.close();
        if (loop.isTerminated()) {
            // The loop had died before close (see the failure handler): nobody else can touch the
            // pings any more, so fail them here.
            engine.failAllPings(new ClosedChannelException());
        }
        for (Transport t : transports) {
            t.close();
        }
        LOG.log(System.Logger.Level.DEBUG, "Anode node {0} closed", identity.address());
    }

    @Override
    public String toString() {
        return "AnodeNode[" + identity.address() + (open ? " " + localEndpoints() : " closed") + "]";
    }

    // ------------------------------------------------------------------ internal API

    /** The sans-I/O engine (peer table, send path, message handler registration). */
    Engine engine() {
        return engine;
    }

    /** The event loop (timers, tasks; the thread that runs every engine callback). */
    EventLoop loop() {
        return loop;
    }

    /**
     * For a thread that waits for input (a blocking receive): if the event loop is idle, takes it
     * and reads whatever the UDP sockets hold, through the engine, on this thread - so the data
     * needs no hand-off from the loop thread. Never blocks.
     *
     * @return false if the loop was busy (the caller should yield instead)
     */
    boolean pollIo() {
        if (!loop.tryEnter()) {
            return false;
        }
        try {
            for (Transport t : transports) {
                if (t instanceof UdpTransport u) {
                    u.poll();
                }
            }
        } catch (Error e) {
            // Loop work failed on this thread: the loop is as dead as if its own thread had
            // thrown. Stop it (it logs and closes the node); the caller then sees its channel closed.
            loop.fail(e);
        } finally {
            loop.exit();
        }
        return true;
    }

    /** Records a channel so that {@link #close()} closes it; refuses when the node is closed. */
    void channelOpened(java.nio.channels.Channel c) throws IOException {
        synchronized (closeLock) {
            if (!open) {
                throw new ClosedChannelException();
            }
            channels.add(c);
        }
    }

    void channelClosed(java.nio.channels.Channel c) {
        channels.remove(c);
    }

    private void ensureOpen() throws ClosedChannelException {
        if (!open) {
            throw new ClosedChannelException();
        }
    }

    /**
     * Reserves an Anode port for a datagram channel: {@code port}, or a free ephemeral one if 0.
     *
     * @throws BindException if the port is taken, or no ephemeral port is free
     */
    int bindDatagramPort(AnodeDatagramChannel ch, int port) throws IOException {
        ensureOpen();
        if (port != 0) {
            if (!ports.compareAndSet(port, null, ch)) {
                throw new BindException("Address already in use: Anode port " + port);
            }
            return port;
        }
        int span = EPHEMERAL_HIGH - EPHEMERAL_LOW + 1;
        int startAt = ThreadLocalRandom.current().nextInt(span);
        for (int i = 0; i < span; i++) {
            int p = EPHEMERAL_LOW + (startAt + i) % span;
            if (ports.compareAndSet(p, null, ch)) {
                return p;
            }
        }
        throw new BindException("no free ephemeral Anode port");
    }

    void unbindDatagramPort(AnodeDatagramChannel ch, int port) {
        ports.compareAndSet(port, ch, null);
    }

    /** DGRAM delivery from the engine (event loop). */
    private boolean deliver(Peer from, int sourcePort, int destinationPort, ByteBuffer packet, int offset, int length) {
        AnodeDatagramChannel ch = ports.get(destinationPort);
        if (ch == null) {
            return false;
        }
        if (ch.offer(from.portValue(sourcePort, AnodeNode::socketAddressOf), packet, offset, length, true)
                && !ch.wakePending) {
            ch.wakePending = true;
            if (toWakeCount == toWake.length) {
                toWake = java.util.Arrays.copyOf(toWake, toWakeCount * 2);
            }
            toWake[toWakeCount++] = ch;
        }
        return true;
    }

    /** Channels that got datagrams in the current receive batch (event loop only). */
    private AnodeDatagramChannel[] toWake = new AnodeDatagramChannel[16];

    private int toWakeCount;

    /** What the UDP transports hand packets to: the engine, then one wake-up per channel per batch. */
    private final class Receiver implements PacketReceiver {
        /** True between the first packet of a read batch and its end (loop holders only). */
        private boolean inBatch;

        @Override
        public void receive(Transport via, InetSocketAddress source, ByteBuffer packet) {
            if (!inBatch) {
                inBatch = true;
                streams.beginBatch();
            }
            engine.receive(carriers.via(via, source), source, packet);
        }

        @Override
        public void receiveMany(Transport via, InetSocketAddress[] sources, ByteBuffer[] packets, int n) {
            if (!inBatch) {
                inBatch = true;
                streams.beginBatch();
            }
            if (carriers.hasLinks()) {
                // Packets from a relay reached through a fallback link go to the engine as the link's.
                Transport first = carriers.via(via, sources[0]);
                boolean same = true;
                for (int i = 1; i < n && same; i++) {
                    same = carriers.via(via, sources[i]) == first;
                }
                if (!same) {
                    for (int i = 0; i < n; i++) {
                        engine.receive(carriers.via(via, sources[i]), sources[i], packets[i]);
                    }
                    return;
                }
                via = first;
            }
            engine.receiveMany(via, sources, packets, n);
        }

        @Override
        public void endOfBatch() {
            if (inBatch) {
                inBatch = false;
                streams.endOfBatch();
            }
            for (int i = 0; i < toWakeCount; i++) {
                AnodeDatagramChannel ch = toWake[i];
                toWake[i] = null;
                ch.wakePending = false;
                ch.wakeAfterBatch();
            }
            toWakeCount = 0;
        }
    }

    private static AnodeSocketAddress socketAddressOf(Peer peer, int port) {
        return AnodeSocketAddress.of(peer.address(), port);
    }

    /** Largest datagram a channel may send to this node itself (never leaves the process). */
    int localDatagramLimit() {
        return config.maxPacketIpv4()
                - org.anode.wire.PacketFormat.headerLength(org.anode.wire.PacketFormat.FLAG_SENDER_FULL)
                - org.anode.wire.MessageFields.DGRAM_HEADER;
    }

    /** A datagram from one of this node's channels to another of its ports: delivered in memory. */
    void deliverLocal(
            AnodeSocketAddress from, int destinationPort, ByteBuffer[] srcs, int offset, int length, int total) {
        AnodeDatagramChannel ch = ports.get(destinationPort);
        if (ch == null) {
            return;
        }
        ByteBuffer b = ByteBuffer.allocate(total);
        for (int i = offset; i < offset + length; i++) {
            b.put(srcs[i].duplicate());
        }
        ch.offer(from, b, 0, total, false);
    }

    private void onError(AnodeAddress claimed, InetSocketAddress source, int code, boolean authenticated) {
        Consumer<PeerError> l = errorListener;
        if (l != null) {
            l.accept(new PeerError(claimed, source, code, authenticated));
        }
    }

    /** The provider's view of the node. */
    private final class Channels implements NodeChannels {
        @Override
        public DatagramChannel openDatagramChannel(AnodeSelectorProvider p, ProtocolFamily family) throws IOException {
            AnodeDatagramChannel ch = new AnodeDatagramChannel(p, AnodeNode.this);
            channelOpened(ch);
            return ch;
        }

        @Override
        public SocketChannel openSocketChannel(AnodeSelectorProvider p, ProtocolFamily family) throws IOException {
            ensureOpen();
            return streams.openSocketChannel(p, family);
        }

        @Override
        public ServerSocketChannel openServerSocketChannel(AnodeSelectorProvider p, ProtocolFamily family)
                throws IOException {
            ensureOpen();
            return streams.openServerSocketChannel(p, family);
        }
    }
}
