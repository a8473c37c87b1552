package org.anode.bench.plot;

import java.io.IOException;
import java.nio.file.Path;

/**
 * Renders the plots of docs/BENCHMARKS.md from the reference run recorded there (the summary
 * table's figures, each against its same-run baseline): {@code throughput.svg} and {@code rtt.svg}.
 * New runs plot their own measurements: {@code StreamBench plot=DIR}, {@code DatagramBench ... DIR}.
 *
 * <pre>java -cp bench/target/benchmarks.jar org.anode.bench.plot.ReferencePlots docs/benchmarks</pre>
 */
public final class ReferencePlots {
    /** The machine and runs of the reference figures (docs/BENCHMARKS.md, "Machine and commands"). */
    static final String NOTE =
            "reference run, 2 vCPUs (KVM, AES-NI), OpenJDK 17.0.15, loopback;" + " baselines from the same run";

    private ReferencePlots() {}

    /** {@return throughput: Anode against plain UDP (and TCP) on loopback} */
    static BarChart throughput() {
        return new BarChart("Throughput on loopback, Anode vs same-run baselines (higher is better)", "MB/s", NOTE)
                .group(
                        "stream bulk, 1400-byte packets",
                        "0.60 of UDP",
                        new BarChart.Bar("Anode stream", 334),
                        new BarChart.Bar("plain UDP", 557),
                        new BarChart.Bar("TCP", 3933))
                .group(
                        "DGRAM one-way, 1400 bytes",
                        "0.62 of UDP",
                        new BarChart.Bar("Anode DGRAM", 182_568 * 1400 / 1e6),
                        new BarChart.Bar("plain UDP", 296_521 * 1400 / 1e6))
                .group(
                        "Mac AESCMAC, 1400 B",
                        "0.96 of AES-CBC",
                        new BarChart.Bar("Anode AESCMAC", 872),
                        new BarChart.Bar("JDK AES/CBC", 911));
    }

    /** {@return round-trip times: Anode against plain UDP and TCP on loopback} */
    static BarChart rtt() {
        return new BarChart("Round trip on loopback, 64 bytes, median (lower is better)", "microseconds", NOTE)
                .group(
                        "DGRAM request/response",
                        "0.56 of UDP",
                        new BarChart.Bar("Anode DGRAM", 9.9),
                        new BarChart.Bar("plain UDP", 17.7))
                .group(
                        "over an established stream",
                        "1.19 of UDP",
                        new BarChart.Bar("Anode stream", 19.2),
                        new BarChart.Bar("plain UDP", 16.2),
                        new BarChart.Bar("TCP", 18.6))
                .group(
                        "connect (S_OPEN round trip)",
                        "1.88 of a UDP RTT",
                        new BarChart.Bar("Anode stream", 30.4),
                        new BarChart.Bar("plain UDP", 16.2));
    }

    /**
     * Writes throughput.svg and rtt.svg into the directory given (default docs/benchmarks).
     *
     * @param args the output directory
     * @throws IOException if a file cannot be written
     */
    public static void main(String[] args) throws IOException {
        Path dir = Path.of(args.length > 0 ? args[0] : "docs/benchmarks");
        throughput().write(dir.resolve("throughput.svg"));
        rtt().write(dir.resolve("rtt.svg"));
        System.out.println("wrote " + dir.resolve("throughput.svg") + " and " + dir.resolve("rtt.svg"));
    }
}
