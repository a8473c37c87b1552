package org.anode.nio;

import static java.nio.channels.SelectionKey.OP_CONNECT;
import static java.nio.channels.SelectionKey.OP_READ;
import static java.nio.channels.SelectionKey.OP_WRITE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.Pipe;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Checklist items 11 and 12: a peer's hang-up is OP_READ on a still-valid key, with earlier data read
 * first; a connect-style readiness is reported only when the channel says it is there.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class SelectorHangupTest {
    private final AnodeSelectorProvider provider = SelectorTestSupport.provider();

    /**
     * Item 11, the junixsocket failure mode: a writer that writes 5 bytes and closes at once. A
     * Netty-style loop (read while the key is valid, until -1) gets all 5 bytes, every time.
     */
    @Test
    void writeFiveBytesThenCloseLosesNothing() throws Exception {
        for (int trial = 0; trial < 50; trial++) {
            Pipe p = provider.openPipe();
            p.source().configureBlocking(false);
            try (Selector sel = provider.openSelector()) {
                SelectionKey key = p.source().register(sel, OP_READ);
                var writer = SelectorTestSupport.background("writer", () -> {
                    p.sink().write(ByteBuffer.wrap(new byte[] {1, 2, 3, 4, 5}));
                    p.sink().close();
                    return null;
                });
                ByteBuffer got = ByteBuffer.allocate(16);
                boolean eof = false;
                for (int round = 0; round < 100 && !eof; round++) {
                    sel.select(SelectorTestSupport.STEP_SECONDS * 1000);
                    for (SelectionKey k : sel.selectedKeys()) {
                        assertTrue(k.isValid(), "hang-up must not invalidate the key");
                        assertTrue(k.isReadable());
                        int n;
                        while ((n = p.source().read(got)) > 0) {
                            // Keep reading what is there, as a framework does per event.
                        }
                        eof = n < 0;
                    }
                    sel.selectedKeys().clear();
                }
                writer.get();
                assertTrue(eof, "end-of-stream was reported");
                assertTrue(key.isValid());
                assertEquals(5, got.position(), "trial " + trial);
            } finally {
                p.source().close();
            }
        }
    }

    /** Item 11: end-of-stream stays readable (level-triggered) until the channel is closed. */
    @Test
    void endOfStreamStaysSelected() throws IOException {
        Pipe p = provider.openPipe();
        p.source().configureBlocking(false);
        try (Selector sel = provider.openSelector()) {
            SelectionKey key = p.source().register(sel, OP_READ);
            p.sink().write(ByteBuffer.wrap(new byte[] {42}));
            p.sink().close();
            for (int i = 0; i < 3; i++) {
                assertEquals(1, sel.selectNow());
                assertTrue(key.isReadable());
                sel.selectedKeys().clear();
            }
            ByteBuffer b = ByteBuffer.allocate(4);
            assertEquals(1, p.source().read(b));
            assertEquals(-1, p.source().read(b));
            assertEquals(1, sel.selectNow(), "end-of-stream is still ready");
            sel.selectedKeys().clear();
            p.source().close();
            assertEquals(0, sel.selectNow());
        }
    }

    /** Item 11, write side: a closed reader makes the writer's OP_WRITE ready and the write throw. */
    @Test
    void brokenPipeIsWritableAndThrows() throws IOException {
        Pipe p = provider.openPipe();
        p.sink().configureBlocking(false);
        try (Selector sel = provider.openSelector()) {
            SelectionKey key = p.sink().register(sel, OP_WRITE);
            p.sink().write(ByteBuffer.allocate(AnodePipe.DEFAULT_CAPACITY));
            assertEquals(0, sel.selectNow(), "full pipe is not writable");
            p.source().close();
            assertEquals(1, sel.selectNow());
            assertTrue(key.isWritable());
            IOException e = assertThrows(IOException.class, () -> p.sink().write(ByteBuffer.allocate(1)));
            assertEquals("Broken pipe", e.getMessage());
        } finally {
            p.sink().close();
        }
    }

    /**
     * Item 12: the selector invents no readiness. OP_CONNECT appears only once the channel reports it
     * (i.e. when its finishConnect() would complete), and a selected ready set is always within the
     * channel's readiness and the key's interest.
     */
    @Test
    void connectReadinessOnlyWhenChannelReportsIt() throws IOException {
        SelectorTestChannel ch = SelectorTestChannel.nonBlocking(provider, OP_CONNECT | OP_READ | OP_WRITE);
        try (Selector sel = provider.openSelector()) {
            SelectionKey key = ch.register(sel, OP_CONNECT);
            ch.setReady(OP_WRITE);
            assertEquals(0, sel.selectNow(), "writable but not connected: nothing for OP_CONNECT");
            ch.setReady(OP_CONNECT | OP_WRITE);
            assertEquals(1, sel.selectNow());
            assertEquals(OP_CONNECT, key.readyOps());
            sel.selectedKeys().clear();
            key.interestOps(OP_READ);
            assertEquals(0, sel.selectNow());
        } finally {
            ch.close();
        }
    }
}
