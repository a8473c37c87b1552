package org.anode.stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * White-box tests of one {@link StreamConnection} (draft section 5, DECISIONS 21-27): packets are
 * fed by hand and every emitted packet is recorded, so each rule is checked on exact fields.
 */
@Timeout(30)
class StreamConnectionTest {
    private static final long T0 = 5_000_000_000L;
    private static final long MS = 1_000_000L;

    /** One emitted packet. */
    record P(String type, int window, int isn, int flags, int seq, int reason, byte[] payload, int[][] ranges) {}

    static final class Rec implements StreamSink {
        final List<P> out = new ArrayList<>();

        @Override
        public void sendOpen(int windowUnits, int isn, int flags) {
            out.add(new P("OPEN", windowUnits, isn, flags, 0, 0, null, null));
        }

        @Override
        public void sendData(int seq, ByteBuffer payload) {
            byte[] b = new byte[payload.remaining()];
            payload.get(b);
            out.add(new P("DATA", 0, 0, 0, seq, 0, b, null));
        }

        @Override
        public void sendAck(int windowUnits, AckRanges ranges) {
            out.add(new P("ACK", windowUnits, 0, 0, 0, 0, null, ranges.toArray()));
        }

        @Override
        public void sendDataAck(int windowUnits, AckRanges ranges, int seq, ByteBuffer payload) {
            byte[] b = new byte[payload.remaining()];
            payload.get(b);
            out.add(new P("DACK", windowUnits, 0, 0, seq, 0, b, ranges.toArray()));
        }

        @Override
        public void sendClose(int reason, int isn, int seq) {
            out.add(new P("CLOSE", 0, isn, 0, seq, reason, null, null));
        }

        List<P> take() {
            List<P> copy = new ArrayList<>(out);
            out.clear();
            return copy;
        }
    }

    static Random fixedIsn(int isn) {
        return new Random(0) {
            private static final long serialVersionUID = 1L;

            @Override
            public int nextInt() {
                return isn;
            }
        };
    }

    static StreamConfig cfg(int isn) {
        return new StreamConfig().random(fixedIsn(isn)).maxPayload(100).noDelay(true);
    }

    /** A connected pair: a opened at T0, b answered, a got the answer 10 ms later. */
    static final class Pair {
        final StreamConnection a;
        final StreamConnection b;
        final Rec ra = new Rec();
        final Rec rb = new Rec();

        Pair(StreamConfig ca, StreamConfig cb) {
            a = StreamConnection.connect(ca, T0, 0);
            a.transmit(T0, ra, 10);
            P open = ra.take().get(0);
            b = new StreamAcceptor(cb, 0).accept(T0 + 5 * MS, open.window(), open.isn(), open.flags());
            b.transmit(T0 + 5 * MS, rb, 10);
            P answer = rb.take().get(0);
            assertEquals("OPEN", answer.type());
            a.onOpen(T0 + 10 * MS, answer.window(), answer.isn(), answer.flags());
            // Addendum A5: the opener acknowledges the acceptor's ISN at once, on its own.
            a.transmit(T0 + 10 * MS, ra, 10);
            List<P> third = ra.take();
            assertEquals(1, third.size());
            assertEquals("ACK", third.get(0).type());
            assertArrayEquals(new int[][] {{answer.isn(), 1}}, third.get(0).ranges());
            assertFalse(b.isPeerConfirmed());
            b.onAck(T0 + 15 * MS, third.get(0).window(), ranges(answer.isn(), 1));
            assertTrue(b.isPeerConfirmed());
        }
    }

