package org.anode.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.anode.address.AnodeIdentity;
import org.anode.address.Zone;
import org.anode.engine.EngineTest.FakeTransport;
import org.anode.wire.MessageType;
import org.anode.wire.PacketFormat;
import org.anode.wire.PacketReader;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * LAN discovery's rules (draft 4.2.6, DECISIONS 37) with fake transports and a fake clock: what is
 * broadcast and when, that an announcement is a hint that changes nothing until its address is
 * wanted and is then proven by EPC_REQ, that a query is answered by the address it names alone,
 * and that what strangers on the LAN can make a node keep or send stays within its bounds.
 */
@Timeout(60)
class DiscoveryTest {
    static final AnodeIdentity Q = EngineTest.A;
    static final AnodeIdentity X = EngineTest.B;
    static final AnodeIdentity OTHER = EngineTest.C;

    /** Records what discovery broadcasts. */
    static final class FakeIo implements Discovery.Io {
        final List<byte[]> sent = new ArrayList<>();

        @Override
        public void broadcast(ByteBuffer packet) {
            int p = packet.position();
            byte[] b = new byte[packet.remaining()];
            packet.get(p, b);
            sent.add(b);
        }

        int count(MessageType type, boolean announcement) {
            int n = 0;
            for (byte[] b : sent) {
                PacketReader r = read(b);
                if (r.messageType() == type && (r.macField() == 0L) == announcement) {
                    n++;
                }
            }
            return n;
        }
    }

    long now = 5_000_000_000L;
    FakeTransport tq;
    FakeTransport tx;
    FakeTransport tf;
    Engine q;
    Engine x;
    FakeIo qio;
    FakeIo xio;
    Discovery dq;
    Discovery dx;

    @BeforeEach
    void setUp() {
        tq = new FakeTransport(1001);
        tx = new FakeTransport(1002);
        tf = new FakeTransport(1003);
        q = new Engine(Q, EngineConfig.defaults(), () -> now);
        x = new Engine(X, EngineConfig.builder().localPeerId(3).build(), () -> now);
        qio = new FakeIo();
        xio = new FakeIo();
        dq = new Discovery(q, qio, Discovery.ANNOUNCE_INTERVAL_NANOS);
        dx = new Discovery(x, xio, Discovery.ANNOUNCE_INTERVAL_NANOS);
    }

    static PacketReader read(byte[] b) {
        try {
            return new PacketReader().wrap(ByteBuffer.wrap(b));
        } catch (org.anode.wire.WireException e) {
            throw new AssertionError(e);
        }
    }

    /** Delivers everything {@code from} sent to {@code to}'s engine as if from {@code fromEp}. */
    static int deliver(FakeTransport from, Engine to, FakeTransport via) {
        int n = 0;
        while (!from.sent.isEmpty()) {
            FakeTransport.Sent s = from.take();
            to.receive(via, from.local, ByteBuffer.wrap(s.bytes()));
            n++;
        }
        return n;
    }

    @Test
    void announcesAtStartAndEverySixtySecondsInTheDraftsForm() {
        long next = dq.tick(now);
        assertEquals(1, qio.sent.size());
        assertEquals(now + Discovery.ANNOUNCE_INTERVAL_NANOS, next);
        byte[] a = qio.sent.get(0);
        PacketReader r = read(a);
        assertEquals(0, r.hopCount());
        assertEquals(PacketFormat.FLAG_SENDER_FULL, r.flags(), "sender in full, recipient short");
        assertEquals(0L, r.macField(), "an all-zero MAC");
        assertEquals(0L, r.recipientShortId(), "an all-zero recipient id");
        assertTrue(r.senderIs(Q.address()));
        assertEquals(MessageType.EPI, r.messageType());
        assertEquals(1, r.senderPeerId());
        assertArrayEquals(
                new byte[] {0, 0, 0},
                java.util.Arrays.copyOfRange(a, r.payloadOffset(), r.payloadLimit()),
                "EPI flags 0, endpoint unspecified (its source), NAT-T mode 0");
        now += Discovery.ANNOUNCE_INTERVAL_NANOS - 1;
        dq.tick(now);
        assertEquals(1, qio.sent.size());
        now += 1;
        dq.tick(now);
        assertEquals(2, qio.sent.size());
        dx.tick(now);
        assertEquals(3, read(xio.sent.get(0)).senderPeerId(), "the configured peer id (draft 3.4)");
    }

