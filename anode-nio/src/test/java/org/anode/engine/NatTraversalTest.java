package org.anode.engine;

import static org.anode.engine.NatSim.MS;
import static org.anode.engine.NatSim.SECOND;
import static org.anode.engine.NatSim.ep;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetSocketAddress;
import java.util.List;
import org.anode.address.AnodeIdentity;
import org.anode.address.Zone;
import org.anode.engine.NatSim.Host;
import org.anode.engine.NatSim.Kind;
import org.anode.engine.NatSim.Nat;
import org.anode.wire.Endpoint;
import org.anode.wire.Message;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * NAT traversal (draft 4.2.4 - 4.2.9, DECISIONS 35, 36, addendum A3) on a simulated internet with
 * home-router NATs and a zone relay, on a fake clock ({@link NatSim}).
 */
@Timeout(60)
class NatTraversalTest {
    static final Zone Z = new Zone(0x0a0b0c0d);
    static final AnodeIdentity A = AnodeIdentity.generate(Z);
    static final AnodeIdentity B = AnodeIdentity.generate(Z);
    static final AnodeIdentity R = AnodeIdentity.generate(Z);
    static final InetSocketAddress RELAY = ep("198.18.0.10", 4343);

    NatSim sim;
    Host r;
    Host a;
    Host b;

    /** Relay at 198.18.0.10; a at 10.1.0.2 behind 198.18.0.21, b at 10.2.0.2 behind .22 (or public). */
    void setUp(Kind ka, Kind kb, long seed) throws Exception {
        sim = new NatSim(seed);
        r = sim.new Host(R, "198.18.0.10", 4343, null).withTraversal(seed + 1);
        r.engine.setRelay(new Relay(RelayConfig.defaults()));
        a = host(A, "10.1.0.2", "198.18.0.21", "10.1.0.", ka, seed + 2);
        b = host(B, "10.2.0.2", "198.18.0.22", "10.2.0.", kb, seed + 3);
    }

    Host host(AnodeIdentity id, String lanIp, String pub, String lan, Kind k, long seed) throws Exception {
        Nat n = k == Kind.NONE ? null : sim.new Nat(pub, k, lan);
        Host h = sim.new Host(id, k == Kind.NONE ? pub : lanIp, 5000, n).withTraversal(seed);
        h.engine.addPeer(R.address(), h.main, RELAY);
        h.relays.add(new NatTraversal.RelayRef(R.address(), h.main, RELAY));
        return h;
    }

    /** Both register with the relay and learn their NAT (NETID). */
    void register() throws Exception {
        a.engine.ping(a.engine.peer(R.address()), NatSim.ignore());
        b.engine.ping(b.engine.peer(R.address()), NatSim.ignore());
        sim.runFor(500 * MS);
    }

    /** Both register with the relay and learn their NAT (NETID), then a reaches b over the relay. */
    long contact() throws Exception {
        register();
        a.engine.addRelayedPath(B.address(), a.main, RELAY);
        long t0 = sim.now;
        a.engine.ping(a.engine.peer(B.address()), NatSim.ignore());
        return t0;
    }

    static PeerEndpoint best(Host h, AnodeIdentity of) {
        return h.engine.peer(of.address()).bestEndpoint();
    }

