package org.anode.nio;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.anode.address.AnodeAddress;
import org.anode.address.AnodeIdentity;
import org.anode.address.Zone;
import org.anode.zone.ZoneFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A node follows its zone file without a restart (DECISIONS 32, addendum A11), on loopback with
 * the zone file served over HTTP: when the file changes to name another relay, the node moves
 * there once the file's TTL has passed; when its relay dies, the next relay of the file takes
 * over for the nodes it served and for those looking for them.
 */
@Timeout(180)
class RelayFailoverLoopbackTest {
    static final Zone ZONE = RelayLoopbackTest.ZONE;

    /** Serves {@code file} at /z on an ephemeral 127.0.0.1 port. */
    static HttpServer serve(AtomicReference<ZoneFile> file) throws IOException {
        HttpServer s = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        s.createContext("/z", x -> {
            byte[] body = file.get().toBytes();
            x.getResponseHeaders().add("Content-Type", "text/plain");
            x.sendResponseHeaders(200, body.length);
            x.getResponseBody().write(body);
            x.close();
        });
        s.start();
        return s;
    }

    static ZoneFile zoneFile(long revision, AnodeNode... relays) throws IOException {
        ZoneFile.Builder b = ZoneFile.builder()
                .name("test")
                .description("failover test zone")
                .contact("test@example.org")
                .revision(revision)
                .ttl(Duration.ofSeconds(60));
        for (AnodeNode r : relays) {
            int port = r.localEndpoints().get(0).getPort();
            b.relay(List.of(InetAddress.getByAddress(new byte[] {127, 0, 0, 1})), port, port, List.of(r.address()));
        }
        return b.build();
    }

    static AnodeNode relay(NodeTestSupport nodes) throws IOException {
        return nodes.node(
                AnodeIdentity.generate(ZONE),
                NodeTestSupport.loopbackConfig()
                        .lan(false)
                        .relay(RelayLimits.defaults())
                        .announce(false)
                        .build());
    }

    static AnodeNodeConfig config(HttpServer http) {
        return NodeTestSupport.loopbackConfig()
                .lan(false)
                .zoneSource(ZONE, "http://127.0.0.1:" + http.getAddress().getPort() + "/z")
                .announceInterval(Duration.ofMillis(300))
                .build();
    }

    /** An identity of the zone whose designated relay among {@code n} is {@code index}. */
    static AnodeIdentity identityAt(int index, int n) {
        for (int i = 0; i < 10_000; i++) {
            AnodeIdentity id = AnodeIdentity.generate(ZONE);
            if (ZoneFile.relayIndex(id.address(), n) == index) {
                return id;
            }
        }
        throw new AssertionError("no identity found");
    }

    /** Pings until an answer comes (paths are being re-found), at most {@code attempts} times. */
    static void pingEventually(AnodeNode from, AnodeAddress to, int attempts) throws Exception {
        List<String> failures = new ArrayList<>();
        for (int i = 0; i < attempts; i++) {
            try {
                from.ping(to, Duration.ofSeconds(5));
                return;
            } catch (IOException e) {
                failures.add(e.getMessage());
            }
        }
        throw new AssertionError("no answer after " + attempts + " attempts: " + failures);
    }

