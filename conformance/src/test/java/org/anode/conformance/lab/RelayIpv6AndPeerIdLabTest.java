package org.anode.conformance.lab;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.ProcessBuilder.Redirect;
import java.nio.file.Path;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.anode.conformance.lab.ZoneLab.Id;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;

/**
 * The zone relay of draft 2.3.1 with IPv6 as the only underlay (DECISIONS 40: a {@code zr} entry with
 * an IPv6 address, UDP/IPv6 endpoints), and one identity on two devices registered at one relay
 * (draft 3.4, DECISIONS 41). Real {@code anode relay} and {@code anode node --console} processes,
 * with LAN discovery off ({@code --no-lan}) so that what is shown is the relayed path.
 */
@Tag("lab")
class RelayIpv6AndPeerIdLabTest {
    private static final Duration START = Duration.ofSeconds(60);
    private static final Duration T = Duration.ofSeconds(30);
    private static final Pattern NODE = Pattern.compile("^node ([a-z2-7]{64}) udp=");

    private static String name(TestInfo info) {
        return info.getTestMethod().orElseThrow().getName();
    }

    private static LabProcess node(Host h, String name, Id id, Path zone, String... extra) {
        String[] base = {
            "node",
            "--identity",
            id.file().toString(),
            "--zone",
            ZoneLab.zoneOption(zone),
            "--no-lan",
            "--no-nat",
            "--console"
        };
        String[] args = java.util.Arrays.copyOf(base, base.length + extra.length);
        System.arraycopy(extra, 0, args, base.length, extra.length);
        LabProcess p = h.anode(name, Redirect.PIPE, args);
        Matcher m = p.await(NODE, START);
        assertEquals(id.address(), m.group(1));
        return p;
    }

    /** Pings until the answer comes through the relay (the target registers asynchronously at start). */
    private static String pingThroughRelay(LabProcess from, String address) {
        String last = "";
        for (int i = 0; i < 20; i++) {
            int id = from.request("ping " + address);
            Matcher m = from.await(Pattern.compile("^" + id + " (ok|err) (.*)$"), T);
            last = m.group(2);
            if (m.group(1).equals("ok")) {
                return last;
            }
            LabProcess.sleep(Duration.ofMillis(500));
        }
        throw new AssertionError("no answer from " + address + ": " + last + from.tails());
    }

    @Test
    void theZoneRelayOverIpv6Alone(TestInfo info) {
        try (Lab lab = Lab.open(name(info))) {
            Host r = lab.publicHost("r1", 10);
            Host a = lab.publicHost("a", 21);
            Host b = lab.publicHost("b", 22);
            // IPv6 only: IPv4 off the bridge and the hosts, unique-local addresses instead.
            lab.internet().exec("ip", "-4", "addr", "flush", "dev", "br0");
            Host[] hosts = {r, a, b};
            String[] v6 = {"fd00:a::10", "fd00:a::21", "fd00:a::22"};
            for (int i = 0; i < hosts.length; i++) {
                hosts[i].exec("ip", "-4", "addr", "flush", "dev", "eth0");
                hosts[i].exec("ip", "-6", "addr", "add", v6[i] + "/64", "dev", "eth0", "nodad");
            }
            for (Host h : hosts) {
                LanDiscoveryLabTest.awaitLinkLocal(h);
            }
            Id relayId = ZoneLab.identity(lab, "r1");
            Id ida = ZoneLab.identity(lab, "a");
            Id idb = ZoneLab.identity(lab, "b");
            // A zr entry with a bare IPv6 literal (DECISIONS 12, 40).
            Path zone = lab.write("z", ZoneLab.zoneFile(1, new String[] {v6[0]}, new Id[] {relayId}));
            LabProcess relay = r.anode(
                    "relay",
                    Redirect.PIPE,
                    "relay",
                    "--identity",
                    relayId.file().toString(),
                    "--udp",
                    Integer.toString(ZoneLab.RELAY_UDP),
                    "--zone-file",
                    zone.toString(),
                    "--no-lan");
            r.awaitUdpPort(ZoneLab.RELAY_UDP, START);
            LabProcess nb = node(b, "b", idb, zone);
            LabProcess na = node(a, "a", ida, zone);

            String ping = pingThroughRelay(na, idb.address());
            assertTrue(ping.matches("rtt=\\d+\\.\\d\\d path=relay hops=1"), ping);
            String path = na.call("path " + idb.address(), T);
            assertTrue(path.startsWith("relay hops=1 endpoint=/[fd00:a:0:0:0:0:0:10]:" + ZoneLab.RELAY_UDP), path);
            assertEquals("over-v6", na.call("dgram " + idb.address() + " over-v6", T));
            String sha = LanDiscoveryLabTest.streamSha(300_000);
            assertEquals(sha + " 300000", na.call("stream " + idb.address() + " 300000", T));
            assertEquals(sha + " 300000", nb.call("stream " + ida.address() + " 300000", T));
            assertTrue(relay.isAlive(), relay.tails());
        }
    }

