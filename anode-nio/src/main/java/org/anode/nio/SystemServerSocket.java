package org.anode.nio;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketAddress;
import java.net.SocketException;
import java.net.SocketOption;
import java.net.StandardSocketOptions;
import java.nio.channels.IllegalBlockingModeException;
import java.nio.channels.ServerSocketChannel;
import java.util.Set;

/**
 * The server socket adaptor of {@link AnodeSystemServerSocketChannel} (draft 5.2.1 listeners next to
 * IP ones). The JDK's own HTTP server binds through it ({@code schan.socket().bind(addr, backlog)}),
 * so {@link #bind} goes through the channel, where the kind is chosen.
 */
final class SystemServerSocket extends ServerSocket {
    private final AnodeSystemServerSocketChannel ch;
    private volatile int timeout;

    SystemServerSocket(AnodeSystemServerSocketChannel ch) throws IOException {
        super(AnodeSocket.UnusedImpl.INSTANCE);
        this.ch = ch;
    }

    private static SocketException translate(IOException e) {
        if (e instanceof SocketException s) {
            return s;
        }
        SocketException s = new SocketException(e.getMessage());
        s.initCause(e);
        return s;
    }

    @Override
    public void bind(SocketAddress endpoint) throws IOException {
        bind(endpoint, 50);
    }

    @Override
    public void bind(SocketAddress endpoint, int backlog) throws IOException {
        ch.bind(endpoint, backlog);
    }

    private InetSocketAddress local() {
        try {
            SocketAddress a = ch.getLocalAddress();
            return a instanceof InetSocketAddress i ? i : null;
        } catch (IOException e) {
            return null;
        }
    }

    @Override
    public InetAddress getInetAddress() {
        InetSocketAddress a = local();
        return a == null ? null : a.getAddress();
    }

    @Override
    public int getLocalPort() {
        InetSocketAddress a = local();
        return a == null ? -1 : a.getPort();
    }

    @Override
    public SocketAddress getLocalSocketAddress() {
        return local();
    }

    /** Blocking mode only, as the JDK's adaptor; {@link #setSoTimeout} bounds the wait. */
    @Override
    public Socket accept() throws IOException {
        if (!ch.isBlocking()) {
            throw new IllegalBlockingModeException();
        }
        int t = timeout;
        if (t == 0) {
            return ch.accept().socket();
        }
        ServerSocketChannel self = ch;
        try (java.nio.channels.Selector s = ch.provider().openSelector()) {
            ch.configureBlocking(false);
            try {
                self.register(s, java.nio.channels.SelectionKey.OP_ACCEPT);
                long deadline = System.nanoTime() + t * 1_000_000L;
                while (true) {
                    var c = ch.accept();
                    if (c != null) {
                        c.configureBlocking(true);
                        return c.socket();
                    }
                    long left = (deadline - System.nanoTime()) / 1_000_000L;
                    if (left <= 0) {
                        throw new java.net.SocketTimeoutException("Accept timed out");
                    }
                    s.select(left);
                    s.selectedKeys().clear();
                }
            } finally {
                java.nio.channels.SelectionKey k = ch.keyFor(s);
                if (k != null) {
                    k.cancel();
                }
                s.selectNow();
                ch.configureBlocking(true);
            }
        }
    }

    @Override
    public void close() throws IOException {
        ch.close();
    }

    @Override
    public ServerSocketChannel getChannel() {
        return ch;
    }

    @Override
    public boolean isBound() {
        return ch.isBound();
    }

    @Override
    public boolean isClosed() {
        return !ch.isOpen();
    }

    @Override
    public void setSoTimeout(int timeout) throws SocketException {
        if (timeout < 0) {
            throw new IllegalArgumentException("timeout < 0");
        }
        this.timeout = timeout;
    }

    @Override
    public int getSoTimeout() throws IOException {
        return timeout;
    }

    @Override
    public void setReuseAddress(boolean on) throws SocketException {
        try {
            ch.setOption(StandardSocketOptions.SO_REUSEADDR, on);
        } catch (IOException e) {
            throw translate(e);
        }
    }

    @Override
    public boolean getReuseAddress() throws SocketException {
        try {
            return ch.getOption(StandardSocketOptions.SO_REUSEADDR);
        } catch (IOException e) {
            throw translate(e);
        }
    }

    @Override
    public void setReceiveBufferSize(int size) throws SocketException {
        if (size <= 0) {
            throw new IllegalArgumentException("negative receive size");
        }
        try {
            ch.setOption(StandardSocketOptions.SO_RCVBUF, size);
        } catch (IOException e) {
            throw translate(e);
        }
    }

    @Override
    public int getReceiveBufferSize() throws SocketException {
        try {
            return ch.getOption(StandardSocketOptions.SO_RCVBUF);
        } catch (IOException e) {
            throw translate(e);
        }
    }

    @Override
    public void setPerformancePreferences(int connectionTime, int latency, int bandwidth) {
        // No effect, as in the JDK's own implementation.
    }

    @Override
    public <T> ServerSocket setOption(SocketOption<T> name, T value) throws IOException {
        ch.setOption(name, value);
        return this;
    }

    @Override
    public <T> T getOption(SocketOption<T> name) throws IOException {
        return ch.getOption(name);
    }

    @Override
    public Set<SocketOption<?>> supportedOptions() {
        return ch.supportedOptions();
    }

    @Override
    public String toString() {
        InetSocketAddress a = local();
        return a == null ? "ServerSocket[unbound]" : "ServerSocket[addr=" + a + "]";
    }
}
