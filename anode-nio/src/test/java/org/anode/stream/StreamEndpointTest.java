package org.anode.stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.BindException;
import java.net.ConnectException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.random.RandomGenerator;
import org.anode.address.AnodeAddress;
import org.anode.address.InvalidAddressException;
import org.anode.wire.AckRange;
import org.anode.wire.CloseReason;
import org.anode.wire.Message;
import org.anode.wire.MessageFields;
import org.anode.wire.MessageType;
import org.anode.wire.PacketFormat;
import org.anode.wire.WireException;
import org.junit.jupiter.api.Test;

/**
 * The sans-I/O stream endpoint (draft 5.2, DECISIONS 21-23 and 30, addendum A5) on its own: two
 * endpoints exchange the bytes they encode over an in-memory "network" under a fake clock.
 */
class StreamEndpointTest {
    private static final AnodeAddress A =
            addr("0100000000000002be76c8a8bf2b288539c951923454c61aba50a9fba107537b3c5a7f953741f3d1");
    private static final AnodeAddress B =
            addr("01d730b30b000002f8138f80c464749f8dee9ca0c8eaca4aee6491d0c594762509697a22412b750e");
    private static final int FULL_HEADER = PacketFormat.headerLength(PacketFormat.FLAG_SENDER_FULL);
    private static final int SHORT_HEADER = PacketFormat.headerLength(0);

    private long now = 1_000_000_000L;

    private static AnodeAddress addr(String hex) {
        try {
            return AnodeAddress.fromBytes(HexFormat.of().parseHex(hex));
        } catch (InvalidAddressException e) {
            throw new AssertionError(e);
        }
    }

    // ------------------------------------------------------------------ fixtures

    /** A connection as a glue would keep it: nothing beyond the endpoint's part. */
    static final class TestLink extends StreamEndpoint.Link<String> {
        TestLink(
                StreamConnection c,
                AnodeAddress remote,
                String peer,
                boolean opener,
                int local,
                int remoteLink,
                int sendPort) {
            super(c, remote, peer, opener, local, remoteLink, sendPort);
        }
    }

    /** One encoded message as the glue received it from the encoder. */
    record Sent(String peer, MessageType type, byte[] bytes, boolean fullSender) {
        Message decode() throws WireException {
            return Message.decode(type, ByteBuffer.wrap(bytes));
        }
    }

    /** Collects what the encoder writes; a buffer of {@code room} bytes per message. */
    static final class Capture implements StreamEndpoint.PacketOut<String> {
        final List<Sent> sent = new ArrayList<>();
        int room = 1400;
        int abandoned;
        private ByteBuffer buf;
        private String peer;
        private MessageType type;
        private boolean full;

        @Override
        public ByteBuffer begin(String p, MessageType t, boolean fullSender) {
            buf = ByteBuffer.allocate(room);
            peer = p;
            type = t;
            full = fullSender;
            return buf;
        }

        @Override
        public void finish() {
            sent.add(new Sent(peer, type, Arrays.copyOf(buf.array(), buf.position()), full));
        }

        @Override
        public void abandon() {
            abandoned++;
        }

        List<Sent> take() {
            List<Sent> s = new ArrayList<>(sent);
            sent.clear();
            return s;
        }
    }

    /** A listener with a backlog as a glue's would have. */
    static final class TestListener implements StreamEndpoint.Listener<TestLink> {
        final ArrayDeque<TestLink> queue = new ArrayDeque<>();
        int backlog = 50;
        int halfOpen;
        boolean open = true;

        @Override
        public boolean isOpen() {
            return open;
        }

        @Override
        public boolean backlogFull() {
            return queue.size() + halfOpen >= backlog;
        }

        @Override
        public boolean acceptQueueFull() {
            return queue.size() >= backlog;
        }

        @Override
        public int halfOpenCount() {
            return halfOpen;
        }

        @Override
        public void halfOpenAdded() {
            halfOpen++;
        }

        @Override
        public void halfOpenDone() {
            halfOpen--;
        }

        @Override
        public boolean enqueue(TestLink link) {
            if (!open || queue.size() >= backlog) {
                return false;
            }
            queue.add(link);
            return true;
        }
    }

    /** One node: an endpoint, its encoder, and the glue's part of receiving and driving. */
    final class Node implements StreamEndpoint.Host<String, TestLink> {
        final AnodeAddress self;
        final String name;
        final Capture out = new Capture();
        final StreamEndpoint.Encoder<String> enc = new StreamEndpoint.Encoder<>(out);
        final StreamEndpoint<String, TestLink> ep;
        final Random isns;
        /** The header this node's messages get (draft 3.2: short once the peer has answered). */
        int headerLength = SHORT_HEADER;

