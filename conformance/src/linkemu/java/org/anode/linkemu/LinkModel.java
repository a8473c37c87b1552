package org.anode.linkemu;

import java.util.Random;

/**
 * The decisions netem takes for one direction of a link, apart from any socket: given the time a
 * packet arrives and its size, whether it is dropped, duplicated or corrupted and when each copy
 * leaves. Deterministic for a seed and a sequence of calls, so it is tested in virtual time and the
 * {@link LinkEmulator} replays the same decisions for the same arrival order.
 *
 * <p>The order follows netem's {@code netem_enqueue}: the duplicate decision, then loss (which
 * removes one of the copies), then the queue limit, corruption of the original, and the departure
 * time - a reordered packet leaves at once; otherwise the jittered delay, and with a rate limit no
 * earlier than the previous packet's departure plus this packet's serialisation time.
 */
public final class LinkModel {
    /** What {@link #admit} decided for a packet. */
    public static final class Decision {
        /** Copies that will leave (0, 1 or 2). */
        public int copies;
        /** Departure time of each copy. */
        public final long[] departures = new long[2];
        /** True when the first copy is to be corrupted. */
        public boolean corrupt;
        /** Bit of the payload to flip when {@link #corrupt}. */
        public int corruptBit;
        /** Why a copy was dropped, counted: 1 random loss, 2 queue limit. */
        public int droppedLoss;

        public int droppedQueue;
    }

    private final Random rnd;
    private volatile LinkProfile profile;
    private long lastDeparture = Long.MIN_VALUE;
    private int held;

    public LinkModel(long seed, LinkProfile profile) {
        this.rnd = new Random(seed);
        this.profile = profile;
    }

    public LinkProfile profile() {
        return profile;
    }

    /** Changes the impairments for packets admitted from now on. */
    public void setProfile(LinkProfile p) {
        this.profile = p;
    }

    /** Packets admitted and not yet {@link #departed()}. */
    public int held() {
        return held;
    }

    /**
     * Decides the fate of a packet of {@code length} payload bytes arriving at {@code now}; each
     * copy counted in {@link Decision#copies} is held until {@link #departed()} is called for it.
     */
    public Decision admit(long now, int length, Decision d) {
        LinkProfile p = profile;
        d.copies = 0;
        d.corrupt = false;
        d.droppedLoss = 0;
        d.droppedQueue = 0;
        int count = 1;
        if (p.duplicate() > 0 && rnd.nextDouble() < p.duplicate()) {
            count++;
        }
        if (p.loss() > 0 && rnd.nextDouble() < p.loss()) {
            count--;
            d.droppedLoss++;
        }
        for (int i = 0; i < count; i++) {
            if (held >= p.limitPackets()) {
                d.droppedQueue++;
                continue;
            }
            boolean original = d.copies == 0;
            if (original && p.corrupt() > 0 && rnd.nextDouble() < p.corrupt() && length > 0) {
                d.corrupt = true;
                d.corruptBit = rnd.nextInt(length * 8);
            }
            d.departures[d.copies++] = departure(now, length, p);
            held++;
        }
        return d;
    }

    private long departure(long now, int length, LinkProfile p) {
        if (p.reorder() > 0 && p.delayNanos() > 0 && rnd.nextDouble() < p.reorder()) {
            return now;
        }
        long delay = p.delayNanos();
        if (p.jitterNanos() > 0) {
            delay += (long) ((rnd.nextDouble() * 2 - 1) * p.jitterNanos());
            if (delay < 0) {
                delay = 0;
            }
        }
        long t = now + delay;
        if (p.rateBytesPerSecond() > 0) {
            if (lastDeparture > t) {
                t = lastDeparture;
            }
            t += (length + (long) p.overheadBytes()) * 1_000_000_000L / p.rateBytesPerSecond();
            lastDeparture = t;
        }
        return t;
    }

    /** A copy left the link (or was discarded): it no longer counts against the limit. */
    public void departed() {
        if (held > 0) {
            held--;
        }
    }

    /** Flips bit {@code bit} of {@code buf[off ..]}. */
    public static void flip(byte[] buf, int off, int bit) {
        buf[off + (bit >>> 3)] ^= (byte) (1 << (bit & 7));
    }
}
