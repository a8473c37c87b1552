package org.anode.nio;

import java.io.IOException;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.net.ProtocolFamily;
import java.net.SocketAddress;
import java.net.SocketOption;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.DatagramChannel;
import java.nio.channels.MembershipKey;
import java.nio.channels.UnsupportedAddressTypeException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * A datagram channel of {@link AnodeSystemSelectorProvider}: backed by a JDK datagram channel until,
 * while still unbound, it binds, connects or sends to an Anode address; from then on it is an Anode
 * DGRAM channel (draft 4.2.10) of the provider's node. A channel bound to IP cannot also reach Anode
 * addresses ({@link UnsupportedAddressTypeException}); multicast is IP only. {@link #socket()} is the
 * adaptor of the channel in use at the time of the call.
 */
final class AnodeSystemDatagramChannel extends DatagramChannel implements AnodeSelectable {
    private final AnodeSystemSelectorProvider sys;
    private final Readiness readiness = new Readiness();
    private final Map<SocketOption<?>, Object> optionsSet = new LinkedHashMap<>();
    private final Object switchLock = new Object();
    private volatile DatagramChannel cur;
    private volatile boolean anode;

    AnodeSystemDatagramChannel(AnodeSystemSelectorProvider sys, ProtocolFamily family) throws IOException {
        super(sys);
        this.sys = sys;
        this.cur = family == null ? sys.jdk().openDatagramChannel() : sys.jdk().openDatagramChannel(family);
    }

    /** Switches to Anode if {@code target} is an Anode address; returns the address to use. */
    private SocketAddress route(SocketAddress target) throws IOException {
        AnodeSocketAddress a = AnodeSystemSelectorProvider.anodeOf(target);
        if (a == null) {
            return target;
        }
        if (!anode) {
            switchToAnode();
        }
        return a;
    }

    private void switchToAnode() throws IOException {
        synchronized (switchLock) {
            if (anode) {
                return;
            }
            if (!isOpen()) {
                throw new ClosedChannelException();
            }
            DatagramChannel old = cur;
            if (old.getLocalAddress() != null) {
                throw new UnsupportedAddressTypeException();
            }
            DatagramChannel a = sys.node().selectorProvider().openDatagramChannel();
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
    private static <T> void setOn(DatagramChannel ch, SocketOption<T> name, Object value) {
        try {
            ch.setOption(name, (T) value);
        } catch (IOException | RuntimeException e) {
            // An IP option without meaning for DGRAM messages: the Anode channel keeps its default.
        }
    }

    @Override
    public DatagramChannel bind(SocketAddress local) throws IOException {
        cur.bind(route(local));
        return this;
    }

    @Override
    public <T> DatagramChannel setOption(SocketOption<T> name, T value) throws IOException {
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
    public DatagramSocket socket() {
        return cur.socket();
    }

    @Override
    public boolean isConnected() {
        return cur.isConnected();
    }

    @Override
    public DatagramChannel connect(SocketAddress remote) throws IOException {
        cur.connect(route(remote));
        return this;
    }

    @Override
    public DatagramChannel disconnect() throws IOException {
        cur.disconnect();
        return this;
    }

    @Override
    public SocketAddress getRemoteAddress() throws IOException {
        return cur.getRemoteAddress();
    }

    @Override
    public SocketAddress receive(ByteBuffer dst) throws IOException {
        return cur.receive(dst);
    }

    @Override
    public int send(ByteBuffer src, SocketAddress target) throws IOException {
        SocketAddress t = route(target);
        if (!anode && t != target) {
            throw new UnsupportedAddressTypeException();
        }
        return cur.send(src, t);
    }

    @Override
    public int read(ByteBuffer dst) throws IOException {
        return cur.read(dst);
    }

    @Override
    public long read(ByteBuffer[] dsts, int offset, int length) throws IOException {
        return cur.read(dsts, offset, length);
    }

    @Override
    public int write(ByteBuffer src) throws IOException {
        return cur.write(src);
    }

    @Override
    public long write(ByteBuffer[] srcs, int offset, int length) throws IOException {
        return cur.write(srcs, offset, length);
    }

    @Override
    public SocketAddress getLocalAddress() throws IOException {
        return cur.getLocalAddress();
    }

    @Override
    public MembershipKey join(InetAddress group, NetworkInterface interf) throws IOException {
        return cur.join(group, interf);
    }

    @Override
    public MembershipKey join(InetAddress group, NetworkInterface interf, InetAddress source) throws IOException {
        return cur.join(group, interf, source);
    }

    @Override
    protected void implCloseSelectableChannel() throws IOException {
        synchronized (switchLock) {
            cur.close();
        }
        readiness.signal();
    }

    /** See {@link AnodeSystemSocketChannel}: cancelled keys release their inner keys first. */
    @Override
    protected void implConfigureBlocking(boolean block) throws IOException {
        if (block) {
            readiness.cancelInnerOfInvalidKeys();
        }
        cur.configureBlocking(block);
    }

    @Override
    public int readyOps() {
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
        DatagramChannel c = cur;
        return c instanceof AnodeSelectable ? null : c;
    }

    @Override
    public String toString() {
        return "AnodeSystemDatagramChannel[" + cur + "]";
    }
}
