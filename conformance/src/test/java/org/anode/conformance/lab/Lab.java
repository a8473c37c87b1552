package org.anode.conformance.lab;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.ProcessBuilder.Redirect;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.jar.JarFile;
import java.util.jar.Manifest;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;

/**
 * The network lab: routed topologies built from Linux network namespaces, with home-router NAT
 * (nftables), a real DNS server (dnsmasq) and real processes, for the end-to-end checks of zone files
 * (draft 2.1.1, DECISIONS 32), zone relays (2.3.1, DECISIONS 33) and relaying (2.3, DECISIONS 34).
 *
 * <p>Shape: one "internet" namespace holds a bridge, {@code 198.18.0.0/24} (a benchmarking range,
 * RFC 2544, used only inside the lab), and the DNS server at {@link #DNS_IP}. Public hosts and the
 * WAN side of routers hang off that bridge; each router has one LAN host behind it on
 * {@code 10.N.0.0/24}. No namespace has a route out of the lab, so nothing the tests do can reach
 * an address outside it; every namespace's resolver is the lab's DNS server (via
 * {@code /etc/netns/NAME/resolv.conf}, which {@code ip netns exec} mounts).
 *
 * <p>Namespaces are named {@code anlab<jvm pid>x<n>-<role>}: unique per lab, and a later run can tell
 * leftovers of a crashed JVM (its pid no longer alive) and sweeps them. {@link #close()} kills every
 * process the lab started and every process left in its namespaces, deletes the namespaces (their
 * veths and bridge go with them) and their {@code /etc/netns} directories, even when a test failed.
 *
 * <p>Needs root, {@code ip}, {@code nft}, {@code dnsmasq} and {@code conntrack}. Without them a lab
 * test is skipped with the reason, except when the environment variable {@code CI=true}: there it
 * fails.
 */
public final class Lab implements AutoCloseable {
    /** The first three octets of the lab's internet segment (a /24). */
    public static final String NET = "198.18.0";
    /** The DNS server's address: the bridge's own address in the internet namespace. */
    public static final String DNS_IP = NET + ".1";

    static final String FAMILY = "anlab";
    private static final Pattern OWNED = Pattern.compile("^" + FAMILY + "(\\d+)x\\d+-.*$");
    private static final Duration COMMAND_TIMEOUT = Duration.ofSeconds(20);
    private static final AtomicInteger LABS = new AtomicInteger();
    private static final Object SWEEP_LOCK = new Object();
    private static boolean swept;
    private static String unavailable;
    private static boolean checked;

    private final String prefix;
    private final Path dir;
    private final List<String> namespaces = new ArrayList<>();
    private final List<LabProcess> processes = new ArrayList<>();
    private final AtomicInteger commands = new AtomicInteger();
    private final Host internet;
    private int routers;

    private Lab(String testName) {
        prefix = FAMILY + ProcessHandle.current().pid() + "x" + LABS.incrementAndGet();
        dir = buildDir().resolve("lab").resolve(prefix + "-" + testName.replaceAll("[^A-Za-z0-9_.-]", "_"));
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        internet = new Host(this, "inet", DNS_IP, null);
    }

    /**
     * Opens a lab for one test: checks the environment (skip or, under CI, fail), sweeps leftovers of
     * crashed runs once per JVM, and creates the internet namespace with its bridge.
     */
    public static Lab open(String testName) {
        String reason = unavailableReason();
        if (reason != null) {
            if (inCi()) {
                fail("the network lab must run in CI (CI=true) but cannot: " + reason);
            }
            Assumptions.abort("network lab unavailable: " + reason);
        }
        sweepOnce();
        Lab lab = new Lab(testName);
        try {
            lab.createInternet();
        } catch (RuntimeException | Error e) {
            lab.closeQuietly(e);
            throw e;
        }
        return lab;
    }

    /** The lab's namespace name prefix, {@code anlab<pid>x<n>}. */
    String prefix() {
        return prefix;
    }

