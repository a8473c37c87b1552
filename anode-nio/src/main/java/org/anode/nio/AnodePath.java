package org.anode.nio;

import java.net.Inet6Address;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import org.anode.address.AnodeAddress;
import org.anode.engine.NatType;
import org.anode.engine.PeerPath;
import org.anode.wire.Endpoint;
import org.anode.wire.EndpointType;

/**
 * How a peer is reached right now (draft 3.1, 2.3, 2.9, 2.10; DECISIONS 31, 33, 38), from
 * {@link AnodeNode#pathTo}: its best path - a direct IP endpoint (hop count 0) or a zone relay (hop
 * count 1 or more) - ranked by hop count, then freshness, among {@code paths} known paths, each
 * with the carrier this node uses for it (UDP, or the TCP or HTTP fallback to a relay), and the
 * TCP and HTTP endpoints the peer advertised in its EPIs. Immutable snapshot.
 *
 * @param peer the peer's address
 * @param relayed true if the best path goes through a relay
 * @param endpoint the IP endpoint packets are sent to (the relay's, for a relayed path)
 * @param relay the relay's Anode address if relayed and known, else empty
 * @param hops hop count of the latest packet that came back over this path (1 for a relayed path
 *     not yet heard from)
 * @param rtt smoothed round-trip time from PING/PONG, or empty before the first measurement
 * @param paths how many paths (endpoints) the peer has
 * @param localNat this node's NAT as NETID classified it (DECISIONS 35)
 * @param remoteNat the peer's NAT as its EPIs announce it (DECISIONS 36)
 * @param carrier the endpoint type (draft 2.10) of what carries the best path from this node:
 *     {@code UDP_IPV4}/{@code UDP_IPV6}, {@code TCP_IPV4}/{@code TCP_IPV6} or {@code HTTP} - for a
 *     relayed path, how this node reaches the relay (DECISIONS 38)
 * @param routes every known path, best first (the first is the one described above)
 * @param advertised the TCP (0x03, 0x05) and HTTP (0x06) endpoints the peer's EPIs named: recorded,
 *     never proven nor used for sending (addendum A16); empty if none
 */