        boolean admit = true;

        Node(AnodeAddress self, String name, long seed) {
            this(self, name, seed, null);
        }

        Node(AnodeAddress self, String name, long seed, RandomGenerator ids) {
            this.self = self;
            this.name = name;
            this.isns = new Random(seed);
            RandomGenerator r = ids != null ? ids : new Random(seed + 1);
            this.ep = new StreamEndpoint<>(this, () -> r);
        }

        StreamConfig config() {
            return new StreamConfig().dataAckEnabled(true).random(isns).connectTimeout(Duration.ofSeconds(5));
        }

        @Override
        public StreamConfig acceptConfig(String from, StreamEndpoint.Listener<TestLink> listener) {
            return config();
        }

        @Override
        public TestLink accepted(
                StreamConnection c, AnodeAddress remote, String from, int local, int openerLink, int port) {
            return new TestLink(c, remote, from, false, local, openerLink, openerLink);
        }

        @Override
        public boolean admitData(TestLink link) {
            return admit;
        }

        @Override
        public int headerLength(String peer, long nowNanos) {
            return headerLength;
        }

        TestLink connect(Node to, int port) throws Exception {
            TestLink l = ep.connect(
                    to.self,
                    to.name,
                    port,
                    0,
                    config(),
                    now,
                    (c, local) -> new TestLink(c, to.self, to.name, true, local, -1, port));
            drive(l);
            return l;
        }

        /** What a glue does after any input: progress, then retire a finished connection. */
        void drive(TestLink l) {
            ep.progress(l, now, enc);
            if (l.connection().isTerminated()) {
                ep.retire(l);
            }
        }

        /** One message from {@code from}, validated as the engine would before handing it over. */
        void receive(Node from, Sent s) throws WireException {
            ByteBuffer b = ByteBuffer.wrap(s.bytes());
            MessageFields.validate(s.type().code(), b, 0, b.limit());
            int packetLength = (s.fullSender() ? FULL_HEADER : from.headerLength) + b.limit();
            TestLink l = ep.route(from.self, s.type(), b, 0);
            if (l != null) {
                int result = ep.deliver(l, s.type(), b, 0, b.limit(), now);
                if (result != StreamEndpoint.IGNORED) {
                    drive(l);
                }
                if (result != StreamEndpoint.SUPERSEDED) {
                    return;
                }
                assertTrue(l.isRetired(), "a superseded connection retires at once");
            }
            TestLink fresh = ep.unmatched(from.self, from.name, s.type(), packetLength, b, 0, now, enc);
            if (fresh != null) {
                drive(fresh);
            }
        }

        void timers(List<TestLink> links) {
            for (TestLink l : links) {
                if (!l.isRetired() && l.connection().nextTimeoutNanos() <= now) {
                    l.connection().onTimer(now);
                    drive(l);
                }
            }
        }
    }

    /** Delivers everything queued between the two nodes until neither sends more (bounded). */
    private static void exchange(Node a, Node b) throws WireException {
        for (int round = 0; round < 100; round++) {
            List<Sent> ab = a.out.take();
            List<Sent> ba = b.out.take();
            if (ab.isEmpty() && ba.isEmpty()) {
                return;
            }
            for (Sent s : ab) {
                b.receive(a, s);
            }
            for (Sent s : ba) {
                a.receive(b, s);
            }
        }
        throw new AssertionError("the exchange did not settle");
    }

    // ------------------------------------------------------------------ handshake and A5

