package org.anode.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeoutException;
import org.anode.address.AnodeAddress;
import org.anode.address.AnodeIdentity;
import org.anode.address.ShortId;
import org.anode.address.Zone;
import org.anode.crypto.internal.AesCmac;
import org.anode.wire.AddressField;
import org.anode.wire.MessageFields;
import org.anode.wire.MessageType;
import org.anode.wire.PacketFormat;
import org.anode.wire.PacketWriter;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Deterministic tests of the sans-I/O engine (draft 3, 4): fake transports record what would be
 * sent, a fake clock drives time, packets are moved between engines by hand.
 */
@Timeout(30)
class EngineTest {
    static final AnodeIdentity A = AnodeIdentity.generate(Zone.DEFAULT);
    static final AnodeIdentity B = AnodeIdentity.generate(Zone.DEFAULT);
    static final AnodeIdentity C = AnodeIdentity.generate(new Zone(7));

    /** A transport that records packets instead of sending them. */
    static final class FakeTransport implements Transport {
        record Sent(InetSocketAddress to, byte[] bytes) {}

        final InetSocketAddress local;
        final List<Sent> sent = new ArrayList<>();
        boolean full;

        FakeTransport(int port) {
            local = ep(port);
        }

        @Override
        public String name() {
            return "fake:" + local.getPort();
        }

        @Override
        public InetSocketAddress localAddress() {
            return local;
        }

        @Override
        public boolean canReach(InetSocketAddress d) {
            return true;
        }

        @Override
        public int maxPacketSize(InetSocketAddress d) {
            return 1400;
        }

        @Override
        public boolean send(ByteBuffer p, InetSocketAddress d) {
            if (full) {
                return false;
            }
            byte[] b = new byte[p.remaining()];
            p.get(b);
            sent.add(new Sent(d, b));
            return true;
        }

        @Override
        public boolean isOpen() {
            return true;
        }

        @Override
        public void close() {}

        Sent last() {
            return sent.get(sent.size() - 1);
        }

        Sent take() {
            return sent.remove(0);
        }
    }

    static InetSocketAddress ep(int port) {
        try {
            return new InetSocketAddress(InetAddress.getByAddress(new byte[] {127, 0, 0, 1}), port);
        } catch (java.net.UnknownHostException e) {
            throw new IllegalStateException(e);
        }
    }

    record Delivery(AnodeAddress from, int srcPort, int dstPort, byte[] payload) {}

    long now = 1_000_000_000L;
    FakeTransport ta;
    FakeTransport tb;
    Engine a;
    Engine b;
    List<Delivery> deliveredToB;
    List<Object[]> errorsAtB;

    Engine engine(AnodeIdentity id, EngineConfig cfg) {
        return new Engine(id, cfg, () -> now);
    }

    @BeforeEach
    void setUp() throws Exception {
        ta = new FakeTransport(1001);
        tb = new FakeTransport(1002);
        a = engine(A, EngineConfig.defaults());
        b = engine(B, EngineConfig.defaults());
        deliveredToB = new ArrayList<>();
        errorsAtB = new ArrayList<>();
        b.setDatagramHandler((from, sp, dp, buf, off, len) -> {
            if (dp != 9) {
                return false;
            }
            byte[] p = new byte[len];
            buf.get(off, p);
            deliveredToB.add(new Delivery(from.address(), sp, dp, p));
            return true;
        });
        b.setErrorHandler((claimed, src, code, auth) -> errorsAtB.add(new Object[] {claimed, src, code, auth}));
        a.addPeer(B.address(), ta, tb.local);
    }

    /** Sends a DGRAM from a to b through a's engine and returns the packet bytes. */
    byte[] dgramFromA(int srcPort, int dstPort, String text) throws IOException {
        Outbound o = new Outbound(1400);
        ByteBuffer buf = a.begin(o, a.peer(B.address()), MessageType.DGRAM, 0);
        MessageFields.writeDgramHeader(buf, srcPort, dstPort);
        buf.put(text.getBytes());
        assertTrue(a.finish(o));
        return ta.take().bytes();
    }

    void toB(byte[] packet) {
        b.receive(tb, ta.local, ByteBuffer.wrap(packet));
    }

    void toA(byte[] packet) {
        a.receive(ta, tb.local, ByteBuffer.wrap(packet));
    }

    @Test
    void datagramIsDeliveredByPortAndTeachesTheSender() throws Exception {
        byte[] p = dgramFromA(5, 9, "hi");
        assertEquals(PacketFormat.FLAG_SENDER_FULL, p[1], "first packet carries the full sender address (draft 3.2)");
        toB(p);
        assertEquals(1, deliveredToB.size());
        Delivery d = deliveredToB.get(0);
        assertEquals(A.address(), d.from());
        assertEquals(5, d.srcPort());
        assertArrayEquals("hi".getBytes(), d.payload());
        Peer learned = b.peer(A.address());
        assertNotNull(learned, "an authenticated full sender is admitted to the table");
        assertEquals(ta.local, learned.bestEndpoint().address());
        assertFalse(learned.isConfigured());
    }

