package org.anode.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import org.anode.address.AnodeIdentity;
import org.anode.address.Zone;
import org.anode.nio.AnodeNode;
import org.anode.nio.AnodeNodeConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The network conformance checker run against our own node (issue 16: "run it in CI against our
 * own node"), and against a node without the echo services, which it must fail.
 */
@Timeout(120)
class ConformanceCheckTest {
    private static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();

    private static AnodeNode node() throws Exception {
        return AnodeNode.start(
                AnodeIdentity.generate(Zone.DEFAULT),
                AnodeNodeConfig.builder()
                        .bind(new InetSocketAddress(LOOPBACK, 0))
                        .build());
    }

    private static String target(AnodeNode n) {
        return n.address() + "@" + ConformanceCheck.hostPort(n.localEndpoints().get(0));
    }

    @Test
    void ourNodePassesEveryCheck() throws Exception {
        try (AnodeNode node = node();
                EchoService svc = EchoService.start(node, 7)) {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            ByteArrayOutputStream err = new ByteArrayOutputStream();
            int rc = ConformanceCheck.main(
                    List.of("--target", target(node), "--timeout", "5000"),
                    new PrintStream(out, true, StandardCharsets.UTF_8),
                    new PrintStream(err, true, StandardCharsets.UTF_8));
            String table = out.toString(StandardCharsets.UTF_8);
            assertEquals(0, rc, table + err.toString(StandardCharsets.UTF_8));
            assertTrue(table.contains("11 checks, 11 passed, 0 failed"), table);
            for (String check : List.of(
                    "PING answered with PONG",
                    "DGRAM echoed on port 7",
                    "stream echoed on port 7",
                    "forged MAC dropped",
                    "payload changed after MAC dropped",
                    "sender that does not own the MAC key dropped",
                    "truncated header dropped",
                    "undefined flag 0x08 dropped",
                    "undefined message type 0x0a dropped",
                    "DGRAM shorter than its header dropped",
                    "PING still answered after the hostile packets")) {
                assertTrue(
                        table.lines().anyMatch(l -> l.startsWith(check) && l.contains("PASS")),
                        check + " in\n" + table);
            }
            // The hostile packets reached the node and were counted as drops, not acted on.
            AnodeNode.Statistics s = node.statistics();
            assertTrue(s.authFailed() >= 3, s.toString());
            assertTrue(s.malformed() >= 3, s.toString());
        }
    }

    @Test
    void aNodeWithoutEchoFailsTheEchoChecks() throws Exception {
        try (AnodeNode node = node()) {
            ConformanceCheck.Target t = ConformanceCheck.Target.parse(target(node));
            List<ConformanceCheck.Result> results = new ConformanceCheck(t, 7, Duration.ofMillis(600)).run();
            assertTrue(results.get(0).passed(), "PING: " + results.get(0));
            assertFalse(results.get(1).passed(), "no DGRAM echo: " + results.get(1));
            assertFalse(results.get(2).passed(), "no stream echo: " + results.get(2));
            String table = ConformanceCheck.table(results);
            assertTrue(table.contains("FAIL"), table);
        }
    }

    @Test
    void usageErrorsExitTwo() {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        PrintStream e = new PrintStream(err, true, StandardCharsets.UTF_8);
        PrintStream o = new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8);
        assertEquals(2, ConformanceCheck.main(List.of(), o, e));
        assertEquals(2, ConformanceCheck.main(List.of("--target", "nonsense"), o, e));
        assertEquals(2, ConformanceCheck.main(List.of("--target", "x@y:1", "--echo-port", "70000"), o, e));
        assertThrows(IllegalArgumentException.class, () -> ConformanceCheck.Target.parse("abc@127.0.0.1:5"));
        assertEquals(0, ConformanceCheck.main(List.of("--help"), o, e));
    }
}
