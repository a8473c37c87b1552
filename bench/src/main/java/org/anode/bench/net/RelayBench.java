package org.anode.bench.net;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.anode.address.AnodeAddress;
import org.anode.address.AnodeIdentity;
import org.anode.address.Zone;
import org.anode.nio.AnodeNode;
import org.anode.nio.AnodeNodeConfig;
import org.anode.nio.AnodeServerSocketChannel;
import org.anode.nio.AnodeSocketAddress;
import org.anode.nio.AnodeSocketChannel;
import org.anode.nio.RelayLimits;
import org.anode.zone.ZoneFile;

/**
 * Zone relays (draft 2.3, 2.3.1; DECISIONS 31-34) on loopback, each against a baseline of the same run:
 * <ul>
 *   <li>forwarding rate of 1400-byte packets by an Anode relay node against a plain JDK
 *       {@link DatagramChannel} forwarder (receive, send on), both fed by one blasting sender;
 *   <li>stream bulk transfer through a relay against the same transfer on a direct path;
 *   <li>time to first byte by address alone (connect, one byte echoed), cold (a fresh node that
 *       must read the zone file, register and prove the relayed path) and warm (the path is known),
 *       in units of the relayed PING round trip.
 * </ul>
 * Usage: {@code java -cp bench/target/benchmarks.jar org.anode.bench.net.RelayBench [seconds] [MiB] [trials]}.
 */
public final class RelayBench {
    private static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();
    private static final Zone ZONE = new Zone(0x0a0b0c0f);
    private static final int PACKET = 1400;

    private RelayBench() {}

    public static void main(String[] args) throws Exception {
        double seconds = args.length > 0 ? Double.parseDouble(args[0]) : 3;
        int mib = args.length > 1 ? Integer.parseInt(args[1]) : 64;
        int trials = args.length > 2 ? Integer.parseInt(args[2]) : 20;
        System.out.printf(
                "JDK %s (%s), %d CPUs, %s %s%n",
                System.getProperty("java.version"),
                System.getProperty("java.vm.name"),
                Runtime.getRuntime().availableProcessors(),
                System.getProperty("os.name"),
                System.getProperty("os.arch"));
        Path dir = Files.createTempDirectory("relaybench");
        for (int repeat = 0; repeat < 2; repeat++) {
            String tag = repeat == 0 ? "warm-up" : "measured";
            double plain = plainForwarder(seconds);
            double anode = anodeForwarder(dir, seconds);
            System.out.printf(
                    "[%s] forwarding 1400-byte packets: plain JDK forwarder %.0f pkt/s, Anode relay %.0f"
                            + " pkt/s, ratio %.2f%n",
                    tag, plain, anode, anode / plain);
            double[] bulk = bulk(dir, mib);
            System.out.printf(
                    "[%s] stream %d MiB: direct %.1f MB/s, through the relay %.1f MB/s, ratio %.2f%n",
                    tag, mib, bulk[0], bulk[1], bulk[1] / bulk[0]);
            firstByte(dir, trials, tag);
        }
    }

    // ------------------------------------------------------------------ forwarding

    /** Sends 1400-byte datagrams to {@code to} from one thread until {@code stop}. */
    private static Thread blaster(ByteBuffer packet, InetSocketAddress to, AtomicBoolean stop) {
        Thread t = new Thread(
                () -> {
                    try (DatagramChannel s = DatagramChannel.open()) {
                        s.bind(new InetSocketAddress(LOOPBACK, 0));
                        s.connect(to);
                        while (!stop.get()) {
                            packet.rewind();
                            s.write(packet);
                        }
                    } catch (Exception e) {
                        if (!stop.get()) {
                            e.printStackTrace();
                        }
                    }
                },
                "blaster");
        t.setDaemon(true);
        return t;
    }

    private static double plainForwarder(double seconds) throws Exception {
        try (DatagramChannel fwd = DatagramChannel.open();
                DatagramChannel sink = DatagramChannel.open()) {
            fwd.setOption(StandardSocketOptions.SO_RCVBUF, 256 * 1024);
            sink.setOption(StandardSocketOptions.SO_RCVBUF, 256 * 1024);
            fwd.bind(new InetSocketAddress(LOOPBACK, 0));
            sink.bind(new InetSocketAddress(LOOPBACK, 0));
            InetSocketAddress sinkAddr = (InetSocketAddress) sink.getLocalAddress();
            AtomicBoolean stop = new AtomicBoolean();
            AtomicLong forwarded = new AtomicLong();
            Thread f = new Thread(
                    () -> {
                        ByteBuffer b = ByteBuffer.allocateDirect(2048);
                        try {
                            while (!stop.get()) {
                                b.clear();
                                fwd.receive(b);
                                b.flip();
                                b.put(0, (byte) (b.get(0) + 1));
                                if (fwd.send(b, sinkAddr) > 0) {
                                    forwarded.incrementAndGet();
                                }
                            }
                        } catch (Exception e) {
                            // Closed at the end.
                        }
                    },
                    "forwarder");
            Thread drain = drainer(sink, stop);
            f.start();
            drain.start();
            Thread blast = blaster(ByteBuffer.allocate(PACKET), (InetSocketAddress) fwd.getLocalAddress(), stop);
            blast.start();
            double rate = measure(forwarded::get, seconds);
            stop.set(true);
            fwd.close();
            sink.close();
            f.join(2000);
            blast.join(2000);
            return rate;
        }
    }

