package org.anode.bench.net;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.channels.spi.SelectorProvider;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.anode.address.AnodeIdentity;
import org.anode.address.Zone;
import org.anode.nio.AnodeNode;
import org.anode.nio.AnodeNodeConfig;
import org.anode.nio.AnodeSocketAddress;

/**
 * Anode streams (draft section 5) against plain JDK UDP and TCP on loopback, all measured in the
 * same run, through the standard {@link SocketChannel}/{@link ServerSocketChannel} API only:
 * <ul>
 *   <li>baselines: one-way throughput of 1400-byte UDP datagrams, TCP bulk throughput, 64-byte UDP
 *       (and TCP) ping-pong RTT;
 *   <li>Anode: one-stream bulk throughput with the default 1400-byte packet limit (DECISIONS 27),
 *       64-byte request/response RTT over an established stream, connect time (S_OPEN round trip to
 *       a peer whose key is cached), and heap per connection with 10,000 idle connections open
 *       between one node pair.
 * </ul>
 * Usage: {@code java -cp bench/target/benchmarks.jar org.anode.bench.net.StreamBench [options]}
 * with options {@code seconds=3} (per throughput phase), {@code warmup=3} (seconds before each throughput
 * phase is measured), {@code rounds=20000} (RTT samples, after as many warm-up rounds),
 * {@code connects=1000}, {@code connectWarm=10000} (connects before the measured ones), {@code idle=10000}, {@code idleUsed=1000} (how many of the idle
 * connections then carry 64 bytes), {@code buf=0} (SO_SNDBUF/SO_RCVBUF for the Anode
 * stream ends; 0 = the channel defaults), {@code packet=1400} (the nodes' UDP/IPv4 packet limit,
 * DECISIONS 27; larger values show how much the per-packet cost limits throughput), {@code only=anode-bulk,anode-rtt} (a subset of the phases
 * udp-oneway, tcp-bulk, udp-rtt, tcp-rtt, anode-bulk, anode-rtt, anode-connect, anode-idle, e.g. to
 * profile one).
 * Each phase has a time bound, so the whole run stays within about three minutes; a phase that
 * fails reports why instead of a figure. Prints a markdown table.
 */
public final class StreamBench {
    private static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();
    private static final int UDP_PAYLOAD = 1400;
    private static final int RTT_BYTES = 64;
    private static final int BULK_CHUNK = 64 * 1024;

    private final double seconds;
    /**
     * Warm-up of each throughput phase (baselines and Anode alike) before it is measured. 3 s: on a
     * 2-CPU machine the JIT compiler competes with the benchmark threads for several seconds before
     * the Anode send and receive paths run compiled (per-quarter-second traces show the stream
     * climbing for about 3 s); until 2026-11-26 13:20 the default was 0.5 s, which measured mostly
     * that climb.
     */
    private static double warmupSeconds = 3;
    /**
     * Connects made and discarded before the measured ones: the open and accept paths run once per
     * connection, so like the 20,000 warm-up rounds of the RTT phases it takes thousands of them
     * before they are compiled (until 2026-11-26 13:20: 1000).
     */
    private final int connectWarm;

    private final int rounds;
    private final int connects;
    private final int idle;
    private final int idleUsed;
    private final int buf;
    private final int packet;
    /** plot=DIR: write this run's figures as SVG plots there (org.anode.bench.plot.BarChart). */
    private final String plotDir;

