package org.anode.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import org.anode.address.AnodeIdentity;
import org.anode.address.Zone;
import org.junit.jupiter.api.Test;

/**
 * Addendum A10: first contacts that a zone relay this node uses delivers (hop count above 0, from
 * the relay's endpoint) are charged to a per-relay key-agreement bucket of half the node-wide rate,
 * not to the per-source bucket of the relay's IP address; everything else is unchanged. Fake clock.
 */
class RelayedFirstContactBudgetTest {
    static final long SECOND = 1_000_000_000L;
    long now = SECOND;
    final EngineTest.FakeTransport t = new EngineTest.FakeTransport(1002);

    static InetSocketAddress at(int last, int port) throws Exception {
        return new InetSocketAddress(InetAddress.getByAddress(new byte[] {127, 0, 9, (byte) last}), port);
    }

    /** A genuine first contact to B from a new identity, with the hop count a relay would write. */
    static byte[] contact(int hops) throws Exception {
        byte[] p = EngineTest.firstContact(AnodeIdentity.generate(Zone.DEFAULT));
        p[0] = (byte) hops;
        return p;
    }

    /** Delivers {@code n} first contacts from {@code source}, {@code gapNanos} apart; returns how many got in. */
    int deliver(Engine e, InetSocketAddress source, int hops, int n, long gapNanos) throws Exception {
        List<byte[]> ps = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            ps.add(contact(hops));
        }
        int before = e.peerCount();
        for (byte[] p : ps) {
            e.receive(t, source, ByteBuffer.wrap(p));
            now += gapNanos;
        }
        return e.peerCount() - before;
    }

    Engine engine(InetSocketAddress relay) {
        Engine e =
                new Engine(EngineTest.B, EngineConfig.builder().newPeerRate(256).build(), () -> now);
        e.setUsedRelays(relay::equals);
        return e;
    }

    @Test
    void aUsedRelayHasHalfTheNodeWideBudgetInsteadOfOneSourcesShare() throws Exception {
        InetSocketAddress relay = at(1, 4000);
        EngineConfig c = EngineConfig.builder().newPeerRate(256).build();
        int perSourceBurst = Math.max(1, c.newPeerRatePerSource() / 4);
        int perRelay = Engine.relayedNewPeerRate(c);
        assertEquals(128, perRelay);
        // A burst at one instant: the relay's burst, not one source's.
        Engine e = engine(relay);
        assertEquals(perRelay / 4, deliver(e, relay, 1, 40, 0), "relayed first contacts: the relay's burst");
        Engine plain = engine(relay);
        assertEquals(perSourceBurst, deliver(plain, at(2, 4000), 1, 40, 0), "any other source: its own burst");
        // Sustained: 100 new relayed peers a second all get in (one source's share is 32 a second).
        Engine s = engine(relay);
        assertEquals(150, deliver(s, relay, 1, 150, SECOND / 100));
    }

    @Test
    void onlyRelayedPacketsFromTheRelaysEndpointUseTheRelayBudget() throws Exception {
        InetSocketAddress relay = at(1, 4000);
        EngineConfig c = EngineConfig.builder().newPeerRate(256).build();
        int perSourceBurst = Math.max(1, c.newPeerRatePerSource() / 4);
        // Hop count 0 from the relay's endpoint: the relay's own IP as a plain source.
        assertEquals(perSourceBurst, deliver(engine(relay), relay, 0, 20, 0));
        // Hop count 1 from another port of the same host: not the relay endpoint.
        assertEquals(perSourceBurst, deliver(engine(relay), at(1, 4001), 1, 20, 0));
    }

    @Test
    void aFloodThroughTheRelayLeavesDirectFirstContactsTheirShare() throws Exception {
        InetSocketAddress relay = at(1, 4000);
        Engine e = engine(relay);
        // Garbage under random full addresses through the relay, at one instant.
        for (int i = 0; i < 500; i++) {
            byte[] g = EngineTest.forge(
                    org.anode.wire.AddressField.full(
                            AnodeIdentity.generate(Zone.DEFAULT).address()),
                    org.anode.wire.AddressField.shortOf(EngineTest.B.address()),
                    false,
                    org.anode.wire.MessageType.DGRAM,
                    new byte[] {0, 5, 0, 9},
                    new byte[32]);
            g[0] = 1;
            e.receive(t, relay, ByteBuffer.wrap(g));
        }
        assertEquals(
                Engine.relayedNewPeerRate(
                                EngineConfig.builder().newPeerRate(256).build())
                        / 4,
                e.stats().authFailed(),
                "only the relay's burst reached the ECDH");
        // Direct first contacts from other sources, at the same instant, still get in.
        for (int i = 0; i < 4; i++) {
            AnodeIdentity g = AnodeIdentity.generate(Zone.DEFAULT);
            e.receive(t, at(10 + i, 5000), ByteBuffer.wrap(EngineTest.firstContact(g)));
            assertNotNull(e.peer(g.address()));
        }
    }
}
