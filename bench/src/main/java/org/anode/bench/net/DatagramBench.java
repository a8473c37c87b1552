package org.anode.bench.net;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.anode.address.AnodeIdentity;
import org.anode.address.Zone;
import org.anode.nio.AnodeDatagramChannel;
import org.anode.nio.AnodeNode;
import org.anode.nio.AnodeNodeConfig;
import org.anode.nio.AnodeSocketAddress;

/**
 * Anode DGRAM (draft 4.2.10) against plain JDK UDP on loopback, both measured in the same run:
 * <ul>
 *   <li>request/response RTT with 64-byte payloads, blocking channels on both sides (median, p99);
 *   <li>one-way throughput at the DECISIONS 27 IPv4 packet limit: plain UDP payloads of 1400
 *       bytes against the largest Anode DGRAM whose packet fits 1400 bytes (1336 payload bytes),
 *       counted as datagrams delivered to the receiving channel per second.
 * </ul>
 * Each is run with the blocking-receive spin off and at its default (20 us).
 * Usage: {@code java -cp bench/target/benchmarks.jar org.anode.bench.net.DatagramBench [rounds] [seconds]}.
 */
public final class DatagramBench {
    private static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();

    private DatagramBench() {}

    public static void main(String[] args) throws Exception {
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 50_000;
        double seconds = args.length > 1 ? Double.parseDouble(args[1]) : 3;
        // Third argument: receive spins to measure, in microseconds, comma-separated (default 0,20,60; 60 us is the
        // node default).
        long[] spins = java.util.Arrays.stream((args.length > 2 ? args[2] : "0,20,60").split(","))
                .mapToLong(v -> Long.parseLong(v.strip()) * 1000)
                .toArray();
        System.out.printf(
                "JDK %s (%s), %d CPUs, %s %s%n",
                System.getProperty("java.version"),
                System.getProperty("java.vm.name"),
                Runtime.getRuntime().availableProcessors(),
                System.getProperty("os.name"),
                System.getProperty("os.arch"));
        // Fourth argument: a directory for SVG plots of the measured figures (org.anode.bench.plot.BarChart).
        java.nio.file.Path plotDir = args.length > 3 ? java.nio.file.Path.of(args[3]) : null;
        String note = String.format(
                java.util.Locale.ROOT,
                "DatagramBench, JDK %s, %d CPUs, loopback",
                System.getProperty("java.version"),
                Runtime.getRuntime().availableProcessors());
        org.anode.bench.plot.BarChart rttPlot = new org.anode.bench.plot.BarChart(
                "DGRAM round trip on loopback, 64 bytes, median (lower is better)", "microseconds", note);
        org.anode.bench.plot.BarChart ratePlot = new org.anode.bench.plot.BarChart(
                "DGRAM one-way throughput on loopback, 1400 bytes (higher is better)", "MB/s", note);
        for (int repeat = 0; repeat < 2; repeat++) {
            String tag = repeat == 0 ? "warm-up" : "measured";
            for (long spin : spins) {
                String t = tag + ", receive spin " + spin / 1000 + " us";
                long[] udp = plainRtt(rounds);
                long[] anode = anodeRtt(rounds, spin);
                report(t, "64-byte RTT", udp, anode);
                double udpRate = plainThroughput(seconds);
                double anodeRate = anodeThroughput(seconds, spin);
                System.out.printf(
                        "[%s] one-way 1400-byte packets: plain UDP %.0f pkt/s, Anode DGRAM %.0f pkt/s,"
                                + " ratio %.2f%n",
                        t, udpRate, anodeRate, anodeRate / udpRate);
                if (repeat == 1) {
                    double um = udp[udp.length / 2] / 1e3;
                    double am = anode[anode.length / 2] / 1e3;
                    String spinLabel = "receive spin " + spin / 1000 + " us";
                    rttPlot.group(
                            spinLabel,
                            String.format(java.util.Locale.ROOT, "%.2f of UDP", am / um),
                            new org.anode.bench.plot.BarChart.Bar("Anode DGRAM", am),
                            new org.anode.bench.plot.BarChart.Bar("plain UDP", um));
                    ratePlot.group(
                            spinLabel,
                            String.format(java.util.Locale.ROOT, "%.2f of UDP", anodeRate / udpRate),
                            new org.anode.bench.plot.BarChart.Bar("Anode DGRAM", anodeRate * 1400 / 1e6),
                            new org.anode.bench.plot.BarChart.Bar("plain UDP", udpRate * 1400 / 1e6));
                }
            }
        }
        if (plotDir != null) {
            rttPlot.write(plotDir.resolve("datagram-rtt.svg"));
            ratePlot.write(plotDir.resolve("datagram-throughput.svg"));
            System.out.println("plots: " + plotDir.resolve("datagram-rtt.svg") + ", "
                    + plotDir.resolve("datagram-throughput.svg"));
        }
    }