    @Test
    void anAcceptedConnectionReachesTheListenerOnlyOnceTheOpenerConfirmedIt() throws Exception {
        Node client = new Node(A, "a", 1);
        Node server = new Node(B, "b", 2);
        TestListener listener = new TestListener();
        assertEquals(80, server.ep.bind(listener, 80));

        TestLink c = client.connect(server, 80);
        List<Sent> open = client.out.take();
        assertEquals(1, open.size());
        Sent sOpen = open.get(0);
        // An opener's S_OPEN carries the full sender address, so a refusal of it always fits.
        assertTrue(sOpen.fullSender());
        Message.SOpen m = assertInstanceOf(Message.SOpen.class, sOpen.decode());
        assertEquals(c.localLink(), m.senderLinkId());
        assertEquals(80, m.destinationPort());
        assertEquals(c.connection().isn(), m.initialSequence());

        server.receive(client, sOpen);
        assertEquals(1, server.ep.linkCount());
        assertEquals(1, listener.halfOpen, "answered, but not confirmed");
        assertTrue(listener.queue.isEmpty());
        List<Sent> answer = server.out.take();
        assertEquals(1, answer.size());
        Message.SOpen reply =
                assertInstanceOf(Message.SOpen.class, answer.get(0).decode());
        assertEquals(c.localLink(), reply.destinationPort(), "the answer names the opener's link id as its port");
        assertFalse(answer.get(0).fullSender());

        // The answer completes the client's connect; its acknowledgement of our ISN confirms it.
        TestLink routed = client.ep.route(
                B, MessageType.S_OPEN, ByteBuffer.wrap(answer.get(0).bytes()), 0);
        assertSame(c, routed);
        assertEquals(
                StreamEndpoint.CONNECTED,
                client.ep.deliver(
                        c,
                        MessageType.S_OPEN,
                        ByteBuffer.wrap(answer.get(0).bytes()),
                        0,
                        answer.get(0).bytes().length,
                        now));
        assertEquals(reply.senderLinkId(), c.remoteLink());
        client.drive(c);
        exchange(client, server);
        assertEquals(0, listener.halfOpen);
        assertEquals(1, listener.queue.size());
        TestLink s = listener.queue.peek();
        assertFalse(s.isAwaitingConfirmation());
        assertEquals(c.localLink(), s.remoteLink());

        // Data both ways through the encoder and the demultiplexer.
        byte[] hello = "hello over the endpoint".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        c.connection().write(ByteBuffer.wrap(hello));
        client.drive(c);
        exchange(client, server);
        ByteBuffer got = ByteBuffer.allocate(100);
        s.connection().read(got);
        assertArrayEquals(hello, Arrays.copyOf(got.array(), got.position()));
    }

    @Test
    void aReplayedOpenNeverReachesTheListenerAndIsForgotten() throws Exception {
        Node client = new Node(A, "a", 3);
        Node server = new Node(B, "b", 4);
        TestListener listener = new TestListener();
        server.ep.bind(listener, 80);
        client.connect(server, 80);
        Sent sOpen = client.out.take().get(0);

        // Only the S_OPEN reaches the server (a replay): it is answered, never confirmed.
        server.receive(client, sOpen);
        server.out.take();
        List<TestLink> links = server.ep.links();
        assertEquals(1, links.size());
        assertTrue(links.get(0).isAwaitingConfirmation());
        for (int i = 0; i < 100 && server.ep.linkCount() > 0; i++) {
            now += Duration.ofMillis(500).toNanos();
            server.timers(links);
            server.out.take();
        }
        assertEquals(0, server.ep.linkCount());
        assertEquals(0, server.ep.remoteCount(), "no table entry outlives its links");
        assertEquals(0, listener.halfOpen);
        assertTrue(listener.queue.isEmpty());
    }

    // ------------------------------------------------------------------ A12: stateless answers

    @Test
    void halfOpenPressureIsAnsweredWithoutStateAndAProvenOpenerIsQueued() throws Exception {
        Node client = new Node(A, "a", 21);
        Node server = new Node(B, "b", 22);
        TestListener listener = new TestListener();
        listener.halfOpen = listener.backlog;
        server.ep.bind(listener, 80);
        TestLink c = client.connect(server, 80);
        server.receive(client, client.out.take().get(0));
        assertEquals(0, server.ep.linkCount(), "nothing is kept for the S_OPEN");
        assertEquals(1, server.ep.statelessAnswers());
        List<Sent> answer = server.out.take();
        assertEquals(1, answer.size());
        assertEquals(MessageType.S_OPEN, answer.get(0).type());
        assertEquals(
                StreamConnection.FLAG_STATELESS,
                MessageFields.sOpenFlags(ByteBuffer.wrap(answer.get(0).bytes()), 0) & StreamConnection.FLAG_STATELESS);
        client.receive(server, answer.get(0));
        assertTrue(c.connection().isEstablished());
        List<Sent> third = client.out.take();
        assertEquals(MessageType.S_DACK, third.get(0).type(), "the third step carries the opener's ISN");
        server.receive(client, third.get(0));
        assertEquals(1, server.ep.provenOpens());
        assertEquals(1, listener.queue.size(), "queued at once, confirmed, past the half-open entries");
        TestLink s = listener.queue.peek();
        assertTrue(s.connection().isPeerConfirmed());
        exchange(client, server);
        // Data both ways over the rebuilt connection.
        c.connection().write(ByteBuffer.wrap(new byte[] {1, 2, 3}));
        client.drive(c);
        s.connection().write(ByteBuffer.wrap(new byte[] {4, 5}));
        server.drive(s);
        exchange(client, server);
        ByteBuffer got = ByteBuffer.allocate(8);
        assertEquals(3, s.connection().read(got));
        got.clear();
        assertEquals(2, c.connection().read(got));
    }