    private StreamBench(Map<String, String> opts) {
        seconds = Double.parseDouble(opts.getOrDefault("seconds", "3"));
        warmupSeconds = Double.parseDouble(opts.getOrDefault("warmup", "3"));
        rounds = Integer.parseInt(opts.getOrDefault("rounds", "20000"));
        connects = Integer.parseInt(opts.getOrDefault("connects", "1000"));
        connectWarm = Integer.parseInt(opts.getOrDefault("connectWarm", "10000"));
        idle = Integer.parseInt(opts.getOrDefault("idle", "10000"));
        idleUsed = Integer.parseInt(opts.getOrDefault("idleUsed", "1000"));
        buf = Integer.parseInt(opts.getOrDefault("buf", "0"));
        packet = Integer.parseInt(opts.getOrDefault("packet", String.valueOf(AnodeNodeConfig.DEFAULT_MAX_PACKET_IPV4)));
        plotDir = opts.get("plot");
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> opts = new LinkedHashMap<>();
        for (String a : args) {
            int eq = a.indexOf('=');
            if (eq <= 0) {
                throw new IllegalArgumentException("options are key=value: " + a);
            }
            opts.put(a.substring(0, eq), a.substring(eq + 1));
        }
        StreamBench b = new StreamBench(opts);
        System.out.printf(
                "JDK %s (%s), %d CPUs, %s %s; options %s%n",
                System.getProperty("java.version"),
                System.getProperty("java.vm.name"),
                Runtime.getRuntime().availableProcessors(),
                System.getProperty("os.name"),
                System.getProperty("os.arch"),
                opts);
        b.run(opts.get("only"));
    }

    private interface Phase<T> {
        T run() throws Exception;
    }

    /** Runs a phase; a failure is printed and yields null, so one broken phase does not hide others. */
    private <T> T guard(Phase<T> p, T onFailure) {
        try {
            return p.run();
        } catch (Exception | Error e) {
            System.out.println("  phase failed: " + e);
            return onFailure;
        }
    }

    /** Whether phase {@code name} runs: all of them unless {@code only} names a comma-separated subset. */
    private static boolean selected(String only, String name) {
        return only == null || Arrays.asList(only.split(",")).contains(name);
    }

    private <T> T phase(String only, String name, Phase<T> p, T skipped) {
        if (!selected(only, name)) {
            return skipped;
        }
        System.out.printf("%s (load average %s) ...%n", name, loadAverage());
        long cpu0 = processCpuNanos();
        long t0 = System.nanoTime();
        T r = guard(p, skipped);
        long wall = System.nanoTime() - t0;
        System.out.printf("  %.1f s, process CPU %.2f cores%n", wall / 1e9, (double) (processCpuNanos() - cpu0) / wall);
        return r;
    }

