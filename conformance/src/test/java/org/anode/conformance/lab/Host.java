package org.anode.conformance.lab;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.ProcessBuilder.Redirect;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One network namespace of a {@link Lab}: a public host, a router or a host behind a router (the
 * peers, relays and NATs of draft 2.3 and 2.3.1). Runs commands and long-lived processes inside it.
 */
public final class Host {
    private static final Duration COMMAND_TIMEOUT = Duration.ofSeconds(20);
    private static final Pattern COUNTER = Pattern.compile("packets (\\d+) bytes (\\d+)");

    final Lab lab;
    final String role;
    final String ns;
    final String ip;
    private final Host router;

    Host(Lab lab, String role, String ip, Host router) {
        if (role.length() > 10) {
            // The role names the bridge port "p-<role>" and interface names stop at 15 characters.
            throw new IllegalArgumentException("role too long: " + role);
        }
        this.lab = lab;
        this.role = role;
        this.ns = lab.prefix() + "-" + role;
        this.ip = ip;
        this.router = router;
    }

    /** The host's own address (public, or on its router's LAN). */
    public String ip() {
        return ip;
    }

    /** The namespace's name. */
    public String namespace() {
        return ns;
    }

    /** The router this host sits behind, or null for a public host. */
    public Host router() {
        return router;
    }

    void create() {
        lab.root("ip", "netns", "add", ns);
        lab.registerNamespace(ns);
        // Every namespace resolves through the lab's DNS server, never through the machine's: a
        // name lookup cannot leave the lab even where no dnsmasq runs.
        Path etc = Path.of("/etc/netns", ns);
        try {
            Files.createDirectories(etc);
            Files.writeString(
                    etc.resolve("resolv.conf"), "nameserver " + Lab.DNS_IP + "\noptions timeout:1 attempts:2\n");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        exec("ip", "link", "set", "lo", "up");
    }

    /** Runs a command in this namespace; fails the test on a non-zero status. Returns its output. */
    public String exec(String... cmd) {
        Lab.Result r = tryExec(null, cmd);
        if (r.status() != 0) {
            throw new AssertionError("in " + ns + ": command failed (" + r.status() + "): " + String.join(" ", cmd)
                    + "\n" + r.err() + r.out());
        }
        return r.out();
    }

    /** Runs a command in this namespace, with {@code stdin} (or none), and returns its outcome. */
    Lab.Result tryExec(String stdin, String... cmd) {
        List<String> full = new ArrayList<>(List.of("ip", "netns", "exec", ns, Lab.tool(cmd[0])));
        full.addAll(Arrays.asList(cmd).subList(1, cmd.length));
        return lab.run(stdin, full, COMMAND_TIMEOUT);
    }

    /** Sets a sysctl of this namespace (through /proc/sys, so procps is not needed). */
    public void sysctl(String key, String value) {
        String file = "/proc/sys/" + key.replace('.', '/');
        exec("sh", "-c", "echo " + value + " > " + file);
    }

    /** Reads a sysctl of this namespace. */
    public String sysctl(String key) {
        return exec("cat", "/proc/sys/" + key.replace('.', '/')).trim();
    }

    /** Loads an nftables script into this namespace ({@code nft -f -}). */
    public void nft(String script) {
        Lab.Result r = tryExec(script, "nft", "-f", "-");
        if (r.status() != 0) {
            throw new AssertionError("in " + ns + ": nft rejected\n" + script + "\n" + r.err());
        }
    }

    /** The packets counted so far by the named nftables counter {@code counter} of table {@code ip lab}. */
    public long packets(String counter) {
        String out = exec("nft", "list", "counter", "ip", "lab", counter);
        Matcher m = COUNTER.matcher(out);
        if (!m.find()) {
            throw new AssertionError("in " + ns + ": no counter " + counter + " in\n" + out);
        }
        return Long.parseLong(m.group(1));
    }

    /**
     * Counts the packets arriving at this namespace that match the nftables expression
     * {@code match}, in the named counter {@code name} of table {@code ip lab} (read with
     * {@link #packets}).
     */
    public void count(String name, String match) {
        count("input", name, match);
    }

    /** Like {@link #count}, for packets this namespace sends (hook output): what a relay forwards. */
    public void countSent(String name, String match) {
        count("output", name, match);
    }

    private void count(String hook, String name, String match) {
        nft("add table ip lab\n"
                + "add chain ip lab count_" + hook + " { type filter hook " + hook + " priority -10; policy accept; }\n"
                + "add counter ip lab " + name + "\n"
                + "add rule ip lab count_" + hook + " " + match + " counter name " + name + "\n");
    }

    /** Waits until a process in this namespace has a UDP socket bound to {@code port}. */
    public void awaitUdpPort(int port, Duration timeout) {
        awaitSocket("-u", port, timeout);
    }

    /** Waits until a process in this namespace listens on TCP {@code port}. */
    public void awaitTcpPort(int port, Duration timeout) {
        awaitSocket("-t", port, timeout);
    }

    private void awaitSocket(String proto, int port, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        Pattern bound = Pattern.compile(":" + port + "\\s");
        while (true) {
            String out = exec("ss", "-H", "-l", "-n", proto);
            if (bound.matcher(out).find()) {
                return;
            }
            if (System.nanoTime() - deadline > 0) {
                throw new AssertionError("in " + ns + ": nothing bound to " + proto + " port " + port + " within "
                        + timeout + "\n" + out);
            }
            LabProcess.sleep(Duration.ofMillis(100));
        }
    }

    /** Waits until counter {@code name} has counted at least {@code n} packets; returns the count. */
    public long awaitPackets(String name, long n, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            long c = packets(name);
            if (c >= n) {
                return c;
            }
            if (System.nanoTime() - deadline > 0) {
                throw new AssertionError(
                        "in " + ns + ": counter " + name + " at " + c + ", not " + n + ", after " + timeout);
            }
            LabProcess.sleep(Duration.ofMillis(100));
        }
    }

