package org.anode.conformance.lab;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.ProcessBuilder.Redirect;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import org.anode.address.AnodeAddress;
import org.anode.conformance.lab.ZoneLab.Id;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;

/**
 * What a relay does when it is abused (draft 2.3, 3.1; DECISIONS 34), shown with real relays in the
 * {@link Lab} and measured by the kernel (nftables counters that read the hop count, the first
 * byte of every Anode packet, DECISIONS 16), not by the relays' own word.
 */
@Tag("lab")
class RelayAbuseLabTest {
    private static final Duration START = Duration.ofSeconds(30);
    private static final int HOP_LIMIT = 4;
    private static final String RELAY = " udp dport " + ZoneLab.RELAY_UDP;

    /**
     * Two relays whose registrations of one address point at each other: each relay has two
     * addresses and sends from its first, and the address is registered at each relay with the
     * other's second address (a spoofing host's nftables SNAT makes the registering PINGs come from
     * there), so "never back to the endpoint it came from" does not stop the loop. One packet sent
     * to that address must bounce A, B, A, B and die at hop count 4; nothing goes beyond, and the
     * traffic stops.
     */
    @Test
    void aRelayLoopDiesAtTheHopLimit(TestInfo info) {
        try (Lab lab = Lab.open(info.getTestMethod().orElseThrow().getName())) {
            Host a = lab.publicHost("ra", 10);
            Host b = lab.publicHost("rb", 11);
            String a2 = Lab.NET + ".12";
            String b2 = Lab.NET + ".13";
            a.exec("ip", "addr", "add", a2 + "/24", "dev", "eth0");
            b.exec("ip", "addr", "add", b2 + "/24", "dev", "eth0");
            Host x = lab.publicHost("x", 30);
            Host s = lab.publicHost("s", 40);
            Id ra = ZoneLab.identity(lab, "ra");
            Id rb = ZoneLab.identity(lab, "rb");
            Id xid = ZoneLab.identity(lab, "x");
            Id sid = ZoneLab.identity(lab, "s");
            Path zoneA = lab.write("zA", ZoneLab.zoneFile(1, new String[] {a.ip()}, new Id[] {ra}));
            Path zoneB = lab.write("zB", ZoneLab.zoneFile(1, new String[] {b.ip()}, new Id[] {rb}));

            // Relay-to-relay packets by hop count, and anything beyond the limit anywhere.
            for (int h = 1; h <= HOP_LIMIT; h++) {
                Host to = h % 2 == 1 ? b : a;
                Host from = h % 2 == 1 ? a : b;
                to.count("hop" + h, "ip saddr " + from.ip() + RELAY + " @th,64,8 " + h);
            }
            a.count("over", RELAY + " @th,64,8 > " + HOP_LIMIT);
            b.count("over", RELAY + " @th,64,8 > " + HOP_LIMIT);
            a.count("spoofed", "ip saddr " + b2 + RELAY);
            b.count("spoofed", "ip saddr " + a2 + RELAY);

            // X's PINGs to A seem to come from B's second address, and those to B from A's.
            x.nft("table ip spoof {\n"
                    + "  chain post { type nat hook postrouting priority 100; policy accept;\n"
                    + "    ip daddr " + a.ip() + RELAY + " snat to " + b2 + ":" + ZoneLab.RELAY_UDP + "\n"
                    + "    ip daddr " + b.ip() + RELAY + " snat to " + a2 + ":" + ZoneLab.RELAY_UDP + "\n"
                    + "  }\n"
                    + "}\n");

            relay(a, ra);
            relay(b, rb);
            LabProcess xa = x.anode("x-via-a", Redirect.PIPE, "node", "--identity", xid.file().toString(), "--zone",
                    ZoneLab.zoneOption(zoneA));
            LabProcess xb = x.anode("x-via-b", Redirect.PIPE, "node", "--identity", xid.file().toString(), "--zone",
                    ZoneLab.zoneOption(zoneB));
            a.awaitPackets("spoofed", 1, START);
            b.awaitPackets("spoofed", 1, START);
            // X goes quiet (its registrations last 120 s); whatever its own packets set off dies down.
            xa.close();
            xb.close();
            Map<String, Long> before = quiet(a, b);

            LabProcess ping = s.anode("ping", Redirect.PIPE, "ping", "--identity", sid.file().toString(), "--zone",
                    ZoneLab.zoneOption(zoneA), xid.address(), "-c", "1");
            // Nobody answers for X: the ping fails, and that is not what this test is about.
            ping.awaitExit(Duration.ofSeconds(60));
            Map<String, Long> after = quiet(a, b);

            long loops = after.get("b/hop1") - before.get("b/hop1");
            lab.write("measured.txt", "loop counters before " + before + "\nafter " + after + "\n");
            String counts = "before " + before + "\nafter  " + after + ping.tails();
            assertTrue(loops >= 1, "S's packets for X entered the loop\n" + counts);
            for (int h = 2; h <= HOP_LIMIT; h++) {
                String key = (h % 2 == 1 ? "b" : "a") + "/hop" + h;
                assertEquals(loops, after.get(key) - before.get(key), "every loop reached hop " + h + "\n" + counts);
            }
            assertEquals(0, after.get("a/over") + after.get("b/over"), "no packet beyond the hop limit\n" + counts);
        }
    }

