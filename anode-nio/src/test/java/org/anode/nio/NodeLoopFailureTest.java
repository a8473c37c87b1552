package org.anode.nio;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.anode.address.AnodeIdentity;
import org.anode.address.Zone;
import org.anode.engine.Engine;
import org.anode.engine.Outbound;
import org.anode.wire.MessageType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * An {@link Error} thrown by something the event loop runs (here a message handler, as an
 * OutOfMemoryError in the stream layer would) must not leave a node that looks open while nothing
 * ever wakes its callers: the node closes itself, blocked channels fail as on close(), pings fail.
 */
@Timeout(60)
class NodeLoopFailureTest {
    /** Stands in for OutOfMemoryError and the like. */
    static final class HandlerError extends Error {
        HandlerError() {
            super("test: a handler failed with an Error");
        }
    }

    @Test
    void anErrorInAHandlerClosesTheNode() throws Exception {
        try (NodeTestSupport t = new NodeTestSupport();
                java.nio.channels.DatagramChannel silent = java.nio.channels.DatagramChannel.open()) {
            AnodeNode a = t.node();
            AnodeNode b = t.node();
            NodeTestSupport.introduce(a, b);
            b.engine().setMessageHandler(MessageType.NAT_T, (from, r, via, src, now) -> {
                throw new HandlerError();
            });
            AnodeDatagramChannel ch = t.track(b.openDatagramChannel());
            ch.bind(AnodeSocketAddress.of(b.address(), 7));
            CompletableFuture<Throwable> receiver = new CompletableFuture<>();
            Thread th = new Thread(() -> {
                try {
                    ch.receive(ByteBuffer.allocate(100));
                    receiver.complete(null);
                } catch (Throwable e) {
                    receiver.complete(e);
                }
            });
            th.setDaemon(true);
            th.start();
            // A ping that would wait 30 s for a PONG that never comes.
            silent.bind(new java.net.InetSocketAddress(NodeTestSupport.LOOPBACK, 0));
            AnodeIdentity ghost = AnodeIdentity.generate(Zone.DEFAULT);
            b.addPeerEndpoint(ghost.address(), (java.net.InetSocketAddress) silent.getLocalAddress());
            CompletableFuture<Duration> ping = b.pingAsync(ghost.address(), Duration.ofSeconds(30));

            // a sends b an authenticated NAT_T message; b's handler throws.
            Engine ea = a.engine();
            Outbound o = new Outbound(2048);
            ByteBuffer m = ea.begin(o, ea.peer(b.address()), MessageType.NAT_T, 0);
            m.put((byte) 0);
            assertTrue(ea.finish(o));

            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (b.isOpen() && System.nanoTime() < deadline) {
                Thread.sleep(5);
            }
            assertFalse(b.isOpen(), "the node closed itself");
            Throwable e = receiver.get(10, TimeUnit.SECONDS);
            assertTrue(e instanceof ClosedChannelException, "blocked receive fails as on close: " + e);
            ExecutionException pingFailure =
                    assertThrows(ExecutionException.class, () -> ping.get(10, TimeUnit.SECONDS));
            assertTrue(
                    pingFailure.getCause() instanceof ClosedChannelException,
                    pingFailure.getCause().toString());
            assertThrows(ClosedChannelException.class, () -> b.openDatagramChannel());
            // The other node is unaffected.
            assertTrue(a.isOpen());
        }
    }
}
