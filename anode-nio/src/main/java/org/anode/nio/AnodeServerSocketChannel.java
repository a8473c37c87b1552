package org.anode.nio;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.SocketOption;
import java.net.SocketTimeoutException;
import java.net.StandardSocketOptions;
import java.nio.channels.AlreadyBoundException;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.NotYetBoundException;
import java.nio.channels.SelectionKey;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.UnsupportedAddressTypeException;
import java.util.ArrayDeque;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import org.anode.stream.StreamConfig;
import org.anode.stream.StreamConnection;

/**
 * A {@link ServerSocketChannel} listening on an Anode stream port (draft 5.2.1: an S_OPEN names the
 * destination port; the listener answers with its own S_OPEN), with the behaviour of the JDK's TCP
 * server socket channel.
 *
 * <ul>
 *   <li>Binding: {@link #bind(SocketAddress, int)} takes an {@link AnodeSocketAddress} of this node (or
 *       any {@code InetSocketAddress} {@link AnodeSocketAddress#from} maps to one), or an
 *       {@code InetSocketAddress} with a wildcard IP address whose port is taken as the Anode port - so frameworks that bind {@code new InetSocketAddress(port)} work -
 *       or null. Port 0 picks a free port from 49152-65535. Stream ports are separate from DGRAM ports.
 *       A port in use throws {@link java.net.BindException}.
 *   <li>Backlog: the node answers an S_OPEN at once, but hands the connection to accept() only
 *       when the opener has acknowledged the answer's ISN (addendum A5: a replayed S_OPEN can never
 *       do so; an unconfirmed connection is dropped silently after the connect timeout). The
 *       backlog (50 if 0 or less is given) bounds those half-open connections and the confirmed
 *       ones the application has not accepted yet together; an S_OPEN that finds it full is
 *       dropped like a TCP SYN, and the opener's retransmission succeeds once there is room. An
 *       S_OPEN for a port nobody listens on is refused (S_CLOSE reason 01).
 *   <li>Accept: blocking or non-blocking ({@code null} when none is waiting; {@code OP_ACCEPT} is
 *       ready when one is). Closing the listener resets the connections still in its backlog.
 *   <li>Options: {@code SO_RCVBUF} is the receive buffer of accepted connections,
 *       {@code SO_REUSEADDR} is stored and reported (Anode ports have no TIME_WAIT binding).
 * </ul>
 */
public final class AnodeServerSocketChannel extends ServerSocketChannel implements AnodeSelectable {
    private static final Set<SocketOption<?>> OPTIONS =
            Set.of(StandardSocketOptions.SO_RCVBUF, StandardSocketOptions.SO_REUSEADDR);

    private final AnodeNode node;
    private final StreamLayer layer;
    private final Readiness readiness = new Readiness();
    private final Object stateLock = new Object();
    private final ReentrantLock acceptLock = new ReentrantLock();
    /** Guards the backlog; never held while calling into a selector or a link. */
    private final ReentrantLock queueLock = new ReentrantLock();

    private final Condition notEmpty = queueLock.newCondition();
    private final ArrayDeque<StreamLink> backlogQueue = new ArrayDeque<>();
    private int waiters;
    private volatile int queued;
    /** Answered connections whose opener has not yet acknowledged our ISN (addendum A5). */
    private final AtomicInteger halfOpen = new AtomicInteger();

    private volatile int backlog = StreamLayer.DEFAULT_BACKLOG;
    private volatile AnodeSocketAddress local;
    private volatile int receiveBuffer;
    private volatile boolean reuseAddress;
    private AnodeServerSocket socket;

    AnodeServerSocketChannel(AnodeSelectorProvider provider, AnodeNode node, StreamLayer layer) {
        super(provider);
        this.node = node;
        this.layer = layer;
        this.receiveBuffer = layer.defaultConfig().receiveBufferSize();
    }

    /**
     * Opens an unbound listening channel on {@code node}: the same as
     * {@code node.selectorProvider().openServerSocketChannel()}.
     *
     * @param node the node the channel listens on
     * @return the new, unbound channel
     * @throws IOException if the node is closed
     */
    public static AnodeServerSocketChannel open(AnodeNode node) throws IOException {
        return (AnodeServerSocketChannel) node.selectorProvider().openServerSocketChannel();
    }

    /** {@return the node this channel listens on} */
    public AnodeNode node() {
        return node;
    }

    /** The node's stream layer (tests and statistics). */
    StreamLayer layer() {
        return layer;
    }