    @Test
    void unknownPortIsDroppedAndCounted() throws Exception {
        toB(dgramFromA(5, 10, "nobody"));
        assertTrue(deliveredToB.isEmpty());
        assertEquals(1, b.stats().noListener());
        assertEquals(0, b.stats().delivered());
    }

    @Test
    void senderUsesShortIdOnlyWhileThePeerHasAnsweredWithinSixtySeconds() throws Exception {
        toB(dgramFromA(5, 9, "one"));
        // b answers: any authenticated packet from b counts as an answer.
        Outbound o = new Outbound(1400);
        ByteBuffer buf = b.begin(o, b.peer(A.address()), MessageType.DGRAM, 0);
        assertEquals(0, buf.get(1) & PacketFormat.FLAG_SENDER_FULL, "b heard a, so it sends its short id");
        MessageFields.writeDgramHeader(buf, 9, 5);
        assertTrue(b.finish(o));
        toA(tb.take().bytes());
        byte[] second = dgramFromA(5, 9, "two");
        assertEquals(0, second[1], "a heard b: short sender id");
        toB(second);
        assertEquals(2, deliveredToB.size(), "b resolves the short id");
        now += 59_000_000_000L;
        assertEquals(0, dgramFromA(5, 9, "x")[1]);
        now += 2_000_000_000L;
        assertEquals(PacketFormat.FLAG_SENDER_FULL, dgramFromA(5, 9, "y")[1], "answered state timed out after 60 s");
    }

    /**
     * A restarted peer (a zone relay, typically) has forgotten our address and cannot authenticate a
     * short sender id: a PING it leaves unanswered, with nothing heard from it since, ends the
     * short form at once rather than after the draft's 60 s, and the next answer restores it.
     */
    @Test
    void anUnansweredPingEndsTheShortFormUntilThePeerAnswersAgain() throws Exception {
        toB(dgramFromA(5, 9, "one"));
        Outbound o = new Outbound(1400);
        ByteBuffer buf = b.begin(o, b.peer(A.address()), MessageType.DGRAM, 0);
        MessageFields.writeDgramHeader(buf, 9, 5);
        assertTrue(b.finish(o));
        toA(tb.take().bytes());
        assertEquals(0, dgramFromA(5, 9, "short")[1], "a heard b: short sender id");

        // An answer that comes after the PING was sent keeps the short form: b is alive.
        long answered = a.ping(a.peer(B.address()), NatSim.ignore());
        ta.take();
        now += 1_000_000L;
        buf = b.begin(o, b.peer(A.address()), MessageType.DGRAM, 0);
        MessageFields.writeDgramHeader(buf, 9, 5);
        assertTrue(b.finish(o));
        toA(tb.take().bytes());
        a.expirePing(answered);
        assertEquals(0, dgramFromA(5, 9, "still short")[1], "b was heard after the ping: still short");

        // Nothing from b after this PING: full sender until b answers again.
        now += 1_000_000L;
        long lost = a.ping(a.peer(B.address()), NatSim.ignore());
        ta.take();
        now += 3_000_000_000L;
        a.expirePing(lost);
        byte[] full = dgramFromA(5, 9, "full");
        assertEquals(PacketFormat.FLAG_SENDER_FULL, full[1] & PacketFormat.FLAG_SENDER_FULL, "short form given up");
        // (A b that had lost a's key, restarted, could take this packet as a first contact.)
        toB(full);
        buf = b.begin(o, b.peer(A.address()), MessageType.DGRAM, 0);
        MessageFields.writeDgramHeader(buf, 9, 5);
        assertTrue(b.finish(o));
        toA(tb.take().bytes());
        assertEquals(0, dgramFromA(5, 9, "short again")[1], "b answered: short again");
    }

    @Test
    void pingIsAnsweredWithPongOfTheSamePayloadAndGivesRtt() throws Exception {
        long[] rtt = {-1};
        a.ping(a.peer(B.address()), new Handlers.PingCallback() {
            @Override
            public void pong(long r) {
                rtt[0] = r;
            }

            @Override
            public void failed(Exception cause) {
                throw new AssertionError(cause);
            }
        });
        byte[] ping = ta.take().bytes();
        assertEquals(1, a.pendingPings());
        toB(ping);
        byte[] pong = tb.take().bytes();
        int pingHeader = PacketFormat.headerLength(ping[1]);
        int pongHeader = PacketFormat.headerLength(pong[1]);
        assertEquals(MessageType.PONG.code(), pong[pongHeader - 1]);
        assertArrayEquals(
                java.util.Arrays.copyOfRange(ping, pingHeader, ping.length),
                java.util.Arrays.copyOfRange(pong, pongHeader, pong.length),
                "PONG echoes the PING payload");
        now += 1234;
        toA(pong);
        assertEquals(1234, rtt[0]);
        assertEquals(1234, a.peer(B.address()).smoothedRttNanos());
        assertEquals(0, a.pendingPings());
    }

