package org.anode.transport;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.SelectionKey;
import java.nio.channels.SocketChannel;
import org.anode.engine.EventLoop;
import org.anode.wire.FrameDecoder;
import org.anode.wire.WireException;

/**
 * One TCP connection carrying length-prefixed Anode packets (draft 2.9.2, DECISIONS 14), both
 * ways, on the node's event loop. Used by the relay side ({@link TcpTransport}) and the client side
 * ({@link RelayLink}). Reading happens on the loop thread; {@link #send} may be called from any
 * thread: it frames the packet into a bounded output buffer and writes what the socket takes,
 * leaving the rest to the loop (OP_WRITE). A bad length prefix closes the connection (the stream
 * cannot be resynchronised).
 */
final class FramedConnection {
    private static final System.Logger LOG = System.getLogger(FramedConnection.class.getName());
    /** Reads per readiness event before other keys get a turn. */
    private static final int READS_PER_EVENT = 8;

    /** What the connection reports to its owner (loop thread). */
    interface Listener {
        void frame(FramedConnection c, ByteBuffer packet);

        /** After a batch of frames from one readiness event. */
        void endOfBatch(FramedConnection c);

        void closed(FramedConnection c, String reason);
    }

    final SocketChannel channel;
    final InetSocketAddress remote;
    private final EventLoop loop;
    private final FrameDecoder decoder;
    private final ByteBuffer in;
    private final ByteBuffer out;
    private final Listener listener;
    private volatile SelectionKey key;
    private volatile boolean closed;
    private boolean writeArmed;
    /** Loop thread: when the last complete frame arrived, and when the current partial one began. */
    long lastFrameNanos;

    long partialSinceNanos = Long.MIN_VALUE;
    long frames;

    FramedConnection(
            EventLoop loop,
            SocketChannel channel,
            InetSocketAddress remote,
            int maxFrame,
            int outCapacity,
            ByteBuffer sharedIn,
            Listener listener) {
        this.loop = loop;
        this.channel = channel;
        this.remote = remote;
        this.decoder = new FrameDecoder(maxFrame);
        this.in = sharedIn;
        this.out = ByteBuffer.allocate(outCapacity);
        this.listener = listener;
        this.lastFrameNanos = loop.nanoTime();
    }

    /** Registers for reading; loop thread only. */
    void register() throws IOException {
        key = loop.register(channel, SelectionKey.OP_READ, this::ready);
    }

    boolean isClosed() {
        return closed;
    }

    private void ready(SelectionKey k) {
        if (!k.isValid()) {
            return;
        }
        if (k.isWritable()) {
            flushFromLoop();
        }
        if (k.isValid() && k.isReadable()) {
            read();
        }
    }

    private void read() {
        try {
            for (int r = 0; r < READS_PER_EVENT && !closed; r++) {
                in.clear();
                int n = channel.read(in);
                if (n < 0) {
                    close("closed by the peer");
                    return;
                }
                if (n == 0) {
                    return;
                }
                in.flip();
                ByteBuffer p;
                while ((p = decoder.next(in)) != null) {
                    frames++;
                    lastFrameNanos = loop.nanoTime();
                    listener.frame(this, p);
                    if (closed) {
                        return;
                    }
                }
                if (decoder.atFrameBoundary()) {
                    partialSinceNanos = Long.MIN_VALUE;
                } else if (partialSinceNanos == Long.MIN_VALUE) {
                    partialSinceNanos = loop.nanoTime();
                }
            }
        } catch (WireException e) {
            close("bad frame: " + e.getMessage());
        } catch (IOException e) {
            close(e.toString());
        } finally {
            listener.endOfBatch(this);
        }
    }

    /**
     * Frames and sends one packet (its position advances on success). Thread-safe, never blocks.
     *
     * @return false if the output buffer has no room for it now
     */
    boolean send(ByteBuffer packet) throws IOException {
        if (closed) {
            throw new ClosedChannelException();
        }
        int need = 2 + packet.remaining();
        boolean arm = false;
        synchronized (out) {
            if (out.remaining() < need) {
                flushLocked();
                if (out.remaining() < need) {
                    return false;
                }
            }
            FrameDecoder.writeFrame(out, packet);
            if (!writeArmed) {
                flushLocked();
                if (out.position() > 0) {
                    writeArmed = true;
                    arm = true;
                }
            }
        }
        if (arm) {
            loop.execute(this::armWrite);
        }
        return true;
    }

    /** Bytes waiting to be written. */
    int queued() {
        synchronized (out) {
            return out.position();
        }
    }

    private void flushLocked() throws IOException {
        out.flip();
        try {
            channel.write(out);
        } finally {
            out.compact();
        }
    }

    private void armWrite() {
        SelectionKey k = key;
        if (k != null && k.isValid()) {
            k.interestOps(k.interestOps() | SelectionKey.OP_WRITE);
        }
    }

    private void flushFromLoop() {
        try {
            synchronized (out) {
                flushLocked();
                if (out.position() == 0) {
                    writeArmed = false;
                    key.interestOps(key.interestOps() & ~SelectionKey.OP_WRITE);
                }
            }
        } catch (IOException e) {
            close(e.toString());
        }
    }

    /** Closes the socket and tells the listener once. Any thread. */
    void close(String reason) {
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
        }
        SelectionKey k = key;
        if (k != null) {
            k.cancel();
        }
        try {
            channel.close();
        } catch (IOException e) {
            LOG.log(System.Logger.Level.DEBUG, "closing " + remote, e);
        }
        LOG.log(System.Logger.Level.DEBUG, "TCP connection {0} closed: {1}", remote, reason);
        if (loop.inLoop()) {
            listener.closed(this, reason);
        } else {
            loop.execute(() -> listener.closed(this, reason));
        }
    }
}
