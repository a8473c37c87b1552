package org.anode.transport;

import java.io.IOException;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.InterfaceAddress;
import java.net.NetworkInterface;
import java.net.SocketAddress;
import java.net.SocketException;
import java.net.StandardProtocolFamily;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.channels.MembershipKey;
import java.nio.channels.SelectionKey;
import java.util.Collections;
import java.util.Enumeration;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.anode.engine.Discovery;
import org.anode.engine.Engine;
import org.anode.engine.EventLoop;
import org.anode.engine.Router;

/**
 * The socket side of LAN discovery (draft 4.2.6, DECISIONS 37; the rules are {@link Discovery}'s).
 *
 * <p><b>Listening.</b> One socket per family on the discovery port (8737 unless configured) of the
 * wildcard address, with SO_REUSEADDR so that several nodes on one host all receive what is
 * broadcast there. What arrives is handed to {@link Discovery#receive} as if it had come in on the
 * node's own socket of that family, which any answer goes out of. The IPv6 socket joins ff02::1
 * on every interface it sends to: every interface is in that group, but newer JDKs (25, not 17)
 * open a DatagramChannel on Linux with IPV6_MULTICAST_ALL off, so it hears only the groups the
 * socket itself joined.
 *
 * <p><b>Sending.</b> Broadcasts go out of the node's own sockets (an announcement's unspecified
 * endpoint means "the packet's source", draft 4.2.6, so it must be the node's own address and
 * port), to the discovery port at:
 * <ul>
 *   <li>IPv4: the directed broadcast address of every address of every interface that is up and
 *       broadcast-capable (this works on an isolated LAN with no default route: the interface's
 *       own route carries it), and the limited broadcast 255.255.255.255 (which needs a route;
 *       where there is none the kernel refuses it and the directed ones suffice);
 *   <li>IPv6: the all-nodes group ff02::1, scoped to every interface that is up, multicast-capable
 *       and has a link-local address.
 * </ul>
 * A node bound to particular addresses uses only the interfaces holding them; a node bound to a
 * loopback address sends to the loopback broadcast 127.255.255.255 only, so tests on one host
 * reach nothing beyond it; with a discovery port of their own, parallel test runs do not hear each
 * other, nor anything from a real LAN (which uses 8737). Interfaces are enumerated again every {@link #INTERFACE_POLL_NANOS}: one that
 * appears gets an announcement at once, one that goes is no longer sent to.
 */
public final class LanDiscovery implements Router.Lan, Discovery.Io, AutoCloseable {
    private static final System.Logger LOG = System.getLogger(LanDiscovery.class.getName());
    /** How often the interface list is read again. */
    static final long INTERFACE_POLL_NANOS = TimeUnit.SECONDS.toNanos(5);
    /** Datagrams read per readiness event. */
    private static final int READ_BATCH = 32;

    private static final byte[] ALL_NODES = {(byte) 0xff, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};

    private final EventLoop loop;
    private final Engine engine;
    private final Discovery discovery;
    private final int port;
    private final UdpTransport main4;
    private final UdpTransport main6;
    private final List<DatagramChannel> channels = new java.util.concurrent.CopyOnWriteArrayList<>();
    /** The IPv6 listening socket, or null; touched on the loop thread only. */
    private DatagramChannel listen6;
    /** ff02::1 memberships of {@link #listen6}, by interface name; loop thread only. */
    private final Map<String, MembershipKey> joined = new HashMap<>();

    private final ByteBuffer rx = ByteBuffer.allocate(2048);
    private volatile Set<InetSocketAddress> targets = Set.of();
    private EventLoop.Timer tickTimer;
    private long tickAt;
    private EventLoop.Timer pollTimer;
    private volatile boolean closed;

    private LanDiscovery(
            EventLoop loop,
            Engine engine,
            int port,
            UdpTransport main4,
            UdpTransport main6,
            long announceIntervalNanos) {
        this.loop = loop;
        this.engine = engine;
        this.port = port;
        this.main4 = main4;
        this.main6 = main6;
        this.discovery = new Discovery(engine, this, announceIntervalNanos);
    }