    /** Forgets every NAT mapping of this router ({@code conntrack -F}): the next packet gets a new one. */
    public void flushConntrack() {
        exec("conntrack", "-F");
    }

    /** The connection-tracking table as {@code conntrack -L} prints it. */
    public String conntrack() {
        Lab.Result r = tryExec(null, "conntrack", "-L");
        if (r.status() != 0) {
            throw new AssertionError("in " + ns + ": conntrack -L failed\n" + r.err());
        }
        return r.out();
    }

    /**
     * Shortens this namespace's UDP connection-tracking timeouts: {@code unreplied} seconds for a
     * mapping that never saw an answer, {@code replied} seconds for one that did ("stream").
     */
    public void udpTimeouts(int unreplied, int replied) {
        sysctl("net.netfilter.nf_conntrack_udp_timeout", Integer.toString(unreplied));
        sysctl("net.netfilter.nf_conntrack_udp_timeout_stream", Integer.toString(replied));
    }

    /**
     * Delays every IPv4 packet this namespace sends by {@code oneWay}: the lab's stand-in for a
     * wide-area path, since the kernel has no netem (docs/LAB.md). The outbound traffic is routed
     * into a TUN device whose program ({@code lab/wandelay.py}) sends each packet on, unchanged,
     * once its time has come, through a raw socket with firewall mark 1, which a policy rule
     * routes the normal way. Inbound traffic is not touched, so a path between two delayed hosts
     * gets each sender's delay one way, and its round trip the sum of both. The program ends with
     * the lab (its standard input closes), and its device and routes go with it. With {@code
     * -Dlab.wan.log=true} it also logs every packet it delays, with a timestamp all namespaces
     * share, to {@code wandelay-ROLE.log} in the lab directory.
     */
    public LabProcess delayOutbound(Duration oneWay) {
        String python = Lab.tool("python3");
        if (!python.startsWith("/") || Files.notExists(Path.of("/dev/net/tun"))) {
            String why =
                    "the lab's wide-area delay needs python3 and /dev/net/tun (apt-get install -y python3-minimal)";
            if ("true".equals(System.getenv("CI"))) {
                org.junit.jupiter.api.Assertions.fail(why);
            }
            org.junit.jupiter.api.Assumptions.abort(why);
        }
        Path script = lab.dir().resolve("wandelay.py");
        try (var in = Host.class.getResourceAsStream("/lab/wandelay.py")) {
            if (in == null) {
                throw new IllegalStateException("lab/wandelay.py is not on the test class path");
            }
            if (Files.notExists(script)) {
                Files.write(script, in.readAllBytes());
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        List<String> cmd = new ArrayList<>(
                List.of(python, script.toString(), "dly0", Double.toString(oneWay.toNanos() / 1e6), "1"));
        if (Boolean.getBoolean("lab.wan.log")) {
            // A timestamped capture of everything this namespace sends, for finding where time goes.
            cmd.add(lab.dir().resolve("wandelay-" + role + ".log").toString());
        }
        LabProcess p = start("wandelay-" + role, Redirect.PIPE, cmd);
        p.await("^ready$", Duration.ofSeconds(20));
        exec("ip", "link", "set", "dly0", "up");
        // Marked packets come back in no interface, but replies to delayed packets arrive on eth0
        // while the route back to their source now names dly0: reverse-path filtering would drop them.
        for (String itf : List.of("all", "default", "eth0", "dly0")) {
            sysctl("net.ipv4.conf." + itf + ".rp_filter", "0");
        }
        exec("ip", "route", "add", "default", "dev", "dly0", "src", ip, "table", "100");
        exec("ip", "rule", "add", "not", "fwmark", "1", "table", "100", "pref", "100");
        return p;
    }

    /**
     * Starts a long-lived process in this namespace; its output goes to {@code <name>.out/.err} in the
     * lab directory, its input comes from {@code stdin} (a pipe the test can write to, or a file).
     */
    public LabProcess start(String name, Redirect stdin, List<String> cmd) {
        List<String> full = new ArrayList<>(List.of(Lab.tool("ip"), "netns", "exec", ns));
        full.addAll(cmd);
        Path out = lab.dir().resolve(name + ".out");
        Path err = lab.dir().resolve(name + ".err");
        ProcessBuilder pb = new ProcessBuilder(full)
                .redirectInput(stdin)
                .redirectOutput(out.toFile())
                .redirectError(err.toFile());
        pb.environment().put("PATH", Lab.searchPath());
        // A lab process must not inherit agent or debug options meant for the test JVM.
        pb.environment().remove("JAVA_TOOL_OPTIONS");
        pb.environment().remove("_JAVA_OPTIONS");
        try {
            LabProcess p = new LabProcess(name, ns, pb.start(), out, err);
            lab.registerProcess(p);
            return p;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start " + full, e);
        }
    }

    /**
     * Starts a JVM in this namespace on the test class path (which holds anode-nio and the lab's own
     * classes). Small heap and serial GC: the machine has two cores and several of these at once.
     */
    public LabProcess java(String name, Redirect stdin, String mainClass, String... args) {
        List<String> cmd = new ArrayList<>(
                List.of(Lab.javaLauncher(), "-Xmx256m", "-XX:+UseSerialGC", "-cp", Lab.testClassPath(), mainClass));
        cmd.addAll(Arrays.asList(args));
        return start(name, stdin, cmd);
    }

    /** Runs the {@code anode} command ({@code org.anode.cli.AnodeCli}) in this namespace. */
    public LabProcess anode(String name, Redirect stdin, String... args) {
        return java(name, stdin, "org.anode.cli.AnodeCli", args);
    }

    /** Starts a {@link LabAgent} here and waits until it is ready for commands. */
    public LabProcess agent(String name) {
        LabProcess p = java(name, Redirect.PIPE, LabAgent.class.getName());
        p.await("^ready$", Duration.ofSeconds(30));
        return p;
    }

    @Override
    public String toString() {
        return ns + "(" + ip + ")";
    }
}
