package org.anode.nio;

import static java.nio.channels.SelectionKey.OP_READ;
import static java.nio.channels.SelectionKey.OP_WRITE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedSelectorException;
import java.nio.channels.Pipe;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Checklist items 8, 9, 10, 13 and 14: level triggering, counts, blocking, key sets, selectNow. */
@Timeout(value = 30, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class SelectorSelectTest {
    private AnodeSelectorProvider provider;
    private Selector selector;
    private final List<Pipe> pipes = new ArrayList<>();

    @BeforeEach
    void open() throws IOException {
        provider = SelectorTestSupport.provider();
        selector = provider.openSelector();
    }

    @AfterEach
    void close() throws IOException {
        selector.close();
        for (Pipe p : pipes) {
            p.source().close();
            p.sink().close();
        }
    }

    /** The pipes under test; {@link SelectorSelectMixedTest} mixes in the JDK's own. */
    Pipe newPipe() throws IOException {
        return provider.openPipe();
    }

    private Pipe pipe() throws IOException {
        Pipe p = newPipe();
        p.source().configureBlocking(false);
        p.sink().configureBlocking(false);
        pipes.add(p);
        return p;
    }

    /** Item 8: data left unread is selected again at the next select, until it is all read. */
    @Test
    void levelTriggeredUntilDrained() throws IOException {
        Pipe p = pipe();
        SelectionKey key = p.source().register(selector, OP_READ);
        p.sink().write(ByteBuffer.wrap(new byte[] {1, 2, 3}));
        assertEquals(1, selector.selectNow());
        selector.selectedKeys().clear();

        ByteBuffer one = ByteBuffer.allocate(1);
        assertEquals(1, p.source().read(one));
        assertEquals(1, selector.selectNow(), "two bytes are still unread");
        assertTrue(selector.selectedKeys().contains(key));
        selector.selectedKeys().clear();

        assertEquals(2, p.source().read(ByteBuffer.allocate(8)));
        assertEquals(0, selector.selectNow());
        assertTrue(selector.selectedKeys().isEmpty());
    }

    /** Item 8, blocking flavour: select() returns at once while data is still unread. */
    @Test
    void blockingSelectReturnsForUnreadData() throws Exception {
        Pipe p = pipe();
        p.source().register(selector, OP_READ);
        p.sink().write(ByteBuffer.wrap(new byte[] {9}));
        for (int i = 0; i < 5; i++) {
            var select = SelectorTestSupport.background("select", () -> selector.select());
            assertEquals(1, select.get());
            selector.selectedKeys().clear();
        }
    }

    /** Item 9: the count is the number of keys added or updated this round, not the ready total. */
    @Test
    void exactCountsAcrossRounds() throws IOException {
        Pipe a = pipe();
        Pipe b = pipe();
        Pipe c = pipe();
        Pipe idle = pipe();
        SelectionKey ka = a.source().register(selector, OP_READ);
        SelectionKey kb = b.source().register(selector, OP_READ);
        c.source().register(selector, OP_READ);
        idle.source().register(selector, OP_READ);
        for (Pipe p : List.of(a, b, c)) {
            p.sink().write(ByteBuffer.wrap(new byte[] {1}));
        }
        assertEquals(3, selector.selectNow());
        assertEquals(3, selector.selectedKeys().size());
        assertEquals(0, selector.selectNow(), "already selected, ready set unchanged");
        assertEquals(3, selector.selectedKeys().size(), "keys stay selected until removed");

        selector.selectedKeys().remove(ka);
        assertEquals(1, selector.selectNow(), "only the re-added key counts");
        selector.selectedKeys().remove(kb);
        selector.selectedKeys().remove(ka);
        assertEquals(2, selector.selectNow());
    }

    /** Item 9: an already-selected key gets its ready set OR-ed, and that counts once. */
    @Test
    void readySetIsOredIntoSelectedKey() throws IOException {
        SelectorTestChannel ch = SelectorTestChannel.nonBlocking(provider, OP_READ | OP_WRITE);
        SelectionKey key = ch.register(selector, OP_READ | OP_WRITE);
        ch.setReady(OP_READ);
        assertEquals(1, selector.selectNow());
        assertEquals(OP_READ, key.readyOps());

        ch.setReady(OP_WRITE);
        assertEquals(1, selector.selectNow(), "the ready set grew");
        assertEquals(OP_READ | OP_WRITE, key.readyOps(), "OR-ed, not replaced, while selected");
        assertEquals(0, selector.selectNow());

        selector.selectedKeys().clear();
        assertEquals(1, selector.selectNow());
        assertEquals(OP_WRITE, key.readyOps(), "replaced when the key is added afresh");
        ch.close();
    }

    /** Item 9: ready sets are masked by interest; ops == 0 interest selects nothing. */
    @Test
    void readyOpsAreMaskedByInterest() throws IOException {
        SelectorTestChannel ch = SelectorTestChannel.nonBlocking(provider, OP_READ | OP_WRITE);
        SelectionKey key = ch.register(selector, OP_READ);
        ch.setReady(OP_READ | OP_WRITE);
        assertEquals(1, selector.selectNow());
        assertEquals(OP_READ, key.readyOps());
        selector.selectedKeys().clear();
        key.interestOps(0);
        assertEquals(0, selector.selectNow());
        key.interestOps(OP_WRITE);
        assertEquals(1, selector.selectNow());
        assertEquals(OP_WRITE, key.readyOps());
        ch.close();
    }

    /** Item 10: select(0) blocks until data arrives and then reports it. */
    @Test
    void selectZeroBlocksUntilDataArrives() throws Exception {
        Pipe p = pipe();
        SelectionKey key = p.source().register(selector, OP_READ);
        var select = SelectorTestSupport.background("select", () -> selector.select(0));
        assertTrue(select.stillBlockedAfter(50));
        p.sink().write(ByteBuffer.wrap(new byte[] {1}));
        assertEquals(1, select.get());
        assertTrue(selector.selectedKeys().contains(key));
        assertTrue(key.isReadable());
    }

    /** Item 10: signals that change nothing (or change only uninteresting ops) never end select(). */
    @Test
    void noPrematureZeroReturns() throws Exception {
        SelectorTestChannel ch = SelectorTestChannel.nonBlocking(provider, OP_READ | OP_WRITE);
        ch.register(selector, OP_READ);
        var select = SelectorTestSupport.background("select", () -> selector.select());
        select.awaitBlocked();
        // A fixed amount of noise, all of it sent while select() is blocked (not "for 100 ms",
        // which a loaded machine can spend without running the noise thread at all).
        var noise = SelectorTestSupport.background("noise", () -> {
            int n = 0;
            while (n < 200_000) {
                ch.setReady((n & 1) == 0 ? OP_WRITE : 0);
                n++;
            }
            return n;
        });
        assertEquals(200_000, noise.get());
        assertFalse(select.isDone(), "select returned without anything selected");
        ch.setReady(OP_READ);
        assertEquals(1, select.get());
        ch.close();
    }

    /** Item 10: select(Consumer) blocks as well, and hands ready keys to the action. */
    @Test
    void selectWithActionBlocksAndLeavesSelectedSetAlone() throws Exception {
        Pipe p = pipe();
        SelectionKey key = p.source().register(selector, OP_READ);
        Set<SelectionKey> seen = new HashSet<>();
        var select = SelectorTestSupport.background("select", () -> selector.select(seen::add));
        assertTrue(select.stillBlockedAfter(20));
        p.sink().write(ByteBuffer.wrap(new byte[] {1}));
        assertEquals(1, select.get());
        assertEquals(Set.of(key), seen);
        assertEquals(OP_READ, key.readyOps());
        assertTrue(selector.selectedKeys().isEmpty());
        seen.clear();
        assertEquals(1, selector.selectNow(seen::add), "level-triggered for actions too");
        assertEquals(1, selector.select(seen::add, 1000));
        assertEquals(1, seen.size());
    }

    @Test
    void actionThatSelectsAgainOrClosesIsHandled() throws IOException {
        Pipe p = pipe();
        p.source().register(selector, OP_READ);
        p.sink().write(ByteBuffer.wrap(new byte[] {1}));
        assertThrows(
                IllegalStateException.class,
                () -> selector.selectNow(k -> {
                    try {
                        selector.selectNow();
                    } catch (IOException e) {
                        throw new AssertionError(e);
                    }
                }));
        assertThrows(
                ClosedSelectorException.class,
                () -> selector.selectNow(k -> {
                    try {
                        selector.close();
                    } catch (IOException e) {
                        throw new AssertionError(e);
                    }
                }));
        assertFalse(selector.isOpen());
        assertFalse(p.source().isRegistered());
    }

    /** A key whose action threw stays a candidate: the next select sees it again. */
    @Test
    void throwingActionDoesNotLoseOtherKeys() throws IOException {
        Pipe a = pipe();
        Pipe b = pipe();
        a.source().register(selector, OP_READ);
        b.source().register(selector, OP_READ);
        a.sink().write(ByteBuffer.wrap(new byte[] {1}));
        b.sink().write(ByteBuffer.wrap(new byte[] {1}));
        assertThrows(
                IllegalStateException.class,
                () -> selector.selectNow(k -> {
                    throw new IllegalStateException("boom");
                }));
        Set<SelectionKey> seen = new HashSet<>();
        assertEquals(2, selector.selectNow(seen::add));
        assertEquals(2, seen.size());
    }

    /** select(timeout) waits at least the timeout when nothing happens, then returns 0. */
    @Test
    void selectWithTimeoutHonoursIt() throws IOException {
        pipe().source().register(selector, OP_READ);
        long t0 = System.nanoTime();
        assertEquals(0, selector.select(60));
        assertTrue(System.nanoTime() - t0 >= TimeUnit.MILLISECONDS.toNanos(60), "returned before the timeout");
        assertThrows(IllegalArgumentException.class, () -> selector.select(-1));
        assertThrows(IllegalArgumentException.class, () -> selector.select(k -> {}, -1));
    }

    /** Item 13: the selected-key set supports remove, iterator remove and clear, and rejects add. */
    @Test
    void selectedKeySetIsUngrowable() throws IOException {
        Pipe a = pipe();
        Pipe b = pipe();
        Pipe c = pipe();
        SelectionKey ka = a.source().register(selector, OP_READ);
        b.source().register(selector, OP_READ);
        c.source().register(selector, OP_READ);
        for (Pipe p : List.of(a, b, c)) {
            p.sink().write(ByteBuffer.wrap(new byte[] {1}));
        }
        assertEquals(3, selector.selectNow());
        Set<SelectionKey> selected = selector.selectedKeys();
        assertThrows(UnsupportedOperationException.class, () -> selected.add(ka));
        assertThrows(UnsupportedOperationException.class, () -> selected.addAll(List.of(ka)));
        assertTrue(selected.remove(ka));
        assertFalse(selected.remove(ka));
        Iterator<SelectionKey> it = selected.iterator();
        it.next();
        it.remove();
        assertEquals(1, selected.size());
        selected.clear();
        assertTrue(selected.isEmpty());
        assertEquals(3, selector.selectNow(), "removed keys are added again while still ready");
    }

    /** Item 13: keys() is unmodifiable and can be iterated while keys are cancelled and deregistered. */
    @Test
    void keysIterationSurvivesCancellation() throws Exception {
        List<SelectorTestChannel> channels = new ArrayList<>();
        for (int i = 0; i < 300; i++) {
            SelectorTestChannel ch = SelectorTestChannel.nonBlocking(provider, OP_READ);
            ch.register(selector, OP_READ);
            channels.add(ch);
        }
        Set<SelectionKey> keys = selector.keys();
        assertThrows(
                UnsupportedOperationException.class,
                () -> keys.add(keys.iterator().next()));
        assertThrows(
                UnsupportedOperationException.class,
                () -> keys.remove(keys.iterator().next()));
        assertThrows(UnsupportedOperationException.class, keys::clear);

        // Another thread cancels and selects while this one walks the key set.
        var canceller = SelectorTestSupport.background("cancel", () -> {
            for (int i = 0; i < channels.size(); i += 2) {
                channels.get(i).keyFor(selector).cancel();
                if (i % 20 == 0) {
                    selector.selectNow();
                }
            }
            selector.selectNow();
            return null;
        });
        int walked = 0;
        while (!canceller.isDone() && walked < 1000) {
            for (SelectionKey k : keys) {
                k.isValid();
            }
            walked++;
        }
        canceller.get();
        // And the same thread cancelling during its own iteration.
        for (SelectionKey k : keys) {
            k.cancel();
            selector.selectNow();
        }
        selector.selectNow();
        assertTrue(keys.isEmpty());
        for (SelectorTestChannel ch : channels) {
            assertFalse(ch.isRegistered());
            ch.close();
        }
    }

    /**
     * Items 14 and efficiency: with 10,000 idle registered channels, selectNow asks no idle channel
     * for its readiness; only signalled or recently ready keys are looked at.
     */
    @Test
    void idleKeysCostNothingPerSelect() throws IOException {
        List<SelectorTestChannel> channels = new ArrayList<>();
        for (int i = 0; i < 10_000; i++) {
            SelectorTestChannel ch = SelectorTestChannel.nonBlocking(provider, OP_READ);
            ch.register(selector, OP_READ);
            channels.add(ch);
        }
        assertEquals(0, selector.selectNow(), "first look at every new key");
        long before = channels.stream().mapToLong(c -> c.readyCalls.get()).sum();
        for (int i = 0; i < 100; i++) {
            assertEquals(0, selector.selectNow());
        }
        assertEquals(
                before, channels.stream().mapToLong(c -> c.readyCalls.get()).sum(), "idle keys were polled");

        SelectorTestChannel hot = channels.get(4242);
        hot.setReady(OP_READ);
        assertEquals(1, selector.selectNow());
        long afterHot = channels.stream().mapToLong(c -> c.readyCalls.get()).sum();
        assertEquals(before + 1, afterHot, "only the signalled key was looked at");
        for (SelectorTestChannel ch : channels) {
            ch.close();
        }
    }

    /** A readiness decrease needs no signal: the key that was ready is re-checked at the next round. */
    @Test
    void readyKeysAreRecheckedWithoutSignal() throws IOException {
        SelectorTestChannel ch = SelectorTestChannel.nonBlocking(provider, OP_READ);
        SelectionKey key = ch.register(selector, OP_READ);
        ch.setReady(OP_READ);
        assertEquals(1, selector.selectNow());
        selector.selectedKeys().clear();
        ch.setReadyQuietly(0);
        assertEquals(0, selector.selectNow());
        assertFalse(selector.selectedKeys().contains(key));
        ch.close();
    }
}