    @Test
    void aThirdStepWithAWrongOrStaleCookieBuildsNothing() throws Exception {
        Node client = new Node(A, "a", 23);
        Node server = new Node(B, "b", 24);
        TestListener listener = new TestListener();
        listener.halfOpen = listener.backlog;
        server.ep.bind(listener, 80);
        client.connect(server, 80);
        server.receive(client, client.out.take().get(0));
        Sent answer = server.out.take().get(0);
        client.receive(server, answer);
        Sent third = client.out.take().get(0);
        // A forged third step: the same S_DACK with the acknowledged number changed.
        byte[] forged = third.bytes().clone();
        forged[MessageFields.sDackRangesOffset(0)] ^= 1;
        server.receive(client, new Sent(third.peer(), third.type(), forged, third.fullSender()));
        assertEquals(0, server.ep.linkCount());
        // The genuine one, but three time slots later: expired.
        now += 3 * StreamEndpoint.COOKIE_SLOT_NANOS;
        server.receive(client, third);
        assertEquals(0, server.ep.linkCount());
        assertEquals(0, server.ep.provenOpens());
        assertTrue(listener.queue.isEmpty());
    }

    @Test
    void oneRemoteHoldsAtMostAFewHalfOpenConnections() throws Exception {
        Node client = new Node(A, "a", 25);
        Node server = new Node(B, "b", 26);
        TestListener listener = new TestListener();
        server.ep.bind(listener, 80);
        for (int i = 0; i < 20; i++) {
            client.connect(server, 80);
            server.receive(client, client.out.take().get(0));
            server.out.take();
        }
        assertEquals(StreamEndpoint.MAX_HALF_OPEN_PER_PEER, listener.halfOpen);
        assertEquals(20 - StreamEndpoint.MAX_HALF_OPEN_PER_PEER, server.ep.statelessAnswers());
    }

    /**
     * A stateless answer's link id comes from the MAC, so with many connections from one remote it
     * can be an id another connection with that remote already uses (the birthday bound makes that
     * common with dozens of connections). The opener learned that id from the answer; the
     * third step must still rebuild the connection, and both must carry their data to the end.
     */
    @Test
    void aProvenOpenWhoseLinkIdIsAlreadyInUseIsStillRebuilt() throws Exception {
        ArrayDeque<Integer> forced = new ArrayDeque<>();
        Node client = new Node(A, "a", 27);
        Node server = new Node(B, "b", 28, forcing(forced, new Random(29)));
        TestListener listener = new TestListener();
        server.ep.bind(listener, 80);

        listener.halfOpen = listener.backlog;
        TestLink first = client.connect(server, 80);
        server.receive(client, client.out.take().get(0));
        Sent answer = server.out.take().get(0);
        int cookieLink = MessageFields.linkId(ByteBuffer.wrap(answer.bytes()), 0);
        listener.halfOpen = 0;

        // Pressure is over: the next S_OPEN is accepted with state, and its link id is the one the
        // stateless answer named (ids are 1 + nextInt(0xFFFF)).
        forced.add(cookieLink - 1);
        TestLink second = client.connect(server, 80);
        server.receive(client, client.out.take().get(0));
        assertEquals(1, server.ep.linkCount());
        assertEquals(cookieLink, server.ep.links().get(0).localLink());

        client.receive(server, answer);
        assertEquals(cookieLink, first.remoteLink());
        exchange(client, server);
        assertTrue(second.connection().isEstablished());
        assertEquals(cookieLink, second.remoteLink());
        byte[] one = {1, 1, 1};
        byte[] two = {2, 2, 2, 2};
        first.connection().write(ByteBuffer.wrap(one));
        first.connection().close(now);
        client.drive(first);
        second.connection().write(ByteBuffer.wrap(two));
        second.connection().close(now);
        client.drive(second);
        settle(client, server, Duration.ofSeconds(3));

        assertEquals(1, server.ep.provenOpens(), "the third step rebuilt the connection");
        assertEquals(2, listener.queue.size());
        List<byte[]> got = new ArrayList<>();
        for (TestLink s : listener.queue) {
            assertEquals(cookieLink, s.localLink());
            got.add(readToEnd(s.connection()));
        }
        got.sort(java.util.Comparator.comparingInt(a -> a.length));
        assertArrayEquals(one, got.get(0));
        assertArrayEquals(two, got.get(1));
        assertTrue(first.connection().isOutputClosed(), "the first opener's data and FIN were acknowledged");
        assertTrue(second.connection().isOutputClosed(), "the second opener's data and FIN were acknowledged");
    }