    private void run(String only) throws Exception {
        long start = System.nanoTime();
        double udpBps = phase(only, "udp-oneway", () -> udpOneWay(seconds), Double.NaN);
        double tcpBps = phase(only, "tcp-bulk", () -> tcpBulk(seconds), Double.NaN);
        long[] udpRtt = phase(only, "udp-rtt", () -> udpRtt(rounds), null);
        long[] tcpRtt = phase(
                only,
                "tcp-rtt",
                () -> streamRtt(
                        SelectorProvider.provider(),
                        SelectorProvider.provider(),
                        new InetSocketAddress(LOOPBACK, 0),
                        rounds),
                null);
        double[] anodeBulk = phase(only, "anode-bulk", this::anodeBulk, null);
        long[] anodeRtt = phase(only, "anode-rtt", this::anodeRtt, null);
        long[] anodeConnect = phase(only, "anode-connect", this::anodeConnect, null);
        double[] idleHeap = phase(only, "anode-idle", this::anodeIdle, null);

        double udpMedian = udpRtt == null ? Double.NaN : percentile(udpRtt, 0.5);
        System.out.println();
        System.out.println("| measurement | plain baseline | Anode | ratio | target |");
        System.out.println("|---|---|---|---|---|");
        System.out.printf(
                "| one-way bulk, MB/s (UDP: 1400-byte datagrams; Anode: %d-byte packets) | UDP %.1f (%.0f pkt/s);"
                        + " TCP %.1f | %s | %s of UDP | >= 0.50 |%n",
                packet,
                udpBps / 1e6,
                udpBps / UDP_PAYLOAD,
                tcpBps / 1e6,
                anodeBulk == null
                        ? "n/a"
                        : String.format(
                                Locale.ROOT,
                                "%.1f (%.0f writes/s of 64 KiB)",
                                anodeBulk[0] / 1e6,
                                anodeBulk[0] / BULK_CHUNK),
                anodeBulk == null ? "n/a" : String.format(Locale.ROOT, "%.2f", anodeBulk[0] / udpBps));
        System.out.printf(
                "| 64-byte RTT median / p99, us | UDP %s; TCP %s | %s | %s (median vs UDP) | <= 1.5 |%n",
                latency(udpRtt),
                latency(tcpRtt),
                latency(anodeRtt),
                anodeRtt == null ? "n/a" : String.format(Locale.ROOT, "%.2f", percentile(anodeRtt, 0.5) / udpMedian));
        System.out.printf(
                "| connect median / p99, us | UDP RTT %s | %s | %s (median vs UDP RTT) | <= 2.0 |%n",
                latency(udpRtt),
                latency(anodeConnect),
                anodeConnect == null
                        ? "n/a"
                        : String.format(Locale.ROOT, "%.2f", percentile(anodeConnect, 0.5) / udpMedian));
        System.out.printf(
                "| heap per idle connection, bytes (%d connections) | - | %s | - | < 8192 |%n",
                idle,
                idleHeap == null
                        ? "n/a"
                        : String.format(
                                Locale.ROOT,
                                "%.0f per connection (both ends), %.0f per channel; %d connected. %d of them carried"
                                        + " 64 bytes: +%.0f per connection while active, +%.0f after 6.5 s idle",
                                idleHeap[0],
                                idleHeap[0] / 2,
                                (long) idleHeap[1],
                                (long) idleHeap[4],
                                idleHeap[2],
                                idleHeap[3]));
        System.out.printf(
                "%nwhole run: %.1f s, load average at the end %s%n", (System.nanoTime() - start) / 1e9, loadAverage());
        if (plotDir != null) {
            plot(
                    java.nio.file.Path.of(plotDir),
                    udpBps,
                    tcpBps,
                    anodeBulk == null ? Double.NaN : anodeBulk[0],
                    udpRtt,
                    tcpRtt,
                    anodeRtt,
                    anodeConnect);
        }
    }

    /** The 1-, 5- and 15-minute load averages (Linux), to show how busy the machine was. */
    private static String loadAverage() {
        try {
            String[] f = new String(
                            java.nio.file.Files.readAllBytes(java.nio.file.Path.of("/proc/loadavg")),
                            java.nio.charset.StandardCharsets.US_ASCII)
                    .trim()
                    .split(" ");
            return f[0] + " " + f[1] + " " + f[2];
        } catch (IOException | RuntimeException e) {
            return String.format(
                    Locale.ROOT,
                    "%.2f",
                    ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage());
        }
    }

    private static long processCpuNanos() {
        if (ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os) {
            return os.getProcessCpuTime();
        }
        return 0;
    }

    private static String latency(long[] samples) {
        if (samples == null) {
            return "n/a";
        }
        return String.format(
                Locale.ROOT, "%.1f / %.1f", percentile(samples, 0.5) / 1e3, percentile(samples, 0.99) / 1e3);
    }

