package org.anode.bench.net;

import java.nio.ByteBuffer;
import java.time.Duration;
import org.anode.nio.AnodeNode;
import org.anode.nio.AnodeServerSocketChannel;
import org.anode.nio.AnodeSocketAddress;
import org.anode.nio.AnodeSocketChannel;

/**
 * What the benchmarks of two nodes meeting through a zone relay (draft 2.3, 2.3.1; DECISIONS 33, 34)
 * share: waiting for both to register, and one stream's bulk transfer between them (draft 4).
 */
final class RelayedNodes {
    private RelayedNodes() {}

    /** Waits until {@code relay} holds {@code n} registrations, or {@code timeout} passes. */
    static void awaitRegistrations(AnodeNode relay, int n, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (relay.relayStatistics().registrations() < n && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
    }

    /**
     * Sends {@code mib} MiB from {@code a} to a discarding listener on {@code b} (port 80) over one
     * stream; returns MB/s from the first write to the sink's end (waited for at most {@code sinkWait}).
     */
    static double transfer(AnodeNode a, AnodeNode b, int mib, Duration sinkWait) throws Exception {
        long size = (long) mib << 20;
        try (AnodeServerSocketChannel ss = AnodeServerSocketChannel.open(b)) {
            ss.bind(AnodeSocketAddress.of(b.address(), 80));
            Thread sink = new Thread(
                    () -> {
                        try (AnodeSocketChannel c = ss.accept()) {
                            ByteBuffer buf = ByteBuffer.allocate(65536);
                            while (c.read(buf.clear()) >= 0) {
                                // Discard.
                            }
                        } catch (Exception e) {
                            e.printStackTrace();
                        }
                    },
                    "bulk-sink");
            sink.start();
            try (AnodeSocketChannel c = AnodeSocketChannel.open(a)) {
                c.connect(AnodeSocketAddress.of(b.address(), 80));
                ByteBuffer chunk = ByteBuffer.allocate(65536);
                long t0 = System.nanoTime();
                for (long sent = 0; sent < size; sent += chunk.capacity()) {
                    chunk.clear();
                    while (chunk.hasRemaining()) {
                        c.write(chunk);
                    }
                }
                c.shutdownOutput();
                sink.join(sinkWait.toMillis());
                long t1 = System.nanoTime();
                return size / 1e6 / ((t1 - t0) / 1e9);
            }
        }
    }
}