    /**
     * A zone relay restarts (same identity, same port, empty tables). Its nodes kept sending it
     * their short sender id (draft 3.2), which the new process cannot authenticate; the first
     * keepalive PING it leaves unanswered ends that (Peer#senderForm), so the next one carries the
     * full address and registers the node again - seconds after the restart, not the draft's 60 s
     * answer timeout. Keepalives every 300 ms here; each PING times out after 3 s.
     */
    @Test
    void aRestartedRelayHasItsNodesBackWithinSeconds() throws Exception {
        try (NodeTestSupport nodes = new NodeTestSupport()) {
            AnodeIdentity relayId = AnodeIdentity.generate(ZONE);
            AnodeNodeConfig relayConfig = NodeTestSupport.loopbackConfig()
                    .relay(RelayLimits.defaults())
                    .announce(false)
                    .build();
            AnodeNode r1 = nodes.node(relayId, relayConfig);
            int port = r1.localEndpoints().get(0).getPort();
            AtomicReference<ZoneFile> served = new AtomicReference<>(zoneFile(1, r1));
            HttpServer http = serve(served);
            try {
                AnodeNodeConfig c = NodeTestSupport.loopbackConfig()
                        .zoneSource(
                                ZONE, "http://127.0.0.1:" + http.getAddress().getPort() + "/z")
                        .announceInterval(Duration.ofMillis(300))
                        .natTraversal(false)
                        .build();
                AnodeNode a = nodes.node(AnodeIdentity.generate(ZONE), c);
                AnodeNode b = nodes.node(AnodeIdentity.generate(ZONE), c);
                StreamTestSupport.awaitTrue(() -> r1.relayStatistics().registrations() >= 2, 10_000);
                pingEventually(a, b.address(), 3);

                r1.close();
                AnodeNode r2 = nodes.node(
                        relayId,
                        NodeTestSupport.loopbackConfig()
                                .bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port))
                                .relay(RelayLimits.defaults())
                                .announce(false)
                                .build());
                long t0 = System.nanoTime();
                // Without the early end of the short form this takes the 60 s answer timeout.
                pingWithin(a, b.address(), Duration.ofSeconds(20));
                pingWithin(b, a.address(), Duration.ofSeconds(20));
                long ms = (System.nanoTime() - t0) / 1_000_000;
                AnodePath p = a.pathTo(b.address()).orElseThrow();
                assertEquals(r2.address(), p.relay().orElseThrow(), p.toString());
                System.out.println("both nodes reachable through the restarted relay after " + ms + " ms");
            } finally {
                http.stop(0);
            }
        }
    }

    /** Pings (2 s each) until one is answered, failing after {@code limit}. */
    static void pingWithin(AnodeNode from, AnodeAddress to, Duration limit) throws Exception {
        long deadline = System.nanoTime() + limit.toNanos();
        List<String> failures = new ArrayList<>();
        while (System.nanoTime() - deadline < 0) {
            try {
                from.ping(to, Duration.ofSeconds(2));
                return;
            } catch (IOException e) {
                failures.add(e.getMessage());
                Thread.sleep(200);
            }
        }
        throw new AssertionError("no answer within " + limit + ": " + failures);
    }

    @Test
    void aChangedZoneFileMovesTheNodeToTheNewRelayAfterItsTtl() throws Exception {
        try (NodeTestSupport nodes = new NodeTestSupport()) {
            AnodeNode r1 = relay(nodes);
            AnodeNode r2 = relay(nodes);
            AtomicReference<ZoneFile> served = new AtomicReference<>(zoneFile(1, r1));
            HttpServer http = serve(served);
            try {
                AnodeNode a = nodes.node(AnodeIdentity.generate(ZONE), config(http));
                StreamTestSupport.awaitTrue(() -> r1.relayStatistics().registrations() >= 1, 10_000);
                served.set(zoneFile(2, r2));
                // The cached file is fresh for 60 s (the DECISIONS 32 minimum); then the next
                // announce re-reads it and the node registers with the relay it names now.
                StreamTestSupport.awaitTrue(() -> r2.relayStatistics().registrations() >= 1, 90_000);
                // A node that fetches the new file finds A through the new relay.
                AnodeNode c = nodes.node(AnodeIdentity.generate(ZONE), config(http));
                pingEventually(c, a.address(), 3);
                AnodePath p = c.pathTo(a.address()).orElseThrow();
                assertEquals(r2.address(), p.relay().orElseThrow(), p.toString());
            } finally {
                http.stop(0);
            }
        }
    }

    @Test
    void aMalformedZoneFileLeavesTheZoneUnusableAndIsTheReason(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir)
            throws Exception {
        try (NodeTestSupport nodes = new NodeTestSupport()) {
            java.nio.file.Path zone = dir.resolve("zone.txt");
            java.nio.file.Files.writeString(zone, "n=broken\nthis line has no equals sign\n");
            AnodeNode a = nodes.node(
                    AnodeIdentity.generate(ZONE),
                    NodeTestSupport.loopbackConfig()
                            .lan(false)
                            .zoneSource(ZONE, zone.toString())
                            .build());
            AnodeAddress stranger = AnodeIdentity.generate(ZONE).address();
            for (int i = 0; i < 2; i++) {
                java.net.NoRouteToHostException e = org.junit.jupiter.api.Assertions.assertThrows(
                        java.net.NoRouteToHostException.class, () -> a.ping(stranger, Duration.ofSeconds(5)));
                assertTrue(
                        e.getMessage().contains("zone file of zone " + ZONE + " malformed")
                                && e.getMessage().contains("MALFORMED"),
                        e.getMessage());
            }
            assertTrue(a.pathTo(stranger).isEmpty());
        }
    }

    @Test
    void whenTheRelayDiesTheNextRelayOfTheZoneFileTakesOver() throws Exception {
        try (NodeTestSupport nodes = new NodeTestSupport()) {
            AnodeNode r1 = relay(nodes);
            AnodeNode r2 = relay(nodes);
            AtomicReference<ZoneFile> served = new AtomicReference<>(zoneFile(1, r1, r2));
            HttpServer http = serve(served);
            try {
                // Both nodes are served by zr.0 (r1) while it answers.
                AnodeNode a = nodes.node(identityAt(0, 2), config(http));
                AnodeNode b = nodes.node(identityAt(0, 2), config(http));
                StreamTestSupport.awaitTrue(() -> r1.relayStatistics().registrations() >= 2, 10_000);
                a.ping(b.address(), Duration.ofSeconds(10));
                assertEquals(
                        r1.address(),
                        a.pathTo(b.address()).orElseThrow().relay().orElseThrow());
                // statistics(): relayed at the recipient, forwarded and dropped by policy at the relay.
                assertTrue(b.statistics().relayed() >= 1, b.statistics().toString());
                assertTrue(r1.statistics().forwarded() >= 2, r1.statistics().toString());
                AnodeAddress stranger = identityAt(0, 2).address();
                org.junit.jupiter.api.Assertions.assertThrows(
                        IOException.class, () -> a.ping(stranger, Duration.ofSeconds(3)));
                assertTrue(
                        r1.statistics().droppedByPolicy() >= 1, r1.statistics().toString());
                assertEquals(0, a.statistics().forwarded(), "a node that does not relay forwards nothing");
                r1.close();
                // Both notice r1's silence and register with zr.1; A's path to B moves there too.
                StreamTestSupport.awaitTrue(() -> r2.relayStatistics().registrations() >= 2, 60_000);
                pingEventually(a, b.address(), 6);
                AnodePath p = a.pathTo(b.address()).orElseThrow();
                assertTrue(p.relayed(), p.toString());
                assertEquals(r2.address(), p.relay().orElseThrow(), p.toString());
            } finally {
                http.stop(0);
            }
        }
    }
}