    /**
     * The opener's S_OPEN is answered statelessly, but the answer is late, so the opener repeats its
     * S_OPEN; pressure is over by then and the copy is accepted with state. The opener takes the
     * stateless answer, which arrived first: its third step reaches the half-open connection, which
     * it can never confirm. That connection must give way at once - not at its confirmation timeout,
     * with the opener's data and FIN waiting until then.
     */
    @Test
    void aProvenThirdStepReplacesTheHalfOpenConnectionOfARepeatedOpen() throws Exception {
        Node client = new Node(A, "a", 31);
        Node server = new Node(B, "b", 32);
        TestListener listener = new TestListener();
        server.ep.bind(listener, 80);

        listener.halfOpen = listener.backlog;
        TestLink c = client.connect(server, 80);
        Sent open = client.out.take().get(0);
        server.receive(client, open);
        Sent stateless = server.out.take().get(0);
        listener.halfOpen = 0;

        now += Duration.ofSeconds(1).toNanos();
        client.timers(client.ep.links());
        Sent repeated = client.out.take().get(0);
        assertEquals(MessageType.S_OPEN, repeated.type());
        server.receive(client, repeated);
        assertEquals(1, listener.halfOpen, "the repeated S_OPEN is accepted with state");
        Sent stateful = server.out.take().get(0);

        client.receive(server, stateless);
        assertEquals(
                MessageFields.linkId(ByteBuffer.wrap(stateless.bytes()), 0),
                c.remoteLink(),
                "the opener took the stateless answer");
        client.receive(server, stateful);
        byte[] payload = {7, 7, 7, 7, 7};
        c.connection().write(ByteBuffer.wrap(payload));
        c.connection().close(now);
        client.drive(c);
        settle(client, server, Duration.ofSeconds(2));

        assertEquals(0, listener.halfOpen, "the half-open connection gave way");
        assertEquals(1, server.ep.provenOpens());
        assertEquals(1, listener.queue.size());
        assertArrayEquals(payload, readToEnd(listener.queue.peek().connection()));
        assertTrue(c.connection().isOutputClosed(), "the opener's data and FIN were acknowledged");
        assertEquals(1, server.ep.linkCount());
    }

    /**
     * The opener writes and closes right behind its third step, as the Netty suite's clients do, and
     * the third step is lost twice, with everything sent behind it: until the acceptor rebuilds the
     * connection, all of it reaches no connection and is dropped. Once the acceptor answers the
     * repetition that got through, the opener sends its data and FIN again at once, rather than when
     * its retransmission timeout, backed off meanwhile, expires.
     */
    @Test
    void dataBehindALostThirdStepGoesAgainAsSoonAsTheAcceptorHoldsTheConnection() throws Exception {
        Node client = new Node(A, "a", 33);
        Node server = new Node(B, "b", 34);
        TestListener listener = new TestListener();
        server.ep.bind(listener, 80);
        listener.halfOpen = listener.backlog;
        TestLink c = client.connect(server, 80);
        long rtt = Duration.ofMillis(40).toNanos();
        now += rtt / 2;
        server.receive(client, client.out.take().get(0));
        now += rtt / 2;
        client.receive(server, server.out.take().get(0));
        byte[] payload = {9, 8, 7};
        c.connection().write(ByteBuffer.wrap(payload));
        c.connection().close(now);
        client.drive(c);
        List<MessageType> lost = new ArrayList<>();
        int thirdSteps = 0;
        long step = Duration.ofMillis(10).toNanos();
        // The network drops everything the opener sends until its third step went out three times.
        while (thirdSteps < 3) {
            for (Sent s : client.out.take()) {
                lost.add(s.type());
                if (s.type() == MessageType.S_DACK) {
                    thirdSteps++;
                    if (thirdSteps == 3) {
                        server.receive(client, s);
                    }
                }
            }
            if (thirdSteps < 3) {
                now += step;
                client.timers(client.ep.links());
            }
        }
        assertTrue(lost.contains(MessageType.S_DATA) && lost.contains(MessageType.S_CLOSE), "lost: " + lost);
        assertEquals(1, server.ep.provenOpens(), "the third repetition rebuilt the connection");
        // From here on nothing is lost: one round trip brings the acceptor's acknowledgement, and
        // the data and FIN follow within a few more, with no further timeout.
        for (int i = 0; i < 4; i++) {
            exchange(client, server);
            now += rtt;
            client.timers(client.ep.links());
            server.timers(server.ep.links());
        }
        exchange(client, server);
        assertArrayEquals(payload, readToEnd(listener.queue.peek().connection()));
        assertTrue(c.connection().isOutputClosed(), "the opener's data and FIN were acknowledged");
    }

