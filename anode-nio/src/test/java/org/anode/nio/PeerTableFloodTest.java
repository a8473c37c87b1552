package org.anode.nio;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.anode.address.AnodeIdentity;
import org.anode.address.Zone;
import org.anode.crypto.internal.AesCmac;
import org.anode.wire.MessageType;
import org.anode.wire.PacketWriter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Addendum A13: throwaway identities sending valid PINGs from one source fill a node's peer table;
 * a legitimate newcomer from another address still gets in while the flood goes on, because under
 * pressure unknown senders are challenged and those that never prove their source address give
 * their slots up first.
 */
@Timeout(120)
class PeerTableFloodTest {
    private static final int MAX_PEERS = 32;

    private static byte[] ping(AnodeIdentity id, AnodeNode to, long payload) throws Exception {
        PacketWriter w = new PacketWriter();
        ByteBuffer buf = NodeTestSupport.firstContact(w, id, to.address(), MessageType.PING);
        buf.putLong(payload);
        w.finish(AesCmac.forKey(id.agree(to.address())));
        return NodeTestSupport.bytes(buf);
    }

    @Test
    void aThrowawayIdentityFloodDoesNotKeepANewPeerOut() throws Exception {
        try (NodeTestSupport t = new NodeTestSupport()) {
            AnodeNodeConfig cfg =
                    NodeTestSupport.loopbackConfig().maxPeers(MAX_PEERS).build();
            AnodeNode server = t.node(cfg);
            AnodeNode client = t.node();
            // Only the client knows where the server is: to the server it is a newcomer.
            client.addPeerEndpoint(server.address(), server.localEndpoints().get(0));
            AnodeServerSocketChannel listener = t.track(AnodeServerSocketChannel.open(server));
            listener.bind(AnodeSocketAddress.of(server.address(), 0), 8);
            List<byte[]> packets = new ArrayList<>();
            for (int i = 0; i < 6 * MAX_PEERS; i++) {
                packets.add(ping(AnodeIdentity.generate(Zone.DEFAULT), server, i));
            }
            AtomicBoolean stop = new AtomicBoolean();
            AtomicLong sent = new AtomicLong();
            InetSocketAddress to = server.localEndpoints().get(0);
            Thread flood = new Thread(
                    () -> {
                        // Another loopback address than the client's: a separate source for the budgets.
                        try (DatagramChannel ch = DatagramChannel.open()) {
                            ch.bind(new InetSocketAddress(InetAddress.getByName("127.0.0.2"), 0));
                            for (int i = 0; i < 1_000_000 && !stop.get(); i++) {
                                ch.send(ByteBuffer.wrap(packets.get(i % packets.size())), to);
                                sent.incrementAndGet();
                                Thread.sleep(2);
                            }
                        } catch (Exception e) {
                            // Ended with the test.
                        }
                    },
                    "peer-table-flood");
            flood.setDaemon(true);
            flood.start();
            try {
                StreamTestSupport.awaitTrue(() -> sent.get() > 4L * MAX_PEERS, 20_000);
                StreamTestSupport.awaitTrue(() -> server.peerCount() >= MAX_PEERS, 20_000);
                AnodeSocketChannel c =
                        t.track(AnodeSocketChannel.open(client, (AnodeSocketAddress) listener.getLocalAddress()));
                AnodeSocketChannel s = t.track(listener.accept());
                byte[] msg = {4, 5, 6};
                StreamTestSupport.writeFully(c, msg);
                assertArrayEquals(msg, StreamTestSupport.readFully(s, msg.length));
            } finally {
                stop.set(true);
                flood.join(5000);
            }
            assertTrue(sent.get() > 4L * MAX_PEERS, "the flood ran: " + sent.get());
        }
    }
}
