package org.anode.nio;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.net.DatagramSocket;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketOption;
import java.net.StandardSocketOptions;
import java.nio.channels.NetworkChannel;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The same bad option input gets the same typed error from every Anode channel (datagrams, draft
 * 4.2.10; streams, draft section 5) and from every socket adaptor, as from the JDK's own.
 */
@Timeout(30)
class SocketOptionChecksTest {

    @SuppressWarnings({"unchecked", "rawtypes"})
    private static void setRaw(NetworkChannel ch, SocketOption name, Object value) throws Exception {
        ch.setOption(name, value);
    }

    @Test
    void everyChannelRefusesBadOptionsAlike() throws Exception {
        try (NodeTestSupport t = new NodeTestSupport()) {
            AnodeNode n = t.node();
            List<NetworkChannel> channels = List.of(
                    t.track(AnodeSocketChannel.open(n)),
                    t.track(AnodeServerSocketChannel.open(n)),
                    t.track(n.openDatagramChannel()));
            for (NetworkChannel ch : channels) {
                String what = ch.getClass().getSimpleName();
                assertThrows(NullPointerException.class, () -> ch.setOption(null, 1), what);
                assertThrows(NullPointerException.class, () -> ch.getOption(null), what);
                assertThrows(
                        UnsupportedOperationException.class,
                        () -> ch.setOption(StandardSocketOptions.IP_MULTICAST_TTL, 1),
                        what);
                assertThrows(
                        UnsupportedOperationException.class,
                        () -> ch.getOption(StandardSocketOptions.IP_MULTICAST_TTL),
                        what);
                assertThrows(
                        IllegalArgumentException.class,
                        () -> ch.setOption(StandardSocketOptions.SO_RCVBUF, null),
                        what);
                // A raw caller's value of the wrong type: a typed error, not a ClassCastException.
                assertThrows(
                        IllegalArgumentException.class, () -> setRaw(ch, StandardSocketOptions.SO_RCVBUF, "big"), what);
                assertThrows(
                        IllegalArgumentException.class, () -> setRaw(ch, StandardSocketOptions.SO_REUSEADDR, 1), what);
                assertThrows(
                        IllegalArgumentException.class, () -> ch.setOption(StandardSocketOptions.SO_RCVBUF, -1), what);
                // Zero is a size the channel rounds up, as the JDK's channels pass it to the kernel.
                ch.setOption(StandardSocketOptions.SO_RCVBUF, 0);
                assertEquals(1024, (int) ch.getOption(StandardSocketOptions.SO_RCVBUF), what);
            }
            for (NetworkChannel ch : List.of(channels.get(0), channels.get(2))) {
                assertThrows(IllegalArgumentException.class, () -> ch.setOption(StandardSocketOptions.IP_TOS, 256));
                assertThrows(IllegalArgumentException.class, () -> ch.setOption(StandardSocketOptions.IP_TOS, -1));
                assertThrows(IllegalArgumentException.class, () -> ch.setOption(StandardSocketOptions.SO_SNDBUF, -1));
            }
            // SO_LINGER alone takes null: linger off.
            channels.get(0).setOption(StandardSocketOptions.SO_LINGER, null);
            assertEquals(-1, (int) channels.get(0).getOption(StandardSocketOptions.SO_LINGER));
        }
    }

    @Test
    void everyAdaptorRefusesBadOptionsAlike() throws Exception {
        try (NodeTestSupport t = new NodeTestSupport()) {
            AnodeNode n = t.node();
            Socket s = t.track(AnodeSocketChannel.open(n)).socket();
            ServerSocket ss = t.track(AnodeServerSocketChannel.open(n)).socket();
            DatagramSocket ds = t.track(n.openDatagramChannel()).socket();

            assertThrows(IllegalArgumentException.class, () -> s.setSoTimeout(-1));
            assertThrows(IllegalArgumentException.class, () -> ss.setSoTimeout(-1));
            assertThrows(IllegalArgumentException.class, () -> ds.setSoTimeout(-1));
            assertThrows(IllegalArgumentException.class, () -> s.setReceiveBufferSize(0));
            assertThrows(IllegalArgumentException.class, () -> ss.setReceiveBufferSize(0));
            assertThrows(IllegalArgumentException.class, () -> ds.setReceiveBufferSize(0));
            assertThrows(IllegalArgumentException.class, () -> s.setSendBufferSize(0));
            assertThrows(IllegalArgumentException.class, () -> ds.setSendBufferSize(0));
            assertThrows(IllegalArgumentException.class, () -> s.setTrafficClass(256));
            assertThrows(IllegalArgumentException.class, () -> ds.setTrafficClass(-1));

            s.close();
            ss.close();
            ds.close();
            assertThrows(SocketException.class, () -> s.setSoTimeout(1));
            assertThrows(SocketException.class, s::getSoTimeout);
            assertThrows(SocketException.class, () -> ss.setSoTimeout(1));
            assertThrows(SocketException.class, ss::getSoTimeout);
            assertThrows(SocketException.class, () -> ds.setSoTimeout(1));
            assertThrows(SocketException.class, ds::getSoTimeout);
            // A closed channel's failure reaches the adaptor's caller as a SocketException.
            assertThrows(SocketException.class, () -> s.setReceiveBufferSize(4096));
            assertThrows(SocketException.class, ss::getReceiveBufferSize);
            assertThrows(SocketException.class, () -> ds.setReuseAddress(true));
        }
    }
}
