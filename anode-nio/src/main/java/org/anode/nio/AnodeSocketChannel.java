package org.anode.nio;

import java.io.IOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.SocketException;
import java.net.SocketOption;
import java.net.SocketTimeoutException;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.AlreadyBoundException;
import java.nio.channels.AlreadyConnectedException;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ConnectionPendingException;
import java.nio.channels.NoConnectionPendingException;
import java.nio.channels.NotYetConnectedException;
import java.nio.channels.SelectionKey;
import java.nio.channels.SocketChannel;
import java.nio.channels.UnsupportedAddressTypeException;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import org.anode.stream.StreamConfig;
import org.anode.stream.StreamConnection;
import org.anode.stream.StreamException;

/**
 * A {@link SocketChannel} over an Anode stream (draft section 5): reliable, ordered, flow- and
 * congestion-controlled bytes carried in authenticated Anode packets, with the behaviour of the JDK's
 * TCP socket channel, so that NIO code (and frameworks such as Netty) can use it unchanged.
 *
 * <ul>
 *   <li>Addresses: {@link #connect} takes an {@link AnodeSocketAddress} (or any
 *       {@code InetSocketAddress} that {@link AnodeSocketAddress#from} maps to one); the peer must be reachable
 *       (see {@link AnodeNode#addPeerEndpoint}). {@link #getRemoteAddress()} is the peer and the port
 *       connected to; {@link #getLocalAddress()} is this node with the connection's link id as the
 *       port (DECISIONS 23) - or the bound port, for a channel bound to a non-zero port before
 *       connecting, which is then announced as a source port (S_OPEN flag 0x01, draft 5.2.1). An
 *       accepted channel's remote port is the opener's link id.
 *   <li>Connect: blocking or non-blocking; {@code OP_CONNECT} is ready only when
 *       {@link #finishConnect()} will return true or throw. A refusal (S_CLOSE reason 01), an unknown
 *       peer, and a connect that is not answered within the connect timeout (30 s; the socket
 *       adaptor's {@code connect(address, timeout)} takes a shorter one and then throws
 *       {@link SocketTimeoutException}) all throw {@link ConnectException}, and a failed connect
 *       closes the channel, as the JDK's does.
 *   <li>Read and write: scatter/gather over every buffer; a read returns -1 after the peer's FIN
 *       (S_CLOSE reason 00, DECISIONS 26) once all data before it has been read; a peer's abort
 *       (reasons 01-03) makes reads (after the data received before it) and writes throw
 *       {@link SocketException} ("Connection reset", "Connection timed out"). A blocking write
 *       returns when every byte is in the send buffer; a non-blocking one may return 0.
 *   <li>Shutdown: {@link #shutdownOutput()} sends the FIN after the buffered data and the peer may go
 *       on sending (half-close); {@link #shutdownInput()} makes reads return -1 and discards what
 *       arrives.
 *   <li>Close: graceful (the FIN follows the buffered data and is retransmitted in the background
 *       until acknowledged), or abortive (S_CLOSE reason 01, a reset) with {@code SO_LINGER} 0.
 *       Interrupt and asynchronous close behave as
 *       {@link java.nio.channels.spi.AbstractInterruptibleChannel} specifies; closing cancels the
 *       channel's keys.
 *   <li>Options: {@code SO_SNDBUF} and {@code SO_RCVBUF} size the connection's send and receive
 *       buffers (the receive buffer sets the advertised window); {@code TCP_NODELAY} turns off the
 *       coalescing of small writes (Nagle); {@code SO_KEEPALIVE} sends keepalive probes and closes a
 *       dead connection with reason 03; {@link AnodeSocketOptions#USER_TIMEOUT} and
 *       {@link AnodeSocketOptions#PEER_SILENCE_TIMEOUT} bound how long a silent peer is waited for; {@code SO_LINGER} 0 makes close abortive, a positive value makes
 *       close in blocking mode wait (at most that many seconds) until the peer has acknowledged all
 *       data and the FIN - otherwise close never blocks and the handshake completes in the background;
 *       {@code SO_REUSEADDR} and {@code IP_TOS} are stored and reported without effect (link ids are
 *       per connection; the node's UDP socket is shared). Other options are not supported.
 * </ul>
 *
 * <p>Threading: reads and writes may run concurrently in two threads (one reader and one writer at a
 * time, as for the JDK's channel). Both take the connection's lock only for as long as it takes to
 * copy bytes and transmit; protocol work triggered by packets and timers runs on the node's event loop
 * ({@link StreamLayer} describes the model).
 */
