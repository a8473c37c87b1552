package org.anode.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.anode.address.AnodeAddress;
import org.anode.address.AnodeIdentity;
import org.anode.address.Zone;
import org.anode.engine.EngineTest.FakeTransport;
import org.anode.wire.AddressField;
import org.anode.wire.MessageFields;
import org.anode.wire.MessageType;
import org.anode.wire.PacketFormat;
import org.anode.wire.PacketWriter;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The relay's rules (draft 2.3, 3.1, 3.4; DECISIONS 33, 34, 41) and the sender's routing decisions
 * (DECISIONS 31, 33), deterministically: three engines on fake transports and a fake clock.
 */
@Timeout(30)
class RelayTest {
    static final Zone Z = new Zone(0x0a0b0c0d);
    static final AnodeIdentity A = AnodeIdentity.generate(Z);
    static final AnodeIdentity B = AnodeIdentity.generate(Z);
    static final AnodeIdentity R = AnodeIdentity.generate(Z);
    static final long SECOND = 1_000_000_000L;
    static final org.anode.crypto.internal.AesCmac KEY = key();

    static org.anode.crypto.internal.AesCmac key() {
        try {
            return org.anode.crypto.internal.AesCmac.forKey(new byte[32]);
        } catch (java.security.InvalidKeyException e) {
            throw new IllegalStateException(e);
        }
    }

    long now = 5 * SECOND;
    FakeTransport ta;
    FakeTransport tb;
    FakeTransport tr;
    Engine a;
    Engine b;
    Engine r;
    Relay relay;
    List<byte[]> dgramsAtB;
    List<Object[]> errorsAtA;

    Engine engine(AnodeIdentity id) {
        return new Engine(id, EngineConfig.defaults(), () -> now);
    }

    void setUp(RelayConfig cfg) throws Exception {
        ta = new FakeTransport(1);
        tb = new FakeTransport(2);
        tr = new FakeTransport(3);
        a = engine(A);
        b = engine(B);
        r = engine(R);
        relay = new Relay(cfg);
        r.setRelay(relay);
        dgramsAtB = new ArrayList<>();
        errorsAtA = new ArrayList<>();
        b.setDatagramHandler((from, sp, dp, buf, off, len) -> {
            byte[] p = new byte[len];
            buf.get(off, p);
            dgramsAtB.add(p);
            return true;
        });
        a.setErrorHandler((claimed, src, code, auth) -> errorsAtA.add(new Object[] {claimed, src, code, auth}));
        a.addPeer(R.address(), ta, tr.local);
        b.addPeer(R.address(), tb, tr.local);
    }

    @BeforeEach
    void defaults() throws Exception {
        setUp(RelayConfig.defaults());
    }

    /** Delivers every packet {@code from} has sent to the engine listening at its destination. */
    void flush(FakeTransport from) {
        while (!from.sent.isEmpty()) {
            FakeTransport.Sent s = from.take();
            engineAt(s.to()).receive(transportAt(s.to()), from.local, ByteBuffer.wrap(s.bytes()));
        }
    }

    Engine engineAt(InetSocketAddress ep) {
        return ep.equals(ta.local) ? a : ep.equals(tb.local) ? b : r;
    }

    FakeTransport transportAt(InetSocketAddress ep) {
        return ep.equals(ta.local) ? ta : ep.equals(tb.local) ? tb : tr;
    }

    /** {@code e} PINGs the relay (DECISIONS 33: this registers it) and the PONG comes back. */
    void register(Engine e, FakeTransport t) {
        e.ping(e.peer(R.address()), new Handlers.PingCallback() {
            @Override
            public void pong(long rtt) {}

            @Override
            public void failed(Exception cause) {}
        });
        flush(t);
        flush(tr);
    }

