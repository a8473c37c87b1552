package org.anode.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import org.anode.address.AnodeIdentity;
import org.anode.address.Zone;
import org.anode.wire.AddressField;
import org.anode.wire.ErrorCode;
import org.anode.wire.MessageType;
import org.anode.wire.PacketFormat;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Addendum A15 between two sans-I/O engines: while B's budget for unknown senders is under
 * pressure, A's first contact is answered by an address cookie, A echoes it in a PING, and only
 * then does B agree a key - from a budget the unproven senders cannot spend.
 */
@Timeout(30)
class EngineCookieTest {
    private static final AnodeIdentity A = EngineTest.A;
    private static final AnodeIdentity B = EngineTest.B;

    long now = 1_000_000_000L;
    EngineTest.FakeTransport ta;
    EngineTest.FakeTransport tb;
    Engine a;
    Engine b;
    final List<Long> rtts = new ArrayList<>();

    @BeforeEach
    void setUp() throws Exception {
        ta = new EngineTest.FakeTransport(1001);
        tb = new EngineTest.FakeTransport(1002);
        a = new Engine(A, EngineConfig.defaults(), () -> now);
        // A node-wide burst of 2 key agreements; sources themselves barely limited.
        b = new Engine(
                B,
                EngineConfig.builder().newPeerRate(8).newPeerRatePerSource(100).build(),
                () -> now);
        a.addPeer(B.address(), ta, tb.local);
    }

    private static InetSocketAddress src(int lastByte, int port) throws Exception {
        return new InetSocketAddress(InetAddress.getByAddress(new byte[] {127, 0, 0, (byte) lastByte}), port);
    }

    /** A first contact B cannot verify (garbage MAC): it costs B a key agreement all the same. */
    private static byte[] garbage() throws Exception {
        AnodeIdentity stranger = AnodeIdentity.generate(Zone.DEFAULT);
        return EngineTest.forge(
                AddressField.full(stranger.address()),
                AddressField.shortOf(B.address()),
                false,
                MessageType.PING,
                new byte[8],
                new byte[32]);
    }

    /** Spends B's node-wide budget down to nothing, from a source other than A's. */
    private void pressB() throws Exception {
        long before = b.stats().authFailed();
        for (int i = 0; i < 2; i++) {
            b.receive(tb, src(2, 3000 + i), ByteBuffer.wrap(garbage()));
        }
        assertEquals(before + 2, b.stats().authFailed(), "the burst went on key agreements");
    }

    private long pingFromA() {
        return a.ping(a.peer(B.address()), new Handlers.PingCallback() {
            @Override
            public void pong(long rttNanos) {
                rtts.add(rttNanos);
            }

            @Override
            public void failed(Exception cause) {
                throw new AssertionError(cause);
            }
        });
    }

    private static int header(byte[] p) {
        return PacketFormat.headerLength(p[1]);
    }

    private static int type(byte[] p) {
        return p[header(p) - 1] & 0xff;
    }

    @Test
    void withoutPressureAFirstContactIsServedAtOnce() throws Exception {
        pingFromA();
        b.receive(tb, ta.local, ByteBuffer.wrap(ta.take().bytes()));
        assertNotNull(b.peer(A.address()));
        assertEquals(0, b.stats().cookieReplies());
        a.receive(ta, tb.local, ByteBuffer.wrap(tb.take().bytes()));
        assertEquals(1, rtts.size(), "PONG");
    }

