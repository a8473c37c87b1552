package org.anode.conformance.lab;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.ProcessBuilder.Redirect;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.anode.address.AnodeIdentity;
import org.anode.address.Zone;
import org.anode.conformance.lab.ZoneLab.Id;
import org.anode.zone.ZoneFile;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;

/**
 * The NAT kinds NAT traversal tells apart (DECISIONS 35) and port prediction (NAT-T mode 2,
 * DECISIONS 36; draft 4.2.6 - 4.2.9) end to end, with real {@code anode} processes in the
 * {@link Lab}: a zone with two relays, so that a node that talks to a peer of the other relay has
 * two observers of its mapping, and three home routers: {@code masquerade} (easy),
 * {@code masquerade random} (hard, random) and a sequential NAT, which nftables builds from a
 * counter: {@code snat to WAN : numgen inc mod 1000 map { 0 : 20000, 1 : 20001, ... }}. NAT rules see only the first
 * packet of a connection-tracking entry, so every new mapping (a new destination of a socket)
 * takes the next port: endpoint-dependent, step 1.
 *
 * <p>What is direct is read both from the nodes ({@code anode ping -v}: path, NAT types, the mode
 * that found the path, the observers behind the local type) and from the network: the sequential
 * router's connection-tracking table shows the ports it handed out (to each relay, and to the
 * easy peer) and an nftables counter at the sequential host counts what came straight from the
 * easy host's router.
 *
 * <p>{@code -Dnat.trials=N} (default 3) sets the number of easy + sequential trials.
 */
@Tag("lab")
class NatModesLabTest {
    private static final Duration START = Duration.ofSeconds(30);
    private static final Duration T = Duration.ofSeconds(10);
    /** The echo port of {@code anode node} (stream echo). */
    private static final int ECHO_PORT = 7;
    /** First port and size of the sequential NAT's range. */
    private static final int SEQ_BASE = 20000;

    private static final int SEQ_SPAN = 1000;
    private static final Pattern REPLY = Pattern.compile("reply from \\S+ rtt=([0-9.]+)ms path=(relay|direct)"
            + " hops=(\\d+) nat=(\\S+)/(\\S+)(?: switched=([0-9.]+)ms mode=(-?\\d+))? observers=(\\d+)");
    private static final Pattern CT = Pattern.compile(
            "src=(\\S+) dst=(\\S+) sport=(\\d+) dport=(\\d+) .*?src=(\\S+) dst=(\\S+) sport=(\\d+) dport=(\\d+)");

    /** One reply line of {@code anode ping -v}. */
    private record Reply(
            boolean direct, String localNat, String remoteNat, double switchedMs, int mode, int observers) {}

    /** One mapping of the sequential router: the LAN socket's port, where to, and the public port. */
    private record Mapping(int lanPort, String dst, int dport, int publicPort) {}

