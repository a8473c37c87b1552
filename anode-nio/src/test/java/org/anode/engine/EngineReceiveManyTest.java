package org.anode.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import org.anode.address.AnodeAddress;
import org.anode.address.ShortId;
import org.anode.crypto.internal.AesCmac;
import org.anode.wire.AddressField;
import org.anode.wire.MessageFields;
import org.anode.wire.MessageType;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@link Engine#receiveMany}: packets read in a row are handled exactly as one {@link Engine#receive}
 * each (draft 3.3 authentication, DECISIONS 17), although the MACs of a burst from one peer are
 * computed in one pass first. A forged or altered packet inside a burst is still dropped, packets
 * from other senders, malformed ones and short-id conflicts (draft 3.5) in the same batch are
 * unaffected, and the order of delivery is the order of arrival.
 */
class EngineReceiveManyTest {
    long now = 1_000_000_000L;
    EngineTest.FakeTransport ta;
    EngineTest.FakeTransport tb;
    EngineTest.FakeTransport tc;
    Engine a;
    Engine b;
    Engine c;
    List<String> delivered;

    @BeforeEach
    void setUp() throws Exception {
        ta = new EngineTest.FakeTransport(1001);
        tb = new EngineTest.FakeTransport(1002);
        tc = new EngineTest.FakeTransport(1003);
        a = new Engine(EngineTest.A, EngineConfig.defaults(), () -> now);
        b = new Engine(EngineTest.B, EngineConfig.defaults(), () -> now);
        c = new Engine(EngineTest.C, EngineConfig.defaults(), () -> now);
        delivered = new ArrayList<>();
        b.setDatagramHandler((from, sp, dp, buf, off, len) -> {
            byte[] p = new byte[len];
            buf.get(off, p);
            delivered.add(tag(from.address()) + ":" + new String(p));
            return true;
        });
        a.addPeer(EngineTest.B.address(), ta, tb.local);
        c.addPeer(EngineTest.B.address(), tc, tb.local);
        b.addPeer(EngineTest.A.address(), tb, ta.local);
        b.addPeer(EngineTest.C.address(), tb, tc.local);
    }

    private static String tag(AnodeAddress from) {
        return from.equals(EngineTest.A.address()) ? "A" : from.equals(EngineTest.C.address()) ? "C" : "?";
    }

    private static byte[] dgram(Engine from, EngineTest.FakeTransport via, String text) throws IOException {
        Outbound o = new Outbound(1400);
        ByteBuffer buf = from.begin(o, from.peer(EngineTest.B.address()), MessageType.DGRAM, 0);
        MessageFields.writeDgramHeader(buf, 5, 9);
        buf.put(text.getBytes());
        from.finish(o);
        return via.take().bytes();
    }

    private void receiveMany(List<byte[]> packets, List<InetSocketAddress> sources) {
        int n = packets.size();
        ByteBuffer[] bufs = new ByteBuffer[n];
        InetSocketAddress[] srcs = new InetSocketAddress[n];
        for (int i = 0; i < n; i++) {
            // As the UDP transport holds them: array-backed copies.
            bufs[i] = ByteBuffer.allocate(2048);
            bufs[i].put(packets.get(i)).flip();
            srcs[i] = sources.get(i);
        }
        b.receiveMany(tb, srcs, bufs, n);
    }

    @Test
    void aBurstIsDeliveredInOrderAndAForgeryInsideItIsDropped() throws Exception {
        List<byte[]> ps = new ArrayList<>();
        List<InetSocketAddress> srcs = new ArrayList<>();
        List<String> want = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            String text = "a" + i + "-".repeat(i * 31);
            byte[] p = dgram(a, ta, text);
            if (i == 7 || i == 33) {
                p[p.length - 1] ^= 1;
            } else if (i == 12) {
                p[5] ^= 0x40;
            } else {
                want.add("A:" + text);
            }
            ps.add(p);
            srcs.add(ta.local);
            if (i % 9 == 4) {
                String ct = "c" + i;
                ps.add(dgram(c, tc, ct));
                srcs.add(tc.local);
                want.add("C:" + ct);
            }
            if (i == 20) {
                ps.add(new byte[] {0, 0x70, 1, 2, 3});
                srcs.add(ta.local);
            }
        }
        long failedBefore = b.stats().authFailed();
        receiveMany(ps, srcs);
        assertEquals(want, delivered);
        assertEquals(failedBefore + 3, b.stats().authFailed(), "two altered bodies and one altered MAC");
        assertEquals(1, b.stats().malformed());
    }

    @Test
    void sameBatchThroughReceiveManyAndReceiveGivesTheSameResult() throws Exception {
        List<byte[]> ps = new ArrayList<>();
        List<InetSocketAddress> srcs = new ArrayList<>();
        for (int i = 0; i < 70; i++) {
            byte[] p = dgram(i % 3 == 0 ? c : a, i % 3 == 0 ? tc : ta, "m" + i);
            if (i % 11 == 5) {
                p[p.length - 2] ^= 1;
            }
            ps.add(p);
            srcs.add(i % 3 == 0 ? tc.local : ta.local);
        }
        receiveMany(ps, srcs);
        List<String> many = new ArrayList<>(delivered);
        long failedMany = b.stats().authFailed();
        delivered.clear();
        for (int i = 0; i < ps.size(); i++) {
            b.receive(tb, srcs.get(i), ByteBuffer.wrap(ps.get(i)));
        }
        assertEquals(many, delivered);
        assertEquals(6, failedMany, "the altered packets");
        assertEquals(failedMany * 2, b.stats().authFailed());
    }

    @Test
    void shortIdConflictsInABurstStillTryEveryCandidate() throws Exception {
        // A peer D whose short id collides with A's (draft 3.5): packets with that short id have
        // two candidate keys, so they are not verified in advance;; the MAC still decides.
        long collided = EngineTest.A.address().shortId().value();
        org.anode.address.AnodeIdentity d = org.anode.address.AnodeIdentity.generate(org.anode.address.Zone.DEFAULT);
        Peer impostor = new Peer(d.address(), AesCmac.forKey(EngineTest.B.agree(d.address())), true, collided);
        b.table().insert(impostor, now);
        List<byte[]> ps = new ArrayList<>();
        List<InetSocketAddress> srcs = new ArrayList<>();
        for (int i = 0; i < 12; i++) {
            byte[] key = i % 2 == 0 ? EngineTest.A.agree(EngineTest.B.address()) : new byte[32];
            ps.add(EngineTest.forge(
                    new AddressField.Short(new ShortId(collided)),
                    AddressField.shortOf(EngineTest.B.address()),
                    false,
                    MessageType.DGRAM,
                    new byte[] {0, 5, 0, 9, (byte) ('a' + i)},
                    key));
            srcs.add(ta.local);
        }
        receiveMany(ps, srcs);
        List<String> want = new ArrayList<>();
        for (int i = 0; i < 12; i += 2) {
            want.add("A:" + (char) ('a' + i));
        }
        assertEquals(want, delivered);
        assertEquals(6, b.stats().authFailed());
    }
}
