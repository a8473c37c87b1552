package org.anode.bench.wire;

import java.util.Arrays;
import java.util.Locale;

/**
 * Paired measurement of the codec overhead (issue 3), a complement to {@link WireBenchmark} on a
 * shared, noisy machine: JMH measures one benchmark after another, so load that comes and goes
 * between them distorts the ratio. Here each round times a block of codec operations and, right
 * after, a block of bare-CMAC operations on the same state, alternating the order, and the ratio
 * is taken per round; the median of the per-round ratios is robust to load drift.
 *
 * <p>Usage: {@code java -cp bench/target-wire/benchmarks.jar org.anode.bench.wire.WirePairedRatio [rounds]}.
 */
public final class WirePairedRatio {
    private static final int BLOCK = 200;

    private WirePairedRatio() {}

    public static void main(String[] args) throws Exception {
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 4000;
        WireBenchmark b = new WireBenchmark();
        b.setup();
        long sink = 0;
        // Warm-up: let C2 compile all three paths.
        for (int i = 0; i < 200_000; i++) {
            sink += b.encodeAndMac() + b.decodeAndVerify() + b.bareCmacFolded();
        }
        double[] enc = new double[rounds];
        double[] dec = new double[rounds];
        double[] bareNs = new double[rounds];
        for (int r = 0; r < rounds; r++) {
            boolean bareFirst = (r & 1) == 0;
            long bare1 = bareFirst ? timeBare(b) : 0;
            long t0 = System.nanoTime();
            for (int i = 0; i < BLOCK; i++) {
                sink += b.encodeAndMac();
            }
            long e = System.nanoTime() - t0;
            t0 = System.nanoTime();
            for (int i = 0; i < BLOCK; i++) {
                sink += b.decodeAndVerify();
            }
            long d = System.nanoTime() - t0;
            long bare = bareFirst ? bare1 : timeBare(b);
            enc[r] = (double) e / bare;
            dec[r] = (double) d / bare;
            bareNs[r] = (double) bare / BLOCK;
        }
        System.out.printf(Locale.ROOT, "rounds=%d block=%d%n", rounds, BLOCK);
        System.out.printf(Locale.ROOT, "bare folded CMAC, 1399 bytes: median %.1f ns/op%n", median(bareNs));
        System.out.printf(
                Locale.ROOT,
                "encode+MAC / bare:    median %.3f  (p25 %.3f, p75 %.3f)%n",
                median(enc),
                quantile(enc, 0.25),
                quantile(enc, 0.75));
        System.out.printf(
                Locale.ROOT,
                "decode+verify / bare: median %.3f  (p25 %.3f, p75 %.3f)%n",
                median(dec),
                quantile(dec, 0.25),
                quantile(dec, 0.75));
        if (sink == 42) {
            System.out.println();
        }
    }

    private static long timeBare(WireBenchmark b) {
        long sink = 0;
        long t0 = System.nanoTime();
        for (int i = 0; i < BLOCK; i++) {
            sink += b.bareCmacFolded();
        }
        long t = System.nanoTime() - t0;
        return sink == 42 ? t + 1 : t;
    }

    private static double median(double[] v) {
        return quantile(v, 0.5);
    }

    private static double quantile(double[] v, double q) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s[(int) Math.min(s.length - 1, Math.round(q * (s.length - 1)))];
    }
}