    static ByteBuffer bytes(int n, int seed) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) {
            b[i] = (byte) (i * 31 + seed);
        }
        return ByteBuffer.wrap(b);
    }

    static ByteBuffer payload(int n) {
        return bytes(n, 7);
    }

    static byte[] readAll(StreamConnection c) throws StreamException {
        ByteBuffer dst = ByteBuffer.allocate(1 << 20);
        int n;
        while ((n = c.read(dst)) > 0) {
            // keep reading
        }
        dst.flip();
        byte[] out = new byte[dst.remaining()];
        dst.get(out);
        return out;
    }

    static AckRanges ranges(int... pairs) {
        AckRanges r = new AckRanges(16);
        for (int i = 0; i < pairs.length; i += 2) {
            r.append(pairs[i], pairs[i + 1]);
        }
        return r;
    }

    // ---------------------------------------------------------------- opening

    @Test
    void openIsRetransmittedWithBackoffAndTheConnectTimesOut() {
        StreamConfig c = cfg(1000).connectTimeout(Duration.ofSeconds(10));
        StreamConnection a = StreamConnection.connect(c, T0, StreamConnection.FLAG_SOURCE_PORT);
        Rec r = new Rec();
        assertTrue(a.isConnecting());
        a.transmit(T0, r, 10);
        List<P> sent = r.take();
        assertEquals(1, sent.size());
        assertEquals("OPEN", sent.get(0).type());
        assertEquals(1000, sent.get(0).isn());
        assertEquals(StreamConnection.FLAG_SOURCE_PORT, sent.get(0).flags());
        assertEquals(512, sent.get(0).window(), "512 KiB default receive buffer in 1024-byte units");
        long[] expected = {1, 3, 7};
        for (long s : expected) {
            assertEquals(T0 + s * 1000 * MS, a.nextTimeoutNanos());
            a.onTimer(a.nextTimeoutNanos());
            a.transmit(a.nextTimeoutNanos(), r, 10);
            assertEquals("OPEN", r.take().get(0).type());
        }
        assertEquals(T0 + 10_000 * MS, a.nextTimeoutNanos(), "the connect deadline comes before the next retry");
        a.onTimer(T0 + 10_000 * MS);
        assertTrue(a.isConnectFailed());
        assertEquals(StreamException.Kind.CONNECT_TIMED_OUT, a.failure().kind());
        assertTrue(a.isReadable() && a.isWritable(), "a failure makes the channel ready so the error surfaces");
        assertThrows(StreamException.class, () -> a.read(ByteBuffer.allocate(1)));
        assertEquals(0, a.transmit(T0 + 10_000 * MS, r, 10), "nothing is sent for a connect that got no answer");
    }

    @Test
    void refusalWithTheOpenersIsnFailsTheConnect() {
        StreamConnection a = StreamConnection.connect(cfg(77), T0, 0);
        Rec r = new Rec();
        a.transmit(T0, r, 10);
        a.onClose(T0 + MS, StreamConnection.REASON_REFUSED, 78, 78);
        assertNull(a.failure(), "a refusal naming another ISN is ignored");
        a.onClose(T0 + MS, StreamConnection.REASON_REFUSED, 77, 78);
        assertNull(a.failure(), "a refusal must have current = initial sequence number");
        a.onClose(T0 + MS, StreamConnection.REASON_REFUSED, 77, 77);
        assertEquals(StreamException.Kind.REFUSED, a.failure().kind());
        assertEquals(1, a.failure().remoteReason());
        assertTrue(a.isConnectFailed());
        assertEquals(0, a.transmit(T0 + MS, r, 10), "a refusal is never acknowledged");
    }

    @Test
    void acceptorRefuseHelperEmitsReasonOneWithTheOpenersIsn() {
        Rec r = new Rec();
        StreamAcceptor.refuse(r, 0xCAFEBABE);
        assertEquals(
                List.of(new P("CLOSE", 0, 0xCAFEBABE, 0, 0xCAFEBABE, 1, null, null))
                        .toString(),
                r.take().toString());
    }

    @Test
    void acceptorAnswersAndReanswersRetransmittedOpensButNotOthers() {
        StreamConnection b = new StreamAcceptor(cfg(500).receiveBufferSize(8192), 0).accept(T0, 4, 123, 1);
        Rec r = new Rec();
        assertTrue(b.isEstablished());
        assertFalse(b.isActiveOpener());
        assertEquals(0, b.allocatedBytes(), "a half-open accepted connection allocates no buffers");
        b.transmit(T0, r, 10);
        assertEquals(
                List.of(new P("OPEN", 8, 500, 0, 0, 0, null, null)).toString(),
                r.take().toString());
        b.onOpen(T0 + MS, 4, 123, 1);
        b.transmit(T0 + MS, r, 10);
        assertEquals("OPEN", r.take().get(0).type());
        b.onOpen(T0 + MS, 4, 124, 1);
        assertEquals(0, b.transmit(T0 + MS, r, 10), "an S_OPEN with another ISN is not ours");
        assertEquals(123, b.peerIsn());
        assertEquals(1, b.peerFlags());
        assertEquals(4096, b.peerWindowBytes());
    }

    // ---------------------------------------------------------------- addendum A5: replay

    @Test
    void aReplayedOpenerNeverGetsItsDataOrFinDelivered() throws Exception {
        // A capture of an opener's S_OPEN, data and FIN, replayed to a node that forgot the old
        // connection: the fresh acceptor answers with a new ISN that the capture cannot acknowledge.
        StreamConnection b =
                new StreamAcceptor(cfg(500).connectTimeout(Duration.ofSeconds(10)), 0).accept(T0, 64, 123, 0);
        Rec r = new Rec();
        b.transmit(T0, r, 10);
        assertEquals(List.of("OPEN"), r.take().stream().map(P::type).toList());
        // The old opener's acknowledgement of the OLD acceptor's ISN (499 here), then its data and FIN.
        b.onAck(T0 + MS, 64, ranges(499, 1));
        b.onData(T0 + MS, 124, bytes(10, 1));
        b.onClose(T0 + MS, StreamConnection.REASON_CLOSED, 123, 125);
        assertFalse(b.isPeerConfirmed());
        assertFalse(b.isReadable(), "nothing is delivered before the opener acknowledges our ISN");
        assertEquals(0, b.read(ByteBuffer.allocate(64)));
        b.transmit(T0 + MS, r, 10);
        assertEquals(
                List.of("OPEN"),
                r.take().stream().map(P::type).toList(),
                "data on an unconfirmed connection is answered with our S_OPEN, never acknowledged");
        long t = T0 + MS;
        int opens = 0;
        for (int i = 0; i < 20 && b.failure() == null; i++) {
            t = b.nextTimeoutNanos();
            assertTrue(t <= T0 + 10_000 * MS, "bounded by the connect timeout");
            b.onTimer(t);
            for (P x : takeAll(b, t, r)) {
                assertEquals("OPEN", x.type());
                opens++;
            }
        }
        assertTrue(opens >= 2, "the S_OPEN is repeated with backoff: " + opens);
        assertNotNull(b.failure());
        assertTrue(b.isTerminated());
        assertEquals(0, b.transmit(t, r, 10), "given up silently");
        assertEquals(T0 + 10_000 * MS, t);
    }

    private static List<P> takeAll(StreamConnection c, long now, Rec r) {
        c.transmit(now, r, 10);
        return r.take();
    }

    @Test
    void aLostIsnAcknowledgementIsAskedForAgainAndTheHeldDataIsThenDelivered() throws Exception {
        StreamConnection a = StreamConnection.connect(cfg(100), T0, 0);
        Rec ra = new Rec();
        Rec rb = new Rec();
        a.transmit(T0, ra, 10);
        P open = ra.take().get(0);
        StreamConnection b = new StreamAcceptor(cfg(700), 0).accept(T0 + MS, open.window(), open.isn(), 0);
        b.transmit(T0 + MS, rb, 10);
        P answer = rb.take().get(0);
        a.onOpen(T0 + 2 * MS, answer.window(), answer.isn(), 0);
        a.write(payload(150));
        List<P> out = takeAll(a, T0 + 2 * MS, ra);
        assertEquals(
                List.of("ACK", "DATA", "DATA"),
                out.stream().map(P::type).toList(),
                "the ISN acknowledgement goes first, on its own; data is framed as before");
        // The ACK is lost: the data reaches an unconfirmed acceptor, which holds it and asks again.
        for (P d : out.subList(1, 3)) {
            b.onData(T0 + 3 * MS, d.seq(), ByteBuffer.wrap(d.payload()));
        }
        assertFalse(b.isReadable());
        assertEquals(
                List.of("OPEN"),
                takeAll(b, T0 + 3 * MS, rb).stream().map(P::type).toList());
        a.onOpen(T0 + 4 * MS, answer.window(), answer.isn(), 0);
        List<P> again = takeAll(a, T0 + 4 * MS, ra);
        assertEquals(1, again.size());
        assertTrue(ranges(again.get(0).ranges()).contains(700), "the repeated S_OPEN gets our ISN acknowledgement");
        b.onAck(T0 + 5 * MS, again.get(0).window(), ranges(again.get(0).ranges()));
        assertTrue(b.isPeerConfirmed());
        assertArrayEquals(payload(150).array(), readAll(b), "the held data is delivered once confirmed");
        List<P> acks = takeAll(b, T0 + 5 * MS, rb);
        assertEquals("ACK", acks.get(0).type());
        assertArrayEquals(new int[][] {{101, 2}}, acks.get(0).ranges(), "and acknowledged at once");
        assertEquals(-1, b.smoothedRttNanos(), "Karn: the S_OPEN went out twice, so no RTT sample from it");
    }

    static AckRanges ranges(int[][] pairs) {
        AckRanges r = new AckRanges(16);
        for (int[] x : pairs) {
            r.append(x[0], x[1]);
        }
        return r;
    }

    @Test
    void anUnconfirmedAcceptorHoldsItsOwnWritesUntilConfirmed() throws Exception {
        StreamConnection b = new StreamAcceptor(cfg(700), 0).accept(T0, 64, 100, 0);
        Rec r = new Rec();
        assertEquals(List.of("OPEN"), takeAll(b, T0, r).stream().map(P::type).toList());
        b.write(payload(50));
        b.shutdownOutput();
        assertTrue(takeAll(b, T0 + MS, r).isEmpty(), "no data and no FIN before confirmation");
        b.onAck(T0 + 2 * MS, 64, ranges(700, 1));
        assertEquals(
                List.of("DATA", "CLOSE"),
                takeAll(b, T0 + 2 * MS, r).stream().map(P::type).toList());
    }

    @Test
    void theDescriptorRingGrowsWithTheFlightAndAFinAloneAllocatesLittle() throws Exception {
        Pair fin = new Pair(cfg(100), cfg(200));
        fin.a.shutdownOutput();
        fin.a.transmit(T0 + 20 * MS, fin.ra, 10);
        assertEquals(List.of("CLOSE"), fin.ra.take().stream().map(P::type).toList());
        assertTrue(
                fin.a.allocatedBytes() <= StreamConnection.INITIAL_RECORDS * 21,
                "a FIN alone needs a few descriptors, not maxPacketsInFlight of them: " + fin.a.allocatedBytes());

        Pair p = new Pair(cfg(100).initialCwndPackets(100).sendBufferSize(64 * 1024), cfg(200));
        assertEquals(10_000, p.a.write(payload(10_000)));
        List<P> sent = new ArrayList<>();
        long t = T0 + 20 * MS;
        for (int i = 0; i < 100 && sent.size() < 100; i++, t += MS) {
            p.a.onTimer(t);
            p.a.transmit(t, p.ra, 1000);
            sent.addAll(p.ra.take());
        }
        assertEquals(100, sent.size(), "100 packets in flight: the ring grew from 32 through 64 to 128");
        for (int i = 0; i < 100; i++) {
            assertEquals(101 + i, sent.get(i).seq());
        }
        // Acknowledge the second half first, then the first: every record was kept across the growth.
        p.a.onAck(t, 512, ranges(151, 50));
        assertEquals(10_000, p.a.unacknowledgedBytes(), "the unacknowledged first half still holds the send buffer");
        p.a.onAck(t, 512, ranges(101, 50));
        assertEquals(0, p.a.unacknowledgedBytes(), "the second half's acknowledgements survived the ring's growth");
        for (P d : sent) {
            p.b.onData(t, d.seq(), ByteBuffer.wrap(d.payload()));
        }
        assertArrayEquals(payload(10_000).array(), readAll(p.b));
    }

    @Test
    void theReceiveStoreGrowsToHoldAFlightArrivingInReverse() throws Exception {
        Pair p = new Pair(cfg(100), cfg(200));
        long t = T0 + 20 * MS;
        ByteBuffer all = payload(10_000);
        for (int i = 99; i >= 0; i--) {
            // 100 packets, last first: all but the last to arrive are held out of order.
            p.b.onData(t, 101 + i, ByteBuffer.wrap(all.array(), i * 100, 100).slice());
            assertEquals(i == 0 ? 10_000 : 0, p.b.readableBytes());
        }
        assertArrayEquals(all.array(), readAll(p.b));
        p.b.transmit(t, p.rb, 10);
        List<P> acks = p.rb.take();
        assertArrayEquals(new int[] {101, 100}, acks.get(acks.size() - 1).ranges()[0]);
    }

    @Test
    void openRoundTripGivesTheFirstRttSample() {
        Pair p = new Pair(cfg(1), cfg(2));
        assertTrue(p.a.isEstablished());
        assertFalse(p.a.isConnecting());
        assertEquals(10 * MS, p.a.smoothedRttNanos());
        assertEquals(10 * MS, p.b.smoothedRttNanos(), "the acceptor samples its S_OPEN to the ISN acknowledgement");
        assertEquals(StreamConnection.NO_TIMEOUT, p.a.nextTimeoutNanos());
    }

    // ---------------------------------------------------------------- data and sequence numbers

    @Test
    void dataSequenceNumbersStartAtIsnPlusOneAndWrapAt2To32() throws Exception {
        Pair p = new Pair(cfg(0xFFFF_FFFD), cfg(9));
        assertEquals(250, p.a.write(payload(250)));
        p.a.transmit(T0 + 10 * MS, p.ra, 100);
        List<P> sent = p.ra.take();
        assertEquals(3, sent.size());
        assertEquals(0xFFFF_FFFE, sent.get(0).seq());
        assertEquals(0xFFFF_FFFF, sent.get(1).seq());
        assertEquals(0, sent.get(2).seq());
        assertEquals(100, sent.get(0).payload().length);
        assertEquals(50, sent.get(2).payload().length, "payloads are sized to the configured maximum");
        for (P d : sent) {
            p.b.onData(T0 + 20 * MS, d.seq(), ByteBuffer.wrap(d.payload()));
        }
        assertArrayEquals(payload(250).array(), readAll(p.b));
        p.b.transmit(T0 + 20 * MS, p.rb, 10);
        List<P> acks = p.rb.take();
        assertEquals(1, acks.size());
        assertArrayEquals(new int[][] {{0xFFFF_FFFE, 3}}, acks.get(0).ranges());
        p.a.onAck(T0 + 30 * MS, acks.get(0).window(), ranges(0xFFFF_FFFE, 3));
        assertEquals(0, p.a.unacknowledgedBytes());
    }

    @Test
    void outOfOrderPacketsAreHeldAckedAtOnceAndDeliveredInOrder() throws Exception {
        Pair p = new Pair(cfg(100), cfg(200));
        int s = 101;
        long t = T0 + 20 * MS;
        p.b.onData(t, s, bytes(10, 1));
        assertEquals(0, p.b.transmit(t, p.rb, 10), "one in-order packet: the ACK is delayed");
        assertEquals(t + 25 * MS, p.b.nextTimeoutNanos(), "delayed by at most 25 ms");
        p.b.onData(t, s + 2, bytes(10, 3));
        p.b.transmit(t, p.rb, 10);
        List<P> acks = p.rb.take();
        assertEquals(1, acks.size(), "an out-of-order arrival is acknowledged at once");
        assertArrayEquals(new int[][] {{s, 1}, {s + 2, 1}}, acks.get(0).ranges());
        assertEquals(10, p.b.readableBytes(), "only the in-order prefix is readable");
        p.b.onData(t, s + 1, bytes(10, 2));
        p.b.transmit(t, p.rb, 10);
        assertArrayEquals(new int[][] {{s, 3}}, p.rb.take().get(0).ranges(), "filling a gap is acknowledged at once");
        ByteBuffer want =
                ByteBuffer.allocate(30).put(bytes(10, 1)).put(bytes(10, 2)).put(bytes(10, 3));
        assertArrayEquals(want.array(), readAll(p.b));
    }

    @Test
    void everySecondPacketIsAcknowledgedAndTheDelayedAckFires() {
        Pair p = new Pair(cfg(100), cfg(200));
        long t = T0 + 20 * MS;
        p.b.onData(t, 101, bytes(10, 1));
        p.b.onData(t, 102, bytes(10, 1));
        p.b.transmit(t, p.rb, 10);
        assertArrayEquals(new int[][] {{101, 2}}, p.rb.take().get(0).ranges());
        p.b.onData(t, 103, bytes(10, 1));
        assertEquals(0, p.b.transmit(t, p.rb, 10));
        p.b.onTimer(t + 25 * MS);
        p.b.transmit(t + 25 * MS, p.rb, 10);
        assertArrayEquals(new int[][] {{101, 3}}, p.rb.take().get(0).ranges());
    }

    @Test
    void ackFrequencyIsConfigurable() {
        Pair p = new Pair(cfg(100), cfg(200).ackEveryPackets(4));
        long t = T0 + 20 * MS;
        for (int i = 0; i < 3; i++) {
            p.b.onData(t, 101 + i, bytes(10, 1));
            assertEquals(0, p.b.transmit(t, p.rb, 10));
        }
        p.b.onData(t, 104, bytes(10, 1));
        p.b.transmit(t, p.rb, 10);
        assertArrayEquals(new int[][] {{101, 4}}, p.rb.take().get(0).ranges());
        assertThrows(IllegalArgumentException.class, () -> new StreamConfig().ackEveryPackets(0));
    }

    @Test
    void duplicatesAreDroppedButAcknowledgedAgain() throws Exception {
        Pair p = new Pair(cfg(100), cfg(200));
        long t = T0 + 20 * MS;
        p.b.onData(t, 101, bytes(10, 1));
        p.b.onData(t, 102, bytes(10, 2));
        p.b.transmit(t, p.rb, 10);
        p.rb.take();
        p.b.onData(t, 101, bytes(10, 9));
        p.b.transmit(t, p.rb, 10);
        List<P> acks = p.rb.take();
        assertEquals(1, acks.size());
        assertTrue(ranges(acks.get(0).ranges()[0]).contains(101));
        ByteBuffer want = ByteBuffer.allocate(20).put(bytes(10, 1)).put(bytes(10, 2));
        assertArrayEquals(want.array(), readAll(p.b), "a duplicate never reaches the reader");
    }

    @Test
    void packetsBeyondTheReceiveWindowAreDropped() {
        Pair p = new Pair(cfg(100), cfg(200).maxPacketsInFlight(16));
        long t = T0 + 20 * MS;
        p.b.onData(t, 101 + 16, bytes(10, 1));
        assertEquals(0, p.b.readableBytes());
        p.b.transmit(t, p.rb, 10);
        List<P> out = p.rb.take();
        assertTrue(
                out.isEmpty()
                        || out.get(0).ranges().length == 0
                        || !ranges(out.get(0).ranges()[0]).contains(117),
                "a dropped packet is not acknowledged");
        p.b.onData(t, 101 + 15, bytes(10, 1));
        p.b.transmit(t, p.rb, 10);
        assertArrayEquals(new int[][] {{116, 1}}, p.rb.take().get(0).ranges());
    }

    @Test
    void oversizedPayloadsAreDropped() {
        Pair p = new Pair(cfg(100), cfg(200));
        p.b.onData(T0, 101, ByteBuffer.allocate(StreamConnection.MAX_PACKET_PAYLOAD + 1));
        assertEquals(0, p.b.readableBytes());
        assertFalse(p.b.isReadable());
    }

    @Test
    void anInOrderPacketLargerThanTheReceiveBufferIsStillDelivered() throws Exception {
        // A peer whose packets are larger than our SO_RCVBUF (1024 is allowed) - or our own
        // zero-window probe - must not wedge the connection: the empty ring grows to hold one packet.
        Pair p = new Pair(cfg(100), cfg(200).receiveBufferSize(1024));
        long t = T0 + 20 * MS;
        p.b.onData(t, 101, bytes(1300, 3));
        assertTrue(p.b.isReadable());
        byte[] got = readAll(p.b);
        assertArrayEquals(bytes(1300, 3).array(), got, "every byte of the oversized packet is read");
        p.b.onData(t, 102, bytes(10, 4));
        assertArrayEquals(bytes(10, 4).array(), readAll(p.b), "and the connection goes on");
    }

    // ---------------------------------------------------------------- windows

    @Test
    void windowIsFreeReceiveBufferInKibUnits() {
        Pair p = new Pair(cfg(100), cfg(200).receiveBufferSize(8192).maxPayload(1000));
        long t = T0 + 20 * MS;
        for (int i = 0; i < 5; i++) {
            p.b.onData(t, 101 + i, bytes(1000, i));
        }
        p.b.transmit(t, p.rb, 10);
        List<P> acks = p.rb.take();
        assertEquals(3, acks.get(acks.size() - 1).window(), "8192 - 5000 free = 3 KiB");
        p.b.onData(t, 106, bytes(1000, 6));
        p.b.onData(t, 107, bytes(1000, 7));
        p.b.transmit(t, p.rb, 10);
        acks = p.rb.take();
        assertEquals(1, acks.get(acks.size() - 1).window(), "1192 bytes free");
        p.b.onData(t, 108, bytes(1000, 8));
        p.b.onTimer(t + 25 * MS);
        p.b.transmit(t + 25 * MS, p.rb, 10);
        acks = p.rb.take();
        assertEquals(0, acks.get(acks.size() - 1).window(), "below one packet free: advertise zero (silly window)");
        p.b.onData(t, 109, bytes(1000, 9));
        assertEquals(8000, p.b.readableBytes(), "a packet that does not fit is dropped");
    }

    @Test
    void zeroWindowIsProbedOnThePersistTimer() throws Exception {
        StreamConnection a = StreamConnection.connect(cfg(100), T0, 0);
        Rec r = new Rec();
        a.transmit(T0, r, 10);
        r.take();
        a.onOpen(T0 + 10 * MS, 0, 900, 0);
        a.transmit(T0 + 10 * MS, r, 10);
        assertEquals(
                List.of("ACK"),
                r.take().stream().map(P::type).toList(),
                "the acceptor's ISN is acknowledged even into a zero window (addendum A5)");
        a.write(payload(300));
        assertEquals(0, a.transmit(T0 + 10 * MS, r, 10), "a zero window stops new data");
        long probeAt = a.nextTimeoutNanos();
        assertTrue(probeAt > T0 + 10 * MS && probeAt < T0 + 2000 * MS, "the persist timer is armed");
        a.onTimer(probeAt);
        a.transmit(probeAt, r, 10);
        List<P> sent = r.take();
        assertEquals(1, sent.size(), "exactly one probe");
        assertEquals(101, sent.get(0).seq());
        // The receiver still has no room: acknowledging nothing new, window still 0.
        a.onAck(probeAt + 10 * MS, 0, ranges(100, 1));
        // The probe is retransmitted (with backoff) until the window opens.
        long next = a.nextTimeoutNanos();
        a.onTimer(next);
        a.transmit(next, r, 10);
        assertEquals(101, r.take().get(0).seq());
        a.onAck(next + 10 * MS, 8, ranges(101, 1));
        a.transmit(next + 10 * MS, r, 10);
        sent = r.take();
        assertEquals(List.of(102, 103), sent.stream().map(P::seq).toList(), "an opened window releases the rest");
    }

    @Test
    void readingOpensTheWindowWithAnImmediateUpdate() throws Exception {
        Pair p = new Pair(cfg(100), cfg(200).receiveBufferSize(4096).maxPayload(1000));
        long t = T0 + 20 * MS;
        for (int i = 0; i < 4; i++) {
            p.b.onData(t, 101 + i, bytes(1000, i));
        }
        p.b.transmit(t, p.rb, 10);
        List<P> acks = p.rb.take();
        assertEquals(0, acks.get(acks.size() - 1).window());
        readAll(p.b);
        p.b.transmit(t, p.rb, 10);
        acks = p.rb.take();
        assertEquals(1, acks.size(), "the window update goes out without waiting for data");
        assertEquals(4, acks.get(0).window());
    }

    // ---------------------------------------------------------------- loss recovery

    @Test
    void retransmissionTimeoutBacksOffAndKarnSkipsAmbiguousSamples() throws Exception {
        Pair p = new Pair(cfg(100), cfg(200));
        long t = T0 + 10 * MS;
        p.a.write(payload(50));
        p.a.transmit(t, p.ra, 10);
        assertEquals(101, p.ra.take().get(0).seq());
        // First the tail loss probe: 2 srtt plus the peer's delayed-ACK allowance for a lone packet.
        assertEquals(t + 45 * MS, p.a.nextTimeoutNanos());
        p.a.onTimer(t + 45 * MS);
        p.a.transmit(t + 45 * MS, p.ra, 10);
        assertEquals(101, p.ra.take().get(0).seq(), "the probe repeats the last packet");
        assertEquals(p.a.maxPayload() * 10L, p.a.congestionWindow(), "a probe is not a congestion signal");
        long rto1 = p.a.nextTimeoutNanos() - t;
        assertEquals(200 * MS, rto1, "RTO = max(minRto, srtt + 4 rttvar)");
        p.a.onTimer(t + rto1);
        p.a.transmit(t + rto1, p.ra, 10);
        assertEquals(101, p.ra.take().get(0).seq(), "the same packet again");
        long rto2 = p.a.nextTimeoutNanos() - (t + rto1);
        assertEquals(2 * rto1, rto2, "exponential backoff");
        assertEquals(p.a.maxPayload(), p.a.congestionWindow(), "a timeout collapses cwnd to one packet");
        p.a.onAck(t + rto1 + 5 * MS, 100, ranges(101, 1));
        assertEquals(10 * MS, p.a.smoothedRttNanos(), "no RTT sample from a retransmitted packet (Karn)");
        assertEquals(0, p.a.unacknowledgedBytes());
        assertTrue(p.a.nextTimeoutNanos() > t + 4000 * MS, "no retransmission timer once all is acknowledged");
    }

    @Test
    void packetsSentBeforeAnAcknowledgedOneAreRetransmittedAfterTheReorderWindow() throws Exception {
        Pair p = new Pair(cfg(100), cfg(200));
        long t = T0 + 10 * MS;
        p.a.write(payload(400));
        p.a.transmit(t, p.ra, 10);
        assertEquals(4, p.ra.take().size());
        // 101 and 102 are missing; 103 and 104 acknowledged after one RTT.
        p.a.onAck(t + 10 * MS, 100, ranges(103, 2));
        p.a.transmit(t + 10 * MS, p.ra, 10);
        assertTrue(p.ra.take().isEmpty(), "not yet: they may merely be reordered");
        long reo = p.a.nextTimeoutNanos();
        assertTrue(reo > t + 10 * MS && reo <= t + 10 * MS + 10 * MS, "a reorder timer of at most one RTT");
        p.a.onTimer(reo);
        p.a.transmit(reo, p.ra, 10);
        List<P> sent = p.ra.take();
        assertEquals(List.of(101, 102), sent.stream().map(P::seq).toList());
    }

    @Test
    void rangesForNumbersNeverSentAreIgnored() throws Exception {
        Pair p = new Pair(cfg(100), cfg(200));
        p.a.write(payload(100));
        p.a.transmit(T0 + 10 * MS, p.ra, 10);
        p.a.onAck(T0 + 20 * MS, 100, ranges(102, 255));
        p.a.onAck(T0 + 20 * MS, 100, ranges(-5, 10));
        assertEquals(100, p.a.unacknowledgedBytes());
    }

    // ---------------------------------------------------------------- piggybacking

    @Test
    void acknowledgementsRideOnDataAsDack() throws Exception {
        Pair p = new Pair(cfg(100), cfg(200));
        long t = T0 + 20 * MS;
        p.b.onData(t, 101, bytes(10, 1));
        p.b.write(payload(30));
        p.b.transmit(t, p.rb, 10);
        List<P> out = p.rb.take();
        assertEquals(1, out.size());
        assertEquals("DACK", out.get(0).type());
        assertEquals(201, out.get(0).seq());
        assertArrayEquals(new int[][] {{101, 1}}, out.get(0).ranges());
        assertEquals(30, out.get(0).payload().length);

        StreamConnection plain = new Pair(cfg(100), cfg(200).dataAckEnabled(false)).b;
        Rec r = new Rec();
        plain.onData(t, 101, bytes(10, 1));
        plain.write(payload(30));
        plain.transmit(t, r, 10);
        List<P> sent = r.take();
        assertEquals(
                List.of("DATA", "ACK"),
                sent.stream().map(P::type).toList(),
                "without S_DACK the delayed acknowledgement leaves with the data");
        assertArrayEquals(new int[][] {{101, 1}}, sent.get(1).ranges());
    }

    // ---------------------------------------------------------------- closing

    @Test
    void finTakesTheNextNumberIsAcknowledgedAndGivesEndOfStreamAfterTheData() throws Exception {
        Pair p = new Pair(cfg(100), cfg(200));
        long t = T0 + 10 * MS;
        p.a.write(payload(150));
        p.a.shutdownOutput();
        assertThrows(StreamException.class, () -> p.a.write(payload(1)));
        p.a.transmit(t, p.ra, 10);
        List<P> sent = p.ra.take();
        assertEquals(
                List.of("DATA", "DATA", "CLOSE"), sent.stream().map(P::type).toList());
        P fin = sent.get(2);
        assertEquals(0, fin.reason());
        assertEquals(100, fin.isn());
        assertEquals(103, fin.seq(), "the FIN carries the next unused number");
        // The FIN arrives first, then the data out of order.
        p.b.onClose(t + 5 * MS, 0, 100, 103);
        assertFalse(p.b.isReadable(), "no end-of-stream before the data");
        p.b.onData(t + 6 * MS, 102, ByteBuffer.wrap(sent.get(1).payload()));
        assertEquals(0, p.b.read(ByteBuffer.allocate(10)));
        p.b.onData(t + 7 * MS, 101, ByteBuffer.wrap(sent.get(0).payload()));
        assertArrayEquals(payload(150).array(), readAll(p.b));
        assertEquals(-1, p.b.read(ByteBuffer.allocate(10)));
        assertTrue(p.b.isInputClosed());
        p.b.transmit(t + 7 * MS, p.rb, 10);
        List<P> acks = p.rb.take();
        AckRanges last = ranges(acks.get(acks.size() - 1).ranges()[0]);
        assertTrue(last.contains(101) && last.contains(103), "data and FIN acknowledged");
        p.a.onAck(t + 20 * MS, 100, last);
        assertTrue(p.a.isOutputClosed());
        // B can still send (half-close), then closes too.
        p.b.write(payload(20));
        p.b.close(t + 20 * MS);
        p.b.transmit(t + 20 * MS, p.rb, 10);
        List<P> fromB = p.rb.take();
        assertEquals("CLOSE", fromB.get(fromB.size() - 1).type());
        for (P x : fromB) {
            if (x.type().equals("CLOSE")) {
                p.a.onClose(t + 30 * MS, x.reason(), x.isn(), x.seq());
            } else {
                p.a.onData(t + 30 * MS, x.seq(), ByteBuffer.wrap(x.payload()));
            }
        }
        assertArrayEquals(payload(20).array(), readAll(p.a));
        assertEquals(-1, p.a.read(ByteBuffer.allocate(1)));
        p.a.transmit(t + 30 * MS, p.ra, 10);
        List<P> acksFromA = p.ra.take();
        P ack = acksFromA.get(acksFromA.size() - 1);
        p.b.onAck(t + 40 * MS, ack.window(), ranges(ack.ranges()[0]));
        assertTrue(p.b.isOutputClosed());
        assertFalse(p.b.isTerminated(), "time-wait: the peer may retransmit its FIN");
        p.b.onTimer(p.b.nextTimeoutNanos());
        assertTrue(p.b.isTerminated());
    }

    @Test
    void shutdownInputReadsEndOfStreamAndKeepsAcknowledging() throws Exception {
        Pair p = new Pair(cfg(100), cfg(200));
        long t = T0 + 20 * MS;
        p.b.onData(t, 101, bytes(10, 1));
        p.b.shutdownInput();
        assertTrue(p.b.isInputShutdown());
        assertEquals(-1, p.b.read(ByteBuffer.allocate(10)));
        p.b.onData(t, 102, bytes(10, 2));
        assertEquals(0, p.b.readableBytes(), "data after shutdownInput is discarded");
        p.b.transmit(t, p.rb, 10);
        assertArrayEquals(new int[][] {{101, 2}}, p.rb.take().get(0).ranges(), "but still acknowledged");
        assertTrue(p.b.toString().contains("acceptor"));
    }

    @Test
    void afterCloseThePeerHasTheCloseTimeoutToCloseItsSide() {
        Pair p = new Pair(cfg(100).closeTimeout(Duration.ofSeconds(7)), cfg(200));
        long t = T0 + 10 * MS;
        p.a.close(t);
        p.a.transmit(t, p.ra, 10);
        P fin = p.ra.take().get(0);
        assertEquals("CLOSE", fin.type());
        p.a.onAck(t + 10 * MS, 512, ranges(fin.seq(), 1));
        assertTrue(p.a.isOutputClosed());
        long deadline = t + 10 * MS + 7_000 * MS;
        int rounds = 0;
        while (p.a.failure() == null && rounds++ < 20) {
            long next = p.a.nextTimeoutNanos();
            assertTrue(next <= deadline, "the close timeout is armed");
            p.a.onTimer(next);
        }
        assertEquals(StreamException.Kind.TIMED_OUT, p.a.failure().kind());
        p.a.transmit(deadline, p.ra, 10);
        assertEquals(3, p.ra.take().get(0).reason());
    }

    @Test
    void closeWithTheWrongIsnIsIgnored() {
        Pair p = new Pair(cfg(100), cfg(200));
        p.b.onClose(T0 + 20 * MS, 0, 99, 101);
        assertFalse(p.b.isInputClosed());
        p.b.onClose(T0 + 20 * MS, 3, 99, 101);
        assertNull(p.b.failure());
        p.b.onClose(T0 + 20 * MS, 3, 100, 101);
        assertEquals(StreamException.Kind.RESET, p.b.failure().kind());
    }

    @Test
    void peerAbortLetsBufferedDataBeReadFirst() throws Exception {
        Pair p = new Pair(cfg(100), cfg(200));
        p.b.onData(T0 + 20 * MS, 101, bytes(10, 1));
        p.b.onClose(T0 + 21 * MS, StreamConnection.REASON_TIMED_OUT, 100, 102);
        assertTrue(p.b.isReadable());
        ByteBuffer got = ByteBuffer.allocate(100);
        assertEquals(10, p.b.read(got));
        assertArrayEquals(bytes(10, 1).array(), java.util.Arrays.copyOf(got.array(), 10));
        StreamException e = assertThrows(StreamException.class, () -> p.b.read(ByteBuffer.allocate(1)));
        assertEquals(StreamException.Kind.RESET, e.kind());
        assertEquals(3, e.remoteReason());
        assertThrows(StreamException.class, () -> p.b.write(payload(1)));
    }

    @Test
    void localAbortSendsOneCloseWithTheReason() {
        Pair p = new Pair(cfg(100), cfg(200));
        p.a.abort(StreamConnection.REASON_PROTOCOL_ERROR);
        p.a.transmit(T0 + 20 * MS, p.ra, 10);
        assertEquals(
                List.of(new P("CLOSE", 0, 100, 0, 101, 2, null, null)).toString(),
                p.ra.take().toString());
        assertEquals(0, p.a.transmit(T0 + 30 * MS, p.ra, 10));
        assertTrue(p.a.isTerminated());
        assertThrows(IllegalArgumentException.class, () -> p.b.abort(0));
    }

    @Test
    void unacknowledgedDataTimesOutTheDeadPeerWithReasonThree() throws Exception {
        Pair p = new Pair(cfg(100).deadPeerTimeout(Duration.ofSeconds(20)), cfg(200));
        long t = T0 + 10 * MS;
        p.a.write(payload(10));
        p.a.transmit(t, p.ra, 10);
        p.ra.take();
        int rounds = 0;
        while (p.a.failure() == null && rounds++ < 100) {
            long next = p.a.nextTimeoutNanos();
            p.a.onTimer(next);
            p.a.transmit(next, p.ra, 10);
        }
        assertNotNull(p.a.failure());
        assertEquals(StreamException.Kind.TIMED_OUT, p.a.failure().kind());
        List<P> sent = p.ra.take();
        assertTrue(sent.size() >= 5, "at least four retransmissions before giving up: " + sent.size());
        P last = sent.get(sent.size() - 1);
        assertEquals("CLOSE", last.type());
        assertEquals(3, last.reason());
    }

    @Test
    void keepaliveProbesAnIdlePeerAndGivesUpWhenItIsGone() {
        StreamConfig ka = cfg(100).keepAlive(true)
                .keepAliveIdle(Duration.ofSeconds(10))
                .keepAliveInterval(Duration.ofSeconds(1))
                .keepAliveProbes(3);
        Pair p = new Pair(ka, cfg(200));
        assertEquals(T0 + 10 * MS + 10_000 * MS, p.a.nextTimeoutNanos());
        long t = p.a.nextTimeoutNanos();
        p.a.onTimer(t);
        p.a.transmit(t, p.ra, 10);
        P probe = p.ra.take().get(0);
        assertEquals("DATA", probe.type());
        assertEquals(100, probe.seq(), "an already-acknowledged number");
        assertEquals(0, probe.payload().length);
        // The peer answers a keepalive like any duplicate.
        p.b.onData(t + 5 * MS, probe.seq(), ByteBuffer.wrap(probe.payload()));
        p.b.transmit(t + 5 * MS, p.rb, 10);
        P ack = p.rb.take().get(0);
        assertEquals("ACK", ack.type());
        p.a.onAck(t + 10 * MS, ack.window(), ranges(ack.ranges()[0]));
        assertNull(p.a.failure());
        // Now the peer vanishes.
        int rounds = 0;
        while (p.a.failure() == null && rounds++ < 100) {
            long next = p.a.nextTimeoutNanos();
            p.a.onTimer(next);
            p.a.transmit(next, p.ra, 10);
        }
        assertEquals(StreamException.Kind.TIMED_OUT, p.a.failure().kind());
        List<P> sent = p.ra.take();
        assertEquals(4, sent.size(), "three probes, then the abort");
        assertEquals(3, sent.get(3).reason());
    }

    // ---------------------------------------------------------------- memory

    @Test
    void ringsGrowOnDemandUpToTheBufferSizes() throws Exception {
        Pair p = new Pair(cfg(100), cfg(200).maxPayload(1000));
        long t = T0 + 10 * MS;
        // The writer may buffer a whole SO_SNDBUF although its ring starts at 16 KiB.
        ByteBuffer big = payload(512 * 1024);
        assertEquals(512 * 1024, p.a.write(big));
        assertEquals(0, p.a.sendBufferFree());
        // The receiver buffers far more than its initial ring while the application does not read.
        int seq = 101;
        int total = 0;
        for (int i = 0; i < 200; i++) {
            p.b.onData(t, seq++, bytes(1000, i));
            total += 1000;
        }
        assertEquals(total, p.b.readableBytes());
        ByteBuffer all = ByteBuffer.allocate(total);
        while (all.hasRemaining() && p.b.read(all) > 0) {
            // drain
        }
        all.flip();
        for (int i = 0; i < 200; i++) {
            byte[] chunk = new byte[1000];
            all.get(chunk);
            assertArrayEquals(bytes(1000, i).array(), chunk, "chunk " + i + " intact after the ring grew");
        }
    }

    @Test
    void idleConnectionsReleaseTheirBuffers() throws Exception {
        Pair p = new Pair(cfg(100), cfg(200));
        long t = T0 + 10 * MS;
        p.a.write(payload(100));
        p.a.transmit(t, p.ra, 10);
        P d = p.ra.take().get(0);
        p.b.onData(t, d.seq(), ByteBuffer.wrap(d.payload()));
        readAll(p.b);
        p.a.onAck(t + 10 * MS, 512, ranges(101, 1));
        assertTrue(p.a.allocatedBytes() > 0);
        assertTrue(p.b.allocatedBytes() > 0);
        // 100 bytes do not cost a whole 512 KiB SO_SNDBUF / SO_RCVBUF: rings start small and grow.
        assertTrue(p.a.allocatedBytes() < 128 * 1024, "sender holds " + p.a.allocatedBytes());
        assertTrue(p.b.allocatedBytes() < 128 * 1024, "receiver holds " + p.b.allocatedBytes());
        for (StreamConnection c : new StreamConnection[] {p.a, p.b}) {
            for (int i = 0; i < 5 && c.allocatedBytes() > 0; i++) {
                long next = c.nextTimeoutNanos();
                c.onTimer(next);
                c.transmit(next, c == p.a ? p.ra : p.rb, 10);
            }
        }
        assertEquals(0, p.a.allocatedBytes());
        assertEquals(0, p.b.allocatedBytes());
        // And they come back on demand.
        p.a.write(payload(10));
        assertTrue(p.a.allocatedBytes() > 0);
    }

    @Test
    void aPeerSprayingTinyOutOfOrderPacketsCannotGrowTheReceiver() {
        StreamConfig c = cfg(200).receiveBufferSize(64 * 1024).maxPacketsInFlight(4096);
        Pair p = new Pair(cfg(100), c);
        Random rnd = new Random(3);
        long bound = 64 * 1024 + 65535 + 4096L * 12 + 16L * 65535;
        for (int i = 0; i < 50_000; i++) {
            int seq = 102 + rnd.nextInt(5000);
            int len = 1 + rnd.nextInt(rnd.nextBoolean() ? 4 : 3000);
            p.b.onData(T0 + 20 * MS, seq, ByteBuffer.allocate(len));
            assertTrue(p.b.allocatedBytes() <= bound, "allocated " + p.b.allocatedBytes());
            if (i % 64 == 0) {
                p.b.transmit(T0 + 20 * MS, p.rb, 10);
                for (P ack : p.rb.take()) {
                    assertTrue(ack.ranges().length <= 32, "acknowledgements stay bounded");
                }
            }
        }
        assertEquals(0, p.b.readableBytes(), "nothing is readable while 101 is missing");
        // The gap filler is still accepted, whatever the held packets occupy.
        p.b.onData(T0 + 30 * MS, 101, ByteBuffer.allocate(100));
        assertTrue(p.b.readableBytes() >= 100);
    }

    @Test
    void theRefusalFormAbortsAnEstablishedConnection() {
        // A glue that no longer knows a link answers with S_CLOSE(reason, isn = seq = our ISN).
        Pair p = new Pair(cfg(100), cfg(200));
        p.b.onClose(T0 + 20 * MS, StreamConnection.REASON_PROTOCOL_ERROR, 200, 201);
        assertNull(p.b.failure(), "not the refusal form: seq differs from the ISN");
        p.b.onClose(T0 + 20 * MS, StreamConnection.REASON_PROTOCOL_ERROR, 200, 200);
        assertEquals(StreamException.Kind.PROTOCOL_ERROR, p.b.failure().kind());
        assertEquals(0, p.b.transmit(T0 + 20 * MS, p.rb, 10), "an abort is never answered");
    }

    @Test
    void buffersResizeWithDataInThem() throws Exception {
        Pair p = new Pair(cfg(100).sendBufferSize(4096).maxPayload(1000), cfg(200).maxPayload(1000));
        ByteBuffer src = bytes(10_000, 5);
        long t = T0 + 10 * MS;
        // Move the ring's start off zero first, so re-placing bytes in the bigger ring matters.
        src.limit(1500);
        p.a.write(src);
        p.a.transmit(t, p.ra, 10);
        for (P d : p.ra.take()) {
            p.b.onData(t, d.seq(), ByteBuffer.wrap(d.payload()));
        }
        p.a.onAck(t + 10 * MS, 512, ranges(101, 2));
        src.limit(10_000);
        assertEquals(4096, p.a.write(src));
        p.a.setSendBufferSize(8192);
        assertEquals(8192, p.a.sendBufferSize());
        assertEquals(4096, p.a.write(src));
        p.b.setReceiveBufferSize(2048);
        ByteBuffer got = ByteBuffer.allocate(10_000);
        long now = t + 20 * MS;
        for (int round = 0; round < 200 && got.position() < 9692; round++) {
            p.a.transmit(now, p.ra, 100);
            for (P d : p.ra.take()) {
                p.b.onData(now, d.seq(), ByteBuffer.wrap(d.payload()));
            }
            p.b.read(got);
            p.b.onTimer(now + 25 * MS);
            p.b.transmit(now + 25 * MS, p.rb, 100);
            for (P ack : p.rb.take()) {
                AckRanges r = new AckRanges(64);
                for (int[] pair : ack.ranges()) {
                    r.append(pair[0], pair[1]);
                }
                p.a.onAck(now + 30 * MS, ack.window(), r);
            }
            now += 30 * MS;
            if (p.a.nextTimeoutNanos() <= now) {
                p.a.onTimer(now);
            }
        }
        assertEquals(9692, got.position());
        assertArrayEquals(
                java.util.Arrays.copyOf(bytes(10_000, 5).array(), 9692), java.util.Arrays.copyOf(got.array(), 9692));
        assertEquals(2048, p.b.receiveBufferSize());
    }

    @Test
    void sendBufferBoundsWrites() throws Exception {
        Pair p = new Pair(cfg(100).sendBufferSize(4096), cfg(200));
        assertEquals(4096, p.a.write(payload(10_000)));
        assertEquals(0, p.a.write(payload(10)));
        assertFalse(p.a.isWritable());
        assertEquals(0, p.a.sendBufferFree());
    }
}