    @Test
    void anAnnouncementIsAHintThatChangesNothingUntilWanted() {
        dx.tick(now);
        byte[] ann = xio.sent.get(0);
        dq.receive(tq, tx.local, ByteBuffer.wrap(ann), now);
        assertEquals(1, dq.hintCount());
        assertEquals(List.of(tx.local), dq.hintSources(X.address()));
        assertEquals(0, q.peerCount(), "no peer, no key agreement");
        assertTrue(tq.sent.isEmpty(), "nothing is sent to an announcement's source");
        assertTrue(qio.sent.isEmpty());
        // Its own announcement, heard back, is not a hint.
        dx.receive(tx, tx.local, ByteBuffer.wrap(ann), now);
        assertEquals(0, dx.hintCount());

        // Wanted: one EPC_REQ to the hinted source, and a query broadcast.
        dq.want(X.address());
        assertEquals(1, tq.sent.size());
        assertEquals(tx.local, tq.sent.get(0).to());
        assertEquals(MessageType.EPC_REQ, read(tq.sent.get(0).bytes()).messageType());
        assertEquals(1, qio.count(MessageType.EPI, false));
        // X answers the check with EPC; Q learns X's endpoint only from that answer.
        deliver(tq, x, tx);
        assertEquals(1, tx.sent.size());
        deliver(tx, q, tq);
        Peer px = q.peer(X.address());
        assertNotNull(px);
        assertEquals(tx.local, px.bestEndpoint().address());
        assertEquals(0, px.bestEndpoint().hops());
        assertTrue(Router.usable(px));
        // Found: no more queries on the schedule.
        now += 5_000_000_000L;
        dq.tick(now);
        assertEquals(1, qio.count(MessageType.EPI, false));
        assertEquals(0, dq.wantedCount());
    }

    @Test
    void aQueryIsAnsweredByTheAddressItNamesAlone() {
        dq.want(X.address());
        assertEquals(1, qio.sent.size());
        byte[] query = qio.sent.get(0);
        PacketReader r = read(query);
        assertEquals(PacketFormat.FLAG_SENDER_FULL | PacketFormat.FLAG_RECIPIENT_FULL, r.flags());
        assertTrue(r.recipientIs(X.address()));
        assertEquals(MessageType.EPI, r.messageType());

        // Someone else on the LAN: drops it, sends nothing, learns nothing.
        Engine other = new Engine(OTHER, EngineConfig.defaults(), () -> now);
        Discovery dother = new Discovery(other, new FakeIo(), Discovery.ANNOUNCE_INTERVAL_NANOS);
        dother.receive(tf, tq.local, ByteBuffer.wrap(query), now);
        assertTrue(tf.sent.isEmpty());
        assertEquals(0, other.peerCount());
        assertEquals(1, dother.stats().ignored());

        // X: verifies it and answers with an EPC_REQ to its source; no endpoint taken yet.
        dx.receive(tx, tq.local, ByteBuffer.wrap(query), now);
        assertEquals(1, dx.stats().queriesAnswered());
        assertEquals(1, tx.sent.size());
        assertEquals(tq.local, tx.sent.get(0).to());
        assertEquals(MessageType.EPC_REQ, read(tx.sent.get(0).bytes()).messageType());
        assertEquals(0, x.peer(Q.address()).endpoints().length, "X uses Q's endpoint only once proven");

        // Q takes X's endpoint from the authenticated EPC_REQ and answers EPC; X's check completes.
        deliver(tx, q, tq);
        assertTrue(Router.usable(q.peer(X.address())));
        deliver(tq, x, tx);
        assertEquals(tq.local, x.peer(Q.address()).bestEndpoint().address());

        // A query whose MAC does not verify (one flipped payload bit) is not answered.
        byte[] bad = query.clone();
        bad[bad.length - 1] ^= 1;
        Engine x2 = new Engine(X, EngineConfig.defaults(), () -> now);
        Discovery dx2 = new Discovery(x2, new FakeIo(), Discovery.ANNOUNCE_INTERVAL_NANOS);
        FakeTransport t2 = new FakeTransport(1004);
        dx2.receive(t2, tq.local, ByteBuffer.wrap(bad), now);
        assertTrue(t2.sent.isEmpty());
    }

    @Test
    void queriesFollowTheScheduleWithinTheWindowOnly() {
        dq.want(X.address());
        assertEquals(1, qio.sent.size());
        long end = now + Discovery.WANT_WINDOW_NANOS + 1_000_000_000L;
        long t = now;
        while (t < end) {
            t = Math.min(dq.tick(now), end);
            now = Math.max(t, now + 1);
        }
        int queries = qio.count(MessageType.EPI, false);
        assertEquals(Discovery.QUERY_SCHEDULE_NANOS.length, queries);
        assertEquals(0, dq.wantedCount());
        // Wanting again later starts a new window.
        dq.want(X.address());
        assertEquals(queries + 1, qio.count(MessageType.EPI, false));
    }

