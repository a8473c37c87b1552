package org.anode.nio;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A captured stream replayed after the acceptor forgot it (bugs-streams B2, addendum A5): every
 * datagram node a sent for a finished connection - its S_OPEN, its acknowledgement of the old
 * acceptor ISN, its data and its FIN - is recorded on the path and sent to b again from another
 * socket once b's time-wait is over. b answers with a fresh ISN that nothing in the capture
 * acknowledges, so the replay is never handed to accept() and its bytes are never read again.
 */
@Timeout(60)
class StreamReplayTest {

    @Test
    void aCapturedConnectionReplayedAfterTimeWaitIsNeverAccepted() throws Exception {
        try (NodeTestSupport t = new NodeTestSupport()) {
            AnodeNode a = t.node();
            AnodeNode b = t.node();
            NodeEndpointCheckTest.Nat nat = t.track(new NodeEndpointCheckTest.Nat(
                    a.localEndpoints().get(0), b.localEndpoints().get(0)));
            DatagramChannel attacker = t.track(DatagramChannel.open());
            attacker.bind(new InetSocketAddress(NodeTestSupport.LOOPBACK, 0));
            a.addPeerEndpoint(b.address(), NodeEndpointCheckTest.Nat.addressOf(nat.inside));

            AnodeServerSocketChannel listener = t.track(AnodeServerSocketChannel.open(b));
            listener.bind(AnodeSocketAddress.of(b.address(), 443), 10);
            StreamLayer layer = listener.layer();
            layer.configureAccepted(c -> c.timeWait(Duration.ofMillis(200)).connectTimeout(Duration.ofMillis(800)));

            byte[] order = "transfer 100 to mallory".getBytes(StandardCharsets.UTF_8);
            AnodeSocketChannel client = t.track(AnodeSocketChannel.open(a, AnodeSocketAddress.of(b.address(), 443)));
            AnodeSocketChannel server = t.track(listener.accept());
            StreamTestSupport.writeFully(client, order);
            client.shutdownOutput();
            assertArrayEquals(
                    order, StreamTestSupport.readFully(server, order.length + 1), "the original is read once");
            assertEquals(-1, server.read(ByteBuffer.allocate(1)));
            server.close();
            client.close();
            StreamTestSupport.awaitTrue(() -> layer.linkCount() == 0, 10_000);
            assertEquals(0, layer.linkCount(), "b forgot the connection (time-wait over)");
            List<byte[]> capture = List.copyOf(nat.captured);
            assertTrue(capture.size() >= 4, "the capture holds a's side of the connection: " + capture.size());

            listener.configureBlocking(false);
            for (int round = 0; round < 2; round++) {
                for (byte[] packet : capture) {
                    attacker.send(ByteBuffer.wrap(packet), b.localEndpoints().get(0));
                }
                long until = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(300);
                while (System.nanoTime() < until) {
                    assertNull(listener.accept(), "a replayed connection is never accepted");
                    Thread.sleep(10);
                }
            }
            StreamTestSupport.awaitTrue(() -> layer.linkCount() == 0 && listener.halfOpen() == 0, 10_000);
            assertEquals(0, layer.linkCount(), "the replay's half-open connection is given up");
            assertEquals(0, listener.halfOpen());
            assertNull(listener.accept());

            // The genuine client can still connect, and is accepted as usual.
            listener.configureBlocking(true);
            AnodeSocketChannel again = t.track(AnodeSocketChannel.open(a, AnodeSocketAddress.of(b.address(), 443)));
            AnodeSocketChannel accepted = t.track(listener.accept());
            assertNotNull(accepted);
            StreamTestSupport.writeFully(again, order);
            assertArrayEquals(order, StreamTestSupport.readFully(accepted, order.length));
        }
    }
}
