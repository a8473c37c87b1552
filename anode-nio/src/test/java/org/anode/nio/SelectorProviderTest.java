package org.anode.nio;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.ProtocolFamily;
import java.net.StandardProtocolFamily;
import java.nio.channels.Channel;
import java.nio.channels.Pipe;
import java.nio.channels.Selector;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Checklist items 1 and 2: the provider's factory methods and their protocol-family overloads. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class SelectorProviderTest {
    private final SelectorTestSupport.RecordingNodeChannels node = new SelectorTestSupport.RecordingNodeChannels();
    private final AnodeSelectorProvider provider = new AnodeSelectorProvider(node);

    @Test
    void selectorAndPipeComeFromThisProvider() throws IOException {
        try (Selector s = provider.openSelector()) {
            assertInstanceOf(AnodeSelector.class, s);
            assertSame(provider, s.provider());
        }
        Pipe p = provider.openPipe();
        assertInstanceOf(AnodePipe.class, p);
        assertNotSame(p, provider.openPipe());
        p.source().close();
        p.sink().close();
        assertNull(provider.inheritedChannel());
    }

    /** Every factory delegates to the node with the family it was given (null for no-arg). */
    @Test
    void channelFactoriesDelegateToTheNode() throws IOException {
        try (Channel a = provider.openDatagramChannel();
                Channel b = provider.openDatagramChannel(StandardProtocolFamily.INET);
                Channel c = provider.openSocketChannel();
                Channel d = provider.openSocketChannel(StandardProtocolFamily.INET6);
                Channel e = provider.openServerSocketChannel();
                Channel f = provider.openServerSocketChannel(StandardProtocolFamily.INET);
                Channel g = provider.openDatagramChannel(null)) {
            assertTrue(a.isOpen() && b.isOpen() && c.isOpen() && d.isOpen() && e.isOpen() && f.isOpen() && g.isOpen());
        }
        assertEquals(
                List.of(
                        "datagram:null",
                        "datagram:INET",
                        "socket:null",
                        "socket:INET6",
                        "server:null",
                        "server:INET",
                        "datagram:null"),
                node.calls);
    }

    /** UNIX domain and foreign families are refused as the JDK refuses an unsupported family. */
    @Test
    void unsupportedFamiliesAreRefused() {
        ProtocolFamily foreign = () -> "ANODE-OVER-CARRIER-PIGEON";
        for (ProtocolFamily family : List.of(StandardProtocolFamily.UNIX, foreign)) {
            assertThrows(UnsupportedOperationException.class, () -> provider.openDatagramChannel(family));
            assertThrows(UnsupportedOperationException.class, () -> provider.openSocketChannel(family));
            assertThrows(UnsupportedOperationException.class, () -> provider.openServerSocketChannel(family));
        }
        assertTrue(node.calls.isEmpty(), "refused before reaching the node");
    }

    @Test
    void nodeIsRequired() {
        assertThrows(NullPointerException.class, () -> new AnodeSelectorProvider(null));
    }
}