    @Test
    void easyAndEasyGoDirectWithinAFewRoundTrips() throws Exception {
        setUp(Kind.EASY, Kind.EASY, 1);
        long t0 = contact();
        sim.runFor(2 * SECOND);
        assertEquals(NatType.EASY, a.traversal.localNat());
        assertEquals(NatType.EASY, b.traversal.localNat());
        assertEquals(NatType.EASY, a.traversal.remoteNat(B.address()));
        PeerEndpoint ab = best(a, B);
        PeerEndpoint ba = best(b, A);
        assertEquals(0, ab.hops(), ab.toString());
        assertEquals(ep("198.18.0.22", 5000), ab.address(), "b's public endpoint (its port kept)");
        assertEquals(0, ba.hops(), ba.toString());
        assertEquals(ep("198.18.0.21", 5000), ba.address());
        assertTrue(a.traversal.isDirect(B.address()));
        long sw = Math.max(
                a.traversal.stats().lastSwitchNanos(), b.traversal.stats().lastSwitchNanos());
        // From the first relayed packet: EPIs over the relay, then probes. With the relay as fast as
        // the direct path (every leg 10 ms, a direct RTT of 20 ms) that is at most 3 RTTs.
        assertTrue(sw > 0 && sw <= 3 * 2 * NatSim.LATENCY, "switched after " + sw / MS + " ms");
        assertTrue(sim.now - t0 >= sw);
        // The relay endpoint stays as the fallback.
        assertTrue(a.engine.peer(B.address()).endpoints().length >= 2);
    }

    /**
     * Issue 12's figure on the simulated network (fake clock, every leg {@link NatSim#LATENCY}, so a
     * direct RTT is 20 ms and a relayed one-way trip as long): measured from a's first packet over
     * the relay, a switches within 3 direct RTTs - b's EPIs come back over the relay (2 RTTs), a's
     * probe and its EPC (1 RTT). Both sides, and nothing waits for a timer tick.
     */
    @Test
    void theSwitchComesWithinThreeDirectRoundTripsOfTheFirstRelayedPacket() throws Exception {
        setUp(Kind.EASY, Kind.EASY, 11);
        register();
        // Off the tick grid, so a timer-driven step would show.
        sim.runFor(7 * MS);
        long t0 = sim.now;
        a.engine.addRelayedPath(B.address(), a.main, RELAY);
        a.engine.ping(a.engine.peer(B.address()), NatSim.ignore());
        long rtt = 2 * NatSim.LATENCY;
        sim.runFor(3 * rtt);
        assertTrue(a.traversal.isDirect(B.address()), "a direct within 3 RTTs");
        assertTrue(
                a.traversal.stats().lastSwitchNanos() <= 3 * rtt,
                a.traversal.stats().lastSwitchNanos() / MS + " ms");
        // b proves a's endpoint by the check its probe triggered: half an RTT behind a.
        sim.runFor(rtt / 2);
        assertTrue(b.traversal.isDirect(A.address()), "b direct within 3.5 RTTs of a's first relayed packet");
    }

    /**
     * A node that has just started does not know its public endpoint when it first sends over the
     * relay: its first EPIs name only its interface, and it asks NETID at once (not at the next
     * tick). The allowance over 3 RTTs is that NETID round trip to the relay (one more RTT here),
     * during which the relay may not yet have proven the new node's endpoint, so the peer's first
     * EPIs are lost (they are, here): the peer answers the EPIs that name the public endpoint at
     * once, not at its next scheduled repeat.
     */
    @Test
    void aFreshNodeSwitchesWithinThreeRoundTripsPlusItsNetIdRoundTrip() throws Exception {
        freshNodeSwitch(NatSim.LATENCY);
    }

    /**
     * The same on paths as short as the lab's (0.3 ms a leg): the fresh node's second batch of
     * EPIs, sent when NETID answers, reaches the peer well within one batch window of its first,
     * and must still be answered at once - not at the 250 ms repeat - since it names the public
     * endpoint the first batch lacked.
     */
    @Test
    void aFreshNodeSwitchesWithinFourRoundTripsOnShortPathsToo() throws Exception {
        freshNodeSwitch(300_000L);
    }