    /** This run's throughput and RTT figures as SVG, each against its same-run baselines. */
    private static void plot(
            java.nio.file.Path dir,
            double udpBps,
            double tcpBps,
            double anodeBps,
            long[] udpRtt,
            long[] tcpRtt,
            long[] anodeRtt,
            long[] anodeConnect)
            throws java.io.IOException {
        String note = String.format(
                Locale.ROOT,
                "StreamBench, JDK %s, %d CPUs, loopback",
                System.getProperty("java.version"),
                Runtime.getRuntime().availableProcessors());
        org.anode.bench.plot.BarChart t = new org.anode.bench.plot.BarChart(
                        "Stream bulk throughput on loopback (higher is better)", "MB/s", note)
                .group(
                        "one-way bulk",
                        String.format(Locale.ROOT, "%.2f of UDP", anodeBps / udpBps),
                        new org.anode.bench.plot.BarChart.Bar("Anode stream", anodeBps / 1e6),
                        new org.anode.bench.plot.BarChart.Bar("plain UDP", udpBps / 1e6),
                        new org.anode.bench.plot.BarChart.Bar("TCP", tcpBps / 1e6));
        double udpMedian = median(udpRtt);
        org.anode.bench.plot.BarChart r = new org.anode.bench.plot.BarChart(
                        "Stream round trip on loopback, 64 bytes, median (lower is better)", "microseconds", note)
                .group(
                        "request/response",
                        String.format(Locale.ROOT, "%.2f of UDP", median(anodeRtt) / udpMedian),
                        new org.anode.bench.plot.BarChart.Bar("Anode stream", median(anodeRtt) / 1e3),
                        new org.anode.bench.plot.BarChart.Bar("plain UDP", udpMedian / 1e3),
                        new org.anode.bench.plot.BarChart.Bar("TCP", median(tcpRtt) / 1e3))
                .group(
                        "connect",
                        String.format(Locale.ROOT, "%.2f of a UDP RTT", median(anodeConnect) / udpMedian),
                        new org.anode.bench.plot.BarChart.Bar("Anode stream", median(anodeConnect) / 1e3),
                        new org.anode.bench.plot.BarChart.Bar("plain UDP", udpMedian / 1e3));
        t.write(dir.resolve("stream-throughput.svg"));
        r.write(dir.resolve("stream-rtt.svg"));
        System.out.println("plots: " + dir.resolve("stream-throughput.svg") + ", " + dir.resolve("stream-rtt.svg"));
    }

    private static double median(long[] sorted) {
        return sorted == null ? Double.NaN : percentile(sorted, 0.5);
    }

    private static double percentile(long[] sorted, double q) {
        return sorted[Math.min(sorted.length - 1, (int) (sorted.length * q))];
    }