public final class AnodeSocketChannel extends SocketChannel implements AnodeSelectable {
    private static final Set<SocketOption<?>> OPTIONS = Set.of(
            StandardSocketOptions.SO_SNDBUF,
            StandardSocketOptions.SO_RCVBUF,
            StandardSocketOptions.TCP_NODELAY,
            StandardSocketOptions.SO_KEEPALIVE,
            StandardSocketOptions.SO_LINGER,
            StandardSocketOptions.SO_REUSEADDR,
            StandardSocketOptions.IP_TOS,
            AnodeSocketOptions.USER_TIMEOUT,
            AnodeSocketOptions.PEER_SILENCE_TIMEOUT);
    private static final long LINGER_POLL_NANOS = TimeUnit.MILLISECONDS.toNanos(5);
    private static final int ST_UNCONNECTED = 0;
    private static final int ST_PENDING = 1;
    /** The target of a non-blocking connect whose path is being found (DECISIONS 31), else null. */
    private volatile AnodeSocketAddress routingTarget;
    /** Why that path search failed, once it did. */
    private volatile IOException routeFailure;

    private static final int ST_CONNECTED = 2;

    private final AnodeNode node;
    private final StreamLayer layer;
    private final Readiness readiness = new Readiness();
    private final Object stateLock = new Object();
    private final ReentrantLock readLock = new ReentrantLock();
    private final ReentrantLock writeLock = new ReentrantLock();
    private final ByteBuffer[] oneRead = new ByteBuffer[1];
    private final ByteBuffer[] oneWrite = new ByteBuffer[1];
    /** Options for the connection not yet created; guarded by stateLock. */
    private final StreamConfig options;

    private volatile int state;
    private volatile StreamLink link;
    private volatile AnodeSocketAddress bound;
    private volatile boolean inputShutdown;
    private volatile boolean outputShutdown;
    private volatile int linger = -1;
    private volatile boolean reuseAddress;
    private volatile int trafficClass;
    private AnodeSocket socket;
    /**
     * The spin of a blocking read soon after a write, before it parks (link lock not held, read
     * lock held). The stream layer acknowledges and publishes what a poll read before the poll
     * returns ({@link StreamLayer#endOfBatch()}), so on a request/response exchange neither the
     * event-loop thread nor the reading thread has to be woken for the answer. A blocking connect
     * does not spin: there the acceptor's event loop and accepting thread need the CPUs
     * (docs/benchmarks/stream.md).
     */
    private final ReceiveSpin<StreamLink> spin;

    /** An unconnected channel. */
    AnodeSocketChannel(AnodeSelectorProvider provider, AnodeNode node, StreamLayer layer) {
        super(provider);
        this.node = node;
        this.layer = layer;
        this.options = layer.defaultConfig();
        this.spin = new ReceiveSpin<>(node, true) {
            @Override
            boolean ready(StreamLink l) {
                return (l.state & StreamLink.READABLE) != 0 || !isOpen();
            }
        };
    }

    /** A channel for a connection accepted by a listener (already established). */
    AnodeSocketChannel(AnodeSelectorProvider provider, AnodeNode node, StreamLayer layer, StreamLink accepted) {
        this(provider, node, layer);
        this.link = accepted;
        this.bound = accepted.localAddress;
        this.state = ST_CONNECTED;
    }

    /**
     * Opens an unconnected stream channel on {@code node}: the same as
     * {@code node.selectorProvider().openSocketChannel()}.
     *
     * @param node the node the channel connects through
     * @return the new, unconnected channel
     * @throws IOException if the node is closed
     */
    public static AnodeSocketChannel open(AnodeNode node) throws IOException {
        return (AnodeSocketChannel) node.selectorProvider().openSocketChannel();
    }

    /**
     * Opens a stream channel on {@code node} and connects it to {@code remote} (blocking),
     * as {@link SocketChannel#open(SocketAddress)} does.
     *
     * @param node the node the channel connects through
     * @param remote the listening socket address to connect to
     * @return the connected channel
     * @throws ConnectException if the connection is refused, times out, or the peer is unknown
     */
    public static AnodeSocketChannel open(AnodeNode node, AnodeSocketAddress remote) throws IOException {
        AnodeSocketChannel ch = open(node);
        try {
            ch.connect(remote);
        } catch (IOException | RuntimeException e) {
            try {
                ch.close();
            } catch (IOException suppressed) {
                e.addSuppressed(suppressed);
            }
            throw e;
        }
        return ch;
    }

    /** {@return the node this channel's stream runs through} */
    public AnodeNode node() {
        return node;
    }

    // ------------------------------------------------------------------ selection

    @Override
    public int readyOps() {
        if (!isOpen()) {
            return 0;
        }
        int s = state;
        StreamLink l = link;
        if (s == ST_PENDING && l == null) {
            // A non-blocking connect still finding its path: finishConnect() would only throw
            // once that failed (checklist item 12).
            return routeFailure != null ? SelectionKey.OP_CONNECT : 0;
        }
        if (s == ST_PENDING) {
            return l != null && (l.state & StreamLink.CONNECT_DONE) != 0 ? SelectionKey.OP_CONNECT : 0;
        }
        if (s != ST_CONNECTED) {
            return 0;
        }
        int ls = l.state;
        int ops = 0;
        if (inputShutdown || (ls & StreamLink.READABLE) != 0) {
            ops |= SelectionKey.OP_READ;
        }
        if (outputShutdown || (ls & StreamLink.WRITABLE) != 0) {
            ops |= SelectionKey.OP_WRITE;
        }
        return ops;
    }