    private void freshNodeSwitch(long latency) throws Exception {
        setUp(Kind.EASY, Kind.EASY, 12);
        sim.latency = latency;
        List<NatTraversal.RelayRef> relays = List.copyOf(a.relays);
        a.relays.clear();
        b.engine.ping(b.engine.peer(R.address()), NatSim.ignore());
        sim.runFor(507 * MS);
        assertEquals(null, a.traversal.publicEndpoint(a.main));
        long t0 = sim.now;
        // The relay forwards b's first EPIs before it has proven a's endpoint (in the lab it sends
        // them to the endpoint of a's previous process): lost. Relayed packets carry a hop count
        // above 0 in their first byte.
        InetSocketAddress aPublic = ep("198.18.0.21", 5000);
        long lossUntil = t0 + 3 * latency + latency / 2;
        sim.loss = (from, to, p) -> from.equals(RELAY) && to.equals(aPublic) && p[0] != 0 && sim.now - lossUntil < 0;
        a.relays.addAll(relays);
        a.engine.addRelayedPath(B.address(), a.main, RELAY);
        a.engine.ping(a.engine.peer(B.address()), NatSim.ignore());
        long rtt = 2 * latency;
        sim.runFor(4 * rtt);
        assertTrue(a.traversal.isDirect(B.address()), "a direct within 4 RTTs");
        assertTrue(
                a.traversal.stats().lastSwitchNanos() <= 4 * rtt,
                a.traversal.stats().lastSwitchNanos() / 1000 + " us");
        assertEquals(aPublic, a.traversal.publicEndpoint(a.main));
        assertTrue(sim.now - t0 >= a.traversal.stats().lastSwitchNanos());
    }

    @Test
    void aPingAfterTheSwitchComesBackDirect() throws Exception {
        setUp(Kind.EASY, Kind.EASY, 2);
        contact();
        sim.runFor(SECOND);
        int[] hops = {-1};
        a.engine.ping(a.engine.peer(B.address()), NatSim.ignore());
        sim.runFor(100 * MS);
        hops[0] = a.engine.peer(B.address()).lastPongHops();
        assertEquals(0, hops[0]);
    }

    @Test
    void hardAndHardStayOnTheRelayWithBoundedProbing() throws Exception {
        setUp(Kind.HARD, Kind.HARD, 3);
        contact();
        sim.runFor(30 * SECOND);
        assertEquals(NatType.HARD_RANDOM, a.traversal.localNat());
        assertEquals(NatType.HARD_RANDOM, a.traversal.remoteNat(B.address()));
        assertTrue(best(a, B).hops() > 0, "relayed");
        assertTrue(best(b, A).hops() > 0, "relayed");
        assertFalse(a.traversal.isDirect(B.address()));
        // Two hard NATs: no random-port round, no extra sockets; rounds back off.
        long probes = a.traversal.stats().probesSent();
        assertTrue(probes < 4 * 2 * 50, "probes " + probes);
    }

    @Test
    void easyAndHardGoDirectThroughManyPorts() throws Exception {
        setUp(Kind.EASY, Kind.HARD, 4);
        contact();
        sim.runFor(10 * SECOND);
        assertEquals(NatType.HARD_RANDOM, b.traversal.localNat());
        assertEquals(NatType.HARD_RANDOM, a.traversal.remoteNat(B.address()));
        assertEquals(0, best(a, B).hops(), best(a, B).toString());
        assertEquals(0, best(b, A).hops(), best(b, A).toString());
        // The hard side keeps only the extra socket its direct path uses.
        assertTrue(best(b, A).transport() != b.main);
    }

    /** Pings every 100 ms through a whole traversal, whatever its outcome, are all answered. */
    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.CsvSource({
        "EASY,HARD,20",
        "EASY,HARD,21",
        "EASY,HARD,22",
        "HARD,EASY,23",
        "HARD,HARD,24",
        "EASY,EASY,25"
    })
    void pingsThroughoutATraversalAreAllAnswered(Kind ka, Kind kb, long seed) throws Exception {
        setUp(ka, kb, seed);
        contact();
        int[] pongs = {0};
        int sent = 0;
        for (int i = 0; i < 200; i++) {
            a.engine.ping(a.engine.peer(B.address()), new Handlers.PingCallback() {
                @Override
                public void pong(long rttNanos) {
                    pongs[0]++;
                }

                @Override
                public void failed(Exception cause) {}
            });
            sent++;
            sim.runFor(100 * MS);
        }
        sim.runFor(SECOND);
        assertTrue(
                pongs[0] >= sent - 3,
                pongs[0] + " of " + sent + " answered; a->b " + best(a, B) + ", b->a " + best(b, A));
    }

