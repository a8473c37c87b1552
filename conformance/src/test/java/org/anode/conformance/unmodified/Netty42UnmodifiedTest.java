package org.anode.conformance.unmodified;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.anode.address.AnodeIdentity;
import org.anode.address.Zone;
import org.anode.nio.AnodeSocketAddress;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 15: a stock Netty 4.2 echo server and client ({@link Netty42EchoPrograms}) in two child JVMs,
 * over Anode with nothing but JVM flags (the system-wide provider, an identity and the peer's UDP
 * endpoint each). The client dials the server's synthetic IPv6 literal (addendum A2), which maps back
 * to the configured peer.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class Netty42UnmodifiedTest {
    @TempDir
    Path dir;

    @Test
    void stockNetty42EchoOverAnode() throws Exception {
        AnodeIdentity s = AnodeIdentity.generate(Zone.DEFAULT);
        AnodeIdentity c = AnodeIdentity.generate(Zone.DEFAULT);
        s.store(dir.resolve("s.id"));
        c.store(dir.resolve("c.id"));
        int us = freeUdp();
        int uc = freeUdp();
        int port;
        try (ServerSocket ss = new ServerSocket(0)) {
            port = ss.getLocalPort();
        }
        List<String> common = List.of(
                "-Djava.nio.channels.spi.SelectorProvider=org.anode.nio.AnodeSystemSelectorProvider",
                "--add-exports",
                "java.base/sun.nio.ch=ALL-UNNAMED");
        List<String> sf = new ArrayList<>(common);
        sf.addAll(List.of(
                "-Danode.identity=" + dir.resolve("s.id"),
                "-Danode.bind=127.0.0.1:" + us,
                "-Danode.peers=" + c.address() + "@127.0.0.1:" + uc,
                "-Danode.listenWildcard=true"));
        List<String> cf = new ArrayList<>(common);
        cf.addAll(List.of(
                "-Danode.identity=" + dir.resolve("c.id"),
                "-Danode.bind=127.0.0.1:" + uc,
                "-Danode.peers=" + s.address() + "@127.0.0.1:" + us));
        Process server = start(sf, Netty42EchoPrograms.Server.class.getName(), Integer.toString(port));
        try {
            LinkedBlockingQueue<String> sout = pump(server);
            await(sout, "READY", server);
            String literal = AnodeSocketAddress.syntheticAddress(s.address()).getHostAddress();
            Process client =
                    start(cf, Netty42EchoPrograms.Client.class.getName(), literal, Integer.toString(port), "hello-4.2");
            try {
                String line = await(pump(client), "ECHO", client);
                assertTrue(line.startsWith("ECHO hello-4.2 REMOTE "), line);
                assertTrue(line.contains(s.address().toString()), line);
                assertTrue(client.waitFor(30, TimeUnit.SECONDS));
                assertEquals(0, client.exitValue());
            } finally {
                client.destroyForcibly();
            }
        } finally {
            server.getOutputStream().close();
            if (!server.waitFor(5, TimeUnit.SECONDS)) {
                server.destroyForcibly();
            }
        }
    }

    private static int freeUdp() throws IOException {
        try (DatagramSocket d = new DatagramSocket(new InetSocketAddress("127.0.0.1", 0))) {
            return d.getLocalPort();
        }
    }

    private static Process start(List<String> jvmArgs, String main, String... args) throws IOException {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add("-XX:TieredStopAtLevel=1");
        cmd.addAll(jvmArgs);
        cmd.add(main);
        cmd.addAll(List.of(args));
        return new ProcessBuilder(cmd)
                .redirectError(ProcessBuilder.Redirect.DISCARD)
                .start();
    }

    private static LinkedBlockingQueue<String> pump(Process p) {
        LinkedBlockingQueue<String> q = new LinkedBlockingQueue<>();
        Thread t = new Thread(
                () -> {
                    try (BufferedReader r =
                            new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                        String l;
                        while ((l = r.readLine()) != null) {
                            q.add(l);
                        }
                    } catch (IOException e) {
                        // The child went away.
                    }
                },
                "child-out");
        t.setDaemon(true);
        t.start();
        return q;
    }

    private static String await(LinkedBlockingQueue<String> q, String prefix, Process p) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
        while (System.nanoTime() < deadline) {
            String l = q.poll(200, TimeUnit.MILLISECONDS);
            if (l != null && l.startsWith(prefix)) {
                return l;
            }
            if (l == null && !p.isAlive() && q.isEmpty()) {
                throw new AssertionError("child exited " + p.exitValue() + " before '" + prefix + "'");
            }
        }
        throw new AssertionError("no '" + prefix + "' line within 90 s");
    }
}
