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

/**
 * The node's side of NAT traversal (DECISIONS 35, 36): gives {@link NatTraversal} the relays in
 * use, the host's interface endpoints and extra UDP sockets (mode 3), and ticks it on the event
 * loop.
 */
final class NodeNatTraversal implements NatTraversal.Environment {
    private static final System.Logger LOG = System.getLogger(NodeNatTraversal.class.getName());
    /** Interface addresses are looked up again at most this often (the lookup is a system call per interface). */
    private static final long INTERFACES_TTL_NANOS = 30_000_000_000L;

    private final EventLoop loop;
    private final Engine engine;
    private final Router router;
    private final Supplier<PacketReceiver> receivers;
    private final NatTraversal nat;
    private final List<Transport> extra = new java.util.concurrent.CopyOnWriteArrayList<>();
    private List<InetAddress> interfaces = List.of();
    private long interfacesAt = Long.MIN_VALUE;
    private volatile boolean closed;

    NodeNatTraversal(EventLoop loop, Engine engine, Router router, Supplier<PacketReceiver> receivers) {
        this.loop = loop;
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
        long now = engine.now();
        if (interfacesAt == Long.MIN_VALUE || now - interfacesAt >= INTERFACES_TTL_NANOS) {
            interfacesAt = now;
            interfaces = hostAddresses();
        }
        boolean v6 = local.getAddress() instanceof Inet6Address;
        List<InetSocketAddress> l = new ArrayList<>(4);
        for (InetAddress a : interfaces) {
            if ((a instanceof Inet6Address) == v6 && l.size() < 4) {
                l.add(new InetSocketAddress(a, local.getPort()));
            }
        }
        return l;
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
