package org.anode.nio;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The relay limits of DECISIONS 34 are set through {@code AnodeNodeConfig.builder().relay(...)}:
 * every field reaches the engine's relay, and a low per-source rate really bounds what one node
 * pushes through the relay (counted as dropped by policy), on loopback.
 */
@Timeout(60)
class RelayLimitsLoopbackTest {

    @Test
    void everyLimitReachesTheEngine() {
        RelayLimits l = new RelayLimits(17, Duration.ofSeconds(33), 3, 11, 5, 12, 6, 13, 7, false, 2, 19);
        AnodeNodeConfig c = NodeTestSupport.loopbackConfig().lan(false).relay(l).build();
        org.anode.engine.RelayConfig e = c.relay().toEngine();
        assertEquals(
                new org.anode.engine.RelayConfig(17, Duration.ofSeconds(33), 3, 11, 5, 12, 6, 13, 7, false, 2, 19), e);
    }

    @Test
    void aLowPerSourceRateBoundsOneNodesTrafficThroughTheRelay(@TempDir Path dir) throws Exception {
        RelayLimits limits =
                RelayLimits.defaults().withRates(50, 1_000_000, 1_000_000).withErrorReplies(false);
        try (RelayLoopbackTest.Net n = new RelayLoopbackTest.Net(dir, limits)) {
            n.a.ping(n.b.address(), Duration.ofSeconds(10));
            AnodeDatagramChannel rx = n.nodes.track(n.b.openDatagramChannel());
            rx.bind(AnodeSocketAddress.of(n.b.address(), 7));
            AnodeDatagramChannel tx = n.nodes.track(n.a.openDatagramChannel());
            tx.bind(AnodeSocketAddress.of(n.a.address(), 0));
            AnodeSocketAddress to = AnodeSocketAddress.of(n.b.address(), 7);
            long before = n.relay.statistics().droppedByPolicy();
            ByteBuffer m = ByteBuffer.allocate(100);
            for (int i = 0; i < 300; i++) {
                m.clear();
                tx.send(m, to);
            }
            StreamTestSupport.awaitTrue(() -> n.relay.statistics().droppedByPolicy() - before >= 200, 10_000);
            AnodeNode.RelayStatistics s = n.relay.relayStatistics();
            assertTrue(s.droppedRateLimited() >= 200, s.toString());
            assertEquals(s.droppedByPolicy(), n.relay.statistics().droppedByPolicy());
        }
    }
}
