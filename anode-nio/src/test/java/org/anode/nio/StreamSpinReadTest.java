package org.anode.nio;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.time.Duration;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A blocking stream read right after a write spins, reading the node's socket on the application
 * thread ({@link AnodeNode#pollIo()}), and the stream layer answers and publishes what that poll
 * read before it returns ({@link StreamLayer#endOfBatch()}). Request/response exchanges must come out
 * the same whether the answer arrives during the spin, after it (a slow peer, so the spin misses
 * and later reads park at once), or with the spin turned off; with
 * answers spanning several packets.
 */
class StreamSpinReadTest {

    @Test
    @Timeout(60)
    void requestResponseWithTheSpin() throws Exception {
        exchange(NodeTestSupport.loopbackConfig().build(), 0);
    }

    @Test
    @Timeout(60)
    void requestResponseWithASlowPeerSoTheSpinMisses() throws Exception {
        // 1 ms per answer: far past the 60 us spin, so reads fall back to parking and skip spins.
        exchange(NodeTestSupport.loopbackConfig().build(), 1);
    }

    @Test
    @Timeout(60)
    void requestResponseWithoutTheSpin() throws Exception {
        exchange(NodeTestSupport.loopbackConfig().receiveSpin(Duration.ZERO).build(), 0);
    }

    @Test
    @Timeout(60)
    void longSpinStillEndsWithTheData() throws Exception {
        // A spin longer than the exchange: the reader must return as soon as its poll made the data
        // readable, not when the spin runs out.
        exchange(
                NodeTestSupport.loopbackConfig()
                        .receiveSpin(Duration.ofMillis(10))
                        .build(),
                0);
    }

    private static void exchange(AnodeNodeConfig config, int answerDelayMillis) throws Exception {
        try (StreamTestSupport t = new StreamTestSupport(config)) {
            AnodeSocketChannel[] p = t.connect();
            AnodeSocketChannel client = p[0];
            AnodeSocketChannel server = p[1];
            int rounds = answerDelayMillis > 0 ? 150 : 600;
            long seed = 42;
            Thread[] holder = new Thread[1];
            CompletableFuture<Throwable> echo = StreamTestSupport.onThread(holder, null, () -> {
                Random r = new Random(seed);
                for (int i = 0; i < rounds; i++) {
                    int n = size(r, i);
                    byte[] req = StreamTestSupport.readFully(server, n);
                    assertEquals(n, req.length, "request " + i + " cut short");
                    if (answerDelayMillis > 0) {
                        Thread.sleep(answerDelayMillis);
                    }
                    // The answer is the request reversed, so a mix-up of requests shows.
                    byte[] resp = new byte[n];
                    for (int k = 0; k < n; k++) {
                        resp[k] = req[n - 1 - k];
                    }
                    StreamTestSupport.writeFully(server, resp);
                }
            });
            Random r = new Random(seed);
            Random data = new Random(7);
            for (int i = 0; i < rounds; i++) {
                int n = size(r, i);
                byte[] req = new byte[n];
                data.nextBytes(req);
                StreamTestSupport.writeFully(client, req);
                byte[] resp = StreamTestSupport.readFully(client, n);
                byte[] want = new byte[n];
                for (int k = 0; k < n; k++) {
                    want[k] = req[n - 1 - k];
                }
                assertArrayEquals(want, resp, "answer " + i);
            }
            assertNull(echo.get(30, TimeUnit.SECONDS), "echo side failed");
        }
    }

    /** Mostly small messages, every few rounds one that takes several packets. */
    private static int size(Random r, int i) {
        return i % 7 == 3 ? 2000 + r.nextInt(6000) : 1 + r.nextInt(200);
    }
}
