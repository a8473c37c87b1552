package org.anode.zone;

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
import java.net.ProxySelector;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.anode.address.Zone;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The zone directory (DECISIONS 32) with the real {@link java.net.http.HttpClient} against a
 * loopback HTTP server on an ephemeral port, and with local override files.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class ZoneDirectoryHttpTest {
    private static final Zone ZONE = new Zone(0x0a0b0c0d);
    private static final ZoneFileLimits LIMITS = new ZoneFileLimits(4096, 64, 64, 1024);
    private static final byte[] GOOD = ZoneDirectoryTest.zoneFile(3, 300, true).getBytes(StandardCharsets.UTF_8);

    private static HttpServer server;
    private static ExecutorService executor;
    private static String base;
    private static final AtomicInteger countedHits = new AtomicInteger();
    private static final List<String> proxied = new CopyOnWriteArrayList<>();

    @BeforeAll
    static void start() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 0), 16);
        executor = Executors.newFixedThreadPool(6, r -> {
            Thread t = new Thread(r, "zone-directory-test-http");
            t.setDaemon(true);
            return t;
        });
        server.setExecutor(executor);
        server.createContext("/ok/", ex -> {
            // Only the zone's own path is served, which also checks the {zone} expansion.
            if (ex.getRequestURI().getPath().equals("/ok/0a0b0c0d/z")) {
                respond(ex, 200, GOOD);
            } else {
                respond(ex, 404, new byte[0]);
            }
        });
        // Counted, and used by one test only, so that the count is that test's.
        server.createContext("/counted/", ex -> {
            countedHits.incrementAndGet();
            respond(ex, 200, GOOD);
        });
        server.createContext("/missing/", ex -> respond(ex, 404, "no such zone".getBytes(StandardCharsets.UTF_8)));
        server.createContext("/big/", ex -> respond(ex, 200, new byte[LIMITS.maxSize() + 1]));
        server.createContext(
                "/bad/",
                ex -> respond(ex, 200, "n=x\nthis line has no equals sign\n".getBytes(StandardCharsets.UTF_8)));
        server.createContext("/slow/", ex -> {
            // Headers never come within the client's timeout.
            try {
                Thread.sleep(3_000);
            } catch (InterruptedException stopping) {
                Thread.currentThread().interrupt();
            }
            respond(ex, 200, GOOD);
        });
        server.createContext("/redirect/", ex -> {
            ex.getResponseHeaders().add("Location", "file:///etc/passwd");
            respond(ex, 302, new byte[0]);
        });
        // As a proxy the server sees the absolute URL the client asked for.
        server.createContext("/z", ex -> {
            proxied.add(ex.getRequestURI().toString());
            respond(ex, 200, GOOD);
        });
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

    private static ZoneDirectoryConfig config(String primary, String fallback) {
        return ZoneDirectoryConfig.defaults()
                .withLocator(ZoneLocator.of(primary, fallback))
                .withLimits(LIMITS)
                .withTimeouts(Duration.ofSeconds(5), Duration.ofSeconds(5));
    }

    private static ZoneFile get(CompletableFuture<ZoneFile> f) throws Exception {
        return f.get(20, TimeUnit.SECONDS);
    }

    private static ZoneUnavailableException failure(CompletableFuture<ZoneFile> f) {
        ExecutionException e = assertThrows(ExecutionException.class, () -> f.get(20, TimeUnit.SECONDS));
        return assertInstanceOf(ZoneUnavailableException.class, e.getCause());
    }

    @Test
    void fetchesAndParses() throws Exception {
        ZoneDirectory d = ZoneDirectory.create(config(base + "/counted/{zone}/z", null));
        CompletableFuture<ZoneFile> a = d.lookup(ZONE);
        CompletableFuture<ZoneFile> b = d.lookup(ZONE);
        ZoneFile f = get(a);
        assertEquals(ZoneFile.parse(GOOD), f);
        assertEquals(3, f.revision());
        assertEquals(List.of(ZoneTestData.vector(0)), f.relays().get(0).addresses());
        assertEquals(f, get(b));
        assertEquals(f, d.cached(ZONE).orElseThrow());
        assertEquals(f, get(d.lookup(ZONE)));
        assertEquals(1, countedHits.get(), "concurrent and later lookups share the one fetch");
    }

    @Test
    void fallsBackFromAMissingFileToTheSecondUrl() throws Exception {
        ZoneDirectory d = ZoneDirectory.create(config(base + "/missing/{zone}", base + "/ok/{zone}/z"));
        assertEquals(3, get(d.lookup(ZONE)).revision());
    }

    @Test
    void notFound() {
        ZoneDirectory d = ZoneDirectory.create(config(base + "/missing/{zone}", null));
        ZoneUnavailableException e = failure(d.lookup(ZONE));
        assertEquals(ZoneUnavailableException.Reason.NOT_FOUND, e.reason());
        assertEquals(
                404, assertInstanceOf(ZoneFetchException.class, e.getCause()).statusCode());
    }

    @Test
    void oversizedBodyIsMalformed() {
        ZoneDirectory d = ZoneDirectory.create(config(base + "/big/{zone}", null));
        ZoneUnavailableException e = failure(d.lookup(ZONE));
        assertEquals(ZoneUnavailableException.Reason.MALFORMED, e.reason());
        assertEquals(
                ZoneFetchException.Reason.TOO_LARGE,
                assertInstanceOf(ZoneFetchException.class, e.getCause()).reason());
    }

    @Test
    void malformedBody() {
        ZoneDirectory d = ZoneDirectory.create(config(base + "/bad/{zone}", null));
        ZoneUnavailableException e = failure(d.lookup(ZONE));
        assertEquals(ZoneUnavailableException.Reason.MALFORMED, e.reason());
        ZoneFetchException cause = assertInstanceOf(ZoneFetchException.class, e.getCause());
        assertEquals(
                2, assertInstanceOf(ZoneFileException.class, cause.getCause()).line());
        assertTrue(d.cached(ZONE).isEmpty());
    }

    @Test
    void slowServerTimesOut() {
        ZoneDirectory d = ZoneDirectory.create(
                config(base + "/slow/{zone}", null).withTimeouts(Duration.ofSeconds(2), Duration.ofMillis(300)));
        ZoneUnavailableException e = failure(d.lookup(ZONE));
        assertEquals(ZoneUnavailableException.Reason.UNREACHABLE, e.reason());
        assertEquals(
                ZoneFetchException.Reason.TIMEOUT,
                assertInstanceOf(ZoneFetchException.class, e.getCause()).reason());
    }

    @Test
    void redirectsAreNotFollowed() {
        ZoneDirectory d = ZoneDirectory.create(config(base + "/redirect/{zone}", null));
        ZoneUnavailableException e = failure(d.lookup(ZONE));
        assertEquals(ZoneUnavailableException.Reason.UNREACHABLE, e.reason());
        assertEquals(
                302, assertInstanceOf(ZoneFetchException.class, e.getCause()).statusCode());
    }

    @Test
    void draftUrlGoesThroughTheProxy() throws Exception {
        // The draft's DNS URL names a host that does not resolve here; through an HTTP proxy the
        // client never resolves it, so the request arriving at the proxy shows the exact URL.
        ZoneFetcher fetcher = ZoneFetcher.builder()
                .limits(LIMITS)
                .proxy(ProxySelector.of(new InetSocketAddress(
                        InetAddress.getByName("127.0.0.1"), server.getAddress().getPort())))
                .connectTimeout(Duration.ofSeconds(5))
                .timeout(Duration.ofSeconds(5))
                .build();
        ZoneDirectory d = ZoneDirectory.create(
                ZoneDirectoryConfig.defaults().withLimits(LIMITS), fetcher::fetchBytes, System::nanoTime);
        assertEquals(3, get(d.lookup(ZONE)).revision());
        assertTrue(proxied.contains("http://a--0a0b0c0d.net/z"), proxied.toString());
    }

    @Test
    void theDefaultDirectoryHonoursTheJdkProxySettings() throws Exception {
        // The directory a node creates (ZoneDirectory.create(config)) follows the JDK's proxy
        // properties: the request for the draft's DNS URL reaches the proxy, absolute URI and all.
        String[] keys = {"http.proxyHost", "http.proxyPort"};
        String[] saved = {System.getProperty(keys[0]), System.getProperty(keys[1])};
        System.setProperty(keys[0], "127.0.0.1");
        System.setProperty(keys[1], Integer.toString(server.getAddress().getPort()));
        try {
            ZoneDirectory d = ZoneDirectory.create(ZoneDirectoryConfig.defaults()
                    .withLimits(LIMITS)
                    .withTimeouts(Duration.ofSeconds(5), Duration.ofSeconds(5)));
            int before = proxied.size();
            assertEquals(3, get(d.lookup(ZONE)).revision());
            assertTrue(
                    proxied.subList(before, proxied.size()).contains("http://a--0a0b0c0d.net/z"), proxied.toString());
        } finally {
            for (int i = 0; i < keys.length; i++) {
                if (saved[i] == null) {
                    System.clearProperty(keys[i]);
                } else {
                    System.setProperty(keys[i], saved[i]);
                }
            }
        }
    }

    @Test
    void fileOverride(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("zone");
        Files.write(file, ZoneDirectoryTest.zoneFile(1, 60, false).getBytes(StandardCharsets.UTF_8));
        // The override wins over URLs that would work: the file's revision shows which was read.
        ZoneDirectoryConfig c = config(base + "/ok/{zone}/z", null).withOverride(ZONE, ZoneSource.file(file));
        AtomicLong now = new AtomicLong();
        ZoneFetcher fetcher = ZoneFetcher.builder().limits(LIMITS).build();
        ZoneDirectory d = ZoneDirectory.create(c, fetcher::fetchBytes, now::get);
        ZoneFile f = get(d.lookup(ZONE));
        assertEquals(1, f.revision());
        assertTrue(f.lanOnly());

        // The file is read again once the cached copy expires.
        Files.write(file, ZoneDirectoryTest.zoneFile(2, 60, true).getBytes(StandardCharsets.UTF_8));
        assertEquals(1, get(d.lookup(ZONE)).revision());
        now.addAndGet(Duration.ofSeconds(60).toNanos());
        assertEquals(2, get(d.refresh(ZONE)).revision());
        assertEquals(2, d.cached(ZONE).orElseThrow().revision());

        // A broken file keeps the good one; a missing file on a fresh directory is NOT_FOUND.
        Files.write(file, "garbage".getBytes(StandardCharsets.UTF_8));
        now.addAndGet(Duration.ofSeconds(60).toNanos());
        assertEquals(2, get(d.refresh(ZONE)).revision());
        Files.write(file, new byte[LIMITS.maxSize() + 1]);
        ZoneDirectory big = ZoneDirectory.create(c, fetcher::fetchBytes, now::get);
        assertEquals(
                ZoneUnavailableException.Reason.MALFORMED,
                failure(big.lookup(ZONE)).reason());
        ZoneDirectory missing = ZoneDirectory.create(
                c.withOverride(ZONE, ZoneSource.file(dir.resolve("none"))), fetcher::fetchBytes, now::get);
        assertEquals(
                ZoneUnavailableException.Reason.NOT_FOUND,
                failure(missing.lookup(ZONE)).reason());
    }

    @Test
    void zoneZeroFromAConfiguredUrl() throws Exception {
        ZoneDirectory local = ZoneDirectory.create(config(base + "/ok/{zone}/z", null));
        assertEquals(
                ZoneUnavailableException.Reason.LOCAL_ONLY,
                failure(local.lookup(Zone.DEFAULT)).reason());
        ZoneDirectory d = ZoneDirectory.create(config(base + "/missing/{zone}", null)
                .withOverride(Zone.DEFAULT, ZoneSource.url(URI.create(base + "/ok/0a0b0c0d/z"))));
        assertEquals(3, get(d.lookup(Zone.DEFAULT)).revision());
    }
}