    /** Starts {@code anode relay} on {@code h} and waits for its UDP port. */
    private static LabProcess relay(Host h, Id id) {
        LabProcess p = h.anode("relay-" + h.namespace().substring(h.namespace().lastIndexOf('-') + 1), Redirect.PIPE,
                "relay", "--identity", id.file().toString(), "--udp", Integer.toString(ZoneLab.RELAY_UDP));
        h.awaitUdpPort(ZoneLab.RELAY_UDP, START);
        return p;
    }

    /**
     * Waits until the relays' counters stop moving (no change over two seconds, at most 20 s) and
     * returns them: a loop that did not die would keep them moving.
     */
    private static Map<String, Long> quiet(Host a, Host b) {
        Map<String, Long> last = counters(a, b);
        for (int i = 0; i < 10; i++) {
            LabProcess.sleep(Duration.ofSeconds(2));
            Map<String, Long> now = counters(a, b);
            if (now.equals(last)) {
                return now;
            }
            last = now;
        }
        throw new AssertionError("relay traffic did not stop within 20 s: " + last);
    }

    private static Map<String, Long> counters(Host a, Host b) {
        Map<String, Long> m = new LinkedHashMap<>();
        for (int h = 1; h <= HOP_LIMIT; h++) {
            Host to = h % 2 == 1 ? b : a;
            m.put((h % 2 == 1 ? "b" : "a") + "/hop" + h, to.packets("hop" + h));
        }
        m.put("a/over", a.packets("over"));
        m.put("b/over", b.packets("over"));
        return m;
    }