    private static Thread daemon(String name, Runnable r) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        t.start();
        return t;
    }

    // ------------------------------------------------------------------ baselines

    /** Payload bytes per second of 1400-byte datagrams delivered to a receiving channel. */
    private static double udpOneWay(double seconds) throws Exception {
        try (DatagramChannel rx = DatagramChannel.open();
                DatagramChannel tx = DatagramChannel.open()) {
            rx.setOption(StandardSocketOptions.SO_RCVBUF, 4 << 20);
            rx.bind(new InetSocketAddress(LOOPBACK, 0));
            tx.bind(new InetSocketAddress(LOOPBACK, 0));
            tx.connect(rx.getLocalAddress());
            AtomicLong bytes = new AtomicLong();
            daemon("udp-sink", () -> {
                ByteBuffer b = ByteBuffer.allocateDirect(2048);
                try {
                    while (true) {
                        b.clear();
                        rx.receive(b);
                        bytes.lazySet(bytes.get() + b.position());
                    }
                } catch (IOException e) {
                    // closed: done
                }
            });
            ByteBuffer payload = ByteBuffer.allocateDirect(UDP_PAYLOAD);
            return blast(seconds, bytes, () -> {
                payload.clear();
                tx.write(payload);
            });
        }
    }

    /** Bytes per second over one TCP connection, blocking writer and reader. */
    private static double tcpBulk(double seconds) throws Exception {
        return streamBulk(
                SelectorProvider.provider(),
                SelectorProvider.provider(),
                new InetSocketAddress(LOOPBACK, 0),
                seconds,
                0);
    }

    private static long[] udpRtt(int rounds) throws Exception {
        try (DatagramChannel server = DatagramChannel.open();
                DatagramChannel client = DatagramChannel.open()) {
            server.bind(new InetSocketAddress(LOOPBACK, 0));
            client.bind(new InetSocketAddress(LOOPBACK, 0));
            client.connect(server.getLocalAddress());
            daemon("udp-echo", () -> {
                ByteBuffer b = ByteBuffer.allocateDirect(2048);
                try {
                    while (true) {
                        b.clear();
                        SocketAddress from = server.receive(b);
                        b.flip();
                        server.send(b, from);
                    }
                } catch (IOException e) {
                    // closed: done
                }
            });
            ByteBuffer req = ByteBuffer.allocateDirect(RTT_BYTES);
            ByteBuffer resp = ByteBuffer.allocateDirect(2048);
            // The first half warms up the JIT and is discarded.
            long[] rtt = new long[rounds];
            for (int pass = 0; pass < 2; pass++) {
                for (int i = 0; i < rounds; i++) {
                    req.clear();
                    resp.clear();
                    long t0 = System.nanoTime();
                    client.write(req);
                    client.read(resp);
                    rtt[i] = System.nanoTime() - t0;
                }
            }
            Arrays.sort(rtt);
            return rtt;
        }
    }

    private interface Send {
        void send() throws Exception;
    }

    /** Sends from this thread for a while after a short warm-up; returns counted units per second. */
    private static double blast(double seconds, AtomicLong counter, Send send) throws Exception {
        long warm = System.nanoTime() + (long) (warmupSeconds * 1e9);
        while (System.nanoTime() < warm) {
            send.send();
        }
        long c0 = counter.get();
        long t0 = System.nanoTime();
        long end = t0 + (long) (seconds * 1e9);
        while (System.nanoTime() < end) {
            for (int i = 0; i < 16; i++) {
                send.send();
            }
        }
        long c1 = counter.get();
        long t1 = System.nanoTime();
        return (c1 - c0) / ((t1 - t0) / 1e9);
    }

    // ------------------------------------------------------------------ streams (JDK or Anode)

    /**
     * One stream from {@code clientProvider} to a listener of {@code serverProvider}: a writer
     * writes 64 KiB buffers as fast as the channel takes them, a reader counts; bytes per second
     * received after a warm-up.
     */
    private static double streamBulk(
            SelectorProvider serverProvider,
            SelectorProvider clientProvider,
            SocketAddress bind,
            double seconds,
            int bufferSize)
            throws Exception {
        try (ServerSocketChannel listener = serverProvider.openServerSocketChannel()) {
            listener.bind(bind);
            AtomicLong bytes = new AtomicLong();
            AtomicBoolean stop = new AtomicBoolean();
            ConcurrentLinkedQueue<SocketChannel> opened = new ConcurrentLinkedQueue<>();
            Thread reader = daemon("bulk-reader", () -> {
                try (SocketChannel ch = listener.accept()) {
                    opened.add(ch);
                    if (bufferSize > 0) {
                        ch.setOption(StandardSocketOptions.SO_RCVBUF, bufferSize);
                    }
                    ByteBuffer b = ByteBuffer.allocateDirect(BULK_CHUNK);
                    while (!stop.get()) {
                        b.clear();
                        int n = ch.read(b);
                        if (n < 0) {
                            return;
                        }
                        bytes.lazySet(bytes.get() + n);
                    }
                } catch (IOException e) {
                    // closed: done
                }
            });
            try (SocketChannel client = clientProvider.openSocketChannel()) {
                if (bufferSize > 0) {
                    client.setOption(StandardSocketOptions.SO_SNDBUF, bufferSize);
                }
                client.connect(listener.getLocalAddress());
                ByteBuffer chunk = ByteBuffer.allocateDirect(BULK_CHUNK);
                double rate = blast(seconds, bytes, () -> {
                    chunk.clear();
                    client.write(chunk);
                });
                stop.set(true);
                return rate;
            } finally {
                for (SocketChannel ch : opened) {
                    ch.close();
                }
                reader.join(5000);
            }
        }
    }

    /** 64-byte request/response over one established stream with TCP_NODELAY on both ends. */
    private static long[] streamRtt(
            SelectorProvider serverProvider, SelectorProvider clientProvider, SocketAddress bind, int rounds)
            throws Exception {
        try (ServerSocketChannel listener = serverProvider.openServerSocketChannel()) {
            listener.bind(bind);
            ConcurrentLinkedQueue<SocketChannel> opened = new ConcurrentLinkedQueue<>();
            Thread echo = daemon("rtt-echo", () -> {
                try (SocketChannel ch = listener.accept()) {
                    opened.add(ch);
                    ch.setOption(StandardSocketOptions.TCP_NODELAY, true);
                    ByteBuffer b = ByteBuffer.allocateDirect(RTT_BYTES);
                    while (true) {
                        b.clear();
                        while (b.hasRemaining()) {
                            if (ch.read(b) < 0) {
                                return;
                            }
                        }
                        b.flip();
                        while (b.hasRemaining()) {
                            ch.write(b);
                        }
                    }
                } catch (IOException e) {
                    // closed: done
                }
            });
            try (SocketChannel client = clientProvider.openSocketChannel()) {
                client.setOption(StandardSocketOptions.TCP_NODELAY, true);
                client.connect(listener.getLocalAddress());
                ByteBuffer req = ByteBuffer.allocateDirect(RTT_BYTES);
                ByteBuffer resp = ByteBuffer.allocateDirect(RTT_BYTES);
                long[] rtt = new long[rounds];
                long budget = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
                int done = 0;
                for (int pass = 0; pass < 2; pass++) {
                    done = 0;
                    for (int i = 0; i < rounds && System.nanoTime() < budget; i++) {
                        req.clear();
                        resp.clear();
                        long t0 = System.nanoTime();
                        while (req.hasRemaining()) {
                            client.write(req);
                        }
                        while (resp.hasRemaining()) {
                            if (client.read(resp) < 0) {
                                throw new IOException("echo ended the stream");
                            }
                        }
                        rtt[i] = System.nanoTime() - t0;
                        done++;
                    }
                }
                long[] r = Arrays.copyOf(rtt, done);
                Arrays.sort(r);
                return r;
            } finally {
                for (SocketChannel ch : opened) {
                    ch.close();
                }
                echo.join(5000);
            }
        }
    }

    // ------------------------------------------------------------------ Anode

    /** Two nodes on 127.0.0.1 that know each other's endpoint and have exchanged a PING. */
    private AnodeNode[] nodePair() throws Exception {
        AnodeNodeConfig.Builder cfg = AnodeNodeConfig.builder()
                .bind(new InetSocketAddress(LOOPBACK, 0))
                .maxPacketIpv4(packet);
        // Distinct thread names, so that a profile tells the two event loops apart.
        AnodeNode a = AnodeNode.start(
                AnodeIdentity.generate(Zone.DEFAULT),
                cfg.threadName("anode-server").build());
        AnodeNode b;
        try {
            b = AnodeNode.start(
                    AnodeIdentity.generate(Zone.DEFAULT),
                    cfg.threadName("anode-client").build());
        } catch (Exception e) {
            a.close();
            throw e;
        }
        try {
            a.addPeerEndpoint(b.address(), b.localEndpoints().get(0));
            b.addPeerEndpoint(a.address(), a.localEndpoints().get(0));
            // Keys agreed and both sides answered (draft 3.2): the state of any running conversation.
            a.ping(b.address(), Duration.ofSeconds(5));
            b.ping(a.address(), Duration.ofSeconds(5));
        } catch (Exception e) {
            a.close();
            b.close();
            throw e;
        }
        return new AnodeNode[] {a, b};
    }

    private double[] anodeBulk() throws Exception {
        AnodeNode[] n = nodePair();
        try (AnodeNode server = n[0];
                AnodeNode client = n[1]) {
            double rate = streamBulk(
                    server.selectorProvider(),
                    client.selectorProvider(),
                    AnodeSocketAddress.of(server.address(), 9000),
                    seconds,
                    buf);
            return new double[] {rate};
        }
    }

    private long[] anodeRtt() throws Exception {
        AnodeNode[] n = nodePair();
        try (AnodeNode server = n[0];
                AnodeNode client = n[1]) {
            return streamRtt(
                    server.selectorProvider(),
                    client.selectorProvider(),
                    AnodeSocketAddress.of(server.address(), 9001),
                    rounds);
        }
    }

    /**
     * Blocking connect time to a listener on a peer whose key is cached: S_OPEN out, the
     * acceptor's S_OPEN back (draft 5.2.2). Two runs on fresh node pairs: connections kept open
     * (the round trip alone: the reported figure), and each connection closed by both ends right
     * after it is measured (connects among close traffic and TIME_WAIT timers). The first
     * {@code connectWarm} of each warm up and are discarded.
     */
    private long[] anodeConnect() throws Exception {
        long[] open = connectSeries(false);
        report("connect (kept open)", open);
        report("connect (closing each)", connectSeries(true));
        return open;
    }

    private static void report(String what, long[] r) {
        System.out.printf(
                "  %s: %d samples, p50 %.1f us, p90 %.1f us, p99 %.1f us, max %.1f us%n",
                what,
                r.length,
                percentile(r, 0.5) / 1e3,
                percentile(r, 0.9) / 1e3,
                percentile(r, 0.99) / 1e3,
                r[r.length - 1] / 1e3);
    }

    private long[] connectSeries(boolean closeEach) throws Exception {
        AnodeNode[] n = nodePair();
        // Enough to get the open and accept paths compiled: they run once per connection only.
        int warm = connectWarm;
        List<SocketChannel> open = new ArrayList<>(warm + connects);
        ConcurrentLinkedQueue<SocketChannel> accepted = new ConcurrentLinkedQueue<>();
        try (AnodeNode server = n[0];
                AnodeNode client = n[1];
                ServerSocketChannel listener = server.selectorProvider().openServerSocketChannel()) {
            listener.bind(AnodeSocketAddress.of(server.address(), 9002), warm + connects);
            Thread acceptor = daemon("connect-acceptor", () -> {
                try {
                    while (true) {
                        SocketChannel ch = listener.accept();
                        if (closeEach) {
                            ch.close();
                        } else {
                            accepted.add(ch);
                        }
                    }
                } catch (IOException e) {
                    // closed: done
                }
            });
            SocketAddress target = listener.getLocalAddress();
            long[] samples = new long[connects];
            int done = 0;
            long budget = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            SelectorProvider p = client.selectorProvider();
            for (int i = 0; i < warm + connects && System.nanoTime() < budget; i++) {
                SocketChannel ch = p.openSocketChannel();
                open.add(ch);
                long t0 = System.nanoTime();
                ch.connect(target);
                long t = System.nanoTime() - t0;
                if (closeEach) {
                    ch.close();
                }
                if (i >= warm) {
                    samples[done++] = t;
                }
            }
            listener.close();
            acceptor.join(5000);
            long[] r = Arrays.copyOf(samples, done);
            Arrays.sort(r);
            return r;
        } finally {
            open.addAll(accepted);
            for (SocketChannel ch : open) {
                try {
                    ch.close();
                } catch (IOException e) {
                    // Closing at the end: the figure is taken.
                }
            }
        }
    }

    /**
     * Heap per connection: {@code idle} connections opened and left idle between one node pair,
     * heap used after {@code System.gc()} compared with the same after the nodes and listener
     * were set up; then the extra heap per connection when {@code idleUsed} of them carry 64 bytes,
     * at once and after they stayed idle longer than the stream layer keeps empty buffers. Returns
     * {bytes per connection (both ends) never used, connections made, extra bytes per active
     * connection, extra bytes per used-then-idle connection, connections used}.
     */
    private double[] anodeIdle() throws Exception {
        AnodeNode[] n = nodePair();
        List<SocketChannel> channels = new ArrayList<>(2 * idle);
        try (AnodeNode server = n[0];
                AnodeNode client = n[1];
                ServerSocketChannel listener = server.selectorProvider().openServerSocketChannel()) {
            listener.bind(AnodeSocketAddress.of(server.address(), 9003), idle);
            ConcurrentLinkedQueue<SocketChannel> accepted = new ConcurrentLinkedQueue<>();
            SocketAddress target = listener.getLocalAddress();
            // Warm the code paths and measure the baseline with the accept thread running.
            try (SocketChannel ch = client.selectorProvider().openSocketChannel()) {
                ch.connect(target);
            }
            Thread acceptor = daemon("idle-acceptor", () -> {
                try {
                    while (true) {
                        accepted.add(listener.accept());
                    }
                } catch (IOException e) {
                    // closed: done
                }
            });
            Thread.sleep(200);
            for (SocketChannel ch = accepted.poll(); ch != null; ch = accepted.poll()) {
                ch.close();
            }
            Thread.sleep(500);
            long base = usedHeapAfterGc();
            long budget = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            SelectorProvider p = client.selectorProvider();
            int made = 0;
            long[] connectTimes = new long[idle];
            for (int i = 0; i < idle && System.nanoTime() < budget; i++) {
                SocketChannel ch = p.openSocketChannel();
                channels.add(ch);
                long t0 = System.nanoTime();
                ch.connect(target);
                connectTimes[made++] = System.nanoTime() - t0;
            }
            long[] sorted = Arrays.copyOf(connectTimes, made);
            Arrays.sort(sorted);
            // Connects that close nothing in between: a second view of the connect time.
            System.out.printf(
                    "  connect while opening idle connections: median %.1f us, p99 %.1f us%n",
                    percentile(sorted, 0.5) / 1e3, percentile(sorted, 0.99) / 1e3);
            long waitAccepts = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (accepted.size() < made && System.nanoTime() < waitAccepts) {
                Thread.sleep(10);
            }
            int acceptedCount = accepted.size();
            // Let delayed ACKs and timers settle: the connections are idle from here on.
            Thread.sleep(1000);
            long used = usedHeapAfterGc();
            List<SocketChannel> servers = new ArrayList<>(accepted);
            channels.addAll(servers);
            System.out.printf(
                    "  idle: %d connected, %d accepted, heap %d -> %d bytes%n", made, acceptedCount, base, used);
            // Then some connections carry 64 bytes each: heap while their buffers are held, and again
            // after they stayed idle longer than the stream layer keeps empty buffers
            // (StreamConfig.idleRelease, 5 s). Only a subset: an active connection holds its full
            // stream buffers (about 1 MiB for both ends with the defaults).
            int used1 = Math.min(idleUsed, Math.min(made, servers.size()));
            int carried = carry64(channels.subList(0, used1), servers.subList(0, used1));
            long usedActive = usedHeapAfterGc();
            Thread.sleep(6500);
            long usedAfterData = usedHeapAfterGc();
            System.out.printf(
                    "  64 bytes over %d connections: heap %d bytes at once, %d bytes after 6.5 s idle%n",
                    carried, usedActive, usedAfterData);
            listener.close();
            acceptor.join(5000);
            return new double[] {
                (double) (used - base) / made,
                made,
                (double) (usedActive - used) / used1,
                (double) (usedAfterData - used) / used1,
                used1
            };
        } finally {
            for (SocketChannel ch : channels) {
                try {
                    ch.close();
                } catch (IOException e) {
                    // Closing at the end: the figure is taken.
                }
            }
        }
    }

    /** Writes 64 bytes on each client channel and reads them on the accepted side (bounded). */
    private static int carry64(List<SocketChannel> clients, List<SocketChannel> servers) throws IOException {
        ByteBuffer out = ByteBuffer.allocate(64);
        for (SocketChannel ch : clients) {
            out.clear();
            while (out.hasRemaining()) {
                ch.write(out);
            }
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        ByteBuffer in = ByteBuffer.allocate(64);
        int complete = 0;
        for (SocketChannel ch : servers) {
            ch.configureBlocking(false);
            in.clear();
            while (in.hasRemaining() && System.nanoTime() < deadline) {
                if (ch.read(in) < 0) {
                    break;
                }
                if (in.hasRemaining()) {
                    Thread.onSpinWait();
                }
            }
            if (!in.hasRemaining()) {
                complete++;
            }
        }
        return complete;
    }

    private static long usedHeapAfterGc() throws InterruptedException {
        MemoryMXBean mem = ManagementFactory.getMemoryMXBean();
        long used = Long.MAX_VALUE;
        // Several rounds: a single System.gc() may leave floating garbage behind.
        for (int i = 0; i < 4; i++) {
            System.gc();
            Thread.sleep(100);
            used = Math.min(used, mem.getHeapMemoryUsage().getUsed());
        }
        return used;
    }
}
