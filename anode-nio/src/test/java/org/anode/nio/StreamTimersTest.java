package org.anode.nio;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.anode.address.AnodeIdentity;
import org.anode.address.Zone;
import org.anode.engine.EventLoop;
import org.anode.stream.StreamConfig;
import org.anode.stream.StreamConnection;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The stream layer's deadline heap (draft 5 timers) on a real event loop. */
@Timeout(20)
class StreamTimersTest {
    @Test
    void everyLinkFiresOnceAtOrAfterItsLastDeadline() throws Exception {
        EventLoop loop = new EventLoop("timers-test");
        loop.start();
        try {
            Map<StreamLink, Long> fired = new ConcurrentHashMap<>();
            StreamTimers timers = new StreamTimers(loop, l -> fired.merge(l, System.nanoTime(), (a, b) -> -1L));
            AnodeSocketAddress addr =
                    AnodeSocketAddress.of(AnodeIdentity.generate(Zone.DEFAULT).address(), 1);
            Random r = new Random(3);
            List<StreamLink> links = new ArrayList<>();
            long[] finalDeadline = new long[500];
            for (int i = 0; i < 500; i++) {
                StreamConnection c = StreamConnection.connect(new StreamConfig(), 0, 0);
                links.add(new StreamLink(c, addr.address(), null, true, i + 1, -1, 1, addr, addr));
            }
            long base = System.nanoTime();
            // Deadlines move back and forth, as retransmission and delayed-ACK deadlines do; some clear.
            for (int round = 0; round < 20; round++) {
                for (int i = 0; i < links.size(); i++) {
                    long d = r.nextInt(10) == 0
                            ? StreamConnection.NO_TIMEOUT
                            : base + TimeUnit.MILLISECONDS.toNanos(100 + r.nextInt(200));
                    finalDeadline[i] = d;
                    timers.set(links.get(i), d);
                    assertTrue(timers.pendingLoopTimers() <= StreamTimers.MAX_PENDING);
                }
            }
            int expected = 0;
            for (long d : finalDeadline) {
                if (d != StreamConnection.NO_TIMEOUT) {
                    expected++;
                }
            }
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (fired.size() < expected && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            assertEquals(expected, fired.size());
            for (int i = 0; i < links.size(); i++) {
                Long at = fired.get(links.get(i));
                if (finalDeadline[i] == StreamConnection.NO_TIMEOUT) {
                    assertEquals(null, at, "a cleared deadline never fires");
                } else {
                    assertTrue(at != null && at != -1L, "fired exactly once");
                    assertTrue(at - finalDeadline[i] >= 0, "not before its deadline");
                }
            }
            assertEquals(0, timers.size());
        } finally {
            loop.close();
        }
    }
}
