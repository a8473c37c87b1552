package org.anode.nio;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.AsynchronousCloseException;
import java.nio.channels.ClosedByInterruptException;
import java.nio.channels.ClosedChannelException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Interrupt and asynchronous close of datagram channels and nodes (AbstractInterruptibleChannel). */
@Timeout(30)
class DatagramCloseTest {

    /** Starts a blocking receive on another thread; the future holds what it threw. */
    static CompletableFuture<Throwable> blockedReceive(AnodeDatagramChannel c, Thread[] holder, AtomicBoolean flag) {
        CompletableFuture<Throwable> f = new CompletableFuture<>();
        Thread th = new Thread(() -> {
            try {
                c.receive(ByteBuffer.allocate(10));
                f.complete(null);
            } catch (Throwable e) {
                flag.set(Thread.currentThread().isInterrupted());
                f.complete(e);
            }
        });
        holder[0] = th;
        th.start();
        return f;
    }

    static void awaitBlocked(Thread th) throws InterruptedException {
        long deadline = System.nanoTime() + 5_000_000_000L;
        while (th.getState() != Thread.State.WAITING
                && th.getState() != Thread.State.TIMED_WAITING
                && System.nanoTime() < deadline) {
            Thread.sleep(2);
        }
    }

    @Test
    void closeWakesBlockedReceiverWithAsynchronousCloseException() throws Exception {
        try (NodeTestSupport t = new NodeTestSupport()) {
            AnodeNode a = t.node();
            AnodeDatagramChannel c = a.openDatagramChannel().bind(null);
            Thread[] th = new Thread[1];
            CompletableFuture<Throwable> f = blockedReceive(c, th, new AtomicBoolean());
            awaitBlocked(th[0]);
            c.close();
            assertInstanceOf(AsynchronousCloseException.class, f.get(10, TimeUnit.SECONDS));
            assertThrows(ClosedChannelException.class, () -> c.receive(ByteBuffer.allocate(1)));
            assertThrows(
                    ClosedChannelException.class,
                    () -> c.send(ByteBuffer.allocate(1), AnodeSocketAddress.of(a.address(), 1)));
        }
    }

    @Test
    void interruptClosesChannelAndKeepsTheFlag() throws Exception {
        try (NodeTestSupport t = new NodeTestSupport()) {
            AnodeNode a = t.node();
            AnodeDatagramChannel c = a.openDatagramChannel().bind(null);
            Thread[] th = new Thread[1];
            AtomicBoolean interrupted = new AtomicBoolean();
            CompletableFuture<Throwable> f = blockedReceive(c, th, interrupted);
            awaitBlocked(th[0]);
            th[0].interrupt();
            assertInstanceOf(ClosedByInterruptException.class, f.get(10, TimeUnit.SECONDS));
            assertTrue(interrupted.get(), "interrupt status stays set");
            assertFalse(c.isOpen());
        }
    }

    @Test
    void interruptedThreadCannotStartABlockingReceive() throws Exception {
        try (NodeTestSupport t = new NodeTestSupport()) {
            AnodeNode a = t.node();
            AnodeDatagramChannel c = a.openDatagramChannel().bind(null);
            Thread.currentThread().interrupt();
            try {
                assertThrows(ClosedByInterruptException.class, () -> c.receive(ByteBuffer.allocate(1)));
                assertTrue(Thread.interrupted());
            } finally {
                Thread.interrupted();
            }
            assertFalse(c.isOpen());
        }
    }

    @Test
    void nodeCloseClosesEveryChannelAndReleasesSockets() throws Exception {
        try (NodeTestSupport t = new NodeTestSupport()) {
            AnodeNode a = t.node();
            AnodeDatagramChannel blocked = a.openDatagramChannel().bind(null);
            AnodeDatagramChannel idle = a.openDatagramChannel();
            Thread[] th = new Thread[1];
            CompletableFuture<Throwable> f = blockedReceive(blocked, th, new AtomicBoolean());
            awaitBlocked(th[0]);
            var endpoint = a.localEndpoints().get(0);
            a.close();
            assertInstanceOf(AsynchronousCloseException.class, f.get(10, TimeUnit.SECONDS));
            assertFalse(blocked.isOpen());
            assertFalse(idle.isOpen());
            assertFalse(a.isOpen());
            assertThrows(IOException.class, a::openDatagramChannel);
            assertThrows(IOException.class, () -> a.selectorProvider().openDatagramChannel());
            // The UDP port is free again.
            try (var ch = java.nio.channels.DatagramChannel.open()) {
                ch.bind(endpoint);
            }
            a.close();
        }
    }

    @Test
    void pingOnClosedNodeFails() throws Exception {
        try (NodeTestSupport t = new NodeTestSupport()) {
            AnodeNode a = t.node();
            AnodeNode b = t.node();
            NodeTestSupport.introduce(a, b);
            a.close();
            assertThrows(IOException.class, () -> a.ping(b.address(), java.time.Duration.ofSeconds(1)));
        }
    }
}
