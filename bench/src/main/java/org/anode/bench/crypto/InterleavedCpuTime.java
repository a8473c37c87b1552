package org.anode.bench.crypto;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.Locale;

/**
 * A cross-check for the JMH results on a shared machine: runs each baseline and its Anode
 * counterpart in alternation, on one thread, and keeps the best thread-CPU time per batch. Other
 * processes stealing the core then slow neither side more than the other, which sequential JMH
 * benchmarks cannot promise. Same workloads and objects as the JMH classes.
 *
 * <p>Run: {@code java -cp bench/target/benchmarks.jar org.anode.bench.crypto.InterleavedCpuTime} (or the
 * build directory chosen with {@code -Danode.build}).
 */
public final class InterleavedCpuTime {
    private static final ThreadMXBean MX = ManagementFactory.getThreadMXBean();

    private interface Op {
        Object run() throws Exception;
    }

    private InterleavedCpuTime() {}

    /** Best-of-{@code reps} ops/s over batches of {@code n} calls, alternating a and b. */
    private static double[] race(Op a, Op b, int n, int reps) throws Exception {
        long bestA = Long.MAX_VALUE;
        long bestB = Long.MAX_VALUE;
        Object sink = null;
        for (int r = 0; r < reps; r++) {
            long t0 = MX.getCurrentThreadCpuTime();
            for (int i = 0; i < n; i++) {
                sink = a.run();
            }
            long t1 = MX.getCurrentThreadCpuTime();
            for (int i = 0; i < n; i++) {
                sink = b.run();
            }
            long t2 = MX.getCurrentThreadCpuTime();
            bestA = Math.min(bestA, t1 - t0);
            bestB = Math.min(bestB, t2 - t1);
        }
        if (sink == null) {
            throw new IllegalStateException("no result");
        }
        return new double[] {n * 1e9 / bestA, n * 1e9 / bestB};
    }

    private static void report(String what, double[] r, int bytes) {
        String mbs = bytes > 0
                ? String.format(Locale.ROOT, " (%.0f vs %.0f MB/s)", r[0] * bytes / 1e6, r[1] * bytes / 1e6)
                : "";
        System.out.printf(
                Locale.ROOT,
                "%-34s baseline %,12.0f ops/s  anode %,12.0f ops/s  ratio %.2f%s%n",
                what,
                r[0],
                r[1],
                r[1] / r[0],
                mbs);
    }

    public static void main(String[] args) throws Exception {
        if (!MX.isCurrentThreadCpuTimeSupported()) {
            System.err.println("thread CPU time is not supported on this JVM");
            return;
        }
        MacBenchmark mac = new MacBenchmark();
        mac.setup();
        DigestBenchmark digest = new DigestBenchmark();
        digest.size = 1400;
        digest.setup();
        EcdhBenchmark ecdh = new EcdhBenchmark();
        ecdh.setup();
        for (int round = 1; round <= 5; round++) {
            System.out.println("round " + round + (round <= 2 ? " (warm-up)" : ""));
            report("AESCMAC vs JDK AES/CBC, 1400 B", race(mac::jdkAesCbc1400, mac::anodeAesCmac1400, 2000, 15), 1400);
            report("AnodeMAC vs JDK AES/CBC, 1400 B", race(mac::jdkAesCbc1400, mac::anodeMac1400, 2000, 15), 1400);
            report(
                    "AES-DIGEST vs naive BC DM, 1400 B",
                    race(digest::naiveBcAesDigest, digest::anodeAesDigest, 200, 15),
                    1400);
            report("AnodeECDH vs BC ECDHBasicAgreement", race(ecdh::bcEcdhBasicAgreement, ecdh::anodeEcdh, 50, 10), 0);
        }
    }
}