    @Test
    void twoRelaysClassifyTheNatsAndASequentialNatGoesDirectByPortPrediction(TestInfo info) throws Exception {
        try (Lab lab = Lab.open(info.getTestMethod().orElseThrow().getName())) {
            Host r1 = lab.publicHost("r1", 10);
            Host r2 = lab.publicHost("r2", 11);
            Host easy = lab.hostBehindNat("he", 21, Lab.Nat.EASY);
            Host seq = lab.hostBehindNat("hs", 22, Lab.Nat.EASY);
            Host rnd = lab.hostBehindNat("hr", 23, Lab.Nat.HARD);
            Host pub = lab.publicHost("p", 30);
            sequentialNat(seq.router());

            // Relays zr.0 and zr.1; each node's designated relay is picked by its address (draft
            // 2.3.1), so the identities are drawn until they land where the test wants them.
            Id r1Id = ZoneLab.identity(lab, "r1");
            Id r2Id = ZoneLab.identity(lab, "r2");
            Id eNode = identityAt(lab, "e-node", 0);
            Id ePing = identityAt(lab, "e-ping", 0);
            Id pNode = identityAt(lab, "p-node", 1);
            Id rPing = identityAt(lab, "r-ping", 1);
            Path zone = lab.write("z", ZoneLab.zoneFile(1, new String[] {r1.ip(), r2.ip()}, new Id[] {r1Id, r2Id}));
            String gwE = easy.router().ip();
            String gwS = seq.router().ip();
            r1.count("from_e", "ip saddr " + gwE + " udp dport " + ZoneLab.RELAY_UDP);
            r2.count("from_p", "ip saddr " + pub.ip() + " udp dport " + ZoneLab.RELAY_UDP);
            seq.count("direct_in", "ip saddr " + gwE + " meta l4proto udp");
            seq.count("direct_data", "ip saddr " + gwE + " meta l4proto udp meta length > 1000");
            relay(r1, r1Id);
            relay(r2, r2Id);

            // The sequential NAT: one socket, three destinations, three consecutive public ports.
            LabProcess agent = seq.agent("hs-agent");
            agent.call("udp-send 40000 " + r1.ip() + " 7000 a 0", T);
            agent.call("udp-send 40000 " + r2.ip() + " 7000 b 0", T);
            agent.call("udp-send 40000 " + r1.ip() + " 7001 c 0", T);
            List<Mapping> probe = mappings(seq);
            int p0 = publicPort(probe, 40000, r1.ip(), 7000);
            int p1 = publicPort(probe, 40000, r2.ip(), 7000);
            int p2 = publicPort(probe, 40000, r1.ip(), 7001);
            assertTrue(
                    p1 - p0 == 1 && p2 - p1 == 1 && p0 >= SEQ_BASE,
                    "the sequential NAT gives one socket consecutive ports: " + p0 + " " + p1 + " " + p2);
            agent.close();

            LabProcess eNodeProcess = node(easy, "e-node", eNode, zone);
            r1.awaitPackets("from_e", 1, START);

            StringBuilder log = new StringBuilder("sequential NAT check: one socket to three destinations got ports "
                    + p0 + ", " + p1 + ", " + p2 + "\n");

            // Easy + sequential: a new pinging process (new socket, new identity) on the sequential
            // host each trial, to the node on the easy host. The pinger's own relay is r2, the
            // node's r1: it asks both for NETID and sees two consecutive ports.
            int n = Integer.getInteger("nat.trials", 3);
            int direct = 0;
            int byPrediction = 0;
            int classified = 0;
            int predictedPort = 0;
            Set<Integer> seen = new HashSet<>();
            for (Mapping m : mappings(seq)) {
                seen.add(m.lanPort());
            }
            for (int i = 0; i < n; i++) {
                // The easy router still holds the mappings of the last trial's predicted ports (its
                // probes to them went unanswered, so they stay 30 s): the next process's first
                // ports would get through them without any prediction. Each trial starts clean.
                easy.router().tryExec(null, "conntrack", "-D", "-d", gwS);
                Id sPing = identityAt(lab, "s-ping" + i, 1);
                long directBefore = seq.packets("direct_in");
                List<Reply> l = ping(seq, "s-ping" + i, sPing, zone, eNode, 30, 100);
                Reply last = l.get(l.size() - 1);
                Reply firstDirect = l.stream().filter(Reply::direct).findFirst().orElse(null);
                boolean d = firstDirect != null && seq.packets("direct_in") > directBefore;
                if (d) {
                    direct++;
                }
                if (d && firstDirect.mode() == 2) {
                    byPrediction++;
                }
                if ("HARD_SEQUENTIAL".equals(last.localNat()) && last.observers() == 2) {
                    classified++;
                }
                // What the router handed out to this process's socket: to each relay, then to the peer.
                List<Mapping> ms = mappings(seq);
                Integer lan = null;
                for (Mapping m : ms) {
                    if (!seen.contains(m.lanPort()) && m.dst().equals(r2.ip()) && m.dport() == ZoneLab.RELAY_UDP) {
                        lan = m.lanPort();
                    }
                }
                String ports = "-";
                if (lan != null) {
                    int toR1 = publicPort(ms, lan, r1.ip(), -1);
                    int toR2 = publicPort(ms, lan, r2.ip(), ZoneLab.RELAY_UDP);
                    int toE = publicPort(ms, lan, gwE, -1);
                    int extra = 0;
                    for (Mapping m : ms) {
                        if (!seen.contains(m.lanPort()) && m.lanPort() != lan) {
                            extra++;
                        }
                    }
                    ports = "relays " + toR2 + " (r2), " + toR1 + " (r1), peer " + toE + ", " + extra
                            + " mappings of other sockets";
                    if (toE == Math.max(toR1, toR2) + 1) {
                        predictedPort++;
                    }
                }
                for (Mapping m : ms) {
                    seen.add(m.lanPort());
                }
                log.append("trial ")
                        .append(i)
                        .append(": ")
                        .append(l.size())
                        .append(" replies, ")
                        .append(
                                firstDirect == null
                                        ? "relayed throughout"
                                        : "direct, mode " + firstDirect.mode() + ", switched after "
                                                + firstDirect.switchedMs() + " ms")
                        .append("; last: nat ")
                        .append(last.localNat())
                        .append('/')
                        .append(last.remoteNat())
                        .append(" observers ")
                        .append(last.observers())
                        .append("; NAT ports: ")
                        .append(ports)
                        .append('\n');
            }

            // A stream over the same kind of path: echoed whole. 16 MiB, so that most of it flows
            // after the switch even where the relay is fast (its per-source budget lets through at
            // most about 7 MiB in the first 300 ms).
            byte[] data = ZoneLab.data(16 << 20, 11);
            Path in = lab.write("data.bin", data);
            Id sCat = identityAt(lab, "s-cat", 1);
            long dataBefore = seq.packets("direct_data");
            LabProcess cat = seq.anode(
                    "s-cat",
                    Redirect.from(in.toFile()),
                    "cat",
                    "--no-lan",
                    "--identity",
                    sCat.file().toString(),
                    "--zone",
                    ZoneLab.zoneOption(zone),
                    eNode.address() + ":" + ECHO_PORT);
            assertEquals(0, cat.awaitExit(Duration.ofSeconds(120)), "anode cat" + cat.tails());
            assertEquals(data.length, ZoneLab.size(cat.stdoutFile()), "the echo's length" + cat.tails());
            assertEquals(ZoneLab.sha256(data), ZoneLab.sha256(cat.stdoutFile(), data.length), "the echo's bytes");
            long dataDirect = seq.packets("direct_data") - dataBefore;
            log.append("stream: 16 MiB echoed intact, ")
                    .append(dataDirect)
                    .append(" data packets straight from the easy host's router\n");

            // The easy and the random NAT, each seen from two relays: a pinger whose own relay is
            // not its peer's (one at a time: at most four JVMs run at once).
            Reply rLast = last(pingProcess(rnd, "r-ping", rPing, zone, eNode, 10, 200), "r-ping");
            eNodeProcess.close();
            node(pub, "p-node", pNode, zone);
            r2.awaitPackets("from_p", 1, START);
            Reply eLast = last(pingProcess(easy, "e-ping", ePing, zone, pNode, 10, 200), "e-ping");
            log.append("easy host: ")
                    .append(eLast.localNat())
                    .append(" from ")
                    .append(eLast.observers())
                    .append(" observers; random host: ")
                    .append(rLast.localNat())
                    .append(" from ")
                    .append(rLast.observers())
                    .append(" observers\n");

            String summary =
                    "easy+sequential: direct in " + direct + " of " + n + " trials, by port prediction (mode 2)"
                            + " in " + byPrediction + ", peer mapping = highest relay mapping + 1 in " + predictedPort
                            + "; HARD_SEQUENTIAL from 2 observers in " + classified + "\n" + log;
            lab.write("measured.txt", summary);
            System.out.println(summary);

            assertEquals("EASY", eLast.localNat(), summary);
            assertEquals(2, eLast.observers(), summary);
            assertEquals("HARD_RANDOM", rLast.localNat(), summary);
            assertEquals(2, rLast.observers(), summary);
            assertEquals(n, classified, "the sequential NAT classified from two relays every time: " + summary);
            assertTrue(direct * 100 >= n * 90 || (n < 10 && direct >= n - 1), summary);
            assertTrue(byPrediction * 100 >= n * 90 || (n < 10 && byPrediction >= n - 1), summary);
            assertTrue(dataDirect > 1000, "the stream's data went direct: " + summary);
        }
    }

