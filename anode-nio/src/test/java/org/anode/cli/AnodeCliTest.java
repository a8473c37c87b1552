package org.anode.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.EnumSet;
import java.util.concurrent.TimeUnit;
import org.anode.address.AnodeIdentity;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

class AnodeCliTest {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

    private int run(String stdin, String... args) {
        return new AnodeCli(
                        new PrintStream(out, true, StandardCharsets.UTF_8),
                        new PrintStream(err, true, StandardCharsets.UTF_8),
                        new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8)))
                .run(args);
    }

    private String out() {
        return out.toString(StandardCharsets.UTF_8);
    }

    @Test
    void digestOfStdinMatchesTheReferenceVector() {
        // libanode-reference.jsonl: AES-DIGEST("test") = 754fde1267fbcac5a64c8732def880e2
        assertEquals(0, run("test", "digest"));
        assertEquals("754fde1267fbcac5a64c8732def880e2  -", out().strip());
    }

    @Test
    void addressDescribesAReferenceAddress() {
        String a = "aeaaaaaaaaaafptwzcul6kziqu44sumsgrkmmgv2kcu7xiihkn5tywt7su3ud46r";
        assertEquals(0, run("", "address", a.toUpperCase()));
        assertTrue(out().contains("address:    " + a), out());
        assertTrue(out().contains("short id:   4d8b58fffbd28bf5"), out());
        assertTrue(out().contains("zone:       00000000"), out());
    }

    @Test
    void badAddressIsAClearErrorNotACrash() {
        assertEquals(1, run("", "address", "aeaaaaaaaaaafptwzcul6kziqu44sumsgrkmmgv2kcu7xiihkn5tywt7su3ud46!"));
        assertTrue(err.toString(StandardCharsets.UTF_8).contains("not base32"), err.toString(StandardCharsets.UTF_8));
        assertEquals(2, run("", "nonsense"));
        assertEquals(2, run("", "keygen", "--zone", "xyz"));
    }

    @Test
    void keygenStoresAnOwnerOnlyIdentityAndRefusesToOverwrite(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("id.txt");
        assertEquals(0, run("", "keygen", "--zone", "0a0b0c0d", "--out", f.toString()));
        AnodeIdentity id = AnodeIdentity.load(f);
        assertEquals(id.address().toString(), out().strip());
        assertEquals("0a0b0c0d", id.address().zone().toString());
        if (Files.getFileStore(f).supportsFileAttributeView("posix")) {
            assertEquals(
                    EnumSet.of(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE),
                    Files.getPosixFilePermissions(f));
        }
        assertEquals(2, run("", "keygen", "--out", f.toString()));
        assertEquals(id, AnodeIdentity.load(f));
    }

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void demoRunsNodesOverLoopback() {
        int rc = run("", "demo", "--nodes", "3", "--mib", "1");
        assertEquals(0, rc, err.toString(StandardCharsets.UTF_8) + out());
        String o = out();
        assertTrue(o.contains("A -> B"), o);
        assertTrue(o.contains("echo \"hello from node B\""), o);
        assertTrue(o.contains("(match)"), "the stream echo's SHA-256 matches: " + o);
        assertTrue(o.contains("done."), o);
    }

    private String err() {
        return err.toString(StandardCharsets.UTF_8);
    }

    @Test
    void helpAndVersionGoToStandardOutputWithExitZero() {
        assertEquals(0, run("", "--help"));
        assertEquals(AnodeCli.USAGE, out());
        assertEquals("", err());
        out.reset();
        assertEquals(0, run("", "help"));
        assertEquals(AnodeCli.USAGE, out());
        out.reset();
        assertEquals(0, run("", "--version"));
        String expected = System.getProperty("anode.expected.version");
        assertTrue(expected != null && !expected.isEmpty(), "run by Maven, which sets anode.expected.version");
        assertEquals("anode " + expected, out().strip());
        out.reset();
        assertEquals(0, run("", "version"));
        assertEquals("anode " + expected, out().strip());
    }

    @Test
    void everyCommandHasItsOwnHelp() {
        for (String line : AnodeCli.USAGE.split("\n")) {
            if (!line.startsWith("  ")) {
                continue;
            }
            String cmd = line.strip().split(" ")[0];
            out.reset();
            assertEquals(0, run("", cmd, "--help"), cmd + ": " + err());
            assertTrue(out().startsWith("usage: anode " + cmd), cmd + ": " + out());
            out.reset();
            assertEquals(0, run("", "help", cmd), cmd);
            assertTrue(out().startsWith("usage: anode " + cmd), cmd + ": " + out());
        }
    }

    @Test
    void usageErrorsExitTwoOnStandardError() {
        assertEquals(2, run(""));
        assertEquals(AnodeCli.USAGE, err());
        assertEquals("", out());
        err.reset();
        assertEquals(2, run("", "frobnicate"));
        assertTrue(err().startsWith("anode: unknown command 'frobnicate'"), err());
        assertEquals(2, run("", "help", "a", "b"));
        assertEquals(2, run("", "digest", "a", "b"));
        assertEquals(2, run("", "status", "--bogus"));
        assertEquals(2, run("", "conformance"));
    }

    @Test
    void aBadConfigurationFileIsAUsageErrorNamingTheLine(@TempDir Path dir) throws Exception {
        Path conf = dir.resolve("node.conf");
        Files.writeString(conf, "identity = node.id\nudp = 99999\n");
        assertEquals(2, run("", "node", "--config", conf.toString()));
        assertTrue(err().contains(conf + ":2: udp must be 0 to 65535, got 99999"), err());
        err.reset();
        assertEquals(2, run("", "relay", "--config", dir.resolve("missing.conf").toString()));
        assertTrue(err().contains("--config: cannot read"), err());
    }

    @Test
    void runtimeFailuresExitOne(@TempDir Path dir) {
        assertEquals(1, run("", "digest", dir.resolve("missing").toString()));
        assertEquals(1, run("", "address", "--identity", dir.resolve("missing").toString()));
        assertEquals(1, run("", "status", "--control", dir.resolve("none").toString()));
    }

    @Test
    void readmeListsExactlyTheUsage() throws Exception {
        String readme = Files.readString(Path.of("../README.md"), StandardCharsets.UTF_8);
        StringBuilder indented = new StringBuilder();
        for (String line : AnodeCli.USAGE.split("\n")) {
            indented.append(line.isEmpty() ? "" : "    " + line).append('\n');
        }
        assertTrue(
                readme.contains(indented.toString()),
                "README.md must show `anode --help` verbatim (indented by 4 spaces):\n" + indented);
        // And no other command line in the README's command section.
        int start = readme.indexOf("## The `anode` command");
        int end = readme.indexOf("\n## ", start + 1);
        long listed = readme.substring(start, end)
                .lines()
                .filter(l -> l.startsWith("      ") && !l.startsWith("       ") && Character.isLowerCase(l.charAt(6)))
                .count();
        long commands = AnodeCli.USAGE.lines().filter(l -> l.startsWith("  ")).count();
        assertEquals(commands, listed, "the README's command section lists the usage's commands only");
    }
}
