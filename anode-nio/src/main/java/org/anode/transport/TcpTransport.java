package org.anode.transport;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import org.anode.engine.EventLoop;
import org.anode.engine.PacketReceiver;
import org.anode.engine.Transport;

/**
 * The listening side of the TCP transport (draft 2.9.2, DECISIONS 14, 38): a zone relay (or any
 * node configured to) accepts TCP connections on the port its zr entry names; each connection
 * carries length-prefixed packets both ways. A packet received on a connection reaches the engine
 * with the connection's remote address as its source and this transport as its way back, so the
 * relay registers a client behind TCP like any other (DECISIONS 33) and {@link #send} to that
 * address writes down that connection.
 *
 * <p>Bounded ({@link CarrierLimits}): connections in all and per source IP, frame length (a longer
 * prefix, or garbage that reads as one, closes the connection), bytes queued per connection (a
 * client that does not read loses packets, never grows the relay), time to complete a frame once
 * begun and idle time without one.
 */
public final class TcpTransport implements Transport {
    private static final System.Logger LOG = System.getLogger(TcpTransport.class.getName());
    private static final long SWEEP_NANOS = 1_000_000_000L;

    private final EventLoop loop;
    private final ServerSocketChannel server;
    private final InetSocketAddress local;
    private final CarrierLimits limits;
    private final PacketReceiver receiver;
    private final String name;
    private final Map<InetSocketAddress, FramedConnection> connections = new ConcurrentHashMap<>();
    /** Loop thread only. */
    private final Map<InetAddress, Integer> perSource = new HashMap<>();

    private final ByteBuffer sharedIn = ByteBuffer.allocate(16384);
    private final AtomicLong refused = new AtomicLong();
    private final AtomicLong badFrames = new AtomicLong();
    private final AtomicLong timedOut = new AtomicLong();
    private final AtomicLong dropped = new AtomicLong();
    private volatile SelectionKey key;
    private volatile boolean open = true;
    private EventLoop.Timer sweep;

    private final FramedConnection.Listener listener = new FramedConnection.Listener() {
        @Override
        public void frame(FramedConnection c, ByteBuffer packet) {
            receiver.receive(TcpTransport.this, c.remote, packet);
        }

        @Override
        public void endOfBatch(FramedConnection c) {
            receiver.endOfBatch();
        }

        @Override
        public void closed(FramedConnection c, String reason) {
            if (connections.remove(c.remote, c)) {
                perSource.computeIfPresent(c.remote.getAddress(), (a, n) -> n <= 1 ? null : n - 1);
            }
            if (reason.startsWith("bad frame")) {
                badFrames.incrementAndGet();
            }
        }
    };

    private TcpTransport(EventLoop loop, ServerSocketChannel server, CarrierLimits limits, PacketReceiver receiver)
            throws IOException {
        this.loop = loop;
        this.server = server;
        this.local = (InetSocketAddress) server.getLocalAddress();
        this.limits = limits;
        this.receiver = receiver;
        this.name = "tcp/" + local.getAddress().getHostAddress() + ":" + local.getPort();
    }

    /** Listens on {@code bind} and serves connections on {@code loop} (which must be running). */
    public static TcpTransport listen(
            EventLoop loop, InetSocketAddress bind, CarrierLimits limits, PacketReceiver receiver) throws IOException {
        ServerSocketChannel ss = ServerSocketChannel.open();
        try {
            ss.setOption(StandardSocketOptions.SO_REUSEADDR, true);
            ss.bind(bind, 256);
            ss.configureBlocking(false);
            TcpTransport t = new TcpTransport(loop, ss, limits, receiver);
            loop.submit(() -> {
                        t.key = loop.register(ss, SelectionKey.OP_ACCEPT, k -> t.accept());
                        t.sweep = loop.schedule(SWEEP_NANOS, t::sweep);
                        return null;
                    })
                    .get(10, TimeUnit.SECONDS);
            LOG.log(System.Logger.Level.DEBUG, "listening on {0}", t.name);
            return t;
        } catch (ExecutionException e) {
            ss.close();
            throw new IOException("cannot register the TCP listener", e.getCause());
        } catch (TimeoutException e) {
            ss.close();
            throw new IOException("event loop did not register the TCP listener", e);
        } catch (InterruptedException e) {
            ss.close();
            Thread.currentThread().interrupt();
            throw new java.io.InterruptedIOException("interrupted while registering the TCP listener");
        } catch (IOException | RuntimeException e) {
            ss.close();
            throw e;
        }
    }