    @Override
    public Readiness readiness() {
        return readiness;
    }

    // ------------------------------------------------------------------ addresses

    @Override
    public AnodeSocketChannel bind(SocketAddress local) throws IOException {
        synchronized (stateLock) {
            ensureOpen();
            if (state == ST_PENDING) {
                throw new ConnectionPendingException();
            }
            if (state == ST_CONNECTED) {
                throw new AlreadyConnectedException();
            }
            if (bound != null) {
                throw new AlreadyBoundException();
            }
            int port = 0;
            if (local != null) {
                AnodeSocketAddress a = toAnode(local, true);
                if (!a.address().equals(node.address())) {
                    throw new java.net.BindException(
                            "Cannot assign requested address: " + a.address() + " is not this node's address");
                }
                port = a.getPort();
            }
            bound = AnodeSocketAddress.of(node.address(), port);
        }
        return this;
    }

    /**
     * Converts a caller's address: anything {@link AnodeSocketAddress#from} recognises (an
     * {@code AnodeSocketAddress}, a copy of its synthetic address and port, an unresolved address
     * whose host is a base32 Anode address), or (for bind only) a wildcard {@code InetSocketAddress}
     * meaning this node.
     */
    private AnodeSocketAddress toAnode(SocketAddress a, boolean forBind) {
        Objects.requireNonNull(a, "address");
        if (a instanceof InetSocketAddress i) {
            AnodeSocketAddress x = AnodeSocketAddress.from(i);
            if (x != null) {
                return x;
            }
            if (forBind && !i.isUnresolved() && i.getAddress().isAnyLocalAddress()) {
                return AnodeSocketAddress.of(node.address(), i.getPort());
            }
        }
        throw new UnsupportedAddressTypeException();
    }

    @Override
    public SocketAddress getLocalAddress() throws IOException {
        ensureOpen();
        return localAddress();
    }

    @Override
    public SocketAddress getRemoteAddress() throws IOException {
        ensureOpen();
        return remoteAddress();
    }

    /** The local address, or null (no exception when closed; for the adaptor). */
    AnodeSocketAddress localAddress() {
        StreamLink l = link;
        if (l != null) {
            return bound != null && bound.getPort() != 0 ? bound : l.localAddress;
        }
        return bound;
    }

    /** The remote address once a connect started, or null. */
    AnodeSocketAddress remoteAddress() {
        StreamLink l = link;
        return l == null ? routingTarget : l.remoteAddress;
    }

    /** True while open and connected; false once closed, as the JDK's socket channel reports. */
    @Override
    public boolean isConnected() {
        return state == ST_CONNECTED && isOpen();
    }

    @Override
    public boolean isConnectionPending() {
        return state == ST_PENDING && isOpen();
    }

    /** The connection, or null before connect (for the adaptor's {@code available()}). */
    StreamLink linkForAdaptor() {
        return link;
    }

    /** True after {@link #shutdownInput()}. */
    boolean isInputShut() {
        return inputShutdown;
    }

    /** True after {@link #shutdownOutput()}. */
    boolean isOutputShut() {
        return outputShutdown;
    }

    private void ensureOpen() throws ClosedChannelException {
        if (!isOpen()) {
            throw new ClosedChannelException();
        }
    }

    // ------------------------------------------------------------------ connect

    @Override
    public boolean connect(SocketAddress remote) throws IOException {
        return connect(remote, 0);
    }

    /**
     * Connects with an optional timeout for the socket adaptor ({@code timeoutNanos} > 0, blocking
     * mode only: {@link SocketTimeoutException} when it passes, and the channel is closed).
     */
    boolean connect(SocketAddress remote, long timeoutNanos) throws IOException {
        AnodeSocketAddress target = toAnode(remote, false);
        if (target.getPort() == 0) {
            throw new ConnectException("Connection refused: Anode stream port 0 is not a valid destination");
        }
        if (!target.address().equals(node.address())) {
            ensureOpen();
            if (!isBlocking() && !node.hasPath(target.address())) {
                return connectWhenRouted(target);
            }
            // Find a path first (DECISIONS 31: bounded wait, NoRouteToHostException with the reason),
            // before any lock, so that state queries and close from other threads are not held up.
            try {
                node.route(target.address());
            } catch (IOException e) {
                closeQuietly();
                throw e;
            }
        }
        readLock.lock();
        try {
            writeLock.lock();
            try {
                synchronized (stateLock) {
                    ensureOpen();
                    if (state == ST_CONNECTED) {
                        throw new AlreadyConnectedException();
                    }
                    if (state == ST_PENDING) {
                        throw new ConnectionPendingException();
                    }
                    AnodeSocketAddress b = bound;
                    StreamLink l;
                    try {
                        l = layer.connect(this, target, b == null ? 0 : b.getPort(), options);
                    } catch (IOException e) {
                        closeQuietly();
                        throw e;
                    }
                    link = l;
                    state = ST_PENDING;
                }
                if (!isOpen()) {
                    // A close from another thread ran between our check and "link = l" and did not
                    // see the connection: reset it ourselves (both doing it is harmless).
                    abandon(link);
                    throw new java.nio.channels.AsynchronousCloseException();
                }
                // The answer may have arrived before the state said "pending": look again.
                readiness.signal();
                if (!isBlocking()) {
                    return false;
                }
                return completeConnect(true, timeoutNanos);
            } finally {
                writeLock.unlock();
            }
        } finally {
            readLock.unlock();
        }
    }