    /**
     * Starts discovery for a node: binds the listening sockets, announces, and keeps following the
     * interfaces. A listening socket that cannot be bound is logged and left out (the node still
     * announces and queries; it only does not hear others' broadcasts on that family).
     *
     * @param mains the node's own UDP sockets
     * @param port the discovery port ({@link Discovery#PORT})
     */
    public static LanDiscovery start(
            EventLoop loop, Engine engine, List<UdpTransport> mains, int port, long announceIntervalNanos) {
        UdpTransport m4 = null;
        UdpTransport m6 = null;
        for (UdpTransport t : mains) {
            if (t.isIpv6() && m6 == null) {
                m6 = t;
            } else if (!t.isIpv6() && m4 == null) {
                m4 = t;
            }
        }
        LanDiscovery d = new LanDiscovery(loop, engine, port, m4, m6, announceIntervalNanos);
        loop.execute(d::begin);
        return d;
    }

    /** The rules, for counters and tests. */
    public Discovery discovery() {
        return discovery;
    }

    /** Where broadcasts go now (for tests and diagnostics). */
    public Set<InetSocketAddress> targets() {
        return targets;
    }

    private void begin() {
        if (closed) {
            return;
        }
        if (main4 != null) {
            // The wildcard: a socket bound to one address does not receive broadcasts (Linux).
            listen(StandardProtocolFamily.INET, new InetSocketAddress(anyAddress(4), port), main4);
        }
        if (main6 != null) {
            listen(StandardProtocolFamily.INET6, new InetSocketAddress(anyAddress(16), port), main6);
        }
        targets = findTargets();
        joinAllNodes(targets);
        reschedule();
        pollTimer = loop.schedule(INTERFACE_POLL_NANOS, this::pollInterfaces);
    }

    /**
     * Keeps the IPv6 listening socket a member of ff02::1 on exactly the interfaces it sends to.
     * A join that fails (an interface gone meanwhile) is retried at the next poll.
     */
    private void joinAllNodes(Set<InetSocketAddress> now) {
        DatagramChannel ch = listen6;
        if (ch == null || !ch.isOpen()) {
            return;
        }
        Map<String, NetworkInterface> wanted = new HashMap<>();
        for (InetSocketAddress t : now) {
            if (t.getAddress() instanceof Inet6Address a && a.isMulticastAddress() && a.getScopedInterface() != null) {
                wanted.put(a.getScopedInterface().getName(), a.getScopedInterface());
            }
        }
        joined.entrySet().removeIf(e -> {
            if (!wanted.containsKey(e.getKey()) || !e.getValue().isValid()) {
                e.getValue().drop();
                return true;
            }
            return false;
        });
        for (Map.Entry<String, NetworkInterface> e : wanted.entrySet()) {
            if (joined.containsKey(e.getKey())) {
                continue;
            }
            try {
                InetAddress group = Inet6Address.getByAddress(null, ALL_NODES, e.getValue());
                joined.put(e.getKey(), ch.join(group, e.getValue()));
            } catch (IOException | RuntimeException ex) {
                LOG.log(System.Logger.Level.DEBUG, "ff02::1 not joined on " + e.getKey() + ": " + ex);
            }
        }
    }

    private void listen(StandardProtocolFamily family, InetSocketAddress bind, UdpTransport main) {
        DatagramChannel ch = null;
        try {
            ch = DatagramChannel.open(family);
            ch.setOption(StandardSocketOptions.SO_REUSEADDR, true);
            ch.bind(bind);
            ch.configureBlocking(false);
            DatagramChannel c = ch;
            boolean v6 = family == StandardProtocolFamily.INET6;
            loop.register(ch, SelectionKey.OP_READ, k -> onReadable(c, main, v6));
            channels.add(ch);
            if (v6) {
                listen6 = ch;
            }
        } catch (IOException | RuntimeException e) {
            LOG.log(System.Logger.Level.INFO, "LAN discovery not listening on " + bind + ": " + e);
            if (ch != null) {
                try {
                    ch.close();
                } catch (IOException ignored) {
                    // Already failing.
                }
            }
        }
    }

