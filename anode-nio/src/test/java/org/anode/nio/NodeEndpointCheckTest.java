package org.anode.nio;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import org.anode.wire.MessageType;
import org.anode.wire.PacketFormat;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Endpoint checks over real UDP on 127.0.0.1 (draft 4.2.4 EPC_REQ, 4.2.5 EPC; DECISIONS 29): a
 * captured packet replayed from another socket must not move a peer's traffic there, while a
 * peer whose NAT mapping really moved is followed once the new endpoint answered the check.
 */
@Timeout(60)
class NodeEndpointCheckTest {

    /**
     * A NAT made of JDK sockets: node a sends to {@link #inside}; its packets leave towards b from
     * the current outside socket, and what b sends to that socket goes back to a from inside.
     * {@link #rebind()} switches to a second outside socket (a new mapping); packets that reach the
     * old one afterwards are dropped, as by a NAT that forgot the mapping. Every packet from a is
     * recorded (an eavesdropper's capture).
     */
    static final class Nat implements AutoCloseable {
        final DatagramChannel inside;
        final DatagramChannel out1;
        final DatagramChannel out2;
        final Selector selector;
        final InetSocketAddress a;
        final InetSocketAddress b;
        final List<byte[]> captured = new CopyOnWriteArrayList<>();
        final AtomicLong droppedAtOldMapping = new AtomicLong();
        volatile DatagramChannel current;
        volatile boolean stop;
        final Thread thread;

        Nat(InetSocketAddress a, InetSocketAddress b) throws IOException {
            this.a = a;
            this.b = b;
            selector = Selector.open();
            inside = open();
            out1 = open();
            out2 = open();
            current = out1;
            thread = new Thread(this::run, "test-nat");
            thread.setDaemon(true);
            thread.start();
        }

        private DatagramChannel open() throws IOException {
            DatagramChannel ch = DatagramChannel.open();
            ch.bind(new InetSocketAddress(NodeTestSupport.LOOPBACK, 0));
            ch.configureBlocking(false);
            ch.register(selector, SelectionKey.OP_READ);
            return ch;
        }

        static InetSocketAddress addressOf(DatagramChannel ch) throws IOException {
            return (InetSocketAddress) ch.getLocalAddress();
        }

        void rebind() {
            current = out2;
        }

        private void run() {
            ByteBuffer buf = ByteBuffer.allocate(65536);
            try {
                while (!stop) {
                    selector.select(20);
                    for (SelectionKey k : selector.selectedKeys()) {
                        DatagramChannel ch = (DatagramChannel) k.channel();
                        for (int i = 0; i < 64; i++) {
                            buf.clear();
                            SocketAddress src = ch.receive(buf);
                            if (src == null) {
                                break;
                            }
                            buf.flip();
                            if (ch == inside) {
                                byte[] copy = new byte[buf.remaining()];
                                buf.duplicate().get(copy);
                                captured.add(copy);
                                current.send(buf, b);
                            } else if (ch == current) {
                                inside.send(buf, a);
                            } else {
                                droppedAtOldMapping.incrementAndGet();
                            }
                        }
                    }
                    selector.selectedKeys().clear();
                }
            } catch (IOException e) {
                // closed at the end of the test
            }
        }

        @Override
        public void close() throws Exception {
            stop = true;
            selector.wakeup();
            thread.join(5000);
            selector.close();
            inside.close();
            out1.close();
            out2.close();
        }
    }

    /** Receives one datagram within a bounded wait, or null. */
    static String receive(AnodeDatagramChannel ch, long millis) throws IOException {
        ch.socket().setSoTimeout((int) millis);
        java.net.DatagramPacket p = new java.net.DatagramPacket(new byte[2048], 2048);
        try {
            ch.socket().receive(p);
        } catch (java.net.SocketTimeoutException e) {
            return null;
        }
        return new String(p.getData(), 0, p.getLength(), java.nio.charset.StandardCharsets.UTF_8);
    }

    static void send(AnodeDatagramChannel ch, String s, AnodeSocketAddress to) throws IOException {
        ch.send(NodeTestSupport.utf8(s), to);
    }

