package org.anode.conformance.lab;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.lang.ProcessBuilder.Redirect;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import org.anode.conformance.lab.ZoneLab.Id;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;

/**
 * Through firewalls (draft 2.9.2, 2.9.3; DECISIONS 14, 38), with real {@code anode} processes in
 * the {@link Lab}: a host whose router drops UDP reaches a peer through the zone relay over TCP; a
 * host that may only speak HTTP through a real proxy (tinyproxy) does so over HTTP and returns to
 * UDP when UDP is allowed again, mid-stream; clients on TCP and HTTP ride out a relay restart; and
 * hostile clients of the relay's TCP and HTTP ports do not stop it serving real ones.
 *
 * <p>Every node reads the zone file from a local file ({@code --zone}), so that the only traffic
 * the firewalls must let through is the transport's: the relay serves UDP 4343, TCP 4344 and HTTP
 * 80 ({@code zh.0=http://198.18.0.10:80/a}).
 */
@Tag("lab")
class FallbackLabTest {
    private static final Duration START = Duration.ofSeconds(30);
    private static final int PROXY_PORT = 8888;
    private static final int HTTP_PORT = 80;

    private record World(Lab lab, Host relayHost, Id relayId, Path zone, String zoneOpt) {}

    private static World world(Lab lab) {
        Host relayHost = lab.publicHost("r1", 10);
        Id relayId = ZoneLab.identity(lab, "r1");
        String text = ZoneLab.zoneFile(1, new String[] {relayHost.ip()}, new Id[] {relayId}) + "zh.0=http://"
                + relayHost.ip() + ":" + HTTP_PORT + "/a\n";
        Path zone = lab.write("z", text);
        return new World(lab, relayHost, relayId, zone, ZoneLab.zoneOption(zone));
    }

    private static LabProcess relay(World w, String name) {
        LabProcess relay = w.relayHost.anode(
                name,
                Redirect.PIPE,
                "relay",
                "--identity",
                w.relayId.file().toString(),
                "--udp",
                Integer.toString(ZoneLab.RELAY_UDP),
                "--tcp",
                Integer.toString(ZoneLab.RELAY_TCP),
                "--zone-file",
                w.zone.toString(),
                "--http",
                Integer.toString(HTTP_PORT));
        w.relayHost.awaitUdpPort(ZoneLab.RELAY_UDP, START);
        w.relayHost.awaitTcpPort(ZoneLab.RELAY_TCP, START);
        w.relayHost.awaitTcpPort(HTTP_PORT, START);
        return relay;
    }

    /** Drops UDP between {@code h} and the internet, both ways, at its router. */
    private static void blockUdp(Host h) {
        h.router()
                .nft("table ip fw {\n  chain forward { type filter hook forward priority -5; policy accept;\n"
                        + "    meta l4proto udp drop\n  }\n}\n");
    }

    /** Lets {@code h} out only to the proxy's TCP port (and the answers back in). */
    private static void onlyProxy(Host h, Host proxy) {
        h.router()
                .nft("table ip fw {\n  chain forward { type filter hook forward priority -5; policy accept;\n"
                        + "    ct state established,related accept\n"
                        + "    iifname \"lan0\" ip daddr " + proxy.ip() + " tcp dport " + PROXY_PORT + " accept\n"
                        + "    drop\n  }\n}\n");
    }

    private static void unblock(Host h) {
        h.router().exec("nft", "delete", "table", "ip", "fw");
    }

    /** tinyproxy on {@code proxy}, with its own configuration file in the lab directory. */
    private static LabProcess tinyproxy(Lab lab, Host proxy) {
        String tp = Lab.tool("tinyproxy");
        if (!tp.startsWith("/")) {
            if ("true".equals(System.getenv("CI"))) {
                fail("the fallback lab test needs tinyproxy in CI (apt-get install -y tinyproxy)");
            }
            Assumptions.abort("tinyproxy not installed (apt-get install -y tinyproxy)");
        }
        Path conf = lab.write(
                "tinyproxy.conf",
                "Port " + PROXY_PORT + "\nListen " + proxy.ip() + "\nTimeout 600\n"
                        + "MaxClients 100\nAllow 10.0.0.0/8\nAllow 198.18.0.0/24\nConnectPort 80\nLogLevel Info\n");
        LabProcess p = proxy.start("tinyproxy", Redirect.PIPE, java.util.List.of(tp, "-d", "-c", conf.toString()));
        proxy.awaitTcpPort(PROXY_PORT, START);
        return p;
    }

    private static String name(TestInfo info) {
        return info.getTestMethod().orElseThrow().getName();
    }

