package org.anode.bench.net;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.anode.address.AnodeIdentity;
import org.anode.address.Zone;
import org.anode.linkemu.LinkEmulator;
import org.anode.linkemu.LinkProfile;
import org.anode.nio.AnodeNode;
import org.anode.nio.AnodeNodeConfig;
import org.anode.nio.AnodeServerSocketChannel;
import org.anode.nio.AnodeSocketAddress;
import org.anode.nio.AnodeSocketChannel;
import tech.kwik.core.QuicClientConnection;
import tech.kwik.core.QuicConnection;
import tech.kwik.core.QuicStream;
import tech.kwik.core.log.NullLogger;
import tech.kwik.core.server.ApplicationProtocolConnection;
import tech.kwik.core.server.ApplicationProtocolConnectionFactory;
import tech.kwik.core.server.ServerConnectionConfig;
import tech.kwik.core.server.ServerConnector;

/**
 * One-stream goodput of Anode (draft section 5 streams, BBR by default) and of kwik 0.10.3 (QUIC,
 * pure Java) through the same userspace link emulator with netem's semantics, at random loss
 * {0, 1, 5, 10}% each way x one-way delay {1, 10, 50} ms, in one run; plus Anode with NewReno at 5%
 * / 10 ms as the loss-based baseline. Each cell: a fresh connection, the sender writes as fast as
 * it can, the receiver counts bytes for {@code seconds} (default 4) after the connection is up -
 * start-up included, as an application would see it.
 * Usage: {@code java -cp bench/target/benchmarks.jar org.anode.bench.net.LossyPathBench [seconds=4]
 * [only=anode,kwik,newreno]}. Prints a markdown table.
 */
public final class LossyPathBench {
    private static final long MS = 1_000_000L;
    private static final int CHUNK = 64 * 1024;

    private LossyPathBench() {}

    public static void main(String[] args) throws Exception {
        int seconds = 4;
        String only = "anode,kwik,newreno";
        for (String a : args) {
            if (a.startsWith("seconds=")) {
                seconds = Integer.parseInt(a.substring(8));
            } else if (a.startsWith("only=")) {
                only = a.substring(5);
            }
        }
        double[] losses = {0, 0.01, 0.05, 0.10};
        int[] delays = {1, 10, 50};
        Path ks = keyStore();
        List<String> rows = new ArrayList<>();
        rows.add("| loss | one-way delay | Anode (BBR) MB/s | kwik MB/s | Anode / kwik |");
        rows.add("|---|---|---|---|---|");
        for (double loss : losses) {
            for (int delay : delays) {
                LinkProfile p = LinkProfile.CLEAN.withLoss(loss).withDelay(delay * MS, 0);
                double anode = only.contains("anode") ? anode(p, seconds, 1) : Double.NaN;
                double kwik = only.contains("kwik") ? kwik(p, seconds, ks, 2) : Double.NaN;
                String row = String.format(
                        Locale.ROOT,
                        "| %.0f%% | %d ms | %.2f | %.2f | %.2f |",
                        loss * 100,
                        delay,
                        anode / 1e6,
                        kwik / 1e6,
                        anode / kwik);
                System.out.println(row);
                rows.add(row);
            }
        }
        if (only.contains("newreno")) {
            LinkProfile p = LinkProfile.CLEAN.withLoss(0.05).withDelay(10 * MS, 0);
            System.setProperty("anode.stream.cc", "newreno");
            double reno;
            try {
                reno = anode(p, seconds, 3);
            } finally {
                System.clearProperty("anode.stream.cc");
            }
            rows.add("");
            rows.add(String.format(
                    Locale.ROOT, "Anode with NewReno (loss-based) at 5%% / 10 ms: %.3f MB/s", reno / 1e6));
        }
        System.out.println();
        rows.forEach(System.out::println);
    }

