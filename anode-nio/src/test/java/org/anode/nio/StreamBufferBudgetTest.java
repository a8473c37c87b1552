package org.anode.nio;

import static org.anode.nio.StreamTestSupport.readFully;
import static org.anode.nio.StreamTestSupport.writeFully;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.StandardSocketOptions;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The node-wide budget for stream buffers (draft 5 flow control, DECISIONS 24): however many
 * connections carry data, the rings the node allocates stay near the budget; connections past it get
 * smaller buffers (a smaller advertised window) and still deliver every byte.
 */
@Timeout(60)
class StreamBufferBudgetTest {
    @Test
    void connectionsPastTheBudgetGetSmallerBuffersAndStillWork() throws Exception {
        try (StreamTestSupport s = new StreamTestSupport()) {
            StreamLayer server = s.listener.layer();
            server.bufferBudget(1 << 20);
            int n = 12;
            List<AnodeSocketChannel[]> pairs = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                AnodeSocketChannel[] p = s.connect();
                pairs.add(p);
                writeFully(p[0], new byte[] {(byte) i});
                assertEquals(i, readFully(p[1], 1)[0]);
            }
            // 512 KiB each by default: the first fills the 1 MiB budget, the rest get the minimum, and
            // nothing goes past the hard limit (1.5 times the budget) plus the one ring being sized.
            long charged = server.bufferCharged();
            assertTrue(charged <= (3 << 19) + (512 << 10), "charged " + charged);
            int small = 0;
            for (AnodeSocketChannel[] p : pairs) {
                if (p[1].getOption(StandardSocketOptions.SO_RCVBUF) == StreamLayer.MIN_BUFFER) {
                    small++;
                }
            }
            assertTrue(small >= n - 2, small + " of " + n + " connections got the minimum buffer");
            Random r = new Random(9);
            for (AnodeSocketChannel[] p : pairs) {
                byte[] data = new byte[200_000];
                r.nextBytes(data);
                writeFully(p[0], data);
                assertArrayEquals(data, readFully(p[1], data.length), "a small window still delivers everything");
            }
            for (AnodeSocketChannel[] p : pairs) {
                p[0].close();
                p[1].close();
            }
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            while (server.bufferCharged() != 0 && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            assertEquals(0, server.bufferCharged(), "closed connections return their buffers to the budget");
        }
    }

    @Test
    void pastTheHardLimitDataWaitsForMemoryInsteadOfGrowingIt() throws Exception {
        try (StreamTestSupport s = new StreamTestSupport()) {
            StreamLayer server = s.listener.layer();
            List<AnodeSocketChannel[]> pairs = new ArrayList<>();
            int i = 0;
            // Connections take memory until the hard limit is reached: the next one's data is dropped.
            server.bufferBudget(100_000);
            AnodeSocketChannel[] stalled = null;
            while (stalled == null && i < 50) {
                AnodeSocketChannel[] p = s.connect();
                p[1].configureBlocking(false);
                writeFully(p[0], new byte[] {(byte) i});
                long before = server.budgetDrops();
                long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(300);
                java.nio.ByteBuffer one = java.nio.ByteBuffer.allocate(1);
                while (one.hasRemaining() && System.nanoTime() < deadline) {
                    p[1].read(one);
                    Thread.sleep(1);
                }
                if (one.hasRemaining()) {
                    assertTrue(server.budgetDrops() > before, "no data only because the budget refused it");
                    stalled = p;
                } else {
                    pairs.add(p);
                }
                i++;
            }
            assertTrue(stalled != null, "the hard limit was reached");
            assertTrue(server.bufferCharged() <= 150_000 + 600_000, "bounded: " + server.bufferCharged());
            // Free memory: the stalled connection's retransmission then gets through.
            for (AnodeSocketChannel[] p : pairs) {
                p[0].close();
                p[1].close();
            }
            stalled[1].configureBlocking(true);
            assertEquals(pairs.size(), readFully(stalled[1], 1)[0]);
        }
    }
}
