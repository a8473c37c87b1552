package org.anode.nio;

import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.DatagramSocketImpl;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.net.SocketAddress;
import java.net.SocketException;
import java.net.SocketOption;
import java.net.SocketTimeoutException;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.IllegalBlockingModeException;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * The {@link DatagramSocket} view of an {@link AnodeDatagramChannel} (draft 4.2.10 DGRAM), as
 * {@link java.nio.channels.DatagramChannel#socket()} requires: every public method is overridden
 * and forwards to the channel, so the superclass's own socket machinery is never used and no
 * operating-system socket is created.
 *
 * <p>Addresses are {@link AnodeSocketAddress}es ({@link #getLocalSocketAddress()},
 * {@link #getRemoteSocketAddress()}, {@link #connect(SocketAddress)}). A {@link DatagramPacket}
 * holds an IP address and a port: {@link #receive} stores the sender's synthetic address (see
 * {@link AnodeSocketAddress}), which carries the base32 address as its host name, and
 * {@link #send} reads it back, so a received packet can be sent back as it is.
 * {@link #getLocalAddress()} is the synthetic address of the bound Anode address (the wildcard
 * address while unbound).
 */
public final class AnodeDatagramSocket extends DatagramSocket {
    private static final InetAddress ANY = anyLocal();

    private final AnodeDatagramChannel ch;
    private volatile int timeoutMillis;

    AnodeDatagramSocket(AnodeDatagramChannel ch) {
        super(new UnusedImpl());
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

    @Override
    public void bind(SocketAddress addr) throws SocketException {
        try {
            ch.bind(addr);
        } catch (IOException e) {
            throw translate(e);
        }
    }

    /** Connects to the Anode address whose synthetic address (see {@link AnodeSocketAddress}) is given. */
    @Override
    public void connect(InetAddress address, int port) {
        if (address == null) {
            throw new IllegalArgumentException("Address can't be null");
        }
        try {
            connect(new java.net.InetSocketAddress(address, port));
        } catch (SocketException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @Override
    public void connect(SocketAddress addr) throws SocketException {
        if (addr == null) {
            throw new IllegalArgumentException("Address can't be null");
        }
        try {
            ch.connect(addr);
        } catch (java.nio.channels.UnsupportedAddressTypeException e) {
            throw new IllegalArgumentException(
                    "Unsupported address type: " + addr.getClass().getName());
        } catch (IOException e) {
            throw translate(e);
        }
    }

    @Override
    public void disconnect() {
        try {
            ch.disconnect();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @Override
    public boolean isBound() {
        return ch.localAddress() != null;
    }

    @Override
    public boolean isConnected() {
        return ch.remoteAddress() != null;
    }

    @Override
    public InetAddress getInetAddress() {
        AnodeSocketAddress r = ch.remoteAddress();
        return r == null ? null : r.getAddress();
    }

    @Override
    public int getPort() {
        AnodeSocketAddress r = ch.remoteAddress();
        return r == null ? -1 : r.getPort();
    }

    @Override
    public SocketAddress getRemoteSocketAddress() {
        return ch.remoteAddress();
    }

    @Override
    public SocketAddress getLocalSocketAddress() {
        return isClosed() ? null : ch.localAddress();
    }

    @Override
    public void send(DatagramPacket p) throws IOException {
        if (!ch.isBlocking()) {
            throw new IllegalBlockingModeException();
        }
        SocketOptionChecks.checkOpen(isClosed());
        synchronized (p) {
            ByteBuffer data = ByteBuffer.wrap(p.getData(), p.getOffset(), p.getLength());
            AnodeSocketAddress r = ch.remoteAddress();
            try {
                if (p.getAddress() == null) {
                    if (r == null) {
                        throw new IllegalArgumentException("Address not set");
                    }
                    ch.write(data);
                    return;
                }
                AnodeSocketAddress to =
                        AnodeSocketAddress.from(new java.net.InetSocketAddress(p.getAddress(), p.getPort()));
                if (to == null) {
                    throw new IllegalArgumentException("not an Anode address: " + p.getSocketAddress());
                }
                if (r != null && !r.equals(to)) {
                    throw new IllegalArgumentException("Connected and packet address differ");
                }
                ch.send(data, to);
            } catch (ClosedChannelException e) {
                throw new SocketException("Socket is closed");
            }
        }
    }

    @Override
    public void receive(DatagramPacket p) throws IOException {
        if (!ch.isBlocking()) {
            throw new IllegalBlockingModeException();
        }
        SocketOptionChecks.checkOpen(isClosed());
        synchronized (p) {
            ByteBuffer b = ByteBuffer.wrap(p.getData(), p.getOffset(), p.getData().length - p.getOffset());
            b.limit(p.getOffset() + Math.min(p.getLength(), b.remaining()));
            int t = timeoutMillis;
            AnodeSocketAddress src;
            try {
                src = ch.receive(b, t > 0 ? TimeUnit.MILLISECONDS.toNanos(t) : -1);
            } catch (SocketTimeoutException | java.nio.channels.ClosedByInterruptException e) {
                throw e;
            } catch (ClosedChannelException e) {
                throw new SocketException("Socket is closed");
            }
            if (src == null) {
                throw new SocketException("Socket is closed");
            }
            p.setSocketAddress(src);
            p.setLength(b.position() - p.getOffset());
        }
    }

    @Override
    public InetAddress getLocalAddress() {
        if (isClosed()) {
            return null;
        }
        AnodeSocketAddress l = ch.localAddress();
        return l == null ? ANY : l.getAddress();
    }

    @Override
    public int getLocalPort() {
        if (isClosed()) {
            return -1;
        }
        AnodeSocketAddress l = ch.localAddress();
        return l == null ? 0 : l.getPort();
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

    private <T> void set(SocketOption<T> name, T value) throws SocketException {
        SocketOptionChecks.set(ch, name, value);
    }

    private <T> T get(SocketOption<T> name) throws SocketException {
        return SocketOptionChecks.get(ch, name);
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
    public void setReuseAddress(boolean on) throws SocketException {
        set(StandardSocketOptions.SO_REUSEADDR, on);
    }

    @Override
    public boolean getReuseAddress() throws SocketException {
        return get(StandardSocketOptions.SO_REUSEADDR);
    }

    @Override
    public void setBroadcast(boolean on) throws SocketException {
        set(StandardSocketOptions.SO_BROADCAST, on);
    }

    @Override
    public boolean getBroadcast() throws SocketException {
        return get(StandardSocketOptions.SO_BROADCAST);
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
    public void close() {
        try {
            ch.close();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @Override
    public boolean isClosed() {
        return !ch.isOpen();
    }

    @Override
    public AnodeDatagramChannel getChannel() {
        return ch;
    }

    @Override
    public <T> DatagramSocket setOption(SocketOption<T> name, T value) throws IOException {
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

    /** Always throws: Anode has no multicast. */
    @Override
    public void joinGroup(SocketAddress mcastaddr, NetworkInterface netIf) throws IOException {
        throw new SocketException("Anode datagram sockets do not support multicast");
    }

    /** Always throws: Anode has no multicast. */
    @Override
    public void leaveGroup(SocketAddress mcastaddr, NetworkInterface netIf) throws IOException {
        throw new SocketException("Anode datagram sockets do not support multicast");
    }

    @Override
    public String toString() {
        return "AnodeDatagramSocket[" + ch + "]";
    }

    /**
     * The superclass insists on an implementation object; every public method above is
     * overridden, so this one is never called and refuses if it somehow is.
     */
    private static final class UnusedImpl extends DatagramSocketImpl {
        private static SocketException unused() {
            return new SocketException("the Anode socket adaptor has no DatagramSocketImpl");
        }

        @Override
        protected void create() throws SocketException {
            throw unused();
        }

        @Override
        protected void bind(int lport, InetAddress laddr) throws SocketException {
            throw unused();
        }

        @Override
        protected void send(DatagramPacket p) throws IOException {
            throw unused();
        }

        @Override
        protected int peek(InetAddress i) throws IOException {
            throw unused();
        }

        @Override
        protected int peekData(DatagramPacket p) throws IOException {
            throw unused();
        }

        @Override
        protected void receive(DatagramPacket p) throws IOException {
            throw unused();
        }

        @Override
        @Deprecated
        protected void setTTL(byte ttl) throws IOException {
            throw unused();
        }

        @Override
        @Deprecated
        protected byte getTTL() throws IOException {
            throw unused();
        }

        @Override
        protected void setTimeToLive(int ttl) throws IOException {
            throw unused();
        }

        @Override
        protected int getTimeToLive() throws IOException {
            throw unused();
        }

        @Override
        protected void join(InetAddress inetaddr) throws IOException {
            throw unused();
        }

        @Override
        protected void leave(InetAddress inetaddr) throws IOException {
            throw unused();
        }

        @Override
        protected void joinGroup(SocketAddress mcastaddr, NetworkInterface netIf) throws IOException {
            throw unused();
        }

        @Override
        protected void leaveGroup(SocketAddress mcastaddr, NetworkInterface netIf) throws IOException {
            throw unused();
        }

        @Override
        protected void close() {
            // Nothing was ever opened.
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