    @Test
    void underPressureAFirstContactProvesItsAddressThenIsServed() throws Exception {
        pressB();
        pingFromA();
        byte[] ping = ta.take().bytes();
        b.receive(tb, ta.local, ByteBuffer.wrap(ping));
        assertNull(b.peer(A.address()), "no key agreement for an unproven source under pressure");
        assertEquals(2, b.stats().authFailed());
        assertEquals(1, b.stats().cookieReplies());
        assertEquals(1, b.stats().unknownSenderDropped());

        EngineTest.FakeTransport.Sent reply = tb.take();
        byte[] r = reply.bytes();
        assertEquals(ta.local, reply.to());
        assertEquals(PacketFormat.FLAG_AUTH_ERROR, r[1], "flag 0x04, both addresses short");
        assertEquals(MessageType.ERROR.code(), type(r));
        assertEquals(ErrorCode.ADDRESS_COOKIE.code(), ByteBuffer.wrap(r).getShort(header(r)) & 0xffff);
        assertTrue(r.length <= ping.length, "never larger than the packet it answers (DECISIONS 30)");

        a.receive(ta, tb.local, ByteBuffer.wrap(r));
        assertEquals(1, a.stats().cookiePings());
        assertEquals(0, a.stats().accepted(), "the reply is not authenticated");
        byte[] cookiePing = ta.take().bytes();
        assertEquals(MessageType.PING.code(), type(cookiePing));
        assertEquals(PacketFormat.FLAG_SENDER_FULL, cookiePing[1] & PacketFormat.FLAG_SENDER_FULL);
        assertEquals(Engine.COOKIE_PING_PAYLOAD, cookiePing.length - header(cookiePing));
        assertEquals(
                ByteBuffer.wrap(ping).getLong(header(ping)),
                ByteBuffer.wrap(cookiePing).getLong(header(cookiePing)),
                "the outstanding ping is re-sent with the cookie");

        b.receive(tb, ta.local, ByteBuffer.wrap(cookiePing));
        assertEquals(1, b.stats().cookiesAccepted());
        Peer learned = b.peer(A.address());
        assertNotNull(learned, "a proven source gets its key agreement");
        assertTrue(learned.isSourceProven(), "the cookie proves the address (A13)");
        a.receive(ta, tb.local, ByteBuffer.wrap(tb.take().bytes()));
        assertEquals(1, rtts.size(), "the PONG of the cookie PING completes the ping");
        assertEquals(0, a.pendingPings());
    }

    @Test
    void aProvenSourceIsServedFromItsOwnBudgetWithoutAnotherCookie() throws Exception {
        underPressureAFirstContactProvesItsAddressThenIsServed();
        AnodeIdentity c = AnodeIdentity.generate(Zone.DEFAULT);
        long replies = b.stats().cookieReplies();
        b.receive(
                tb,
                ta.local,
                ByteBuffer.wrap(EngineTest.forge(
                        AddressField.full(c.address()),
                        AddressField.shortOf(B.address()),
                        false,
                        MessageType.PING,
                        new byte[8],
                        c.agree(B.address()))));
        Peer pc = b.peer(c.address());
        assertNotNull(pc, "same source endpoint, still under pressure: no cookie needed");
        assertEquals(replies, b.stats().cookieReplies());
        assertFalse(pc.isSourceProven(), "a source proven earlier can be spoofed: no A13 proof");
    }

    @Test
    void unprovenSourcesSpendNoKeyAgreementAndTheirCookieRepliesAreRateLimited() throws Exception {
        pressB();
        long ecdh = b.stats().authFailed();
        for (int i = 0; i < 200; i++) {
            b.receive(tb, src(9, 4000 + i), ByteBuffer.wrap(garbage()));
        }
        assertEquals(ecdh, b.stats().authFailed(), "not one key agreement");
        assertEquals(202, b.stats().unknownSenderDropped() + 2);
        assertEquals(25, b.stats().cookieReplies(), "the source's burst of cookie replies (100/s)");
        assertEquals(25, tb.sent.size());
    }

    @Test
    void aCookieFromAnotherSourcePortDoesNotProveAnything() throws Exception {
        pressB();
        pingFromA();
        b.receive(tb, ta.local, ByteBuffer.wrap(ta.take().bytes()));
        a.receive(ta, tb.local, ByteBuffer.wrap(tb.take().bytes()));
        byte[] cookiePing = ta.take().bytes();
        b.receive(tb, src(1, 1009), ByteBuffer.wrap(cookiePing));
        assertNull(b.peer(A.address()));
        assertEquals(0, b.stats().cookiesAccepted());
        assertEquals(2, b.stats().cookieReplies(), "answered by a cookie for that source instead");
    }