    /** Whether this is a CI run ({@code CI=true}, as CI services set it), where the lab must run. */
    static boolean inCi() {
        String ci = System.getenv("CI");
        return ci != null && (ci.equalsIgnoreCase("true") || ci.equals("1"));
    }

    /** The directory holding this lab's process output, zone files and data. */
    public Path dir() {
        return dir;
    }

    /** The internet namespace (bridge and DNS server); a host like any other for commands. */
    public Host internet() {
        return internet;
    }

    /** A host on the internet segment with the public address {@code NET.last}. */
    public Host publicHost(String role, int last) {
        Host h = new Host(this, role, NET + "." + last, null);
        h.create();
        attachToInternet(h, h.ip);
        return h;
    }

    /**
     * A home router with WAN address {@code NET.wanLast} and one LAN host behind it; returns the LAN
     * host (its {@link Host#router()} is the router). The router masquerades LAN traffic - keeping the
     * source port when it is free ({@link Nat#EASY}) or picking a random one per connection-tracking
     * entry ({@link Nat#HARD}) - and, like a home router, drops every new connection arriving on its
     * WAN side, forwarding only established and related traffic inward.
     */
    public Host hostBehindNat(String role, int wanLast, Nat nat) {
        int n = ++routers;
        String lan = "10." + n + ".0";
        Host router = new Host(this, "gw" + role, NET + "." + wanLast, null);
        router.create();
        attachToInternet(router, router.ip);
        Host host = new Host(this, role, lan + ".2", router);
        host.create();
        root(
                "ip", "-n", router.ns, "link", "add", "name", "lan0", "type", "veth", "peer", "name", "eth0", "netns",
                host.ns);
        router.exec("ip", "addr", "add", lan + ".1/24", "dev", "lan0");
        router.exec("ip", "link", "set", "lan0", "up");
        host.exec("ip", "addr", "add", host.ip + "/24", "dev", "eth0");
        host.exec("ip", "link", "set", "eth0", "up");
        host.exec("ip", "route", "add", "default", "via", lan + ".1");
        router.sysctl("net.ipv4.ip_forward", "1");
        // Per-entry packet counts in conntrack -L: a test can tell a mapping kept alive from one
        // that lapsed and was made again.
        router.sysctl("net.netfilter.nf_conntrack_acct", "1");
        router.nft("table ip lab {\n"
                + "  chain input { type filter hook input priority 0; policy accept;\n"
                + "    iifname \"eth0\" ct state established,related accept\n"
                + "    iifname \"eth0\" drop\n"
                + "  }\n"
                + "  chain forward { type filter hook forward priority 0; policy drop;\n"
                + "    ct state established,related accept\n"
                + "    iifname \"lan0\" oifname \"eth0\" accept\n"
                + "  }\n"
                + "  chain postrouting { type nat hook postrouting priority 100; policy accept;\n"
                + "    oifname \"eth0\" " + (nat == Nat.HARD ? "masquerade random" : "masquerade") + "\n"
                + "  }\n"
                + "}\n");
        return host;
    }

    /**
     * Starts the lab's DNS server (dnsmasq in the internet namespace on {@link #DNS_IP}) answering
     * each name in {@code names} (and its subdomains) with the given address; every other name gets
     * REFUSED, since it has no upstream. Queries are logged to its standard error.
     */
    public LabProcess dns(Map<String, String> names) {
        List<String> cmd = new ArrayList<>(List.of(
                tool("dnsmasq"),
                "-k",
                "--user=root",
                "--conf-file=/dev/null",
                "--no-resolv",
                "--no-hosts",
                "--bind-interfaces",
                "--listen-address=" + DNS_IP,
                "--pid-file=" + dir.resolve("dnsmasq.pid"),
                "--log-queries",
                "--log-facility=-"));
        names.forEach((name, ip) -> cmd.add("--address=/" + name + "/" + ip));
        LabProcess p = internet.start("dnsmasq", Redirect.PIPE, cmd);
        p.awaitStderr("started, version", Duration.ofSeconds(10));
        return p;
    }

    /** The zone file URL of draft 2.1.1: {@code http://a--XXXXXXXX.net/z}. */
    public static String zoneHost(int zone) {
        return String.format("a--%08x.net", zone);
    }

