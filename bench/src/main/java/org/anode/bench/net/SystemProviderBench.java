package org.anode.bench.net;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.channels.spi.SelectorProvider;
import java.util.Arrays;
import java.util.Iterator;
import org.anode.nio.AnodeSystemSelectorProvider;

/**
 * Issue 15: what the system-wide provider costs plain IP traffic. A non-blocking TCP echo server and
 * client on 127.0.0.1, each driven by its own selector, run once on the JDK's own provider and once
 * on {@link AnodeSystemSelectorProvider} (its delegating channels and its combined selector, which
 * then blocks in an inner JDK selector), alternating rounds in the same JVM. The system-wide provider
 * is the same class as {@code -Djava.nio.channels.spi.SelectorProvider} installs; here it is made with
 * {@code over(null, false)} so both run side by side.
 *
 * <p>Prints the median round-trip time of 64-byte messages and the median echo throughput of 64 KiB
 * writes, per provider, and the ratios (system / JDK: RTT above 1 and throughput below 1 are the cost).
 * It also prints the process CPU time per round trip and per MiB echoed: on a machine shared with
 * other work, CPU time is the steadier measure of what the extra layer costs.
 *
 * <pre>java -cp bench.jar org.anode.bench.net.SystemProviderBench [rounds] [roundTrips] [megabytes]</pre>
 */
public final class SystemProviderBench {
    private SystemProviderBench() {}

    public static void main(String[] args) throws Exception {
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 7;
        int trips = args.length > 1 ? Integer.parseInt(args[1]) : 20_000;
        int mb = args.length > 2 ? Integer.parseInt(args[2]) : 256;
        SelectorProvider jdk = SelectorProvider.provider();
        SelectorProvider sys = AnodeSystemSelectorProvider.over(null, false);
        // Warm-up of both paths.
        rtt(jdk, trips / 2);
        rtt(sys, trips / 2);
        throughput(jdk, mb / 4);
        throughput(sys, mb / 4);
        double[] rttJdk = new double[rounds];
        double[] rttSys = new double[rounds];
        double[] tpJdk = new double[rounds];
        double[] tpSys = new double[rounds];
        double[] cpuRttJdk = new double[rounds];
        double[] cpuRttSys = new double[rounds];
        double[] cpuTpJdk = new double[rounds];
        double[] cpuTpSys = new double[rounds];
        for (int r = 0; r < rounds; r++) {
            // Alternate which goes first, so drift in machine load falls on both.
            boolean jdkFirst = (r & 1) == 0;
            for (int k = 0; k < 2; k++) {
                boolean isJdk = (k == 0) == jdkFirst;
                long c0 = cpuNanos();
                double v = rtt(isJdk ? jdk : sys, trips);
                double cpu = (cpuNanos() - c0) / 1000.0 / trips;
                if (isJdk) {
                    rttJdk[r] = v;
                    cpuRttJdk[r] = cpu;
                } else {
                    rttSys[r] = v;
                    cpuRttSys[r] = cpu;
                }
            }
            for (int k = 0; k < 2; k++) {
                boolean isJdk = (k == 0) == jdkFirst;
                long c0 = cpuNanos();
                double v = throughput(isJdk ? jdk : sys, mb);
                double cpu = (cpuNanos() - c0) / 1000.0 / mb;
                if (isJdk) {
                    tpJdk[r] = v;
                    cpuTpJdk[r] = cpu;
                } else {
                    tpSys[r] = v;
                    cpuTpSys[r] = cpu;
                }
            }
            System.out.printf(
                    "round %d: rtt jdk %.2f us, system %.2f us; throughput jdk %.0f MB/s, system %.0f MB/s%n",
                    r, rttJdk[r], rttSys[r], tpJdk[r], tpSys[r]);
        }
        double[] cpuRttRatio = new double[rounds];
        double[] cpuTpRatio = new double[rounds];
        for (int r = 0; r < rounds; r++) {
            cpuRttRatio[r] = cpuRttSys[r] / cpuRttJdk[r];
            cpuTpRatio[r] = cpuTpSys[r] / cpuTpJdk[r];
        }
        System.out.printf(
                "CPU per round trip: jdk %.2f us, system %.2f us, ratio %.3f (per-round %.3f..%.3f)%n",
                median(cpuRttJdk), median(cpuRttSys), median(cpuRttRatio), min(cpuRttRatio), max(cpuRttRatio));
        System.out.printf(
                "CPU per MiB echoed: jdk %.0f us, system %.0f us, ratio %.3f (per-round %.3f..%.3f)%n",
                median(cpuTpJdk), median(cpuTpSys), median(cpuTpRatio), min(cpuTpRatio), max(cpuTpRatio));
        double[] rttRatio = new double[rounds];
        double[] tpRatio = new double[rounds];
        for (int r = 0; r < rounds; r++) {
            rttRatio[r] = rttSys[r] / rttJdk[r];
            tpRatio[r] = tpSys[r] / tpJdk[r];
        }
        System.out.printf(
                "RTT (64 B, median of %d x %d): jdk %.2f us, system %.2f us, ratio %.3f (per-round ratios %.3f..%.3f)%n",
                rounds, trips, median(rttJdk), median(rttSys), median(rttRatio), min(rttRatio), max(rttRatio));
        System.out.printf(
                "throughput (%d MiB echo, median of %d): jdk %.0f MB/s, system %.0f MB/s, ratio %.3f (per-round %.3f..%.3f)%n",
                mb, rounds, median(tpJdk), median(tpSys), median(tpRatio), min(tpRatio), max(tpRatio));
        System.exit(0);
    }