    private void onReadable(DatagramChannel ch, UdpTransport main, boolean v6) throws IOException {
        for (int i = 0; i < READ_BATCH; i++) {
            rx.clear();
            SocketAddress src;
            try {
                src = ch.receive(rx);
            } catch (IOException e) {
                if (!ch.isOpen()) {
                    return;
                }
                continue;
            }
            if (src == null) {
                break;
            }
            InetSocketAddress s = (InetSocketAddress) src;
            // A dual-stack IPv6 socket also hears IPv4 broadcasts; the IPv4 socket handles those.
            if (v6 && !(s.getAddress() instanceof Inet6Address) && main4 != null) {
                continue;
            }
            rx.flip();
            UdpTransport via = s.getAddress() instanceof Inet6Address ? main6 : (main4 != null ? main4 : main);
            if (via == null) {
                continue;
            }
            discovery.receive(via, s, rx, engine.now());
        }
    }

    // ------------------------------------------------------------------ Router.Lan

    @Override
    public void want(org.anode.address.AnodeAddress target) {
        if (closed) {
            return;
        }
        discovery.want(target);
        reschedule();
    }

    @Override
    public long windowNanos() {
        return Discovery.WANT_WINDOW_NANOS;
    }

    /** Runs the rules' clock now and sets the timer for when they next have something to do. */
    private void reschedule() {
        if (closed) {
            return;
        }
        long now = engine.now();
        long next = discovery.tick(now);
        if (tickTimer != null && tickAt == next) {
            return;
        }
        if (tickTimer != null) {
            tickTimer.cancel();
        }
        tickAt = next;
        tickTimer = loop.schedule(Math.max(0, next - now), () -> {
            tickTimer = null;
            reschedule();
        });
    }

    private void pollInterfaces() {
        if (closed) {
            return;
        }
        Set<InetSocketAddress> old = targets;
        Set<InetSocketAddress> now = findTargets();
        targets = now;
        joinAllNodes(now);
        if (!old.containsAll(now)) {
            LOG.log(System.Logger.Level.DEBUG, "LAN discovery targets now {0}", now);
            discovery.interfacesChanged(engine.now());
            reschedule();
        }
        pollTimer = loop.schedule(INTERFACE_POLL_NANOS, this::pollInterfaces);
    }

    // ------------------------------------------------------------------ Discovery.Io

    @Override
    public void broadcast(ByteBuffer packet) {
        for (InetSocketAddress t : targets) {
            UdpTransport via = t.getAddress() instanceof Inet6Address ? main6 : main4;
            if (via == null || !via.isOpen()) {
                continue;
            }
            try {
                via.send(packet.duplicate(), t);
            } catch (IOException | RuntimeException e) {
                // The limited broadcast without a route, an interface gone meanwhile: the others go.
                if (LOG.isLoggable(System.Logger.Level.TRACE)) {
                    LOG.log(System.Logger.Level.TRACE, "LAN broadcast to " + t + " failed: " + e);
                }
            }
        }
    }

    /** The broadcast targets of the node's sockets on the interfaces that are up now. */
    private Set<InetSocketAddress> findTargets() {
        Set<InetSocketAddress> out = new LinkedHashSet<>();
        boolean loopback4 = main4 != null && main4.localAddress().getAddress().isLoopbackAddress();
        if (loopback4 && (main6 == null || main6.localAddress().getAddress().isLoopbackAddress())) {
            out.add(new InetSocketAddress(loopbackBroadcast(), port));
            return Collections.unmodifiableSet(out);
        }
        List<NetworkInterface> ifs;
        try {
            Enumeration<NetworkInterface> e = NetworkInterface.getNetworkInterfaces();
            ifs = e == null ? List.of() : Collections.list(e);
        } catch (SocketException e) {
            LOG.log(System.Logger.Level.DEBUG, "cannot list interfaces: " + e);
            return out;
        }
        if (main4 != null) {
            InetAddress bound = main4.localAddress().getAddress();
            if (bound.isLoopbackAddress()) {
                out.add(new InetSocketAddress(loopbackBroadcast(), port));
            } else {
                for (NetworkInterface ni : ifs) {
                    if (!up(ni) || !holds(ni, bound)) {
                        continue;
                    }
                    boolean broadcast;
                    try {
                        broadcast = !ni.isLoopback() && !ni.isPointToPoint();
                    } catch (SocketException e) {
                        broadcast = false;
                    }
                    for (InterfaceAddress ia : ni.getInterfaceAddresses()) {
                        InetAddress b = broadcast ? directedBroadcast(ia) : null;
                        if (b != null) {
                            out.add(new InetSocketAddress(b, port));
                        }
                    }
                }
                if (bound.isAnyLocalAddress()) {
                    out.add(new InetSocketAddress(limitedBroadcast(), port));
                }
            }
        }
        if (main6 != null && !main6.localAddress().getAddress().isLoopbackAddress()) {
            InetAddress bound = main6.localAddress().getAddress();
            for (NetworkInterface ni : ifs) {
                try {
                    if (!up(ni) || !ni.supportsMulticast() || ni.isLoopback() || !holds(ni, bound)) {
                        continue;
                    }
                } catch (SocketException e) {
                    continue;
                }
                boolean linkLocal = false;
                for (InterfaceAddress ia : ni.getInterfaceAddresses()) {
                    if (ia.getAddress() instanceof Inet6Address a && a.isLinkLocalAddress()) {
                        linkLocal = true;
                    }
                }
                if (linkLocal) {
                    try {
                        out.add(new InetSocketAddress(Inet6Address.getByAddress(null, ALL_NODES, ni), port));
                    } catch (java.net.UnknownHostException e) {
                        LOG.log(System.Logger.Level.DEBUG, "ff02::1 on " + ni.getName() + ": " + e);
                    }
                }
            }
        }
        return Collections.unmodifiableSet(out);
    }

