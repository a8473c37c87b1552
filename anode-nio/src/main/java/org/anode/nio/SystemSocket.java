package org.anode.nio;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.net.SocketAddress;
import java.net.SocketException;
import java.net.SocketOption;
import java.net.StandardSocketOptions;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.IllegalBlockingModeException;
import java.nio.channels.SocketChannel;
import java.util.Set;

/**
 * The socket adaptor of {@link AnodeSystemSocketChannel}: every call goes to the adaptor of the channel
 * in use at the time (the JDK's, or the Anode stream adaptor of draft section 5), except
 * {@link #connect}, which picks the kind as the channel's own connect does, and {@link #getChannel()}.
 * Options are set through the channel so that they follow it to an Anode channel.
 */
final class SystemSocket extends Socket {
    private final AnodeSystemSocketChannel ch;

    SystemSocket(AnodeSystemSocketChannel ch) throws SocketException {
        super(AnodeSocket.UnusedImpl.INSTANCE);
        this.ch = ch;
    }

    private Socket t() {
        return ch.current().socket();
    }

    private static SocketException translate(IOException e) {
        if (e instanceof SocketException s) {
            return s;
        }
        SocketException s =
                new SocketException(e instanceof ClosedChannelException ? "Socket is closed" : e.getMessage());
        s.initCause(e);
        return s;
    }

    private <T> void set(SocketOption<T> name, T value) throws SocketException {
        try {
            ch.setOption(name, value);
        } catch (IOException e) {
            throw translate(e);
        }
    }

    @Override
    public void connect(SocketAddress endpoint) throws IOException {
        connect(endpoint, 0);
    }

    @Override
    public void connect(SocketAddress endpoint, int timeout) throws IOException {
        if (!ch.isBlocking()) {
            throw new IllegalBlockingModeException();
        }
        AnodeSocketAddress a = AnodeSystemSelectorProvider.anodeOf(endpoint);
        if (a != null) {
            ch.switchToAnode();
            t().connect(a, timeout);
        } else {
            t().connect(endpoint, timeout);
        }
    }

    @Override
    public void bind(SocketAddress bindpoint) throws IOException {
        try {
            ch.bind(bindpoint);
        } catch (IOException e) {
            throw translate(e);
        }
    }

    @Override
    public InetAddress getInetAddress() {
        return t().getInetAddress();
    }

    @Override
    public InetAddress getLocalAddress() {
        return t().getLocalAddress();
    }

    @Override
    public int getPort() {
        return t().getPort();
    }

    @Override
    public int getLocalPort() {
        return t().getLocalPort();
    }

    @Override
    public SocketAddress getRemoteSocketAddress() {
        return t().getRemoteSocketAddress();
    }

    @Override
    public SocketAddress getLocalSocketAddress() {
        return t().getLocalSocketAddress();
    }

    @Override
    public SocketChannel getChannel() {
        return ch;
    }

    @Override
    public boolean isConnected() {
        return t().isConnected();
    }

    @Override
    public boolean isBound() {
        return t().isBound();
    }

    @Override
    public boolean isClosed() {
        return !ch.isOpen();
    }

    @Override
    public boolean isInputShutdown() {
        return t().isInputShutdown();
    }

    @Override
    public boolean isOutputShutdown() {
        return t().isOutputShutdown();
    }

    @Override
    public void close() throws IOException {
        ch.close();
    }

    @Override
    public void shutdownInput() throws IOException {
        t().shutdownInput();
    }

    @Override
    public void shutdownOutput() throws IOException {
        t().shutdownOutput();
    }

    @Override
    public InputStream getInputStream() throws IOException {
        return t().getInputStream();
    }

    @Override
    public OutputStream getOutputStream() throws IOException {
        return t().getOutputStream();
    }

    @Override
    public void setTcpNoDelay(boolean on) throws SocketException {
        set(StandardSocketOptions.TCP_NODELAY, on);
    }

    @Override
    public boolean getTcpNoDelay() throws SocketException {
        return t().getTcpNoDelay();
    }

    @Override
    public void setSoLinger(boolean on, int linger) throws SocketException {
        set(StandardSocketOptions.SO_LINGER, on ? Math.min(linger, 65535) : -1);
    }

    @Override
    public int getSoLinger() throws SocketException {
        return t().getSoLinger();
    }

    @Override
    public void sendUrgentData(int data) throws IOException {
        t().sendUrgentData(data);
    }

    @Override
    public void setOOBInline(boolean on) throws SocketException {
        t().setOOBInline(on);
    }

    @Override
    public boolean getOOBInline() throws SocketException {
        return t().getOOBInline();
    }

    @Override
    public void setSoTimeout(int timeout) throws SocketException {
        t().setSoTimeout(timeout);
    }

    @Override
    public int getSoTimeout() throws SocketException {
        return t().getSoTimeout();
    }

    @Override
    public void setSendBufferSize(int size) throws SocketException {
        if (size <= 0) {
            throw new IllegalArgumentException("Invalid send size");
        }
        set(StandardSocketOptions.SO_SNDBUF, size);
    }

    @Override
    public int getSendBufferSize() throws SocketException {
        return t().getSendBufferSize();
    }

    @Override
    public void setReceiveBufferSize(int size) throws SocketException {
        if (size <= 0) {
            throw new IllegalArgumentException("Invalid receive size");
        }
        set(StandardSocketOptions.SO_RCVBUF, size);
    }

    @Override
    public int getReceiveBufferSize() throws SocketException {
        return t().getReceiveBufferSize();
    }

    @Override
    public void setKeepAlive(boolean on) throws SocketException {
        set(StandardSocketOptions.SO_KEEPALIVE, on);
    }

    @Override
    public boolean getKeepAlive() throws SocketException {
        return t().getKeepAlive();
    }

    @Override
    public void setTrafficClass(int tc) throws SocketException {
        set(StandardSocketOptions.IP_TOS, tc);
    }

    @Override
    public int getTrafficClass() throws SocketException {
        return t().getTrafficClass();
    }

    @Override
    public void setReuseAddress(boolean on) throws SocketException {
        set(StandardSocketOptions.SO_REUSEADDR, on);
    }

    @Override
    public boolean getReuseAddress() throws SocketException {
        return t().getReuseAddress();
    }

    @Override
    public void setPerformancePreferences(int connectionTime, int latency, int bandwidth) {
        t().setPerformancePreferences(connectionTime, latency, bandwidth);
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
        return t().toString();
    }
}