    @Test
    void theHardSidesExtraSocketsCloseWhenItsDirectPathIsLost() throws Exception {
        setUp(Kind.EASY, Kind.HARD, 4);
        contact();
        sim.runFor(10 * SECOND);
        Transport extra = best(b, A).transport();
        assertTrue(extra != b.main && extra.isOpen(), "direct over one extra socket");
        sim.blocked.add("198.18.0.21|198.18.0.22");
        for (int i = 0; i < 60; i++) {
            b.engine.ping(b.engine.peer(A.address()), NatSim.ignore());
            sim.runFor(100 * MS);
        }
        assertTrue(best(b, A).hops() > 0, "back on the relay");
        assertFalse(extra.isOpen(), "the socket of the lost path is closed");
        for (PeerEndpoint e : b.engine.peer(A.address()).endpoints()) {
            assertTrue(e.transport().isOpen(), "no endpoint left on a closed socket: " + e);
        }
    }

    @Test
    void oneSideWithoutNatGoesDirect() throws Exception {
        setUp(Kind.EASY, Kind.NONE, 5);
        contact();
        sim.runFor(2 * SECOND);
        assertEquals(NatType.NONE, b.traversal.localNat());
        assertEquals(NatType.NONE, a.traversal.remoteNat(B.address()));
        assertEquals(0, best(a, B).hops());
        assertEquals(ep("198.18.0.22", 5000), best(a, B).address());
    }

    @Test
    void twoHostsBehindOneNatUseTheirInterfaceEndpoints() throws Exception {
        sim = new NatSim(6);
        r = sim.new Host(R, "198.18.0.10", 4343, null).withTraversal(7);
        r.engine.setRelay(new Relay(RelayConfig.defaults()));
        Nat shared = sim.new Nat("198.18.0.21", Kind.EASY, "10.1.0.");
        a = sim.new Host(A, "10.1.0.2", 5000, shared).withTraversal(8);
        b = sim.new Host(B, "10.1.0.3", 5000, shared).withTraversal(9);
        for (Host h : List.of(a, b)) {
            h.engine.addPeer(R.address(), h.main, RELAY);
            h.relays.add(new NatTraversal.RelayRef(R.address(), h.main, RELAY));
        }
        contact();
        sim.runFor(2 * SECOND);
        assertEquals(ep("10.1.0.3", 5000), best(a, B).address(), "no hairpin: the LAN endpoint wins");
        assertEquals(0, best(a, B).hops());
        assertEquals(ep("10.1.0.2", 5000), best(b, A).address());
    }

    @Test
    void aSilentDirectPathFallsBackToTheRelayAndIsPunchedAgain() throws Exception {
        setUp(Kind.EASY, Kind.EASY, 10);
        contact();
        sim.runFor(SECOND);
        assertEquals(0, best(a, B).hops());
        sim.blocked.add("198.18.0.21|198.18.0.22");
        // Traffic keeps flowing a to b (a DGRAM-like stream of pings every 100 ms).
        long lostAt = sim.now;
        long backAt = -1;
        for (int i = 0; i < 60; i++) {
            a.engine.ping(a.engine.peer(B.address()), NatSim.ignore());
            sim.runFor(100 * MS);
            if (backAt < 0 && best(a, B).hops() > 0) {
                backAt = sim.now;
            }
        }
        assertTrue(backAt > 0, "fell back to the relay");
        assertTrue(backAt - lostAt <= 5 * SECOND, "within a few seconds: " + (backAt - lostAt) / MS + " ms");
        assertEquals(1, a.traversal.stats().fallbacks());
        assertTrue(a.engine.peer(B.address()).lastPongHops() > 0, "pings answered over the relay");
        sim.blocked.clear();
        sim.runFor(30 * SECOND);
        assertEquals(0, best(a, B).hops(), "punched again after the backoff");
        assertEquals(0, best(b, A).hops());
    }