    /**
     * Turns a lab router's NAT into a sequential one: UDP gets the public port from a counter (one
     * step per new connection-tracking entry, since NAT rules see only an entry's first packet),
     * other protocols are masqueraded as before.
     */
    private static void sequentialNat(Host router) {
        // "snat to IP : numgen inc mod N offset BASE" loads but hands out byte-swapped ports (the
        // counter is in host byte order, a port in network order: 20000, 20001 come out as 8270,
        // 8526), so the counter picks the port from a map instead.
        StringBuilder map = new StringBuilder();
        for (int i = 0; i < SEQ_SPAN; i++) {
            map.append(i == 0 ? "" : ", ").append(i).append(" : ").append(SEQ_BASE + i);
        }
        router.nft("flush chain ip lab postrouting\n"
                + "add rule ip lab postrouting oifname \"eth0\" meta l4proto udp snat ip to " + router.ip()
                + " : numgen inc mod " + SEQ_SPAN + " map { " + map + " }\n"
                + "add rule ip lab postrouting oifname \"eth0\" masquerade\n");
    }

    /** A new identity in the lab zone whose designated relay (of two) is {@code relayIndex}. */
    private static Id identityAt(Lab lab, String name, int relayIndex) {
        for (int i = 0; i < 256; i++) {
            AnodeIdentity id = AnodeIdentity.generate(new Zone(ZoneLab.ZONE));
            if (ZoneFile.relayIndex(id.address(), 2) == relayIndex) {
                return ZoneLab.store(lab, name, id);
            }
        }
        throw new AssertionError("no identity for relay " + relayIndex + " in 256 draws");
    }

