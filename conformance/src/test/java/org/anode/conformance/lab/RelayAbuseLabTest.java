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
     * Two relays whose registrations of one address point at each other. X registers honestly with
     * relay A from 198.18.0.13:4343 and with relay B from 198.18.0.12:4343 (no spoofing: a relay
     * moves a registration only to a proven endpoint, addendum A3), then goes away, and its two
     * addresses move: .12 to A and .13 to B,
     * as second addresses (each relay still sends from its first). A's registration of X now points
     * at B, B's at A, and "never back to the endpoint it came from" does not catch it since the
     * packets come from the other address. One packet for X must bounce A, B, A, B and die at hop
     * count 4; nothing goes beyond, and the traffic stops.
     */
    @Test
    void aRelayLoopDiesAtTheHopLimit(TestInfo info) {
        try (Lab lab = Lab.open(info.getTestMethod().orElseThrow().getName())) {
            Host a = lab.publicHost("ra", 10);
            Host b = lab.publicHost("rb", 11);
            Host x = lab.publicHost("x", 30);
            Host s = lab.publicHost("s", 40);
            String a2 = Lab.NET + ".12";
            String b2 = Lab.NET + ".13";
            x.exec("ip", "addr", "add", a2 + "/24", "dev", "eth0");
            x.exec("ip", "addr", "add", b2 + "/24", "dev", "eth0");
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
            a.count("from_x", "ip saddr " + b2 + RELAY);
            b.count("from_x", "ip saddr " + a2 + RELAY);

            relay(a, ra);
            relay(b, rb);
            // --no-lan everywhere here: the relays are under test, and LAN discovery would find X
            // directly on the shared segment (a proven direct path beats a relayed one, DECISIONS 31).
            LabProcess xa = x.anode(
                    "x-via-a",
                    Redirect.PIPE,
                    "node",
                    "--no-lan",
                    "--identity",
                    xid.file().toString(),
                    "--zone",
                    ZoneLab.zoneOption(zoneA),
                    "--bind",
                    b2,
                    "--udp",
                    Integer.toString(ZoneLab.RELAY_UDP));
            LabProcess xb = x.anode(
                    "x-via-b",
                    Redirect.PIPE,
                    "node",
                    "--no-lan",
                    "--identity",
                    xid.file().toString(),
                    "--zone",
                    ZoneLab.zoneOption(zoneB),
                    "--bind",
                    a2,
                    "--udp",
                    Integer.toString(ZoneLab.RELAY_UDP));
            // X's first PING reached each relay, and X is registered at both: a ping through each
            // relay gets its answer.
            a.awaitPackets("from_x", 1, START);
            b.awaitPackets("from_x", 1, START);
            mustAnswer(s, sid, zoneA, xid, "ping-via-a");
            mustAnswer(s, sid, zoneB, xid, "ping-via-b");
            xa.close();
            xb.close();
            x.exec("ip", "addr", "del", a2 + "/24", "dev", "eth0");
            x.exec("ip", "addr", "del", b2 + "/24", "dev", "eth0");
            a.exec("ip", "addr", "add", a2 + "/24", "dev", "eth0");
            b.exec("ip", "addr", "add", b2 + "/24", "dev", "eth0");
            // The relays forget X's link-layer address for the moved IPs (no gratuitous ARP here).
            a.exec("ip", "neigh", "flush", "all");
            b.exec("ip", "neigh", "flush", "all");
            Map<String, Long> before = quiet(a, b);

            LabProcess ping = s.anode(
                    "ping",
                    Redirect.PIPE,
                    "ping",
                    "--no-lan",
                    "--identity",
                    sid.file().toString(),
                    "--zone",
                    ZoneLab.zoneOption(zoneA),
                    xid.address(),
                    "-c",
                    "1");
            // Nobody answers for X now: the ping fails, and that is not what this test is about.
            ping.awaitExit(Duration.ofSeconds(60));
            Map<String, Long> after = quiet(a, b);
            lab.write(
                    "measured.txt",
                    "loop counters before " + before + "\nafter " + after + "\nX's packets at A " + a.packets("from_x")
                            + ", at B " + b.packets("from_x") + "\n");

            long loops = after.get("b/hop1") - before.get("b/hop1");
            String counts = "before " + before + "\nafter  " + after + ping.tails();
            assertTrue(loops >= 1, "S's packets for X entered the loop\n" + counts);
            for (int h = 2; h <= HOP_LIMIT; h++) {
                String key = (h % 2 == 1 ? "b" : "a") + "/hop" + h;
                assertEquals(loops, after.get(key) - before.get(key), "every loop reached hop " + h + "\n" + counts);
            }
            assertEquals(0, after.get("a/over") + after.get("b/over"), "no packet beyond the hop limit\n" + counts);
        }
    }

    /** {@code anode ping} from s to x through the relay of {@code zone}; it must be answered. */
    private static void mustAnswer(Host s, Id sid, Path zone, Id x, String name) {
        // Tries for up to about 40 s, beyond X's next announce (25 s): how soon a relay takes a
        // registration (at once, or after an endpoint check) is the relay's business.
        for (int attempt = 1; ; attempt++) {
            LabProcess p = s.anode(
                    name + "-" + attempt,
                    Redirect.PIPE,
                    "ping",
                    "--no-lan",
                    // The relay is what is tested: no NAT traversal, whose EPIs follow the first
                    // relayed packet and can make even the first reply come direct.
                    "--no-nat",
                    "--identity",
                    sid.file().toString(),
                    "--zone",
                    ZoneLab.zoneOption(zone),
                    x.address(),
                    "-c",
                    "1");
            int status = p.awaitExit(Duration.ofSeconds(60));
            if (status == 0) {
                p.await("rtt=[0-9.]+ms path=relay hops=1", Duration.ofSeconds(1));
                return;
            }
            if (attempt == 8) {
                throw new AssertionError(name + ": no answer in " + attempt + " tries" + p.tails());
            }
            LabProcess.sleep(Duration.ofSeconds(3));
        }
    }

    /** Starts {@code anode relay} on {@code h} and waits for its UDP port. */
    private static LabProcess relay(Host h, Id id) {
        return ZoneLab.udpRelay(h, id, START);
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
            LabProcess listen = h2.anode(
                    "listen", Redirect.PIPE, "listen", "--identity", id2.file().toString(), "--zone", zoneOpt, "5000");
            relayHost.count("from_h2", "ip saddr " + h2.router().ip() + RELAY);
            relayHost.awaitPackets("from_h2", 1, START);
            LabProcess cat = h1.anode(
                    "cat",
                    Redirect.from(in.toFile()),
                    "cat",
                    "--identity",
                    id1.file().toString(),
                    "--zone",
                    zoneOpt,
                    id2.address() + ":5000");
            // The transfer is under way through the relay before the flood starts.
            h2.awaitPackets("from_relay", 20, START);

            int count = 120_000;
            int pps = 40_000;
            long t0 = System.nanoTime();
            String sent = flooder.call(
                    "flood " + relayHost.ip() + " " + ZoneLab.RELAY_UDP + " " + count + " " + pps + " "
                            + HexFormat.of().formatHex(flood),
                    Duration.ofSeconds(60));
            double floodSeconds = (System.nanoTime() - t0) / 1e9;
            assertTrue(sent.startsWith("sent " + count), sent);
            LabProcess.sleep(Duration.ofSeconds(1));

            long arrived = relayHost.packets("flood_in");
            long forwarded = h2.packets("flood_out");
            // DECISIONS 34 defaults (RelayLimits.defaults): 10,000 packets/s per source endpoint,
            // burst 2,000. Whatever the relay forwarded by the time the counter was read had at most
            // the burst plus the tokens of the time since the flood began (a relay working through
            // a backlog late is covered too).
            double seconds = (System.nanoTime() - t0) / 1e9;
            long bound = 2_000 + (long) Math.ceil(10_000 * seconds);
            String report = "flood: " + count + " sent in " + floodSeconds + " s, " + arrived + " at the relay, "
                    + forwarded + " forwarded within " + seconds + " s (bound " + bound + ")";
            lab.write("measured.txt", report + "\n");
            assertTrue(arrived > bound, "the flood must exceed the relay's limit to test it: " + report);
            assertTrue(forwarded > 0, "the relay forwarded the forged packets at all: " + report);
            assertTrue(forwarded <= bound, report + relay.tails());

            ZoneRelayLabTest.awaitBytes(listen, data.length, Duration.ofSeconds(180), cat);
            assertEquals(
                    ZoneLab.sha256(data), ZoneLab.sha256(listen.stdoutFile(), data.length), "the transfer's bytes");
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
