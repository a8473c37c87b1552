package org.anode.nio;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.DatagramPacket;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.anode.address.AnodeIdentity;
import org.anode.address.ShortId;
import org.anode.address.Zone;
import org.anode.crypto.internal.AesCmac;
import org.anode.wire.AddressField;
import org.anode.wire.MessageType;
import org.anode.wire.PacketWriter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A raw JDK DatagramChannel fires garbage, truncated packets, packets with wrong MACs, forged short
 * ids, packets for other recipients, unknown senders and flag 0x04 errors at a node (draft 3.2, 3.3,
 * 3.5; DECISIONS 18, 30) while a legitimate peer keeps talking to it: nothing hostile is delivered,
 * no state changes, and the legitimate exchange completes.
 */
@Timeout(60)
class HostileTrafficTest {

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

    /** Every kind of hostile packet, aimed at node b, impersonating a where that makes sense. */
    static List<byte[]> hostilePackets(AnodeNode a, AnodeNode b, int port, Random rnd) throws Exception {
        List<byte[]> out = new ArrayList<>();
        AnodeIdentity mallory = AnodeIdentity.generate(Zone.DEFAULT);
        byte[] dgram = {(byte) (port >> 8), (byte) port, (byte) (port >> 8), (byte) port, 'e', 'v', 'i', 'l'};
        // Garbage of every small size and some large ones.
        for (int i = 0; i < 300; i++) {
            byte[] g = new byte[i < 100 ? i : rnd.nextInt(1500)];
            rnd.nextBytes(g);
            out.add(g);
        }
        // Well-formed packets claiming to be a, MAC'd with the wrong key (full and short sender).
        byte[] wrongKey = mallory.agree(b.address());
        byte[] fullWrong = forge(
                AddressField.full(a.address()),
                AddressField.shortOf(b.address()),
                false,
                MessageType.DGRAM,
                dgram,
                wrongKey);
        out.add(fullWrong);
        byte[] shortWrong = forge(
                AddressField.shortOf(a.address()),
                AddressField.shortOf(b.address()),
                false,
                MessageType.DGRAM,
                dgram,
                wrongKey);
        out.add(shortWrong);
        // Every truncation of those.
        for (int len = 0; len < fullWrong.length; len++) {
            out.add(java.util.Arrays.copyOf(fullWrong, len));
        }
        for (int len = 0; len < shortWrong.length; len++) {
            out.add(java.util.Arrays.copyOf(shortWrong, len));
        }
        // Forged short ids with random MACs, and random short ids.
        for (int i = 0; i < 50; i++) {
            byte[] p = shortWrong.clone();
            for (int k = 2; k < 10; k++) {
                p[k] = (byte) rnd.nextInt();
            }
            out.add(p);
            out.add(forge(
                    new AddressField.Short(new ShortId(rnd.nextLong())),
                    AddressField.shortOf(b.address()),
                    false,
                    MessageType.PING,
                    new byte[8],
                    wrongKey));
        }
        // Bit flips of a single byte anywhere but the hop count.
        for (int i = 1; i < shortWrong.length; i++) {
            byte[] p = shortWrong.clone();
            p[i] ^= 0x10;
            out.add(p);
        }
        // Flag 0x04 errors claiming to come from a, and a flag 0x04 DGRAM.
        out.add(forge(
                AddressField.shortOf(a.address()),
                AddressField.shortOf(b.address()),
                true,
                MessageType.ERROR,
                new byte[] {0, 2},
                null));
        out.add(forge(
                AddressField.full(a.address()),
                AddressField.shortOf(b.address()),
                true,
                MessageType.ERROR,
                new byte[] {0, 1},
                null));
        out.add(forge(
                AddressField.shortOf(a.address()),
                AddressField.shortOf(b.address()),
                true,
                MessageType.DGRAM,
                dgram,
                null));
        // Valid packets from mallory to someone else, and packets with undefined flags.
        out.add(forge(
                AddressField.full(mallory.address()),
                AddressField.shortOf(a.address()),
                false,
                MessageType.DGRAM,
                dgram,
                mallory.agree(a.address())));
        byte[] badFlags = shortWrong.clone();
        badFlags[1] = (byte) 0x80;
        out.add(badFlags);
        // Unknown senders (full addresses) with wrong MACs: must not enter the peer table.
        for (int i = 0; i < 10; i++) {
            AnodeIdentity stranger = AnodeIdentity.generate(Zone.DEFAULT);
            out.add(forge(
                    AddressField.full(stranger.address()),
                    AddressField.shortOf(b.address()),
                    false,
                    MessageType.DGRAM,
                    dgram,
                    wrongKey));
        }
        return out;
    }

