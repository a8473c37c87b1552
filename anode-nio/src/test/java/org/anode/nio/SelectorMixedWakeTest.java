package org.anode.nio;

import static java.nio.channels.SelectionKey.OP_READ;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.Pipe;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.spi.SelectorProvider;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Issue 15: a select blocked in the inner JDK selector (a JDK channel is registered) is ended by
 * Anode readiness, and a JDK channel's readiness ends it too; the count is exact for both kinds.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class SelectorMixedWakeTest {
    private AnodeSelectorProvider provider;
    private Selector selector;
    private Pipe jdk;
    private SelectorTestChannel anode;

    @BeforeEach
    void open() throws IOException {
        provider = SelectorTestSupport.provider();
        selector = provider.openSelector();
        jdk = SelectorProvider.provider().openPipe();
        jdk.source().configureBlocking(false);
        anode = SelectorTestChannel.nonBlocking(provider, OP_READ);
    }

    @AfterEach
    void close() throws IOException {
        selector.close();
        jdk.source().close();
        jdk.sink().close();
        anode.close();
    }

    @Test
    void anodeReadinessEndsSelectBlockedInTheJdkSelector() throws Exception {
        SelectionKey jk = jdk.source().register(selector, OP_READ);
        SelectionKey ak = anode.register(selector, OP_READ);
        var select = SelectorTestSupport.background("select", () -> selector.select());
        assertTrue(select.stillBlockedAfter(30));
        assertTrue(SelectorTestSupport.inNativeSelect(select.thread()), "blocked in the JDK selector, not parked");
        anode.setReady(OP_READ);
        assertEquals(1, select.get());
        assertTrue(selector.selectedKeys().contains(ak));
        assertTrue(!selector.selectedKeys().contains(jk));
    }

    @Test
    void jdkReadinessEndsSelectAndBothKindsCountOnce() throws Exception {
        SelectionKey jk = jdk.source().register(selector, OP_READ);
        SelectionKey ak = anode.register(selector, OP_READ);
        var select = SelectorTestSupport.background("select", () -> selector.select());
        assertTrue(select.stillBlockedAfter(30));
        jdk.sink().write(ByteBuffer.wrap(new byte[] {1}));
        assertEquals(1, select.get());
        assertTrue(selector.selectedKeys().contains(jk));
        anode.setReady(OP_READ);
        assertEquals(1, selector.selectNow(), "only the Anode key is new");
        assertEquals(2, selector.selectedKeys().size());
        assertEquals(0, selector.selectNow(), "both already selected with the same ready sets");
        selector.selectedKeys().clear();
        assertEquals(2, selector.selectNow(), "level-triggered for both kinds");
        assertTrue(selector.selectedKeys().contains(ak));
    }
}
