package org.anode.nio;

import java.io.IOException;
import java.net.ProtocolFamily;
import java.net.Socket;
import java.net.SocketAddress;
import java.net.SocketOption;
import java.nio.ByteBuffer;
import java.nio.channels.AlreadyConnectedException;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ConnectionPendingException;
import java.nio.channels.SocketChannel;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * A socket channel of {@link AnodeSystemSelectorProvider}: backed by a JDK socket channel until it
 * binds or connects to an Anode address, then by an Anode stream channel (draft section 5) of the
 * provider's node. Options set before that are carried over where the Anode channel supports them.
 * Netty and other code that register a channel before connecting it see one channel throughout:
 * selectors holding it follow the switch ({@link Readiness#rebind()}).
 */
final class AnodeSystemSocketChannel extends SocketChannel implements AnodeSelectable {
    private final AnodeSystemSelectorProvider sys;
    private final Readiness readiness = new Readiness();
    private final Map<SocketOption<?>, Object> optionsSet = new LinkedHashMap<>();
    private final Object switchLock = new Object();
    private final SystemSocket adaptor;
    private volatile SocketChannel cur;
    private volatile boolean anode;

    AnodeSystemSocketChannel(AnodeSystemSelectorProvider sys, ProtocolFamily family) throws IOException {
        super(sys);
        this.sys = sys;
        this.cur = family == null ? sys.jdk().openSocketChannel() : sys.jdk().openSocketChannel(family);
        this.adaptor = new SystemSocket(this);
    }

    /**
     * Wraps a JDK channel accepted by a listener of the provider, so that it behaves as the
     * channels the provider opens (in particular {@link #implConfigureBlocking}).
     */
    AnodeSystemSocketChannel(AnodeSystemSelectorProvider sys, SocketChannel accepted) throws IOException {
        super(sys);
        this.sys = sys;
        this.cur = accepted;
        this.adaptor = new SystemSocket(this);
    }

    /** The channel in use now. */
    SocketChannel current() {
        return cur;
    }

    /**
     * Moves to an Anode channel of the node. Allowed only before the JDK channel was bound or
     * connected; the JDK channel is closed.
     */
    void switchToAnode() throws IOException {
        synchronized (switchLock) {
            if (anode) {
                return;
            }
            if (!isOpen()) {
                throw new ClosedChannelException();
            }
            SocketChannel old = cur;
            if (old.isConnected()) {
                throw new AlreadyConnectedException();
            }
            if (old.isConnectionPending()) {
                throw new ConnectionPendingException();
            }
            if (old.getLocalAddress() != null) {
                throw new java.nio.channels.UnsupportedAddressTypeException();
            }
            SocketChannel a = sys.node().selectorProvider().openSocketChannel();
            synchronized (blockingLock()) {
                a.configureBlocking(isBlocking());
            }
            synchronized (optionsSet) {
                for (Map.Entry<SocketOption<?>, Object> e : optionsSet.entrySet()) {
                    if (a.supportedOptions().contains(e.getKey())) {
                        setOn(a, e.getKey(), e.getValue());
                    }
                }
            }
            ((AnodeSelectable) a).readiness().forwardTo(readiness);
            cur = a;
            anode = true;
            old.close();
        }
        readiness.rebind();
    }

    @SuppressWarnings("unchecked")
    private static <T> void setOn(SocketChannel ch, SocketOption<T> name, Object value) {
        try {
            ch.setOption(name, (T) value);
        } catch (IOException | RuntimeException e) {
            // An option the Anode channel takes a different view of: the stream keeps its default.
        }
    }

    private <T> T closeIfClosed(IOException e) throws IOException {
        // An interrupt or asynchronous close closed the channel in use: this channel is closed too.
        if (!cur.isOpen() && isOpen()) {
            close();
        }
        throw e;
    }

    // ---------------------------------------------------------------------------- SocketChannel

    @Override
    public SocketChannel bind(SocketAddress local) throws IOException {
        AnodeSocketAddress a = AnodeSystemSelectorProvider.anodeOf(local);
        if (a != null) {
            switchToAnode();
            cur.bind(a);
        } else {
            cur.bind(local);
        }
        return this;
    }

    @Override
    public <T> SocketChannel setOption(SocketOption<T> name, T value) throws IOException {
        cur.setOption(name, value);
        synchronized (optionsSet) {
            optionsSet.put(name, value);
        }
        return this;
    }

    @Override
    public <T> T getOption(SocketOption<T> name) throws IOException {
        return cur.getOption(name);
    }

    @Override
    public Set<SocketOption<?>> supportedOptions() {
        return cur.supportedOptions();
    }

    @Override
    public SocketChannel shutdownInput() throws IOException {
        cur.shutdownInput();
        return this;
    }

    @Override
    public SocketChannel shutdownOutput() throws IOException {
        cur.shutdownOutput();
        return this;
    }

    @Override
    public Socket socket() {
        return adaptor;
    }

    @Override
    public boolean isConnected() {
        return cur.isConnected();
    }

    @Override
    public boolean isConnectionPending() {
        return cur.isConnectionPending();
    }

    @Override
    public boolean connect(SocketAddress remote) throws IOException {
        AnodeSocketAddress a = AnodeSystemSelectorProvider.anodeOf(remote);
        try {
            if (a != null) {
                switchToAnode();
                return cur.connect(a);
            }
            return cur.connect(remote);
        } catch (IOException e) {
            return closeIfClosed(e);
        }
    }

    @Override
    public boolean finishConnect() throws IOException {
        try {
            return cur.finishConnect();
        } catch (IOException e) {
            return closeIfClosed(e);
        }
    }

    @Override
    public SocketAddress getRemoteAddress() throws IOException {
        return cur.getRemoteAddress();
    }

    @Override
    public int read(ByteBuffer dst) throws IOException {
        try {
            return cur.read(dst);
        } catch (IOException e) {
            return closeIfClosed(e);
        }
    }

    @Override
    public long read(ByteBuffer[] dsts, int offset, int length) throws IOException {
        try {
            return cur.read(dsts, offset, length);
        } catch (IOException e) {
            return closeIfClosed(e);
        }
    }

    @Override
    public int write(ByteBuffer src) throws IOException {
        try {
            return cur.write(src);
        } catch (IOException e) {
            return closeIfClosed(e);
        }
    }

    @Override
    public long write(ByteBuffer[] srcs, int offset, int length) throws IOException {
        try {
            return cur.write(srcs, offset, length);
        } catch (IOException e) {
            return closeIfClosed(e);
        }
    }

    @Override
    public SocketAddress getLocalAddress() throws IOException {
        return cur.getLocalAddress();
    }

    @Override
    protected void implCloseSelectableChannel() throws IOException {
        synchronized (switchLock) {
            cur.close();
        }
        readiness.signal();
    }

    /**
     * A key of ours that was cancelled still has a valid inner key on the JDK channel until our next
     * select, and the JDK refuses blocking mode while a valid key exists. Code such as the JDK's own
     * HTTP server cancels and switches to blocking at once, so the inner keys go first.
     */
    @Override
    protected void implConfigureBlocking(boolean block) throws IOException {
        if (block) {
            readiness.cancelInnerOfInvalidKeys();
        }
        cur.configureBlocking(block);
    }

    // ------------------------------------------------------------------------- AnodeSelectable

    @Override
    public int readyOps() {
        // anode is written after cur: read it first so that cur is the Anode channel when it is set.
        if (!anode) {
            return 0;
        }
        return ((AnodeSelectable) cur).readyOps();
    }

    @Override
    public Readiness readiness() {
        return readiness;
    }

    @Override
    public java.nio.channels.SelectableChannel jdkChannel() {
        if (anode) {
            return null;
        }
        SocketChannel c = cur;
        return c instanceof AnodeSelectable ? null : c;
    }

    @Override
    public String toString() {
        return "AnodeSystemSocketChannel[" + cur + "]";
    }
}
