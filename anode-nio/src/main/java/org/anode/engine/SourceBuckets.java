package org.anode.engine;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.util.Map;
import org.anode.util.BoundedMap;

/**
 * Per-source rate limits in front of the node-wide key-agreement budget for unknown senders
 * (draft 3.3 requires an ECDH per new peer; the draft sets no limit). Without them one source
 * sending garbage MACs under random full addresses takes every token and starves legitimate
 * first contacts from everyone else. A source is an IPv4 address, or an IPv6 /64 (one end site
 * holds a whole /64, so individual IPv6 addresses cost an attacker nothing).
 *
 * <p>Bounded: at most {@code capacity} sources are remembered; the least recently seen is
 * forgotten first. A forgotten source comes back with a full bucket, which is no more than a
 * source idle long enough would have anyway. Event loop only.
 */
final class SourceBuckets {
    private record Source(boolean v6, long bits) {}

    private final int rate;
    private final int burst;
    private final Map<Source, TokenBucket> buckets;

    SourceBuckets(int ratePerSecond, int burst, int capacity) {
        this.rate = ratePerSecond;
        this.burst = burst;
        this.buckets = BoundedMap.leastRecentlyUsed(capacity);
    }

    /** Takes one token of {@code source}'s bucket if it has one at {@code now}. */
    boolean tryTake(InetAddress source, long now) {
        Source key = keyOf(source);
        TokenBucket b = buckets.get(key);
        if (b == null) {
            b = new TokenBucket(rate, burst);
            buckets.put(key, b);
        }
        return b.tryTake(now);
    }

    /** Sources currently remembered. */
    int size() {
        return buckets.size();
    }

    private static Source keyOf(InetAddress a) {
        byte[] b = a.getAddress();
        long bits = 0;
        int n = a instanceof Inet4Address ? 4 : 8;
        for (int i = 0; i < n && i < b.length; i++) {
            bits = (bits << 8) | (b[i] & 0xff);
        }
        return new Source(n == 8, bits);
    }
}