    /** Anode's goodput in bytes per second through an emulator with profile {@code p}. */
    static double anode(LinkProfile p, int seconds, long seed) throws Exception {
        AnodeNodeConfig cfg = AnodeNodeConfig.builder()
                .bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))
                .build();
        try (AnodeNode client = AnodeNode.start(AnodeIdentity.generate(Zone.DEFAULT), cfg);
                AnodeNode server = AnodeNode.start(AnodeIdentity.generate(Zone.DEFAULT), cfg);
                LinkEmulator emu = new LinkEmulator(
                        client.localEndpoints().get(0), server.localEndpoints().get(0), seed)) {
            emu.setProfile(p);
            client.addPeerEndpoint(server.address(), emu.addressForA());
            server.addPeerEndpoint(client.address(), emu.addressForB());
            try (AnodeServerSocketChannel listener = AnodeServerSocketChannel.open(server)) {
                listener.bind(AnodeSocketAddress.of(server.address(), 0), 4);
                try (AnodeSocketChannel c =
                                AnodeSocketChannel.open(client, (AnodeSocketAddress) listener.getLocalAddress());
                        AnodeSocketChannel s = listener.accept()) {
                    AtomicBoolean stop = new AtomicBoolean();
                    Thread writer = new Thread(
                            () -> {
                                ByteBuffer b = ByteBuffer.allocate(CHUNK);
                                try {
                                    while (!stop.get()) {
                                        b.clear();
                                        c.write(b);
                                    }
                                } catch (IOException e) {
                                    // Closed at the end of the cell.
                                }
                            },
                            "anode-writer");
                    writer.setDaemon(true);
                    writer.start();
                    ByteBuffer r = ByteBuffer.allocate(CHUNK);
                    long got = 0;
                    long end = System.nanoTime() + seconds * 1_000_000_000L;
                    s.socket().setSoTimeout(500);
                    InputStream in = s.socket().getInputStream();
                    byte[] buf = new byte[CHUNK];
                    while (System.nanoTime() < end) {
                        try {
                            int n = in.read(buf);
                            if (n < 0) {
                                break;
                            }
                            got += n;
                        } catch (java.net.SocketTimeoutException e) {
                            // Nothing within 500 ms: check the clock and wait again.
                        }
                    }
                    stop.set(true);
                    return got / (double) seconds;
                }
            }
        }
    }

    /** kwik's goodput through an emulator with profile {@code p}. */
    static double kwik(LinkProfile p, int seconds, Path ksFile, long seed) throws Exception {
        KeyStore ks = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(ksFile)) {
            ks.load(in, "secret".toCharArray());
        }
        java.net.DatagramSocket serverSocket =
                new java.net.DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        AtomicLong got = new AtomicLong();
        AtomicLong firstByte = new AtomicLong();
        ServerConnector server = ServerConnector.builder()
                .withPort(serverSocket.getLocalPort())
                .withSocket(serverSocket)
                .withKeyStore(ks, "bench", "secret".toCharArray())
                .withConfiguration(ServerConnectionConfig.builder()
                        .maxIdleTimeoutInSeconds(30)
                        .maxOpenPeerInitiatedBidirectionalStreams(4)
                        .maxBidirectionalStreamBufferSize(4_000_000)
                        .maxConnectionBufferSize(8_000_000)
                        .retryRequired(false)
                        .build())
                .withLogger(new NullLogger())
                .build();
        server.registerApplicationProtocol("bench", new ApplicationProtocolConnectionFactory() {
            @Override
            public ApplicationProtocolConnection createConnection(String protocol, QuicConnection conn) {
                return new ApplicationProtocolConnection() {
                    @Override
                    public void acceptPeerInitiatedStream(QuicStream stream) {
                        Thread t = new Thread(
                                () -> {
                                    byte[] buf = new byte[CHUNK];
                                    try (InputStream in = stream.getInputStream()) {
                                        for (int n; (n = in.read(buf)) >= 0; ) {
                                            firstByte.compareAndSet(0, System.nanoTime());
                                            got.addAndGet(n);
                                        }
                                    } catch (IOException e) {
                                        // The connection closes at the end of the cell.
                                    }
                                },
                                "kwik-reader");
                        t.setDaemon(true);
                        t.start();
                    }
                };
            }

            @Override
            public int maxConcurrentPeerInitiatedBidirectionalStreams() {
                return 4;
            }
        });
        server.start();
        try (LinkEmulator emu =
                new LinkEmulator(null, (InetSocketAddress) serverSocket.getLocalSocketAddress(), seed)) {
            emu.setProfile(p);
            InetSocketAddress a = emu.addressForA();
            QuicClientConnection conn = QuicClientConnection.newBuilder()
                    .uri(URI.create("https://127.0.0.1:" + a.getPort()))
                    .applicationProtocol("bench")
                    .noServerCertificateCheck()
                    .connectTimeout(java.time.Duration.ofSeconds(20))
                    .logger(new NullLogger())
                    .build();
            conn.connect();
            QuicStream stream = conn.createStream(true);
            AtomicBoolean stop = new AtomicBoolean();
            Thread writer = new Thread(
                    () -> {
                        byte[] b = new byte[CHUNK];
                        try (OutputStream out = stream.getOutputStream()) {
                            while (!stop.get()) {
                                out.write(b);
                            }
                        } catch (IOException e) {
                            // Closed at the end of the cell.
                        }
                    },
                    "kwik-writer");
            writer.setDaemon(true);
            writer.start();
            long start = System.nanoTime();
            long end = start + seconds * 1_000_000_000L;
            while (System.nanoTime() < end) {
                TimeUnit.MILLISECONDS.sleep(50);
            }
            long bytes = got.get();
            stop.set(true);
            conn.close();
            return bytes / (double) seconds;
        } finally {
            server.close();
            serverSocket.close();
        }
    }

    /** A PKCS12 key store with a self-signed RSA certificate for the kwik server (keytool). */
    private static Path keyStore() throws Exception {
        Path dir = Files.createTempDirectory("lossy-bench");
        Path f = dir.resolve("bench.p12");
        String keytool =
                Path.of(System.getProperty("java.home"), "bin", "keytool").toString();
        Process pr = new ProcessBuilder(
                        keytool,
                        "-genkeypair",
                        "-alias",
                        "bench",
                        "-keyalg",
                        "RSA",
                        "-keysize",
                        "2048",
                        "-dname",
                        "CN=localhost",
                        "-validity",
                        "2",
                        "-storetype",
                        "PKCS12",
                        "-keystore",
                        f.toString(),
                        "-storepass",
                        "secret",
                        "-keypass",
                        "secret")
                .redirectErrorStream(true)
                .start();
        pr.getInputStream().transferTo(OutputStream.nullOutputStream());
        if (!pr.waitFor(60, TimeUnit.SECONDS) || pr.exitValue() != 0) {
            throw new IOException("keytool failed");
        }
        f.toFile().deleteOnExit();
        dir.toFile().deleteOnExit();
        return f;
    }
}
