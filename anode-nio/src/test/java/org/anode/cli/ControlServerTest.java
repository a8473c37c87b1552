package org.anode.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import org.anode.address.AnodeIdentity;
import org.anode.address.Zone;
import org.anode.nio.AnodeNode;
import org.anode.nio.AnodeNodeConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** anode status through a node's control socket in an owner-only directory. */
@Timeout(60)
class ControlServerTest {
    private static AnodeNode node() throws IOException {
        return AnodeNode.start(
                AnodeIdentity.generate(Zone.DEFAULT),
                AnodeNodeConfig.builder()
                        .bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))
                        .build());
    }

    private static String[] status(List<String> args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int rc = ControlServer.statusCommand(
                args,
                new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        return new String[] {
            String.valueOf(rc), out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8)
        };
    }

    @Test
    void statusPrintsAddressCountersPeersAndPaths(@TempDir Path tmp) throws Exception {
        Path dir = tmp.resolve("control");
        try (AnodeNode a = node();
                AnodeNode b = node();
                ControlServer s = ControlServer.start(a, dir)) {
            assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(dir)));
            a.addPeerEndpoint(b.address(), b.localEndpoints().get(0));
            b.addPeerEndpoint(a.address(), a.localEndpoints().get(0));
            a.ping(b.address(), Duration.ofSeconds(10));
            String[] r = status(List.of("--control", dir.toString()));
            assertEquals("0", r[0], r[2]);
            String text = r[1];
            assertTrue(text.startsWith("node      " + a.address() + "\n"), text);
            assertTrue(text.contains("state     running\n"), text);
            assertTrue(
                    text.contains("udp       "
                            + ConformanceCheck.hostPort(a.localEndpoints().get(0))),
                    text);
            assertTrue(text.matches("(?s).*\\n  accepted +[1-9][0-9]*\\n.*"), text);
            assertTrue(
                    text.contains("peers     1\n  " + b.address() + " "
                            + ConformanceCheck.hostPort(b.localEndpoints().get(0)) + "/0\n"),
                    text);
            // By address and by short id too.
            assertEquals(
                    "0", status(List.of("--control", dir.toString(), a.address().toString()))[0]);
            assertEquals(
                    "0",
                    status(List.of(
                            "--control", dir.toString(), a.address().shortId().toString()))[0]);
            assertEquals(
                    "1", status(List.of("--control", dir.toString(), b.address().toString()))[0]);
            Path sock = s.socket();
            assertTrue(Files.exists(sock));
            s.close();
            assertFalse(Files.exists(sock), "the socket goes with the node");
        }
        String[] none = status(List.of("--control", dir.toString()));
        assertEquals("1", none[0]);
        assertTrue(none[2].contains("no running node"), none[2]);
    }

    @Test
    void aDirectoryOthersCanEnterIsRefused(@TempDir Path tmp) throws Exception {
        Path dir = tmp.resolve("open");
        Files.createDirectory(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwxr-xr-x")));
        try (AnodeNode a = node()) {
            IOException e = assertThrows(IOException.class, () -> ControlServer.start(a, dir));
            assertTrue(e.getMessage().contains("must be owner-only"), e.getMessage());
            // A node command keeps running without its control socket, and says so.
            ByteArrayOutputStream err = new ByteArrayOutputStream();
            assertEquals(null, ControlServer.tryStart(a, dir, new PrintStream(err, true, StandardCharsets.UTF_8)));
            assertTrue(
                    err.toString(StandardCharsets.UTF_8).contains("no control socket"),
                    err.toString(StandardCharsets.UTF_8));
        }
    }

    @Test
    void twoNodesNeedAName(@TempDir Path tmp) throws Exception {
        Path dir = tmp.resolve("c");
        try (AnodeNode a = node();
                AnodeNode b = node();
                ControlServer sa = ControlServer.start(a, dir);
                ControlServer sb = ControlServer.start(b, dir)) {
            String[] r = status(List.of("--control", dir.toString()));
            assertEquals("2", r[0]);
            assertTrue(
                    r[2].contains(a.address().shortId().toString())
                            && r[2].contains(b.address().shortId().toString()),
                    r[2]);
            String[] one =
                    status(List.of("--control", dir.toString(), b.address().toString()));
            assertTrue(one[1].startsWith("node      " + b.address()), one[1]);
        }
    }

    @Test
    void aStaleSocketIsReplacedButALiveOneIsNot(@TempDir Path tmp) throws Exception {
        Path dir = tmp.resolve("c");
        try (AnodeNode a = node()) {
            ControlServer first = ControlServer.start(a, dir);
            IOException e = assertThrows(IOException.class, () -> ControlServer.start(a, dir));
            assertTrue(e.getMessage().contains("another node"), e.getMessage());
            first.close();
            // A socket file whose server died (no one listening) is taken over.
            Files.createFile(ControlServer.socketPath(dir, a));
            try (ControlServer again = ControlServer.start(a, dir)) {
                assertTrue(ControlServer.query(again.socket()).startsWith("node      " + a.address()));
            }
        }
    }

    @Test
    void usage() {
        assertEquals("0", status(List.of("--help"))[0]);
        assertEquals("2", status(List.of("--bogus"))[0]);
        assertEquals("2", status(List.of("--control"))[0]);
    }
}