    /**
     * A non-blocking connect to an address with no path yet (DECISIONS 31): the channel is pending
     * at once, the node finds the path in the background, and the connection is opened when it is
     * found ({@link #routed}); if no path is found, {@code OP_CONNECT} becomes ready and
     * {@link #finishConnect()} throws {@link java.net.NoRouteToHostException} with the reason.
     */
    private boolean connectWhenRouted(AnodeSocketAddress target) throws IOException {
        readLock.lock();
        try {
            writeLock.lock();
            try {
                synchronized (stateLock) {
                    ensureOpen();
                    if (state == ST_CONNECTED) {
                        throw new AlreadyConnectedException();
                    }
                    if (state == ST_PENDING) {
                        throw new ConnectionPendingException();
                    }
                    routingTarget = target;
                    state = ST_PENDING;
                }
            } finally {
                writeLock.unlock();
            }
        } finally {
            readLock.unlock();
        }
        node.findPathAsync(target.address()).whenComplete((p, e) -> routed(target, e));
        return false;
    }

    /** The path search of {@link #connectWhenRouted} ended (on the event loop, or at once). */
    private void routed(AnodeSocketAddress target, Throwable e) {
        StreamLink opened = null;
        synchronized (stateLock) {
            if (!isOpen() || state != ST_PENDING || link != null) {
                return;
            }
            IOException failure = null;
            if (e != null) {
                Throwable c = e instanceof java.util.concurrent.CompletionException && e.getCause() != null
                        ? e.getCause()
                        : e;
                failure = c instanceof IOException io ? io : new IOException(c);
            } else {
                AnodeSocketAddress b = bound;
                try {
                    opened = layer.connect(this, target, b == null ? 0 : b.getPort(), options);
                    link = opened;
                } catch (IOException x) {
                    failure = x;
                }
            }
            routeFailure = failure;
        }
        if (opened != null && !isOpen()) {
            // Closed meanwhile, and the close did not see the connection: reset it ourselves.
            abandon(opened);
        }
        readiness.signal();
    }

    /**
     * finishConnect() while the path of a non-blocking connect is being found: false, or the
     * failure (the channel is then closed); in blocking mode, waits (bounded) for the outcome.
     *
     * @return true if the connection has been opened meanwhile (go on as for any pending connect)
     */
    private boolean awaitRouted() throws IOException {
        long deadline = System.nanoTime() + node.config().routeTimeout().toNanos() + TimeUnit.SECONDS.toNanos(2);
        while (true) {
            IOException f = routeFailure;
            if (f != null) {
                closeQuietly();
                if (f instanceof java.net.NoRouteToHostException) {
                    java.net.NoRouteToHostException n = new java.net.NoRouteToHostException(f.getMessage());
                    n.initCause(f);
                    throw n;
                }
                throw f;
            }
            if (link != null) {
                return true;
            }
            ensureOpen();
            if (!isBlocking()) {
                return false;
            }
            if (System.nanoTime() - deadline > 0) {
                closeQuietly();
                throw new java.net.NoRouteToHostException("no path to " + routingTarget + " in time");
            }
            try {
                Thread.sleep(1);
            } catch (InterruptedException x) {
                Thread.currentThread().interrupt();
                closeQuietly();
                throw new java.nio.channels.ClosedByInterruptException();
            }
        }
    }

    private void abandon(StreamLink l) {
        l.lock.lock();
        try {
            l.conn.abort(StreamConnection.REASON_REFUSED);
            layer.afterInput(l, System.nanoTime());
            l.changed.signalAll();
        } finally {
            l.lock.unlock();
        }
    }

    @Override
    public boolean finishConnect() throws IOException {
        readLock.lock();
        try {
            writeLock.lock();
            try {
                synchronized (stateLock) {
                    ensureOpen();
                    if (state == ST_CONNECTED) {
                        return true;
                    }
                    if (state != ST_PENDING) {
                        throw new NoConnectionPendingException();
                    }
                }
                if (link == null && !awaitRouted()) {
                    return false;
                }
                return completeConnect(isBlocking(), 0);
            } finally {
                writeLock.unlock();
            }
        } finally {
            readLock.unlock();
        }
    }

