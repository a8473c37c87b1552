package org.anode.linkemu;

/**
 * The impairments of one direction of an emulated link, with the meaning Linux {@code netem} gives
 * them (tc-netem(8)), because the kernels this project is measured on lack {@code sch_netem}:
 * <ul>
 *   <li>{@code loss}: each packet is dropped with this probability (independently);
 *   <li>{@code delay} and {@code jitter}: each packet is held for a delay drawn uniformly from
 *       {@code delay +- jitter} (netem's default distribution), so jitter reorders packets;
 *   <li>{@code reorder}: with this probability a packet skips the delay and leaves at once, ahead of
 *       the delayed ones (netem's {@code reorder P} with gap 1; it needs a delay to mean anything);
 *   <li>{@code duplicate}: with this probability a second copy is queued too;
 *   <li>{@code corrupt}: with this probability one random bit of the payload is flipped;
 *   <li>{@code rate}: the link serialises packets at this many bytes per second (0: unlimited),
 *       counting {@link #overheadBytes()} per packet for the IP and UDP headers;
 *   <li>{@code limit}: at most this many packets are held (delayed or waiting for the rate); more
 *       are dropped at the tail.
 * </ul>
 * Instances are immutable; the {@code with*} methods return modified copies.
 */
public final class LinkProfile {
    /** A clean link: no loss, no delay, no rate limit, netem's default limit of 1000 packets. */
    public static final LinkProfile CLEAN = new LinkProfile(0, 0, 0, 0, 0, 0, 0, 1000, 28);

    private final double loss;
    private final double duplicate;
    private final double corrupt;
    private final double reorder;
    private final long delayNanos;
    private final long jitterNanos;
    private final long rateBytesPerSecond;
    private final int limitPackets;
    private final int overheadBytes;

    private LinkProfile(
            double loss,
            double duplicate,
            double corrupt,
            double reorder,
            long delayNanos,
            long jitterNanos,
            long rateBytesPerSecond,
            int limitPackets,
            int overheadBytes) {
        this.loss = probability("loss", loss);
        this.duplicate = probability("duplicate", duplicate);
        this.corrupt = probability("corrupt", corrupt);
        this.reorder = probability("reorder", reorder);
        if (delayNanos < 0 || jitterNanos < 0 || rateBytesPerSecond < 0 || overheadBytes < 0) {
            throw new IllegalArgumentException("delay, jitter, rate and overhead must not be negative");
        }
        if (limitPackets < 1) {
            throw new IllegalArgumentException("limit must be at least one packet: " + limitPackets);
        }
        this.delayNanos = delayNanos;
        this.jitterNanos = jitterNanos;
        this.rateBytesPerSecond = rateBytesPerSecond;
        this.limitPackets = limitPackets;
        this.overheadBytes = overheadBytes;
    }

    private static double probability(String what, double p) {
        if (!(p >= 0 && p <= 1)) {
            throw new IllegalArgumentException(what + " must be a probability in [0, 1]: " + p);
        }
        return p;
    }

    public LinkProfile withLoss(double p) {
        return new LinkProfile(
                p,
                duplicate,
                corrupt,
                reorder,
                delayNanos,
                jitterNanos,
                rateBytesPerSecond,
                limitPackets,
                overheadBytes);
    }

    public LinkProfile withDuplicate(double p) {
        return new LinkProfile(
                loss, p, corrupt, reorder, delayNanos, jitterNanos, rateBytesPerSecond, limitPackets, overheadBytes);
    }

    public LinkProfile withCorrupt(double p) {
        return new LinkProfile(
                loss, duplicate, p, reorder, delayNanos, jitterNanos, rateBytesPerSecond, limitPackets, overheadBytes);
    }

    public LinkProfile withReorder(double p) {
        return new LinkProfile(
                loss, duplicate, corrupt, p, delayNanos, jitterNanos, rateBytesPerSecond, limitPackets, overheadBytes);
    }

    /** Delay {@code delayNanos} with uniform jitter of {@code +- jitterNanos}. */
    public LinkProfile withDelay(long delayNanos, long jitterNanos) {
        return new LinkProfile(
                loss,
                duplicate,
                corrupt,
                reorder,
                delayNanos,
                jitterNanos,
                rateBytesPerSecond,
                limitPackets,
                overheadBytes);
    }

    /** Rate limit in bytes per second (0: unlimited). */
    public LinkProfile withRate(long bytesPerSecond) {
        return new LinkProfile(
                loss,
                duplicate,
                corrupt,
                reorder,
                delayNanos,
                jitterNanos,
                bytesPerSecond,
                limitPackets,
                overheadBytes);
    }

    /** Most packets held at once. */
    public LinkProfile withLimit(int packets) {
        return new LinkProfile(
                loss, duplicate, corrupt, reorder, delayNanos, jitterNanos, rateBytesPerSecond, packets, overheadBytes);
    }

    /** Bytes added to each payload when the rate limit counts it (default 28: IPv4 and UDP headers). */
    public LinkProfile withOverhead(int bytes) {
        return new LinkProfile(
                loss, duplicate, corrupt, reorder, delayNanos, jitterNanos, rateBytesPerSecond, limitPackets, bytes);
    }

    public double loss() {
        return loss;
    }

    public double duplicate() {
        return duplicate;
    }

    public double corrupt() {
        return corrupt;
    }

    public double reorder() {
        return reorder;
    }

    public long delayNanos() {
        return delayNanos;
    }

    public long jitterNanos() {
        return jitterNanos;
    }

    public long rateBytesPerSecond() {
        return rateBytesPerSecond;
    }

    public int limitPackets() {
        return limitPackets;
    }

    public int overheadBytes() {
        return overheadBytes;
    }

    @Override
    public String toString() {
        return "loss " + loss * 100 + "% delay " + delayNanos / 1e6 + "ms " + jitterNanos / 1e6 + "ms reorder "
                + reorder * 100 + "% duplicate " + duplicate * 100 + "% corrupt " + corrupt * 100 + "% rate "
                + rateBytesPerSecond + "B/s limit " + limitPackets;
    }
}