    private static Thread drainer(DatagramChannel sink, AtomicBoolean stop) {
        Thread t = new Thread(
                () -> {
                    ByteBuffer b = ByteBuffer.allocateDirect(2048);
                    try {
                        while (!stop.get()) {
                            b.clear();
                            sink.receive(b);
                        }
                    } catch (Exception e) {
                        // Closed at the end.
                    }
                },
                "sink");
        t.setDaemon(true);
        return t;
    }

    private static double measure(java.util.function.LongSupplier counter, double seconds) throws InterruptedException {
        Thread.sleep(500);
        long c0 = counter.getAsLong();
        long t0 = System.nanoTime();
        Thread.sleep((long) (seconds * 1000));
        long c1 = counter.getAsLong();
        long t1 = System.nanoTime();
        return (c1 - c0) * 1e9 / (t1 - t0);
    }

    /**
     * An Anode relay forwarding to a registered recipient: the recipient's node registers (its
     * announce PING), then a raw socket blasts 1400-byte packets addressed to it at the relay. The
     * relay cannot check their MACs and forwards every one; the recipient drops them (bad MAC),
     * as a plain sink would ignore them. The rate is the relay's forwarded count.
     */
    private static double anodeForwarder(Path dir, double seconds) throws Exception {
        AnodeIdentity rid = AnodeIdentity.generate(ZONE);
        RelayLimits open = RelayLimits.defaults().withRates(100_000_000, 100_000_000, 100_000_000);
        try (AnodeNode relay = AnodeNode.start(
                rid,
                loopback()
                        .relay(open)
                        .announce(false)
                        .receiveBufferSize(256 * 1024)
                        .build())) {
            Path zone = zoneFile(dir, relay);
            try (AnodeNode b = AnodeNode.start(
                    AnodeIdentity.generate(ZONE),
                    loopback().zoneSource(ZONE, zone.toString()).build())) {
                long deadline = System.nanoTime() + 10_000_000_000L;
                while (relay.relayStatistics().registrations() < 1 && System.nanoTime() < deadline) {
                    Thread.sleep(5);
                }
                ByteBuffer p = ByteBuffer.allocate(PACKET);
                // hop 0, flags: sender full; MAC (zero), sender, recipient short id, peer ids, DGRAM.
                p.put((byte) 0).put((byte) 0x01).putLong(0);
                p.put(AnodeIdentity.generate(ZONE).address().toByteArray());
                p.put(b.address().shortId().toByteArray());
                p.put((byte) 0x10).put((byte) 0x09).putShort((short) 1).putShort((short) 9);
                p.position(PACKET).flip();
                AtomicBoolean stop = new AtomicBoolean();
                Thread blast = blaster(p, relay.localEndpoints().get(0), stop);
                blast.start();
                double rate = measure(() -> relay.relayStatistics().forwarded(), seconds);
                stop.set(true);
                blast.join(2000);
                return rate;
            }
        }
    }

    private static AnodeNodeConfig.Builder loopback() {
        // LAN discovery and NAT traversal off: either would find the peer directly over loopback,
        // bypassing the relay being measured (a proven direct path beats a relayed one, DECISIONS 31).
        return AnodeNodeConfig.builder()
                .bind(new InetSocketAddress(LOOPBACK, 0))
                .lan(false)
                .natTraversal(false);
    }

    private static Path zoneFile(Path dir, AnodeNode relay) throws Exception {
        ZoneFile f = ZoneFile.builder()
                .name("bench")
                .description("relay bench")
                .contact("bench@example.org")
                .revision(1)
                .ttl(Duration.ofSeconds(3600))
                .relay(
                        List.of(LOOPBACK),
                        relay.localEndpoints().get(0).getPort(),
                        relay.localEndpoints().get(0).getPort(),
                        List.of(relay.address()))
                .build();
        Path p = Files.createTempFile(dir, "zone", ".txt");
        Files.writeString(p, f.write());
        return p;
    }

    // ------------------------------------------------------------------ streams

