package org.anode.nio;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.anode.address.AnodeAddress;
import org.anode.address.AnodeIdentity;
import org.anode.address.Zone;
import org.anode.wire.AddressField;
import org.anode.wire.MessageType;
import org.anode.wire.PacketWriter;

/** Shared helpers for the node tests: nodes on 127.0.0.1 with ephemeral ports only. */
final class NodeTestSupport implements AutoCloseable {
    static final InetAddress LOOPBACK = loopback();
    private final List<AutoCloseable> closeables = new ArrayList<>();

    private static InetAddress loopback() {
        try {
            return InetAddress.getByAddress(new byte[] {127, 0, 0, 1});
        } catch (java.net.UnknownHostException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * A hand-made packet of a first contact: begun in a fresh 512-byte buffer from {@code from}'s
     * full address to {@code to}'s short id, peer id 1, hop count 0. The caller writes the
     * payload, then finishes it with {@code w} (or fills the MAC field itself) and takes
     * {@link #bytes}.
     */
    static ByteBuffer firstContact(PacketWriter w, AnodeIdentity from, AnodeAddress to, MessageType type)
            throws Exception {
        ByteBuffer buf = ByteBuffer.allocate(512);
        w.begin(buf, 0, false, AddressField.full(from.address()), AddressField.shortOf(to), 1, 0, type);
        return buf;
    }

    /** The packet written into {@code buf} (flipped here) as an array. */
    static byte[] bytes(ByteBuffer buf) {
        buf.flip();
        byte[] p = new byte[buf.remaining()];
        buf.get(p);
        return p;
    }

    /**
     * A node on 127.0.0.1 with an ephemeral port and without LAN discovery: discovery's fixed port
     * (8737) and loopback broadcasts would reach every test JVM on the host, so the tests of
     * discovery turn it on themselves with a port of their own.
     */
    static AnodeNodeConfig.Builder loopbackConfig() {
        return AnodeNodeConfig.builder()
                .bind(new InetSocketAddress(LOOPBACK, 0))
                .lan(false);
    }

    AnodeNode node() throws IOException {
        return node(loopbackConfig().build());
    }

    AnodeNode node(AnodeNodeConfig config) throws IOException {
        AnodeNode n = AnodeNode.start(AnodeIdentity.generate(Zone.DEFAULT), config);
        closeables.add(n);
        return n;
    }

    AnodeNode node(AnodeIdentity identity, AnodeNodeConfig config) throws IOException {
        AnodeNode n = AnodeNode.start(identity, config);
        closeables.add(n);
        return n;
    }

    /** Tells each node where the other is. */
    static void introduce(AnodeNode a, AnodeNode b) throws IOException {
        a.addPeerEndpoint(b.address(), b.localEndpoints().get(0));
        b.addPeerEndpoint(a.address(), a.localEndpoints().get(0));
    }

    <T extends AutoCloseable> T track(T c) {
        closeables.add(c);
        return c;
    }

    static ByteBuffer utf8(String s) {
        return ByteBuffer.wrap(s.getBytes(StandardCharsets.UTF_8));
    }

    static String utf8(ByteBuffer b) {
        b.flip();
        byte[] a = new byte[b.remaining()];
        b.get(a);
        return new String(a, StandardCharsets.UTF_8);
    }

    @Override
    public void close() {
        for (int i = closeables.size() - 1; i >= 0; i--) {
            try {
                closeables.get(i).close();
            } catch (Exception e) {
                // Best effort: the test result is what matters.
            }
        }
    }
}
