package org.anode.nio;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketAddress;
import java.net.SocketException;
import java.net.SocketOption;
import java.net.StandardSocketOptions;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.IllegalBlockingModeException;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * The {@link ServerSocket} view of an {@link AnodeServerSocketChannel} (an Anode stream listener,
 * draft 5.2.1), as {@link java.nio.channels.ServerSocketChannel#socket()} requires: every public
 * method is overridden and forwards to the channel; no operating-system socket is created.
 * {@link #accept()} blocks (it throws {@link IllegalBlockingModeException} for a non-blocking
 * channel) and honours {@link #setSoTimeout SO_TIMEOUT}; {@link #isBound()} reports whether the
 * channel has a port. {@link #getLocalSocketAddress()} is the {@link AnodeSocketAddress} and
 * {@link #getInetAddress()} its synthetic IP address (never used on the wire).
 */
public final class AnodeServerSocket extends ServerSocket {
    private final AnodeServerSocketChannel ch;
    private volatile int timeoutMillis;

    AnodeServerSocket(AnodeServerSocketChannel ch) {
        super(AnodeSocket.UnusedImpl.INSTANCE);
        this.ch = ch;
    }

    private static SocketException translate(IOException e) {
        return SocketOptionChecks.socketException(e);
    }

    @Override
    public void bind(SocketAddress endpoint) throws IOException {
        bind(endpoint, StreamLayer.DEFAULT_BACKLOG);
    }

    @Override
    public void bind(SocketAddress endpoint, int backlog) throws IOException {
        try {
            ch.bind(endpoint, backlog);
        } catch (java.nio.channels.AlreadyBoundException e) {
            throw new SocketException("Already bound");
        } catch (java.nio.channels.UnsupportedAddressTypeException e) {
            throw new IllegalArgumentException("Unsupported address type");
        } catch (ClosedChannelException e) {
            throw new SocketException("Socket is closed");
        }
    }

    @Override
    public InetAddress getInetAddress() {
        AnodeSocketAddress a = ch.localAddress();
        return a == null ? null : a.getAddress();
    }

    @Override
    public int getLocalPort() {
        AnodeSocketAddress a = ch.localAddress();
        return a == null ? -1 : a.getPort();
    }

    @Override
    public SocketAddress getLocalSocketAddress() {
        return ch.localAddress();
    }

    @Override
    public Socket accept() throws IOException {
        SocketOptionChecks.checkOpen(isClosed());
        if (!isBound()) {
            throw new SocketException("Socket is not bound yet");
        }
        if (!ch.isBlocking()) {
            throw new IllegalBlockingModeException();
        }
        try {
            int t = timeoutMillis;
            AnodeSocketChannel c = ch.accept(t > 0 ? TimeUnit.MILLISECONDS.toNanos(t) : 0);
            return c.socket();
        } catch (ClosedChannelException e) {
            throw new SocketException("Socket is closed");
        }
    }

    @Override
    public void close() throws IOException {
        ch.close();
    }

    @Override
    public AnodeServerSocketChannel getChannel() {
        return ch;
    }

    @Override
    public boolean isBound() {
        return ch.localAddress() != null;
    }

    @Override
    public boolean isClosed() {
        return !ch.isOpen();
    }

    @Override
    public void setSoTimeout(int timeout) throws SocketException {
        timeoutMillis = SocketOptionChecks.soTimeout(isClosed(), timeout);
    }

    @Override
    public int getSoTimeout() throws IOException {
        SocketOptionChecks.checkOpen(isClosed());
        return timeoutMillis;
    }

    @Override
    public void setReuseAddress(boolean on) throws SocketException {
        SocketOptionChecks.set(ch, StandardSocketOptions.SO_REUSEADDR, on);
    }

    @Override
    public boolean getReuseAddress() throws SocketException {
        return SocketOptionChecks.get(ch, StandardSocketOptions.SO_REUSEADDR);
    }

    @Override
    public void setReceiveBufferSize(int size) throws SocketException {
        SocketOptionChecks.set(
                ch, StandardSocketOptions.SO_RCVBUF, SocketOptionChecks.adaptorBufferSize(size, "receive"));
    }

    @Override
    public int getReceiveBufferSize() throws SocketException {
        return SocketOptionChecks.get(ch, StandardSocketOptions.SO_RCVBUF);
    }

    /** No effect: an Anode stream has one service class. */
    @Override
    public void setPerformancePreferences(int connectionTime, int latency, int bandwidth) {
        // The hint is optional in java.net.ServerSocket; there is nothing to tune.
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
        AnodeSocketAddress a = ch.localAddress();
        return a == null ? "ServerSocket[unbound]" : "ServerSocket[addr=" + a + "]";
    }
}