    private void accept() {
        for (int i = 0; i < 64 && open; i++) {
            SocketChannel ch;
            try {
                ch = server.accept();
            } catch (IOException e) {
                LOG.log(System.Logger.Level.DEBUG, "accept on {0}: {1}", name, e.toString());
                return;
            }
            if (ch == null) {
                return;
            }
            try {
                InetSocketAddress remote = (InetSocketAddress) ch.getRemoteAddress();
                int fromSource = perSource.getOrDefault(remote.getAddress(), 0);
                if (connections.size() >= limits.maxConnections() || fromSource >= limits.maxConnectionsPerSource()) {
                    refused.incrementAndGet();
                    ch.close();
                    continue;
                }
                ch.configureBlocking(false);
                ch.setOption(StandardSocketOptions.TCP_NODELAY, true);
                FramedConnection c = new FramedConnection(
                        loop, ch, remote, limits.maxFrameLength(), limits.maxQueuedBytes(), sharedIn, listener);
                FramedConnection old = connections.put(remote, c);
                if (old != null) {
                    old.close("replaced");
                }
                perSource.merge(remote.getAddress(), 1, Integer::sum);
                c.register();
            } catch (IOException e) {
                try {
                    ch.close();
                } catch (IOException ignored) {
                    // already failing
                }
            }
        }
    }

    /** Closes connections that stalled in a frame or went idle. */
    private void sweep() {
        sweep = null;
        if (!open) {
            return;
        }
        long now = loop.nanoTime();
        long idle = limits.idleTimeout().toNanos();
        long request = limits.requestTimeout().toNanos();
        for (FramedConnection c : connections.values()) {
            if (c.partialSinceNanos != Long.MIN_VALUE && now - c.partialSinceNanos > request) {
                timedOut.incrementAndGet();
                c.close("frame not completed within " + limits.requestTimeout());
            } else if (now - c.lastFrameNanos > idle) {
                timedOut.incrementAndGet();
                c.close("idle for " + limits.idleTimeout());
            }
        }
        sweep = loop.schedule(SWEEP_NANOS, this::sweep);
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public InetSocketAddress localAddress() {
        return local;
    }

    /** True for the remote address of a connection open now (a client this relay can send to). */
    @Override
    public boolean canReach(InetSocketAddress destination) {
        return destination != null && connections.containsKey(destination);
    }

    @Override
    public int maxPacketSize(InetSocketAddress destination) {
        return limits.maxFrameLength();
    }

    /**
     * Writes the packet down the connection whose remote address is {@code destination}.
     *
     * @return false if there is no such connection (any more) or its queue is full: the packet is
     *     dropped, as a UDP datagram would be
     */
    @Override
    public boolean send(ByteBuffer packet, InetSocketAddress destination) throws IOException {
        if (!open) {
            throw new java.nio.channels.ClosedChannelException();
        }
        FramedConnection c = connections.get(destination);
        if (c == null || c.isClosed()) {
            dropped.incrementAndGet();
            return false;
        }
        try {
            if (c.send(packet)) {
                return true;
            }
        } catch (IOException e) {
            c.close(e.toString());
        }
        dropped.incrementAndGet();
        return false;
    }

    /** Connections open now. */
    public int connectionCount() {
        return connections.size();
    }

    /**
     * Counters: connections refused by the bounds, closed for a bad frame, closed by a timeout,
     * packets not sent (no connection or queue full).
     */
    public long[] counters() {
        return new long[] {refused.get(), badFrames.get(), timedOut.get(), dropped.get()};
    }

    @Override
    public boolean isOpen() {
        return open;
    }

    @Override
    public void close() {
        if (!open) {
            return;
        }
        open = false;
        SelectionKey k = key;
        if (k != null) {
            k.cancel();
        }
        try {
            server.close();
        } catch (IOException e) {
            LOG.log(System.Logger.Level.DEBUG, "closing " + name, e);
        }
        for (FramedConnection c : connections.values()) {
            c.close("transport closed");
        }
        EventLoop.Timer s = sweep;
        if (s != null) {
            s.cancel();
        }
    }

    @Override
    public String toString() {
        return name;
    }
}
