package org.anode.engine;

import static org.anode.engine.NatSim.MS;
import static org.anode.engine.NatSim.SECOND;
import static org.anode.engine.NatSim.ep;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetSocketAddress;
import java.util.List;
import org.anode.address.AnodeIdentity;
import org.anode.address.Zone;
import org.anode.engine.NatSim.Host;
import org.anode.engine.NatSim.Kind;
import org.anode.engine.NatSim.Nat;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A sequential NAT seen from two zone relays (DECISIONS 35) and port prediction, NAT-T mode 2
 * (DECISIONS 36, draft 4.2.6), on the simulated network ({@link NatSim}): b sits behind a NAT that
 * maps every new destination of a socket to the next port, a behind an easy one.
 */
@Timeout(60)
class NatTraversalSequentialTest {
    static final Zone Z = new Zone(0x0a0b0c0d);
    static final AnodeIdentity A = AnodeIdentity.generate(Z);
    static final AnodeIdentity B = AnodeIdentity.generate(Z);
    static final AnodeIdentity R1 = AnodeIdentity.generate(Z);
    static final AnodeIdentity R2 = AnodeIdentity.generate(Z);
    static final InetSocketAddress RELAY1 = ep("198.18.0.10", 4343);
    static final InetSocketAddress RELAY2 = ep("198.18.0.11", 4343);
    /** The first port the simulated sequential NAT hands out. */
    static final int FIRST = 20000;

    NatSim sim;
    Host a;
    Host b;

    void setUp(long seed) throws Exception {
        sim = new NatSim(seed);
        for (AnodeIdentity r : new AnodeIdentity[] {R1, R2}) {
            Host h = sim.new Host(r, r == R1 ? "198.18.0.10" : "198.18.0.11", 4343, null).withTraversal(seed + 1);
            h.engine.setRelay(new Relay(RelayConfig.defaults()));
        }
        a = host(A, "10.1.0.2", "198.18.0.21", "10.1.0.", Kind.EASY, seed + 2);
        b = host(B, "10.2.0.2", "198.18.0.22", "10.2.0.", Kind.SEQUENTIAL, seed + 3);
        // Private addresses are not routed between the homes (the lab's routers drop them before NAT).
        sim.blocked.add("198.18.0.21|10.2.0.2");
        sim.blocked.add("198.18.0.22|10.1.0.2");
        for (AnodeIdentity r : new AnodeIdentity[] {R1, R2}) {
            InetSocketAddress ep = r == R1 ? RELAY1 : RELAY2;
            a.engine.addPeer(r.address(), a.main, ep);
            b.engine.addPeer(r.address(), b.main, ep);
        }
        a.relays.add(new NatTraversal.RelayRef(R1.address(), a.main, RELAY1));
        b.relays.add(new NatTraversal.RelayRef(R1.address(), b.main, RELAY1));
    }

    Host host(AnodeIdentity id, String lanIp, String pub, String lan, Kind k, long seed) {
        Nat n = sim.new Nat(pub, k, lan);
        return sim.new Host(id, lanIp, 5000, n).withTraversal(seed);
    }

    void register(Host h, AnodeIdentity relay) {
        h.engine.ping(h.engine.peer(relay.address()), NatSim.ignore());
    }

    /** b uses its second relay too: a mapping (the next port) and a NETID observer. */
    void secondRelay() {
        b.relays.add(new NatTraversal.RelayRef(R2.address(), b.main, RELAY2));
        register(b, R2);
    }

    /** a reaches b over R1. */
    void contact() throws Exception {
        a.engine.addRelayedPath(B.address(), a.main, RELAY1);
        a.engine.ping(a.engine.peer(B.address()), NatSim.ignore());
    }

    /** Packets b sent from a socket other than its main one (mode 3's extra sockets). */
    long extraSocketPackets() {
        return sim.wire.stream()
                .filter(w -> w[0].getAddress().equals(b.ip) && w[0].getPort() != 5000)
                .count();
    }

