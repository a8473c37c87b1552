package org.anode.nio;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import javax.management.MBeanServer;
import javax.management.ObjectName;
import org.anode.address.AnodeIdentity;
import org.anode.address.Zone;
import org.anode.wire.MessageType;
import org.anode.wire.PacketWriter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Addendum A15 over real sockets: throwaway identities from many source addresses, which never
 * echo a cookie, keep a node's key-agreement budget for unknown senders spent; a legitimate new
 * peer still gets in every time - its first packet is answered by an address cookie, it echoes the
 * cookie in a PING, and the node agrees its key from a budget only proven sources can spend.
 * Without the cookie, each first contact would get a key agreement only in the instants the flood
 * has left a token.
 */
@Timeout(180)
class KeyAgreementFloodTest {
    private static final int SOURCES = 8;
    private static final int ROUNDS = 4;

    /** A first contact the node must agree a key for before it finds the MAC is garbage. */
    private static byte[] garbagePing(AnodeIdentity id, AnodeNode to, long payload) throws Exception {
        ByteBuffer buf = NodeTestSupport.firstContact(new PacketWriter(), id, to.address(), MessageType.PING);
        buf.putLong(payload);
        // A MAC nobody computed: no crypto on the flooder's side, a key agreement on the node's.
        buf.putLong(2, payload * 31 + 7);
        return NodeTestSupport.bytes(buf);
    }

    @Test
    void aNewPeerGetsInThroughAThrowawayIdentityFloodFromManySources() throws Exception {
        try (NodeTestSupport t = new NodeTestSupport()) {
            // 8 key agreements a second for unknown senders (a burst of 2); sources barely limited,
            // so the flood's many sources together outrun the node-wide budget.
            AnodeNodeConfig cfg = NodeTestSupport.loopbackConfig()
                    .newPeerRate(8)
                    .newPeerRatePerSource(100)
                    .build();
            AnodeNode server = t.node(cfg);
            InetSocketAddress to = server.localEndpoints().get(0);
            AnodeServerSocketChannel listener = t.track(AnodeServerSocketChannel.open(server));
            listener.bind(AnodeSocketAddress.of(server.address(), 0), 8);
            List<byte[]> packets = new ArrayList<>();
            for (int i = 0; i < 32; i++) {
                packets.add(garbagePing(AnodeIdentity.generate(Zone.DEFAULT), server, i));
            }
            AtomicBoolean stop = new AtomicBoolean();
            AtomicLong sent = new AtomicLong();
            Thread flood = new Thread(
                    () -> {
                        List<DatagramChannel> chs = new ArrayList<>();
                        try {
                            // 127.0.0.2 .. 127.0.0.9: other sources than the legitimate peers' 127.0.0.1.
                            for (int s = 0; s < SOURCES; s++) {
                                DatagramChannel ch = DatagramChannel.open();
                                chs.add(ch);
                                ch.bind(new InetSocketAddress(
                                        InetAddress.getByAddress(new byte[] {127, 0, 0, (byte) (2 + s)}), 0));
                            }
                            for (int i = 0; i < 10_000_000 && !stop.get(); i++) {
                                chs.get(i % SOURCES).send(ByteBuffer.wrap(packets.get(i % packets.size())), to);
                                sent.incrementAndGet();
                                LockSupport.parkNanos(1_000_000L);
                            }
                        } catch (Exception e) {
                            // Ended with the test.
                        } finally {
                            for (DatagramChannel ch : chs) {
                                try {
                                    ch.close();
                                } catch (Exception e) {
                                    // Closing only.
                                }
                            }
                        }
                    },
                    "key-agreement-flood");
            flood.setDaemon(true);
            flood.start();
            try {
                // The flood has spent the budget: most of its first contacts get no key agreement.
                StreamTestSupport.awaitTrue(() -> server.statistics().unknownSenderDropped() > 50, 30_000);
                assertTrue(
                        server.statistics().unknownSenderDropped() > 50,
                        server.statistics().toString());
                for (int round = 0; round < ROUNDS; round++) {
                    // A new peer each round: to the server it is a newcomer.
                    AnodeNode client = t.node();
                    client.addPeerEndpoint(server.address(), to);
                    if (round % 2 == 0) {
                        // Its first packet is a PING: the PING re-sent with the cookie completes it.
                        client.ping(server.address(), Duration.ofSeconds(10));
                    } else {
                        // Its first packet is an S_OPEN: the cookie PING admits it, the S_OPEN's
                        // retransmission gets through.
                        AnodeSocketChannel c = t.track(
                                AnodeSocketChannel.open(client, (AnodeSocketAddress) listener.getLocalAddress()));
                        AnodeSocketChannel s = t.track(listener.accept());
                        byte[] msg = {1, 2, (byte) round};
                        StreamTestSupport.writeFully(c, msg);
                        assertArrayEquals(msg, StreamTestSupport.readFully(s, msg.length));
                    }
                    assertTrue(server.knowsPeer(client.address()), "round " + round);
                }
            } finally {
                stop.set(true);
                flood.join(5000);
            }
            AnodeNode.Statistics st = server.statistics();
            assertTrue(sent.get() > 200, "the flood ran: " + sent.get());
            assertTrue(st.cookieReplies() > 50, st.toString());
            // Every newcomer proved its address, unless its first packet found a token the flood had
            // not taken yet (a few instants a second): then it needed no cookie.
            assertTrue(st.cookiesAccepted() >= 1, "newcomers proved their address: " + st);
            assertTrue(st.unknownSenderDropped() > 50, st.toString());
            // The MBean shows the same counters (it reads them live, so at least as many).
            MBeanServer mbs = ManagementFactory.getPlatformMBeanServer();
            ObjectName name = new ObjectName("org.anode:type=Node,address=" + server.address());
            assertTrue((Long) mbs.getAttribute(name, "CookieReplies") >= st.cookieReplies());
            assertTrue((Long) mbs.getAttribute(name, "CookiesAccepted") >= st.cookiesAccepted());
        }
    }
}
