package org.anode.transport;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.anode.engine.EventLoop;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The relay side of the HTTP transport on loopback (draft 2.9.3, DECISIONS 14, 38), with raw
 * sockets: framed POST bodies in, long-polled responses out, the zone file by GET, and that
 * garbage, oversized and unframed bodies, slow clients and an unknown session cannot hold the
 * relay; plus the client side ({@link HttpCarrier}) against it.
 */
@Timeout(60)
class HttpTransportTest {
    private static final InetAddress LO = InetAddress.getLoopbackAddress();
    private EventLoop loop;
    private HttpTransport http;
    private final CarrierTestSupport rx = new CarrierTestSupport();
    private final List<Socket> sockets = new ArrayList<>();

    @BeforeEach
    void start() throws IOException {
        loop = new EventLoop("http-test");
        loop.start();
        CarrierLimits limits = new CarrierLimits(
                64,
                8,
                4096,
                Duration.ofSeconds(5),
                Duration.ofSeconds(1),
                64 * 1024,
                16 * 1024,
                2048,
                Duration.ofSeconds(2),
                16,
                Duration.ofSeconds(60));
        http = HttpTransport.listen(loop, new InetSocketAddress(LO, 0), limits, rx);
        http.serve("/z", "n=zone\n".getBytes(StandardCharsets.US_ASCII));
    }

    @AfterEach
    void stop() throws IOException {
        for (Socket s : sockets) {
            s.close();
        }
        http.close();
        loop.close();
    }

    private Socket connect() throws IOException {
        Socket s = new Socket(LO, http.localAddress().getPort());
        s.setSoTimeout(10_000);
        sockets.add(s);
        return s;
    }

    private static byte[] post(String target, byte[] body) {
        byte[] h = ("POST " + target + " HTTP/1.1\r\nHost: relay\r\nContent-Length: " + body.length + "\r\n\r\n")
                .getBytes(StandardCharsets.ISO_8859_1);
        return ByteBuffer.allocate(h.length + body.length).put(h).put(body).array();
    }

    /** Reads one response: status code and body. */
    record Response(int code, byte[] body) {}

    private static Response read(Socket s) throws IOException {
        InputStream in = s.getInputStream();
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        int state = 0;
        while (state < 4) {
            int b = in.read();
            if (b < 0) {
                throw new IOException("closed before the end of the head: " + head);
            }
            head.write(b);
            state = (b == '\r' && (state == 0 || state == 2)) || (b == '\n' && (state == 1 || state == 3))
                    ? state + 1
                    : 0;
        }
        String h = head.toString(StandardCharsets.ISO_8859_1);
        int code = Integer.parseInt(h.substring(9, 12));
        int len = 0;
        for (String line : h.split("\r\n")) {
            if (line.toLowerCase(java.util.Locale.ROOT).startsWith("content-length:")) {
                len = Integer.parseInt(line.substring(15).trim());
            }
        }
        byte[] body = in.readNBytes(len);
        return new Response(code, body);
    }

    private static boolean closedByServer(Socket s) {
        try {
            return s.getInputStream().read() < 0;
        } catch (IOException e) {
            return true;
        }
    }