    /** MB/s of one {@code mib} MiB transfer on a direct path, then through a relay. */
    private static double[] bulk(Path dir, int mib) throws Exception {
        double direct;
        try (AnodeNode a = AnodeNode.start(
                        AnodeIdentity.generate(Zone.DEFAULT), loopback().build());
                AnodeNode b = AnodeNode.start(
                        AnodeIdentity.generate(Zone.DEFAULT), loopback().build())) {
            a.addPeerEndpoint(b.address(), b.localEndpoints().get(0));
            b.addPeerEndpoint(a.address(), a.localEndpoints().get(0));
            direct = RelayedNodes.transfer(a, b, mib, Duration.ofSeconds(120));
        }
        RelayLimits open = RelayLimits.defaults().withRates(100_000_000, 100_000_000, 100_000_000);
        try (AnodeNode relay = AnodeNode.start(
                AnodeIdentity.generate(ZONE),
                loopback().relay(open).announce(false).build())) {
            Path zone = zoneFile(dir, relay);
            try (AnodeNode a = AnodeNode.start(
                            AnodeIdentity.generate(ZONE),
                            loopback().zoneSource(ZONE, zone.toString()).build());
                    AnodeNode b = AnodeNode.start(
                            AnodeIdentity.generate(ZONE),
                            loopback().zoneSource(ZONE, zone.toString()).build())) {
                RelayedNodes.awaitRegistrations(relay, 2, Duration.ofSeconds(10));
                double relayed = RelayedNodes.transfer(a, b, mib, Duration.ofSeconds(120));
                if (!a.pathTo(b.address()).orElseThrow().relayed()) {
                    throw new IllegalStateException("the transfer did not go through the relay");
                }
                return new double[] {direct, relayed};
            }
        }
    }

    // ------------------------------------------------------------------ time to first byte

    /** Cold and warm time to first byte through a relay, in relayed PING round trips (medians). */
    private static void firstByte(Path dir, int trials, String tag) throws Exception {
        RelayLimits open = RelayLimits.defaults();
        try (AnodeNode relay = AnodeNode.start(
                AnodeIdentity.generate(ZONE),
                loopback().relay(open).announce(false).build())) {
            Path zone = zoneFile(dir, relay);
            try (AnodeNode b = AnodeNode.start(
                            AnodeIdentity.generate(ZONE),
                            loopback().zoneSource(ZONE, zone.toString()).build());
                    AnodeServerSocketChannel ss = AnodeServerSocketChannel.open(b)) {
                RelayedNodes.awaitRegistrations(relay, 1, Duration.ofSeconds(10));
                ss.bind(AnodeSocketAddress.of(b.address(), 7));
                Thread echo = new Thread(
                        () -> {
                            try {
                                while (true) {
                                    try (AnodeSocketChannel c = ss.accept()) {
                                        ByteBuffer one = ByteBuffer.allocate(1);
                                        if (c.read(one) == 1) {
                                            one.flip();
                                            c.write(one);
                                        }
                                    }
                                }
                            } catch (Exception e) {
                                // Closed at the end.
                            }
                        },
                        "echo-1");
                echo.setDaemon(true);
                echo.start();
                long[] cold = new long[trials];
                long[] warm = new long[trials];
                long[] rtt = new long[trials];
                for (int i = 0; i < trials; i++) {
                    try (AnodeNode a = AnodeNode.start(
                            AnodeIdentity.generate(Zone.DEFAULT),
                            loopback().zoneSource(ZONE, zone.toString()).build())) {
                        cold[i] = oneByte(a, b.address());
                        warm[i] = oneByte(a, b.address());
                        rtt[i] = a.ping(b.address(), Duration.ofSeconds(5)).toNanos();
                    }
                }
                Arrays.sort(cold);
                Arrays.sort(warm);
                Arrays.sort(rtt);
                double r = rtt[trials / 2];
                System.out.printf(
                        "[%s] time to first byte by address alone (%d trials, medians): relayed PING RTT"
                                + " %.0f us; cold %.0f us = %.1f RTT; warm %.0f us = %.1f RTT%n",
                        tag,
                        trials,
                        r / 1e3,
                        cold[trials / 2] / 1e3,
                        cold[trials / 2] / r,
                        warm[trials / 2] / 1e3,
                        warm[trials / 2] / r);
            }
        }
    }

    /** Connect, send one byte, read it back: nanoseconds from the connect call to the byte. */
    private static long oneByte(AnodeNode a, AnodeAddress to) throws Exception {
        long t0 = System.nanoTime();
        try (AnodeSocketChannel c = AnodeSocketChannel.open(a)) {
            c.connect(AnodeSocketAddress.of(to, 7));
            c.write(ByteBuffer.wrap(new byte[] {42}));
            ByteBuffer one = ByteBuffer.allocate(1);
            if (c.read(one) != 1) {
                throw new IllegalStateException("no echo");
            }
            return System.nanoTime() - t0;
        }
    }
}