    /**
     * The directed broadcast address of an IPv4 interface address: the one configured, or, where
     * none is (an address added without {@code brd}, which the kernel still routes as broadcast),
     * the subnet's all-ones host address. Null for IPv6 and for /31 and /32.
     */
    static InetAddress directedBroadcast(InterfaceAddress ia) {
        if (!(ia.getAddress() instanceof Inet4Address a)) {
            return null;
        }
        InetAddress b = ia.getBroadcast();
        if (b != null && !b.isAnyLocalAddress()) {
            return b;
        }
        int prefix = ia.getNetworkPrefixLength();
        if (prefix < 1 || prefix > 30) {
            return null;
        }
        byte[] x = a.getAddress();
        int v = ((x[0] & 0xff) << 24) | ((x[1] & 0xff) << 16) | ((x[2] & 0xff) << 8) | (x[3] & 0xff);
        v |= (int) (0xffffffffL >>> prefix);
        try {
            return InetAddress.getByAddress(
                    new byte[] {(byte) (v >>> 24), (byte) (v >>> 16), (byte) (v >>> 8), (byte) v});
        } catch (java.net.UnknownHostException e) {
            return null;
        }
    }

    private static boolean up(NetworkInterface ni) {
        try {
            return ni.isUp();
        } catch (SocketException e) {
            return false;
        }
    }

    /** True for a wildcard bind, else if the interface holds the bound address. */
    private static boolean holds(NetworkInterface ni, InetAddress bound) {
        if (bound.isAnyLocalAddress()) {
            return true;
        }
        for (InterfaceAddress ia : ni.getInterfaceAddresses()) {
            if (ia.getAddress().equals(bound)) {
                return true;
            }
        }
        return false;
    }

    private static InetAddress anyAddress(int len) {
        try {
            return InetAddress.getByAddress(new byte[len]);
        } catch (java.net.UnknownHostException e) {
            throw new IllegalStateException(e);
        }
    }

    private static InetAddress limitedBroadcast() {
        try {
            return InetAddress.getByAddress(new byte[] {(byte) 255, (byte) 255, (byte) 255, (byte) 255});
        } catch (java.net.UnknownHostException e) {
            throw new IllegalStateException(e);
        }
    }

    private static InetAddress loopbackBroadcast() {
        try {
            return InetAddress.getByAddress(new byte[] {127, (byte) 255, (byte) 255, (byte) 255});
        } catch (java.net.UnknownHostException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Stops announcing and closes the listening sockets (the node's own sockets stay). Idempotent. */
    @Override
    public void close() {
        closed = true;
        Runnable stop = () -> {
            if (tickTimer != null) {
                tickTimer.cancel();
            }
            if (pollTimer != null) {
                pollTimer.cancel();
            }
        };
        if (loop.inLoop()) {
            stop.run();
        } else if (loop.isRunning()) {
            loop.execute(stop);
        }
        for (DatagramChannel ch : channels) {
            try {
                ch.close();
            } catch (IOException e) {
                LOG.log(System.Logger.Level.DEBUG, "closing a discovery socket", e);
            }
        }
    }
}
