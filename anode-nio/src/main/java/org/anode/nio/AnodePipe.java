package org.anode.nio;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.Pipe;
import java.nio.channels.SelectionKey;
import java.nio.channels.spi.SelectorProvider;
import java.util.Objects;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * An in-memory {@link Pipe} whose two ends register with {@link AnodeSelector}. It is what
 * {@link AnodeSelectorProvider#openPipe()} returns: the JDK's pipe carries an OS descriptor that our
 * descriptor-less selector cannot wait on, and event loops (Netty's among them) use a pipe to hand
 * work between threads next to the Anode channels of draft 4.2.10 and section 5.
 *
 * <p>Semantics follow the JDK's pipe: a bounded byte buffer (64 KiB, like a Linux pipe); a blocking
 * read waits for at least one byte and returns what is there, a blocking write returns only when every
 * byte is written; non-blocking reads return 0 and writes may return 0; scatter/gather use every
 * buffer; once the sink is closed the source reads the remaining bytes, then -1; once the source is
 * closed a write throws {@code IOException("Broken pipe")}. Blocking calls are interruptible and
 * asynchronously closable exactly as {@link java.nio.channels.spi.AbstractInterruptibleChannel}
 * specifies.
 */
final class AnodePipe extends Pipe {
    /** Buffer size: the default Linux pipe capacity, so code tuned for JDK pipes behaves alike. */
    static final int DEFAULT_CAPACITY = 64 * 1024;

    private final Ring ring;
    private final Source source;
    private final Sink sink;

    AnodePipe(SelectorProvider provider) {
        this(provider, DEFAULT_CAPACITY);
    }

    /** A pipe with a given buffer size; tests use small ones to reach the full-buffer paths. */
    AnodePipe(SelectorProvider provider, int capacity) {
        if (capacity <= 0) {
            throw new IllegalArgumentException("capacity must be positive: " + capacity);
        }
        Objects.requireNonNull(provider, "provider");
        this.ring = new Ring(capacity);
        this.source = new Source(provider, ring);
        this.sink = new Sink(provider, ring);
    }

    @Override
    public SourceChannel source() {
        return source;
    }

    @Override
    public SinkChannel sink() {
        return sink;
    }

    /** Sum of remaining bytes, checking the JDK's argument rules for scatter/gather arrays. */
    private static long remaining(ByteBuffer[] bufs, int offset, int length, boolean forRead) {
        Objects.checkFromIndexSize(offset, length, bufs.length);
        long total = 0;
        for (int i = offset; i < offset + length; i++) {
            ByteBuffer b = Objects.requireNonNull(bufs[i], "buffer");
            if (forRead && b.isReadOnly()) {
                throw new IllegalArgumentException("Read-only buffer");
            }
            total += b.remaining();
        }
        return total;
    }

    /**
     * The shared buffer and both ends' state. Guarded by {@code lock}; {@code available} and the
     * closed flags are volatile copies so that readyOps() reads them without the lock.
     */
    private static final class Ring {
        final ReentrantLock lock = new ReentrantLock();
        final Condition notEmpty = lock.newCondition();
        final Condition notFull = lock.newCondition();
        final byte[] data;
        int head;
        volatile int available;
        volatile boolean sourceClosed;
        volatile boolean sinkClosed;
        final Readiness sourceReadiness = new Readiness();
        final Readiness sinkReadiness = new Readiness();

        Ring(int capacity) {
            data = new byte[capacity];
        }

        /** Moves bytes into {@code dsts}; -1 at end-of-stream, 0 if none (or if the source closed). */
        long take(ByteBuffer[] dsts, int off, int len, boolean blocking) {
            lock.lock();
            try {
                while (available == 0) {
                    if (sourceClosed) {
                        return 0;
                    }
                    if (sinkClosed) {
                        return -1;
                    }
                    if (!blocking) {
                        return 0;
                    }
                    // Uninterruptible: an interrupt closes the channel through begin()'s
                    // interruptor, whose close signals this condition.
                    notEmpty.awaitUninterruptibly();
                }
                long moved = 0;
                int count = available;
                for (int i = off; i < off + len && count > 0; i++) {
                    ByteBuffer dst = dsts[i];
                    while (dst.hasRemaining() && count > 0) {
                        int chunk = Math.min(Math.min(dst.remaining(), count), data.length - head);
                        dst.put(data, head, chunk);
                        head = (head + chunk) % data.length;
                        count -= chunk;
                        moved += chunk;
                    }
                }
                available = count;
                notFull.signalAll();
                // Space was freed: the sink may have become writable.
                sinkReadiness.signal();
                return moved;
            } finally {
                lock.unlock();
            }
        }

        /** Moves bytes from {@code srcs}; all of them when blocking. Throws once the source closed. */
        long put(ByteBuffer[] srcs, int off, int len, boolean blocking) throws IOException {
            lock.lock();
            try {
                long moved = 0;
                int i = off;
                int end = off + len;
                while (true) {
                    if (sinkClosed) {
                        return moved;
                    }
                    if (sourceClosed) {
                        if (moved > 0) {
                            return moved;
                        }
                        throw new IOException("Broken pipe");
                    }
                    int count = available;
                    long before = moved;
                    while (i < end && count < data.length) {
                        ByteBuffer src = srcs[i];
                        if (!src.hasRemaining()) {
                            i++;
                            continue;
                        }
                        int tail = (head + count) % data.length;
                        int space = Math.min(data.length - count, data.length - tail);
                        int chunk = Math.min(space, src.remaining());
                        src.get(data, tail, chunk);
                        count += chunk;
                        moved += chunk;
                    }
                    if (moved > before) {
                        available = count;
                        notEmpty.signalAll();
                        sourceReadiness.signal();
                    }
                    while (i < end && !srcs[i].hasRemaining()) {
                        i++;
                    }
                    if (i >= end || !blocking) {
                        return moved;
                    }
                    notFull.awaitUninterruptibly();
                }
            } finally {
                lock.unlock();
            }
        }

        void closeSource() {
            lock.lock();
            try {
                sourceClosed = true;
                notEmpty.signalAll();
                notFull.signalAll();
            } finally {
                lock.unlock();
            }
            // Writers now fail with "Broken pipe": the sink's OP_WRITE is ready.
            sinkReadiness.signal();
            sourceReadiness.signal();
        }

        void closeSink() {
            lock.lock();
            try {
                sinkClosed = true;
                notEmpty.signalAll();
                notFull.signalAll();
            } finally {
                lock.unlock();
            }
            // End-of-stream is pending: the source's OP_READ is ready.
            sourceReadiness.signal();
            sinkReadiness.signal();
        }
    }

    /** The reading end. */
    private static final class Source extends Pipe.SourceChannel implements AnodeSelectable {
        private final Ring ring;
        /** Serializes readers, so one read's bytes are contiguous in the stream. */
        private final ReentrantLock readLock = new ReentrantLock();

        Source(SelectorProvider provider, Ring ring) {
            super(provider);
            this.ring = ring;
        }

        @Override
        public int readyOps() {
            return ring.available > 0 || ring.sinkClosed ? SelectionKey.OP_READ : 0;
        }

        @Override
        public Readiness readiness() {
            return ring.sourceReadiness;
        }

        @Override
        public int read(ByteBuffer dst) throws IOException {
            return (int) read(new ByteBuffer[] {Objects.requireNonNull(dst, "dst")}, 0, 1);
        }

        @Override
        public long read(ByteBuffer[] dsts) throws IOException {
            return read(dsts, 0, dsts.length);
        }

        @Override
        public long read(ByteBuffer[] dsts, int offset, int length) throws IOException {
            long wanted = remaining(dsts, offset, length, true);
            readLock.lock();
            try {
                if (!isOpen()) {
                    throw new ClosedChannelException();
                }
                if (wanted == 0) {
                    return 0;
                }
                boolean blocking = isBlocking();
                long n = 0;
                try {
                    if (blocking) {
                        begin();
                    }
                    n = ring.take(dsts, offset, length, blocking);
                } finally {
                    if (blocking) {
                        end(n != 0);
                    }
                }
                if (n == 0 && !isOpen()) {
                    // Closed by another thread while this non-blocking read ran.
                    throw new ClosedChannelException();
                }
                return n;
            } finally {
                readLock.unlock();
            }
        }

        /** No descriptor to reconfigure: only wait for a read in progress to finish, as the JDK does. */
        @Override
        protected void implConfigureBlocking(boolean block) {
            readLock.lock();
            readLock.unlock();
        }

        /** Wakes blocked readers and writers (they get AsynchronousCloseException / Broken pipe). */
        @Override
        protected void implCloseSelectableChannel() {
            ring.closeSource();
        }

        @Override
        public String toString() {
            return "AnodePipe.Source[open=" + isOpen() + ", available=" + ring.available + "]";
        }
    }

    /** The writing end. */
    private static final class Sink extends Pipe.SinkChannel implements AnodeSelectable {
        private final Ring ring;
        /** Serializes writers, so one write's bytes are contiguous in the stream. */
        private final ReentrantLock writeLock = new ReentrantLock();

        Sink(SelectorProvider provider, Ring ring) {
            super(provider);
            this.ring = ring;
        }

        @Override
        public int readyOps() {
            return ring.available < ring.data.length || ring.sourceClosed ? SelectionKey.OP_WRITE : 0;
        }

        @Override
        public Readiness readiness() {
            return ring.sinkReadiness;
        }

        @Override
        public int write(ByteBuffer src) throws IOException {
            return (int) write(new ByteBuffer[] {Objects.requireNonNull(src, "src")}, 0, 1);
        }

        @Override
        public long write(ByteBuffer[] srcs) throws IOException {
            return write(srcs, 0, srcs.length);
        }

        @Override
        public long write(ByteBuffer[] srcs, int offset, int length) throws IOException {
            long wanted = remaining(srcs, offset, length, false);
            writeLock.lock();
            try {
                if (!isOpen()) {
                    throw new ClosedChannelException();
                }
                if (wanted == 0) {
                    return 0;
                }
                boolean blocking = isBlocking();
                long n = 0;
                try {
                    if (blocking) {
                        begin();
                    }
                    n = ring.put(srcs, offset, length, blocking);
                } finally {
                    if (blocking) {
                        end(n > 0);
                    }
                }
                if (n == 0 && !isOpen()) {
                    throw new ClosedChannelException();
                }
                return n;
            } finally {
                writeLock.unlock();
            }
        }

        /** No descriptor to reconfigure: only wait for a write in progress to finish, as the JDK does. */
        @Override
        protected void implConfigureBlocking(boolean block) {
            writeLock.lock();
            writeLock.unlock();
        }

        /** Wakes blocked writers and readers (readers see end-of-stream after the buffered bytes). */
        @Override
        protected void implCloseSelectableChannel() {
            ring.closeSink();
        }

        @Override
        public String toString() {
            return "AnodePipe.Sink[open=" + isOpen() + ", available=" + ring.available + "]";
        }
    }
}