    // ------------------------------------------------------------------ selection

    @Override
    public int readyOps() {
        return isOpen() && queued > 0 ? SelectionKey.OP_ACCEPT : 0;
    }

    @Override
    public Readiness readiness() {
        return readiness;
    }

    // ------------------------------------------------------------------ binding

    @Override
    public AnodeServerSocketChannel bind(SocketAddress address, int backlog) throws IOException {
        synchronized (stateLock) {
            ensureOpen();
            if (local != null) {
                throw new AlreadyBoundException();
            }
            int port = 0;
            if (address != null) {
                AnodeSocketAddress a = toAnode(address);
                if (!a.address().equals(node.address())) {
                    throw new java.net.BindException(
                            "Cannot assign requested address: " + a.address() + " is not this node's address");
                }
                port = a.getPort();
            }
            int p = layer.bindListener(this, port);
            this.backlog = backlog < 1 ? StreamLayer.DEFAULT_BACKLOG : backlog;
            local = AnodeSocketAddress.of(node.address(), p);
        }
        return this;
    }

    private AnodeSocketAddress toAnode(SocketAddress a) {
        if (a instanceof InetSocketAddress i) {
            AnodeSocketAddress x = AnodeSocketAddress.from(i);
            if (x != null) {
                return x;
            }
            if (!i.isUnresolved() && i.getAddress().isAnyLocalAddress()) {
                return AnodeSocketAddress.of(node.address(), i.getPort());
            }
        }
        throw new UnsupportedAddressTypeException();
    }

    @Override
    public SocketAddress getLocalAddress() throws IOException {
        ensureOpen();
        return local;
    }

    /** The bound address or null, without the open check (adaptor). */
    AnodeSocketAddress localAddress() {
        return local;
    }

    private void ensureOpen() throws ClosedChannelException {
        if (!isOpen()) {
            throw new ClosedChannelException();
        }
    }

    // ------------------------------------------------------------------ options

    @Override
    public <T> AnodeServerSocketChannel setOption(SocketOption<T> name, T value) throws IOException {
        SocketOptionChecks.checkSettable(OPTIONS, name, value);
        synchronized (stateLock) {
            ensureOpen();
            if (name == StandardSocketOptions.SO_RCVBUF) {
                int v = SocketOptionChecks.bufferSize(value);
                receiveBuffer = Math.max(1024, Math.min(StreamConfig.MAX_RECEIVE_BUFFER, v));
            } else {
                reuseAddress = (Boolean) value;
            }
        }
        return this;
    }

    @Override
    @SuppressWarnings("unchecked")
    public <T> T getOption(SocketOption<T> name) throws IOException {
        SocketOptionChecks.checkSupported(OPTIONS, name);
        synchronized (stateLock) {
            ensureOpen();
            if (name == StandardSocketOptions.SO_RCVBUF) {
                return (T) Integer.valueOf(receiveBuffer);
            }
            return (T) Boolean.valueOf(reuseAddress);
        }
    }

    @Override
    public Set<SocketOption<?>> supportedOptions() {
        return OPTIONS;
    }

    /** SO_RCVBUF for connections accepted from now on. */
    int acceptedReceiveBufferSize() {
        return receiveBuffer;
    }

    // ------------------------------------------------------------------ adaptor

    @Override
    public AnodeServerSocket socket() {
        synchronized (stateLock) {
            if (socket == null) {
                socket = new AnodeServerSocket(this);
            }
            return socket;
        }
    }

    // ------------------------------------------------------------------ backlog (event loop side)

    /** True when no further connection fits the backlog (half-open ones included). */
    boolean backlogFull() {
        return queued + halfOpen.get() >= backlog;
    }

    /** True when confirmed connections alone fill the backlog (addendum A12: then S_OPENs are dropped). */
    boolean acceptQueueFull() {
        return queued >= backlog;
    }

    /** An answered connection now waits for the opener's acknowledgement (addendum A5). */
    void halfOpenAdded() {
        halfOpen.incrementAndGet();
    }

    /** A half-open connection was confirmed (and is being enqueued) or given up. */
    void halfOpenDone() {
        halfOpen.decrementAndGet();
    }

    /** Half-open connections counted against the backlog now (tests). */
    int halfOpen() {
        return halfOpen.get();
    }

