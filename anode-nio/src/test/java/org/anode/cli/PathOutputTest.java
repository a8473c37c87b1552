package org.anode.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.anode.address.AnodeAddress;
import org.anode.address.AnodeIdentity;
import org.anode.address.Zone;
import org.anode.engine.NatType;
import org.anode.nio.AnodePath;
import org.anode.wire.Endpoint;
import org.anode.wire.EndpointType;
import org.junit.jupiter.api.Test;

/**
 * How {@link AnodePath} and the console's {@code path} line show the carrier and the advertised
 * TCP and HTTP endpoints (draft 2.10; DECISIONS 38; addendum A16).
 */
class PathOutputTest {
    static final AnodeAddress PEER =
            AnodeIdentity.generate(new Zone(0x01020304)).address();
    static final InetSocketAddress RELAY = new InetSocketAddress(InetAddress.getLoopbackAddress(), 4343);

    static AnodePath relayed(EndpointType carrier, List<Endpoint> advertised) {
        return new AnodePath(
                PEER,
                true,
                RELAY,
                Optional.empty(),
                1,
                Optional.of(Duration.ofMillis(3)),
                1,
                NatType.UNKNOWN,
                NatType.UNKNOWN,
                carrier,
                List.of(new AnodePath.Route(RELAY, 1, carrier)),
                advertised);
    }

    @Test
    void aUdpPathReadsAsBeforeAndTheOldConstructorsMeanUdp() {
        AnodePath p = new AnodePath(PEER, true, RELAY, Optional.empty(), 1, Optional.empty(), 1);
        assertEquals(EndpointType.UDP_IPV4, p.carrier());
        assertEquals("relay", p.label());
        assertEquals("udp", p.carrierName());
        assertEquals(List.of(new AnodePath.Route(RELAY, 1, EndpointType.UDP_IPV4)), p.routes());
        assertEquals(List.of(), p.advertised());
        assertEquals("relay hops=1 endpoint=" + RELAY, NodeConsole.pathLine(p));
    }

    @Test
    void tcpAndHttpCarriersAndAdvertisedEndpointsAreNamed() throws Exception {
        assertEquals("relay/tcp", relayed(EndpointType.TCP_IPV4, List.of()).label());
        assertEquals("relay/http", relayed(EndpointType.HTTP, List.of()).label());
        assertEquals("direct/tcp", new AnodePath.Route(RELAY, 0, EndpointType.TCP_IPV6).label());
        AnodePath p = relayed(
                EndpointType.TCP_IPV4,
                List.of(
                        Endpoint.tcp(new InetSocketAddress(InetAddress.getByName("192.0.2.7"), 8443)),
                        Endpoint.tcp(new InetSocketAddress(InetAddress.getByName("2001:db8::7"), 8443)),
                        new Endpoint.Http("http://192.0.2.7:8080/")));
        assertEquals(
                "relay/tcp hops=1 endpoint=" + RELAY
                        + " advertised=tcp:192.0.2.7:8443,tcp:[2001:db8:0:0:0:0:0:7]:8443,http://192.0.2.7:8080/",
                NodeConsole.pathLine(p));
    }

    @Test
    void theValueIsImmutableAndRejectsANonCarrierType() {
        List<Endpoint> mutable = new ArrayList<>(List.of(new Endpoint.Http("http://a/")));
        AnodePath p = relayed(EndpointType.HTTP, mutable);
        mutable.clear();
        assertEquals(1, p.advertised().size(), "a copy is kept");
        assertThrows(UnsupportedOperationException.class, () -> p.advertised().clear());
        assertThrows(IllegalArgumentException.class, () -> relayed(EndpointType.ETHERNET, List.of()));
        assertThrows(IllegalArgumentException.class, () -> new AnodePath.Route(RELAY, 0, EndpointType.UNSPECIFIED));
    }
}