public record AnodePath(
        AnodeAddress peer,
        boolean relayed,
        InetSocketAddress endpoint,
        Optional<AnodeAddress> relay,
        int hops,
        Optional<Duration> rtt,
        int paths,
        NatType localNat,
        NatType remoteNat,
        EndpointType carrier,
        List<Route> routes,
        List<Endpoint> advertised) {

    /**
     * Copies the lists and checks that {@code carrier} is a UDP, TCP or HTTP type.
     *
     * @param peer the peer's address
     * @param relayed true if the best path goes through a relay
     * @param endpoint the IP endpoint packets are sent to
     * @param relay the relay's address if relayed and known, else empty
     * @param hops hop count of the best path
     * @param rtt smoothed round-trip time, or empty before the first measurement
     * @param paths how many paths the peer has
     * @param localNat this node's NAT type
     * @param remoteNat the peer's NAT type
     * @param carrier the endpoint type carrying the best path from this node
     * @param routes every known path, best first; copied
     * @param advertised the TCP and HTTP endpoints the peer's EPIs named; copied
     * @throws IllegalArgumentException if {@code carrier} is not a UDP, TCP or HTTP type
     */
    public AnodePath {
        Objects.requireNonNull(peer, "peer");
        Objects.requireNonNull(endpoint, "endpoint");
        Objects.requireNonNull(relay, "relay");
        Objects.requireNonNull(rtt, "rtt");
        Objects.requireNonNull(localNat, "localNat");
        Objects.requireNonNull(remoteNat, "remoteNat");
        checkCarrier(carrier);
        routes = List.copyOf(routes);
        advertised = List.copyOf(advertised);
    }

    /**
     * A path over UDP, without the other paths or advertised endpoints.
     *
     * @param peer the peer's address
     * @param relayed true if the best path goes through a relay
     * @param endpoint the IP endpoint packets are sent to
     * @param relay the relay's address if relayed and known, else empty
     * @param hops hop count of the best path
     * @param rtt smoothed round-trip time, or empty before the first measurement
     * @param paths how many paths the peer has
     * @param localNat this node's NAT type
     * @param remoteNat the peer's NAT type
     */
    public AnodePath(
            AnodeAddress peer,
            boolean relayed,
            InetSocketAddress endpoint,
            Optional<AnodeAddress> relay,
            int hops,
            Optional<Duration> rtt,
            int paths,
            NatType localNat,
            NatType remoteNat) {
        this(
                peer,
                relayed,
                endpoint,
                relay,
                hops,
                rtt,
                paths,
                localNat,
                remoteNat,
                udp(endpoint),
                List.of(new Route(endpoint, hops, udp(endpoint))),
                List.of());
    }

    /**
     * A path over UDP without NAT facts (traversal off or nothing learned yet).
     *
     * @param peer the peer's address
     * @param relayed true if the best path goes through a relay
     * @param endpoint the IP endpoint packets are sent to
     * @param relay the relay's address if relayed and known, else empty
     * @param hops hop count of the best path
     * @param rtt smoothed round-trip time, or empty before the first measurement
     * @param paths how many paths the peer has
     */
    public AnodePath(
            AnodeAddress peer,
            boolean relayed,
            InetSocketAddress endpoint,
            Optional<AnodeAddress> relay,
            int hops,
            Optional<Duration> rtt,
            int paths) {
        this(peer, relayed, endpoint, relay, hops, rtt, paths, NatType.UNKNOWN, NatType.UNKNOWN);
    }

    static AnodePath of(PeerPath p) {
        return of(p, NatType.UNKNOWN, NatType.UNKNOWN);
    }

    static AnodePath of(PeerPath p, NatType localNat, NatType remoteNat) {
        return new AnodePath(
                p.peer(), p.relayed(), p.endpoint(), p.relay(), p.hops(), p.rtt(), p.paths(), localNat, remoteNat);
    }

    static AnodePath of(
            PeerPath p,
            NatType localNat,
            NatType remoteNat,
            EndpointType carrier,
            List<Route> routes,
            List<Endpoint> advertised) {
        // The routes come from one snapshot of the peer's endpoints: their count is the path count.
        return new AnodePath(
                p.peer(),
                p.relayed(),
                p.endpoint(),
                p.relay(),
                p.hops(),
                p.rtt(),
                routes.size(),
                localNat,
                remoteNat,
                carrier,
                routes,
                advertised);
    }

    /** {@return "direct" or "relay": the word the {@code anode ping} command prints} */
    public String kind() {
        return relayed ? "relay" : "direct";
    }

    /** {@return "udp", "tcp" or "http": the transport of {@link #carrier()}} */
    public String carrierName() {
        return carrierName(carrier);
    }

    /**
     * {@return {@link #kind()}, followed by "/tcp" or "/http" when the path is not carried over UDP
     * (e.g. "relay/tcp" for a relay reached over TCP): what the CLI prints after {@code path=}}
     */
    public String label() {
        return label(kind(), carrier);
    }

    /** The UDP endpoint type of an IP endpoint's family. */
    static EndpointType udp(InetSocketAddress endpoint) {
        return endpoint.getAddress() instanceof Inet6Address ? EndpointType.UDP_IPV6 : EndpointType.UDP_IPV4;
    }

    private static String carrierName(EndpointType t) {
        return t.isTcp() ? "tcp" : t == EndpointType.HTTP ? "http" : "udp";
    }

    private static String label(String kind, EndpointType carrier) {
        return carrier.isTcp() || carrier == EndpointType.HTTP ? kind + "/" + carrierName(carrier) : kind;
    }

    private static void checkCarrier(EndpointType t) {
        Objects.requireNonNull(t, "carrier");
        if (!t.isIp() && t != EndpointType.HTTP) {
            throw new IllegalArgumentException("a carrier is a UDP, TCP or HTTP endpoint type, not " + t);
        }
    }

    /**
     * One known path to the peer (draft 3.1): where packets go, its hop count, and what carries
     * it from this node (draft 2.10 endpoint type; DECISIONS 38). Immutable.
     *
     * @param endpoint the IP endpoint packets are sent to (the relay's, for a relayed path)
     * @param hops the path's hop count (0 direct, 1 or more through a relay)
     * @param carrier UDP, TCP or HTTP endpoint type, as {@link AnodePath#carrier()}
     */
    public record Route(InetSocketAddress endpoint, int hops, EndpointType carrier) {
        /**
         * Checks the arguments.
         *
         * @param endpoint the IP endpoint packets are sent to
         * @param hops the path's hop count, 0 or more
         * @param carrier UDP, TCP or HTTP endpoint type
         * @throws IllegalArgumentException if {@code hops} is negative or {@code carrier} is not
         *     a UDP, TCP or HTTP type
         */
        public Route {
            Objects.requireNonNull(endpoint, "endpoint");
            if (hops < 0) {
                throw new IllegalArgumentException("hops must be non-negative: " + hops);
            }
            checkCarrier(carrier);
        }

        /** {@return true if the path goes through a relay} */
        public boolean relayed() {
            return hops > 0;
        }

        /** {@return "direct" or "relay", then "/tcp" or "/http" unless carried over UDP} */
        public String label() {
            return AnodePath.label(relayed() ? "relay" : "direct", carrier);
        }
    }
}