    @Test
    void unansweredPingExpires() throws Exception {
        Exception[] failure = new Exception[1];
        long id = a.ping(a.peer(B.address()), new Handlers.PingCallback() {
            @Override
            public void pong(long r) {
                throw new AssertionError("no pong expected");
            }

            @Override
            public void failed(Exception cause) {
                failure[0] = cause;
            }
        });
        a.expirePing(id);
        assertTrue(failure[0] instanceof TimeoutException);
        assertEquals(0, a.pendingPings());
    }

    @Test
    void packetWithWrongMacChangesNothing() throws Exception {
        byte[] p = dgramFromA(5, 9, "tampered");
        p[p.length - 1] ^= 1;
        toB(p);
        assertTrue(deliveredToB.isEmpty());
        assertNull(b.peer(A.address()), "no peer admitted");
        assertEquals(1, b.stats().authFailed());
        assertTrue(tb.sent.isEmpty(), "no reply (error replies are off by default)");
    }

    @Test
    void hopCountIsOutsideTheMacAndRanksEndpoints() throws Exception {
        byte[] p = dgramFromA(5, 9, "relayed");
        p[0] = 3;
        InetSocketAddress relay = ep(4000);
        b.receive(tb, relay, ByteBuffer.wrap(p));
        assertEquals(1, deliveredToB.size(), "hop count is not covered by the MAC (draft 3.1)");
        Peer peer = b.peer(A.address());
        assertEquals(3, peer.bestEndpoint().hops());
        toB(dgramFromA(5, 9, "direct"));
        // A new source for a peer that has an endpoint is proven first (draft 4.2.4, 4.2.5).
        assertEquals(relay, peer.bestEndpoint().address(), "not used before its endpoint check");
        byte[] check = tb.take().bytes();
        toA(check);
        toB(ta.take().bytes());
        assertEquals(ta.local, peer.bestEndpoint().address(), "direct endpoint beats the relayed one");
        assertEquals(0, peer.bestEndpoint().hops());
        assertEquals(2, peer.endpoints().length);
    }

    /** Writes a packet with arbitrary header fields, MAC'd with the given key (null: none). */
    static byte[] forge(
            AddressField sender, AddressField recipient, boolean authError, MessageType type, byte[] msg, byte[] key)
            throws Exception {
        ByteBuffer buf = ByteBuffer.allocate(2000);
        PacketWriter w = new PacketWriter();
        w.begin(buf, 0, authError, sender, recipient, 1, 0, type);
        buf.put(msg);
        if (key == null) {
            w.finishWithoutMac();
        } else {
            w.finish(AesCmac.forKey(key));
        }
        buf.flip();
        byte[] out = new byte[buf.remaining()];
        buf.get(out);
        return out;
    }

    @Test
    void authErrorResponseIsReportedAndNeverActedUpon() throws Exception {
        toB(dgramFromA(5, 9, "hello"));
        Peer peer = b.peer(A.address());
        int endpoints = peer.endpoints().length;
        long answered = peer.lastAnsweredNanos();
        now += 5;
        byte[] err = forge(
                AddressField.shortOf(A.address()),
                AddressField.shortOf(B.address()),
                true,
                MessageType.ERROR,
                new byte[] {0, 2},
                null);
        b.receive(tb, ep(6666), ByteBuffer.wrap(err));
        assertEquals(1, errorsAtB.size());
        assertEquals(A.address(), errorsAtB.get(0)[0], "claimed sender named");
        assertEquals(2, errorsAtB.get(0)[2]);
        assertEquals(false, errorsAtB.get(0)[3], "unauthenticated");
        assertEquals(endpoints, peer.endpoints().length, "no endpoint learned");
        assertEquals(answered, peer.lastAnsweredNanos(), "not an answer");
        assertTrue(tb.sent.isEmpty(), "never answered");
        // Even a correctly MAC'd DGRAM with flag 0x04 is not delivered.
        byte[] flagged = forge(
                AddressField.full(A.address()),
                AddressField.shortOf(B.address()),
                true,
                MessageType.DGRAM,
                new byte[] {0, 5, 0, 9, 'x'},
                A.agree(B.address()));
        toB(flagged);
        assertEquals(1, deliveredToB.size());
        assertEquals(2, b.stats().authErrorResponses());
    }