    /** Lets the two nodes exchange and run their timers for {@code d} of fake time, in 50 ms steps. */
    private void settle(Node a, Node b, Duration d) throws WireException {
        long end = now + d.toNanos();
        while (now < end) {
            exchange(a, b);
            now += Duration.ofMillis(50).toNanos();
            a.timers(a.ep.links());
            b.timers(b.ep.links());
        }
        exchange(a, b);
    }

    /** Everything a confirmed connection delivered before end-of-stream; fails if it did not end. */
    private static byte[] readToEnd(StreamConnection c) throws StreamException {
        ByteBuffer dst = ByteBuffer.allocate(1024);
        for (int i = 0; i < 100; i++) {
            if (c.read(dst) < 0) {
                return Arrays.copyOf(dst.array(), dst.position());
            }
        }
        throw new AssertionError("no end-of-stream after " + dst.position() + " bytes");
    }

    @Test
    void aFullBacklogDropsTheOpenSilently() throws Exception {
        Node client = new Node(A, "a", 5);
        Node server = new Node(B, "b", 6);
        TestListener listener = new TestListener();
        listener.backlog = 0;
        server.ep.bind(listener, 80);
        client.connect(server, 80);
        server.receive(client, client.out.take().get(0));
        assertTrue(server.out.take().isEmpty(), "neither answered nor refused, as TCP drops a SYN");
        assertEquals(0, server.ep.linkCount());
        assertEquals(1, server.ep.droppedPackets());
    }

    @Test
    void aListenerThatFilledBeforeConfirmationResetsTheConnection() throws Exception {
        Node client = new Node(A, "a", 7);
        Node server = new Node(B, "b", 8);
        TestListener listener = new TestListener();
        server.ep.bind(listener, 80);
        TestLink c = client.connect(server, 80);
        server.receive(client, client.out.take().get(0));
        listener.open = false;
        exchange(client, server);
        assertTrue(listener.queue.isEmpty());
        assertEquals(0, listener.halfOpen);
        assertEquals(0, server.ep.linkCount());
        assertNotNull(c.connection().failure(), "the opener learns of the reset");
    }

    // ------------------------------------------------------------------ refusal

    @Test
    void aClosedPortIsRefusedWithTheOpenersIsnAndTheConnectFails() throws Exception {
        Node client = new Node(A, "a", 9);
        Node server = new Node(B, "b", 10);
        TestLink c = client.connect(server, 7);
        server.receive(client, client.out.take().get(0));
        List<Sent> out = server.out.take();
        assertEquals(1, out.size());
        Message.SClose refusal =
                assertInstanceOf(Message.SClose.class, out.get(0).decode());
        assertEquals(
                new Message.SClose(
                        7,
                        c.localLink(),
                        CloseReason.REFUSED,
                        c.connection().isn(),
                        c.connection().isn()),
                refusal);
        assertEquals(1, server.ep.refusals());
        assertEquals(0, server.ep.linkCount());

        client.receive(server, out.get(0));
        assertEquals(StreamException.Kind.REFUSED, c.connection().failure().kind());
        assertTrue(c.isRetired());
        assertEquals(0, client.ep.linkCount());
    }

    @Test
    void refusalsAreRateLimitedOnTheGivenClock() throws Exception {
        Node client = new Node(A, "a", 11);
        Node server = new Node(B, "b", 12);
        client.connect(server, 7);
        Sent sOpen = client.out.take().get(0);
        int burst = StreamEndpoint.REFUSALS_PER_SECOND / 4;
        for (int i = 0; i < burst + 10; i++) {
            server.receive(client, sOpen);
        }
        assertEquals(burst, server.out.take().size());
        assertEquals(10, server.ep.droppedPackets());
        now += 1_000_000_000L / StreamEndpoint.REFUSALS_PER_SECOND;
        server.receive(client, sOpen);
        server.receive(client, sOpen);
        assertEquals(1, server.out.take().size(), "one refusal's worth of time buys one refusal");
        assertEquals(burst + 1, server.ep.refusals());
    }