    byte[] dgram(Engine from, AnodeAddress to, String text) throws Exception {
        Outbound o = new Outbound(1400);
        ByteBuffer buf = from.begin(o, from.peer(to), MessageType.DGRAM, 0);
        MessageFields.writeDgramHeader(buf, 5, 9);
        buf.put(text.getBytes());
        assertTrue(from.finish(o));
        return o.buffer().array().clone();
    }

    /** A hand-made PING from {@code sender} to {@code recipient}, MAC'd with a key the relay does not have. */
    static byte[] packet(
            int hops, AnodeAddress sender, AnodeAddress recipient, boolean recipientFull, int recipientPeerId) {
        ByteBuffer buf = ByteBuffer.allocate(200);
        PacketWriter w = new PacketWriter();
        w.begin(
                buf,
                hops,
                false,
                new AddressField.Full(sender),
                recipientFull ? new AddressField.Full(recipient) : new AddressField.Short(recipient.shortId()),
                1,
                recipientPeerId,
                MessageType.PING);
        buf.putLong(42);
        int len = w.finish(KEY);
        byte[] p = new byte[len];
        buf.flip();
        buf.get(p);
        return p;
    }

    void fromEndpoint(byte[] p, InetSocketAddress source) {
        r.receive(tr, source, ByteBuffer.wrap(p));
    }

    // ------------------------------------------------------------------ registration

    @Test
    void aPingToTheRelayRegistersItsSenderForTheLifetime() {
        register(a, ta);
        assertTrue(relay.isRegistered(A.address(), now));
        assertEquals(1, relay.registrationCount(now));
        now += 119 * SECOND;
        assertTrue(relay.isRegistered(A.address(), now));
        now += 2 * SECOND;
        assertFalse(relay.isRegistered(A.address(), now), "expired 120 s after the last packet (DECISIONS 33)");
        assertEquals(0, relay.registrationCount(now));
    }

    @Test
    void aRelayedPacketToTheRelayRegistersNothing() {
        a.ping(a.peer(R.address()), new Handlers.PingCallback() {
            @Override
            public void pong(long rtt) {}

            @Override
            public void failed(Exception cause) {}
        });
        byte[] p = ta.take().bytes();
        p[0] = 1;
        r.receive(tr, ta.local, ByteBuffer.wrap(p));
        assertEquals(1, r.stats().accepted(), "authenticated and answered");
        assertFalse(relay.isRegistered(A.address(), now), "never an endpoint learned from a forwarded packet");
    }

    @Test
    void theRegistrationTableIsBounded() {
        setUpQuietly(RelayConfig.defaults().withRegistrations(1, Duration.ofSeconds(120)));
        assertTrue(relay.register(A.address(), 1, tr, ta.local, now));
        assertFalse(relay.register(B.address(), 1, tr, tb.local, now), "full of live registrations");
        assertEquals(1, relay.stats().registrationsRefused());
        now += 121 * SECOND;
        assertTrue(relay.register(B.address(), 1, tr, tb.local, now), "room again once the first expired");
    }