    /** Waits for (blocking) or checks the pending connect; read and write locks held. */
    private boolean completeConnect(boolean block, long timeoutNanos) throws IOException {
        StreamLink l = link;
        boolean done = false;
        boolean timedOut = false;
        StreamException failure = null;
        try {
            if (block) {
                begin();
            }
            l.lock.lock();
            try {
                long deadline = timeoutNanos > 0 ? System.nanoTime() + timeoutNanos : 0;
                while (isOpen()) {
                    StreamConnection c = l.conn;
                    if (c.isEstablished()) {
                        // Connected, even if the peer has already closed or reset it: reads report that.
                        done = true;
                        break;
                    }
                    if (c.failure() != null) {
                        failure = c.failure();
                        break;
                    }
                    if (!block) {
                        break;
                    }
                    if (!await(l, deadline)) {
                        timedOut = true;
                        break;
                    }
                }
            } finally {
                l.lock.unlock();
            }
        } finally {
            if (block) {
                end(done || failure != null || timedOut);
            }
        }
        if (done) {
            synchronized (stateLock) {
                if (state == ST_PENDING) {
                    state = ST_CONNECTED;
                }
            }
            readiness.signal();
            return true;
        }
        if (failure != null) {
            closeQuietly();
            throw connectFailure(failure);
        }
        if (timedOut) {
            closeQuietly();
            throw new SocketTimeoutException("Connect timed out");
        }
        ensureOpen();
        return false;
    }

    private static IOException connectFailure(StreamException e) {
        IOException x;
        switch (e.kind()) {
            case REFUSED -> x = new ConnectException("Connection refused");
            case CONNECT_TIMED_OUT -> x = new ConnectException("Connection timed out");
            default -> x = new ConnectException("Connection failed: " + e.getMessage());
        }
        x.initCause(e);
        return x;
    }

    private void closeQuietly() {
        try {
            close();
        } catch (IOException e) {
            // Closing never fails here: there is no OS resource behind the channel.
        }
    }