    @Test
    void twoObserversShowTheSequenceAndThePeerProbesThePredictedPort() throws Exception {
        setUp(1);
        register(a, R1);
        register(b, R1);
        secondRelay();
        sim.runFor(SECOND);
        assertEquals(NatType.HARD_SEQUENTIAL, b.traversal.localNat());
        assertEquals(2, b.traversal.stats().natObservers());
        assertEquals(ep("198.18.0.22", FIRST + 1), b.traversal.publicEndpoint(b.main));
        contact();
        sim.runFor(3 * SECOND);
        // b's first packet to a took the next port; a found it among the predicted ones.
        PeerEndpoint ab = a.engine.peer(B.address()).bestEndpoint();
        assertEquals(0, ab.hops());
        assertEquals(ep("198.18.0.22", FIRST + 2), ab.address());
        assertEquals(NatTraversal.MODE_PREDICT, a.traversal.stats().lastSwitchMode());
        assertEquals(NatTraversal.MODE_PREDICT, b.traversal.stats().lastSwitchMode());
        assertEquals(NatType.HARD_SEQUENTIAL, a.traversal.remoteNat(B.address()));
        assertEquals(0, extraSocketPackets(), "no mode-3 sockets for a sequential NAT");
    }

    /**
     * The round starts while b has one answer (a changed port: random, by itself) and its second
     * relay's is on the way: b waits for it instead of announcing mode 3 and opening 64 sockets,
     * each of which would take a port of the sequence. Then it announces mode 2 and a's predicted
     * port wins.
     */
    @Test
    void aLoneObserversVerdictWaitsForTheSecondRelay() throws Exception {
        setUp(2);
        register(a, R1);
        register(b, R1);
        sim.runFor(600 * MS);
        assertEquals(NatType.HARD_RANDOM, b.traversal.localNat(), "one observer, port changed");
        secondRelay();
        contact();
        sim.runFor(3 * SECOND);
        assertEquals(NatType.HARD_SEQUENTIAL, b.traversal.localNat());
        assertEquals(0, extraSocketPackets(), "b opened no extra sockets");
        PeerEndpoint ab = a.engine.peer(B.address()).bestEndpoint();
        assertEquals(0, ab.hops(), "direct");
        assertEquals(NatTraversal.MODE_PREDICT, a.traversal.stats().lastSwitchMode());
        assertTrue(ab.address().getPort() > FIRST + 1, "a predicted port: " + ab.address());
    }

    /**
     * b reaches R2 first and R1 next (ports 20000, 20001) but asks R1 first, so the answers come
     * the other way round: the step is still +1 and the newest mapping (the highest port) is the
     * one announced, so a still probes the port b's NAT hands out next.
     */
    @Test
    void answersInAnotherOrderThanTheMappingsStillPredictUpward() throws Exception {
        setUp(4);
        register(a, R1);
        b.relays.add(new NatTraversal.RelayRef(R2.address(), b.main, RELAY2));
        register(b, R2);
        register(b, R1);
        sim.runFor(SECOND);
        assertEquals(NatType.HARD_SEQUENTIAL, b.traversal.localNat());
        assertEquals(ep("198.18.0.22", FIRST), b.traversal.publicEndpoint(b.main), "R2's answer came last");
        contact();
        sim.runFor(3 * SECOND);
        PeerEndpoint ab = a.engine.peer(B.address()).bestEndpoint();
        assertEquals(0, ab.hops(), "direct");
        assertEquals(ep("198.18.0.22", FIRST + 2), ab.address());
        assertEquals(NatTraversal.MODE_PREDICT, a.traversal.stats().lastSwitchMode());
    }

    @Test
    void theStepIsReadInIncreasingPortOrder() {
        var pub = NatSim.ip("198.18.0.22");
        var lan = List.of(NatSim.ip("10.2.0.2"));
        List<InetSocketAddress> down = List.of(
                new InetSocketAddress(pub, 7004), new InetSocketAddress(pub, 7000), new InetSocketAddress(pub, 7002));
        assertEquals(2, NatType.sequentialStep(down));
        assertEquals(NatType.HARD_SEQUENTIAL, NatType.classify(5000, lan, down));
        assertEquals(
                0,
                NatType.sequentialStep(List.of(
                        new InetSocketAddress(pub, 7000),
                        new InetSocketAddress(pub, 7002),
                        new InetSocketAddress(pub, 7003))));
    }

    /** With one relay only there is nothing to wait for: a changed port is random at once (mode 3). */
    @Test
    void withOneRelayAChangedPortIsRandomAtOnce() throws Exception {
        setUp(3);
        register(a, R1);
        register(b, R1);
        sim.runFor(600 * MS);
        contact();
        sim.runFor(3 * SECOND);
        assertEquals(NatType.HARD_RANDOM, b.traversal.localNat());
        assertTrue(extraSocketPackets() > 0, "mode 3: b's extra sockets sent");
    }
}