    void setUpQuietly(RelayConfig c) {
        try {
            setUp(c);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    // ------------------------------------------------------------------ forwarding

    @Test
    void forwardsUnchangedButTheHopCountAndTheAnswerComesBackTheSameWay() throws Exception {
        register(a, ta);
        register(b, tb);
        a.addRelayedPath(B.address(), ta, tr.local);
        dgram(a, B.address(), "hello");
        FakeTransport.Sent toRelay = ta.take();
        assertEquals(tr.local, toRelay.to(), "sent to the relay's endpoint");
        assertEquals(
                PacketFormat.FLAG_SENDER_FULL | PacketFormat.FLAG_RECIPIENT_FULL,
                toRelay.bytes()[1],
                "full recipient until it answers (DECISIONS 33)");
        r.receive(tr, ta.local, ByteBuffer.wrap(toRelay.bytes()));
        FakeTransport.Sent fwd = tr.take();
        assertEquals(tb.local, fwd.to(), "to the registered endpoint of the recipient");
        assertEquals(1, fwd.bytes()[0], "hop count + 1 (draft 3.1)");
        byte[] orig = toRelay.bytes().clone();
        orig[0] = 1;
        assertArrayEquals(orig, fwd.bytes(), "otherwise unchanged");
        assertEquals(1, relay.stats().forwarded());
        b.receive(tb, tr.local, ByteBuffer.wrap(fwd.bytes()));
        assertEquals(1, dgramsAtB.size(), "the MAC is the sender's: it verifies at the recipient");
        // B learned a relayed path back to A through the relay (it had no endpoint for A).
        Peer aAtB = b.peer(A.address());
        assertNotNull(aAtB);
        assertEquals(tr.local, aAtB.bestEndpoint().address());
        assertEquals(1, aAtB.bestEndpoint().hops());
        assertEquals(1, b.stats().relayedReceived());
        // B answers through the relay; A hears it and stops naming B in full.
        dgram(b, A.address(), "back");
        FakeTransport.Sent answer = tb.take();
        assertEquals(tr.local, answer.to());
        r.receive(tr, tb.local, ByteBuffer.wrap(answer.bytes()));
        FakeTransport.Sent fwd2 = tr.take();
        assertEquals(ta.local, fwd2.to());
        a.receive(ta, tr.local, ByteBuffer.wrap(fwd2.bytes()));
        Peer bAtA = a.peer(B.address());
        assertTrue(Router.usable(bAtA), "a relayed path heard from is usable");
        dgram(a, B.address(), "again");
        assertEquals(0, ta.take().bytes()[1] & PacketFormat.FLAG_RECIPIENT_FULL, "short recipient once B answered");
    }

    @Test
    void aDirectPathWinsOverTheRelayedOne() throws Exception {
        a.addRelayedPath(B.address(), ta, tr.local);
        Peer p = a.peer(B.address());
        assertEquals(tr.local, p.bestEndpoint().address());
        assertFalse(Router.usable(p), "an unheard relayed path needs a resolution first");
        a.addPeer(B.address(), ta, tb.local);
        assertEquals(tb.local, p.bestEndpoint().address(), "hop count 0 ranks first (draft 3.1)");
        assertEquals(2, p.endpoints().length, "the relay stays as a fallback path");
        assertTrue(Router.usable(p));
    }

    @Test
    void hopLimitIsFour() {
        relay.register(B.address(), 1, tr, tb.local, now);
        fromEndpoint(packet(4, A.address(), B.address(), false, 0), ta.local);
        assertEquals(1, relay.stats().droppedHopLimit());
        assertTrue(tr.sent.isEmpty());
        fromEndpoint(packet(3, A.address(), B.address(), false, 0), ta.local);
        assertEquals(4, tr.take().bytes()[0]);
    }

    @Test
    void neverBackToWhereItCameFrom() {
        relay.register(B.address(), 1, tr, tb.local, now);
        fromEndpoint(packet(0, A.address(), B.address(), false, 0), tb.local);
        assertTrue(tr.sent.isEmpty());
        assertEquals(1, relay.stats().droppedLoop());
    }

    @Test
    void matchesTheRecipientByShortIdAndByFullAddress() {
        relay.register(B.address(), 1, tr, tb.local, now);
        fromEndpoint(packet(0, A.address(), B.address(), false, 0), ta.local);
        fromEndpoint(packet(0, A.address(), B.address(), true, 0), ta.local);
        assertEquals(2, relay.stats().forwarded());
        fromEndpoint(packet(0, A.address(), AnodeIdentity.generate(Z).address(), true, 0), ta.local);
        assertEquals(1, relay.stats().droppedNotRegistered());
    }

    @Test
    void peerIdsChooseTheEndpointPerDraft34() {
        InetSocketAddress second = EngineTest.ep(5);
        relay.register(B.address(), 1, tr, tb.local, now);
        relay.register(B.address(), 2, tr, second, now);
        for (int i = 0; i < 20; i++) {
            fromEndpoint(packet(0, A.address(), B.address(), false, 2), ta.local);
            assertEquals(second, tr.take().to(), "a registered non-zero peer id gets only its own endpoint");
        }
        Set<InetSocketAddress> seen = new HashSet<>();
        for (int i = 0; i < 64; i++) {
            fromEndpoint(packet(0, A.address(), B.address(), false, i % 2 == 0 ? 0 : 7), ta.local);
            seen.add(tr.take().to());
        }
        assertEquals(Set.of(tb.local, second), seen, "peer id 0 or unknown: a random registered endpoint");
    }

    @Test
    void expiredRegistrationsAreNotUsedAndTheKnownSenderHearsError04() throws Exception {
        register(a, ta);
        relay.register(B.address(), 1, tr, tb.local, now);
        now += 121 * SECOND;
        register(a, ta);
        a.addRelayedPath(B.address(), ta, tr.local);
        a.ping(a.peer(B.address()), new Handlers.PingCallback() {
            @Override
            public void pong(long rtt) {}

            @Override
            public void failed(Exception cause) {}
        });
        FakeTransport.Sent ping = ta.take();
        r.receive(tr, ta.local, ByteBuffer.wrap(ping.bytes()));
        assertEquals(1, relay.stats().droppedNotRegistered());
        FakeTransport.Sent err = tr.take();
        assertEquals(ta.local, err.to(), "the ERROR goes back to the source");
        assertTrue(err.bytes().length <= ping.bytes().length, "never larger than the packet answered");
        a.receive(ta, tr.local, ByteBuffer.wrap(err.bytes()));
        assertEquals(1, errorsAtA.size());
        assertEquals(4, errorsAtA.get(0)[2], "ERROR 04: relay recipient not reachable");
        assertEquals(true, errorsAtA.get(0)[3], "authenticated: A is a peer of the relay");
        assertTrue(tr.sent.isEmpty());
    }

    @Test
    void noErrorForAnUnknownSenderOrASmallPacket() {
        fromEndpoint(packet(0, A.address(), B.address(), true, 0), ta.local);
        assertEquals(1, relay.stats().droppedNotRegistered());
        assertTrue(tr.sent.isEmpty(), "the relay does not know A: no unauthenticated ERROR");
        assertEquals(0, relay.stats().errorReplies());
    }

    @Test
    void tokenBucketsPerSourcePerRecipientAndTotal() {
        // 10/s with a burst of 2 per source; 1000/s elsewhere.
        setUpQuietly(RelayConfig.defaults().withRates(10, 1000, 1000));
        relay.register(B.address(), 1, tr, tb.local, now);
        for (int i = 0; i < 5; i++) {
            fromEndpoint(packet(0, A.address(), B.address(), false, 0), ta.local);
        }
        assertEquals(2, relay.stats().forwarded());
        assertEquals(3, relay.stats().droppedRateLimited());
        // Another source has its own bucket.
        fromEndpoint(packet(0, A.address(), B.address(), false, 0), EngineTest.ep(9));
        assertEquals(3, relay.stats().forwarded());
        now += SECOND;
        fromEndpoint(packet(0, A.address(), B.address(), false, 0), ta.local);
        assertEquals(4, relay.stats().forwarded(), "refilled after a second");

        setUpQuietly(RelayConfig.defaults().withRates(1000, 10, 1000));
        relay.register(B.address(), 1, tr, tb.local, now);
        for (int i = 0; i < 5; i++) {
            fromEndpoint(packet(0, A.address(), B.address(), false, 0), EngineTest.ep(100 + i));
        }
        assertEquals(2, relay.stats().forwarded(), "per recipient, whatever the sources");

        setUpQuietly(RelayConfig.defaults().withRates(1000, 1000, 10));
        relay.register(B.address(), 1, tr, tb.local, now);
        relay.register(A.address(), 1, tr, ta.local, now);
        for (int i = 0; i < 3; i++) {
            fromEndpoint(packet(0, A.address(), B.address(), false, 0), EngineTest.ep(200 + i));
            fromEndpoint(packet(0, B.address(), A.address(), false, 0), EngineTest.ep(300 + i));
        }
        assertEquals(2, relay.stats().forwarded(), "in total");
        assertEquals(4, relay.stats().droppedRateLimited());
    }

    @Test
    void aNodeThatDoesNotRelayDropsPacketsForOthers() {
        b.receive(tb, ta.local, ByteBuffer.wrap(packet(0, A.address(), R.address(), false, 0)));
        assertEquals(1, b.stats().notForUs());
        assertTrue(tb.sent.isEmpty());
    }

    @Test
    void aReplayFromAnotherSourceDoesNotMoveTheRegistrationUntilThatSourceIsProven() throws Exception {
        register(a, ta);
        assertEquals(ta.local, relay.endpointOf(A.address(), now));
        // A captured PING of A, replayed from another endpoint (DECISIONS 29).
        a.ping(a.peer(R.address()), new Handlers.PingCallback() {
            @Override
            public void pong(long rtt) {}

            @Override
            public void failed(Exception cause) {}
        });
        byte[] captured = ta.take().bytes();
        InetSocketAddress elsewhere = EngineTest.ep(99);
        r.receive(tr, elsewhere, ByteBuffer.wrap(captured));
        assertEquals(ta.local, relay.endpointOf(A.address(), now), "a replay does not redirect A's traffic");
        // The relay checks the new source (addendum A3); if A really is there now (NAT rebinding),
        // its EPC comes back from there and the registration follows.
        FakeTransport.Sent check = null;
        for (FakeTransport.Sent s : tr.sent) {
            if (s.to().equals(elsewhere)
                    && s.bytes()[PacketFormat.headerLength(s.bytes()[1]) - 1] == MessageType.EPC_REQ.code()) {
                check = s;
            }
        }
        assertNotNull(check, "EPC_REQ to the new source");
        tr.sent.clear();
        a.receive(ta, tr.local, ByteBuffer.wrap(check.bytes()));
        FakeTransport.Sent epc = ta.take();
        r.receive(tr, elsewhere, ByteBuffer.wrap(epc.bytes()));
        assertEquals(elsewhere, relay.endpointOf(A.address(), now), "proven: the registration moves");
    }

    @Test
    void aNodeThatDoesNotRelayMayAnswerError03ToAKnownSender() throws Exception {
        Engine strict = new Engine(B, EngineConfig.builder().errorReplies(true).build(), () -> now);
        strict.addPeer(A.address(), tb, ta.local);
        a.addPeer(B.address(), ta, tb.local);
        // A sends to R via B (as if B were a relay): B does not relay.
        a.addRelayedPath(R.address(), ta, tb.local);
        Peer rAtA = a.peer(R.address());
        Outbound o = new Outbound(1400);
        ByteBuffer buf = a.begin(o, rAtA, MessageType.DGRAM, 0);
        MessageFields.writeDgramHeader(buf, 5, 9);
        buf.put(new byte[64]);
        a.finish(o);
        FakeTransport.Sent viaB = ta.sent.get(ta.sent.size() - 1);
        strict.receive(tb, ta.local, ByteBuffer.wrap(viaB.bytes()));
        assertEquals(1, strict.stats().notForUs());
        FakeTransport.Sent err = tb.take();
        assertTrue(err.bytes().length <= viaB.bytes().length);
        a.receive(ta, tb.local, ByteBuffer.wrap(err.bytes()));
        assertEquals(3, errorsAtA.get(errorsAtA.size() - 1)[2], "ERROR 03: relaying not authorized");
    }
}
