package org.anode.bench.net;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.channels.DatagramChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import org.anode.address.AnodeIdentity;
import org.anode.address.Zone;
import org.anode.nio.AnodeNode;
import org.anode.nio.AnodeNodeConfig;
import org.anode.nio.RelayLimits;
import org.anode.transport.ZoneHttpEndpoints;
import org.anode.wire.EndpointType;
import org.anode.zone.ZoneFile;

/**
 * The fallback transports (draft 2.9.2, 2.9.3; DECISIONS 38) on loopback, against UDP through the
 * same relay in the same run: one stream's bulk transfer from A to B, both reaching each other
 * through a zone relay, with A's relay carrier being UDP (the baseline), TCP (A's zr UDP port
 * leads to a socket that never answers) or HTTP (its zr TCP port is closed too), and the PING
 * round trip from A to B over each. B always uses UDP.
 * Usage: {@code java -cp bench/target/benchmarks.jar org.anode.bench.net.FallbackBench [MiB] [pings]}.
 */
public final class FallbackBench {
    private static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();
    private static final Zone ZONE = new Zone(0x0a0b0c1f);

    private FallbackBench() {}

    public static void main(String[] args) throws Exception {
        int mib = args.length > 0 ? Integer.parseInt(args[0]) : 32;
        int pings = args.length > 1 ? Integer.parseInt(args[1]) : 200;
        System.out.printf(
                "JDK %s (%s), %d CPUs, %s %s%n",
                System.getProperty("java.version"),
                System.getProperty("java.vm.name"),
                Runtime.getRuntime().availableProcessors(),
                System.getProperty("os.name"),
                System.getProperty("os.arch"));
        Path dir = Files.createTempDirectory("fallbackbench");
        for (int repeat = 0; repeat < 2; repeat++) {
            String tag = repeat == 0 ? "warm-up" : "measured";
            double[] udp = run(dir, EndpointType.UDP_IPV4, mib, pings);
            double[] tcp = run(dir, EndpointType.TCP_IPV4, mib, pings);
            double[] http = run(dir, EndpointType.HTTP, mib, pings);
            System.out.printf(
                    "[%s] stream %d MiB through the relay: UDP %.1f MB/s, TCP %.1f MB/s (ratio %.2f),"
                            + " HTTP %.1f MB/s (ratio %.2f)%n",
                    tag, mib, udp[0], tcp[0], tcp[0] / udp[0], http[0], http[0] / udp[0]);
            System.out.printf(
                    "[%s] PING RTT through the relay, median of %d: UDP %.0f us, TCP %.0f us (%.2fx),"
                            + " HTTP %.0f us (%.2fx)%n",
                    tag, pings, udp[1] / 1e3, tcp[1] / 1e3, tcp[1] / udp[1], http[1] / 1e3, http[1] / udp[1]);
        }
    }

    private static AnodeNodeConfig.Builder loopback() {
        // LAN discovery and NAT traversal off: either would find the peer directly over loopback,
        // bypassing the relay and the carrier being measured.
        return AnodeNodeConfig.builder()
                .bind(new InetSocketAddress(LOOPBACK, 0))
                .lan(false)
                .natTraversal(false);
    }

    private static Path zoneFile(Path dir, AnodeNode relay, int udp, int tcp, String http) throws Exception {
        ZoneFile.Builder b = ZoneFile.builder()
                .name("bench")
                .description("fallback bench")
                .contact("bench@example.org")
                .revision(1)
                .ttl(Duration.ofSeconds(3600))
                .relay(List.of(LOOPBACK), udp, tcp, List.of(relay.address()));
        if (http != null) {
            b.put(ZoneHttpEndpoints.keyFor(0), http);
        }
        Path p = Files.createTempFile(dir, "zone", ".txt");
        Files.writeString(p, b.build().write());
        return p;
    }

    /** {MB/s, median PING RTT in ns} with A's relay carrier {@code carrier}. */
    private static double[] run(Path dir, EndpointType carrier, int mib, int pings) throws Exception {
        RelayLimits open = RelayLimits.defaults().withRates(100_000_000, 100_000_000, 100_000_000);
        try (AnodeNode relay = AnodeNode.start(
                        AnodeIdentity.generate(ZONE),
                        loopback()
                                .relay(open)
                                .announce(false)
                                .tcpPort(0)
                                .httpPort(0)
                                .build());
                DatagramChannel silent = DatagramChannel.open().bind(new InetSocketAddress(LOOPBACK, 0))) {
            int udp = relay.localEndpoints().get(0).getPort();
            int tcp = relay.tcpEndpoint().orElseThrow().getPort();
            String http =
                    "http://127.0.0.1:" + relay.httpEndpoint().orElseThrow().getPort() + "/a";
            int closed;
            try (ServerSocket s = new ServerSocket(0, 1, LOOPBACK)) {
                closed = s.getLocalPort();
            }
            int silentPort = ((InetSocketAddress) silent.getLocalAddress()).getPort();
            Path zA = switch (carrier) {
                case TCP_IPV4 -> zoneFile(dir, relay, silentPort, tcp, http);
                case HTTP -> zoneFile(dir, relay, silentPort, closed, http);
                default -> zoneFile(dir, relay, udp, tcp, http);
            };
            Path zB = zoneFile(dir, relay, udp, tcp, null);
            try (AnodeNode a = AnodeNode.start(
                            AnodeIdentity.generate(ZONE),
                            loopback().zoneSource(ZONE, zA.toString()).build());
                    AnodeNode b = AnodeNode.start(
                            AnodeIdentity.generate(ZONE),
                            loopback().zoneSource(ZONE, zB.toString()).build())) {
                RelayedNodes.awaitRegistrations(relay, 2, Duration.ofSeconds(30));
                a.ping(b.address(), Duration.ofSeconds(10));
                EndpointType got = a.carrierTo(b.address()).orElseThrow();
                if (got != carrier) {
                    throw new IllegalStateException("A reaches the relay over " + got + ", not " + carrier);
                }
                long[] rtt = new long[pings];
                for (int i = 0; i < pings; i++) {
                    rtt[i] = a.ping(b.address(), Duration.ofSeconds(10)).toNanos();
                }
                Arrays.sort(rtt);
                double mbs = RelayedNodes.transfer(a, b, mib, Duration.ofSeconds(300));
                if (a.carrierTo(b.address()).orElseThrow() != carrier) {
                    throw new IllegalStateException("A changed carrier during the transfer");
                }
                return new double[] {mbs, rtt[pings / 2]};
            }
        }
    }
}
