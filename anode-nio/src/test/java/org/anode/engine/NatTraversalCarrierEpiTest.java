package org.anode.engine;

import static org.anode.engine.NatSim.MS;
import static org.anode.engine.NatSim.SECOND;
import static org.anode.engine.NatSim.ep;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import org.anode.address.AnodeIdentity;
import org.anode.address.Zone;
import org.anode.engine.NatSim.Host;
import org.anode.engine.NatSim.Kind;
import org.anode.engine.NatSim.Nat;
import org.anode.wire.Endpoint;
import org.anode.wire.EndpointType;
import org.anode.wire.Message;
import org.anode.wire.MessageType;
import org.anode.wire.WireException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * TCP and HTTP endpoints in EPIs (draft 2.9.2, 2.9.3, 2.10, 4.2.6; addendum A16): a node that
 * serves them sends them after its UDP endpoints, bounded; a node that receives them records them
 * for its peer and never contacts them, whatever a hostile EPI names.
 */
@Timeout(60)
class NatTraversalCarrierEpiTest {
    static final Zone Z = new Zone(0x0a0b0c0f);
    static final AnodeIdentity A = AnodeIdentity.generate(Z);
    static final AnodeIdentity B = AnodeIdentity.generate(Z);
    static final AnodeIdentity R = AnodeIdentity.generate(Z);
    static final InetSocketAddress RELAY = ep("198.18.0.10", 4343);

    NatSim sim;
    Host a;
    Host b;

    void setUp(long seed) throws Exception {
        sim = new NatSim(seed);
        Host r = sim.new Host(R, "198.18.0.10", 4343, null).withTraversal(seed + 1);
        r.engine.setRelay(new Relay(RelayConfig.defaults()));
        a = host(A, "10.1.0.2", "198.18.0.21", "10.1.0.", seed + 2);
        b = host(B, "10.2.0.2", "198.18.0.22", "10.2.0.", seed + 3);
    }

    Host host(AnodeIdentity id, String lanIp, String pub, String lan, long seed) throws Exception {
        Nat n = sim.new Nat(pub, Kind.EASY, lan);
        Host h = sim.new Host(id, lanIp, 5000, n).withTraversal(seed);
        h.engine.addPeer(R.address(), h.main, RELAY);
        h.relays.add(new NatTraversal.RelayRef(R.address(), h.main, RELAY));
        return h;
    }

    void contact() throws Exception {
        a.engine.ping(a.engine.peer(R.address()), NatSim.ignore());
        b.engine.ping(b.engine.peer(R.address()), NatSim.ignore());
        sim.runFor(500 * MS);
        a.engine.addRelayedPath(B.address(), a.main, RELAY);
        a.engine.ping(a.engine.peer(B.address()), NatSim.ignore());
    }

    /** Records every EPI {@code h} receives (in order) and hands it on to its traversal. */
    static List<Endpoint> recordEpis(Host h) {
        List<Endpoint> seen = new ArrayList<>();
        h.engine.setMessageHandler(MessageType.EPI, (peer, r, via, source, now) -> {
            Message.Epi epi;
            try {
                epi = (Message.Epi)
                        Message.decode(MessageType.EPI.code(), r.buffer(), r.payloadOffset(), r.payloadLimit());
            } catch (WireException e) {
                return;
            }
            seen.add(epi.endpoint());
            h.traversal.onEpi(peer, via, source, r.hopCount(), epi, now);
        });
        return seen;
    }

    static boolean isCarrier(Endpoint e) {
        return e.type().isTcp() || e.type() == EndpointType.HTTP;
    }