    private static void report(String tag, String what, long[] udp, long[] anode) {
        Arrays.sort(udp);
        Arrays.sort(anode);
        long um = udp[udp.length / 2];
        long u99 = udp[(int) (udp.length * 0.99)];
        long am = anode[anode.length / 2];
        long a99 = anode[(int) (anode.length * 0.99)];
        System.out.printf(
                "[%s] %s: plain UDP median %.1f us p99 %.1f us; Anode median %.1f us p99 %.1f us;"
                        + " median ratio %.2f, p99 ratio %.2f%n",
                tag, what, um / 1e3, u99 / 1e3, am / 1e3, a99 / 1e3, (double) am / um, (double) a99 / u99);
    }

    // ------------------------------------------------------------------ RTT

    private static long[] plainRtt(int rounds) throws Exception {
        try (DatagramChannel server = DatagramChannel.open();
                DatagramChannel client = DatagramChannel.open()) {
            server.bind(new InetSocketAddress(LOOPBACK, 0));
            client.bind(new InetSocketAddress(LOOPBACK, 0));
            client.connect(server.getLocalAddress());
            return roundTrips(server, client, rounds, "udp-echo");
        }
    }

    private static AnodeNode node(long spinNanos) throws Exception {
        return AnodeNode.start(
                AnodeIdentity.generate(Zone.DEFAULT),
                AnodeNodeConfig.builder()
                        .bind(new InetSocketAddress(LOOPBACK, 0))
                        .receiveBufferSize(4 << 20)
                        .receiveSpin(java.time.Duration.ofNanos(spinNanos))
                        .build());
    }

    private static long[] anodeRtt(int rounds, long spin) throws Exception {
        try (AnodeNode a = node(spin);
                AnodeNode b = node(spin)) {
            a.addPeerEndpoint(b.address(), b.localEndpoints().get(0));
            b.addPeerEndpoint(a.address(), a.localEndpoints().get(0));
            AnodeDatagramChannel server = b.openDatagramChannel();
            server.bind(AnodeSocketAddress.of(b.address(), 7));
            AnodeDatagramChannel client = a.openDatagramChannel();
            client.bind(AnodeSocketAddress.of(a.address(), 8));
            client.connect(AnodeSocketAddress.of(b.address(), 7));
            return roundTrips(server, client, rounds, "anode-echo");
        }
    }

    // ------------------------------------------------------------------ throughput

    private static double plainThroughput(double seconds) throws Exception {
        try (DatagramChannel rx = DatagramChannel.open();
                DatagramChannel tx = DatagramChannel.open()) {
            rx.setOption(StandardSocketOptions.SO_RCVBUF, 4 << 20);
            rx.bind(new InetSocketAddress(LOOPBACK, 0));
            tx.bind(new InetSocketAddress(LOOPBACK, 0));
            tx.connect(rx.getLocalAddress());
            AtomicLong count = countReceived(rx, "udp-sink");
            ByteBuffer payload = ByteBuffer.allocate(1400);
            return blast(seconds, count, () -> {
                payload.clear();
                tx.write(payload);
            });
        }
    }