    private static LabProcess transfer(
            World w,
            Host from,
            Id fromId,
            Host to,
            Id toId,
            int bytes,
            Duration timeout,
            java.util.function.Consumer<LabProcess> midway,
            String... extra) {
        byte[] data = ZoneLab.data(bytes, 3);
        Path in = w.lab.write("data.bin", data);
        LabProcess listen = to.anode(
                "listen", Redirect.PIPE, "listen", "--identity", toId.file().toString(), "--zone", w.zoneOpt, "5000");
        w.relayHost.awaitPackets("from_" + to.ip().replace('.', '_'), 1, START);
        java.util.List<String> args = new java.util.ArrayList<>(
                java.util.List.of("cat", "--identity", fromId.file().toString(), "--zone", w.zoneOpt));
        args.addAll(java.util.List.of(extra));
        args.add(toId.address() + ":5000");
        long t0 = System.nanoTime();
        LabProcess cat;
        if (midway == null) {
            cat = from.anode("cat", Redirect.from(in.toFile()), args.toArray(new String[0]));
            awaitBytes(listen, bytes, timeout, cat);
        } else {
            // Fed through a pipe: a quarter, then what happens midway (it may wait for the node to
            // change carriers, with the stream idle meanwhile), then the rest - so the rest goes
            // over whatever the node changed to, however fast the first carrier was.
            cat = from.anode("cat", Redirect.PIPE, args.toArray(new String[0]));
            LabProcess c = cat;
            int quarter = bytes / 4;
            CompletableFuture<Void> first = CompletableFuture.runAsync(() -> c.write(data, 0, quarter));
            awaitBytes(listen, quarter, timeout, cat);
            join(first, cat);
            midway.accept(cat);
            CompletableFuture<Void> rest = CompletableFuture.runAsync(() -> {
                c.write(data, quarter, bytes - quarter);
                c.closeStdin();
            });
            awaitBytes(listen, bytes, timeout, cat);
            join(rest, cat);
        }
        double s = (System.nanoTime() - t0) / 1e9;
        assertEquals(ZoneLab.sha256(data), ZoneLab.sha256(listen.stdoutFile(), bytes), "the stream's bytes");
        LabProcess.sleep(Duration.ofMillis(500));
        assertEquals(bytes, ZoneLab.size(listen.stdoutFile()), "nothing after the data" + listen.tails());
        w.lab.write("measured.txt", bytes + " bytes in " + s + " s\n");
        return cat;
    }

