package org.anode.nio;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ProtocolFamily;
import java.net.ServerSocket;
import java.net.SocketAddress;
import java.net.SocketOption;
import java.nio.channels.AlreadyBoundException;
import java.nio.channels.AsynchronousCloseException;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.Set;

/**
 * A server socket channel of {@link AnodeSystemSelectorProvider}: it listens on IP through a JDK
 * channel, on an Anode stream port (draft 5.2.1) of the provider's node when bound to an Anode
 * address, or on both when bound to a wildcard address with {@code anode.listenWildcard=true} (the
 * Anode port then has the number of the IP port). {@link #accept()} returns the accepted JDK or Anode
 * channel itself; both register with {@link AnodeSelector}.
 */
final class AnodeSystemServerSocketChannel extends ServerSocketChannel implements AnodeSelectable {
    private final AnodeSystemSelectorProvider sys;
    private final Readiness readiness = new Readiness();
    private final Object stateLock = new Object();
    private final SystemServerSocket adaptor;
    /** The JDK listener; null once bound to an Anode address only. */
    private volatile ServerSocketChannel ip;
    /** The Anode listener, or null. */
    private volatile ServerSocketChannel anode;
    /** Both listen: the two stay non-blocking and a blocking accept waits on {@link #waiter}. */
    private volatile boolean dual;

    private Selector waiter;

    AnodeSystemServerSocketChannel(AnodeSystemSelectorProvider sys, ProtocolFamily family) throws IOException {
        super(sys);
        this.sys = sys;
        this.ip =
                family == null ? sys.jdk().openServerSocketChannel() : sys.jdk().openServerSocketChannel(family);
        this.adaptor = new SystemServerSocket(this);
    }

    @Override
    public ServerSocketChannel bind(SocketAddress local, int backlog) throws IOException {
        AnodeSocketAddress a = AnodeSystemSelectorProvider.anodeOf(local);
        synchronized (stateLock) {
            if (!isOpen()) {
                throw new ClosedChannelException();
            }
            if (anode != null || (ip != null && ip.getLocalAddress() != null)) {
                throw new AlreadyBoundException();
            }
            if (a != null) {
                ServerSocketChannel an = openAnode();
                synchronized (blockingLock()) {
                    an.configureBlocking(isBlocking());
                }
                an.bind(a, backlog);
                ServerSocketChannel old = ip;
                anode = an;
                ip = null;
                old.close();
            } else {
                ip.bind(local, backlog);
                if (sys.listenWildcard() && isWildcard(local)) {
                    int port = ((InetSocketAddress) ip.getLocalAddress()).getPort();
                    ServerSocketChannel an = openAnode();
                    an.configureBlocking(false);
                    try {
                        an.bind(new AnodeSocketAddress(sys.node().address(), port), backlog);
                    } catch (IOException e) {
                        an.close();
                        ip.close();
                        throw e;
                    }
                    ip.configureBlocking(false);
                    dual = true;
                    anode = an;
                }
            }
        }
        if (anode != null) {
            readiness.rebind();
        }
        return this;
    }

    private ServerSocketChannel openAnode() throws IOException {
        ServerSocketChannel an = sys.node().selectorProvider().openServerSocketChannel();
        ((AnodeSelectable) an).readiness().forwardTo(readiness);
        return an;
    }

    private static boolean isWildcard(SocketAddress local) {
        if (local == null) {
            return true;
        }
        return local instanceof InetSocketAddress isa
                && isa.getAddress() != null
                && isa.getAddress().isAnyLocalAddress();
    }

    @Override
    public <T> ServerSocketChannel setOption(SocketOption<T> name, T value) throws IOException {
        ServerSocketChannel i = ip;
        ServerSocketChannel a = anode;
        if (i != null) {
            i.setOption(name, value);
        }
        if (a != null && (i == null || a.supportedOptions().contains(name))) {
            a.setOption(name, value);
        }
        return this;
    }

    @Override
    public <T> T getOption(SocketOption<T> name) throws IOException {
        return primary().getOption(name);
    }

    @Override
    public Set<SocketOption<?>> supportedOptions() {
        return primary().supportedOptions();
    }

    /** The IP listener if there is one, else the Anode one. */
    private ServerSocketChannel primary() {
        ServerSocketChannel i = ip;
        return i != null ? i : anode;
    }

    @Override
    public ServerSocket socket() {
        return adaptor;
    }

    /**
     * Returns an accepted Anode channel as it is, and an accepted JDK channel wrapped in a channel of
     * this provider, which handles the switch to blocking mode after a cancel as the JDK does.
     */
    @Override
    public SocketChannel accept() throws IOException {
        SocketChannel c;
        if (!dual) {
            c = primary().accept();
        } else {
            c = acceptEither();
            if (c == null && isBlocking()) {
                c = acceptBlockingDual();
            }
        }
        if (c == null || c instanceof AnodeSelectable) {
            return c;
        }
        return new AnodeSystemSocketChannel(sys, c);
    }

    private SocketChannel acceptEither() throws IOException {
        SocketChannel c = ip.accept();
        return c != null ? c : anode.accept();
    }

    /** A blocking accept over two non-blocking listeners: waits on a private selector. */
    private SocketChannel acceptBlockingDual() throws IOException {
        Selector sel;
        synchronized (stateLock) {
            if (waiter == null) {
                waiter = sys.openSelector();
                ip.register(waiter, SelectionKey.OP_ACCEPT);
                anode.register(waiter, SelectionKey.OP_ACCEPT);
            }
            sel = waiter;
        }
        boolean done = false;
        try {
            begin();
            while (true) {
                if (!isOpen()) {
                    throw new AsynchronousCloseException();
                }
                SocketChannel c = acceptEither();
                if (c != null) {
                    done = true;
                    c.configureBlocking(true);
                    return c;
                }
                sel.select();
                sel.selectedKeys().clear();
            }
        } finally {
            end(done);
        }
    }

    @Override
    public SocketAddress getLocalAddress() throws IOException {
        return primary().getLocalAddress();
    }

    @Override
    protected void implCloseSelectableChannel() throws IOException {
        synchronized (stateLock) {
            if (waiter != null) {
                waiter.close();
            }
            ServerSocketChannel i = ip;
            ServerSocketChannel a = anode;
            if (i != null) {
                i.close();
            }
            if (a != null) {
                a.close();
            }
        }
        readiness.signal();
    }

    /** See {@link AnodeSystemSocketChannel}: cancelled keys release their inner keys first. */
    @Override
    protected void implConfigureBlocking(boolean block) throws IOException {
        if (!dual) {
            if (block) {
                readiness.cancelInnerOfInvalidKeys();
            }
            primary().configureBlocking(block);
        }
    }

    /** The socket address the IP side listens on, or null. */
    SocketAddress ipLocalAddress() throws IOException {
        ServerSocketChannel i = ip;
        return i == null ? null : i.getLocalAddress();
    }

    boolean isBound() {
        try {
            return primary().getLocalAddress() != null;
        } catch (IOException e) {
            return false;
        }
    }

    // ------------------------------------------------------------------------- AnodeSelectable

    @Override
    public int readyOps() {
        ServerSocketChannel a = anode;
        return a == null ? 0 : ((AnodeSelectable) a).readyOps();
    }

    @Override
    public Readiness readiness() {
        return readiness;
    }

    @Override
    public java.nio.channels.SelectableChannel jdkChannel() {
        return ip;
    }

    @Override
    public String toString() {
        return "AnodeSystemServerSocketChannel[ip=" + ip + ", anode=" + anode + "]";
    }
}
