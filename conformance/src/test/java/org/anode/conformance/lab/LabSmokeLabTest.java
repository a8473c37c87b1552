package org.anode.conformance.lab;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;

/**
 * The lab itself, with no Anode in it: what the zone relay tests build on must hold first. A host
 * behind a home router finds the zone file by the draft's DNS URL (2.1.1) through the lab's DNS and
 * HTTP servers; an "easy" NAT keeps the source port for every destination and a "hard" one does not
 * (the two cases of DECISIONS 35-36); neither lets a new connection in from the WAN side.
 */
@Tag("lab")
class LabSmokeLabTest {
    private static final Duration T = Duration.ofSeconds(20);
    private static final int ZONE = 0xc6120063;

    @Test
    void natDnsAndHttpBehaveLikeTheInternet(TestInfo info) throws Exception {
        String prefix;
        try (Lab lab = Lab.open(info.getTestMethod().orElseThrow().getName())) {
            Host relay = lab.publicHost("r1", 10);
            Host easy = lab.hostBehindNat("h1", 21, Lab.Nat.EASY);
            Host hard = lab.hostBehindNat("h2", 22, Lab.Nat.HARD);
            LabProcess dns = lab.dns(Map.of(Lab.zoneHost(ZONE), relay.ip()));

            String zoneText = "n=lab\nd=network lab\nc=lab@example.invalid\nr=1\nttl=60\n";
            lab.write("z", zoneText);
            LabProcess server = relay.agent("r1-agent");
            server.call("http-serve 80 " + lab.dir(), T);
            LabProcess a = easy.agent("h1-agent");
            LabProcess b = hard.agent("h2-agent");

            // DNS: the draft's zone host name resolves, inside the lab, to the relay host.
            assertEquals(relay.ip(), a.call("resolve " + Lab.zoneHost(ZONE), T));
            assertTrue(
                    dns.stderr()
                            .contains("query[A] " + Lab.zoneHost(ZONE) + " from "
                                    + easy.router().ip()),
                    "the query went through h1's NAT to the lab DNS\n" + dns.stderr());

            // HTTP: the zone file comes back whole from http://a--XXXXXXXX.net/z.
            String sha = HexFormat.of()
                    .formatHex(MessageDigest.getInstance("SHA-256").digest(zoneText.getBytes(StandardCharsets.UTF_8)));
            String url = "http://" + Lab.zoneHost(ZONE) + "/z";
            assertEquals("200 " + zoneText.length() + " " + sha, a.call("fetch " + url, T));
            assertEquals("200 " + zoneText.length() + " " + sha, b.call("fetch " + url, T));
            server.await("^http GET /z from " + easy.router().ip() + "$", T);

            server.call("udp-listen 7000", T);
            server.call("udp-listen 7001", T);
            server.call("udp-listen 7002", T);

            // Easy NAT: the public source is the router's address with the host's own port, for
            // every destination; answers come back.
            for (int port = 7000; port <= 7002; port++) {
                assertEquals(
                        "echo e" + port,
                        a.call("udp-send 40000 " + relay.ip() + " " + port + " e" + port + " 3000", T));
                server.await("^udp " + port + " from " + easy.router().ip() + ":40000 e" + port + "$", T);
            }

            // Hard NAT: the public port is picked per destination (a random port for each new
            // mapping; three equal picks would be a one-in-four-billion coincidence).
            Set<String> hardPorts = new HashSet<>();
            for (int port = 7000; port <= 7002; port++) {
                assertEquals(
                        "echo x" + port,
                        b.call("udp-send 40000 " + relay.ip() + " " + port + " x" + port + " 3000", T));
                Matcher m = server.await(
                        "^udp " + port + " from " + hard.router().ip().replace(".", "\\.") + ":(\\d+) x" + port + "$",
                        T);
                hardPorts.add(m.group(1));
            }
            assertTrue(hardPorts.size() > 1, "a hard NAT maps each destination apart: " + hardPorts);

            // Home router: a datagram from an endpoint h1 never sent to does not get in, though it
            // is addressed to h1's public mapping.
            server.call("udp-send 9999 " + easy.router().ip() + " 40000 intruder 0", T);
            assertEquals("nothing", a.call("udp-recv 40000 1500", T));

            // Nor does a new TCP connection routed straight at the LAN host, while the same
            // connection outward works.
            relay.exec("ip", "route", "add", "10.1.0.0/24", "via", easy.router().ip());
            a.call("tcp-listen 8000", T);
            assertEquals("timeout", server.call("tcp-connect " + easy.ip() + " 8000 1500", T));
            server.call("tcp-listen 8001", T);
            assertEquals("connected", a.call("tcp-connect " + relay.ip() + " 8001 3000", T));

            // And nothing can leave the lab: there is no route to any address outside it.
            assertTrue(a.call("tcp-connect 192.0.2.1 80 1000", T).startsWith("failed"));
            prefix = lab.prefix();
        }
        // Closing the lab took every namespace (and with them the veths and the bridge) away.
        String p = prefix;
        assertEquals(
                java.util.List.of(),
                Lab.listNamespaces().stream().filter(n -> n.startsWith(p + "-")).toList());
        assertTrue(java.nio.file.Files.notExists(java.nio.file.Path.of("/etc/netns", p + "-h1")));
    }
    /**
     * The lab's wide-area delay ({@link Host#delayOutbound}): with 25 ms on the way out of a host
     * behind a NAT and 25 ms on the way out of a public host, a UDP echo between them takes at
     * least 50 ms, passes the NAT as before, and arrives whole; the host's loopback is not routed
     * into the delay.
     * A lower bound only: the delay is what the lab adds, never a speed of ours.
     */
    @Test
    void wideAreaDelayHoldsBackEveryPacketSent(TestInfo info) {
        try (Lab lab = Lab.open(info.getTestMethod().orElseThrow().getName())) {
            Host relay = lab.publicHost("r1", 10);
            Host easy = lab.hostBehindNat("h1", 21, Lab.Nat.EASY);
            LabProcess server = relay.agent("r1-agent");
            LabProcess a = easy.agent("h1-agent");
            server.call("udp-listen 7000", T);
            // Undelayed first: the same echo, for the figure in the failure message.
            double beforeMs = rtt(a.call("udp-rtt 40000 " + relay.ip() + " 7000 before 3000", T), "before");

            easy.delayOutbound(Duration.ofMillis(25));
            relay.delayOutbound(Duration.ofMillis(25));
            for (int i = 0; i < 3; i++) {
                double ms = rtt(a.call("udp-rtt 40001 " + relay.ip() + " 7000 d" + i + " 3000", T), "d" + i);
                assertTrue(
                        ms >= 50,
                        "echo " + i + " took " + ms + " ms with 2 x 25 ms of delay (" + beforeMs + " ms without)");
                server.await("^udp 7000 from " + easy.router().ip().replace(".", "\\.") + ":40001 d" + i + "$", T);
            }
            // The routes behind it: traffic out goes into the delay, the delay's own (mark 1) the
            // normal way, and loopback stays local.
            String out = easy.exec("ip", "route", "get", relay.ip());
            assertTrue(out.contains(" dev dly0 "), out);
            String marked = easy.exec("ip", "route", "get", relay.ip(), "mark", "1");
            assertTrue(marked.contains(" dev eth0 "), marked);
            String lo = easy.exec("ip", "route", "get", "127.0.0.1");
            assertTrue(lo.startsWith("local 127.0.0.1 dev lo"), lo);
        }
    }

    /** The time of a {@code udp-rtt} answer, after checking that the echo of {@code text} came back. */
    private static double rtt(String answer, String text) {
        Matcher m = java.util.regex.Pattern.compile("^echo " + text + " rtt=([0-9.]+)$")
                .matcher(answer);
        assertTrue(m.matches(), "udp-rtt answered " + answer);
        return Double.parseDouble(m.group(1));
    }
}