    private static LabProcess relay(Host h, Id id) {
        return ZoneLab.udpRelay(h, id, START);
    }

    private static LabProcess node(Host h, String name, Id id, Path zone) {
        return h.anode(
                name,
                Redirect.PIPE,
                "node",
                "--no-lan",
                "--identity",
                id.file().toString(),
                "--zone",
                ZoneLab.zoneOption(zone));
    }

    private static LabProcess pingProcess(Host h, String name, Id id, Path zone, Id to, int count, int intervalMs) {
        return h.anode(
                name,
                Redirect.PIPE,
                "ping",
                "--no-lan",
                "--identity",
                id.file().toString(),
                "--zone",
                ZoneLab.zoneOption(zone),
                "-v",
                "-c",
                Integer.toString(count),
                "-i",
                Integer.toString(intervalMs),
                to.address());
    }

    private static List<Reply> ping(Host h, String name, Id id, Path zone, Id to, int count, int intervalMs) {
        return replies(pingProcess(h, name, id, zone, to, count, intervalMs), name, count);
    }

    private static List<Reply> replies(LabProcess p, String name, int count) {
        int rc = p.awaitExit(Duration.ofSeconds(120));
        List<Reply> l = new ArrayList<>();
        for (String line : p.lines()) {
            Matcher m = REPLY.matcher(line);
            if (m.find()) {
                l.add(new Reply(
                        m.group(2).equals("direct"),
                        m.group(4),
                        m.group(5),
                        m.group(6) == null ? -1 : Double.parseDouble(m.group(6)),
                        m.group(7) == null ? -1 : Integer.parseInt(m.group(7)),
                        Integer.parseInt(m.group(8))));
            }
        }
        assertEquals(0, rc, name + " exit status" + p.tails());
        assertTrue(l.size() >= count / 2, name + ": " + l.size() + " of " + count + " replies" + p.tails());
        return l;
    }

    private static Reply last(LabProcess p, String name) {
        List<Reply> l = replies(p, name, 10);
        return l.get(l.size() - 1);
    }

    /** The sequential router's UDP mappings of its LAN host. */
    private static List<Mapping> mappings(Host lanHost) {
        List<Mapping> l = new ArrayList<>();
        for (String line : lanHost.router().conntrack().split("\n")) {
            if (!line.startsWith("udp")) {
                continue;
            }
            Matcher m = CT.matcher(line);
            if (m.find() && m.group(1).equals(lanHost.ip())) {
                l.add(new Mapping(
                        Integer.parseInt(m.group(3)),
                        m.group(2),
                        Integer.parseInt(m.group(4)),
                        Integer.parseInt(m.group(8))));
            }
        }
        return l;
    }

    /** The public port of the mapping from LAN port {@code lan} to {@code dst} (port {@code dport}, or any if -1). */
    private static int publicPort(List<Mapping> ms, int lan, String dst, int dport) {
        for (Mapping m : ms) {
            if (m.lanPort() == lan && m.dst().equals(dst) && (dport < 0 || m.dport() == dport)) {
                return m.publicPort();
            }
        }
        throw new AssertionError("no mapping from port " + lan + " to " + dst + ":" + dport + " in " + ms);
    }
}