    @Test
    void shortIdConflictIsResolvedByTryingEveryCandidatesMac() throws Exception {
        // A peer C whose short id collides with A's (draft 3.5).
        long collided = A.address().shortId().value();
        Peer impostorSlot = new Peer(C.address(), AesCmac.forKey(B.agree(C.address())), true, collided);
        b.table().insert(impostorSlot, now);
        impostorSlot.addEndpoint(new PeerEndpoint(tb, ep(3000), 0, PeerEndpoint.NEVER, true), 8);
        Peer realA = new Peer(A.address(), AesCmac.forKey(B.agree(A.address())), true);
        b.table().insert(realA, now);
        realA.addEndpoint(new PeerEndpoint(tb, ta.local, 0, PeerEndpoint.NEVER, true), 8);
        assertNotNull(b.table().withShortId(collided).nextSameShortId, "two candidates share the short id");
        // A packet from A with its short id: whichever candidate is tried first, A's MAC wins.
        byte[] fromA = forge(
                new AddressField.Short(new ShortId(collided)),
                AddressField.shortOf(B.address()),
                false,
                MessageType.DGRAM,
                new byte[] {0, 5, 0, 9, 'a'},
                A.agree(B.address()));
        toB(fromA);
        assertEquals(A.address(), deliveredToB.get(0).from());
        // A packet from C using the same short id resolves to C.
        byte[] fromC = forge(
                new AddressField.Short(new ShortId(collided)),
                AddressField.shortOf(B.address()),
                false,
                MessageType.DGRAM,
                new byte[] {0, 6, 0, 9, 'c'},
                C.agree(B.address()));
        toB(fromC);
        assertEquals(C.address(), deliveredToB.get(1).from());
        // A forgery with neither key is dropped.
        byte[] forged = forge(
                new AddressField.Short(new ShortId(collided)),
                AddressField.shortOf(B.address()),
                false,
                MessageType.DGRAM,
                new byte[] {0, 6, 0, 9, 'f'},
                new byte[32]);
        toB(forged);
        assertEquals(2, deliveredToB.size());
        assertEquals(1, b.stats().authFailed());
    }

    @Test
    void packetForAnotherRecipientIsDropped() throws Exception {
        byte[] p = forge(
                AddressField.full(A.address()),
                AddressField.shortOf(C.address()),
                false,
                MessageType.DGRAM,
                new byte[] {0, 5, 0, 9},
                A.agree(C.address()));
        toB(p);
        assertEquals(1, b.stats().notForUs());
        assertNull(b.peer(A.address()));
    }

    @Test
    void fullRecipientAddressIsHonoured() throws Exception {
        byte[] p = forge(
                AddressField.full(A.address()),
                AddressField.full(B.address()),
                false,
                MessageType.DGRAM,
                new byte[] {0, 5, 0, 9, 'f'},
                A.agree(B.address()));
        toB(p);
        assertEquals(1, deliveredToB.size());
    }

    @Test
    void streamTypesGoToTheirHandlerAndOtherwiseAreDropped() throws Exception {
        byte[] sOpen = forge(
                AddressField.full(A.address()),
                AddressField.shortOf(B.address()),
                false,
                MessageType.S_OPEN,
                new byte[11],
                A.agree(B.address()));
        toB(sOpen);
        assertEquals(1, b.stats().unhandledType());
        List<MessageType> seen = new ArrayList<>();
        b.setMessageHandler(MessageType.S_OPEN, (from, r, via, src, t) -> seen.add(r.messageType()));
        toB(sOpen);
        assertEquals(List.of(MessageType.S_OPEN), seen);
        assertThrows(
                IllegalArgumentException.class, () -> b.setMessageHandler(MessageType.DGRAM, (f, r, v, s, t) -> {}));
    }

    @Test
    void epcRequestIsEchoed() throws Exception {
        byte[] req = forge(
                AddressField.full(A.address()),
                AddressField.shortOf(B.address()),
                false,
                MessageType.EPC_REQ,
                new byte[] {1, 2, 3, 4},
                A.agree(B.address()));
        toB(req);
        byte[] epc = tb.take().bytes();
        int h = PacketFormat.headerLength(epc[1]);
        assertEquals(MessageType.EPC.code(), epc[h - 1]);
        assertArrayEquals(new byte[] {1, 2, 3, 4}, java.util.Arrays.copyOfRange(epc, h, epc.length));
    }

    /** The message type and the message of a packet (after the common header). */
    static MessageType typeOf(byte[] packet) throws Exception {
        return MessageType.fromCode(packet[PacketFormat.headerLength(packet[1]) - 1] & 0xff);
    }

    static byte[] messageOf(byte[] packet) {
        return java.util.Arrays.copyOfRange(packet, PacketFormat.headerLength(packet[1]), packet.length);
    }

