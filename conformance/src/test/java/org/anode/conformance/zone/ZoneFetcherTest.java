package org.anode.conformance.zone;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.anode.address.Zone;
import org.anode.zone.ZoneFetchException;
import org.anode.zone.ZoneFetcher;
import org.anode.zone.ZoneFile;
import org.anode.zone.ZoneFileException;
import org.anode.zone.ZoneFileLimits;
import org.anode.zone.ZoneLocator;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Zone file retrieval over HTTP (draft 2.1.1, DECISIONS 11) against a loopback server. */
@Timeout(value = 20, unit = TimeUnit.SECONDS)
class ZoneFetcherTest {
    private static final ZoneFileLimits LIMITS = new ZoneFileLimits(4096, 64, 64, 1024);
    private static final Zone ZONE = new Zone(0xd730b30b);

    private static HttpServer server;
    private static ExecutorService executor;
    private static String base;
    private static final byte[] ZONE_BODY = ("n=loopback\nd=test\nc=a@b\nr=3\nttl=60\nzr.0=127.0.0.1:4343:4344:"
                    + ZoneData.VECTOR_ADDRESSES.get(0) + "\n")
            .getBytes(StandardCharsets.UTF_8);

    @BeforeAll
    static void start() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 0), 16);
        executor = Executors.newFixedThreadPool(4, r -> {
            Thread t = new Thread(r, "zone-test-http");
            t.setDaemon(true);
            return t;
        });
        server.setExecutor(executor);
        server.createContext("/ok/", ex -> {
            // Only the zone's own path is served, so the test also checks the {zone} expansion.
            if (ex.getRequestURI().getPath().equals("/ok/d730b30b/z")) {
                respond(ex, 200, ZONE_BODY);
            } else {
                respond(ex, 404, new byte[0]);
            }
        });
        server.createContext("/missing", ex -> respond(ex, 404, "nope".getBytes(StandardCharsets.UTF_8)));
        server.createContext("/redirect", ex -> {
            ex.getResponseHeaders().add("Location", base + "/ok/d730b30b/z");
            respond(ex, 302, new byte[0]);
        });
        server.createContext(
                "/invalid", ex -> respond(ex, 200, "n=x\nno equals here\n".getBytes(StandardCharsets.UTF_8)));
        server.createContext("/declared-big", ex -> respond(ex, 200, new byte[LIMITS.maxSize() + 1]));
        server.createContext("/chunked-big", ex -> streamChunks(ex, 200, LIMITS.maxSize() / 100 + 10, 0));
        server.createContext("/slow", ex -> streamChunks(ex, 200, 100, 100));
        server.start();
        base = "http://127.0.0.1:" + server.getAddress().getPort();
    }

    @AfterAll
    static void stop() {
        server.stop(0);
        executor.shutdownNow();
    }

    private static void respond(HttpExchange ex, int status, byte[] body) throws IOException {
        try (ex) {
            ex.getRequestBody().readAllBytes();
            ex.sendResponseHeaders(status, body.length == 0 ? -1 : body.length);
            if (body.length > 0) {
                try (OutputStream out = ex.getResponseBody()) {
                    out.write(body);
                } catch (IOException clientGone) {
                    // The client may hang up once it has seen enough; that is the behaviour under test.
                }
            }
        }
    }

    /** Sends {@code chunks} chunks of 100 bytes, pausing {@code pauseMs} between them. */
    private static void streamChunks(HttpExchange ex, int status, int chunks, long pauseMs) throws IOException {
        try (ex) {
            ex.sendResponseHeaders(status, 0);
            try (OutputStream out = ex.getResponseBody()) {
                for (int i = 0; i < chunks; i++) {
                    out.write(new byte[100]);
                    out.flush();
                    if (pauseMs > 0) {
                        Thread.sleep(pauseMs);
                    }
                }
            } catch (IOException | InterruptedException clientGoneOrStopping) {
                // Expected once the client cancels or the server stops.
            }
        }
    }

    private static ZoneFetcher fetcher(String primary, String fallback) {
        return ZoneFetcher.builder()
                .locator(ZoneLocator.of(primary, fallback))
                .limits(LIMITS)
                .connectTimeout(Duration.ofSeconds(5))
                .timeout(Duration.ofSeconds(5))
                .build();
    }

    private static ZoneFetchException fails(String path, Duration timeout) {
        ZoneFetcher f = ZoneFetcher.builder().limits(LIMITS).timeout(timeout).build();
        return assertThrows(ZoneFetchException.class, () -> f.fetch(URI.create(base + path)));
    }

    @Test
    void fetchesAndParsesTheZoneFile() throws Exception {
        ZoneFile z = fetcher(base + "/ok/{zone}/z", null).fetch(ZONE);
        assertEquals("loopback", z.name());
        assertEquals(3, z.revision());
        assertEquals(List.of(ZoneData.vector(0)), z.relays().get(0).addresses());
        assertEquals(ZoneFile.parse(ZONE_BODY), z);
    }

    @Test
    void fallsBackToTheSecondUrl() throws Exception {
        ZoneFile z = fetcher(base + "/missing/{zone}", base + "/ok/{zone}/z").fetch(ZONE);
        assertEquals("loopback", z.name());
    }

    @Test
    void bothUrlsFailingReportsBoth() {
        ZoneFetchException e = assertThrows(
                ZoneFetchException.class,
                () -> fetcher(base + "/missing/a", base + "/invalid").fetch(ZONE));
        assertEquals(ZoneFetchException.Reason.INVALID_ZONE_FILE, e.reason());
        assertInstanceOf(ZoneFileException.class, e.getCause());
        assertEquals(1, e.getSuppressed().length);
        assertEquals(ZoneFetchException.Reason.HTTP_STATUS, ((ZoneFetchException) e.getSuppressed()[0]).reason());
    }

    @Test
    void non200StatusIsTyped() {
        ZoneFetchException e = fails("/missing", Duration.ofSeconds(5));
        assertEquals(ZoneFetchException.Reason.HTTP_STATUS, e.reason());
        assertEquals(404, e.statusCode());
        assertEquals(URI.create(base + "/missing"), e.uri());
    }

    @Test
    void redirectsAreNotFollowed() {
        ZoneFetchException e = fails("/redirect", Duration.ofSeconds(5));
        assertEquals(ZoneFetchException.Reason.HTTP_STATUS, e.reason());
        assertEquals(302, e.statusCode());
    }

    @Test
    void invalidBodyIsTyped() {
        ZoneFetchException e = fails("/invalid", Duration.ofSeconds(5));
        assertEquals(ZoneFetchException.Reason.INVALID_ZONE_FILE, e.reason());
        assertEquals(2, ((ZoneFileException) e.getCause()).line());
    }

    @Test
    void declaredOversizedBodyIsRefused() {
        assertEquals(
                ZoneFetchException.Reason.TOO_LARGE,
                fails("/declared-big", Duration.ofSeconds(5)).reason());
    }

    @Test
    void undeclaredOversizedBodyIsCutOff() {
        assertEquals(
                ZoneFetchException.Reason.TOO_LARGE,
                fails("/chunked-big", Duration.ofSeconds(5)).reason());
    }

    @Test
    void tricklingBodyTimesOut() {
        // 100 chunks 100 ms apart would take 10 s; the overall timeout is 500 ms.
        ZoneFetchException e = fails("/slow", Duration.ofMillis(500));
        assertEquals(ZoneFetchException.Reason.TIMEOUT, e.reason());
    }

    @Test
    void refusedConnectionIsIo() throws Exception {
        // A socket bound but not listening holds the port for the whole test: no other socket can
        // take it, and Linux never picks a port taken by bind() as a connecting socket's own port
        // (no self-connect by simultaneous open). A connect there is refused every time.
        try (java.nio.channels.SocketChannel holder = java.nio.channels.SocketChannel.open()) {
            holder.bind(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 0));
            int port = ((InetSocketAddress) holder.getLocalAddress()).getPort();
            ZoneFetchException e = assertThrows(
                    ZoneFetchException.class,
                    () -> fetcher("http://127.0.0.1:" + port + "/{zone}", null).fetch(ZONE));
            assertTrue(
                    e.reason() == ZoneFetchException.Reason.IO || e.reason() == ZoneFetchException.Reason.TIMEOUT,
                    e.toString());
        }
    }

    @Test
    void builderRejectsNonsense() {
        assertThrows(IllegalArgumentException.class, () -> ZoneFetcher.builder().timeout(Duration.ZERO));
        assertThrows(
                IllegalArgumentException.class, () -> ZoneFetcher.builder().connectTimeout(Duration.ofSeconds(-1)));
        assertThrows(NullPointerException.class, () -> ZoneFetcher.builder().locator(null));
    }
}