    @Test
    void hostileTrafficIsDroppedWhileALegitimatePeerIsServed() throws Exception {
        try (NodeTestSupport t = new NodeTestSupport();
                DatagramChannel raw = DatagramChannel.open()) {
            AnodeNode a = t.node();
            AnodeNode b = t.node();
            NodeTestSupport.introduce(a, b);
            List<AnodeNode.PeerError> errors = new CopyOnWriteArrayList<>();
            b.setErrorListener(errors::add);
            AnodeDatagramChannel server = b.openDatagramChannel();
            server.bind(AnodeSocketAddress.of(b.address(), 7));
            AnodeDatagramChannel client = a.openDatagramChannel();
            client.bind(AnodeSocketAddress.of(a.address(), 8));
            client.connect(AnodeSocketAddress.of(b.address(), 7));
            // Establish the conversation first, so that a's short id is in use.
            a.ping(b.address(), java.time.Duration.ofSeconds(5));
            List<InetSocketAddress> endpointsBefore = b.peerEndpoints(a.address());
            int peersBefore = b.peerCount();

            List<String> received = new CopyOnWriteArrayList<>();
            AtomicBoolean hostileDelivered = new AtomicBoolean();
            Thread echo = new Thread(() -> {
                ByteBuffer buf = ByteBuffer.allocate(2048);
                try {
                    while (true) {
                        buf.clear();
                        var from = server.receive(buf);
                        buf.flip();
                        String s = java.nio.charset.StandardCharsets.UTF_8
                                .decode(buf.duplicate())
                                .toString();
                        if (!s.startsWith("legit ") || !from.equals(AnodeSocketAddress.of(a.address(), 8))) {
                            hostileDelivered.set(true);
                        }
                        received.add(s);
                        server.send(buf, from);
                    }
                } catch (java.io.IOException e) {
                    // closed at the end
                }
            });
            echo.start();

            List<byte[]> hostile = hostilePackets(a, b, 7, new Random(42));
            InetSocketAddress target = b.localEndpoints().get(0);
            raw.bind(new InetSocketAddress(NodeTestSupport.LOOPBACK, 0));
            AtomicBoolean stop = new AtomicBoolean();
            AtomicLong fired = new AtomicLong();
            Thread attacker = new Thread(() -> {
                try {
                    for (int round = 0; round < 3 && !stop.get(); round++) {
                        for (byte[] p : hostile) {
                            raw.send(ByteBuffer.wrap(p), target);
                            fired.incrementAndGet();
                        }
                        Thread.sleep(5);
                    }
                } catch (Exception e) {
                    // test over
                }
            });
            attacker.start();

            var sock = client.socket();
            sock.setSoTimeout(500);
            int ok = 0;
            for (int i = 0; i < 100; i++) {
                byte[] msg = ("legit " + i).getBytes();
                for (int attempt = 0; attempt < 10; attempt++) {
                    sock.send(new DatagramPacket(msg, msg.length));
                    DatagramPacket p = new DatagramPacket(new byte[100], 100);
                    try {
                        sock.receive(p);
                    } catch (SocketTimeoutException e) {
                        continue; // UDP may lose a packet under the flood; retry
                    }
                    if (new String(p.getData(), 0, p.getLength()).equals("legit " + i)) {
                        ok++;
                        break;
                    }
                }
            }
            attacker.join(30_000);
            stop.set(true);
            assertEquals(100, ok, "the legitimate peer was served throughout");
            assertFalse(hostileDelivered.get(), "no hostile datagram reached the channel: " + received);
            assertEquals(peersBefore, b.peerCount(), "no peer admitted");
            assertEquals(endpointsBefore, b.peerEndpoints(a.address()), "no endpoint learned");
            AnodeNode.Statistics s = b.statistics();
            assertTrue(s.malformed() > 0 && s.authFailed() > 0 && s.authErrorResponses() > 0, s.toString());
            assertTrue(s.notForUs() > 0, s.toString());
            for (AnodeNode.PeerError e : errors) {
                assertFalse(e.authenticated(), "only unauthenticated reports: " + e);
            }
            assertTrue(errors.size() >= 3, "flag 0x04 packets are surfaced: " + errors.size());
            server.close();
            echo.join(5000);
        }
    }

    @Test
    void errorRepliesNeverAmplify() throws Exception {
        try (NodeTestSupport t = new NodeTestSupport();
                DatagramChannel raw = DatagramChannel.open()) {
            AnodeNode b = t.node(NodeTestSupport.loopbackConfig()
                    .errorReplies(true)
                    .errorReplyRate(1000)
                    .build());
            AnodeNode a = t.node();
            raw.bind(new InetSocketAddress(NodeTestSupport.LOOPBACK, 0));
            raw.configureBlocking(false);
            List<byte[]> hostile = hostilePackets(a, b, 7, new Random(7));
            long sentBytes = 0;
            long receivedBytes = 0;
            int replies = 0;
            ByteBuffer in = ByteBuffer.allocate(65536);
            for (byte[] p : hostile) {
                raw.send(ByteBuffer.wrap(p), b.localEndpoints().get(0));
                sentBytes += p.length;
                Thread.sleep(0, 200_000);
                in.clear();
                while (raw.receive(in) != null) {
                    // The largest reply: ERROR 0x02 from our short id to a full sender address.
                    assertTrue(in.position() <= 62, "reply of " + in.position() + " bytes");
                    receivedBytes += in.position();
                    replies++;
                    in.clear();
                }
            }
            long deadline = System.nanoTime() + 1_000_000_000L;
            while (System.nanoTime() < deadline) {
                in.clear();
                if (raw.receive(in) != null) {
                    assertTrue(in.position() <= 62, "reply of " + in.position() + " bytes");
                    receivedBytes += in.position();
                    replies++;
                } else {
                    Thread.sleep(5);
                }
            }
            assertTrue(replies > 0, "some ERROR replies were sent");
            assertTrue(receivedBytes <= sentBytes, receivedBytes + " bytes answered to " + sentBytes);
            assertEquals(0, b.peerCount());
        }
    }
}