    @Test
    void replayFromANewSourceOnlyStartsAnEndpointCheckAndARebindingIsFollowedAfterIt() throws Exception {
        byte[] captured = dgramFromA(5, 9, "captured");
        toB(captured);
        Peer peerA = b.peer(A.address());
        assertEquals(ta.local, peerA.bestEndpoint().address(), "first endpoint of a new peer is taken as is");
        // M2: the capture replayed from a spoofed source (hop count 0 is outside the MAC).
        InetSocketAddress spoofed = ep(6666);
        b.receive(tb, spoofed, ByteBuffer.wrap(captured));
        assertEquals(2, deliveredToB.size(), "a replay is still accepted (DECISIONS 29)");
        assertEquals(1, peerA.endpoints().length, "but its source is not learned");
        assertEquals(ta.local, peerA.bestEndpoint().address());
        EngineTest.FakeTransport.Sent req = tb.take();
        assertEquals(spoofed, req.to(), "an endpoint check goes to the new source");
        assertEquals(MessageType.EPC_REQ, typeOf(req.bytes()));
        assertEquals(1, b.stats().endpointChecks());
        // Replays within a second do not multiply the checks.
        b.receive(tb, spoofed, ByteBuffer.wrap(captured));
        assertTrue(tb.sent.isEmpty());
        // B's traffic to A still goes to A's proven endpoint.
        Outbound o = new Outbound(1400);
        b.begin(o, peerA, MessageType.DGRAM, 0).putInt(0x00090005);
        assertTrue(b.finish(o));
        assertEquals(ta.local, tb.take().to());

        // A genuine NAT rebinding: A's packets now arrive from 7777.
        InetSocketAddress rebound = ep(7777);
        now += 10_000;
        b.receive(tb, rebound, ByteBuffer.wrap(dgramFromA(5, 9, "moved")));
        EngineTest.FakeTransport.Sent check = tb.take();
        assertEquals(rebound, check.to());
        assertEquals(MessageType.EPC_REQ, typeOf(check.bytes()));
        assertEquals(ta.local, peerA.bestEndpoint().address(), "not used before the check");
        // A answers the check (its engine echoes the id in an EPC).
        toA(check.bytes());
        byte[] epc = ta.take().bytes();
        assertEquals(MessageType.EPC, typeOf(epc));
        assertArrayEquals(messageOf(check.bytes()), messageOf(epc));
        // The right EPC from the wrong endpoint (the spoofed one) proves nothing.
        b.receive(tb, spoofed, ByteBuffer.wrap(epc));
        assertEquals(ta.local, peerA.bestEndpoint().address());
        // An EPC with another id from the right endpoint proves nothing either.
        byte[] wrongId = forge(
                AddressField.shortOf(A.address()),
                AddressField.shortOf(B.address()),
                false,
                MessageType.EPC,
                new byte[] {9, 9, 9, 9},
                A.agree(B.address()));
        b.receive(tb, rebound, ByteBuffer.wrap(wrongId));
        assertEquals(ta.local, peerA.bestEndpoint().address());
        assertEquals(0, b.stats().endpointsProven());
        // The EPC arriving from the checked endpoint proves it: it is used from now on.
        now += 10_000;
        b.receive(tb, rebound, ByteBuffer.wrap(epc));
        assertEquals(1, b.stats().endpointsProven());
        assertEquals(rebound, peerA.bestEndpoint().address(), "the rebound endpoint is preferred");
        b.begin(o, peerA, MessageType.DGRAM, 0).putInt(0x00090005);
        assertTrue(b.finish(o));
        assertEquals(rebound, tb.take().to());
        // Replaying the same EPC later does nothing (the check is gone).
        b.receive(tb, spoofed, ByteBuffer.wrap(epc));
        assertEquals(1, b.stats().endpointsProven());
    }

    @Test
    void endpointChecksAreBoundedPerPeerAndExpire() throws Exception {
        byte[] captured = dgramFromA(5, 9, "captured");
        toB(captured);
        for (int i = 0; i < 10; i++) {
            b.receive(tb, ep(6000 + i), ByteBuffer.wrap(captured));
        }
        assertEquals(Engine.MAX_CHECKS_PER_PEER, tb.sent.size(), "at most a few checks per peer");
        assertEquals(Engine.MAX_CHECKS_PER_PEER, b.pendingEndpointChecks());
        tb.sent.clear();
        // An unanswered check is resent (same id) after a second while its source keeps talking.
        now += Engine.CHECK_RESEND_NANOS;
        b.receive(tb, ep(6000), ByteBuffer.wrap(captured));
        assertEquals(1, tb.sent.size());
        tb.sent.clear();
        // Expired checks free their slots.
        now += Engine.CHECK_LIFETIME_NANOS;
        b.receive(tb, ep(6100), ByteBuffer.wrap(captured));
        assertEquals(1, tb.sent.size());
        assertEquals(1, b.pendingEndpointChecks());
        assertEquals(1, b.peer(A.address()).endpoints().length, "none of them was learned");
    }

    @Test
    void configuredEndpointIsTrustedAndANewSourceOfAConfiguredPeerIsChecked() throws Exception {
        // a was told where b is: b's packets from elsewhere are checked, not followed.
        Peer peerB = a.peer(B.address());
        byte[] fromB = forge(
                AddressField.full(B.address()),
                AddressField.shortOf(A.address()),
                false,
                MessageType.DGRAM,
                new byte[] {0, 9, 0, 5},
                B.agree(A.address()));
        a.receive(ta, ep(4444), ByteBuffer.wrap(fromB));
        assertEquals(tb.local, peerB.bestEndpoint().address());
        assertEquals(ep(4444), ta.take().to());
        assertEquals(1, a.stats().endpointChecks());
    }

