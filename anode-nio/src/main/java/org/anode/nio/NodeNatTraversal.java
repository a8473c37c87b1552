package org.anode.nio;

import java.io.IOException;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.function.Supplier;
import org.anode.engine.Engine;
import org.anode.engine.EventLoop;
import org.anode.engine.NatTraversal;
import org.anode.engine.PacketReceiver;
import org.anode.engine.Router;
import org.anode.engine.Transport;
import org.anode.transport.UdpTransport;
import org.anode.wire.Endpoint;

/**
 * The node's side of NAT traversal (DECISIONS 35, 36): gives {@link NatTraversal} the relays in
 * use, the host's interface endpoints, the TCP and HTTP endpoints it serves (addendum A16) and
 * extra UDP sockets (mode 3), and ticks it on the event loop.
 */
final class NodeNatTraversal implements NatTraversal.Environment {
    private static final System.Logger LOG = System.getLogger(NodeNatTraversal.class.getName());
    /** Interface addresses are looked up again at most this often (the lookup is a system call per interface). */
    private static final long INTERFACES_TTL_NANOS = 30_000_000_000L;
    /** Addresses named per TCP or HTTP listener in EPIs (two listeners: within MAX_CARRIER_EPIS). */
    static final int CARRIER_ADDRESSES = 2;

    private final EventLoop loop;
    private final Engine engine;
    private final Router router;
    private final Supplier<PacketReceiver> receivers;
    private final NodeCarriers carriers;
    private final NatTraversal nat;
    private final List<Transport> extra = new java.util.concurrent.CopyOnWriteArrayList<>();
    private List<InetAddress> interfaces = List.of();
    private long interfacesAt = Long.MIN_VALUE;
    private volatile boolean closed;

    NodeNatTraversal(
            EventLoop loop, Engine engine, Router router, Supplier<PacketReceiver> receivers, NodeCarriers carriers) {
        this.loop = loop;
        this.carriers = carriers;
        this.engine = engine;
        this.router = router;
        this.receivers = receivers;
        this.nat = new NatTraversal(engine, this);
    }

    NatTraversal traversal() {
        return nat;
    }

    /** Starts the ticks (from any thread). */
    void start() {
        loop.execute(() -> {
            // Off the path of the first traversal: the interface lookup (a system call per
            // interface) and the first use of the traversal's code.
            interfaces = hostAddresses();
            interfacesAt = engine.now();
            nat.prepare();
        });
        loop.execute(this::tick);
    }

    private void tick() {
        if (closed) {
            return;
        }
        try {
            nat.tick(engine.now());
        } finally {
            loop.schedule(NatTraversal.TICK_NANOS, this::tick);
        }
    }

    void close() {
        closed = true;
        for (Transport t : extra) {
            t.close();
        }
        extra.clear();
    }

    @Override
    public List<NatTraversal.RelayRef> relays() {
        return router.relayRefs();
    }

    @Override
    public List<InetSocketAddress> interfaceEndpoints(Transport t) {
        InetSocketAddress local = t.localAddress();
        if (local == null) {
            return List.of();
        }
        if (!local.getAddress().isAnyLocalAddress()) {
            return local.getAddress().isLoopbackAddress() ? List.of() : List.of(local);
        }
        refreshInterfaces();
        boolean v6 = local.getAddress() instanceof Inet6Address;
        List<InetSocketAddress> l = new ArrayList<>(4);
        for (InetAddress a : interfaces) {
            if ((a instanceof Inet6Address) == v6 && l.size() < 4) {
                l.add(new InetSocketAddress(a, local.getPort()));
            }
        }
        return l;
    }

    private void refreshInterfaces() {
        long now = engine.now();
        if (interfacesAt == Long.MIN_VALUE || now - interfacesAt >= INTERFACES_TTL_NANOS) {
            interfacesAt = now;
            interfaces = hostAddresses();
        }
    }

    /**
     * The TCP and HTTP listeners' endpoints for EPIs (draft 2.9.2, 2.9.3; addendum A16): a listener
     * bound to one address names that address (loopback included: a node bound there talks only
     * to its own host), one bound to a wildcard the host's interface addresses of that family, at
     * most {@link #CARRIER_ADDRESSES} each. HTTP endpoints are URIs; the listener takes POST on any
     * path.
     */
    @Override
    public List<Endpoint> carrierEndpoints() {
        InetSocketAddress tcp = carriers.tcpEndpoint().orElse(null);
        InetSocketAddress http = carriers.httpEndpoint().orElse(null);
        if (tcp == null && http == null) {
            return List.of();
        }
        List<Endpoint> l = new ArrayList<>(2 * CARRIER_ADDRESSES);
        if (tcp != null) {
            for (InetAddress a : listenAddresses(tcp.getAddress())) {
                l.add(Endpoint.tcp(new InetSocketAddress(a, tcp.getPort())));
            }
        }
        if (http != null) {
            for (InetAddress a : listenAddresses(http.getAddress())) {
                l.add(new Endpoint.Http(httpUri(a, http.getPort())));
            }
        }
        return l;
    }

    private List<InetAddress> listenAddresses(InetAddress bound) {
        if (!bound.isAnyLocalAddress()) {
            // A scoped link-local address cannot travel in an endpoint (no scope id on the wire).
            return bound instanceof Inet6Address && bound.isLinkLocalAddress() ? List.of() : List.of(bound);
        }
        refreshInterfaces();
        boolean v4Only = bound instanceof Inet4Address;
        List<InetAddress> l = new ArrayList<>(CARRIER_ADDRESSES);
        for (InetAddress a : interfaces) {
            if ((!v4Only || a instanceof Inet4Address) && l.size() < CARRIER_ADDRESSES) {
                l.add(a);
            }
        }
        return l;
    }

    /** {@code http://HOST:PORT/} with an IPv6 host in brackets (RFC 3986) and no scope id. */
    static String httpUri(InetAddress a, int port) {
        String host = a.getHostAddress();
        int pct = host.indexOf('%');
        if (pct >= 0) {
            host = host.substring(0, pct);
        }
        return "http://" + (a instanceof Inet6Address ? "[" + host + "]" : host) + ":" + port + "/";
    }

    private static List<InetAddress> hostAddresses() {
        List<InetAddress> l = new ArrayList<>();
        try {
            for (NetworkInterface ni : Collections.list(NetworkInterface.getNetworkInterfaces())) {
                if (!ni.isUp() || ni.isLoopback()) {
                    continue;
                }
                for (InetAddress a : Collections.list(ni.getInetAddresses())) {
                    // Link-local IPv6 needs a scope id, which an EPI cannot carry.
                    if (a instanceof Inet4Address || !a.isLinkLocalAddress()) {
                        l.add(a);
                    }
                }
            }
        } catch (SocketException e) {
            LOG.log(System.Logger.Level.DEBUG, "interface addresses: " + e);
        }
        return l;
    }

    @Override
    public Transport openExtraSocket(Transport like) throws IOException {
        if (closed || !(like instanceof UdpTransport)) {
            return null;
        }
        InetSocketAddress local = like.localAddress();
        UdpTransport t = UdpTransport.open(
                loop, new InetSocketAddress(local.getAddress(), 0), like.maxPacketSize(local), receivers.get());
        extra.removeIf(x -> !x.isOpen());
        extra.add(t);
        return t;
    }
}