    @Test
    void aRefusalLargerThanTheOpenItAnswersIsNotSent() throws Exception {
        Node client = new Node(A, "a", 13);
        Node server = new Node(B, "b", 14);
        client.connect(server, 7);
        // The refusal is 3 bytes longer than the S_OPEN: with the same header it would not fit.
        server.headerLength = FULL_HEADER;
        server.receive(client, client.out.take().get(0));
        assertTrue(server.out.take().isEmpty());
        assertEquals(1, server.ep.droppedPackets());
        assertEquals(0, server.ep.refusals());
        // With a header 3 bytes shorter it does fit (draft 3.2's shorter sender forms).
        server.headerLength = FULL_HEADER - (MessageFields.S_CLOSE_LENGTH - MessageFields.S_OPEN_LENGTH);
        client.connect(server, 7);
        server.receive(client, client.out.take().get(0));
        assertEquals(1, server.out.take().size());
    }

    @Test
    void packetsForNoConnectionAreDroppedAndAClosedEndpointAcceptsNothing() throws Exception {
        Node client = new Node(A, "a", 15);
        Node server = new Node(B, "b", 16);
        server.ep.bind(new TestListener(), 80);
        byte[] data = new byte[MessageFields.S_DATA_HEADER + 3];
        MessageFields.writeSData(ByteBuffer.wrap(data), 5, 80, 1, ByteBuffer.wrap(new byte[3]));
        server.receive(client, new Sent("b", MessageType.S_DATA, data, false));
        assertEquals(1, server.ep.droppedPackets());
        server.ep.close();
        client.connect(server, 80);
        server.receive(client, client.out.take().get(0));
        assertTrue(server.out.take().isEmpty());
        assertEquals(0, server.ep.linkCount());
        assertEquals(2, server.ep.droppedPackets());
    }

    // ------------------------------------------------------------------ link ids and ports

    /** Hands out the values queued in {@code forced} first, then those of {@code rest}. */
    private static RandomGenerator forcing(ArrayDeque<Integer> forced, RandomGenerator rest) {
        return new RandomGenerator() {
            @Override
            public long nextLong() {
                return rest.nextLong();
            }

            @Override
            public int nextInt(int bound) {
                Integer v = forced.poll();
                return v != null ? v : rest.nextInt(bound);
            }
        };
    }

    /** Hands out the given values of {@code nextInt(bound)} in order. */
    private static RandomGenerator scripted(int... values) {
        ArrayDeque<Integer> q = new ArrayDeque<>();
        for (int v : values) {
            q.add(v);
        }
        return new RandomGenerator() {
            @Override
            public long nextLong() {
                throw new AssertionError("only nextInt(bound) is used");
            }

            @Override
            public int nextInt(int bound) {
                int v = q.remove();
                assertTrue(v >= 0 && v < bound);
                return v;
            }
        };
    }

    @Test
    void linkIdsAvoidListeningPortsTheTargetPortAndIdsInUse() throws Exception {
        // Ids are 1 + nextInt(0xFFFF): 80 (listening), 443 (the target), 1000, 1000 (taken), 1001.
        Node client = new Node(A, "a", 17, scripted(79, 442, 999, 999, 1000));
        Node server = new Node(B, "b", 18);
        client.ep.bind(new TestListener(), 80);
        assertEquals(1000, client.connect(server, 443).localLink());
        assertEquals(1001, client.connect(server, 443).localLink());
    }

    @Test
    void anAnnouncedSourcePortIsTheLinkIdAndMustBeFree() throws Exception {
        Node client = new Node(A, "a", 19);
        TestLink l = client.ep.connect(
                B, "b", 80, 5555, client.config(), now, (c, local) -> new TestLink(c, B, "b", true, local, -1, 80));
        assertEquals(5555, l.localLink());
        client.drive(l);
        Message.SOpen m =
                assertInstanceOf(Message.SOpen.class, client.out.take().get(0).decode());
        assertTrue(m.linkIdIsPort());
        assertThrows(
                BindException.class,
                () -> client.ep.connect(
                        B,
                        "b",
                        81,
                        5555,
                        client.config(),
                        now,
                        (c, local) -> new TestLink(c, B, "b", true, local, -1, 81)));
        assertEquals(1, client.ep.linkCount());
        // A connect that fails leaves no table behind for a remote it never reached.
        assertThrows(
                IllegalStateException.class,
                () -> client.ep.connect(A, "self", 80, 0, client.config(), now, (c, local) -> {
                    throw new IllegalStateException("the glue could not make its connection");
                }));
        assertEquals(1, client.ep.remoteCount());
    }

    @Test
    void connectionsToOneRemoteAreBounded() throws Exception {
        Node client = new Node(A, "a", 21);
        for (int i = 0; i < StreamEndpoint.MAX_LINKS_PER_PEER; i++) {
            client.ep.connect(
                    B, "b", 80, 0, client.config(), now, (c, local) -> new TestLink(c, B, "b", true, local, -1, 80));
        }
        assertThrows(
                ConnectException.class,
                () -> client.ep.connect(
                        B,
                        "b",
                        80,
                        0,
                        client.config(),
                        now,
                        (c, local) -> new TestLink(c, B, "b", true, local, -1, 80)));
        assertEquals(StreamEndpoint.MAX_LINKS_PER_PEER, client.ep.linkCount());
    }