    @Test
    void errorRepliesAreOptInRateLimitedAndNeverLargerThanTheRequest() throws Exception {
        Engine e = engine(
                B, EngineConfig.builder().errorReplies(true).errorReplyRate(4).build());
        byte[] bad = forge(
                AddressField.full(A.address()),
                AddressField.shortOf(B.address()),
                false,
                MessageType.DGRAM,
                new byte[] {0, 5, 0, 9, 'x'},
                new byte[32]);
        for (int i = 0; i < 10; i++) {
            e.receive(tb, ta.local, ByteBuffer.wrap(bad));
        }
        assertEquals(1, e.stats().errorReplies(), "burst of one for 4/s");
        byte[] reply = tb.take().bytes();
        assertTrue(reply.length <= bad.length);
        assertEquals(PacketFormat.FLAG_AUTH_ERROR | PacketFormat.FLAG_RECIPIENT_FULL, reply[1]);
        now += 1_000_000_000L;
        // A tiny forged packet (short ids) gets no reply: the reply would need the same 30 bytes.
        byte[] tiny = forge(
                AddressField.shortOf(A.address()),
                AddressField.shortOf(B.address()),
                false,
                MessageType.PING,
                new byte[0],
                new byte[32]);
        e.receive(tb, ta.local, ByteBuffer.wrap(tiny));
        assertTrue(tb.sent.isEmpty(), "no reply larger than the request");
    }

    /** A correctly MAC'd DGRAM from {@code s} to B with its full address (a first contact). */
    static byte[] firstContact(AnodeIdentity s) throws Exception {
        return forge(
                AddressField.full(s.address()),
                AddressField.shortOf(B.address()),
                false,
                MessageType.DGRAM,
                new byte[] {0, 5, 0, 9},
                s.agree(B.address()));
    }

    static final long SECOND = 1_000_000_000L;

    @Test
    void peerTableIsBoundedAndEvictsOnlyIdleUnpinnedLearnedPeers() throws Exception {
        Engine e = engine(B, EngineConfig.builder().maxPeers(2).build());
        AnodeIdentity[] s = new AnodeIdentity[4];
        for (int i = 0; i < s.length; i++) {
            s[i] = AnodeIdentity.generate(Zone.DEFAULT);
        }
        long t0 = now;
        e.receive(tb, ep(2000), ByteBuffer.wrap(firstContact(s[0])));
        now += 1000;
        e.receive(tb, ep(2001), ByteBuffer.wrap(firstContact(s[1])));
        // H1: a newcomer must not push out peers active within the draft 3.2 answer timeout.
        now = t0 + SECOND;
        e.receive(tb, ep(2002), ByteBuffer.wrap(firstContact(s[2])));
        assertEquals(2, e.peerCount());
        assertNotNull(e.peer(s[0].address()));
        assertNotNull(e.peer(s[1].address()));
        assertNull(e.peer(s[2].address()), "newcomer refused: nothing is idle");
        assertEquals(1, e.stats().peerTableFull());
        assertEquals(1, e.stats().unknownSenderDropped());
        // Sending to s0 keeps it active although it has not been heard from since.
        now = t0 + 30 * SECOND;
        Outbound o = new Outbound(1400);
        ByteBuffer buf = e.begin(o, e.peer(s[0].address()), MessageType.DGRAM, 0);
        MessageFields.writeDgramHeader(buf, 9, 5);
        assertTrue(e.finish(o));
        assertEquals(now, e.peer(s[0].address()).lastSentNanos(), "finish records the send time");
        // s1 is idle in both directions for more than 60 s; s0 was sent to 31 s ago.
        now = t0 + 61 * SECOND;
        e.receive(tb, ep(2002), ByteBuffer.wrap(firstContact(s[2])));
        assertNotNull(e.peer(s[2].address()), "admitted in place of an idle peer");
        assertNull(e.peer(s[1].address()), "the idle peer went");
        assertNotNull(e.peer(s[0].address()), "the peer we sent to recently stays");
        // A pinned peer (stream links) stays however idle it is.
        now = t0 + 95 * SECOND;
        Peer p0 = e.peer(s[0].address());
        assertTrue(p0.isIdle(now));
        assertTrue(p0.pin());
        e.receive(tb, ep(2003), ByteBuffer.wrap(firstContact(s[3])));
        assertNull(e.peer(s[3].address()), "s0 is pinned, s2 active: no room");
        assertEquals(2, e.stats().peerTableFull());
        p0.unpin();
        assertThrows(IllegalStateException.class, p0::unpin, "unmatched unpin");
        now += SECOND;
        e.receive(tb, ep(2003), ByteBuffer.wrap(firstContact(s[3])));
        assertNotNull(e.peer(s[3].address()), "unpinned and idle: replaced");
        assertNull(e.peer(s[0].address()));
        assertTrue(p0.isEvicted());
        assertFalse(p0.pin(), "an evicted peer cannot be pinned: the holder must look it up again");
        assertNotNull(e.peer(s[2].address()), "heard 35 s ago: stays");
    }