    @Test
    void postDeliversPacketsAndTheLongPollCarriesTheAnswer() throws Exception {
        Socket s = connect();
        byte[] p1 = CarrierTestSupport.packet(60, 1);
        byte[] p2 = CarrierTestSupport.packet(70, 2);
        ByteBuffer body =
                ByteBuffer.allocate(134).put(CarrierTestSupport.framed(p1)).put(CarrierTestSupport.framed(p2));
        s.getOutputStream().write(post("/a?s=abc", body.array()));
        CarrierTestSupport.Received r1 = rx.take();
        assertArrayEquals(p1, r1.packet());
        assertArrayEquals(p2, rx.take().packet());
        assertTrue(r1.via() == http);
        assertTrue(http.canReach(r1.source()), "the session's synthetic source is reachable");
        // Nothing queued: the request is held; an answer sent meanwhile releases it.
        byte[] answer = CarrierTestSupport.packet(80, 3);
        CompletableFuture<Response> resp = CompletableFuture.supplyAsync(() -> {
            try {
                return read(s);
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        });
        Thread.sleep(300);
        assertTrue(!resp.isDone(), "held while there is nothing to answer");
        assertTrue(http.send(ByteBuffer.wrap(answer), r1.source()));
        Response got = resp.get(10, TimeUnit.SECONDS);
        assertEquals(200, got.code());
        assertArrayEquals(CarrierTestSupport.framed(answer), got.body());
        // Same session on another connection (as through a proxy): same source.
        Socket t = connect();
        t.getOutputStream().write(post("http://relay/a?s=abc", CarrierTestSupport.framed(p1)));
        assertEquals(r1.source(), rx.take().source());
        // The hold ends after its time with an empty answer.
        Response empty = read(t);
        assertEquals(200, empty.code());
        assertEquals(0, empty.body().length);
    }

    @Test
    void theZoneFileIsServedByGetAndUnknownPathsAreNot() throws Exception {
        Socket s = connect();
        s.getOutputStream()
                .write("GET /z HTTP/1.1\r\nHost: x\r\n\r\nGET /nope HTTP/1.1\r\nHost: x\r\n\r\n"
                        .getBytes(StandardCharsets.ISO_8859_1));
        Response z = read(s);
        assertEquals(200, z.code());
        assertEquals("n=zone\n", new String(z.body(), StandardCharsets.US_ASCII));
        assertEquals(404, read(s).code(), "the pipelined second request is answered too");
    }

    @Test
    void hostileBodiesAreRefusedAndTheRelayKeepsServing() throws Exception {
        Socket garbage = connect();
        garbage.getOutputStream().write(post("/a?s=g", new byte[] {0, 3, 1, 2, 3, 4, 5}));
        assertEquals(400, read(garbage).code());
        assertTrue(closedByServer(garbage));
        Socket oversizedFrame = connect();
        oversizedFrame.getOutputStream().write(post("/a?s=o", new byte[] {(byte) 0xff, (byte) 0xf0, 1, 2}));
        assertEquals(400, read(oversizedFrame).code());
        Socket huge = connect();
        huge.getOutputStream()
                .write(("POST /a HTTP/1.1\r\nContent-Length: 100000000\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
        assertEquals(413, read(huge).code());
        Socket chunked = connect();
        chunked.getOutputStream()
                .write(("POST /a HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n")
                        .getBytes(StandardCharsets.ISO_8859_1));
        assertEquals(411, read(chunked).code());
        Socket bigHead = connect();
        bigHead.getOutputStream()
                .write(("GET /z HTTP/1.1\r\nX: " + "a".repeat(5000) + "\r\n\r\n")
                        .getBytes(StandardCharsets.ISO_8859_1));
        assertEquals(431, read(bigHead).code());
        // A truncated frame at the end of the body is refused too.
        Socket truncated = connect();
        truncated.getOutputStream().write(post("/a?s=t", new byte[] {0, 50, 1, 2}));
        assertEquals(400, read(truncated).code());
        // And a real client is served.
        Socket good = connect();
        byte[] p = CarrierTestSupport.packet(40, 9);
        good.getOutputStream().write(post("/a?s=good&w=0", CarrierTestSupport.framed(p)));
        assertArrayEquals(p, rx.take().packet());
        assertEquals(200, read(good).code());
        assertTrue(http.counters()[1] >= 6, "errors counted");
    }

    @Test
    void slowAndSilentClientsAreCutOffAndConnectionsPerSourceBounded() throws Exception {
        Socket slowloris = connect();
        slowloris.getOutputStream().write("POST /a HTTP/1.1\r\nContent-Le".getBytes(StandardCharsets.ISO_8859_1));
        Socket slowBody = connect();
        slowBody.getOutputStream()
                .write("POST /a?s=slow HTTP/1.1\r\nContent-Length: 100\r\n\r\n\u0000"
                        .getBytes(StandardCharsets.ISO_8859_1));
        long t0 = System.nanoTime();
        assertTrue(closedByServer(slowloris), "a head not completed within the request timeout");
        assertTrue(closedByServer(slowBody), "a body not completed within the request timeout");
        assertTrue(System.nanoTime() - t0 < 9_000_000_000L);
        List<Socket> many = new ArrayList<>();
        for (int i = 0; i < 12; i++) {
            many.add(connect());
        }
        int refused = 0;
        for (Socket s : many) {
            s.getOutputStream().write("GET /z HTTP/1.1\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
            try {
                if (read(s).code() != 200) {
                    refused++;
                }
            } catch (IOException e) {
                refused++;
            }
        }
        assertTrue(refused >= 4, "at most 8 connections per source: " + refused + " refused");
        assertTrue(http.counters()[2] >= 2, "timeouts counted");
    }

    @Test
    void theClientSideKeepsARequestOutstandingAndGetsAnswersAsTheyCome() throws Exception {
        CarrierTestSupport fromRelay = new CarrierTestSupport();
        URI uri = URI.create("http://127.0.0.1:" + http.localAddress().getPort() + "/a");
        HttpCarrier c = new HttpCarrier(List.of(uri), FallbackConfig.defaults(), loop, new HttpCarrier.Listener() {
            @Override
            public void packets(List<ByteBuffer> packets) {
                for (ByteBuffer p : packets) {
                    fromRelay.receive(null, null, p);
                }
            }

            @Override
            public void succeeded() {}

            @Override
            public void failed(String why) {}
        });
        c.start();
        for (int i = 0; i < 50; i++) {
            assertTrue(c.enqueue(ByteBuffer.wrap(CarrierTestSupport.packet(100, i))));
        }
        InetSocketAddress session = null;
        for (int i = 0; i < 50; i++) {
            CarrierTestSupport.Received r = rx.take();
            assertEquals((byte) i, r.packet()[5], "in order");
            session = r.source();
        }
        for (int i = 0; i < 20; i++) {
            assertTrue(http.send(ByteBuffer.wrap(CarrierTestSupport.packet(90, 100 + i)), session));
            assertEquals((byte) (100 + i), fromRelay.take().packet()[5]);
        }
        c.stop();
        assertEquals(1, http.sessionCount(), "one session for all the client's requests");
    }
}