    /**
     * Adds an answered connection (event loop). Returns false if the listener is closed or full, in
     * which case the caller resets the connection.
     */
    boolean enqueue(StreamLink link) {
        queueLock.lock();
        try {
            if (!isOpen() || backlogQueue.size() >= backlog) {
                return false;
            }
            backlogQueue.add(link);
            queued = backlogQueue.size();
            if (waiters > 0) {
                notEmpty.signal();
            }
        } finally {
            queueLock.unlock();
        }
        readiness.signal();
        return true;
    }

    // ------------------------------------------------------------------ accept

    @Override
    public AnodeSocketChannel accept() throws IOException {
        return accept(0);
    }

    /** Accept with a timeout for the adaptor's SO_TIMEOUT ({@code timeoutNanos} > 0, blocking). */
    AnodeSocketChannel accept(long timeoutNanos) throws IOException {
        acceptLock.lock();
        try {
            ensureOpen();
            if (local == null) {
                throw new NotYetBoundException();
            }
            StreamLink l = null;
            boolean timedOut = false;
            if (!isBlocking()) {
                if (queued == 0) {
                    return null;
                }
                l = poll();
                if (l == null) {
                    return null;
                }
            } else {
                try {
                    begin();
                    queueLock.lock();
                    try {
                        long deadline = timeoutNanos > 0 ? System.nanoTime() + timeoutNanos : 0;
                        while (backlogQueue.isEmpty() && isOpen()) {
                            waiters++;
                            try {
                                if (deadline == 0) {
                                    // An interrupt closes the channel via begin(), which signals this.
                                    notEmpty.awaitUninterruptibly();
                                } else {
                                    long left = deadline - System.nanoTime();
                                    if (left <= 0) {
                                        timedOut = true;
                                        break;
                                    }
                                    notEmpty.awaitNanos(left);
                                }
                            } catch (InterruptedException e) {
                                Thread.currentThread().interrupt();
                                Thread.onSpinWait();
                            } finally {
                                waiters--;
                            }
                        }
                        if (isOpen() && !backlogQueue.isEmpty()) {
                            l = backlogQueue.poll();
                            queued = backlogQueue.size();
                        }
                    } finally {
                        queueLock.unlock();
                    }
                } finally {
                    end(l != null || timedOut);
                }
                if (timedOut) {
                    throw new SocketTimeoutException("Accept timed out");
                }
                if (l == null) {
                    ensureOpen();
                    return null;
                }
            }
            return attach(l);
        } finally {
            acceptLock.unlock();
        }
    }

    private StreamLink poll() {
        queueLock.lock();
        try {
            StreamLink l = backlogQueue.poll();
            queued = backlogQueue.size();
            return l;
        } finally {
            queueLock.unlock();
        }
    }

    /** Wraps a connection taken from the backlog in a channel. */
    private AnodeSocketChannel attach(StreamLink l) throws IOException {
        AnodeSocketChannel ch = new AnodeSocketChannel((AnodeSelectorProvider) provider(), node, layer, l);
        try {
            node.channelOpened(ch);
        } catch (IOException e) {
            reset(l);
            throw e;
        }
        l.lock.lock();
        try {
            l.channel = ch;
            l.publish();
        } finally {
            l.lock.unlock();
        }
        return ch;
    }

    private void reset(StreamLink l) {
        l.lock.lock();
        try {
            l.conn.abort(StreamConnection.REASON_REFUSED);
            long now = System.nanoTime();
            layer.afterInput(l, now);
            layer.retire(l);
        } finally {
            l.lock.unlock();
        }
    }

    // ------------------------------------------------------------------ closing

    @Override
    protected void implCloseSelectableChannel() throws IOException {
        AnodeSocketAddress a = local;
        if (a != null) {
            layer.unbindListener(this, a.getPort());
        }
        List<StreamLink> pending;
        queueLock.lock();
        try {
            pending = List.copyOf(backlogQueue);
            backlogQueue.clear();
            queued = 0;
            notEmpty.signalAll();
        } finally {
            queueLock.unlock();
        }
        // As a TCP listener's close resets the connections nobody accepted.
        for (StreamLink l : pending) {
            reset(l);
        }
        node.channelClosed(this);
        readiness.signal();
    }

    @Override
    protected void implConfigureBlocking(boolean block) {
        // Nothing to switch: accept reads the mode when it starts.
    }

    @Override
    public String toString() {
        return "AnodeServerSocketChannel[" + (isOpen() ? (local == null ? "unbound" : local.toString()) : "closed")
                + "]";
    }
}