    @Test
    void configuredPeersAreNeverEvictedAndAFullTableIsReported() throws Exception {
        // L4: configured inserts evict learned peers only; the documented error is reachable.
        Engine e = engine(B, EngineConfig.builder().maxPeers(2).build());
        AnodeIdentity x = AnodeIdentity.generate(Zone.DEFAULT);
        AnodeIdentity y = AnodeIdentity.generate(Zone.DEFAULT);
        AnodeIdentity z = AnodeIdentity.generate(Zone.DEFAULT);
        AnodeIdentity learned = AnodeIdentity.generate(Zone.DEFAULT);
        e.addPeer(x.address(), tb, ep(3001));
        e.receive(tb, ep(3002), ByteBuffer.wrap(firstContact(learned)));
        assertNotNull(e.peer(learned.address()));
        // A configured newcomer (the application's own choice) may replace an unpinned learned
        // peer, even an active one...
        Peer l = e.peer(learned.address());
        assertTrue(l.pin());
        IllegalStateException full = assertThrows(
                IllegalStateException.class, () -> e.addPeer(y.address(), tb, ep(3003)), "...but not a pinned one");
        assertTrue(full.getMessage().contains("peer table full"), full.getMessage());
        l.unpin();
        e.addPeer(y.address(), tb, ep(3003));
        assertNull(e.peer(learned.address()));
        // Two configured peers: a third one is refused, neither is evicted.
        full = assertThrows(IllegalStateException.class, () -> e.addPeer(z.address(), tb, ep(3004)));
        assertTrue(full.getMessage().contains("peer table full"), full.getMessage());
        assertNotNull(e.peer(x.address()));
        assertNotNull(e.peer(y.address()));
        assertNull(e.peer(z.address()));
        // And learned newcomers never replace configured peers, however idle.
        now += 3600 * SECOND;
        e.receive(tb, ep(3005), ByteBuffer.wrap(firstContact(learned)));
        assertNull(e.peer(learned.address()));
        assertEquals(1, e.stats().peerTableFull());
        assertEquals(2, e.peerCount());
    }

    @Test
    void oneSourceCannotSpendTheWholeKeyAgreementBudget() throws Exception {
        // M3: garbage MACs under unknown full addresses from one source (no crypto on the
        // attacker's side) take tokens from that source's bucket first.
        Engine e = engine(B, EngineConfig.builder().newPeerRate(256).build());
        AnodeIdentity stranger = AnodeIdentity.generate(Zone.DEFAULT);
        byte[] garbage = forge(
                AddressField.full(stranger.address()),
                AddressField.shortOf(B.address()),
                false,
                MessageType.DGRAM,
                new byte[] {0, 5, 0, 9},
                new byte[32]);
        InetSocketAddress attacker = new InetSocketAddress(InetAddress.getByAddress(new byte[] {127, 0, 0, 2}), 666);
        for (int i = 0; i < 500; i++) {
            e.receive(tb, attacker, ByteBuffer.wrap(garbage));
        }
        int perSourceBurst = Math.max(1, EngineConfig.defaults().newPeerRatePerSource() / 4);
        assertEquals(perSourceBurst, e.stats().authFailed(), "only the source's burst reached the ECDH");
        assertEquals(500 - perSourceBurst, e.stats().unknownSenderDropped());
        // A genuine first contact from another source, at the same instant, still gets in.
        AnodeIdentity genuine = AnodeIdentity.generate(Zone.DEFAULT);
        InetSocketAddress other = new InetSocketAddress(InetAddress.getByAddress(new byte[] {127, 0, 0, 3}), 777);
        e.receive(tb, other, ByteBuffer.wrap(firstContact(genuine)));
        assertNotNull(e.peer(genuine.address()));
        // The attacker's source refills at its own rate only.
        now += SECOND;
        for (int i = 0; i < 500; i++) {
            e.receive(tb, attacker, ByteBuffer.wrap(garbage));
        }
        assertEquals(2 * perSourceBurst, e.stats().authFailed());
    }

    @Test
    void perSourceBucketsAreBoundedAndKeyedByIpv4AddressOrIpv6Slash64() throws Exception {
        SourceBuckets sb = new SourceBuckets(1, 1, 16);
        for (int i = 0; i < 100; i++) {
            assertTrue(sb.tryTake(InetAddress.getByAddress(new byte[] {127, 0, 1, (byte) i}), now));
        }
        assertEquals(16, sb.size(), "least recently seen sources are forgotten");
        InetAddress v4 = InetAddress.getByAddress(new byte[] {127, 0, 1, 99});
        assertFalse(sb.tryTake(v4, now), "a remembered source has spent its token");
        byte[] v6 = new byte[16];
        v6[0] = 0x20;
        v6[1] = 0x01;
        v6[15] = 1;
        assertTrue(sb.tryTake(InetAddress.getByAddress(v6), now));
        v6[15] = 2;
        assertFalse(sb.tryTake(InetAddress.getByAddress(v6), now), "same /64: same bucket");
        v6[7] = 1;
        assertTrue(sb.tryTake(InetAddress.getByAddress(v6), now), "another /64");
    }

