package org.anode.nio;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.channels.spi.SelectorProvider;
import java.security.KeyStore;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLEngineResult;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLSession;
import javax.net.ssl.TrustManagerFactory;
import org.anode.address.AnodeIdentity;
import org.anode.address.Zone;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The JDK's {@link SSLEngine} over an Anode stream (draft section 5): Anode authenticates packets
 * but does not encrypt them (DECISIONS 28), so an application that needs confidentiality runs TLS
 * over the stream exactly as it would over a TCP {@link SocketChannel}. The same code runs over the
 * JDK's TCP as the control.
 *
 * <p>The server's key and self-signed certificate come from a PKCS12 keystore committed under
 * {@code src/test/resources/tls}, made once with the JDK's keytool:
 * <pre>
 * keytool -genkeypair -alias anode-test-server -keyalg EC -groupname secp256r1 -sigalg SHA256withECDSA \
 *     -dname "CN=anode-test-server" -validity 36500 -keystore anode-test-server.p12 -storetype PKCS12 \
 *     -storepass anode-test -keypass anode-test
 * </pre>
 * The client trusts exactly that certificate (pinning): an Anode address names a key, not a host,
 * so there is no host name to verify.
 */
@Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class TlsOverAnodeTest {
    private static final char[] PASSWORD = "anode-test".toCharArray();
    private static final int CLIENT_BYTES = 1 << 20;
    private static final int SERVER_BYTES = 512 * 1024;

    /** Blocking TLS over a blocking byte channel: the textbook SSLEngine loop, bounded. */
    static final class TlsConnection {
        private static final int MAX_STEPS = 1_000_000;
        private final SocketChannel channel;
        private final SSLEngine engine;
        private final ByteBuffer netIn;
        private final ByteBuffer netOut;
        private ByteBuffer appIn;
        private boolean peerClosed;

        TlsConnection(SocketChannel channel, SSLEngine engine) {
            this.channel = channel;
            this.engine = engine;
            SSLSession s = engine.getSession();
            this.netIn = ByteBuffer.allocate(s.getPacketBufferSize());
            this.netOut = ByteBuffer.allocate(s.getPacketBufferSize());
            this.appIn = ByteBuffer.allocate(s.getApplicationBufferSize());
            this.appIn.flip(); // read mode, empty
        }

        void handshake() throws IOException {
            engine.beginHandshake();
            SSLEngineResult.HandshakeStatus hs = engine.getHandshakeStatus();
            for (int step = 0; step < MAX_STEPS; step++) {
                switch (hs) {
                    case NEED_WRAP -> hs = wrap(ByteBuffer.allocate(0)).getHandshakeStatus();
                    case NEED_UNWRAP, NEED_UNWRAP_AGAIN -> {
                        SSLEngineResult r = unwrapOnce();
                        if (r == null) {
                            throw new EOFException("stream ended during the TLS handshake");
                        }
                        hs = r.getHandshakeStatus();
                    }
                    case NEED_TASK -> {
                        Runnable task;
                        while ((task = engine.getDelegatedTask()) != null) {
                            task.run();
                        }
                        hs = engine.getHandshakeStatus();
                    }
                    case FINISHED, NOT_HANDSHAKING -> {
                        return;
                    }
                    default -> throw new IllegalStateException(hs.toString());
                }
            }
            throw new IllegalStateException("handshake did not finish");
        }

        /** Encrypts and sends all of {@code src}. */
        void write(ByteBuffer src) throws IOException {
            for (int step = 0; step < MAX_STEPS && src.hasRemaining(); step++) {
                wrap(src);
            }
            if (src.hasRemaining()) {
                throw new IllegalStateException("write made no progress");
            }
        }

        private SSLEngineResult wrap(ByteBuffer src) throws IOException {
            netOut.clear();
            SSLEngineResult r = engine.wrap(src, netOut);
            if (r.getStatus() != SSLEngineResult.Status.OK && r.getStatus() != SSLEngineResult.Status.CLOSED) {
                throw new SSLException("wrap: " + r);
            }
            netOut.flip();
            writeFully(netOut);
            runTasks();
            return r;
        }

        private void writeFully(ByteBuffer b) throws IOException {
            for (int step = 0; step < MAX_STEPS && b.hasRemaining(); step++) {
                channel.write(b);
            }
            if (b.hasRemaining()) {
                throw new IllegalStateException("blocking write made no progress");
            }
        }

        private void runTasks() {
            Runnable task;
            while ((task = engine.getDelegatedTask()) != null) {
                task.run();
            }
        }

        /**
         * One unwrap step, reading from the channel when a whole record is not buffered yet.
         * Returns null when the stream ends (raw end-of-stream) before a record is complete.
         */
        private SSLEngineResult unwrapOnce() throws IOException {
            for (int step = 0; step < MAX_STEPS; step++) {
                netIn.flip();
                appIn.compact();
                SSLEngineResult r;
                try {
                    r = engine.unwrap(netIn, appIn);
                } finally {
                    netIn.compact();
                    appIn.flip();
                }
                switch (r.getStatus()) {
                    case OK, CLOSED -> {
                        runTasks();
                        return r;
                    }
                    case BUFFER_UNDERFLOW -> {
                        if (channel.read(netIn) < 0) {
                            return null;
                        }
                    }
                    case BUFFER_OVERFLOW -> {
                        ByteBuffer bigger = ByteBuffer.allocate(
                                appIn.remaining() + engine.getSession().getApplicationBufferSize());
                        bigger.put(appIn).flip();
                        appIn = bigger;
                    }
                    default -> throw new IllegalStateException(r.toString());
                }
            }
            throw new IllegalStateException("unwrap made no progress");
        }

        /** Reads decrypted bytes into {@code dst}; -1 once the peer's close_notify arrived. */
        int read(ByteBuffer dst) throws IOException {
            for (int step = 0; step < MAX_STEPS; step++) {
                if (appIn.hasRemaining()) {
                    int n = Math.min(appIn.remaining(), dst.remaining());
                    ByteBuffer slice = appIn.slice();
                    slice.limit(n);
                    dst.put(slice);
                    appIn.position(appIn.position() + n);
                    return n;
                }
                if (peerClosed) {
                    return -1;
                }
                SSLEngineResult r = unwrapOnce();
                if (r == null) {
                    throw new EOFException("stream ended without close_notify (truncation)");
                }
                if (r.getStatus() == SSLEngineResult.Status.CLOSED) {
                    peerClosed = true;
                    // TLS 1.2 answers a close_notify with its own at once.
                    if (engine.getHandshakeStatus() == SSLEngineResult.HandshakeStatus.NEED_WRAP) {
                        wrap(ByteBuffer.allocate(0));
                    }
                }
            }
            throw new IllegalStateException("read made no progress");
        }

        void readFully(ByteBuffer dst) throws IOException {
            for (int step = 0; step < MAX_STEPS && dst.hasRemaining(); step++) {
                if (read(dst) < 0) {
                    throw new EOFException("close_notify before " + dst.remaining() + " more bytes");
                }
            }
        }

        /** Sends close_notify (once). */
        void closeOutbound() throws IOException {
            engine.closeOutbound();
            for (int step = 0; step < 16 && !engine.isOutboundDone(); step++) {
                wrap(ByteBuffer.allocate(0));
            }
        }

        boolean inboundDone() {
            return engine.isInboundDone();
        }

        boolean outboundDone() {
            return engine.isOutboundDone();
        }
    }

    static SSLContext serverContext() throws Exception {
        KeyStore ks = keyStore();
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(ks, PASSWORD);
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(kmf.getKeyManagers(), null, null);
        return ctx;
    }

    /** A client context that trusts exactly the test server's certificate. */
    static SSLContext clientContext() throws Exception {
        KeyStore trust = KeyStore.getInstance("PKCS12");
        trust.load(null, null);
        trust.setCertificateEntry("server", keyStore().getCertificate("anode-test-server"));
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(trust);
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(null, tmf.getTrustManagers(), null);
        return ctx;
    }

    private static KeyStore keyStore() throws Exception {
        KeyStore ks = KeyStore.getInstance("PKCS12");
        try (InputStream in = TlsOverAnodeTest.class.getResourceAsStream("/tls/anode-test-server.p12")) {
            assertNotNull(in, "test keystore on the class path");
            ks.load(in, PASSWORD);
        }
        return ks;
    }

    /** Two nodes that know each other (Anode) or the JDK's TCP: providers and a bind address. */
    private record Sides(SelectorProvider server, SelectorProvider client, SocketAddress bind) {}

    private static Sides sides(String transport, List<AutoCloseable> closeables) throws IOException {
        InetAddress loopback = InetAddress.getByAddress(new byte[] {127, 0, 0, 1});
        if (transport.equals("JDK_TCP")) {
            return new Sides(
                    SelectorProvider.provider(), SelectorProvider.provider(), new InetSocketAddress(loopback, 0));
        }
        AnodeNodeConfig cfg = AnodeNodeConfig.builder()
                .bind(new InetSocketAddress(loopback, 0))
                .build();
        AnodeNode a = AnodeNode.start(AnodeIdentity.generate(Zone.DEFAULT), cfg);
        closeables.add(a);
        AnodeNode b = AnodeNode.start(AnodeIdentity.generate(Zone.DEFAULT), cfg);
        closeables.add(b);
        a.addPeerEndpoint(b.address(), b.localEndpoints().get(0));
        b.addPeerEndpoint(a.address(), a.localEndpoints().get(0));
        return new Sides(a.selectorProvider(), b.selectorProvider(), AnodeSocketAddress.of(a.address(), 443));
    }

    private static byte[] sha256(byte[] a) throws Exception {
        return MessageDigest.getInstance("SHA-256").digest(a);
    }

    /**
     * Handshake, 1 MiB client-to-server and 512 KiB server-to-client through TLS, each checked by
     * SHA-256, then close_notify both ways and end-of-stream on the stream underneath.
     */
    @ParameterizedTest(name = "{0} {1}")
    @CsvSource({"ANODE, TLSv1.3", "ANODE, TLSv1.2", "JDK_TCP, TLSv1.3", "JDK_TCP, TLSv1.2"})
    void handshakeExchangeAndCloseNotify(String transport, String protocol) throws Exception {
        List<AutoCloseable> closeables = new ArrayList<>();
        ExecutorService pool = Executors.newSingleThreadExecutor();
        try {
            Sides sides = sides(transport, closeables);
            ServerSocketChannel listener = sides.server().openServerSocketChannel();
            closeables.add(listener);
            listener.bind(sides.bind());
            SocketAddress serverAddress = listener.getLocalAddress();
            byte[] clientData = new byte[CLIENT_BYTES];
            new Random(1).nextBytes(clientData);
            byte[] serverData = new byte[SERVER_BYTES];
            new Random(2).nextBytes(serverData);

            Future<String> server = pool.submit(() -> {
                try (SocketChannel ch = listener.accept()) {
                    SSLEngine engine = serverContext().createSSLEngine();
                    engine.setUseClientMode(false);
                    engine.setEnabledProtocols(new String[] {protocol});
                    TlsConnection tls = new TlsConnection(ch, engine);
                    tls.handshake();
                    ByteBuffer got = ByteBuffer.allocate(CLIENT_BYTES);
                    tls.readFully(got);
                    tls.write(ByteBuffer.wrap(sha256(got.array())));
                    tls.write(ByteBuffer.wrap(serverData));
                    // The client's close_notify, then ours.
                    ByteBuffer rest = ByteBuffer.allocate(16);
                    assertEquals(-1, tls.read(rest), "nothing after the client's data but close_notify");
                    assertTrue(tls.inboundDone());
                    tls.closeOutbound();
                    assertTrue(tls.outboundDone());
                    // Then the client closes the stream: plain end-of-stream underneath.
                    ByteBuffer raw = ByteBuffer.allocate(16);
                    assertEquals(-1, ch.read(raw), "the stream ends after TLS closed");
                    return engine.getSession().getProtocol();
                }
            });

            try (SocketChannel ch = sides.client().openSocketChannel()) {
                assertTrue(ch.connect(serverAddress));
                SSLEngine engine = clientContext().createSSLEngine();
                engine.setUseClientMode(true);
                engine.setEnabledProtocols(new String[] {protocol});
                TlsConnection tls = new TlsConnection(ch, engine);
                tls.handshake();
                assertEquals(protocol, engine.getSession().getProtocol());
                tls.write(ByteBuffer.wrap(clientData));
                ByteBuffer digest = ByteBuffer.allocate(32);
                tls.readFully(digest);
                assertArrayEquals(sha256(clientData), digest.array(), "the server got our 1 MiB intact");
                ByteBuffer got = ByteBuffer.allocate(SERVER_BYTES);
                tls.readFully(got);
                assertArrayEquals(sha256(serverData), sha256(got.array()), "we got the server's 512 KiB intact");
                tls.closeOutbound();
                assertEquals(-1, tls.read(ByteBuffer.allocate(16)), "the server's close_notify");
                assertTrue(tls.inboundDone());
                assertTrue(tls.outboundDone());
            }
            assertEquals(protocol, server.get(30, TimeUnit.SECONDS));
        } finally {
            pool.shutdownNow();
            for (int i = closeables.size() - 1; i >= 0; i--) {
                closeables.get(i).close();
            }
            assertTrue(pool.awaitTermination(10, TimeUnit.SECONDS));
        }
    }

    /** A client that does not trust the server's certificate refuses it: the handshake fails. */
    @ParameterizedTest
    @CsvSource({"ANODE", "JDK_TCP"})
    void untrustedServerCertificateFailsTheHandshake(String transport) throws Exception {
        List<AutoCloseable> closeables = new ArrayList<>();
        ExecutorService pool = Executors.newSingleThreadExecutor();
        try {
            Sides sides = sides(transport, closeables);
            ServerSocketChannel listener = sides.server().openServerSocketChannel();
            closeables.add(listener);
            listener.bind(sides.bind());
            Future<Boolean> server = pool.submit(() -> {
                try (SocketChannel ch = listener.accept()) {
                    SSLEngine engine = serverContext().createSSLEngine();
                    engine.setUseClientMode(false);
                    TlsConnection tls = new TlsConnection(ch, engine);
                    try {
                        tls.handshake();
                        return true;
                    } catch (IOException expected) {
                        return false;
                    }
                }
            });
            // The JDK's default trust store: public CAs, not our self-signed certificate.
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init((KeyStore) null);
            SSLContext trustsOthers = SSLContext.getInstance("TLS");
            trustsOthers.init(null, tmf.getTrustManagers(), null);
            try (SocketChannel ch = sides.client().openSocketChannel()) {
                assertTrue(ch.connect(listener.getLocalAddress()));
                SSLEngine engine = trustsOthers.createSSLEngine();
                engine.setUseClientMode(true);
                TlsConnection tls = new TlsConnection(ch, engine);
                assertThrows(SSLException.class, tls::handshake);
                // Send the alert the engine queued, as an application would, then close.
                try {
                    tls.closeOutbound();
                } catch (IOException ignored) {
                    // The engine may have nothing more to send.
                }
            }
            assertFalse(server.get(30, TimeUnit.SECONDS), "the server's handshake fails too");
        } finally {
            pool.shutdownNow();
            for (int i = closeables.size() - 1; i >= 0; i--) {
                closeables.get(i).close();
            }
            assertTrue(pool.awaitTermination(10, TimeUnit.SECONDS));
        }
    }
}
