package org.anode.conformance.dist;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The README's walkthrough from the packaged tool to a running zone relay and node, run as a
 * newcomer would type it (issue 16: "a newcomer can go from the README to a running relay and
 * node with the packaged tool"). Three changes make it a test: {@code A} names this build's
 * distribution, a free port replaces 8080, and the final ping is retried for up to 20 s because
 * a script types faster than the node registers with its relay.
 */
@Timeout(180)
class ReadmeWalkthroughTest {
    private static final Path README =
            Path.of(System.getProperty("basedir", "."), "..", "README.md").normalize();

    static List<String> walkthrough() throws Exception {
        String readme = Files.readString(README, StandardCharsets.UTF_8);
        int at = readme.indexOf("A zone relay and a node on this machine");
        assertTrue(at >= 0, "README has the walkthrough");
        List<String> lines = new ArrayList<>();
        boolean inBlock = false;
        for (String l : readme.substring(at).split("\n")) {
            if (l.startsWith("    ")) {
                inBlock = true;
                lines.add(l.substring(4));
            } else if (inBlock) {
                break;
            }
        }
        return lines;
    }

    @Test
    void readmeWalkthroughRunsARelayAndANodeAndPingsIt(@TempDir Path dir) throws Exception {
        List<String> lines = walkthrough();
        assertEquals("A=$(echo anode-nio/target/anode-*/bin/anode)", lines.get(0));
        assertTrue(lines.get(lines.size() - 1).startsWith("$A ping "), lines.toString());
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        // Background commands are remembered and stopped when the script ends, however it ends.
        StringBuilder script = new StringBuilder("set -e\npids=\ntrap 'kill $pids 2>/dev/null; wait' EXIT\n");
        script.append("A='").append(DistributionTest.DIST.resolve("bin/anode")).append("'\n");
        for (String l : lines.subList(1, lines.size() - 1)) {
            String cmd = l.replace("8080", String.valueOf(port));
            script.append(cmd);
            if (cmd.endsWith("&")) {
                script.append(" pids=\"$pids $!\"");
            }
            script.append('\n');
        }
        String ping = lines.get(lines.size() - 1).replace("8080", String.valueOf(port));
        script.append("ok=\nfor i in $(seq 1 40); do if ")
                .append(ping)
                .append("; then ok=1; break; fi; sleep 0.5; done\n[ -n \"$ok\" ]\n");
        ProcessBuilder pb = new ProcessBuilder("sh", "-c", script.toString()).directory(dir.toFile());
        pb.environment().put("JAVA_HOME", System.getProperty("java.home"));
        pb.redirectOutput(dir.resolve("stdout.txt").toFile());
        pb.redirectError(dir.resolve("stderr.txt").toFile());
        pb.redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        Process p = pb.start();
        try {
            assertTrue(p.waitFor(150, java.util.concurrent.TimeUnit.SECONDS), "the walkthrough ended");
        } finally {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
        }
        String out = Files.readString(dir.resolve("stdout.txt"));
        String err = Files.readString(dir.resolve("stderr.txt"));
        assertEquals(0, p.exitValue(), out + err);
        String node = Files.readString(dir.resolve("node.id")).split(":")[1];
        // The first packets go through the relay; NAT traversal may prove the direct path (on one
        // machine at once) before the first reply, so the reply may say either. The relay's own
        // count, printed as it stops, shows it carried the first contact.
        assertTrue(
                out.lines()
                        .anyMatch(l -> l.matches(
                                "reply from " + node + " rtt=\\d+\\.\\d\\dms path=(relay hops=1|direct hops=0)")),
                out + err);
        java.util.regex.Matcher fwd =
                java.util.regex.Pattern.compile("forwarded=(\\d+)").matcher(out + err);
        assertTrue(
                fwd.find() && Long.parseLong(fwd.group(1)) >= 1, "the relay forwarded the first contact\n" + out + err);
    }
}