    /** CPU time of this process (all threads: client, echo server, JIT and GC alike for both). */
    private static long cpuNanos() {
        java.lang.management.OperatingSystemMXBean os =
                java.lang.management.ManagementFactory.getOperatingSystemMXBean();
        if (os instanceof com.sun.management.OperatingSystemMXBean sun) {
            return sun.getProcessCpuTime();
        }
        return 0L;
    }

    private static double median(double[] a) {
        double[] c = a.clone();
        Arrays.sort(c);
        return c.length % 2 == 1 ? c[c.length / 2] : (c[c.length / 2 - 1] + c[c.length / 2]) / 2;
    }

    private static double min(double[] a) {
        return Arrays.stream(a).min().orElse(Double.NaN);
    }

    private static double max(double[] a) {
        return Arrays.stream(a).max().orElse(Double.NaN);
    }

    /** An echo server on its own thread: accept, then echo everything, all through one selector. */
    private static final class Echo implements AutoCloseable {
        final Selector sel;
        final ServerSocketChannel listener;
        final Thread thread;
        volatile boolean stop;

        Echo(SelectorProvider p) throws IOException {
            sel = p.openSelector();
            listener = p.openServerSocketChannel();
            listener.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            listener.configureBlocking(false);
            listener.register(sel, SelectionKey.OP_ACCEPT);
            thread = new Thread(this::loop, "echo");
            thread.setDaemon(true);
            thread.start();
        }

        InetSocketAddress address() throws IOException {
            return (InetSocketAddress) listener.getLocalAddress();
        }

        private void loop() {
            ByteBuffer buf = ByteBuffer.allocateDirect(256 * 1024);
            try {
                while (!stop) {
                    sel.select();
                    Iterator<SelectionKey> it = sel.selectedKeys().iterator();
                    while (it.hasNext()) {
                        SelectionKey k = it.next();
                        it.remove();
                        if (!k.isValid()) {
                            continue;
                        }
                        if (k.isAcceptable()) {
                            SocketChannel c = listener.accept();
                            if (c != null) {
                                c.configureBlocking(false);
                                c.setOption(StandardSocketOptions.TCP_NODELAY, true);
                                c.register(sel, SelectionKey.OP_READ);
                            }
                            continue;
                        }
                        SocketChannel c = (SocketChannel) k.channel();
                        if (k.isReadable() || k.isWritable()) {
                            buf.clear();
                            int n = c.read(buf);
                            if (n < 0) {
                                c.close();
                                continue;
                            }
                            buf.flip();
                            while (buf.hasRemaining()) {
                                if (c.write(buf) == 0) {
                                    // The client reads while it writes, so the socket drains soon.
                                    Thread.onSpinWait();
                                }
                            }
                        }
                    }
                }
            } catch (IOException | java.nio.channels.ClosedSelectorException e) {
                // Closed.
            }
        }

        @Override
        public void close() throws IOException {
            stop = true;
            sel.wakeup();
            try {
                thread.join(5000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            for (SelectionKey k : sel.keys()) {
                k.channel().close();
            }
            sel.close();
            listener.close();
        }
    }

    /** Median-free mean RTT in microseconds of {@code trips} 64-byte round trips through selectors. */
    private static double rtt(SelectorProvider p, int trips) throws IOException {
        try (Echo echo = new Echo(p);
                Selector sel = p.openSelector();
                SocketChannel c = p.openSocketChannel()) {
            c.connect(echo.address());
            c.setOption(StandardSocketOptions.TCP_NODELAY, true);
            c.configureBlocking(false);
            SelectionKey key = c.register(sel, SelectionKey.OP_READ);
            ByteBuffer out = ByteBuffer.allocateDirect(64);
            ByteBuffer in = ByteBuffer.allocateDirect(64);
            long t0 = System.nanoTime();
            for (int i = 0; i < trips; i++) {
                out.clear();
                while (out.hasRemaining()) {
                    c.write(out);
                }
                in.clear();
                while (in.hasRemaining()) {
                    sel.select();
                    sel.selectedKeys().clear();
                    if (c.read(in) < 0) {
                        throw new IOException("echo closed");
                    }
                }
            }
            long t = System.nanoTime() - t0;
            key.cancel();
            return t / 1000.0 / trips;
        }
    }

    /** Echo throughput in MB/s: the client writes {@code mb} MiB and reads them back concurrently. */
    private static double throughput(SelectorProvider p, int mb) throws IOException {
        try (Echo echo = new Echo(p);
                Selector sel = p.openSelector();
                SocketChannel c = p.openSocketChannel()) {
            c.connect(echo.address());
            c.configureBlocking(false);
            SelectionKey key = c.register(sel, SelectionKey.OP_READ | SelectionKey.OP_WRITE);
            long total = (long) mb << 20;
            ByteBuffer out = ByteBuffer.allocateDirect(64 * 1024);
            ByteBuffer in = ByteBuffer.allocateDirect(256 * 1024);
            long sent = 0;
            long got = 0;
            long t0 = System.nanoTime();
            while (got < total) {
                sel.select();
                sel.selectedKeys().clear();
                if (sent < total && key.isWritable()) {
                    out.clear();
                    out.limit((int) Math.min(out.capacity(), total - sent));
                    sent += c.write(out);
                    if (sent >= total) {
                        key.interestOps(SelectionKey.OP_READ);
                    }
                }
                if (key.isReadable()) {
                    in.clear();
                    int n = c.read(in);
                    if (n < 0) {
                        throw new IOException("echo closed");
                    }
                    got += n;
                }
            }
            long t = System.nanoTime() - t0;
            key.cancel();
            return total / 1e6 / (t / 1e9);
        }
    }
}