    @Test
    void aForgedAnnouncementCannotHideOrReplaceTheRealOne() {
        dx.tick(now);
        byte[] real = xio.sent.get(0);
        // A forger repeats X's announcement from its own endpoint, many times and from many ports.
        for (int i = 0; i < 50; i++) {
            dq.receive(tq, EngineTest.ep(20000 + i), ByteBuffer.wrap(real), now);
        }
        dq.receive(tq, tx.local, ByteBuffer.wrap(real), now);
        List<InetSocketAddress> sources = dq.hintSources(X.address());
        assertEquals(Discovery.SOURCES_PER_HINT, sources.size(), "bounded per address");
        assertTrue(sources.contains(tx.local), "the latest heard is kept");
        assertEquals(0, q.peerCount());
        assertTrue(tq.sent.isEmpty());

        dq.want(X.address());
        // One EPC_REQ per remembered source, no more; a second want within a second adds none.
        assertEquals(Discovery.SOURCES_PER_HINT, tq.sent.size());
        dq.want(X.address());
        assertEquals(Discovery.SOURCES_PER_HINT, tq.sent.size());
        // Only the real X answers; its endpoint is the one proven.
        List<FakeTransport.Sent> checks = new ArrayList<>(tq.sent);
        tq.sent.clear();
        for (FakeTransport.Sent s : checks) {
            if (s.to().equals(tx.local)) {
                x.receive(tx, tq.local, ByteBuffer.wrap(s.bytes()));
            }
        }
        deliver(tx, q, tq);
        assertEquals(tx.local, q.peer(X.address()).bestEndpoint().address());
        assertEquals(1, q.peer(X.address()).endpoints().length);
    }

    @Test
    void floodsStayWithinTheBounds() {
        Random rnd = new Random(1);
        byte[] template = announcementOf(OTHER);
        int flood = 20_000;
        for (int i = 0; i < flood; i++) {
            byte[] b = template.clone();
            // A made-up address each time: type and reserved bytes kept, the key bytes random.
            byte[] key = new byte[32];
            rnd.nextBytes(key);
            System.arraycopy(key, 0, b, PacketFormat.SENDER + 8, 32);
            dq.receive(tq, EngineTest.ep(30000 + (i % 1000)), ByteBuffer.wrap(b), now);
            if (i % 1000 == 999) {
                now += 100_000_000L;
            }
        }
        assertTrue(dq.hintCount() <= Discovery.MAX_HINTS, "hints bounded: " + dq.hintCount());
        long read = dq.stats().announcementsRead();
        // 2 s of flood at most the budget: the burst plus the rate over the time that passed.
        assertTrue(read <= Discovery.ANNOUNCEMENTS_PER_SECOND * 3L, "announcements read: " + read);
        assertTrue(dq.stats().announcementsDropped() >= flood - read);
        assertTrue(tq.sent.isEmpty(), "nothing sent in answer to announcements");
        assertEquals(0, q.peerCount());

        // Wanting many addresses: queries and wanted entries bounded.
        List<AnodeIdentity> ids = new ArrayList<>();
        for (int i = 0; i < 30; i++) {
            ids.add(AnodeIdentity.generate(Zone.DEFAULT));
        }
        for (AnodeIdentity id : ids) {
            dq.want(id.address());
        }
        assertTrue(
                qio.count(MessageType.EPI, false) <= Discovery.QUERIES_PER_SECOND,
                "queries within the budget: " + qio.count(MessageType.EPI, false));
        assertTrue(dq.wantedCount() <= Discovery.MAX_WANTED);

        // And a real peer is still found.
        dx.tick(now);
        dq.receive(tq, tx.local, ByteBuffer.wrap(xio.sent.get(0)), now);
        now += 2_000_000_000L;
        dq.want(X.address());
        assertFalse(tq.sent.isEmpty());
        FakeTransport.Sent toX = null;
        for (FakeTransport.Sent s : tq.sent) {
            if (s.to().equals(tx.local)) {
                toX = s;
            }
        }
        assertNotNull(toX, "an EPC_REQ to the real X");
        tq.sent.clear();
        x.receive(tx, tq.local, ByteBuffer.wrap(toX.bytes()));
        deliver(tx, q, tq);
        assertTrue(Router.usable(q.peer(X.address())));
    }

    @Test
    void queriesForAbsentAddressesCostNothing() {
        Engine other = new Engine(OTHER, EngineConfig.defaults(), () -> now);
        Discovery dother = new Discovery(other, new FakeIo(), Discovery.ANNOUNCE_INTERVAL_NANOS);
        for (int i = 0; i < 500; i++) {
            AnodeIdentity absent = AnodeIdentity.generate(Zone.DEFAULT);
            Engine asker = new Engine(absent, EngineConfig.defaults(), () -> now);
            FakeIo io = new FakeIo();
            Discovery da = new Discovery(asker, io, Discovery.ANNOUNCE_INTERVAL_NANOS);
            da.want(X.address());
            dother.receive(tf, EngineTest.ep(40000 + i), ByteBuffer.wrap(io.sent.get(0)), now);
            if (i == 0) {
                assertNull(other.peer(absent.address()));
            }
        }
        assertTrue(tf.sent.isEmpty());
        assertEquals(0, other.peerCount());
        assertEquals(500, dother.stats().ignored());
    }

    private byte[] announcementOf(AnodeIdentity id) {
        Engine e = new Engine(id, EngineConfig.defaults(), () -> now);
        FakeIo io = new FakeIo();
        new Discovery(e, io, Discovery.ANNOUNCE_INTERVAL_NANOS).tick(now);
        return io.sent.get(0);
    }
}