    /**
     * Waits on the link's condition (lock held) until signalled or {@code deadline} (0: none).
     *
     * @return false if the deadline passed
     */
    private static boolean await(StreamLink l, long deadline) {
        l.waiters++;
        try {
            if (deadline == 0) {
                // Uninterruptibly: an interrupt closes the channel through begin()'s interruptor,
                // which wakes this wait; end() then throws ClosedByInterruptException.
                l.changed.awaitUninterruptibly();
                return true;
            }
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                return false;
            }
            try {
                l.changed.awaitNanos(left);
            } catch (InterruptedException e) {
                // Keep the status: the interruptor is closing the channel, which ends the wait loop.
                Thread.currentThread().interrupt();
                Thread.onSpinWait();
            }
            return true;
        } finally {
            l.waiters--;
        }
    }

    // ------------------------------------------------------------------ read

    @Override
    public int read(ByteBuffer dst) throws IOException {
        Objects.requireNonNull(dst, "dst");
        readLock.lock();
        try {
            oneRead[0] = dst;
            return (int) readLocked(oneRead, 0, 1, 0);
        } finally {
            oneRead[0] = null;
            readLock.unlock();
        }
    }

    @Override
    public long read(ByteBuffer[] dsts, int offset, int length) throws IOException {
        Objects.checkFromIndexSize(offset, length, dsts.length);
        readLock.lock();
        try {
            return readLocked(dsts, offset, length, 0);
        } finally {
            readLock.unlock();
        }
    }

    /** Blocking read with a timeout for the socket adaptor's SO_TIMEOUT ({@code timeoutNanos} > 0). */
    int read(ByteBuffer dst, long timeoutNanos) throws IOException {
        readLock.lock();
        try {
            return (int) readLocked(new ByteBuffer[] {dst}, 0, 1, timeoutNanos);
        } finally {
            readLock.unlock();
        }
    }

    private long readLocked(ByteBuffer[] dsts, int offset, int length, long timeoutNanos) throws IOException {
        for (int i = offset; i < offset + length; i++) {
            if (dsts[i].isReadOnly()) {
                throw new IllegalArgumentException("Read-only buffer");
            }
        }
        ensureOpen();
        if (state != ST_CONNECTED) {
            throw new NotYetConnectedException();
        }
        if (inputShutdown) {
            return -1;
        }
        boolean any = false;
        for (int i = offset; i < offset + length; i++) {
            if (dsts[i].hasRemaining()) {
                any = true;
                break;
            }
        }
        if (!any) {
            return 0;
        }
        StreamLink l = link;
        boolean blocking = isBlocking();
        long n = 0;
        boolean timedOut = false;
        try {
            if (blocking) {
                begin();
                spin.spin(l);
            }
            l.lock.lock();
            try {
                long deadline = timeoutNanos > 0 ? System.nanoTime() + timeoutNanos : 0;
                while (isOpen()) {
                    if (inputShutdown) {
                        n = -1;
                        break;
                    }
                    n = copyOut(l, dsts, offset, length);
                    if (n == 0 && l.conn.readWaitStarted()) {
                        // The application now waits on the peer: the dead-peer watch may need a timer.
                        layer.afterInput(l, System.nanoTime());
                    }
                    if (n != 0 || !blocking) {
                        break;
                    }
                    if (!await(l, deadline)) {
                        timedOut = true;
                        break;
                    }
                }
                if (n > 0) {
                    // Reading freed receive buffer space: a window update may be due.
                    layer.afterInput(l, System.nanoTime());
                }
            } finally {
                l.lock.unlock();
            }
        } finally {
            if (blocking) {
                end(n != 0 || timedOut);
            }
        }
        if (timedOut) {
            throw new SocketTimeoutException("Read timed out");
        }
        if (n == 0) {
            ensureOpen();
        }
        return n;
    }

    /** Copies readable bytes into the buffers in order (lock held); -1 at end-of-stream. */
    private static long copyOut(StreamLink l, ByteBuffer[] dsts, int offset, int length) throws IOException {
        long total = 0;
        for (int i = offset; i < offset + length; i++) {
            ByteBuffer d = dsts[i];
            if (!d.hasRemaining()) {
                continue;
            }
            int r;
            try {
                r = l.conn.read(d);
            } catch (StreamException e) {
                if (total > 0) {
                    // Data first; the next read reports the failure.
                    return total;
                }
                throw ioFailure(e);
            }
            if (r < 0) {
                return total > 0 ? total : -1;
            }
            total += r;
            if (d.hasRemaining()) {
                break;
            }
        }
        return total;
    }

    /** The JDK-style exception for a failed connection. */
    static IOException ioFailure(StreamException e) {
        IOException x;
        switch (e.kind()) {
            case RESET, REFUSED -> x = new SocketException("Connection reset");
            case PROTOCOL_ERROR -> x = new SocketException("Connection reset (protocol error)");
            case TIMED_OUT, CONNECT_TIMED_OUT -> x = new SocketException("Connection timed out");
            case CLOSED, OUTPUT_SHUTDOWN -> x = new ClosedChannelException();
            default -> x = new SocketException(e.getMessage());
        }
        x.initCause(e);
        return x;
    }

    // ------------------------------------------------------------------ write

    @Override
    public int write(ByteBuffer src) throws IOException {
        Objects.requireNonNull(src, "src");
        writeLock.lock();
        try {
            oneWrite[0] = src;
            return (int) writeLocked(oneWrite, 0, 1);
        } finally {
            oneWrite[0] = null;
            writeLock.unlock();
        }
    }

    @Override
    public long write(ByteBuffer[] srcs, int offset, int length) throws IOException {
        Objects.checkFromIndexSize(offset, length, srcs.length);
        writeLock.lock();
        try {
            return writeLocked(srcs, offset, length);
        } finally {
            writeLock.unlock();
        }
    }

    private long writeLocked(ByteBuffer[] srcs, int offset, int length) throws IOException {
        ensureOpen();
        if (state != ST_CONNECTED) {
            throw new NotYetConnectedException();
        }
        if (outputShutdown) {
            throw new ClosedChannelException();
        }
        long want = 0;
        for (int i = offset; i < offset + length; i++) {
            want += srcs[i].remaining();
        }
        if (want == 0) {
            return 0;
        }
        StreamLink l = link;
        boolean blocking = isBlocking();
        long written = 0;
        try {
            if (blocking) {
                begin();
            }
            l.lock.lock();
            try {
                layer.chargeSend(l);
                while (isOpen()) {
                    long n = copyIn(l, srcs, offset, length);
                    if (n > 0) {
                        written += n;
                        long now = System.nanoTime();
                        spin.sent(now);
                        layer.afterInput(l, now);
                    }
                    if (written == want || !blocking) {
                        break;
                    }
                    if (n == 0) {
                        await(l, 0);
                    }
                }
            } finally {
                l.lock.unlock();
            }
        } finally {
            if (blocking) {
                end(written > 0);
            }
        }
        if (written == 0) {
            ensureOpen();
        }
        return written;
    }

    /** Copies from the buffers into the send buffer (lock held). */
    private static long copyIn(StreamLink l, ByteBuffer[] srcs, int offset, int length) throws IOException {
        long total = 0;
        for (int i = offset; i < offset + length; i++) {
            ByteBuffer s = srcs[i];
            if (!s.hasRemaining()) {
                continue;
            }
            int w;
            try {
                w = l.conn.write(s);
            } catch (StreamException e) {
                if (total > 0) {
                    return total;
                }
                throw ioFailure(e);
            }
            total += w;
            if (s.hasRemaining()) {
                break;
            }
        }
        return total;
    }

    // ------------------------------------------------------------------ shutdown

    @Override
    public AnodeSocketChannel shutdownInput() throws IOException {
        synchronized (stateLock) {
            ensureOpen();
            if (state != ST_CONNECTED) {
                throw new NotYetConnectedException();
            }
            if (inputShutdown) {
                return this;
            }
            inputShutdown = true;
        }
        StreamLink l = link;
        l.lock.lock();
        try {
            l.discardInput = true;
            layer.afterInput(l, System.nanoTime());
            l.wakeAll();
        } finally {
            l.lock.unlock();
        }
        readiness.signal();
        return this;
    }

    @Override
    public AnodeSocketChannel shutdownOutput() throws IOException {
        synchronized (stateLock) {
            ensureOpen();
            if (state != ST_CONNECTED) {
                throw new NotYetConnectedException();
            }
            if (outputShutdown) {
                return this;
            }
            outputShutdown = true;
        }
        StreamLink l = link;
        l.lock.lock();
        try {
            l.conn.shutdownOutput();
            layer.afterInput(l, System.nanoTime());
            l.wakeAll();
        } finally {
            l.lock.unlock();
        }
        readiness.signal();
        return this;
    }

    // ------------------------------------------------------------------ options

    @Override
    public <T> AnodeSocketChannel setOption(SocketOption<T> name, T value) throws IOException {
        SocketOptionChecks.checkSettable(OPTIONS, name, value);
        synchronized (stateLock) {
            ensureOpen();
            StreamLink l = link;
            if (name == StandardSocketOptions.SO_SNDBUF || name == StandardSocketOptions.SO_RCVBUF) {
                int v = SocketOptionChecks.bufferSize(value);
                boolean send = name == StandardSocketOptions.SO_SNDBUF;
                int size = send ? clamp(v, 1024, 1 << 30) : clamp(v, 1024, StreamConfig.MAX_RECEIVE_BUFFER);
                if (send) {
                    options.sendBufferSize(size);
                } else {
                    options.receiveBufferSize(size);
                }
                if (l != null) {
                    l.lock.lock();
                    try {
                        // An explicit size is the application's choice: set as asked, charged to
                        // the node's budget from the next time the buffer is allocated.
                        if (send) {
                            l.sndWant = size;
                            l.conn.setSendBufferSize(size);
                        } else {
                            l.rcvWant = size;
                            l.conn.setReceiveBufferSize(size);
                        }
                        layer.afterInput(l, System.nanoTime());
                    } finally {
                        l.lock.unlock();
                    }
                }
            } else if (name == StandardSocketOptions.TCP_NODELAY || name == StandardSocketOptions.SO_KEEPALIVE) {
                boolean on = (Boolean) value;
                boolean nodelay = name == StandardSocketOptions.TCP_NODELAY;
                if (nodelay) {
                    options.noDelay(on);
                } else {
                    options.keepAlive(on);
                }
                if (l != null) {
                    l.lock.lock();
                    try {
                        if (nodelay) {
                            l.conn.setNoDelay(on);
                        } else {
                            l.conn.setKeepAlive(on);
                        }
                        // Turning Nagle off releases a held partial packet now.
                        layer.afterInput(l, System.nanoTime());
                    } finally {
                        l.lock.unlock();
                    }
                }
            } else if (name == AnodeSocketOptions.USER_TIMEOUT || name == AnodeSocketOptions.PEER_SILENCE_TIMEOUT) {
                int ms = (Integer) value;
                boolean user = name == AnodeSocketOptions.USER_TIMEOUT;
                if (ms < (user ? 1 : 0)) {
                    throw new IllegalArgumentException("Invalid value '" + value + "'");
                }
                java.time.Duration d = java.time.Duration.ofMillis(ms);
                if (user) {
                    options.userTimeout(d);
                } else {
                    options.peerSilenceTimeout(d);
                }
                if (l != null) {
                    l.lock.lock();
                    try {
                        if (user) {
                            l.conn.setUserTimeout(d.toNanos());
                        } else {
                            l.conn.setPeerSilenceTimeout(d.toNanos());
                        }
                        layer.afterInput(l, System.nanoTime());
                    } finally {
                        l.lock.unlock();
                    }
                }
            } else if (name == StandardSocketOptions.SO_LINGER) {
                // As the JDK: null or a negative value disables linger.
                int v = value == null ? -1 : (Integer) value;
                linger = v < 0 ? -1 : Math.min(v, 65535);
            } else if (name == StandardSocketOptions.SO_REUSEADDR) {
                reuseAddress = (Boolean) value;
            } else if (name == StandardSocketOptions.IP_TOS) {
                trafficClass = SocketOptionChecks.trafficClass(value);
            }
        }
        return this;
    }

    private static int clamp(int v, int lo, int hi) {
        return Math.max(lo, Math.min(hi, v));
    }

    @Override
    @SuppressWarnings("unchecked")
    public <T> T getOption(SocketOption<T> name) throws IOException {
        SocketOptionChecks.checkSupported(OPTIONS, name);
        synchronized (stateLock) {
            ensureOpen();
            StreamLink l = link;
            if (name == StandardSocketOptions.SO_LINGER) {
                return (T) Integer.valueOf(linger);
            } else if (name == StandardSocketOptions.SO_REUSEADDR) {
                return (T) Boolean.valueOf(reuseAddress);
            } else if (name == StandardSocketOptions.IP_TOS) {
                return (T) Integer.valueOf(trafficClass);
            } else if (name == AnodeSocketOptions.USER_TIMEOUT || name == AnodeSocketOptions.PEER_SILENCE_TIMEOUT) {
                boolean user = name == AnodeSocketOptions.USER_TIMEOUT;
                long nanos;
                if (l == null) {
                    nanos = user ? options.userTimeoutNanos() : options.peerSilenceTimeoutNanos();
                } else {
                    l.lock.lock();
                    try {
                        nanos = user ? l.conn.userTimeoutNanos() : l.conn.peerSilenceTimeoutNanos();
                    } finally {
                        l.lock.unlock();
                    }
                }
                return (T) Integer.valueOf((int) Math.min(Integer.MAX_VALUE, nanos / 1_000_000));
            }
            if (l == null) {
                if (name == StandardSocketOptions.SO_SNDBUF) {
                    return (T) Integer.valueOf(options.sendBufferSize());
                } else if (name == StandardSocketOptions.SO_RCVBUF) {
                    return (T) Integer.valueOf(options.receiveBufferSize());
                } else if (name == StandardSocketOptions.TCP_NODELAY) {
                    return (T) Boolean.valueOf(options.noDelay());
                }
                return (T) Boolean.valueOf(options.keepAlive());
            }
            l.lock.lock();
            try {
                if (name == StandardSocketOptions.SO_SNDBUF) {
                    return (T) Integer.valueOf(l.conn.sendBufferSize());
                } else if (name == StandardSocketOptions.SO_RCVBUF) {
                    return (T) Integer.valueOf(l.conn.receiveBufferSize());
                } else if (name == StandardSocketOptions.TCP_NODELAY) {
                    return (T) Boolean.valueOf(l.conn.noDelay());
                }
                return (T) Boolean.valueOf(l.conn.keepAlive());
            } finally {
                l.lock.unlock();
            }
        }
    }

    @Override
    public Set<SocketOption<?>> supportedOptions() {
        return OPTIONS;
    }

    // ------------------------------------------------------------------ socket adaptor

    @Override
    public AnodeSocket socket() {
        synchronized (stateLock) {
            if (socket == null) {
                try {
                    socket = new AnodeSocket(this);
                } catch (SocketException e) {
                    // java.net.Socket(SocketImpl) only throws under a security manager that denies
                    // a custom implementation; the adaptor then cannot exist at all.
                    throw new IllegalStateException("cannot create the socket adaptor", e);
                }
            }
            return socket;
        }
    }

    // ------------------------------------------------------------------ closing

    @Override
    protected void implCloseSelectableChannel() throws IOException {
        // May run on an interrupting thread (begin()'s interruptor): it wakes blocked threads and
        // waits only for a positive SO_LINGER, as a blocking TCP close does.
        StreamLink l = link;
        if (l != null) {
            l.lock.lock();
            try {
                long now = System.nanoTime();
                int lingerSeconds = linger;
                if (lingerSeconds == 0 || !l.conn.isEstablished()) {
                    // Abortive close; or an abandoned connect, whose S_OPEN the peer may already
                    // have answered: the reset tells it not to wait for us.
                    l.conn.abort(StreamConnection.REASON_REFUSED);
                } else {
                    l.conn.close(now);
                }
                layer.afterInput(l, now);
                l.changed.signalAll();
                if (lingerSeconds > 0 && isBlocking()) {
                    lingerUntilAcknowledged(l, now + TimeUnit.SECONDS.toNanos(lingerSeconds));
                }
            } finally {
                l.lock.unlock();
            }
        }
        node.channelClosed(this);
        readiness.signal();
    }

    /**
     * SO_LINGER > 0 in blocking mode (lock held): waits until the peer has acknowledged all data and
     * the FIN, the connection failed, or the linger time passed; the close handshake then goes on in
     * the background either way.
     */
    private static void lingerUntilAcknowledged(StreamLink l, long deadline) {
        while (!l.conn.isOutputClosed() && l.conn.failure() == null) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                return;
            }
            l.waiters++;
            try {
                // Polled: an acknowledgement of the FIN changes no readiness bit, so nothing signals it.
                l.changed.awaitNanos(Math.min(left, LINGER_POLL_NANOS));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            } finally {
                l.waiters--;
            }
        }
    }

    @Override
    protected void implConfigureBlocking(boolean block) {
        // Nothing to switch: every operation reads the mode when it starts.
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder("AnodeSocketChannel[");
        if (!isOpen()) {
            sb.append("closed");
        } else if (state == ST_CONNECTED) {
            sb.append("connected local=")
                    .append(localAddress())
                    .append(" remote=")
                    .append(remoteAddress());
        } else if (state == ST_PENDING) {
            sb.append("connection-pending remote=").append(remoteAddress());
        } else {
            sb.append("unconnected");
            if (bound != null) {
                sb.append(" local=").append(bound);
            }
        }
        return sb.append(']').toString();
    }
}
