package org.anode.nio;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.net.SocketAddress;
import java.net.SocketException;
import java.net.SocketImpl;
import java.net.SocketOption;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.IllegalBlockingModeException;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The {@link Socket} view of an {@link AnodeSocketChannel} (an Anode stream, draft section 5), as
 * {@link java.nio.channels.SocketChannel#socket()} requires: every public method is overridden and
 * forwards to the channel, so no operating-system socket is created and the superclass's socket
 * machinery is never used.
 *
 * <p>Addresses are {@link AnodeSocketAddress}es ({@link #getRemoteSocketAddress()},
 * {@link #getLocalSocketAddress()}); {@link #getInetAddress()} and {@link #getLocalAddress()} are their
 * synthetic IP addresses (never used on the wire; see {@link AnodeSocketAddress}). The streams
 * block (they throw {@link IllegalBlockingModeException} if the channel is non-blocking), honour
 * {@link #setSoTimeout SO_TIMEOUT} on reads, and closing either stream closes the socket, as the JDK's
 * adaptor does. The options map onto the channel's ({@link AnodeSocketChannel} documents their effect);
 * TCP urgent data does not exist in Anode streams: {@link #sendUrgentData} throws and OOBINLINE is
 * always false.
 */
public final class AnodeSocket extends Socket {
    private static final InetAddress ANY = anyLocal();

    private final AnodeSocketChannel ch;
    private volatile int timeoutMillis;
    private final ReentrantLock inLock = new ReentrantLock();
    private InputStream in;
    private OutputStream out;

    AnodeSocket(AnodeSocketChannel ch) throws SocketException {
        super(UnusedImpl.INSTANCE);
        this.ch = ch;
    }

    private static InetAddress anyLocal() {
        try {
            return InetAddress.getByAddress(new byte[4]);
        } catch (java.net.UnknownHostException e) {
            throw new IllegalStateException(e);
        }
    }

    private static SocketException translate(IOException e) {
        return SocketOptionChecks.socketException(e);
    }

    // ------------------------------------------------------------------ connect, bind

    @Override
    public void connect(SocketAddress endpoint) throws IOException {
        connect(endpoint, 0);
    }

    /**
     * Connects in blocking mode; a positive {@code timeout} (milliseconds) bounds the wait and then
     * throws {@link java.net.SocketTimeoutException} (closing the socket), as {@link Socket} does.
     */
    @Override
    public void connect(SocketAddress endpoint, int timeout) throws IOException {
        if (endpoint == null) {
            throw new IllegalArgumentException("connect: The address can't be null");
        }
        if (timeout < 0) {
            throw new IllegalArgumentException("connect: timeout can't be negative");
        }
        if (!ch.isBlocking()) {
            throw new IllegalBlockingModeException();
        }
        try {
            ch.connect(endpoint, TimeUnit.MILLISECONDS.toNanos(timeout));
        } catch (java.nio.channels.UnsupportedAddressTypeException e) {
            throw new IllegalArgumentException(
                    "Unsupported address type: " + endpoint.getClass().getName());
        } catch (java.nio.channels.ClosedChannelException e) {
            throw new SocketException("Socket is closed");
        }
    }

    @Override
    public void bind(SocketAddress bindpoint) throws IOException {
        try {
            ch.bind(bindpoint);
        } catch (java.nio.channels.AlreadyBoundException e) {
            throw new SocketException("Already bound");
        } catch (java.nio.channels.UnsupportedAddressTypeException e) {
            throw new IllegalArgumentException("Unsupported address type");
        }
    }

    // ------------------------------------------------------------------ addresses

    /** The peer's synthetic address ({@link AnodeSocketAddress#getAddress()}), or null if unconnected. */
    @Override
    public InetAddress getInetAddress() {
        AnodeSocketAddress r = ch.isConnected() ? ch.remoteAddress() : null;
        return r == null ? null : r.getAddress();
    }

    /** This node's synthetic address once bound or connected, else the wildcard address. */
    @Override
    public InetAddress getLocalAddress() {
        AnodeSocketAddress l = ch.localAddress();
        return l == null || isClosed() ? ANY : l.getAddress();
    }

    @Override
    public int getPort() {
        AnodeSocketAddress r = ch.remoteAddress();
        return r == null || !ch.isConnected() ? 0 : r.getPort();
    }

    @Override
    public int getLocalPort() {
        AnodeSocketAddress l = ch.localAddress();
        return l == null ? -1 : l.getPort();
    }

    @Override
    public SocketAddress getRemoteSocketAddress() {
        return ch.isConnected() ? ch.remoteAddress() : null;
    }

    @Override
    public SocketAddress getLocalSocketAddress() {
        return ch.localAddress();
    }

    @Override
    public AnodeSocketChannel getChannel() {
        return ch;
    }

    // ------------------------------------------------------------------ state

    @Override
    public boolean isConnected() {
        return ch.isConnected();
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
    public boolean isInputShutdown() {
        return ch.isInputShut();
    }

    @Override
    public boolean isOutputShutdown() {
        return ch.isOutputShut();
    }

    @Override
    public void close() throws IOException {
        ch.close();
    }

    @Override
    public void shutdownInput() throws IOException {
        checkUsable();
        if (isInputShutdown()) {
            throw new SocketException("Socket input is already shutdown");
        }
        ch.shutdownInput();
    }

    @Override
    public void shutdownOutput() throws IOException {
        checkUsable();
        if (isOutputShutdown()) {
            throw new SocketException("Socket output is already shutdown");
        }
        ch.shutdownOutput();
    }

    private void checkUsable() throws SocketException {
        SocketOptionChecks.checkOpen(isClosed());
        if (!isConnected()) {
            throw new SocketException("Socket is not connected");
        }
    }

    // ------------------------------------------------------------------ streams

    @Override
    public InputStream getInputStream() throws IOException {
        checkUsable();
        if (isInputShutdown()) {
            throw new SocketException("Socket input is shutdown");
        }
        synchronized (this) {
            if (in == null) {
                in = new In();
            }
            return in;
        }
    }

    @Override
    public OutputStream getOutputStream() throws IOException {
        checkUsable();
        if (isOutputShutdown()) {
            throw new SocketException("Socket output is shutdown");
        }
        synchronized (this) {
            if (out == null) {
                out = new Out();
            }
            return out;
        }
    }

    private final class In extends InputStream {
        private final byte[] one = new byte[1];

        @Override
        public int read() throws IOException {
            int n = read(one, 0, 1);
            return n < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            Objects.checkFromIndexSize(off, len, b.length);
            if (len == 0) {
                return 0;
            }
            if (!ch.isBlocking()) {
                throw new IllegalBlockingModeException();
            }
            inLock.lock();
            try {
                int t = timeoutMillis;
                return ch.read(ByteBuffer.wrap(b, off, len), t > 0 ? TimeUnit.MILLISECONDS.toNanos(t) : 0);
            } catch (ClosedChannelException e) {
                throw new SocketException("Socket closed");
            } finally {
                inLock.unlock();
            }
        }

        @Override
        public int available() throws IOException {
            if (isClosed()) {
                throw new SocketException("Socket is closed");
            }
            StreamLink l = ch.isConnected() ? linkOf() : null;
            if (l == null || isInputShutdown()) {
                return 0;
            }
            l.lock.lock();
            try {
                return l.conn.readableBytes();
            } finally {
                l.lock.unlock();
            }
        }

        @Override
        public void close() throws IOException {
            AnodeSocket.this.close();
        }
    }

    private StreamLink linkOf() {
        return ch.linkForAdaptor();
    }

    private final class Out extends OutputStream {
        @Override
        public void write(int b) throws IOException {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            Objects.checkFromIndexSize(off, len, b.length);
            if (!ch.isBlocking()) {
                throw new IllegalBlockingModeException();
            }
            ByteBuffer bb = ByteBuffer.wrap(b, off, len);
            try {
                while (bb.hasRemaining()) {
                    ch.write(bb);
                }
            } catch (ClosedChannelException e) {
                throw new SocketException("Socket closed");
            }
        }

        @Override
        public void close() throws IOException {
            AnodeSocket.this.close();
        }
    }

    // ------------------------------------------------------------------ options

    private <T> void set(SocketOption<T> name, T value) throws SocketException {
        SocketOptionChecks.set(ch, name, value);
    }

    private <T> T get(SocketOption<T> name) throws SocketException {
        return SocketOptionChecks.get(ch, name);
    }

    @Override
    public void setTcpNoDelay(boolean on) throws SocketException {
        set(StandardSocketOptions.TCP_NODELAY, on);
    }

    @Override
    public boolean getTcpNoDelay() throws SocketException {
        return get(StandardSocketOptions.TCP_NODELAY);
    }

    @Override
    public void setSoLinger(boolean on, int linger) throws SocketException {
        if (on && linger < 0) {
            throw new IllegalArgumentException("invalid value for SO_LINGER");
        }
        set(StandardSocketOptions.SO_LINGER, on ? Math.min(linger, 65535) : -1);
    }

    @Override
    public int getSoLinger() throws SocketException {
        return get(StandardSocketOptions.SO_LINGER);
    }

    /** Always throws: Anode streams have no urgent data. */
    @Override
    public void sendUrgentData(int data) throws IOException {
        throw new SocketException("Urgent data not supported");
    }

    /** Accepts only false: Anode streams have no urgent data to inline. */
    @Override
    public void setOOBInline(boolean on) throws SocketException {
        SocketOptionChecks.checkOpen(isClosed());
        if (on) {
            throw new SocketException("OOBINLINE not supported: Anode streams have no urgent data");
        }
    }

    @Override
    public boolean getOOBInline() throws SocketException {
        SocketOptionChecks.checkOpen(isClosed());
        return false;
    }

    @Override
    public void setSoTimeout(int timeout) throws SocketException {
        timeoutMillis = SocketOptionChecks.soTimeout(isClosed(), timeout);
    }

    @Override
    public int getSoTimeout() throws SocketException {
        SocketOptionChecks.checkOpen(isClosed());
        return timeoutMillis;
    }

    @Override
    public void setSendBufferSize(int size) throws SocketException {
        set(StandardSocketOptions.SO_SNDBUF, SocketOptionChecks.adaptorBufferSize(size, "send"));
    }

    @Override
    public int getSendBufferSize() throws SocketException {
        return get(StandardSocketOptions.SO_SNDBUF);
    }

    @Override
    public void setReceiveBufferSize(int size) throws SocketException {
        set(StandardSocketOptions.SO_RCVBUF, SocketOptionChecks.adaptorBufferSize(size, "receive"));
    }

    @Override
    public int getReceiveBufferSize() throws SocketException {
        return get(StandardSocketOptions.SO_RCVBUF);
    }

    @Override
    public void setKeepAlive(boolean on) throws SocketException {
        set(StandardSocketOptions.SO_KEEPALIVE, on);
    }

    @Override
    public boolean getKeepAlive() throws SocketException {
        return get(StandardSocketOptions.SO_KEEPALIVE);
    }

    @Override
    public void setTrafficClass(int tc) throws SocketException {
        set(StandardSocketOptions.IP_TOS, SocketOptionChecks.adaptorTrafficClass(tc));
    }

    @Override
    public int getTrafficClass() throws SocketException {
        return get(StandardSocketOptions.IP_TOS);
    }

    @Override
    public void setReuseAddress(boolean on) throws SocketException {
        set(StandardSocketOptions.SO_REUSEADDR, on);
    }

    @Override
    public boolean getReuseAddress() throws SocketException {
        return get(StandardSocketOptions.SO_REUSEADDR);
    }

    /** No effect: an Anode stream has one service class. */
    @Override
    public void setPerformancePreferences(int connectionTime, int latency, int bandwidth) {
        // The hint is optional in java.net.Socket; there is nothing to tune.
    }

    @Override
    public <T> Socket setOption(SocketOption<T> name, T value) throws IOException {
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
        if (ch.isConnected()) {
            return "Socket[addr=" + ch.remoteAddress() + ",localport=" + getLocalPort() + "]";
        }
        return "Socket[unconnected]";
    }

    /** The superclass needs an implementation object; this one is never called. */
    static final class UnusedImpl extends SocketImpl {
        static final UnusedImpl INSTANCE = new UnusedImpl();

        private static SocketException unused() {
            return new SocketException("not used by the Anode socket adaptor");
        }

        @Override
        protected void create(boolean stream) throws IOException {
            throw unused();
        }

        @Override
        protected void connect(String host, int port) throws IOException {
            throw unused();
        }

        @Override
        protected void connect(InetAddress address, int port) throws IOException {
            throw unused();
        }

        @Override
        protected void connect(SocketAddress address, int timeout) throws IOException {
            throw unused();
        }

        @Override
        protected void bind(InetAddress host, int port) throws IOException {
            throw unused();
        }

        @Override
        protected void listen(int backlog) throws IOException {
            throw unused();
        }

        @Override
        protected void accept(SocketImpl s) throws IOException {
            throw unused();
        }

        @Override
        protected InputStream getInputStream() throws IOException {
            throw unused();
        }

        @Override
        protected OutputStream getOutputStream() throws IOException {
            throw unused();
        }

        @Override
        protected int available() throws IOException {
            throw unused();
        }

        @Override
        protected void close() throws IOException {
            // Nothing was created.
        }

        @Override
        protected void sendUrgentData(int data) throws IOException {
            throw unused();
        }

        @Override
        public void setOption(int optID, Object value) throws SocketException {
            throw unused();
        }

        @Override
        public Object getOption(int optID) throws SocketException {
            throw unused();
        }
    }
}
