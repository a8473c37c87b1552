package org.anode.nio;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.CancelledKeyException;
import java.nio.channels.ClosedSelectorException;
import java.nio.channels.IllegalBlockingModeException;
import java.nio.channels.IllegalSelectorException;
import java.nio.channels.Pipe;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.spi.SelectorProvider;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Checklist items 4, 5 and 6: registration, cancellation and interest sets. */
@Timeout(value = 30, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class SelectorRegistrationTest {
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
        pipe.sink().configureBlocking(false);
    }

    @AfterEach
    void close() throws IOException {
        selector.close();
        pipe.source().close();
        pipe.sink().close();
    }

    /** Item 4: a cancelled key blocks re-registration until a select deregisters it (Netty's retry). */
    @Test
    void cancelledKeyIsDeregisteredBySelectNowAndChannelCanRegisterAgain() throws IOException {
        SelectionKey first = pipe.source().register(selector, SelectionKey.OP_READ, "a");
        first.cancel();
        assertFalse(first.isValid());
        assertTrue(pipe.source().isRegistered(), "still registered until the next select");
        assertThrows(CancelledKeyException.class, () -> pipe.source().register(selector, SelectionKey.OP_READ));

        assertEquals(0, selector.selectNow());
        assertFalse(pipe.source().isRegistered());
        assertFalse(selector.keys().contains(first));

        SelectionKey second = pipe.source().register(selector, SelectionKey.OP_READ, "b");
        assertNotSame(first, second);
        assertTrue(second.isValid());
        assertEquals("b", second.attachment());
        pipe.sink().write(ByteBuffer.wrap(new byte[] {1}));
        assertEquals(1, selector.selectNow());
        assertTrue(selector.selectedKeys().contains(second));
    }

    /** Item 4: a key cancelled while a select waits is deregistered when that select ends. */
    @Test
    void keyCancelledDuringBlockingSelectIsDeregisteredAfterWaiting() throws Exception {
        SelectionKey key = pipe.source().register(selector, SelectionKey.OP_READ);
        var select = SelectorTestSupport.background("select", () -> selector.select());
        select.awaitBlocked();
        key.cancel();
        selector.wakeup();
        assertEquals(0, select.get());
        assertFalse(pipe.source().isRegistered());
        assertTrue(selector.keys().isEmpty());
    }

    /** Item 4: a selected key that is cancelled leaves the selected set at the next select. */
    @Test
    void cancelledSelectedKeyLeavesSelectedSet() throws IOException {
        SelectionKey key = pipe.source().register(selector, SelectionKey.OP_READ);
        pipe.sink().write(ByteBuffer.wrap(new byte[] {1}));
        assertEquals(1, selector.selectNow());
        key.cancel();
        assertEquals(0, selector.selectNow());
        assertTrue(selector.selectedKeys().isEmpty());
    }

    /** Item 4: closing a registered channel cancels its key; the select deregisters it. */
    @Test
    void closingChannelCancelsKey() throws IOException {
        SelectionKey key = pipe.source().register(selector, SelectionKey.OP_READ);
        pipe.source().close();
        assertFalse(key.isValid());
        selector.selectNow();
        assertFalse(pipe.source().isRegistered());
        assertTrue(selector.keys().isEmpty());
    }

    /** Item 5: Netty registers with ops == 0 and sets interest later; nothing is selected meanwhile. */
    @Test
    void registerAcceptsZeroOps() throws IOException {
        pipe.sink().write(ByteBuffer.wrap(new byte[] {1, 2}));
        SelectionKey key = pipe.source().register(selector, 0, "att");
        assertEquals(0, key.interestOps());
        assertEquals(0, selector.selectNow());
        assertTrue(selector.selectedKeys().isEmpty());
        key.interestOps(SelectionKey.OP_READ);
        assertEquals(1, selector.selectNow(), "interest change applies at the next select");
        assertEquals(SelectionKey.OP_READ, key.readyOps());
    }

    /** Registration does not wait for a blocked select, and a ready new key ends that select. */
    @Test
    void registerWhileSelectIsBlocked() throws Exception {
        var select = SelectorTestSupport.background("select", () -> selector.select());
        select.awaitBlocked();
        pipe.sink().write(ByteBuffer.wrap(new byte[] {1}));
        SelectionKey key = pipe.source().register(selector, SelectionKey.OP_READ);
        assertEquals(1, select.get());
        assertTrue(selector.selectedKeys().contains(key));
    }

    /** Item 6: an interest change made while a select is blocked is picked up by that select. */
    @Test
    void interestChangeWhileSelectIsBlocked() throws Exception {
        pipe.sink().write(ByteBuffer.wrap(new byte[] {1}));
        SelectionKey key = pipe.source().register(selector, 0);
        var select = SelectorTestSupport.background("select", () -> selector.select());
        assertTrue(select.stillBlockedAfter(20), "ops == 0 selects nothing");
        key.interestOps(SelectionKey.OP_READ);
        assertEquals(1, select.get());
        assertEquals(SelectionKey.OP_READ, key.readyOps());
    }

    /**
     * Item 5, issue 15: a JDK channel registers with our selector (which watches it through an inner
     * JDK selector), while an Anode channel is still refused by the JDK's selector.
     */
    @Test
    void jdkChannelRegistersAndAnodeChannelIsRefusedByTheJdk() throws IOException {
        Pipe jdk = SelectorProvider.provider().openPipe();
        try (Selector jdkSelector = SelectorProvider.provider().openSelector()) {
            jdk.source().configureBlocking(false);
            SelectionKey k = jdk.source().register(selector, SelectionKey.OP_READ);
            assertTrue(jdk.source().isRegistered());
            assertEquals(0, selector.selectNow());
            jdk.sink().write(ByteBuffer.wrap(new byte[] {1}));
            assertEquals(1, selector.select(5_000));
            assertTrue(selector.selectedKeys().contains(k));
            k.cancel();
            selector.selectNow();
            assertFalse(jdk.source().isRegistered(), "deregistered from the inner selector too");
            Pipe anode = provider.openPipe();
            anode.source().configureBlocking(false);
            assertThrows(
                    IllegalSelectorException.class, () -> anode.source().register(jdkSelector, SelectionKey.OP_READ));
            anode.source().close();
            anode.sink().close();
        } finally {
            jdk.source().close();
            jdk.sink().close();
        }
    }

    /** Item 5: a channel of a third provider (neither Anode's nor the JDK's) is refused. */
    @Test
    void thirdProviderChannelIsRefused() throws IOException {
        SelectorProvider third = new SelectorProvider() {
            @Override
            public java.nio.channels.DatagramChannel openDatagramChannel() {
                throw new UnsupportedOperationException();
            }

            @Override
            public java.nio.channels.DatagramChannel openDatagramChannel(java.net.ProtocolFamily f) {
                throw new UnsupportedOperationException();
            }

            @Override
            public Pipe openPipe() {
                throw new UnsupportedOperationException();
            }

            @Override
            public java.nio.channels.spi.AbstractSelector openSelector() {
                throw new UnsupportedOperationException();
            }

            @Override
            public java.nio.channels.ServerSocketChannel openServerSocketChannel() {
                throw new UnsupportedOperationException();
            }

            @Override
            public java.nio.channels.SocketChannel openSocketChannel() {
                throw new UnsupportedOperationException();
            }
        };
        SelectorTestChannel alien = SelectorTestChannel.nonBlocking(third, SelectionKey.OP_READ);
        assertThrows(IllegalSelectorException.class, () -> alien.register(selector, SelectionKey.OP_READ));
        assertFalse(alien.isRegistered());
        alien.close();
        assertTrue(selector.keys().isEmpty() || !selector.keys().stream().anyMatch(x -> x.channel() == alien));
    }

    /** Item 5: a channel of our provider that is not an Anode channel is refused the same way. */
    @Test
    void channelWithoutReadinessIsRefused() throws IOException {
        Pipe.SourceChannel alien = new Pipe.SourceChannel(provider) {
            @Override
            public int read(ByteBuffer dst) {
                return 0;
            }

            @Override
            public long read(ByteBuffer[] dsts, int offset, int length) {
                return 0;
            }

            @Override
            public long read(ByteBuffer[] dsts) {
                return 0;
            }

            @Override
            protected void implCloseSelectableChannel() {
                // Nothing to release.
            }

            @Override
            protected void implConfigureBlocking(boolean block) {
                // Nothing to configure.
            }
        };
        alien.configureBlocking(false);
        assertThrows(IllegalSelectorException.class, () -> alien.register(selector, SelectionKey.OP_READ));
        alien.close();
    }

    /** Channels of another Anode provider (another node in the process) share one selector. */
    @Test
    void channelOfAnotherAnodeProviderRegisters() throws IOException {
        Pipe other = SelectorTestSupport.provider().openPipe();
        other.source().configureBlocking(false);
        SelectionKey key = other.source().register(selector, SelectionKey.OP_READ);
        other.sink().write(ByteBuffer.wrap(new byte[] {7}));
        assertEquals(1, selector.selectNow());
        assertSame(key, selector.selectedKeys().iterator().next());
        other.source().close();
        other.sink().close();
    }

    @Test
    void blockingChannelCannotRegister() throws IOException {
        pipe.source().configureBlocking(true);
        assertThrows(IllegalBlockingModeException.class, () -> pipe.source().register(selector, SelectionKey.OP_READ));
    }

    @Test
    void registerWithClosedSelectorThrows() throws IOException {
        selector.close();
        assertThrows(ClosedSelectorException.class, () -> pipe.source().register(selector, SelectionKey.OP_READ));
        assertFalse(pipe.source().isRegistered());
    }

    /** Item 6: interest bits are checked against validOps(), both at registration and later. */
    @Test
    void interestOpsOutsideValidOpsAreRejected() throws IOException {
        assertThrows(IllegalArgumentException.class, () -> pipe.source().register(selector, SelectionKey.OP_WRITE));
        SelectionKey key = pipe.source().register(selector, SelectionKey.OP_READ);
        assertThrows(IllegalArgumentException.class, () -> key.interestOps(SelectionKey.OP_WRITE));
        assertThrows(IllegalArgumentException.class, () -> key.interestOps(SelectionKey.OP_ACCEPT));
        assertThrows(IllegalArgumentException.class, () -> key.interestOpsOr(SelectionKey.OP_CONNECT));
        assertEquals(SelectionKey.OP_READ, key.interestOps(), "a refused change leaves the set alone");
    }

    /** Item 6: every interest and ready accessor of a cancelled key throws CancelledKeyException. */
    @Test
    void cancelledKeyThrowsCancelledKeyException() throws IOException {
        SelectionKey key = pipe.source().register(selector, SelectionKey.OP_READ);
        key.cancel();
        key.cancel();
        assertThrows(CancelledKeyException.class, key::interestOps);
        assertThrows(CancelledKeyException.class, () -> key.interestOps(0));
        assertThrows(CancelledKeyException.class, () -> key.interestOpsOr(SelectionKey.OP_READ));
        assertThrows(CancelledKeyException.class, () -> key.interestOpsAnd(0));
        assertThrows(CancelledKeyException.class, key::readyOps);
        assertThrows(CancelledKeyException.class, key::isReadable);
        assertSame(pipe.source(), key.channel());
        assertSame(selector, key.selector());
    }

    /** Item 6: interestOpsOr / interestOpsAnd return the old set and change it atomically. */
    @Test
    void interestOpsOrAndAnd() throws IOException {
        SelectorTestChannel ch =
                SelectorTestChannel.nonBlocking(provider, SelectionKey.OP_READ | SelectionKey.OP_WRITE);
        SelectionKey key = ch.register(selector, 0);
        ch.setReady(SelectionKey.OP_WRITE);
        assertEquals(0, selector.selectNow());
        assertEquals(0, key.interestOpsOr(SelectionKey.OP_WRITE));
        assertEquals(1, selector.selectNow(), "an added interest bit is checked at the next select");
        assertEquals(SelectionKey.OP_WRITE, key.interestOpsAnd(SelectionKey.OP_READ));
        assertEquals(0, key.interestOps());
        ch.close();
    }

    /** Re-registering a live key updates interest and attachment instead of adding a key. */
    @Test
    void registerAgainUpdatesExistingKey() throws IOException {
        SelectionKey key = pipe.source().register(selector, 0, "x");
        SelectionKey again = pipe.source().register(selector, SelectionKey.OP_READ, "y");
        assertSame(key, again);
        assertEquals(SelectionKey.OP_READ, key.interestOps());
        assertEquals("y", key.attachment());
        assertEquals(1, selector.keys().size());
        assertSame(key, pipe.source().keyFor(selector));
    }
}
