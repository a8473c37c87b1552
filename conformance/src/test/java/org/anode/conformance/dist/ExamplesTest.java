package org.anode.conformance.dist;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The documented examples, run as far as this machine allows (no systemd, no container engine):
 * the systemd unit's ExecStart command line and the container file's ENTRYPOINT + CMD, with
 * /opt/anode mapped to the distribution and /etc/anode, /var/lib/anode, /run/anode to a
 * temporary directory, start a node from docs/examples/node.conf; anode status reads it through
 * its control socket, and the network conformance checker passes against it.
 */
@Timeout(180)
class ExamplesTest {
    private static final Path EXAMPLES = Path.of(System.getProperty("basedir", "."), "..", "docs", "examples")
            .normalize();
    private static final Pattern NODE_LINE = Pattern.compile("^node ([a-z2-7]{64}) udp=([0-9.]+):(\\d+)$");

    /** Maps the documented paths into {@code root}. */
    private static String map(String s, Path root) {
        return s.replace("/opt/anode", DistributionTest.DIST.toString())
                .replace("/etc/anode", root.resolve("etc").toString())
                .replace("/var/lib/anode", root.resolve("var").toString())
                .replace("/run/anode", root.resolve("run").toString());
    }

    /** The example configuration, its paths mapped, on loopback with an ephemeral port. */
    private static void writeConfig(Path root) throws Exception {
        Files.createDirectories(root.resolve("etc"));
        Files.createDirectories(root.resolve("var"));
        String conf = map(Files.readString(EXAMPLES.resolve("node.conf")), root)
                .replace("udp = 8737", "udp = 0\nbind = 127.0.0.1")
                // No zone relay to announce to on this machine.
                .replace("discovery = on", "discovery = off");
        Files.writeString(root.resolve("etc/node.conf"), conf);
    }

    private static Process start(List<String> command, Path root) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(command);
        pb.environment().put("JAVA_HOME", System.getProperty("java.home"));
        pb.environment().put("ANODE_IDENTITY", root.resolve("var/node.id").toString());
        pb.redirectError(root.resolve("stderr.txt").toFile());
        return pb.start();
    }

    /** Waits for the node's "node ADDRESS udp=IP:PORT" line. */
    private static Matcher awaitNodeLine(Process p) throws Exception {
        BlockingQueue<String> lines = new LinkedBlockingQueue<>();
        Thread t = new Thread(() -> {
            try (BufferedReader r =
                    new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                String l;
                while ((l = r.readLine()) != null) {
                    lines.add(l);
                }
            } catch (java.io.IOException e) {
                lines.add("read failed: " + e);
            }
        });
        t.setDaemon(true);
        t.start();
        while (true) {
            String l = lines.poll(60, TimeUnit.SECONDS);
            assertTrue(l != null, "the node printed its address within 60 s");
            Matcher m = NODE_LINE.matcher(l);
            if (m.matches()) {
                return m;
            }
        }
    }

    /** Status and conformance against the running node, then stops it. */
    private static void checkRunningNode(Process p, Path root) throws Exception {
        try {
            Matcher m = awaitNodeLine(p);
            String address = m.group(1);
            DistributionTest.Run status = DistributionTest.run(
                    "",
                    DistributionTest.anode(
                            "status", "--control", root.resolve("run").toString()));
            assertEquals(0, status.rc(), status.err() + Files.readString(root.resolve("stderr.txt")));
            assertTrue(status.out().startsWith("node      " + address + "\n"), status.out());
            DistributionTest.Run check = DistributionTest.run(
                    "",
                    DistributionTest.anode(
                            "conformance",
                            "--target",
                            address + "@" + m.group(2) + ":" + m.group(3),
                            "--timeout",
                            "5000"));
            assertEquals(0, check.rc(), check.out() + check.err());
            assertTrue(check.out().contains("0 failed"), check.out());
        } finally {
            p.destroy();
            assertTrue(p.waitFor(30, TimeUnit.SECONDS));
        }
        // SIGTERM (systemctl stop, podman stop) closed the node: its control socket is gone.
        try (var files = Files.list(root.resolve("run"))) {
            assertEquals(List.of(), files.map(f -> f.getFileName().toString()).toList());
        }
    }

    @Test
    void systemdUnitsCommandLineRunsANode(@TempDir Path root) throws Exception {
        String unit = Files.readString(EXAMPLES.resolve("anode-node.service"));
        Matcher exec = Pattern.compile("(?m)^ExecStart=(.+)$").matcher(unit);
        assertTrue(exec.find(), "ExecStart");
        assertEquals("/opt/anode/bin/anode node --config /etc/anode/node.conf", exec.group(1));
        assertTrue(unit.contains("RuntimeDirectoryMode=0700"), "the control directory is owner-only");
        writeConfig(root);
        DistributionTest.Run keygen = DistributionTest.run(
                "",
                DistributionTest.anode(
                        "keygen", "--out", root.resolve("var/node.id").toString()));
        assertEquals(0, keygen.rc(), keygen.err());
        Process p = start(List.of(map(exec.group(1), root).split(" ")), root);
        checkRunningNode(p, root);
    }

    @Test
    void containerEntryPointRunsANode(@TempDir Path root) throws Exception {
        String file = Files.readString(EXAMPLES.resolve("Containerfile"));
        List<String> command = new ArrayList<>();
        command.addAll(jsonArray(file, "ENTRYPOINT"));
        command.addAll(jsonArray(file, "CMD"));
        assertEquals(List.of("/opt/anode/bin/anode-container", "node", "--config", "/etc/anode/node.conf"), command);
        writeConfig(root);
        List<String> mapped = command.stream().map(a -> map(a, root)).toList();
        // The first start generates the identity (ANODE_IDENTITY, here in the temporary /var/lib/anode).
        Process p = start(mapped, root);
        checkRunningNode(p, root);
        assertTrue(Files.isRegularFile(root.resolve("var/node.id")), "identity generated on first start");
    }

    private static List<String> jsonArray(String file, String instruction) {
        Matcher m = Pattern.compile("(?m)^" + instruction + " \\[(.*)\\]$").matcher(file);
        assertTrue(m.find(), instruction);
        List<String> out = new ArrayList<>();
        Matcher s = Pattern.compile("\"([^\"]*)\"").matcher(m.group(1));
        while (s.find()) {
            out.add(s.group(1));
        }
        return out;
    }
}
