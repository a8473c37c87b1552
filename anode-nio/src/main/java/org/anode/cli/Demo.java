package org.anode.cli;

import java.io.IOException;
import java.io.PrintStream;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.anode.address.AnodeIdentity;
import org.anode.address.Zone;
import org.anode.nio.AnodeNode;
import org.anode.nio.AnodeNodeConfig;
import org.anode.nio.AnodeSocketAddress;

/**
 * The demo behind {@code anode demo}: several nodes on loopback find each other by endpoint hints,
 * ping (draft 4.2.2), exchange datagrams through an ordinary NIO selector loop (4.2.10) and move a
 * checksummed payload over a stream (section 5), all through the standard java.nio API.
 */
final class Demo {
    private static final int ECHO_PORT = 7;
    private static final int STREAM_PORT = 80;
    private static final Duration TIMEOUT = Duration.ofSeconds(10);

    private Demo() {}

    static int run(List<String> args, PrintStream out, PrintStream err) throws IOException {
        int n = 3;
        int streamBytes = 8 << 20;
        for (int i = 0; i < args.size(); i++) {
            String a = args.get(i);
            if ((a.equals("--nodes") || a.equals("--mib")) && i + 1 < args.size()) {
                int v;
                try {
                    v = Integer.parseInt(args.get(++i));
                } catch (NumberFormatException e) {
                    err.println("anode demo: " + a + " needs a number");
                    return 2;
                }
                if (a.equals("--nodes")) {
                    if (v < 2 || v > 16) {
                        err.println("anode demo: --nodes must be 2..16");
                        return 2;
                    }
                    n = v;
                } else {
                    if (v < 1 || v > 1024) {
                        err.println("anode demo: --mib must be 1..1024");
                        return 2;
                    }
                    streamBytes = v << 20;
                }
            } else {
                err.println("anode demo: unexpected argument '" + a + "' (try --nodes N, --mib M)");
                return 2;
            }
        }
        List<AnodeNode> nodes = new ArrayList<>();
        ExecutorService pool = Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "anode-demo");
            t.setDaemon(true);
            return t;
        });
        try {
            out.println("Anode demo: " + n + " nodes on 127.0.0.1, each with a fresh P-256 identity");
            AnodeNodeConfig config = AnodeNodeConfig.builder()
                    .bind(InetAddress.getLoopbackAddress(), 0)
                    .build();
            for (int i = 0; i < n; i++) {
                AnodeNode node = AnodeNode.start(AnodeIdentity.generate(Zone.DEFAULT), config);
                nodes.add(node);
                out.printf(
                        "  node %c  %s  udp %s%n",
                        name(i), node.address(), node.localEndpoints().get(0));
            }
            // No zones or LAN discovery yet: tell every node where the others are.
            for (AnodeNode a : nodes) {
                for (AnodeNode b : nodes) {
                    if (a != b) {
                        a.addPeerEndpoint(b.address(), b.localEndpoints().get(0));
                    }
                }
            }

            out.println();
            out.println("PING / PONG (draft 4.2.2): every pair, first contact includes key agreement");
            for (int i = 0; i < n; i++) {
                for (int j = 0; j < n; j++) {
                    if (i != j) {
                        Duration rtt = nodes.get(i).ping(nodes.get(j).address(), TIMEOUT);
                        out.printf("  %c -> %c  %8.3f ms%n", name(i), name(j), rtt.toNanos() / 1e6);
                    }
                }
            }

            out.println();
            out.println("DGRAM (draft 4.2.10): node A runs a selector-loop echo service on port " + ECHO_PORT);
            final int peers = n - 1;
            // Bind before any client sends: a DGRAM to an unbound port is dropped, as over UDP.
            DatagramChannel echoChannel = nodes.get(0).selectorProvider().openDatagramChannel();
            echoChannel.bind(AnodeSocketAddress.of(nodes.get(0).address(), ECHO_PORT));
            Future<?> echo = pool.submit(() -> {
                datagramEcho(nodes.get(0), echoChannel, peers);
                return null;
            });
            for (int i = 1; i < n; i++) {
                AnodeNode node = nodes.get(i);
                try (DatagramChannel ch = node.selectorProvider().openDatagramChannel()) {
                    ch.bind(null);
                    String msg = "hello from node " + name(i);
                    long t0 = System.nanoTime();
                    ch.send(
                            ByteBuffer.wrap(msg.getBytes(StandardCharsets.UTF_8)),
                            AnodeSocketAddress.of(nodes.get(0).address(), ECHO_PORT));
                    ByteBuffer back = receiveWithTimeout(ch, node);
                    String reply = StandardCharsets.UTF_8.decode(back).toString();
                    out.printf(
                            "  %c sent \"%s\", echo \"%s\" after %.3f ms%n",
                            name(i), msg, reply, (System.nanoTime() - t0) / 1e6);
                    if (!reply.equals(msg)) {
                        err.println("anode demo: echo mismatch");
                        return 1;
                    }
                }
            }
            echo.get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);

            out.println();
            out.printf(
                    "STREAM (draft 5): node %c sends %d MiB to node B port %d, which echoes it back%n",
                    name(n - 1), streamBytes >> 20, STREAM_PORT);
            streamDemo(nodes.get(1), nodes.get(n - 1), streamBytes, pool, out);

            out.println();
            for (int i = 0; i < n; i++) {
                AnodeNode.Statistics s = nodes.get(i).statistics();
                out.printf(
                        "  node %c: %d packets in, %d authenticated, %d dropped as forged or malformed%n",
                        name(i), s.received(), s.accepted(), s.authFailed() + s.malformed());
            }
            out.println("done.");
            return 0;
        } catch (java.util.concurrent.TimeoutException e) {
            err.println("anode demo: timed out");
            return 1;
        } catch (java.util.concurrent.ExecutionException e) {
            err.println("anode demo: " + e.getCause());
            return 1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return 1;
        } catch (IOException | RuntimeException e) {
            throw e;
        } catch (Exception e) {
            err.println("anode demo: " + e);
            return 1;
        } finally {
            for (AnodeNode node : nodes) {
                node.close();
            }
            pool.shutdownNow();
        }
    }

    private static char name(int i) {
        return (char) ('A' + i);
    }

    /** A textbook non-blocking NIO echo loop; only the provider is Anode's. */
    private static void datagramEcho(AnodeNode node, DatagramChannel ch, int expected) throws IOException {
        try (Selector sel = node.selectorProvider().openSelector();
                ch) {
            ch.configureBlocking(false);
            ch.register(sel, SelectionKey.OP_READ);
            ByteBuffer buf = ByteBuffer.allocate(2048);
            int served = 0;
            long deadline = System.nanoTime() + TIMEOUT.toNanos();
            while (served < expected && System.nanoTime() < deadline) {
                if (sel.select(200) == 0) {
                    continue;
                }
                sel.selectedKeys().clear();
                java.net.SocketAddress from;
                while ((from = ch.receive(buf.clear())) != null) {
                    ch.send(buf.flip(), from);
                    served++;
                }
            }
        }
    }

    private static ByteBuffer receiveWithTimeout(DatagramChannel ch, AnodeNode node) throws IOException {
        try (Selector sel = node.selectorProvider().openSelector()) {
            ch.configureBlocking(false);
            ch.register(sel, SelectionKey.OP_READ);
            ByteBuffer buf = ByteBuffer.allocate(2048);
            if (sel.select(TIMEOUT.toMillis()) == 0 || ch.receive(buf) == null) {
                throw new IOException("no echo within " + TIMEOUT);
            }
            return buf.flip();
        }
    }

    private static void streamDemo(AnodeNode server, AnodeNode client, int size, ExecutorService pool, PrintStream out)
            throws Exception {
        ServerSocketChannel listener;
        try {
            listener = server.selectorProvider().openServerSocketChannel();
        } catch (IOException e) {
            out.println("  streams unavailable on this node: " + e.getMessage());
            return;
        }
        try (ServerSocketChannel ssc = listener) {
            ssc.bind(AnodeSocketAddress.of(server.address(), STREAM_PORT));
            Future<?> serving = pool.submit(() -> {
                try (SocketChannel s = ssc.accept()) {
                    ByteBuffer buf = ByteBuffer.allocateDirect(64 * 1024);
                    while (s.read(buf.clear()) >= 0) {
                        buf.flip();
                        while (buf.hasRemaining()) {
                            s.write(buf);
                        }
                    }
                }
                return null;
            });
            byte[] data = new byte[size];
            new Random(42).nextBytes(data);
            long t0 = System.nanoTime();
            try (SocketChannel c = client.selectorProvider().openSocketChannel()) {
                c.connect(AnodeSocketAddress.of(server.address(), STREAM_PORT));
                long connected = System.nanoTime();
                Future<byte[]> reading = pool.submit(() -> {
                    MessageDigest md = sha256();
                    ByteBuffer buf = ByteBuffer.allocate(64 * 1024);
                    long total = 0;
                    while (total < size) {
                        int r = c.read(buf.clear());
                        if (r < 0) {
                            break;
                        }
                        md.update(buf.array(), 0, r);
                        total += r;
                    }
                    return md.digest();
                });
                ByteBuffer src = ByteBuffer.wrap(data);
                while (src.hasRemaining()) {
                    c.write(src);
                }
                c.shutdownOutput();
                byte[] echoed = reading.get(60, TimeUnit.SECONDS);
                long t1 = System.nanoTime();
                byte[] expected = sha256().digest(data);
                out.printf(
                        "  connected in %.3f ms; %d MiB there and back in %.1f ms (%.1f MB/s each way)%n",
                        (connected - t0) / 1e6, size >> 20, (t1 - connected) / 1e6, size / ((t1 - connected) / 1e3));
                out.printf(
                        "  sha-256 sent     %s%n  sha-256 returned %s  %s%n",
                        HexFormat.of().formatHex(expected),
                        HexFormat.of().formatHex(echoed),
                        Arrays.equals(expected, echoed) ? "(match)" : "(MISMATCH)");
                if (!Arrays.equals(expected, echoed)) {
                    throw new IOException("stream echo corrupted");
                }
            }
            serving.get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        }
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
