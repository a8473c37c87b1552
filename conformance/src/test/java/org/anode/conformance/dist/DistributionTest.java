package org.anode.conformance.dist;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The runnable distribution that every {@code mvn package} (the README's demo command included)
 * makes in anode-nio's build directory: {@code bin/anode} and {@code java -jar lib/anode-nio-*.jar}
 * run the command line from the packaged jars alone, in a fresh JVM.
 */
@Timeout(120)
class DistributionTest {
    static final Path DIST = Path.of(System.getProperty("anode.dist", "anode.dist-not-set"));
    static final String VERSION = System.getProperty("anode.expected.version", "version-not-set");

    /** Exit status, standard output and standard error of one run. */
    record Run(int rc, String out, String err) {}

    static Run run(String stdin, List<String> command) throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder(command);
        pb.environment().remove("ANODE_JAVA_OPTS");
        // The JDK running the tests, so the distribution is tried on it (17 or 25 in CI).
        pb.environment().put("JAVA_HOME", System.getProperty("java.home"));
        Process p = pb.start();
        p.getOutputStream().write(stdin.getBytes(StandardCharsets.UTF_8));
        p.getOutputStream().close();
        var out = p.getInputStream();
        var err = p.getErrorStream();
        var outText = new java.util.concurrent.CompletableFuture<String>();
        Thread t = new Thread(() -> {
            try {
                outText.complete(new String(out.readAllBytes(), StandardCharsets.UTF_8));
            } catch (IOException e) {
                outText.completeExceptionally(e);
            }
        });
        t.start();
        String errText = new String(err.readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "finished: " + command);
        try {
            return new Run(p.exitValue(), outText.get(10, TimeUnit.SECONDS), errText);
        } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
            throw new IOException(e);
        }
    }

    static List<String> anode(String... args) {
        List<String> c = new ArrayList<>(List.of(DIST.resolve("bin/anode").toString()));
        c.addAll(List.of(args));
        return c;
    }

    @Test
    void layoutHoldsTheCommandTheJarsAndTheLicence() {
        assertTrue(Files.isDirectory(DIST), DIST + " exists (made by anode-nio's package phase)");
        assertTrue(Files.isExecutable(DIST.resolve("bin/anode")));
        for (String f : List.of(
                "LICENSE",
                "NOTICE",
                "README.md",
                "CHANGELOG.md",
                "lib/anode-nio-" + VERSION + ".jar",
                "lib/anode-provider-" + VERSION + ".jar")) {
            assertTrue(Files.isRegularFile(DIST.resolve(f)), f);
        }
    }

    @Test
    void binAnodeRunsACommand(@TempDir Path dir) throws Exception {
        Path id = dir.resolve("node.id");
        Run keygen = run("", anode("keygen", "--out", id.toString()));
        assertEquals(0, keygen.rc(), keygen.err());
        String address = keygen.out().strip();
        Run describe = run("", anode("address", "--identity", id.toString()));
        assertEquals(0, describe.rc(), describe.err());
        assertTrue(describe.out().contains("address:    " + address), describe.out());
    }

    @Test
    void helpAndVersionOnStandardOutputWithExitZero() throws Exception {
        Run version = run("", anode("--version"));
        assertEquals(0, version.rc(), version.err());
        assertEquals("anode " + VERSION, version.out().strip());
        Run help = run("", anode("--help"));
        assertEquals(0, help.rc(), help.err());
        assertTrue(help.out().startsWith("usage: anode <command>"), help.out());
        assertEquals("", help.err());
        Run keygenHelp = run("", anode("keygen", "--help"));
        assertEquals(0, keygenHelp.rc());
        assertTrue(keygenHelp.out().startsWith("usage: anode keygen"), keygenHelp.out());
        Run bad = run("", anode("no-such-command"));
        assertEquals(2, bad.rc());
        assertTrue(bad.err().contains("unknown command"), bad.err());
    }

    @Test
    void javaDashJarRunsTheCommand() throws Exception {
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        Run r = run(
                "test",
                List.of(
                        java.toString(),
                        "-jar",
                        DIST.resolve("lib/anode-nio-" + VERSION + ".jar").toString(),
                        "digest"));
        assertEquals(0, r.rc(), r.err());
        // libanode-reference.jsonl: AES-DIGEST("test")
        assertEquals("754fde1267fbcac5a64c8732def880e2  -", r.out().strip());
    }
}