    /**
     * A public host floods the relay with forged packets for a registered address (the relay cannot
     * check their MAC, DECISIONS 34) far above the relay's per-source limit, while that address
     * receives a real transfer through the same relay (both hosts behind hard NATs, so the relay
     * path stays: DECISIONS 36). What reaches the address of the flood stays within the relay's
     * token bucket (burst plus rate times the flood's duration), and the transfer still completes.
     */
    @Test
    void aFloodStaysWithinTheRelayLimitsWhileATransferCompletes(TestInfo info) {
        try (Lab lab = Lab.open(info.getTestMethod().orElseThrow().getName())) {
            Host relayHost = lab.publicHost("r1", 10);
            Host h1 = lab.hostBehindNat("h1", 21, Lab.Nat.HARD);
            Host h2 = lab.hostBehindNat("h2", 22, Lab.Nat.HARD);
            Host f = lab.publicHost("f", 30);
            Id relayId = ZoneLab.identity(lab, "r1");
            Id id1 = ZoneLab.identity(lab, "h1");
            Id id2 = ZoneLab.identity(lab, "h2");
            Id fid = ZoneLab.identity(lab, "f");
            Path zone = lab.write("z", ZoneLab.zoneFile(1, new String[] {relayHost.ip()}, new Id[] {relayId}));
            String zoneOpt = ZoneLab.zoneOption(zone);

            byte[] flood = forged(fid.address(), id2.address());
            String mark = HexFormat.of().formatHex(flood, 2, 10);
            relayHost.count("flood_in", "ip saddr " + f.ip() + RELAY);
            h2.count("flood_out", "udp sport " + ZoneLab.RELAY_UDP + " @th,80,64 0x" + mark);
            h2.count("from_relay", "ip saddr " + relayHost.ip() + " udp sport " + ZoneLab.RELAY_UDP);

            LabProcess relay = relay(relayHost, relayId);
            LabProcess flooder = f.agent("flooder");
            byte[] data = ZoneLab.data(2 << 20, 2);
            Path in = lab.write("data.bin", data);
            LabProcess listen = h2.anode("listen", Redirect.PIPE, "listen", "--identity", id2.file().toString(), "--zone",
                    zoneOpt, "5000");
            relayHost.count("from_h2", "ip saddr " + h2.router().ip() + RELAY);
            relayHost.awaitPackets("from_h2", 1, START);
            LabProcess cat = h1.anode("cat", Redirect.from(in.toFile()), "cat", "--identity", id1.file().toString(),
                    "--zone", zoneOpt, id2.address() + ":5000");
            // The transfer is under way through the relay before the flood starts.
            h2.awaitPackets("from_relay", 20, START);

            int count = 120_000;
            int pps = 40_000;
            long t0 = System.nanoTime();
            String sent = flooder.call("flood " + relayHost.ip() + " " + ZoneLab.RELAY_UDP + " " + count + " " + pps + " "
                    + HexFormat.of().formatHex(flood), Duration.ofSeconds(60));
            double seconds = (System.nanoTime() - t0) / 1e9;
            assertTrue(sent.startsWith("sent " + count), sent);
            LabProcess.sleep(Duration.ofSeconds(1));

            long arrived = relayHost.packets("flood_in");
            long forwarded = h2.packets("flood_out");
            // DECISIONS 34 defaults (RelayConfig.defaults): 10,000 packets/s per source endpoint,
            // burst 2,000. The bound uses the whole time the flood took as the agent saw it.
            long bound = 2_000 + (long) Math.ceil(10_000 * seconds);
            String report = "flood: " + count + " sent in " + seconds + " s, " + arrived + " at the relay, " + forwarded
                    + " forwarded (bound " + bound + ")";
            lab.write("measured.txt", report + "\n");
            assertTrue(arrived > bound, "the flood must exceed the relay's limit to test it: " + report);
            assertTrue(forwarded <= bound, report + relay.tails());

            ZoneRelayLabTest.awaitBytes(listen, data.length, Duration.ofSeconds(180), cat);
            assertEquals(ZoneLab.sha256(data), ZoneLab.sha256(listen.stdoutFile(), data.length), "the transfer's bytes");
        }
    }

    /**
     * A DGRAM (draft 4.2.10) from {@code sender} to {@code recipient} with full addresses (flags
     * 0x03) and a made-up MAC, which doubles as the mark the counters look for. The relay forwards
     * it like any other; the recipient drops it as unauthenticated.
     */
    private static byte[] forged(String sender, String recipient) {
        try {
            byte[] s = AnodeAddress.parse(sender).toByteArray();
            byte[] r = AnodeAddress.parse(recipient).toByteArray();
            ByteBuffer b = ByteBuffer.allocate(2 + 8 + s.length + r.length + 2 + 64);
            b.put((byte) 0).put((byte) 0x03);
            b.put(HexFormat.of().parseHex("f100df100df100d0"));
            b.put(s).put(r);
            b.put((byte) 0).put((byte) 0x09);
            return b.array();
        } catch (org.anode.address.InvalidAddressException e) {
            throw new IllegalStateException(e);
        }
    }
}
