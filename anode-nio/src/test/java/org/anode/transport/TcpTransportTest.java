package org.anode.transport;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.anode.engine.EventLoop;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The listening side of the TCP transport on loopback (draft 2.9.2, DECISIONS 14, 38): framing
 * both ways, and that garbage, oversized frames, half-sent frames and too many connections from one
 * source are cut off while a real client keeps being served.
 */
@Timeout(60)
class TcpTransportTest {
    private static final InetAddress LO = InetAddress.getLoopbackAddress();
    private EventLoop loop;
    private TcpTransport tcp;
    private final CarrierTestSupport rx = new CarrierTestSupport();
    private final List<Socket> sockets = new ArrayList<>();

    @BeforeEach
    void start() throws IOException {
        loop = new EventLoop("tcp-test");
        loop.start();
        CarrierLimits limits = CarrierLimits.defaults()
                .withPerSource(4)
                .withTimeouts(Duration.ofSeconds(5), Duration.ofSeconds(1), Duration.ofSeconds(25));
        tcp = TcpTransport.listen(loop, new InetSocketAddress(LO, 0), limits, rx);
    }

    @AfterEach
    void stop() throws IOException {
        for (Socket s : sockets) {
            s.close();
        }
        tcp.close();
        loop.close();
    }

    private Socket connect() throws IOException {
        Socket s = new Socket(LO, tcp.localAddress().getPort());
        s.setSoTimeout(10_000);
        sockets.add(s);
        return s;
    }

    /** True once the server closed {@code s} (read returns -1 or the connection is reset). */
    private static boolean closedByServer(Socket s) {
        try {
            InputStream in = s.getInputStream();
            return in.read() < 0;
        } catch (IOException e) {
            return true;
        }
    }

    private void roundTrip(Socket s, int fill) throws Exception {
        byte[] p = CarrierTestSupport.packet(100, fill);
        s.getOutputStream().write(CarrierTestSupport.framed(p));
        CarrierTestSupport.Received r = rx.take();
        assertArrayEquals(p, r.packet());
        assertEquals(s.getLocalSocketAddress(), r.source());
        assertTrue(r.via() == tcp);
        // And back down the same connection.
        byte[] back = CarrierTestSupport.packet(200, fill + 1);
        assertTrue(tcp.send(ByteBuffer.wrap(back), r.source()));
        DataInputStream in = new DataInputStream(s.getInputStream());
        assertEquals(200, in.readUnsignedShort());
        byte[] got = new byte[200];
        in.readFully(got);
        assertArrayEquals(back, got);
    }

    @Test
    void framesGoBothWaysInAnyChunks() throws Exception {
        Socket s = connect();
        roundTrip(s, 1);
        // Two packets in one write, then one split byte by byte.
        byte[] a = CarrierTestSupport.packet(30, 2);
        byte[] b = CarrierTestSupport.packet(40, 3);
        ByteBuffer both =
                ByteBuffer.allocate(74).put(CarrierTestSupport.framed(a)).put(CarrierTestSupport.framed(b));
        s.getOutputStream().write(both.array());
        assertArrayEquals(a, rx.take().packet());
        assertArrayEquals(b, rx.take().packet());
        byte[] c = CarrierTestSupport.framed(CarrierTestSupport.packet(50, 4));
        for (byte x : c) {
            s.getOutputStream().write(x);
            s.getOutputStream().flush();
        }
        assertEquals(50, rx.take().packet().length);
        assertEquals(false, tcp.send(ByteBuffer.wrap(a), new InetSocketAddress(LO, 1)), "no such connection");
    }

    @Test
    void garbageAndOversizedFramesCloseOnlyThatConnection() throws Exception {
        Socket good = connect();
        Socket garbage = connect();
        garbage.getOutputStream().write(new byte[] {0, 1, 2, 3, 4, 5});
        assertTrue(closedByServer(garbage), "a length below the minimum packet closes the connection");
        Socket big = connect();
        big.getOutputStream().write(new byte[] {(byte) 0xff, (byte) 0xff, 1, 2, 3});
        assertTrue(closedByServer(big), "a frame over the maximum closes the connection");
        roundTrip(good, 9);
        assertTrue(tcp.counters()[1] >= 2, "bad frames counted");
    }

    @Test
    void aHalfSentFrameIsCutOffAndIdleConnectionsToo() throws Exception {
        Socket slow = connect();
        slow.getOutputStream().write(new byte[] {0, 100, 1, 2});
        Socket idle = connect();
        Socket good = connect();
        long t0 = System.nanoTime();
        assertTrue(closedByServer(slow), "a frame not completed within the request timeout");
        assertTrue(System.nanoTime() - t0 < 9_000_000_000L);
        roundTrip(good, 5);
        assertTrue(closedByServer(idle), "no frame within the idle timeout");
    }

    @Test
    void connectionsPerSourceAreBounded() throws Exception {
        List<Socket> many = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            many.add(connect());
        }
        // Let the loop accept them all before the fifth.
        roundTrip(many.get(0), 20);
        Socket fifth = connect();
        assertTrue(closedByServer(fifth), "the fifth connection from one source is refused");
        assertTrue(tcp.counters()[0] >= 1);
        many.get(3).close();
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (tcp.connectionCount() > 3 && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        Socket again = connect();
        roundTrip(again, 30);
    }

    @Test
    void aClientThatDoesNotReadLosesPacketsButTheRelayDoesNotGrow() throws Exception {
        Socket s = connect();
        s.setReceiveBufferSize(4096);
        byte[] p = CarrierTestSupport.packet(1000, 7);
        s.getOutputStream().write(CarrierTestSupport.framed(p));
        InetSocketAddress src = rx.take().source();
        int accepted = 0;
        for (int i = 0; i < 10_000; i++) {
            if (tcp.send(ByteBuffer.wrap(p), src)) {
                accepted++;
            }
        }
        assertTrue(accepted < 10_000, "the queue is bounded: " + accepted);
        assertTrue(tcp.counters()[3] > 0);
    }
}
