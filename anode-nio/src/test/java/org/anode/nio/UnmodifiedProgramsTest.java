package org.anode.nio;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.anode.address.AnodeIdentity;
import org.anode.address.Zone;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 15 acceptance: unmodified programs ({@link UnmodifiedPrograms}) in two child JVMs, a server
 * node and a client node on 127.0.0.1 that know each other's UDP endpoint ({@code anode.peers}),
 * talking over Anode with nothing but JVM flags: a stock Netty 4.1 echo server and client, and the
 * JDK's HttpClient fetching from the JDK's own HTTP server. The servers bind wildcard addresses; with
 * {@code anode.listenWildcard=true} they listen on IP and on the Anode port of the same number.
 */
@Timeout(value = 240, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class UnmodifiedProgramsTest {
    @TempDir
    Path dir;

    private AnodeIdentity serverId;
    private AnodeIdentity clientId;
    private List<String> serverFlags;
    private List<String> clientFlags;

    @BeforeEach
    void identities() throws IOException {
        serverId = AnodeIdentity.generate(Zone.DEFAULT);
        clientId = AnodeIdentity.generate(Zone.DEFAULT);
        Path s = dir.resolve("server.id");
        Path c = dir.resolve("client.id");
        serverId.store(s);
        clientId.store(c);
        int us = freeUdpPort();
        int uc = freeUdpPort();
        serverFlags = new ArrayList<>(ChildJvm.PROVIDER_FLAGS);
        serverFlags.addAll(List.of(
                "-Danode.identity=" + s,
                "-Danode.bind=127.0.0.1:" + us,
                "-Danode.peers=" + clientId.address() + "@127.0.0.1:" + uc,
                "-Danode.listenWildcard=true"));
        clientFlags = new ArrayList<>(ChildJvm.PROVIDER_FLAGS);
        clientFlags.addAll(List.of(
                "-Danode.identity=" + c,
                "-Danode.bind=127.0.0.1:" + uc,
                "-Danode.peers=" + serverId.address() + "@127.0.0.1:" + us));
    }

    private static int freeUdpPort() throws IOException {
        try (DatagramSocket d = new DatagramSocket(new InetSocketAddress("127.0.0.1", 0))) {
            return d.getLocalPort();
        }
    }

    private static int freeTcpPort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    private static List<Path> resolverPath() {
        Path r = ChildJvm.resolverClasses();
        if (System.getProperty("anode.resolverClasses") != null
                && Runtime.version().feature() >= 18) {
            // A JDK 18+ build compiles the resolver: the name variants must run, not vanish.
            assertTrue(r != null, "resolver classes missing from " + System.getProperty("anode.resolverClasses"));
        }
        return r == null ? List.of() : List.of(r);
    }

    private String syntheticLiteral() {
        return AnodeSocketAddress.syntheticAddress(serverId.address()).getHostAddress();
    }

    /**
     * Stock Netty 4.1 echo server and client: the client connects to the server's synthetic IPv6
     * literal (every JDK: a configured peer's synthetic address maps back to it), and on JDK 18+ with
     * the resolver jar to {@code <address>.anode} as well; it also reaches the same server over TCP.
     */
    @Test
    void nettyEchoServerAndClientOverAnode() throws Exception {
        int port = freeTcpPort();
        try (ChildJvm server = ChildJvm.start(
                null, resolverPath(), serverFlags, UnmodifiedPrograms.NettyEchoServer.class, Integer.toString(port))) {
            server.awaitLine("READY", 60);
            List<String> hosts = new ArrayList<>(List.of(syntheticLiteral()));
            if (!resolverPath().isEmpty()) {
                hosts.add(AnodeNames.nameOf(serverId.address()));
            }
            for (String host : hosts) {
                try (ChildJvm client = ChildJvm.start(
                        null,
                        resolverPath(),
                        clientFlags,
                        UnmodifiedPrograms.NettyEchoClient.class,
                        host,
                        Integer.toString(port),
                        "hello-" + host.length())) {
                    String line = client.awaitLine("ECHO", 90);
                    assertTrue(line.startsWith("ECHO hello-" + host.length() + " REMOTE "), line);
                    assertTrue(line.contains(serverId.address().toString()), "remote is the Anode address: " + line);
                    assertEquals(0, client.awaitExit(30), client.stderr());
                }
            }
            // The same unmodified server still serves IP.
            try (ChildJvm client = ChildJvm.start(
                    null,
                    List.of(),
                    clientFlags,
                    UnmodifiedPrograms.NettyEchoClient.class,
                    "127.0.0.1",
                    Integer.toString(port),
                    "over-tcp")) {
                String line = client.awaitLine("ECHO", 90);
                assertTrue(line.startsWith("ECHO over-tcp REMOTE /127.0.0.1:" + port), line);
                assertEquals(0, client.awaitExit(30), client.stderr());
            }
        }
    }

    /** Without the export the program stops at its first NIO use with an error naming the flag. */
    @Test
    void missingExportFlagIsNamed() throws Exception {
        List<String> flags =
                List.of("-Djava.nio.channels.spi.SelectorProvider=org.anode.nio.AnodeSystemSelectorProvider");
        try (ChildJvm c =
                ChildJvm.start(null, List.of(), flags, UnmodifiedPrograms.JdkHttpClient.class, "http://127.0.0.1:9/")) {
            assertTrue(c.awaitExit(60) != 0);
            assertTrue(c.stderr().contains("--add-exports java.base/sun.nio.ch=ALL-UNNAMED"), c.stderr());
        }
    }

    /**
     * The JDK's HttpClient fetches {@code http://<address>.anode:<port>/} from the JDK's own HTTP
     * server, both unmodified. On JDK 17 the name does not resolve, so HttpClient hands the channel
     * an unresolved address, which names the Anode address itself; on JDK 18+ the resolver jar
     * resolves it to the synthetic address.
     */
    @Test
    void jdkHttpClientFetchesFromJdkHttpServerOverAnode() throws Exception {
        int port = freeTcpPort();
        try (ChildJvm server = ChildJvm.start(
                null, resolverPath(), serverFlags, UnmodifiedPrograms.JdkHttpServer.class, Integer.toString(port))) {
            server.awaitLine("READY", 60);
            String url = "http://" + AnodeNames.nameOf(serverId.address()) + ":" + port + "/";
            try (ChildJvm client =
                    ChildJvm.start(null, resolverPath(), clientFlags, UnmodifiedPrograms.JdkHttpClient.class, url)) {
                String line = client.awaitLine("STATUS", 90);
                assertEquals("STATUS 200 BODY hello from " + port, line);
                assertEquals(0, client.awaitExit(30), client.stderr());
            }
            // The same unmodified server still serves IP.
            try (ChildJvm client = ChildJvm.start(
                    null,
                    List.of(),
                    clientFlags,
                    UnmodifiedPrograms.JdkHttpClient.class,
                    "http://127.0.0.1:" + port + "/")) {
                assertEquals("STATUS 200 BODY hello from " + port, client.awaitLine("STATUS", 90));
                assertEquals(0, client.awaitExit(30), client.stderr());
            }
            String literalUrl = "http://[" + syntheticLiteral() + "]:" + port + "/";
            try (ChildJvm client =
                    ChildJvm.start(null, List.of(), clientFlags, UnmodifiedPrograms.JdkHttpClient.class, literalUrl)) {
                assertEquals("STATUS 200 BODY hello from " + port, client.awaitLine("STATUS", 90));
                assertEquals(0, client.awaitExit(30), client.stderr());
            }
        }
        assertTrue(Files.exists(dir.resolve("server.id")));
    }
}