    @Test
    void aPeerThatRestartsOnAnotherPortIsReachedDirectAgainSoon() throws Exception {
        setUp(Kind.EASY, Kind.EASY, 30);
        contact();
        for (int i = 0; i < 20; i++) {
            a.engine.ping(a.engine.peer(B.address()), NatSim.ignore());
            sim.runFor(100 * MS);
        }
        assertEquals(ep("198.18.0.21", 5000), best(b, A).address());
        // a's process goes away; a new one with the same identity starts on port 5001.
        a.traversal = null;
        a.main.close();
        Host a2 = sim.new Host(A, "10.1.0.2", 5001, a.nat).withTraversal(31);
        a2.engine.addPeer(R.address(), a2.main, RELAY);
        a2.relays.add(new NatTraversal.RelayRef(R.address(), a2.main, RELAY));
        a2.engine.ping(a2.engine.peer(R.address()), NatSim.ignore());
        sim.runFor(500 * MS);
        a2.engine.addRelayedPath(B.address(), a2.main, RELAY);
        a2.engine.ping(a2.engine.peer(B.address()), NatSim.ignore());
        // The old path was in use half a second ago: b still probes the new port a names at once.
        sim.runFor(300 * MS);
        assertEquals(ep("198.18.0.21", 5001), best(b, A).address(), "b took the new path");
        assertEquals(0, best(b, A).hops());
        sim.runFor(4 * SECOND);
        assertEquals(ep("198.18.0.21", 5001), best(b, A).address(), "b dropped the old path for the new one");
        assertEquals(0, best(b, A).hops());
        assertEquals(0, a2.engine.peer(B.address()).bestEndpoint().hops());
    }

    /** A peer restarting again and again (a new port each time) never crowds out the relayed path. */
    @Test
    void repeatedRestartsLeaveNoStaleDirectEndpoints() throws Exception {
        setUp(Kind.EASY, Kind.EASY, 40);
        contact();
        sim.runFor(2 * SECOND);
        Host cur = a;
        for (int i = 1; i <= 12; i++) {
            cur.traversal = null;
            cur.main.close();
            Host next = sim.new Host(A, "10.1.0.2", 5000 + i, a.nat).withTraversal(40 + i);
            next.engine.addPeer(R.address(), next.main, RELAY);
            next.relays.add(new NatTraversal.RelayRef(R.address(), next.main, RELAY));
            next.engine.ping(next.engine.peer(R.address()), NatSim.ignore());
            sim.runFor(500 * MS);
            next.engine.addRelayedPath(B.address(), next.main, RELAY);
            for (int k = 0; k < 30; k++) {
                next.engine.ping(next.engine.peer(B.address()), NatSim.ignore());
                sim.runFor(100 * MS);
            }
            assertEquals(ep("198.18.0.21", 5000 + i), best(b, A).address(), "restart " + i);
            assertEquals(0, next.engine.peer(B.address()).lastPongHops(), "restart " + i + ": replies come direct");
            boolean relayed = false;
            for (PeerEndpoint e : b.engine.peer(A.address()).endpoints()) {
                relayed |= e.hops() > 0;
            }
            assertTrue(relayed, "restart " + i + ": the relayed path is still there");
            cur = next;
        }
    }

    @Test
    void aFlushedEasyMappingHealsWhileTrafficFlows() throws Exception {
        setUp(Kind.EASY, Kind.EASY, 11);
        contact();
        sim.runFor(SECOND);
        sim.nats.get(1).flush();
        for (int i = 0; i < 50; i++) {
            a.engine.ping(a.engine.peer(B.address()), NatSim.ignore());
            b.engine.ping(b.engine.peer(A.address()), NatSim.ignore());
            sim.runFor(100 * MS);
        }
        sim.runFor(30 * SECOND);
        assertEquals(0, best(a, B).hops());
        assertEquals(0, best(b, A).hops());
    }