    @Test
    void keyAgreementsForUnknownSendersAreRateLimited() throws Exception {
        Engine e = engine(B, EngineConfig.builder().newPeerRate(4).build());
        for (int i = 0; i < 5; i++) {
            AnodeIdentity s = AnodeIdentity.generate(Zone.DEFAULT);
            byte[] p = forge(
                    AddressField.full(s.address()),
                    AddressField.shortOf(B.address()),
                    false,
                    MessageType.DGRAM,
                    new byte[] {0, 5, 0, 9},
                    s.agree(B.address()));
            e.receive(tb, ep(2000 + i), ByteBuffer.wrap(p));
        }
        assertEquals(1, e.peerCount(), "burst of one agreement at 4/s");
        assertEquals(4, e.stats().unknownSenderDropped());
    }

    @Test
    void malformedInputIsDroppedWithoutException() {
        byte[][] junk = {
            new byte[0],
            new byte[5],
            new byte[27],
            {
                0,
                (byte) 0x80,
                1,
                2,
                3,
                4,
                5,
                6,
                7,
                8,
                9,
                10,
                11,
                12,
                13,
                14,
                15,
                16,
                17,
                18,
                19,
                20,
                21,
                22,
                23,
                24,
                25,
                26,
                27,
                28
            }
        };
        for (byte[] j : junk) {
            b.receive(tb, ta.local, ByteBuffer.wrap(j));
        }
        assertEquals(junk.length, b.stats().malformed());
        assertEquals(0, b.peerCount());
    }

    @Test
    void sendWithoutEndpointFailsClearly() {
        Engine e = engine(A, EngineConfig.defaults());
        Peer p = new Peer(C.address(), new AesCmac(), false);
        assertThrows(java.net.NoRouteToHostException.class, () -> e.begin(new Outbound(1400), p, MessageType.DGRAM, 0));
    }

    /** A transport that drops what it is given (no recording, so no allocation of its own). */
    static final class SinkTransport extends FakeTransportBase {
        @Override
        public boolean send(ByteBuffer p, InetSocketAddress d) {
            p.position(p.limit());
            return true;
        }
    }

    abstract static class FakeTransportBase implements Transport {
        @Override
        public String name() {
            return "sink";
        }

        @Override
        public InetSocketAddress localAddress() {
            return ep(1);
        }

        @Override
        public boolean canReach(InetSocketAddress d) {
            return true;
        }

        @Override
        public int maxPacketSize(InetSocketAddress d) {
            return 1400;
        }

        @Override
        public boolean isOpen() {
            return true;
        }

        @Override
        public void close() {}
    }

    @Test
    void sendAndReceivePathsAllocateNothingPerDatagram() throws Exception {
        java.lang.management.ThreadMXBean mx = java.lang.management.ManagementFactory.getThreadMXBean();
        org.junit.jupiter.api.Assumptions.assumeTrue(mx instanceof com.sun.management.ThreadMXBean);
        com.sun.management.ThreadMXBean tmx = (com.sun.management.ThreadMXBean) mx;
        Engine sender = engine(A, EngineConfig.defaults());
        SinkTransport sink = new SinkTransport();
        Peer toB = sender.addPeer(B.address(), sink, tb.local);
        byte[] packet = dgramFromA(5, 9, "x".repeat(1000));
        ByteBuffer in = ByteBuffer.wrap(packet);
        toB(packet); // admit the peer and warm up
        b.setDatagramHandler((from, sp, dp, buf, off, len) -> true);
        Outbound o = new Outbound(1400);
        ByteBuffer payload = ByteBuffer.allocate(1000);
        for (int round = 0; round < 2; round++) {
            long before = tmx.getThreadAllocatedBytes(Thread.currentThread().getId());
            for (int i = 0; i < 20_000; i++) {
                ByteBuffer bb = sender.begin(o, toB, MessageType.DGRAM, 0);
                MessageFields.writeDgramHeader(bb, 5, 9);
                payload.clear();
                bb.put(payload);
                sender.finish(o);
                in.clear();
                b.receive(tb, ta.local, in);
            }
            long bytes = tmx.getThreadAllocatedBytes(Thread.currentThread().getId()) - before;
            if (round == 1) {
                // Well under one byte per datagram: nothing is allocated per send or receive.
                assertTrue(bytes < 20_000, bytes + " bytes allocated for 20,000 sends and receives");
            }
        }
        assertEquals(40_001, b.stats().delivered());
    }

    @Test
    void configuredPeerIsKeptAndItsKeyAgreedOnce() throws Exception {
        Peer p1 = a.peer(B.address());
        assertTrue(p1.isConfigured());
        Peer p2 = a.addPeer(B.address(), ta, ep(5555));
        assertSame(p1, p2);
        assertEquals(2, p1.endpoints().length);
        assertThrows(IllegalArgumentException.class, () -> a.addPeer(A.address(), ta, ep(1)));
    }
}