    @Test
    void oneIdentityOnTwoDevicesAtOneRelay(TestInfo info) {
        try (Lab lab = Lab.open(name(info))) {
            Host r = lab.publicHost("r1", 10);
            Host d1 = lab.publicHost("d1", 21);
            Host d2 = lab.publicHost("d2", 22);
            Host c = lab.publicHost("c", 23);
            Id relayId = ZoneLab.identity(lab, "r1");
            Id x = ZoneLab.identity(lab, "x");
            Id idc = ZoneLab.identity(lab, "c");
            Path zone = lab.write("z", ZoneLab.zoneFile(1, new String[] {r.ip()}, new Id[] {relayId}));
            LabProcess relay = r.anode(
                    "relay",
                    Redirect.PIPE,
                    "relay",
                    "--identity",
                    relayId.file().toString(),
                    "--udp",
                    Integer.toString(ZoneLab.RELAY_UDP),
                    "--zone-file",
                    zone.toString(),
                    "--no-lan");
            r.awaitUdpPort(ZoneLab.RELAY_UDP, START);
            // What the relay forwards (hop count 1) to each device.
            r.countSent("to_d1", "ip daddr " + d1.ip() + " udp sport " + ZoneLab.RELAY_UDP + " @th,64,8 1");
            r.countSent("to_d2", "ip daddr " + d2.ip() + " udp sport " + ZoneLab.RELAY_UDP + " @th,64,8 1");
            LabProcess p1 = node(d1, "d1", x, zone, "--peer-id", "1");
            LabProcess p2 = node(d2, "d2", x, zone, "--peer-id", "2");
            LabProcess pc = node(c, "c", idc, zone);
            pingThroughRelay(pc, x.address());

            String sha = LanDiscoveryLabTest.streamSha(200_000);
            long before1 = r.packets("to_d1");
            long before2 = r.packets("to_d2");
            assertEquals(sha + " 200000", pc.call("stream " + x.address() + " 200000 1", T));
            long mid1 = r.packets("to_d1");
            long mid2 = r.packets("to_d2");
            assertTrue(mid1 - before1 >= 100, "the stream to peer id 1 went to d1: " + (mid1 - before1));
            assertTrue(mid2 - before2 <= 2, "and not to d2: " + (mid2 - before2));
            assertEquals(sha + " 200000", pc.call("stream " + x.address() + " 200000 2", T));
            long after1 = r.packets("to_d1");
            long after2 = r.packets("to_d2");
            assertTrue(after2 - mid2 >= 100, "the stream to peer id 2 went to d2: " + (after2 - mid2));
            assertTrue(after1 - mid1 <= 2, "and not to d1: " + (after1 - mid1));

            // Both at once.
            int s1 = pc.request("stream " + x.address() + " 500000 1");
            int s2 = pc.request("stream " + x.address() + " 500000 2");
            String sha5 = LanDiscoveryLabTest.streamSha(500_000);
            assertEquals(sha5 + " 500000", pc.answer(s1, "stream 1", T));
            assertEquals(sha5 + " 500000", pc.answer(s2, "stream 2", T));

            // d1 goes away: d2 keeps working.
            p1.close();
            for (int i = 0; i < 3; i++) {
                assertEquals(sha + " 200000", pc.call("stream " + x.address() + " 200000 2", T));
            }
            assertTrue(p2.isAlive(), p2.tails());
            assertTrue(relay.isAlive(), relay.tails());
        }
    }
}