    @Test
    void anIdleDirectPathGetsKeepalivesBehindNatAndNoneWithout() throws Exception {
        setUp(Kind.EASY, Kind.EASY, 12);
        contact();
        sim.runFor(SECOND);
        int before = sim.wire.size();
        sim.runFor(60 * SECOND);
        long direct = sim.wire.subList(before, sim.wire.size()).stream()
                .filter(w ->
                        w[0].getAddress().getHostAddress().startsWith("10.1.") && w[1].equals(ep("198.18.0.22", 5000)))
                .count();
        assertTrue(direct >= 2 && direct <= 6, "a keepalive about every 25 s: " + direct);
        assertEquals(0, best(a, B).hops(), "and the path stays up");

        setUp(Kind.NONE, Kind.NONE, 13);
        contact();
        // Settled: the last packets of the switch answered (a liveness PING may follow an unanswered EPC).
        sim.runFor(3 * SECOND);
        assertEquals(0, best(a, B).hops());
        before = sim.wire.size();
        sim.runFor(60 * SECOND);
        long toB = sim.wire.subList(before, sim.wire.size()).stream()
                .filter(w -> w[0].equals(ep("198.18.0.21", 5000)) && w[1].equals(ep("198.18.0.22", 5000)))
                .count();
        assertEquals(0, toB, "no NAT on either side: no keepalive");
    }

    // ------------------------------------------------------------------ NETID

    @Test
    void netIdLearnsThePublicEndpointAndClassifies() throws Exception {
        setUp(Kind.EASY, Kind.HARD, 14);
        sim.runFor(SECOND);
        assertEquals(ep("198.18.0.21", 5000), a.traversal.publicEndpoint(a.main));
        assertEquals(NatType.EASY, a.traversal.localNat());
        assertEquals(NatType.HARD_RANDOM, b.traversal.localNat());
        assertTrue(r.traversal.stats().netIdAnswers() >= 2);
    }

    @Test
    void classification() {
        var ip = NatSim.ip("10.0.0.2");
        var pub = NatSim.ip("198.18.0.21");
        assertEquals(NatType.UNKNOWN, NatType.classify(5000, List.of(ip), List.of()));
        assertEquals(NatType.NONE, NatType.classify(5000, List.of(ip), List.of(new InetSocketAddress(ip, 5000))));
        assertEquals(NatType.EASY, NatType.classify(5000, List.of(ip), List.of(new InetSocketAddress(pub, 5000))));
        assertEquals(NatType.HARD_RANDOM, NatType.classify(5000, List.of(ip), List.of(new InetSocketAddress(pub, 7))));
        assertEquals(
                NatType.EASY,
                NatType.classify(
                        5000, List.of(ip), List.of(new InetSocketAddress(pub, 7), new InetSocketAddress(pub, 7))));
        assertEquals(
                NatType.HARD_SEQUENTIAL,
                NatType.classify(
                        5000,
                        List.of(ip),
                        List.of(
                                new InetSocketAddress(pub, 7000),
                                new InetSocketAddress(pub, 7002),
                                new InetSocketAddress(pub, 7004))));
        assertEquals(
                2, NatType.sequentialStep(List.of(new InetSocketAddress(pub, 7000), new InetSocketAddress(pub, 7002))));
        assertEquals(
                NatType.HARD_RANDOM,
                NatType.classify(
                        5000,
                        List.of(ip),
                        List.of(new InetSocketAddress(pub, 7000), new InetSocketAddress(pub, 39000))));
    }

    // ------------------------------------------------------------------ hostile input