    /** Sends {@code s} until {@code to} receives it (UDP may lose a packet); returns the attempts. */
    static void deliver(AnodeDatagramChannel from, String s, AnodeSocketAddress to, AnodeDatagramChannel at)
            throws IOException {
        for (int attempt = 0; attempt < 10; attempt++) {
            send(from, s, to);
            String got;
            while ((got = receive(at, 500)) != null) {
                if (got.equals(s)) {
                    return;
                }
            }
        }
        throw new AssertionError("\"" + s + "\" never arrived");
    }

    static MessageType typeOf(ByteBuffer packet) throws Exception {
        int flags = packet.get(1) & 0xff;
        return MessageType.fromCode(packet.get(PacketFormat.headerLength(flags) - 1) & 0xff);
    }

    @Test
    void replayFromAnotherSocketDoesNotMoveTrafficButARebindingIsFollowedAfterTheCheck() throws Exception {
        try (NodeTestSupport t = new NodeTestSupport()) {
            AnodeNode a = t.node();
            AnodeNode b = t.node();
            Nat nat = t.track(
                    new Nat(a.localEndpoints().get(0), b.localEndpoints().get(0)));
            DatagramChannel attacker = t.track(DatagramChannel.open());
            attacker.bind(new InetSocketAddress(NodeTestSupport.LOOPBACK, 0));
            // a knows where b is (through its NAT); b learns a from a's first packet.
            a.addPeerEndpoint(b.address(), Nat.addressOf(nat.inside));
            AnodeDatagramChannel server = t.track(b.openDatagramChannel());
            server.bind(AnodeSocketAddress.of(b.address(), 7));
            AnodeDatagramChannel client = t.track(a.openDatagramChannel());
            client.bind(AnodeSocketAddress.of(a.address(), 8));
            AnodeSocketAddress toServer = AnodeSocketAddress.of(b.address(), 7);
            AnodeSocketAddress toClient = AnodeSocketAddress.of(a.address(), 8);

            deliver(client, "hello", toServer, server);
            InetSocketAddress mapping1 = Nat.addressOf(nat.out1);
            assertEquals(List.of(mapping1), b.peerEndpoints(a.address()), "a's first endpoint, as seen by b");
            deliver(server, "hi", toClient, client);

            // The eavesdropper replays a captured, valid packet of a from its own socket.
            byte[] capture = nat.captured.get(0);
            attacker.send(ByteBuffer.wrap(capture), b.localEndpoints().get(0));
            attacker.socket().setSoTimeout(5000);
            java.net.DatagramPacket check = new java.net.DatagramPacket(new byte[2048], 2048);
            attacker.socket().receive(check); // b checks the new source (SocketTimeoutException if not)
            assertEquals(
                    MessageType.EPC_REQ,
                    typeOf(ByteBuffer.wrap(check.getData(), 0, check.getLength())),
                    "an endpoint check, nothing else");
            // b keeps sending to a's proven endpoint: the datagram reaches a, not the attacker.
            deliver(server, "still here", toClient, client);
            assertEquals(mapping1, b.peerEndpoints(a.address()).get(0));
            attacker.configureBlocking(false);
            ByteBuffer in = ByteBuffer.allocate(2048);
            while (attacker.receive(in) != null) {
                in.flip();
                assertEquals(MessageType.EPC_REQ, typeOf(in), "the attacker got some of a's traffic");
                in.clear();
            }

            // a's NAT mapping moves: b checks the new endpoint, a answers, b follows.
            nat.rebind();
            InetSocketAddress mapping2 = Nat.addressOf(nat.out2);
            long deadline = System.nanoTime() + 10_000_000_000L;
            int n = 0;
            while (!b.peerEndpoints(a.address()).get(0).equals(mapping2)) {
                assertTrue(System.nanoTime() < deadline, "b never followed a: " + b.peerEndpoints(a.address()));
                send(client, "moved " + n++, toServer);
                Thread.sleep(50);
            }
            assertTrue(b.statistics().endpointsProven() >= 1, b.statistics().toString());
            deliver(server, "followed", toClient, client);
            assertTrue(b.peerEndpoints(a.address()).contains(mapping1), "the old endpoint is kept, ranked lower");
        }
    }
}