    @Test
    void portsBindOnceAndPortZeroPicksAnEphemeralOne() throws Exception {
        Node n = new Node(A, "a", 23);
        TestListener l1 = new TestListener();
        TestListener l2 = new TestListener();
        n.ep.bind(l1, 80);
        assertThrows(BindException.class, () -> n.ep.bind(l2, 80));
        n.ep.unbind(l2, 80);
        assertSame(l1, n.ep.listener(80), "only the holder releases a port");
        n.ep.unbind(l1, 80);
        assertEquals(80, n.ep.bind(l2, 80));
        int p = n.ep.bind(l1, 0);
        assertTrue(p >= StreamEndpoint.EPHEMERAL_LOW && p <= StreamEndpoint.EPHEMERAL_HIGH, "port " + p);
    }

    // ------------------------------------------------------------------ one encoding (golden records)

    @Test
    void theEncoderWritesExactlyTheBytesOfTheMessageRecords() throws Exception {
        Capture out = new Capture();
        StreamEndpoint.Encoder<String> enc = new StreamEndpoint.Encoder<>(out);
        enc.bind(null, "p", 0x1234, 80, true);
        AckRanges ranges = new AckRanges(AckRanges.MAX_COUNT);
        ranges.append(1, 4);
        ranges.append(10, 1);
        ByteBuffer payload = ByteBuffer.wrap(new byte[] {9, 'a', 'b', 'c', 'd', 9})
                .position(1)
                .limit(5);

        enc.sendOpen(64, 0xdeadbeef, MessageFields.S_OPEN_FLAG_LINK_IS_PORT);
        enc.sendClose(StreamConnection.REASON_REFUSED, 0xdeadbeef, 0xdeadbeef);
        enc.sendData(0xdeadbef0, payload);
        enc.sendAck(64, ranges);
        enc.sendDataAck(0, ranges, 7, payload);
        assertEquals(1, payload.position(), "the payload's position is left alone");
        assertEquals(5, payload.limit());

        byte[] abcd = {'a', 'b', 'c', 'd'};
        List<AckRange> list = List.of(new AckRange(1, 4), new AckRange(10, 1));
        Message[] expected = {
            new Message.SOpen(0x1234, 80, 64, 0xdeadbeef, true),
            new Message.SClose(0x1234, 80, CloseReason.REFUSED, 0xdeadbeef, 0xdeadbeef),
            new Message.SData(0x1234, 80, 0xdeadbef0, abcd),
            new Message.SAck(0x1234, 80, 64, list),
            new Message.SDack(0x1234, 80, 0, list, 7, abcd),
        };
        assertEquals(expected.length, out.sent.size());
        for (int i = 0; i < expected.length; i++) {
            Sent s = out.sent.get(i);
            ByteBuffer want = ByteBuffer.allocate(expected[i].encodedLength());
            expected[i].writeTo(want);
            assertEquals(expected[i].type(), s.type());
            assertArrayEquals(want.array(), s.bytes(), expected[i].toString());
            assertEquals(expected[i], s.decode());
            assertEquals(i == 0, s.fullSender(), "only an opener's S_OPEN forces the full sender address");
        }
    }

    @Test
    void dataThatNoLongerFitsThePathIsAbandonedAndAnOversizedDataAckSplits() {
        Capture out = new Capture();
        StreamEndpoint.Encoder<String> enc = new StreamEndpoint.Encoder<>(out);
        enc.bind(null, "p", 1, 2, false);
        AckRanges ranges = new AckRanges(AckRanges.MAX_COUNT);
        ranges.append(1, 1);
        out.room = MessageFields.S_DATA_HEADER + 3;
        enc.sendData(1, ByteBuffer.allocate(4));
        assertEquals(1, out.abandoned);
        assertTrue(out.sent.isEmpty());
        enc.sendData(1, ByteBuffer.allocate(3));
        assertEquals(1, out.sent.size());
        out.sent.clear();
        // S_DACK needs 7 + 5 + 4 + 3 bytes; with 11 + 3 the acknowledgement and the data go apart.
        enc.sendDataAck(1, ranges, 2, ByteBuffer.allocate(3));
        assertEquals(2, out.abandoned);
        assertEquals(
                List.of(MessageType.S_ACK, MessageType.S_DATA),
                out.sent.stream().map(Sent::type).toList());
    }
}
