package org.anode.nio;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.anode.address.AnodeAddress;
import org.anode.address.AnodeIdentity;
import org.anode.address.Zone;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 15, DECISIONS 39: host names resolved through their {@code anode:} TXT records by a real
 * dnsmasq in a network namespace of the test's own ({@link NetnsDns}), by {@link AnodeNames}, by the
 * {@code InetAddressResolverProvider} on JDK 25, and by {@code anode resolve NAME}. The zone holds a
 * name with one record, one with two, one with an Anode record next to another TXT record, one with
 * only an A record, one whose only record is malformed, and none for NXDOMAIN.
 *
 * <p>Needs root for the namespace: elsewhere the tests are skipped with that reason, except under
 * {@code CI=true}, where they must run.
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class DnsNamesTest {
    private static NetnsDns lab;
    private static AnodeAddress one;
    private static AnodeAddress twoA;
    private static AnodeAddress twoB;
    private static final String PLAIN_IP = "10.215.0.9";

    @TempDir
    static Path tmp;

    @BeforeAll
    static void startDns() throws Exception {
        String reason = NetnsDns.unavailableReason();
        if (reason != null) {
            if ("true".equalsIgnoreCase(System.getenv("CI"))) {
                fail("CI=true but the DNS lab cannot run: " + reason);
            }
            Assumptions.abort("skipped outside CI (under CI=true it fails above): " + reason);
        }
        one = AnodeIdentity.generate(Zone.DEFAULT).address();
        twoA = AnodeIdentity.generate(Zone.DEFAULT).address();
        twoB = AnodeIdentity.generate(Zone.DEFAULT).address();
        lab = new NetnsDns(List.of(
                "--local=/example/",
                "--txt-record=one.example,anode:" + one,
                "--txt-record=two.example,anode:" + twoA,
                "--txt-record=two.example,anode:" + twoB,
                "--txt-record=mixed.example,v=spf1 -all",
                "--txt-record=mixed.example,anode:" + one,
                "--host-record=plain.example," + PLAIN_IP,
                "--txt-record=bad.example,anode:not-a-base32-address"));
    }

    @AfterAll
    static void stopDns() {
        if (lab != null) {
            lab.close();
        }
    }

    private static List<String> names() {
        return List.of(
                "one.example",
                "two.example",
                "mixed.example",
                "plain.example",
                "bad.example",
                "missing.example",
                AnodeNames.nameOf(twoB));
    }

    /** Runs a main in the namespace and returns its lines by name (second word). */
    private static Map<String, String> runIn(String javaHome, List<Path> extraCp, String main, List<String> args)
            throws Exception {
        return runIn(javaHome, extraCp, List.of(), main, args);
    }

    private static Map<String, String> runIn(
            String javaHome, List<Path> extraCp, List<String> jvmArgs, String main, List<String> args)
            throws Exception {
        try (ChildJvm c = ChildJvm.start(lab.exec(), javaHome, extraCp, jvmArgs, main, args.toArray(String[]::new))) {
            Map<String, String> out = new HashMap<>();
            for (int i = 0; i < args.size(); i++) {
                String l = c.awaitLine("", 120);
                String[] p = l.split(" ", 3);
                out.put(p[1], p[0] + " " + (p.length > 2 ? p[2] : ""));
            }
            assertEquals(0, c.awaitExit(60), c.stderr());
            return out;
        }
    }

    private static String sorted(AnodeAddress... as) {
        return Stream.of(as).map(Object::toString).sorted().collect(Collectors.joining(","));
    }

    private static String syntheticSorted(AnodeAddress... as) {
        return Stream.of(as)
                .map(a -> AnodeSocketAddress.syntheticAddress(a).getHostAddress())
                .sorted()
                .collect(Collectors.joining(","));
    }

    @Test
    void anodeNamesResolvesThroughDnsmasq() throws Exception {
        Map<String, String> r = runIn(null, List.of(), DnsPrograms.Names.class.getName(), names());
        assertEquals("OK " + one, r.get("one.example"));
        assertEquals("OK " + sorted(twoA, twoB), r.get("two.example"));
        assertEquals("OK " + one, r.get("mixed.example"), "the non-Anode TXT record is ignored");
        assertTrue(
                r.get("plain.example").startsWith("ERR plain.example: no valid anode: TXT record"),
                r.get("plain.example"));
        assertTrue(
                r.get("bad.example").startsWith("ERR bad.example: no valid anode: TXT record"), r.get("bad.example"));
        assertTrue(
                r.get("missing.example").startsWith("ERR missing.example: no such name (NXDOMAIN)"),
                r.get("missing.example"));
        assertEquals("OK " + twoB, r.get(AnodeNames.nameOf(twoB)), "an address name needs no DNS");
        // The same through an explicitly named server (anode.names.dns) instead of resolv.conf.
        Map<String, String> viaUrl = runIn(
                null,
                List.of(),
                List.of("-Danode.names.dns=dns://127.0.0.1:53"),
                DnsPrograms.Names.class.getName(),
                List.of("two.example", "missing.example"));
        assertEquals("OK " + sorted(twoA, twoB), viaUrl.get("two.example"));
        assertTrue(
                viaUrl.get("missing.example").startsWith("ERR missing.example: no such name"),
                viaUrl.get("missing.example"));
    }

    /** The resolver provider on JDK 25: Anode names become synthetic addresses, the rest stays IP. */
    @Test
    void resolverProviderOnJdk25() throws Exception {
        Path jdk25 = jdk25();
        if (jdk25 == null) {
            if ("true".equalsIgnoreCase(System.getenv("CI"))) {
                fail("CI=true but no Temurin 25 under /usr/lib/jvm");
            }
            Assumptions.abort(
                    "skipped outside CI (under CI=true it fails above): no Temurin 25 JDK under /usr/lib/jvm");
        }
        Path resolver = ChildJvm.resolverClasses();
        if (resolver == null) {
            resolver = compileResolver(jdk25);
        }
        Map<String, String> r = runIn(jdk25.toString(), List.of(resolver), DnsPrograms.Inet.class.getName(), names());
        assertEquals("OK " + syntheticSorted(one), r.get("one.example"));
        assertEquals("OK " + syntheticSorted(twoA, twoB), r.get("two.example"));
        assertEquals("OK " + syntheticSorted(one), r.get("mixed.example"));
        assertEquals("OK " + PLAIN_IP, r.get("plain.example"), "no Anode record: the JDK's resolver answers");
        assertTrue(r.get("bad.example").startsWith("ERR"), r.get("bad.example"));
        assertTrue(r.get("missing.example").startsWith("ERR"), r.get("missing.example"));
        assertEquals("OK " + syntheticSorted(twoB), r.get(AnodeNames.nameOf(twoB)));
    }

    @Test
    void anodeResolveCommand() throws Exception {
        try (ChildJvm c = ChildJvm.start(
                lab.exec(), null, List.of(), List.of(), "org.anode.cli.AnodeCli", "resolve", "two.example")) {
            List<String> lines = new ArrayList<>(List.of(c.awaitLine("", 120), c.awaitLine("", 30)));
            assertEquals(0, c.awaitExit(60), c.stderr());
            lines.sort(null);
            List<String> want = Stream.of(twoA, twoB)
                    .map(a -> a + " " + AnodeSocketAddress.syntheticAddress(a).getHostAddress())
                    .sorted()
                    .toList();
            assertEquals(want, lines);
        }
        try (ChildJvm c = ChildJvm.start(
                lab.exec(), null, List.of(), List.of(), "org.anode.cli.AnodeCli", "resolve", "missing.example")) {
            assertEquals(1, c.awaitExit(120));
            assertTrue(c.stderr().contains("NXDOMAIN"), c.stderr());
        }
    }

    private static Path jdk25() throws IOException {
        Path jvms = Path.of("/usr/lib/jvm");
        if (!Files.isDirectory(jvms)) {
            return null;
        }
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(jvms, "temurin-25-jdk*")) {
            for (Path p : ds) {
                if (Files.isExecutable(p.resolve("bin/java"))) {
                    return p;
                }
            }
        }
        return null;
    }

    /**
     * A build on JDK 17 has no resolver classes (they need release 18): compile them here with the
     * JDK 25 compiler, as the JDK 18+ build does.
     */
    private static Path compileResolver(Path jdk25) throws Exception {
        Path src = Path.of(System.getProperty("basedir", "."), "src", "main");
        Path out = Files.createDirectories(tmp.resolve("resolver-classes"));
        List<String> cmd = new ArrayList<>(List.of(
                jdk25.resolve("bin/javac").toString(),
                "--release",
                "18",
                "-nowarn",
                "-cp",
                System.getProperty("java.class.path"),
                "-d",
                out.toString()));
        try (Stream<Path> files = Files.walk(src.resolve("java18"))) {
            files.filter(f -> f.toString().endsWith(".java")).forEach(f -> cmd.add(f.toString()));
        }
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String log = new String(p.getInputStream().readAllBytes());
        if (!p.waitFor(120, TimeUnit.SECONDS) || p.exitValue() != 0) {
            p.destroyForcibly();
            fail("compiling the resolver with JDK 25 failed:\n" + log);
        }
        Path services = Path.of("META-INF", "services", "java.net.spi.InetAddressResolverProvider");
        Files.createDirectories(out.resolve(services).getParent());
        Files.copy(src.resolve("resources18").resolve(services), out.resolve(services));
        return out;
    }
}
