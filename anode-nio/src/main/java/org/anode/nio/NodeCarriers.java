package org.anode.nio;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.anode.engine.EventLoop;
import org.anode.engine.PacketReceiver;
import org.anode.engine.Transport;
import org.anode.transport.FallbackConfig;
import org.anode.transport.FallbackPolicy;
import org.anode.transport.HttpTransport;
import org.anode.transport.RelayLink;
import org.anode.transport.TcpTransport;
import org.anode.transport.UdpTransport;
import org.anode.transport.ZoneHttpEndpoints;
import org.anode.wire.EndpointType;
import org.anode.zone.ZoneFile;
import org.anode.zone.ZoneRelay;

/**
 * A node's TCP and HTTP transports (draft 2.9.2, 2.9.3; DECISIONS 38), kept apart from
 * {@link AnodeNode}: the relay links that fall back from UDP to TCP and HTTP on the client side
 * (one per relay, made when the router first uses a relay), and the TCP and HTTP listeners on the
 * serving side.
 *
 * <p>A relay's UDP packets arrive on the node's UDP sockets; {@link #via} maps them to the relay's
 * link, so the engine sees the relay at one (transport, endpoint) whatever the carrier.
 */
final class NodeCarriers {
    private final EventLoop loop;
    private final FallbackConfig config;
    private final Map<InetSocketAddress, RelayLink> links = new ConcurrentHashMap<>();
    private volatile TcpTransport tcp;
    private volatile HttpTransport http;

    NodeCarriers(EventLoop loop, FallbackConfig config) {
        this.loop = loop;
        this.config = config;
    }

    /** The router's hook: the link for a relay (made on first use), or {@code udp} if fallback is off. */
    Transport carrier(
            ZoneFile file,
            ZoneRelay relay,
            InetSocketAddress udpEndpoint,
            Transport udp,
            PacketReceiver receiver,
            java.util.function.Consumer<org.anode.address.AnodeAddress> ping) {
        if (config == null) {
            return udp;
        }
        org.anode.address.AnodeAddress ra = relay.addresses().get(0);
        return links.computeIfAbsent(
                udpEndpoint,
                ep -> new RelayLink(
                        loop,
                        udp,
                        ep,
                        relay.tcpPort() > 0 ? new InetSocketAddress(ep.getAddress(), relay.tcpPort()) : null,
                        ZoneHttpEndpoints.of(file, relay.index()),
                        config,
                        receiver,
                        ra,
                        () -> ping.accept(ra)));
    }

    /** Starts the TCP and HTTP listeners the configuration asks for. */
    void listen(AnodeNodeConfig c, PacketReceiver receiver) throws IOException {
        java.net.InetAddress ip = c.bindAddresses().get(0).getAddress();
        if (c.tcpPort() >= 0) {
            tcp = TcpTransport.listen(loop, new InetSocketAddress(ip, c.tcpPort()), c.carrierLimits(), receiver);
        }
        if (c.httpPort() >= 0) {
            http = HttpTransport.listen(loop, new InetSocketAddress(ip, c.httpPort()), c.carrierLimits(), receiver);
        }
    }

    /** The transport the engine should see a UDP packet from {@code source} arrive on. */
    Transport via(Transport via, InetSocketAddress source) {
        if (links.isEmpty() || !(via instanceof UdpTransport)) {
            return via;
        }
        RelayLink l = links.get(source);
        if (l == null) {
            return via;
        }
        l.udpHeard();
        return l;
    }

    boolean hasLinks() {
        return !links.isEmpty();
    }

    Optional<InetSocketAddress> tcpEndpoint() {
        TcpTransport t = tcp;
        return t == null ? Optional.empty() : Optional.of(t.localAddress());
    }

    Optional<InetSocketAddress> httpEndpoint() {
        HttpTransport t = http;
        return t == null ? Optional.empty() : Optional.of(t.localAddress());
    }

    TcpTransport tcpTransport() {
        return tcp;
    }

    HttpTransport httpTransport() {
        return http;
    }

    /** The endpoint type the relay at {@code udpEndpoint} is reached over now (draft 2.10). */
    Optional<EndpointType> carrierOf(InetSocketAddress udpEndpoint) {
        RelayLink l = links.get(udpEndpoint);
        return l == null ? Optional.empty() : Optional.of(type(l.carrier(), udpEndpoint));
    }

    /**
     * The endpoint type (draft 2.10) of what carries packets sent with {@code t} to {@code to}: a
     * relay link's current carrier, a TCP or HTTP client connected to this node's listeners, or
     * UDP. Thread-safe.
     */
    static EndpointType carrierType(Transport t, InetSocketAddress to) {
        FallbackPolicy.Carrier c;
        if (t instanceof RelayLink l) {
            c = l.carrier();
        } else if (t instanceof TcpTransport) {
            c = FallbackPolicy.Carrier.TCP;
        } else if (t instanceof HttpTransport) {
            c = FallbackPolicy.Carrier.HTTP;
        } else {
            c = FallbackPolicy.Carrier.UDP;
        }
        return type(c, to);
    }

    private static EndpointType type(FallbackPolicy.Carrier c, InetSocketAddress to) {
        boolean v6 = to.getAddress() instanceof java.net.Inet6Address;
        return switch (c) {
            case UDP -> v6 ? EndpointType.UDP_IPV6 : EndpointType.UDP_IPV4;
            case TCP -> v6 ? EndpointType.TCP_IPV6 : EndpointType.TCP_IPV4;
            case HTTP -> EndpointType.HTTP;
        };
    }

    List<RelayLink> links() {
        return List.copyOf(links.values());
    }

    void close() {
        for (RelayLink l : links.values()) {
            l.close();
        }
        TcpTransport t = tcp;
        if (t != null) {
            t.close();
        }
        HttpTransport h = http;
        if (h != null) {
            h.close();
        }
    }
}