    /** An authenticated EPI from b, delivered to a as if it came over the relay. */
    void epi(Host to, Host from, AnodeIdentity fromId, InetSocketAddress named, int mode, byte[] options) {
        Peer p = to.engine.peer(fromId.address());
        to.traversal.onEpi(p, to.main, RELAY, 1, new Message.Epi(Endpoint.udp(named), mode, options), sim.now);
    }

    @Test
    void anEpiFloodNamingThirdPartiesStaysWithinTheProbeBudget() throws Exception {
        setUp(Kind.EASY, Kind.EASY, 15);
        contact();
        sim.runFor(20 * MS);
        sim.blocked.add("198.18.0.21|198.18.0.22");
        int before = sim.wire.size();
        long start = sim.now;
        for (int i = 0; i < 10_000; i++) {
            epi(a, b, B, ep("203.0.113." + (i % 250 + 1), 1000 + i), NatTraversal.MODE_SIMULTANEOUS, new byte[0]);
        }
        sim.runFor(20 * SECOND);
        long toThirdParties = sim.wire.subList(before, sim.wire.size()).stream()
                .filter(w -> w[1].getAddress().getHostAddress().startsWith("203.0.113."))
                .count();
        long seconds = (sim.now - start) / SECOND;
        // At most MAX_CANDIDATES endpoints of one peer, each at most once per 100 ms for 5 s a round,
        // one round per backoff; whatever the EPIs say.
        assertTrue(toThirdParties <= (long) NatTraversal.MAX_CANDIDATES * 50 * 2, "probes " + toThirdParties);
        assertTrue(toThirdParties <= NatTraversal.PROBE_RATE * (seconds + 1));
        java.util.Map<String, Long> perEndpoint = new java.util.HashMap<>();
        sim.wire.subList(before, sim.wire.size()).stream()
                .filter(w -> w[1].getAddress().getHostAddress().startsWith("203.0.113."))
                .forEach(w -> perEndpoint.merge(w[1].toString(), 1L, Long::sum));
        assertTrue(perEndpoint.size() <= NatTraversal.MAX_CANDIDATES * 4, "endpoints " + perEndpoint.size());
        for (long n : perEndpoint.values()) {
            assertTrue(n <= 50 * 2, "one endpoint got " + n);
        }
        assertTrue(a.traversal.sessionCount() <= NatTraversal.MAX_SESSIONS);
        assertFalse(
                a.engine
                        .peer(B.address())
                        .endpoints()[0]
                        .address()
                        .getAddress()
                        .getHostAddress()
                        .startsWith("203."),
                "an endpoint named but never proven is never used");
    }

    @Test
    void epiFromManyPeersAndManyEndpointsKeepsTheTablesBounded() throws Exception {
        setUp(Kind.EASY, Kind.EASY, 19);
        sim.runFor(SECOND);
        List<Peer> peers = new java.util.ArrayList<>();
        for (int i = 0; i < NatTraversal.MAX_SESSIONS + 40; i++) {
            peers.add(a.engine.addRelayedPath(AnodeIdentity.generate(Z).address(), a.main, RELAY));
        }
        for (Peer p : peers) {
            for (int k = 0; k < 20; k++) {
                a.traversal.onEpi(
                        p,
                        a.main,
                        RELAY,
                        1,
                        new Message.Epi(
                                Endpoint.udp(ep("203.0.113.5", 2000 + k)),
                                NatTraversal.MODE_PREDICT,
                                new byte[] {0, 1, (byte) 255}),
                        sim.now);
            }
            assertTrue(a.traversal.candidateCount(p) <= NatTraversal.MAX_CANDIDATES);
        }
        assertEquals(NatTraversal.MAX_SESSIONS, a.traversal.sessionCount(), "sessions beyond the bound are refused");
        sim.runFor(200 * SECOND);
        assertTrue(a.traversal.sessionCount() < NatTraversal.MAX_SESSIONS, "silent peers leave the table");
    }

