package org.anode.nio;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.AsynchronousCloseException;
import java.nio.channels.ClosedByInterruptException;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.Pipe;
import java.nio.channels.SelectionKey;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The in-memory pipe: JDK pipe semantics in blocking and non-blocking mode. */
@Timeout(value = 30, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class PipeTest {
    private AnodeSelectorProvider provider;
    private Pipe pipe;

    @BeforeEach
    void open() throws IOException {
        provider = SelectorTestSupport.provider();
        pipe = provider.openPipe();
    }

    @AfterEach
    void close() throws IOException {
        pipe.source().close();
        pipe.sink().close();
    }

    private static byte[] pattern(int n, int seed) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) {
            b[i] = (byte) (i * 31 + seed);
        }
        return b;
    }

    @Test
    void pipeBelongsToProviderAndIsSelectable() {
        assertSame(provider, pipe.source().provider());
        assertSame(provider, pipe.sink().provider());
        assertInstanceOf(AnodeSelectable.class, pipe.source());
        assertInstanceOf(AnodeSelectable.class, pipe.sink());
        assertEquals(SelectionKey.OP_READ, pipe.source().validOps());
        assertEquals(SelectionKey.OP_WRITE, pipe.sink().validOps());
        assertTrue(pipe.source().isBlocking());
    }

    @Test
    void blockingRoundTrip() throws IOException {
        byte[] data = pattern(1000, 1);
        assertEquals(1000, pipe.sink().write(ByteBuffer.wrap(data)));
        ByteBuffer in = ByteBuffer.allocate(2000);
        assertEquals(1000, pipe.source().read(in), "a blocking read returns what is there");
        assertArrayEquals(data, Arrays.copyOf(in.array(), 1000));
    }

    /** A blocking read waits for data. */
    @Test
    void blockingReadWaitsForData() throws Exception {
        var reader =
                SelectorTestSupport.background("reader", () -> pipe.source().read(ByteBuffer.allocate(10)));
        assertTrue(reader.stillBlockedAfter(20));
        pipe.sink().write(ByteBuffer.wrap(new byte[] {1, 2, 3}));
        assertEquals(3, reader.get());
    }

    /** A blocking write larger than the buffer completes once a reader drains it, all bytes in order. */
    @Test
    void blockingWriteWritesEverything() throws Exception {
        int size = AnodePipe.DEFAULT_CAPACITY * 5 + 123;
        byte[] data = pattern(size, 7);
        var writer = SelectorTestSupport.background("writer", () -> pipe.sink().write(ByteBuffer.wrap(data)));
        writer.awaitBlocked();
        assertFalse(writer.isDone(), "the buffer is full, so the writer waits");
        ByteBuffer in = ByteBuffer.allocate(size);
        while (in.hasRemaining()) {
            assertTrue(pipe.source().read(in) > 0);
        }
        assertEquals(size, writer.get());
        assertArrayEquals(data, in.array());
    }

    @Test
    void nonBlockingReadAndWrite() throws IOException {
        Pipe small = new AnodePipe(provider, 10);
        try {
            small.source().configureBlocking(false);
            small.sink().configureBlocking(false);
            assertEquals(0, small.source().read(ByteBuffer.allocate(4)), "nothing there: 0, not -1");
            assertEquals(10, small.sink().write(ByteBuffer.wrap(pattern(25, 0))), "partial write");
            assertEquals(0, small.sink().write(ByteBuffer.wrap(pattern(5, 0))), "full: 0");
            ByteBuffer in = ByteBuffer.allocate(4);
            assertEquals(4, small.source().read(in));
            assertEquals(4, small.sink().write(ByteBuffer.wrap(pattern(9, 3))));
            ByteBuffer rest = ByteBuffer.allocate(20);
            assertEquals(10, small.source().read(rest));
            byte[] expect = new byte[10];
            System.arraycopy(pattern(25, 0), 4, expect, 0, 6);
            System.arraycopy(pattern(9, 3), 0, expect, 6, 4);
            assertArrayEquals(expect, Arrays.copyOf(rest.array(), 10));
        } finally {
            small.source().close();
            small.sink().close();
        }
    }

    /** Checklist 19: gathering writes and scattering reads use every buffer, across wrap-around. */
    @Test
    void scatterGatherUseEveryBuffer() throws IOException {
        Pipe small = new AnodePipe(provider, 16);
        try {
            small.source().configureBlocking(false);
            small.sink().configureBlocking(false);
            byte[] all = pattern(40, 5);
            ByteBuffer[] srcs = {
                ByteBuffer.wrap(all, 0, 3),
                ByteBuffer.allocate(0),
                ByteBuffer.wrap(all, 3, 7),
                ByteBuffer.allocateDirect(30).put(all, 10, 30).flip(),
            };
            assertEquals(16, small.sink().write(srcs), "fills the pipe from all four buffers");
            assertEquals(0, srcs[0].remaining());
            assertEquals(0, srcs[2].remaining());
            assertEquals(24, srcs[3].remaining());

            ByteBuffer[] dsts = {
                ByteBuffer.allocate(1),
                ByteBuffer.allocateDirect(2),
                ByteBuffer.allocate(0),
                ByteBuffer.allocate(5),
                ByteBuffer.allocate(20)
            };
            assertEquals(16, small.source().read(dsts), "spreads over every buffer");
            assertEquals(0, dsts[0].remaining());
            assertEquals(0, dsts[1].remaining());
            assertEquals(0, dsts[3].remaining());
            assertEquals(8, dsts[4].position());

            ByteBuffer out = ByteBuffer.allocate(40);
            for (ByteBuffer d : dsts) {
                out.put(d.flip());
            }
            // The rest goes through the ring's wrap-around in uneven pieces, offsets honoured.
            int guard = 0;
            while (out.hasRemaining() && guard++ < 100) {
                small.sink().write(srcs, 3, 1);
                ByteBuffer[] parts = {ByteBuffer.allocate(7), ByteBuffer.allocate(3), ByteBuffer.allocate(9)};
                long n = small.source().read(parts, 1, 1);
                assertEquals(0, parts[0].position(), "offset honoured");
                assertEquals(0, parts[2].position(), "length honoured");
                assertTrue(n > 0);
                out.put(parts[1].flip());
            }
            assertArrayEquals(all, out.array());
        } finally {
            small.source().close();
            small.sink().close();
        }
    }

    @Test
    void scatterGatherArgumentChecks() {
        ByteBuffer[] bufs = {ByteBuffer.allocate(4), ByteBuffer.allocate(4)};
        assertThrows(IndexOutOfBoundsException.class, () -> pipe.source().read(bufs, 1, 2));
        assertThrows(IndexOutOfBoundsException.class, () -> pipe.sink().write(bufs, -1, 1));
        assertThrows(
                IllegalArgumentException.class,
                () -> pipe.source().read(ByteBuffer.allocate(4).asReadOnlyBuffer()));
        assertThrows(NullPointerException.class, () -> pipe.source().read((ByteBuffer) null));
    }

    @Test
    void emptyBuffersReturnZeroWithoutBlocking() throws IOException {
        assertEquals(0, pipe.source().read(ByteBuffer.allocate(0)));
        assertEquals(0, pipe.sink().write(ByteBuffer.allocate(0)));
        assertEquals(0, pipe.source().read(new ByteBuffer[0]));
    }

    /** Closing the sink: the reader gets the buffered bytes first, then -1, forever. */
    @Test
    void endOfStreamAfterBufferedData() throws IOException {
        pipe.sink().write(ByteBuffer.wrap(new byte[] {1, 2, 3}));
        pipe.sink().close();
        ByteBuffer in = ByteBuffer.allocate(2);
        assertEquals(2, pipe.source().read(in));
        in.clear();
        assertEquals(1, pipe.source().read(in));
        assertEquals(-1, pipe.source().read(in));
        assertEquals(-1, pipe.source().read(in));
        pipe.source().configureBlocking(false);
        assertEquals(-1, pipe.source().read(in));
    }

    /** A blocked reader sees end-of-stream when the sink is closed. */
    @Test
    void blockedReaderSeesEndOfStream() throws Exception {
        var reader =
                SelectorTestSupport.background("reader", () -> pipe.source().read(ByteBuffer.allocate(4)));
        reader.awaitBlocked();
        pipe.sink().close();
        assertEquals(-1, reader.get());
    }

    /** Closing the source: writes fail with "Broken pipe", including a blocked writer. */
    @Test
    void brokenPipe() throws Exception {
        pipe.sink().write(ByteBuffer.allocate(AnodePipe.DEFAULT_CAPACITY));
        var writer = SelectorTestSupport.background("writer", () -> pipe.sink().write(ByteBuffer.allocate(10)));
        writer.awaitBlocked();
        pipe.source().close();
        IOException e = assertThrows(IOException.class, writer::get);
        assertEquals("Broken pipe", e.getMessage());
        assertThrows(IOException.class, () -> pipe.sink().write(ByteBuffer.allocate(1)));
        assertTrue(pipe.sink().isOpen());
    }

    @Test
    void closedChannelThrowsClosedChannelException() throws IOException {
        pipe.source().close();
        pipe.sink().close();
        assertThrows(ClosedChannelException.class, () -> pipe.source().read(ByteBuffer.allocate(1)));
        assertThrows(ClosedChannelException.class, () -> pipe.sink().write(ByteBuffer.allocate(1)));
    }

    /** Another thread closing the source ends a blocked read with AsynchronousCloseException. */
    @Test
    void asynchronousCloseOfBlockedReader() throws Exception {
        var reader =
                SelectorTestSupport.background("reader", () -> pipe.source().read(ByteBuffer.allocate(4)));
        reader.awaitBlocked();
        pipe.source().close();
        Exception e = assertThrows(Exception.class, reader::get);
        assertInstanceOf(AsynchronousCloseException.class, e);
        assertFalse(e instanceof ClosedByInterruptException);
    }

    @Test
    void asynchronousCloseOfBlockedWriter() throws Exception {
        pipe.sink().write(ByteBuffer.allocate(AnodePipe.DEFAULT_CAPACITY));
        var writer = SelectorTestSupport.background("writer", () -> pipe.sink().write(ByteBuffer.allocate(4)));
        writer.awaitBlocked();
        pipe.sink().close();
        Exception e = assertThrows(Exception.class, writer::get);
        assertInstanceOf(AsynchronousCloseException.class, e);
    }

    /** Interrupting a blocked reader closes the channel and throws ClosedByInterruptException. */
    @Test
    void interruptOfBlockedReader() throws Exception {
        var reader = SelectorTestSupport.background("reader", () -> {
            try {
                pipe.source().read(ByteBuffer.allocate(4));
                return "read returned";
            } catch (ClosedByInterruptException e) {
                return Thread.currentThread().isInterrupted() ? "ok" : "flag cleared";
            }
        });
        reader.awaitBlocked();
        reader.thread().interrupt();
        assertEquals("ok", reader.get());
        assertFalse(pipe.source().isOpen(), "an interrupt closes the channel");
        assertEquals(
                SelectionKey.OP_WRITE,
                ((AnodeSelectable) pipe.sink()).readyOps(),
                "a writer now sees the broken pipe as writable");
    }

    @Test
    void interruptOfBlockedWriter() throws Exception {
        pipe.sink().write(ByteBuffer.allocate(AnodePipe.DEFAULT_CAPACITY));
        var writer = SelectorTestSupport.background("writer", () -> {
            try {
                pipe.sink().write(ByteBuffer.allocate(4));
                return "write returned";
            } catch (ClosedByInterruptException e) {
                return "ok";
            }
        });
        writer.awaitBlocked();
        writer.thread().interrupt();
        assertEquals("ok", writer.get());
        assertFalse(pipe.sink().isOpen());
    }

    /** A thread interrupted before a blocking read closes the channel without waiting. */
    @Test
    void alreadyInterruptedReaderDoesNotBlock() throws Exception {
        var reader = SelectorTestSupport.background("reader", () -> {
            Thread.currentThread().interrupt();
            try {
                pipe.source().read(ByteBuffer.allocate(4));
                return "read returned";
            } catch (ClosedByInterruptException e) {
                return "ok";
            }
        });
        assertEquals("ok", reader.get());
        assertFalse(pipe.source().isOpen());
    }

    /** Non-blocking operations ignore interrupts, as the JDK's do. */
    @Test
    void nonBlockingReadIgnoresInterrupt() throws Exception {
        pipe.source().configureBlocking(false);
        var reader = SelectorTestSupport.background("reader", () -> {
            Thread.currentThread().interrupt();
            return pipe.source().read(ByteBuffer.allocate(4));
        });
        assertEquals(0, reader.get());
        assertTrue(pipe.source().isOpen());
    }

    /** Readiness as the selector sees it. */
    @Test
    void readyOpsFollowBufferState() throws IOException {
        AnodeSelectable source = (AnodeSelectable) pipe.source();
        AnodeSelectable sink = (AnodeSelectable) pipe.sink();
        assertEquals(0, source.readyOps());
        assertEquals(SelectionKey.OP_WRITE, sink.readyOps());
        pipe.sink().write(ByteBuffer.allocate(AnodePipe.DEFAULT_CAPACITY));
        assertEquals(SelectionKey.OP_READ, source.readyOps());
        assertEquals(0, sink.readyOps());
        pipe.source().read(ByteBuffer.allocate(1));
        assertEquals(SelectionKey.OP_WRITE, sink.readyOps());
    }

    @Test
    void invalidCapacityIsRefused() {
        assertThrows(IllegalArgumentException.class, () -> new AnodePipe(provider, 0));
    }
}