    @Test
    void theServedTcpAndHttpEndpointsFollowTheUdpOnesBoundedAndThePeerRecordsThem() throws Exception {
        setUp(41);
        List<Endpoint> served = List.of(
                Endpoint.tcp(ep("198.18.0.21", 8443)),
                Endpoint.tcp(ep("2001:db8::21", 8443)),
                new Endpoint.Http("http://198.18.0.21:8080/"),
                new Endpoint.Http("http://[2001:db8::21]:8080/"),
                Endpoint.tcp(ep("198.18.0.21", 9999)));
        a.carriers.addAll(served);
        List<Endpoint> atB = recordEpis(b);
        contact();
        sim.runFor(3 * SECOND);

        assertFalse(atB.isEmpty(), "b heard a's EPIs");
        assertFalse(isCarrier(atB.get(0)), "the UDP endpoints come first: " + atB);
        int first = 0;
        while (!isCarrier(atB.get(first))) {
            first++;
        }
        List<Endpoint> round = new ArrayList<>();
        for (int i = first; i < atB.size() && isCarrier(atB.get(i)); i++) {
            round.add(atB.get(i));
        }
        List<Endpoint> bounded = served.subList(0, NatTraversal.MAX_CARRIER_EPIS);
        assertEquals(bounded, round, "one round's TCP and HTTP EPIs, in order, at most MAX_CARRIER_EPIS");
        assertFalse(atB.contains(served.get(4)), "the fifth is never sent");
        for (Endpoint e : atB) {
            assertTrue(isCarrier(e) || e.type() == EndpointType.UDP_IPV4, "only UDP, TCP and HTTP endpoints: " + e);
        }
        assertEquals(bounded, b.traversal.carrierEndpoints(A.address()), "b records what a serves");
        assertEquals(List.of(), a.traversal.carrierEndpoints(B.address()), "b serves none");
        assertEquals(0, NatTraversalTest.best(a, B).hops(), "the UDP traversal still finds the direct path");
        assertEquals(0, NatTraversalTest.best(b, A).hops());
    }

    @Test
    void hostileEpisNamingThirdPartyTcpAndHttpEndpointsAreRecordedOnlyAndBounded() throws Exception {
        setUp(42);
        contact();
        sim.runFor(20 * MS);
        Peer pb = a.engine.peer(B.address());
        int before = sim.wire.size();
        for (int i = 0; i < 2000; i++) {
            Endpoint named = i % 2 == 0
                    ? Endpoint.tcp(ep("203.0.113." + (i % 250 + 1), 443 + i))
                    : new Endpoint.Http("http://203.0.113." + (i % 250 + 1) + ":80/" + i);
            a.traversal.onEpi(
                    pb, a.main, RELAY, 1, new Message.Epi(named, NatTraversal.MODE_NONE, new byte[0]), sim.now);
        }
        // Unusable ones are not even recorded.
        for (Endpoint junk : List.of(
                Endpoint.tcp(ep("0.0.0.0", 80)),
                Endpoint.tcp(ep("203.0.113.1", 0)),
                Endpoint.tcp(ep("224.0.0.1", 80)))) {
            a.traversal.onEpi(
                    pb, a.main, RELAY, 1, new Message.Epi(junk, NatTraversal.MODE_NONE, new byte[0]), sim.now);
        }
        sim.runFor(10 * SECOND);

        long toThirdParties = sim.wire.subList(before, sim.wire.size()).stream()
                .filter(w -> w[1].getAddress().getHostAddress().startsWith("203.0.113."))
                .count();
        assertEquals(0, toThirdParties, "nothing is ever sent to an endpoint a TCP or HTTP EPI names");
        assertEquals(0, a.traversal.candidateCount(pb), "and nothing is probed");
        List<Endpoint> kept = a.traversal.carrierEndpoints(B.address());
        assertEquals(NatTraversal.MAX_CARRIER_EPIS, kept.size(), "at most MAX_CARRIER_EPIS per peer: " + kept);
        assertEquals(new Endpoint.Http("http://203.0.113.250:80/1999"), kept.get(kept.size() - 1), "the newest");
        assertFalse(
                best(a).getAddress().getHostAddress().startsWith("203."),
                "an advertised endpoint never becomes a path");
    }

    @Test
    void carrierRecordsAreBoundedByTheSessionTableAndLeaveWithIt() throws Exception {
        setUp(43);
        sim.runFor(SECOND);
        List<Peer> peers = new ArrayList<>();
        for (int i = 0; i < NatTraversal.MAX_SESSIONS + 40; i++) {
            peers.add(a.engine.addRelayedPath(AnodeIdentity.generate(Z).address(), a.main, RELAY));
        }
        for (Peer p : peers) {
            a.traversal.onEpi(
                    p,
                    a.main,
                    RELAY,
                    1,
                    new Message.Epi(Endpoint.tcp(ep("203.0.113.5", 443)), NatTraversal.MODE_NONE, new byte[0]),
                    sim.now);
        }
        long recorded = peers.stream()
                .filter(p -> !a.traversal.carrierEndpoints(p.address()).isEmpty())
                .count();
        assertEquals(NatTraversal.MAX_SESSIONS, recorded, "records beyond the session table are refused");
        sim.runFor(200 * SECOND);
        recorded = peers.stream()
                .filter(p -> !a.traversal.carrierEndpoints(p.address()).isEmpty())
                .count();
        assertEquals(0, recorded, "silent peers' records leave with their sessions");
    }

    private InetSocketAddress best(Host h) {
        return h.engine.peer(B.address()).bestEndpoint().address();
    }
}