    @Test
    void replayedEpisBuyNoMoreThanOneRoundPerBackoff() throws Exception {
        setUp(Kind.HARD, Kind.EASY, 16);
        contact();
        sim.runFor(20 * SECOND);
        int before = sim.wire.size();
        // b claims (or a replay claims) a mode-3 endpoint over and over.
        for (int i = 0; i < 100; i++) {
            epi(b, a, A, ep("203.0.113.7", 4444), NatTraversal.MODE_MANY, new byte[] {64});
            sim.runFor(100 * MS);
        }
        long toVictim = sim.wire.subList(before, sim.wire.size()).stream()
                .filter(w -> w[1].getAddress().getHostAddress().equals("203.0.113.7"))
                .count();
        // One random-port run per MANY_REPEAT_NANOS (30 s) at most; here 10 s of replays.
        assertTrue(toVictim <= NatTraversal.MANY_PROBES + 100, "probes to the named address " + toVictim);
    }

    @Test
    void loopbackAndWildcardEndpointsAreNeverProbed() throws Exception {
        setUp(Kind.EASY, Kind.EASY, 17);
        contact();
        sim.runFor(20 * MS);
        int before = sim.wire.size();
        epi(a, b, B, ep("127.0.0.1", 22), NatTraversal.MODE_NONE, new byte[0]);
        epi(a, b, B, ep("0.0.0.0", 22), NatTraversal.MODE_NONE, new byte[0]);
        epi(a, b, B, ep("224.0.0.1", 22), NatTraversal.MODE_NONE, new byte[0]);
        sim.runFor(6 * SECOND);
        assertEquals(
                0,
                sim.wire.subList(before, sim.wire.size()).stream()
                        .filter(w -> w[1].getPort() == 22)
                        .count());
    }

    @Test
    void netIdAnswersGoOnlyToTheSourceAndForgedOrStaleOnesAreIgnored() throws Exception {
        setUp(Kind.EASY, Kind.EASY, 18);
        sim.runFor(SECOND);
        InetSocketAddress learned = a.traversal.publicEndpoint(a.main);
        // A NETID with no outstanding request id (a replay of an old answer, or made up by a peer).
        Peer rp = a.engine.peer(R.address());
        a.traversal.stats();
        int before = sim.wire.size();
        // The relay is asked to send a NETID to a third party: it does not.
        Peer ap = r.engine.peer(A.address());
        assertNotNull(ap);
        r.engine.sendMessageTo(
                ap,
                r.main,
                ep("198.18.0.21", 5000),
                new Message.NetIdReq(7, Endpoint.udp(ep("203.0.113.9", 53))),
                false);
        sim.runFor(SECOND);
        assertEquals(
                0,
                sim.wire.subList(before, sim.wire.size()).stream()
                        .filter(w -> w[1].getAddress().getHostAddress().startsWith("203."))
                        .count());
        // A NETID from b (not a relay a asked) naming a made-up endpoint changes nothing.
        Peer bp = b.engine.peer(R.address());
        assertNotNull(bp);
        a.engine.addRelayedPath(B.address(), a.main, RELAY);
        b.engine.addRelayedPath(A.address(), b.main, RELAY);
        b.engine.sendMessageTo(
                b.engine.peer(A.address()),
                b.main,
                RELAY,
                new Message.NetId(1234, Endpoint.udp(ep("203.0.113.9", 1))),
                true);
        sim.runFor(SECOND);
        assertEquals(learned, a.traversal.publicEndpoint(a.main));
        // From the relay itself, directly, but answering no outstanding request (forged, or a
        // replay of an earlier answer): ignored too.
        for (int id : new int[] {0, 1, -1, 42}) {
            r.engine.sendMessageTo(
                    ap,
                    r.main,
                    ep("198.18.0.21", 5000),
                    new Message.NetId(id, Endpoint.udp(ep("203.0.113.9", 1))),
                    false);
        }
        sim.runFor(100 * MS);
        assertEquals(learned, a.traversal.publicEndpoint(a.main));
        assertEquals(NatType.EASY, a.traversal.localNat());
        assertNotNull(rp);
    }
}