    private static double anodeThroughput(double seconds, long spin) throws Exception {
        try (AnodeNode a = node(spin);
                AnodeNode b = node(spin)) {
            a.addPeerEndpoint(b.address(), b.localEndpoints().get(0));
            b.addPeerEndpoint(a.address(), a.localEndpoints().get(0));
            AnodeDatagramChannel rx = b.openDatagramChannel();
            rx.bind(AnodeSocketAddress.of(b.address(), 7));
            AnodeDatagramChannel tx = a.openDatagramChannel();
            tx.bind(AnodeSocketAddress.of(a.address(), 8));
            AnodeSocketAddress dst = AnodeSocketAddress.of(b.address(), 7);
            tx.connect(dst);
            // One ping makes each side know the other answered (draft 3.2), as in any conversation.
            a.ping(b.address(), java.time.Duration.ofSeconds(5));
            AtomicLong count = countReceived(rx, "anode-sink");
            // The largest DGRAM a 1400-byte IPv4 packet carries (DECISIONS 27): 1336 bytes.
            ByteBuffer payload = ByteBuffer.allocate(tx.maxDatagramSize(dst));
            return blast(seconds, count, () -> {
                payload.clear();
                tx.write(payload);
            });
        }
    }

    /**
     * Echoes every datagram {@code server} receives back to its sender (from a daemon thread) and
     * times {@code rounds} 64-byte request/response round trips from {@code client}, in ns.
     */
    private static long[] roundTrips(DatagramChannel server, DatagramChannel client, int rounds, String name)
            throws Exception {
        Thread echo = new Thread(
                () -> {
                    ByteBuffer b = ByteBuffer.allocate(2048);
                    try {
                        while (true) {
                            b.clear();
                            var from = server.receive(b);
                            b.flip();
                            server.send(b, from);
                        }
                    } catch (Exception e) {
                        // closed: done
                    }
                },
                name);
        echo.setDaemon(true);
        echo.start();
        ByteBuffer req = ByteBuffer.allocate(64);
        ByteBuffer resp = ByteBuffer.allocate(2048);
        long[] rtt = new long[rounds];
        for (int i = 0; i < rounds; i++) {
            req.clear();
            resp.clear();
            long t0 = System.nanoTime();
            client.write(req);
            client.read(resp);
            rtt[i] = System.nanoTime() - t0;
        }
        return rtt;
    }

    /** Counts the datagrams {@code rx} receives, from a daemon thread, until it is closed. */
    private static AtomicLong countReceived(DatagramChannel rx, String name) {
        AtomicLong count = new AtomicLong();
        Thread receiver = new Thread(
                () -> {
                    ByteBuffer b = ByteBuffer.allocate(2048);
                    try {
                        while (true) {
                            b.clear();
                            rx.receive(b);
                            count.lazySet(count.get() + 1);
                        }
                    } catch (Exception e) {
                        // closed: done
                    }
                },
                name);
        receiver.setDaemon(true);
        receiver.start();
        return count;
    }

    private interface Send {
        void send() throws Exception;
    }

    /** Sends as fast as possible from this thread for a while; returns datagrams received per second. */
    private static double blast(double seconds, AtomicLong count, Send send) throws Exception {
        AtomicBoolean stop = new AtomicBoolean();
        long warm = System.nanoTime() + 500_000_000L;
        while (System.nanoTime() < warm) {
            send.send();
        }
        long c0 = count.get();
        long t0 = System.nanoTime();
        long end = t0 + (long) (seconds * 1e9);
        while (!stop.get()) {
            for (int i = 0; i < 64; i++) {
                send.send();
            }
            if (System.nanoTime() >= end) {
                stop.set(true);
            }
        }
        long c1 = count.get();
        long t1 = System.nanoTime();
        return (c1 - c0) / ((t1 - t0) / 1e9);
    }
}
