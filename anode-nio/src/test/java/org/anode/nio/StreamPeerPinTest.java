package org.anode.nio;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.StandardSocketOptions;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A peer with an open stream stays in the peer table (addendum A4, review H1): both the opener's
 * and the acceptor's links pin the peer, and the pin is released when the link is retired.
 */
@Timeout(30)
class StreamPeerPinTest {
    @Test
    void openStreamsPinTheirPeerOnBothSidesUntilRetired() throws Exception {
        try (NodeTestSupport t = new NodeTestSupport()) {
            AnodeNode a = t.node();
            AnodeNode b = t.node();
            NodeTestSupport.introduce(a, b);
            try (AnodeServerSocketChannel server = AnodeServerSocketChannel.open(b)) {
                server.bind(AnodeSocketAddress.of(b.address(), 9));
                AnodeSocketChannel client = AnodeSocketChannel.open(a, AnodeSocketAddress.of(b.address(), 9));
                AnodeSocketChannel accepted = server.accept();
                assertTrue(a.engine().peer(b.address()).isPinned(), "the opener pins the acceptor");
                assertTrue(b.engine().peer(a.address()).isPinned(), "the acceptor pins the opener");

                // An abortive close (SO_LINGER 0, S_CLOSE reason 01) retires both links at once.
                client.setOption(StandardSocketOptions.SO_LINGER, 0);
                client.close();
                accepted.close();
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
                while ((a.engine().peer(b.address()).isPinned()
                                || b.engine().peer(a.address()).isPinned())
                        && System.nanoTime() < deadline) {
                    Thread.sleep(10);
                }
                assertFalse(a.engine().peer(b.address()).isPinned(), "the opener's pin is released");
                assertFalse(b.engine().peer(a.address()).isPinned(), "the acceptor's pin is released");
            }
        }
    }
}