    /** Waits (bounded) for a write to the sender's standard input, which the sender has consumed by now. */
    private static void join(CompletableFuture<Void> write, LabProcess cat) {
        try {
            write.get(60, TimeUnit.SECONDS);
        } catch (java.util.concurrent.ExecutionException e) {
            throw new AssertionError("writing to cat failed" + cat.tails(), e.getCause());
        } catch (java.util.concurrent.TimeoutException e) {
            throw new AssertionError("cat did not take its input within 60 s" + cat.tails(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        }
    }

    /** Like {@link ZoneRelayLabTest#awaitBytes}, but also fails at once when the sender failed. */
    private static void awaitBytes(LabProcess listen, long n, Duration timeout, LabProcess cat) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (ZoneLab.size(listen.stdoutFile()) < n) {
            if (!cat.isAlive() && cat.awaitExit(Duration.ofSeconds(1)) != 0) {
                throw new AssertionError("cat failed after " + ZoneLab.size(listen.stdoutFile()) + " of " + n + " bytes"
                        + cat.tails() + listen.tails());
            }
            if (!listen.isAlive() || System.nanoTime() - deadline > 0) {
                throw new AssertionError(
                        ZoneLab.size(listen.stdoutFile()) + " of " + n + " bytes" + listen.tails() + cat.tails());
            }
            LabProcess.sleep(Duration.ofMillis(100));
        }
    }

    /** Counts, at the relay, what arrives from {@code h}'s router: UDP, TCP to 4344, HTTP. */
    private static void countFrom(World w, Host h) {
        String gw = h.router().ip();
        String k = h.ip().replace('.', '_');
        w.relayHost.count("from_" + k, "ip saddr " + gw);
        w.relayHost.count("udp_" + k, "ip saddr " + gw + " udp dport " + ZoneLab.RELAY_UDP);
        w.relayHost.count("tcp_" + k, "ip saddr " + gw + " tcp dport " + ZoneLab.RELAY_TCP);
        w.relayHost.count("http_" + k, "ip saddr " + gw + " tcp dport " + HTTP_PORT);
    }

    @Test
    void udpDroppedTheHostReachesItsPeerOverTcp(TestInfo info) {
        try (Lab lab = Lab.open(name(info))) {
            World w = world(lab);
            Host h1 = lab.hostBehindNat("h1", 21, Lab.Nat.EASY);
            Host h2 = lab.hostBehindNat("h2", 22, Lab.Nat.HARD);
            Id id1 = ZoneLab.identity(lab, "h1");
            Id id2 = ZoneLab.identity(lab, "h2");
            countFrom(w, h1);
            countFrom(w, h2);
            blockUdp(h1);
            LabProcess relay = relay(w, "relay");
            transfer(w, h1, id1, h2, id2, 64 << 20, Duration.ofSeconds(600), null);
            String k = h1.ip().replace('.', '_');
            assertEquals(0, w.relayHost.packets("udp_" + k), "no UDP from h1 reached the relay");
            assertTrue(w.relayHost.packets("tcp_" + k) > 1000, "h1 used TCP" + relay.tails());
            assertEquals(0, w.relayHost.packets("http_" + k), "h1 did not need HTTP");
        }
    }

    @Test
    void onlyHttpThroughAProxyThenUdpAgainMidStream(TestInfo info) {
        try (Lab lab = Lab.open(name(info))) {
            World w = world(lab);
            Host proxy = lab.publicHost("p", 30);
            Host h1 = lab.hostBehindNat("h1", 21, Lab.Nat.EASY);
            Host h2 = lab.hostBehindNat("h2", 22, Lab.Nat.HARD);
            Id id1 = ZoneLab.identity(lab, "h1");
            Id id2 = ZoneLab.identity(lab, "h2");
            countFrom(w, h1);
            countFrom(w, h2);
            w.relayHost.count("via_proxy", "ip saddr " + proxy.ip() + " tcp dport " + HTTP_PORT);
            onlyProxy(h1, proxy);
            LabProcess tp = tinyproxy(lab, proxy);
            LabProcess relay = relay(w, "relay");
            String k = h1.ip().replace('.', '_');
            long[] atReopen = new long[2];
            LabProcess cat = transfer(
                    w,
                    h1,
                    id1,
                    h2,
                    id2,
                    64 << 20,
                    Duration.ofSeconds(900),
                    sender -> {
                        atReopen[0] = w.relayHost.packets("via_proxy");
                        assertTrue(atReopen[0] > 100, "h1 went through the proxy" + tp.tails());
                        assertEquals(0, w.relayHost.packets("udp_" + k), "no UDP from h1 before the reopening");
                        assertEquals(
                                0,
                                w.relayHost.packets("tcp_" + k) + w.relayHost.packets("http_" + k),
                                "nothing but the proxy reached the relay from h1");
                        unblock(h1);
                        // A UDP probe every 10 s (from HTTP, or from TCP once a TCP retry worked):
                        // the rest of the stream waits for the node to be back on UDP.
                        sender.awaitStderr("now over UDP", Duration.ofSeconds(120));
                    },
                    "--http-proxy",
                    proxy.ip() + ":" + PROXY_PORT);
            long udp = w.relayHost.packets("udp_" + k);
            assertTrue(udp > 1000, "h1 returned to UDP: " + udp + " UDP packets at the relay" + relay.tails());
            String log = cat.stderr();
            assertTrue(
                    log.contains("now over HTTP") && log.indexOf("now over UDP") > log.indexOf("now over HTTP"),
                    "h1 went from HTTP back to UDP" + cat.tails());
        }
    }

    @Test
    void clientsOnTcpAndHttpRecoverFromARelayRestart(TestInfo info) {
        try (Lab lab = Lab.open(name(info))) {
            World w = world(lab);
            Host h1 = lab.hostBehindNat("h1", 21, Lab.Nat.EASY);
            Host h2 = lab.hostBehindNat("h2", 22, Lab.Nat.EASY);
            Host h3 = lab.hostBehindNat("h3", 23, Lab.Nat.EASY);
            Id id1 = ZoneLab.identity(lab, "h1");
            Id id2 = ZoneLab.identity(lab, "h2");
            Id id3 = ZoneLab.identity(lab, "h3");
            countFrom(w, h1);
            countFrom(w, h3);
            blockUdp(h1);
            // h3: HTTP only (no UDP, no TCP to 4344), straight to the relay.
            h3.router()
                    .nft("table ip fw {\n  chain forward { type filter hook forward priority -5; policy accept;\n"
                            + "    ct state established,related accept\n"
                            + "    iifname \"lan0\" tcp dport " + HTTP_PORT + " accept\n    drop\n  }\n}\n");
            LabProcess relay = relay(w, "relay");
            LabProcess n1 = h1.anode(
                    "node1", Redirect.PIPE, "node", "--identity", id1.file().toString(), "--zone", w.zoneOpt);
            LabProcess n3 = h3.anode(
                    "node3", Redirect.PIPE, "node", "--identity", id3.file().toString(), "--zone", w.zoneOpt);
            n1.awaitStderr("now over TCP", START);
            n3.awaitStderr("now over HTTP", START);
            w.relayHost.awaitPackets("tcp_" + h1.ip().replace('.', '_'), 3, START);
            w.relayHost.awaitPackets("http_" + h3.ip().replace('.', '_'), 3, START);
            ping(w, h2, id2, id1, "ping1");
            ping(w, h2, id2, id3, "ping3");
            // From h1 (UDP blocked) the relay is reached over TCP, and ping says so (addendum A16).
            String fromH1 = ping(w, h1, id1, id3, "ping13");
            assertTrue(fromH1.contains(" path=relay/tcp hops=1"), fromH1);
            relay.close();
            LabProcess.sleep(Duration.ofSeconds(3));
            LabProcess relay2 = relay(w, "relay2");
            // The clients reconnect and register again; then both are reachable by address.
            ping(w, h2, id2, id1, "ping1b");
            ping(w, h2, id2, id3, "ping3b");
            assertTrue(n1.isAlive() && n3.isAlive(), n1.tails() + n3.tails() + relay2.tails());
            // Neither client gave up its carrier: h1 stayed on TCP through the restart.
            assertEquals(1, count(n1.stderr(), "now over "), "h1 changed carrier once (to TCP)" + n1.tails());
        }
    }

    @Test
    void hostileClientsDoNotStopTheRelayServingRealOnes(TestInfo info) {
        try (Lab lab = Lab.open(name(info))) {
            World w = world(lab);
            Host bad = lab.publicHost("x", 40);
            Host h1 = lab.hostBehindNat("h1", 21, Lab.Nat.EASY);
            Host h2 = lab.hostBehindNat("h2", 22, Lab.Nat.EASY);
            Id id1 = ZoneLab.identity(lab, "h1");
            Id id2 = ZoneLab.identity(lab, "h2");
            countFrom(w, h1);
            countFrom(w, h2);
            blockUdp(h1);
            LabProcess relay = relay(w, "relay");
            LabProcess abuser = bad.java(
                    "abuser",
                    Redirect.PIPE,
                    CarrierAbuser.class.getName(),
                    w.relayHost.ip(),
                    Integer.toString(ZoneLab.RELAY_TCP),
                    Integer.toString(HTTP_PORT),
                    "40");
            transfer(w, h1, id1, h2, id2, 8 << 20, Duration.ofSeconds(300), null);
            Matcher m = abuser.await("abuse opened=(\\d+) closedByRelay=(\\d+) refused=(\\d+)", Duration.ofSeconds(90));
            long opened = Long.parseLong(m.group(1));
            long closed = Long.parseLong(m.group(2));
            long refused = Long.parseLong(m.group(3));
            lab.write("measured.txt", "abuser: " + m.group() + "\n");
            assertTrue(opened + refused > 500, "the abuse happened: " + m.group());
            assertTrue(
                    closed + refused > (opened + refused) / 2,
                    "the relay cut off most of it: " + m.group() + relay.tails());
            assertTrue(relay.isAlive(), relay.tails());
        }
    }

    private static int count(String text, String what) {
        int n = 0;
        for (int i = text.indexOf(what); i >= 0; i = text.indexOf(what, i + 1)) {
            n++;
        }
        return n;
    }

    /**
     * {@code anode ping -c 3} by address alone; a run that finds no route (a client still
     * reconnecting and registering) is repeated for up to 150 s. After a relay restart a client
     * sends its relay packets with the short sender form (draft 3.2), which the new relay cannot
     * authenticate, until a keepalive PING goes unanswered (addendum A17); the next one carries
     * the full address and registers it.
     */
    private static String ping(World w, Host from, Id fromId, Id to, String name) {
        String tails = "";
        long deadline = System.nanoTime() + Duration.ofSeconds(150).toNanos();
        for (int attempt = 1; System.nanoTime() - deadline < 0; attempt++) {
            LabProcess p = from.anode(
                    name + "-" + attempt,
                    Redirect.PIPE,
                    "ping",
                    "--identity",
                    fromId.file().toString(),
                    "--zone",
                    w.zoneOpt,
                    to.address(),
                    "-c",
                    "3");
            if (p.awaitExit(Duration.ofSeconds(90)) == 0 && p.stdout().contains("rtt=")) {
                return p.stdout();
            }
            tails = p.tails();
            LabProcess.sleep(Duration.ofSeconds(2));
        }
        return fail("no answer from " + to.address() + " within 150 s of ping runs; the last:" + tails);
    }
}
