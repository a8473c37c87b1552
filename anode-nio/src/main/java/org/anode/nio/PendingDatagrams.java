package org.anode.nio;

import java.io.IOException;
import java.net.NoRouteToHostException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionException;
import org.anode.address.AnodeAddress;
import org.anode.util.BoundedMap;

/**
 * Datagrams sent by non-blocking channels to addresses whose path is still being found (draft
 * 4.2.10; DECISIONS 31: application data waits, bounded, while a path is found). A non-blocking
 * send must not wait, so the datagram is copied here and the send returns at once; when the path
 * is found the held datagrams go out in order, and when it is not they are dropped (as UDP may
 * drop) and the next send to that address throws {@link NoRouteToHostException} with the reason.
 *
 * <p>Bounded: at most {@link #MAX_TARGETS} addresses and {@link #MAX_PER_TARGET} datagrams each
 * are held; beyond that a send returns 0 (no room, as a full socket buffer does). Thread-safe.
 */
final class PendingDatagrams {
    static final int MAX_TARGETS = 64;
    static final int MAX_PER_TARGET = 32;
    private static final int MAX_FAILURES = 256;

    private record Held(AnodeDatagramChannel channel, AnodeSocketAddress target, ByteBuffer data) {}

    private final AnodeNode node;
    private final Map<AnodeAddress, List<Held>> held = new HashMap<>();
    private final Map<AnodeAddress, String> failures = BoundedMap.leastRecentlyUsed(MAX_FAILURES);

    PendingDatagrams(AnodeNode node) {
        this.node = node;
    }

    /**
     * Holds one datagram (gathered from {@code srcs}, which are consumed) until its path is found.
     *
     * @return {@code total}, or 0 if there is no room
     * @throws NoRouteToHostException if the previous search for this address failed (reported once)
     */
    int hold(AnodeDatagramChannel ch, AnodeSocketAddress target, ByteBuffer[] srcs, int offset, int length, int total)
            throws IOException {
        AnodeAddress a = target.address();
        boolean start;
        synchronized (this) {
            String f = failures.remove(a);
            if (f != null) {
                throw new NoRouteToHostException(f);
            }
            List<Held> l = held.get(a);
            start = l == null;
            if (start) {
                if (held.size() >= MAX_TARGETS) {
                    return 0;
                }
                l = new ArrayList<>();
                held.put(a, l);
            } else if (l.size() >= MAX_PER_TARGET) {
                return 0;
            }
            ByteBuffer copy = ByteBuffer.allocate(total);
            for (int i = offset; i < offset + length; i++) {
                copy.put(srcs[i]);
            }
            l.add(new Held(ch, target, copy.flip()));
        }
        if (start) {
            node.findPathAsync(a).whenComplete((p, e) -> done(a, e));
        }
        return total;
    }

    /** The search for {@code a} ended: send what was held, or remember why it failed. */
    private void done(AnodeAddress a, Throwable e) {
        List<Held> l;
        synchronized (this) {
            l = held.remove(a);
            if (e != null) {
                Throwable c = e instanceof CompletionException && e.getCause() != null ? e.getCause() : e;
                failures.put(a, String.valueOf(c.getMessage()));
            }
        }
        if (l == null || e != null) {
            return;
        }
        for (Held h : l) {
            h.channel().sendHeld(h.target(), h.data());
        }
    }
}
