package org.anode.nio;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A minimal DNS lab for {@link DnsNamesTest}: a network namespace of its own (unique short name, only
 * its loopback, so nothing leaks to the host), a real dnsmasq listening on its 127.0.0.1:53 and serving
 * the given records authoritatively, and {@code /etc/netns/<name>/resolv.conf} pointing at it, which
 * {@code ip netns exec} bind-mounts over {@code /etc/resolv.conf} for programs run inside. Needs root.
 * {@link #close()} kills dnsmasq and removes the namespace and its directory, also after a failure.
 */
final class NetnsDns implements AutoCloseable {
    final String name;
    private final Path etcDir;
    private Process dnsmasq;
    private boolean created;

    NetnsDns(List<String> dnsmasqRecordArgs) throws IOException, InterruptedException {
        this.name = "u15" + HexFormat.of().formatHex(SecureRandom.getSeed(3));
        this.etcDir = Path.of("/etc/netns", name);
        try {
            run("ip", "netns", "add", name);
            created = true;
            run("ip", "-n", name, "link", "set", "lo", "up");
            Files.createDirectories(etcDir);
            Files.writeString(etcDir.resolve("resolv.conf"), "nameserver 127.0.0.1\noptions timeout:2 attempts:2\n");
            List<String> cmd = new ArrayList<>(List.of(
                    "ip",
                    "netns",
                    "exec",
                    name,
                    "dnsmasq",
                    "--keep-in-foreground",
                    "--conf-file=/dev/null",
                    "--no-resolv",
                    "--no-hosts",
                    "--listen-address=127.0.0.1",
                    "--bind-interfaces",
                    "--port=53",
                    "--user=root",
                    "--pid-file=/tmp/" + name + ".dnsmasq.pid",
                    "--log-facility=-",
                    "--log-queries"));
            cmd.addAll(dnsmasqRecordArgs);
            dnsmasq = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            awaitStarted();
        } catch (IOException | InterruptedException | RuntimeException e) {
            close();
            throw e;
        }
    }

    /** Waits (bounded) for dnsmasq's "started" log line. */
    private void awaitStarted() throws IOException, InterruptedException {
        BufferedReader r = new BufferedReader(new InputStreamReader(dnsmasq.getInputStream(), StandardCharsets.UTF_8));
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        StringBuilder log = new StringBuilder();
        Thread reader = new Thread(
                () -> {
                    try {
                        String l;
                        while ((l = r.readLine()) != null) {
                            synchronized (log) {
                                if (log.length() < 32_000) {
                                    log.append(l).append('\n');
                                }
                            }
                        }
                    } catch (IOException e) {
                        // dnsmasq went away.
                    }
                },
                "dnsmasq-log");
        reader.setDaemon(true);
        reader.start();
        while (System.nanoTime() < deadline) {
            synchronized (log) {
                if (log.indexOf("started") >= 0) {
                    return;
                }
            }
            if (!dnsmasq.isAlive()) {
                break;
            }
            Thread.sleep(20);
        }
        throw new IOException("dnsmasq did not start in namespace " + name + ":\n" + log);
    }

    /** The command prefix that runs a program inside the namespace. */
    List<String> exec() {
        return List.of("ip", "netns", "exec", name);
    }

    private static void run(String... cmd) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(20, TimeUnit.SECONDS) || p.exitValue() != 0) {
            p.destroyForcibly();
            throw new IOException(String.join(" ", cmd) + " failed: " + out);
        }
    }

    @Override
    public void close() {
        if (dnsmasq != null) {
            dnsmasq.destroyForcibly();
            try {
                dnsmasq.waitFor(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        if (created) {
            try {
                run("ip", "netns", "del", name);
            } catch (IOException | InterruptedException e) {
                System.err.println("could not remove namespace " + name + ": " + e.getMessage());
            }
        }
        try {
            Files.deleteIfExists(Path.of("/tmp/" + name + ".dnsmasq.pid"));
            Files.deleteIfExists(etcDir.resolve("resolv.conf"));
            Files.deleteIfExists(etcDir);
        } catch (IOException e) {
            System.err.println("could not remove " + etcDir + ": " + e.getMessage());
        }
    }

    /** True when this process may create namespaces (root) and the tools are there. */
    static String unavailableReason() {
        if (!"root".equals(System.getProperty("user.name")) && !isUid0()) {
            return "network namespaces need root";
        }
        for (String tool : List.of("/usr/sbin/ip", "/usr/sbin/dnsmasq")) {
            if (!Files.isExecutable(Path.of(tool))
                    && !Files.isExecutable(Path.of(tool.replace("/usr/sbin", "/sbin")))) {
                return tool + " is missing (apt-get install -y iproute2 dnsmasq-base)";
            }
        }
        return null;
    }

    private static boolean isUid0() {
        try {
            Object uid = Files.getAttribute(Path.of("/proc/self"), "unix:uid");
            return Integer.valueOf(0).equals(uid);
        } catch (IOException | UnsupportedOperationException | IllegalArgumentException e) {
            return false;
        }
    }
}
