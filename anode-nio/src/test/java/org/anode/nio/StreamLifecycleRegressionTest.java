package org.anode.nio;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.io.IOException;
import java.lang.ref.WeakReference;
import java.nio.channels.ClosedChannelException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.anode.address.AnodeIdentity;
import org.anode.address.Zone;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Regression tests for two findings of the stream review: a closed node must not stay reachable
 * from an application thread that once wrote to one of its streams (M4: a per-thread packet sink
 * that referred back to its layer), and a close racing a connect must not leave an established
 * connection behind in the node's tables (L1).
 */
@Timeout(60)
class StreamLifecycleRegressionTest {

    /** Two nodes, one stream written to from this thread, everything closed; a weak handle on one node. */
    private static WeakReference<AnodeNode> useAndCloseNodes() throws Exception {
        AnodeNode a = AnodeNode.start(
                AnodeIdentity.generate(Zone.DEFAULT),
                NodeTestSupport.loopbackConfig().build());
        AnodeNode b = AnodeNode.start(
                AnodeIdentity.generate(Zone.DEFAULT),
                NodeTestSupport.loopbackConfig().build());
        try {
            NodeTestSupport.introduce(a, b);
            try (AnodeServerSocketChannel l = AnodeServerSocketChannel.open(b)) {
                l.bind(AnodeSocketAddress.of(b.address(), 0));
                try (AnodeSocketChannel c = AnodeSocketChannel.open(a, (AnodeSocketAddress) l.getLocalAddress());
                        AnodeSocketChannel s = l.accept()) {
                    // This thread writes, so it has used the layer's per-thread send path.
                    StreamTestSupport.writeFully(c, new byte[5000]);
                    assertEquals(5000, StreamTestSupport.readFully(s, 5000).length);
                }
            }
        } finally {
            a.close();
            b.close();
        }
        return new WeakReference<>(a);
    }

    @Test
    void aClosedNodeIsNotKeptAliveByTheThreadsThatWroteToItsStreams() throws Exception {
        WeakReference<AnodeNode> ref = useAndCloseNodes();
        for (int i = 0; i < 100 && ref.get() != null; i++) {
            System.gc();
            Thread.sleep(20);
        }
        assertNull(ref.get(), "the closed node is still reachable (a thread-local sink pins it?)");
    }

    @Test
    void closingDuringConnectLeavesNoConnectionBehind() throws Exception {
        try (StreamTestSupport s = new StreamTestSupport()) {
            StreamLayer clientLayer =
                    s.nodes.track(AnodeServerSocketChannel.open(s.client)).layer();
            s.listener.configureBlocking(false);
            java.util.Random r = new java.util.Random(11);
            for (int round = 0; round < 100; round++) {
                AnodeSocketChannel c = AnodeSocketChannel.open(s.client);
                long delay = r.nextInt(150_000);
                CountDownLatch go = new CountDownLatch(1);
                Thread closer = new Thread(
                        () -> {
                            try {
                                if (go.await(5, TimeUnit.SECONDS)) {
                                    // A varying head start for connect(), so the close lands at every step of it.
                                    java.util.concurrent.locks.LockSupport.parkNanos(delay);
                                    c.close();
                                }
                            } catch (InterruptedException | IOException e) {
                                Thread.currentThread().interrupt();
                            }
                        },
                        "test-closer");
                closer.start();
                go.countDown();
                try {
                    c.connect(s.target);
                    c.close();
                } catch (ClosedChannelException e) {
                    // The close won (AsynchronousCloseException, or closed before connect began): fine.
                }
                closer.join(5000);
                AnodeSocketChannel a;
                while ((a = s.listener.accept()) != null) {
                    a.close();
                }
            }
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            while (clientLayer.openLinkCount() > 0 && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            assertEquals(
                    0,
                    clientLayer.openLinkCount(),
                    "a connection of a closed channel stayed open in the client's tables");
        }
    }
}
