package org.anode.nio;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.anode.address.AnodeIdentity;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * One identity on two devices (draft 3.4, DECISIONS 41), on loopback through a zone relay: nodes
 * with peer ids 1 and 2 both register, a third node opens streams to each by peer id and every
 * stream stays with the device it was opened to (each device's echo names itself), a datagram to
 * peer id 0 reaches one of them, and the streams to one device keep working when the other goes.
 */
@Timeout(120)
class PeerIdLoopbackTest {
    /** A stream echo on port 7 that first says which device it is. */
    private static Thread echo(AnodeNode n, int peerId) throws IOException {
        AnodeServerSocketChannel ss = AnodeServerSocketChannel.open(n);
        ss.bind(AnodeSocketAddress.of(n.address(), 7));
        Thread t = new Thread(() -> {
            while (ss.isOpen()) {
                try {
                    AnodeSocketChannel ch = ss.accept();
                    Thread c = new Thread(() -> {
                        try (ch) {
                            ByteBuffer hello = ByteBuffer.wrap(new byte[] {(byte) peerId});
                            while (hello.hasRemaining()) {
                                ch.write(hello);
                            }
                            ByteBuffer b = ByteBuffer.allocate(8192);
                            while (ch.read(b) >= 0) {
                                b.flip();
                                while (b.hasRemaining()) {
                                    ch.write(b);
                                }
                                b.clear();
                            }
                            ch.shutdownOutput();
                        } catch (IOException e) {
                            // The device went away.
                        }
                    });
                    c.setDaemon(true);
                    c.start();
                } catch (IOException e) {
                    return;
                }
            }
        });
        t.setDaemon(true);
        t.start();
        return t;
    }

    /** Opens a stream to {@code peerId}'s device, sends {@code n} bytes, returns (device, bytes echoed). */
    private static int[] roundTrip(AnodeNode c, AnodeSocketAddress to, int n) throws IOException {
        try (AnodeSocketChannel ch = AnodeSocketChannel.open(c)) {
            ch.connect(to);
            ByteBuffer data = ByteBuffer.allocate(n);
            for (int i = 0; i < n; i++) {
                data.put((byte) i);
            }
            data.flip();
            while (data.hasRemaining()) {
                ch.write(data);
            }
            ch.shutdownOutput();
            ByteBuffer in = ByteBuffer.allocate(n + 1);
            while (in.hasRemaining() && ch.read(in) >= 0) {
                // Reading until all came back.
            }
            in.flip();
            int device = in.get();
            for (int i = 0; in.hasRemaining(); i++) {
                assertEquals((byte) i, in.get(), "echoed byte " + i);
            }
            return new int[] {device, in.limit() - 1};
        }
    }

    @Test
    void streamsStayWithTheirDeviceAndSurviveTheOthersDeparture(@TempDir Path dir) throws Exception {
        try (NodeTestSupport nodes = new NodeTestSupport()) {
            AnodeNode relay = nodes.node(
                    AnodeIdentity.generate(RelayLoopbackTest.ZONE),
                    NodeTestSupport.loopbackConfig()
                            .relay(RelayLimits.defaults())
                            .announce(false)
                            .lan(false)
                            .build());
            Path zone = RelayLoopbackTest.writeZoneFile(
                    dir, relay.address(), relay.localEndpoints().get(0).getPort());
            AnodeIdentity x = AnodeIdentity.generate(RelayLoopbackTest.ZONE);
            AnodeNode d1 =
                    nodes.node(x, RelayLoopbackTest.config(zone).peerId(1).build());
            AnodeNode d2 =
                    nodes.node(x, RelayLoopbackTest.config(zone).peerId(2).build());
            AnodeNode c = nodes.node(
                    AnodeIdentity.generate(RelayLoopbackTest.ZONE),
                    RelayLoopbackTest.config(zone).build());
            StreamTestSupport.awaitTrue(() -> relay.relayStatistics().registrations() >= 3, 10_000);
            assertEquals(3, relay.relayStatistics().registrations(), "(X, 1), (X, 2) and C");
            echo(d1, 1);
            echo(d2, 2);

            AnodeSocketAddress echoX = AnodeSocketAddress.of(x.address(), 7);
            // Alternating devices, several times: each stream is answered by the device it names.
            for (int round = 0; round < 3; round++) {
                for (int device = 1; device <= 2; device++) {
                    int[] r = roundTrip(c, echoX.withPeerId(device), 20_000);
                    assertEquals(device, r[0], "round " + round);
                    assertEquals(20_000, r[1]);
                }
            }
            // Two at once, one to each, interleaved on the wire.
            List<Thread> ts = new ArrayList<>();
            int[][] results = new int[2][];
            for (int device = 1; device <= 2; device++) {
                int d = device;
                Thread t = new Thread(() -> {
                    try {
                        results[d - 1] = roundTrip(c, echoX.withPeerId(d), 300_000);
                    } catch (IOException e) {
                        throw new java.io.UncheckedIOException(e);
                    }
                });
                t.start();
                ts.add(t);
            }
            for (Thread t : ts) {
                t.join(60_000);
            }
            assertEquals(1, results[0][0]);
            assertEquals(2, results[1][0]);
            assertEquals(300_000, results[0][1]);
            assertEquals(300_000, results[1][1]);

            // Peer id 0: a datagram reaches one of them (the relay picks, draft 3.4).
            List<AnodeDatagramChannel> dgs = new ArrayList<>();
            for (AnodeNode d : new AnodeNode[] {d1, d2}) {
                AnodeDatagramChannel ch = d.openDatagramChannel();
                ch.bind(AnodeSocketAddress.of(x.address(), 9));
                ch.configureBlocking(false);
                dgs.add(ch);
            }
            try (AnodeDatagramChannel out = c.openDatagramChannel()) {
                out.bind(AnodeSocketAddress.of(c.address(), 0));
                out.send(NodeTestSupport.utf8("to any"), AnodeSocketAddress.of(x.address(), 9));
                ByteBuffer in = ByteBuffer.allocate(100);
                int got = 0;
                long deadline = System.nanoTime() + 10_000_000_000L;
                while (got == 0 && System.nanoTime() < deadline) {
                    for (AnodeDatagramChannel ch : dgs) {
                        in.clear();
                        if (ch.receive(in) != null) {
                            got++;
                        }
                    }
                    Thread.sleep(5);
                }
                Thread.sleep(200);
                for (AnodeDatagramChannel ch : dgs) {
                    in.clear();
                    if (ch.receive(in) != null) {
                        got++;
                    }
                }
                assertEquals(1, got, "exactly one device got the datagram");
            }

            // Device 1 goes away: streams to device 2 go on working.
            d1.close();
            for (int round = 0; round < 3; round++) {
                int[] r = roundTrip(c, echoX.withPeerId(2), 20_000);
                assertEquals(2, r[0]);
                assertEquals(20_000, r[1]);
            }
        }
    }
}