    @Test
    void aCookieIsRefusedTwoSlotsLater() throws Exception {
        pressB();
        pingFromA();
        b.receive(tb, ta.local, ByteBuffer.wrap(ta.take().bytes()));
        a.receive(ta, tb.local, ByteBuffer.wrap(tb.take().bytes()));
        byte[] cookiePing = ta.take().bytes();
        now += 2 * AddressCookies.SLOT_NANOS;
        pressB(); // the budget refilled meanwhile
        b.receive(tb, ta.local, ByteBuffer.wrap(cookiePing));
        assertNull(b.peer(A.address()));
        assertEquals(0, b.stats().cookiesAccepted());
    }

    @Test
    void aCookieReplyIsUsedOnlyIfItEchoesAPacketSentToThatEndpoint() throws Exception {
        pressB();
        pingFromA();
        b.receive(tb, ta.local, ByteBuffer.wrap(ta.take().bytes()));
        byte[] reply = tb.take().bytes();
        // From an endpoint A is not sending to: ignored.
        a.receive(ta, src(1, 7777), ByteBuffer.wrap(reply));
        assertEquals(0, a.stats().cookiePings());
        // With another MAC echoed (a blind forger does not know it): ignored.
        byte[] forged = reply.clone();
        forged[forged.length - 1] ^= 1;
        a.receive(ta, tb.local, ByteBuffer.wrap(forged));
        assertEquals(0, a.stats().cookiePings());
        assertTrue(ta.sent.isEmpty());
        // The genuine one, once; replayed later it matches nothing sent any more.
        a.receive(ta, tb.local, ByteBuffer.wrap(reply));
        assertEquals(1, a.stats().cookiePings());
        now += 2 * Engine.COOKIE_PING_INTERVAL_NANOS;
        a.receive(ta, tb.local, ByteBuffer.wrap(reply));
        assertEquals(1, a.stats().cookiePings(), "a replayed reply draws nothing");
        assertEquals(1, ta.sent.size());
        assertEquals(0, a.stats().accepted());
        assertEquals(4, a.stats().authErrorResponses(), "each counted as a flag 0x04 packet");
    }

    @Test
    void theSmallestFirstContactStillGetsItsCookie() throws Exception {
        pressB();
        AnodeIdentity c = AnodeIdentity.generate(Zone.DEFAULT);
        byte[] emptyPing = EngineTest.forge(
                AddressField.full(c.address()),
                AddressField.shortOf(B.address()),
                false,
                MessageType.PING,
                new byte[0],
                c.agree(B.address()));
        b.receive(tb, src(5, 5000), ByteBuffer.wrap(emptyPing));
        assertEquals(1, b.stats().cookieReplies());
        assertTrue(tb.last().bytes().length <= emptyPing.length);
    }

    @Test
    void aSenderThatIgnoresCookiesIsServedOnceThePressureIsOver() throws Exception {
        pressB();
        AnodeIdentity old = AnodeIdentity.generate(Zone.DEFAULT);
        byte[] contact = EngineTest.firstContact(old);
        b.receive(tb, src(7, 7000), ByteBuffer.wrap(contact));
        assertNull(b.peer(old.address()), "under pressure: a cookie, which this sender ignores");
        assertEquals(1, b.stats().cookieReplies());
        now += EngineTest.SECOND; // the flood stopped; the budget refilled
        b.receive(tb, src(7, 7000), ByteBuffer.wrap(contact));
        assertNotNull(b.peer(old.address()), "served as before A15");
        assertEquals(1, b.stats().cookieReplies());
    }

    @Test
    void aConfiguredEndpointCountsAsAProvenSource() throws Exception {
        AnodeIdentity known = AnodeIdentity.generate(Zone.DEFAULT);
        InetSocketAddress host = src(8, 8000);
        b.addPeer(known.address(), tb, host);
        pressB();
        AnodeIdentity other = AnodeIdentity.generate(Zone.DEFAULT);
        b.receive(tb, host, ByteBuffer.wrap(EngineTest.firstContact(other)));
        assertNotNull(b.peer(other.address()), "another identity at a configured endpoint: no cookie needed");
        assertEquals(0, b.stats().cookieReplies());
        assertEquals(1, b.provenSourceCount());
    }
}
