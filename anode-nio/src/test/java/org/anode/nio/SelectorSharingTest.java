package org.anode.nio;

import static java.nio.channels.SelectionKey.OP_READ;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.Pipe;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Checklist item 7: one channel registered with several selectors at once. */
@Timeout(value = 30, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class SelectorSharingTest {
    private final AnodeSelectorProvider provider = SelectorTestSupport.provider();

    /** Readiness reaches blocked selects in both selectors. */
    @Test
    void readinessReachesEverySelector() throws Exception {
        Pipe p = provider.openPipe();
        p.source().configureBlocking(false);
        try (Selector a = provider.openSelector();
                Selector b = provider.openSelector()) {
            SelectionKey ka = p.source().register(a, OP_READ, "a");
            SelectionKey kb = p.source().register(b, OP_READ, "b");
            assertNotSame(ka, kb);
            assertEquals(2, ((AnodeSelectable) p.source()).readiness().attachedCount());
            var sa = SelectorTestSupport.background("a", () -> a.select());
            var sb = SelectorTestSupport.background("b", () -> b.select());
            sa.awaitBlocked();
            sb.awaitBlocked();
            p.sink().write(ByteBuffer.wrap(new byte[] {1}));
            assertEquals(1, sa.get());
            assertEquals(1, sb.get());
            assertSame(ka, a.selectedKeys().iterator().next());
            assertSame(kb, b.selectedKeys().iterator().next());
        } finally {
            p.source().close();
            p.sink().close();
        }
    }

    /**
     * Netty 4.2's selector rebuild: register with the new selector, then cancel the old key. The new
     * selector keeps getting readiness, and the old one lets go of the channel.
     */
    @Test
    @SuppressWarnings("try")
    void rebuildRegistersNewThenCancelsOld() throws Exception {
        Pipe p = provider.openPipe();
        p.source().configureBlocking(false);
        try (Selector old = provider.openSelector();
                Selector fresh = provider.openSelector()) {
            SelectionKey oldKey = p.source().register(old, OP_READ, "att");
            SelectionKey newKey = p.source().register(fresh, oldKey.interestOps(), oldKey.attachment());
            oldKey.cancel();
            old.selectNow();
            assertEquals(1, ((AnodeSelectable) p.source()).readiness().attachedCount());
            assertTrue(p.source().isRegistered());
            var select = SelectorTestSupport.background("fresh", () -> fresh.select());
            select.awaitBlocked();
            p.sink().write(ByteBuffer.wrap(new byte[] {1}));
            assertEquals(1, select.get());
            assertTrue(fresh.selectedKeys().contains(newKey));
            assertEquals(0, old.selectNow());
            fresh.close();
            assertFalse(p.source().isRegistered());
        } finally {
            p.source().close();
            p.sink().close();
        }
    }

    /** Closing one selector leaves the channel's key in the other working. */
    @Test
    @SuppressWarnings("try")
    void closingOneSelectorLeavesTheOther() throws IOException {
        Pipe p = provider.openPipe();
        p.source().configureBlocking(false);
        try (Selector a = provider.openSelector();
                Selector b = provider.openSelector()) {
            p.source().register(a, OP_READ);
            SelectionKey kb = p.source().register(b, OP_READ);
            a.close();
            assertTrue(p.source().isRegistered());
            assertTrue(kb.isValid());
            p.sink().write(ByteBuffer.wrap(new byte[] {1}));
            assertEquals(1, b.selectNow());
        } finally {
            p.source().close();
            p.sink().close();
        }
    }
}
