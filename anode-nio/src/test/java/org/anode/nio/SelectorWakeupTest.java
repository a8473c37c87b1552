package org.anode.nio;

import static java.nio.channels.SelectionKey.OP_READ;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedSelectorException;
import java.nio.channels.Pipe;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Checklist items 15, 16 and 17: wakeup, interrupt and close. */
@Timeout(value = 30, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class SelectorWakeupTest {
    private AnodeSelectorProvider provider;
    private Selector selector;
    private Pipe pipe;

    /** The pipe under test; the JDK-pipe subclass registers the JDK's own next to Anode channels. */
    Pipe newPipe() throws IOException {
        return provider.openPipe();
    }

    @BeforeEach
    void open() throws IOException {
        provider = SelectorTestSupport.provider();
        selector = provider.openSelector();
        pipe = newPipe();
        pipe.source().configureBlocking(false);
        pipe.source().register(selector, OP_READ);
    }

    @AfterEach
    void close() throws IOException {
        selector.close();
        pipe.source().close();
        pipe.sink().close();
    }

    /** Item 15: a wakeup before select makes the next select return at once, and only that one. */
    @Test
    void wakeupBeforeSelectIsStickyAndCoalescing() throws Exception {
        selector.wakeup();
        selector.wakeup();
        selector.wakeup();
        assertEquals(
                0,
                SelectorTestSupport.background("select", () -> selector.select())
                        .get());
        var second = SelectorTestSupport.background("select2", () -> selector.select());
        assertTrue(second.stillBlockedAfter(50), "three wakeups coalesce into one");
        selector.wakeup();
        assertEquals(0, second.get());
    }

    /** Item 15: a pending wakeup also ends select(timeout) and select(Consumer) at once. */
    @Test
    void wakeupEndsEveryBlockingFlavour() throws Exception {
        selector.wakeup();
        assertEquals(
                0,
                SelectorTestSupport.background("s1", () -> selector.select(60_000))
                        .get());
        selector.wakeup();
        assertEquals(
                0,
                SelectorTestSupport.background("s2", () -> selector.select(k -> {}))
                        .get());
        selector.wakeup();
        assertEquals(
                0,
                SelectorTestSupport.background("s3", () -> selector.select(k -> {}, 60_000))
                        .get());
    }

    /** Item 15: selectNow clears a pending wakeup. */
    @Test
    void selectNowClearsPendingWakeup() throws Exception {
        selector.wakeup();
        assertEquals(0, selector.selectNow());
        var select = SelectorTestSupport.background("select", () -> selector.select());
        assertTrue(select.stillBlockedAfter(50), "the wakeup was consumed by selectNow");
        selector.wakeup();
        assertEquals(0, select.get());
    }

    /** Item 15: a select ended by ready keys consumes the wakeup too (it was the first to return). */
    @Test
    void selectEndedByKeysConsumesWakeup() throws Exception {
        pipe.sink().write(ByteBuffer.wrap(new byte[] {1}));
        selector.wakeup();
        assertEquals(1, selector.select());
        selector.selectedKeys().clear();
        pipe.source().read(ByteBuffer.allocate(4));
        var select = SelectorTestSupport.background("select", () -> selector.select());
        assertTrue(select.stillBlockedAfter(50));
        selector.wakeup();
        assertEquals(0, select.get());
    }

    /** Item 15: a wakeup made while a select is running is used up by that select. */
    @Test
    void wakeupDuringSelectIsConsumedByIt() throws Exception {
        pipe.sink().write(ByteBuffer.wrap(new byte[] {1}));
        assertEquals(1, selector.select(k -> selector.wakeup()));
        pipe.source().read(ByteBuffer.allocate(4));
        var select = SelectorTestSupport.background("select", () -> selector.select());
        assertTrue(select.stillBlockedAfter(50), "the wakeup already ended the previous select");
        selector.wakeup();
        assertEquals(0, select.get());
    }

    /** Item 15: wakeup from another thread ends a blocked select; wakeup returns the selector. */
    @Test
    void wakeupFromAnotherThreadEndsBlockedSelect() throws Exception {
        var select = SelectorTestSupport.background("select", () -> selector.select());
        select.awaitBlocked();
        assertSame(selector, selector.wakeup());
        assertEquals(0, select.get());
    }

    /**
     * Item 15: wakeup never takes the selector's monitor. The default select(Consumer) of
     * {@link Selector} holds it for the whole select; here another thread holds it indefinitely and
     * wakeup must still go through.
     */
    @Test
    void wakeupDoesNotTakeTheSelectorMonitor() throws Exception {
        CountDownLatch held = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        var holder = SelectorTestSupport.background("holder", () -> {
            synchronized (selector) {
                synchronized (selector.selectedKeys()) {
                    held.countDown();
                    return release.await(SelectorTestSupport.STEP_SECONDS, TimeUnit.SECONDS);
                }
            }
        });
        assertTrue(held.await(SelectorTestSupport.STEP_SECONDS, TimeUnit.SECONDS));
        var waker = SelectorTestSupport.background("waker", () -> {
            selector.wakeup();
            pipe.sink().write(ByteBuffer.wrap(new byte[] {1}));
            return true;
        });
        assertTrue(waker.get(), "wakeup and readiness signals pass while the monitors are held");
        release.countDown();
        assertTrue(holder.get());
        assertEquals(1, selector.selectNow());
    }

    /** Item 16: an interrupt ends a blocked select, which returns normally with the flag still set. */
    @Test
    void interruptEndsSelectAndKeepsTheFlag() throws Exception {
        var select = SelectorTestSupport.background("select", () -> {
            int n = selector.select();
            return n == 0 && Thread.currentThread().isInterrupted();
        });
        select.awaitBlocked();
        select.thread().interrupt();
        assertTrue(select.get(), "select returned 0 with the interrupt flag set");
        assertTrue(selector.isOpen(), "an interrupt does not close the selector");
        assertTrue(pipe.source().isOpen());
    }

    /**
     * Item 16: an action doing blocking channel I/O (whose begin()/end() takes over the thread's
     * interrupt hook) does not stop a later interrupt from ending the select.
     */
    @Test
    void interruptStillWorksAfterActionDidBlockingIo() throws Exception {
        Pipe other = provider.openPipe();
        try {
            other.sink().write(ByteBuffer.wrap(new byte[] {1, 2}));
            pipe.sink().write(ByteBuffer.wrap(new byte[] {1}));
            var select = SelectorTestSupport.background("select", () -> {
                // First select: the action reads blocking from another pipe (begin/end inside).
                selector.select(k -> {
                    try {
                        other.source().read(ByteBuffer.allocate(1));
                        pipe.source().read(ByteBuffer.allocate(4));
                    } catch (IOException e) {
                        throw new java.io.UncheckedIOException(e);
                    }
                });
                // Second select, with an action again, waits until interrupted.
                int n = selector.select(k -> {});
                return n == 0 && Thread.currentThread().isInterrupted();
            });
            select.awaitBlocked();
            select.thread().interrupt();
            assertTrue(select.get());
        } finally {
            other.source().close();
            other.sink().close();
        }
    }

    /** Item 16: a thread already interrupted does not block in select, and keeps the flag. */
    @Test
    void alreadyInterruptedThreadDoesNotBlock() throws Exception {
        var select = SelectorTestSupport.background("select", () -> {
            Thread.currentThread().interrupt();
            int a = selector.select();
            int b = selector.select(60_000);
            boolean flag = Thread.interrupted();
            // With the flag cleared, select blocks again until woken.
            selector.wakeup();
            int c = selector.select();
            return a == 0 && b == 0 && c == 0 && flag && !Thread.currentThread().isInterrupted();
        });
        assertTrue(select.get());
    }

    /** Item 17: close wakes a blocked select and deregisters every key. */
    @Test
    void closeWakesBlockedSelectAndDeregistersKeys() throws Exception {
        SelectionKey key = pipe.source().keyFor(selector);
        var select = SelectorTestSupport.background("select", () -> selector.select());
        select.awaitBlocked();
        var closer = SelectorTestSupport.background("close", () -> {
            selector.close();
            return true;
        });
        assertEquals(0, select.get());
        assertTrue(closer.get());
        assertFalse(selector.isOpen());
        assertFalse(key.isValid());
        assertFalse(pipe.source().isRegistered());
        assertEquals(null, pipe.source().keyFor(selector));
    }

    /** Item 17: after close, key sets and every select throw ClosedSelectorException. */
    @Test
    void closedSelectorRefusesEverything() throws IOException {
        pipe.sink().write(ByteBuffer.wrap(new byte[] {1}));
        assertEquals(1, selector.selectNow());
        selector.close();
        selector.close();
        assertThrows(ClosedSelectorException.class, selector::keys);
        assertThrows(ClosedSelectorException.class, selector::selectedKeys);
        assertThrows(ClosedSelectorException.class, selector::select);
        assertThrows(ClosedSelectorException.class, () -> selector.select(10));
        assertThrows(ClosedSelectorException.class, selector::selectNow);
        assertThrows(ClosedSelectorException.class, () -> selector.select(k -> {}));
        assertThrows(ClosedSelectorException.class, () -> selector.select(k -> {}, 10));
        assertThrows(ClosedSelectorException.class, () -> selector.selectNow(k -> {}));
        assertSame(selector, selector.wakeup(), "wakeup after close is harmless");
        assertFalse(pipe.source().isRegistered());
        // The channel is unaffected and may register elsewhere.
        try (Selector other = provider.openSelector()) {
            pipe.source().register(other, OP_READ);
            assertEquals(1, other.selectNow());
        }
    }

    /** Readiness signals after close reach nothing and are harmless. */
    @Test
    void signalsAfterCloseAreHarmless() throws IOException {
        selector.close();
        pipe.sink().write(ByteBuffer.wrap(new byte[] {1}));
        assertFalse(pipe.source().isRegistered());
        if (pipe.source() instanceof AnodeSelectable a) {
            assertEquals(0, a.readiness().attachedCount());
        }
    }
}