    /** Writes {@code text} to a file in the lab directory and returns it. */
    public Path write(String name, String text) {
        return write(name, text.getBytes(StandardCharsets.UTF_8));
    }

    /** Writes {@code bytes} to a file in the lab directory and returns it. */
    public Path write(String name, byte[] bytes) {
        try {
            return Files.write(dir.resolve(name), bytes);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The Java launcher of the running JVM (so a JDK 25 build runs its lab processes on JDK 25). */
    static String javaLauncher() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    /**
     * The test class path: surefire passes it as {@code surefire.test.class.path}; a manifest-only
     * booter jar on {@code java.class.path} is expanded.
     */
    static String testClassPath() {
        String cp = System.getProperty("surefire.test.class.path");
        if (cp != null && !cp.isBlank()) {
            return cp;
        }
        cp = System.getProperty("java.class.path");
        String[] entries = cp.split(File.pathSeparator);
        if (entries.length == 1 && entries[0].endsWith(".jar")) {
            try (JarFile jar = new JarFile(entries[0])) {
                Manifest mf = jar.getManifest();
                String manifestCp = mf == null ? null : mf.getMainAttributes().getValue("Class-Path");
                if (manifestCp != null) {
                    List<String> out = new ArrayList<>();
                    for (String url : manifestCp.trim().split("\\s+")) {
                        out.add(Path.of(URI.create(url)).toString());
                    }
                    return String.join(File.pathSeparator, out);
                }
            } catch (IOException | IllegalArgumentException e) {
                return cp;
            }
        }
        return cp;
    }

    // ------------------------------------------------------------------ building

    private void createInternet() {
        internet.create();
        internet.exec("ip", "link", "add", "br0", "type", "bridge");
        internet.exec("ip", "addr", "add", DNS_IP + "/24", "dev", "br0");
        internet.exec("ip", "link", "set", "br0", "up");
    }

    private void attachToInternet(Host h, String ip) {
        // The veth is created inside the internet namespace with its peer placed straight into the
        // host's: neither end ever exists in the root namespace, so labs never collide on names.
        String port = "p-" + h.role;
        root(
                "ip",
                "-n",
                internet.ns,
                "link",
                "add",
                "name",
                port,
                "type",
                "veth",
                "peer",
                "name",
                "eth0",
                "netns",
                h.ns);
        internet.exec("ip", "link", "set", port, "master", "br0");
        internet.exec("ip", "link", "set", port, "up");
        h.exec("ip", "addr", "add", ip + "/24", "dev", "eth0");
        h.exec("ip", "link", "set", "eth0", "up");
    }

    void registerNamespace(String ns) {
        namespaces.add(ns);
    }

    synchronized void registerProcess(LabProcess p) {
        processes.add(p);
    }

    Path nextCommandFile(String suffix) {
        return dir.resolve("cmd-" + commands.incrementAndGet() + suffix);
    }

    // ------------------------------------------------------------------ commands

    /** The outcome of a finished command. */
    record Result(int status, String out, String err) {}

    /** Runs a command in the root namespace; fails the test on a non-zero status. */
    String root(String... cmd) {
        Result r = run(null, Arrays.asList(cmd), COMMAND_TIMEOUT);
        if (r.status != 0) {
            throw new AssertionError(
                    "lab command failed (" + r.status + "): " + String.join(" ", cmd) + "\n" + r.err + r.out);
        }
        return r.out;
    }

    /** Runs a command with {@code stdin} (or none) and returns its status and output. */
    Result run(String stdin, List<String> cmd, Duration timeout) {
        List<String> full = new ArrayList<>(cmd);
        full.set(0, tool(full.get(0)));
        Path out = nextCommandFile(".out");
        Path err = nextCommandFile(".err");
        ProcessBuilder pb =
                new ProcessBuilder(full).redirectOutput(out.toFile()).redirectError(err.toFile());
        pb.environment().put("PATH", searchPath());
        try {
            Process p = pb.start();
            try (var in = p.getOutputStream()) {
                if (stdin != null) {
                    in.write(stdin.getBytes(StandardCharsets.UTF_8));
                }
            }
            if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                p.destroyForcibly();
                throw new AssertionError("lab command timed out after " + timeout + ": " + String.join(" ", cmd));
            }
            Result r = new Result(p.exitValue(), Files.readString(out), Files.readString(err));
            Files.deleteIfExists(out);
            Files.deleteIfExists(err);
            return r;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot run " + String.join(" ", cmd), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        }
    }

    // ------------------------------------------------------------------ environment

    private static final List<String> SBIN =
            List.of("/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin");

    static String searchPath() {
        String path = System.getenv("PATH");
        StringBuilder sb = new StringBuilder(path == null ? "" : path);
        for (String d : SBIN) {
            sb.append(File.pathSeparator).append(d);
        }
        return sb.toString();
    }

    /** The absolute path of a tool (sbin directories included), or the name itself when not found. */
    static String tool(String name) {
        if (name.contains("/")) {
            return name;
        }
        for (String d : searchPath().split(File.pathSeparator)) {
            if (!d.isEmpty() && Files.isExecutable(Path.of(d, name))) {
                return Path.of(d, name).toString();
            }
        }
        return name;
    }

    /** Why the lab cannot run here, or null when it can. Checked once per JVM. */
    static synchronized String unavailableReason() {
        if (checked) {
            return unavailable;
        }
        checked = true;
        if (!System.getProperty("os.name", "").toLowerCase().contains("linux")) {
            return unavailable = "needs Linux network namespaces (os.name=" + System.getProperty("os.name") + ")";
        }
        if (!isRoot()) {
            return unavailable = "needs root (ip netns, nft, dnsmasq)";
        }
        List<String> missing = new ArrayList<>();
        for (String t : List.of("ip", "nft", "dnsmasq", "conntrack")) {
            if (!tool(t).startsWith("/")) {
                missing.add(t);
            }
        }
        if (!missing.isEmpty()) {
            return unavailable =
                    "missing tools " + missing + " (apt-get install -y iproute2 nftables dnsmasq-base conntrack)";
        }
        String probe = FAMILY + ProcessHandle.current().pid() + "x0-probe";
        try {
            ProcessBuilder pb = new ProcessBuilder(tool("ip"), "netns", "add", probe).redirectErrorStream(true);
            Process p = pb.start();
            String msg = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
            if (!p.waitFor(10, TimeUnit.SECONDS) || p.exitValue() != 0) {
                p.destroyForcibly();
                return unavailable = "cannot create a network namespace: " + msg;
            }
            new ProcessBuilder(tool("ip"), "netns", "del", probe)
                    .inheritIO()
                    .start()
                    .waitFor(10, TimeUnit.SECONDS);
        } catch (IOException e) {
            return unavailable = "cannot run ip: " + e.getMessage();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return unavailable = "interrupted";
        }
        return null;
    }

    private static boolean isRoot() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("Uid:")) {
                    return line.split("\\s+")[2].equals("0");
                }
            }
        } catch (IOException e) {
            return false;
        }
        return false;
    }

    private static Path buildDir() {
        try {
            // target/test-classes (or the -Danode.build directory's): its parent is the build directory.
            Path classes = Path.of(Lab.class
                    .getProtectionDomain()
                    .getCodeSource()
                    .getLocation()
                    .toURI());
            return classes.getParent();
        } catch (URISyntaxException | RuntimeException e) {
            return Path.of(System.getProperty("java.io.tmpdir"));
        }
    }

    // ------------------------------------------------------------------ cleanup

    /**
     * Deletes namespaces (and /etc/netns directories) of the lab family left by JVMs that are no
     * longer running, once per JVM; a live JVM's labs are left alone, so parallel runs are safe.
     */
    private static void sweepOnce() {
        synchronized (SWEEP_LOCK) {
            if (swept) {
                return;
            }
            swept = true;
            List<String> stale = new ArrayList<>();
            for (String ns : listNamespaces()) {
                if (isStale(ns)) {
                    stale.add(ns);
                }
            }
            for (String ns : stale) {
                removeNamespace(ns);
            }
            File[] etc = new File("/etc/netns").listFiles();
            if (etc != null) {
                for (File f : etc) {
                    if (isStale(f.getName())) {
                        deleteTree(f.toPath());
                    }
                }
            }
        }
    }

    private static boolean isStale(String ns) {
        Matcher m = OWNED.matcher(ns);
        if (!m.matches()) {
            return false;
        }
        long pid = Long.parseLong(m.group(1));
        return pid != ProcessHandle.current().pid()
                && ProcessHandle.of(pid).map(ph -> !ph.isAlive()).orElse(true);
    }

    static List<String> listNamespaces() {
        try {
            Process p = new ProcessBuilder(tool("ip"), "netns", "list")
                    .redirectErrorStream(true)
                    .start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            p.waitFor(10, TimeUnit.SECONDS);
            List<String> names = new ArrayList<>();
            for (String line : out.split("\n")) {
                String name = line.trim().split("\\s+")[0];
                if (!name.isEmpty()) {
                    names.add(name);
                }
            }
            return names;
        } catch (IOException e) {
            return List.of();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return List.of();
        }
    }

    /** Kills every process in {@code ns}, deletes it and its /etc/netns directory; errors are returned. */
    private static String removeNamespace(String ns) {
        StringBuilder errors = new StringBuilder();
        try {
            for (int round = 0; round < 50; round++) {
                Process p = new ProcessBuilder(tool("ip"), "netns", "pids", ns)
                        .redirectErrorStream(true)
                        .start();
                String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                p.waitFor(10, TimeUnit.SECONDS);
                List<Long> pids = out.lines()
                        .map(String::trim)
                        .filter(s -> s.matches("\\d+"))
                        .map(Long::parseLong)
                        .toList();
                if (pids.isEmpty()) {
                    break;
                }
                for (long pid : pids) {
                    ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
                }
                Thread.sleep(100);
            }
            Process del = new ProcessBuilder(tool("ip"), "netns", "del", ns)
                    .redirectErrorStream(true)
                    .start();
            String out = new String(del.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!del.waitFor(10, TimeUnit.SECONDS) || del.exitValue() != 0) {
                errors.append("ip netns del ")
                        .append(ns)
                        .append(": ")
                        .append(out.trim())
                        .append('\n');
            }
        } catch (IOException e) {
            errors.append(ns).append(": ").append(e.getMessage()).append('\n');
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            errors.append(ns).append(": interrupted\n");
        }
        deleteTree(Path.of("/etc/netns", ns));
        return errors.toString();
    }

    private static void deleteTree(Path p) {
        if (!Files.exists(p)) {
            return;
        }
        try (Stream<Path> s = Files.walk(p)) {
            for (Path q : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(q);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Stops every process the lab started, then kills whatever else runs in its namespaces and
     * deletes them with their /etc/netns directories. Fails (after doing all of it) if a namespace
     * could not be deleted.
     */
    @Override
    public void close() {
        List<LabProcess> ps;
        synchronized (this) {
            ps = new ArrayList<>(processes);
        }
        for (int i = ps.size() - 1; i >= 0; i--) {
            ps.get(i).close();
        }
        StringBuilder errors = new StringBuilder();
        for (int i = namespaces.size() - 1; i >= 0; i--) {
            errors.append(removeNamespace(namespaces.get(i)));
        }
        namespaces.clear();
        if (errors.length() > 0) {
            throw new AssertionError("lab cleanup incomplete:\n" + errors);
        }
    }

    private void closeQuietly(Throwable cause) {
        try {
            close();
        } catch (RuntimeException | Error e) {
            cause.addSuppressed(e);
        }
    }

    /** The two NAT behaviours of nftables masquerading (see the lab facts). */
    public enum Nat {
        /** {@code masquerade}: keeps the source port when free (endpoint-independent mapping). */
        EASY,
        /** {@code masquerade random}: a random port per connection-tracking entry (endpoint-dependent). */
        HARD
    }
}
