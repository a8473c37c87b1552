package org.anode.wire;

import static org.anode.wire.WireFixtures.A;
import static org.anode.wire.WireFixtures.B;
import static org.anode.wire.WireFixtures.HEX;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.List;
import org.anode.crypto.internal.AesCmac;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(30)
class WireCoreTest {

    @Test
    void shortIdsMatchVectors() {
        assertEquals(WireFixtures.A_SHORT, A.shortId().toString());
        assertEquals(WireFixtures.B_SHORT, B.shortId().toString());
    }

    @Test
    void everyMessageRoundTripsAlone() throws Exception {
        for (Message m : WireFixtures.sampleMessages()) {
            ByteBuffer b = ByteBuffer.allocate(m.encodedLength());
            m.writeTo(b);
            assertFalse(b.hasRemaining(), m.toString());
            b.flip();
            assertEquals(m, Message.decode(m.type(), b), m.toString());
            assertFalse(b.hasRemaining());
        }
    }

    @Test
    void everyMessageRoundTripsInPacketsWithMac() throws Exception {
        AesCmac k = WireFixtures.cmac(WireFixtures.KEY_AB);
        PacketReader r = new PacketReader();
        for (Message m : WireFixtures.sampleMessages()) {
            for (int form = 0; form < 4; form++) {
                AddressField s = (form & 1) != 0 ? AddressField.full(A) : AddressField.shortOf(A);
                AddressField d = (form & 2) != 0 ? AddressField.full(B) : AddressField.shortOf(B);
                Packet p = new Packet(form * 60, form == 3, s, d, 15, form, m);
                byte[] bytes = p.toByteArray(k);
                assertEquals(p.encodedLength(), bytes.length);
                ByteBuffer direct = ByteBuffer.allocateDirect(bytes.length + 7).position(7);
                direct.put(bytes).flip().position(7);
                for (ByteBuffer buf : List.of(
                        ByteBuffer.wrap(bytes), direct, ByteBuffer.wrap(bytes).asReadOnlyBuffer())) {
                    r.wrap(buf);
                    assertTrue(r.verifyMac(k), m.toString());
                    assertEquals(p, r.toPacket());
                    assertEquals(form * 60, r.hopCount());
                    assertEquals(form == 3, r.isAuthErrorResponse());
                    assertEquals(form != 3, r.mayChangeState());
                    assertTrue(r.senderIs(A));
                    assertTrue(r.recipientIs(B));
                    assertFalse(r.senderIs(B));
                    assertEquals(15, r.senderPeerId());
                    assertEquals(form, r.recipientPeerId());
                    assertEquals(m.type(), r.messageType());
                    assertEquals(m.encodedLength(), r.payloadLength());
                }
                assertEquals(p, Packet.decode(ByteBuffer.wrap(bytes)));
            }
        }
    }

    @Test
    void macDependsOnKeyAndIgnoresHopCount() throws Exception {
        AesCmac k = WireFixtures.cmac(WireFixtures.KEY_AB);
        AesCmac other = WireFixtures.cmac("00".repeat(32));
        Packet p = new Packet(
                0, false, AddressField.full(A), AddressField.shortOf(B), 1, 2, new Message.Ping(new byte[5]));
        byte[] bytes = p.toByteArray(k);
        PacketReader r = new PacketReader().wrap(ByteBuffer.wrap(bytes));
        assertTrue(r.verifyMac(k));
        assertFalse(r.verifyMac(other));
        assertTrue(PacketFormat.incrementHopCount(ByteBuffer.wrap(bytes), 0));
        assertEquals(1, bytes[0]);
        assertTrue(r.verifyMac(k), "hop count is outside the MAC");
        bytes[0] = (byte) 255;
        assertFalse(PacketFormat.incrementHopCount(ByteBuffer.wrap(bytes), 0));
        assertEquals((byte) 255, bytes[0]);
        bytes[bytes.length - 1] ^= 1;
        assertFalse(r.verifyMac(k));
    }

    @Test
    void verifyLeavesBufferUntouched() throws Exception {
        AesCmac k = WireFixtures.cmac(WireFixtures.KEY_AB);
        byte[] bytes = new Packet(
                        0,
                        false,
                        AddressField.shortOf(A),
                        AddressField.shortOf(B),
                        0,
                        0,
                        new Message.SData(1, 2, 3, new byte[1400 - 36]))
                .toByteArray(k);
        byte[] copy = bytes.clone();
        ByteBuffer b = ByteBuffer.wrap(bytes).position(0);
        PacketReader r = new PacketReader().wrap(b);
        assertTrue(r.verifyMac(k));
        assertArrayEquals(copy, bytes);
        assertEquals(0, b.position());
        assertEquals(bytes.length, b.limit());
        assertEquals(1400, bytes.length);
    }

    @Test
    void writerMatchesRecordEncoding() throws Exception {
        AesCmac k = WireFixtures.cmac(WireFixtures.KEY_AB);
        byte[] payload = new byte[] {10, 20, 30};
        Message.SData m = new Message.SData(7, 9, 123456, payload);
        byte[] expected = new Packet(0, false, AddressField.full(A), AddressField.shortOf(B), 2, 3, m).toByteArray(k);
        ByteBuffer buf = ByteBuffer.allocate(200);
        buf.position(5);
        PacketWriter w = new PacketWriter();
        w.begin(buf, A, SenderForm.FULL, B, 2, 3, MessageType.S_DATA);
        MessageFields.writeSDataHeader(buf, 7, 9, 123456);
        buf.put(payload);
        int len = w.finish(k);
        assertEquals(expected.length, len);
        assertEquals(5 + len, buf.position());
        byte[] got = new byte[len];
        buf.get(5, got);
        assertArrayEquals(expected, got);

        PacketReader r = new PacketReader().wrap(ByteBuffer.wrap(got));
        int off = r.payloadOffset();
        assertEquals(7, MessageFields.linkId(r.buffer(), off));
        assertEquals(9, MessageFields.destinationPort(r.buffer(), off));
        assertEquals(123456, MessageFields.sDataSequence(r.buffer(), off));
        assertEquals(3, r.payloadLimit() - MessageFields.sDataPayloadOffset(off));
    }

    /**
     * Finishing a burst of packets in one MAC pass (PacketWriter.finishAll) writes exactly the bytes
     * one finish per packet writes, whatever the packet sizes, sender forms and buffer offsets; and
     * the reader verifies them.
     */
    @Test
    void finishAllWritesWhatFinishWrites() throws Exception {
        AesCmac k = WireFixtures.cmac(WireFixtures.KEY_AB);
        java.util.Random r = new java.util.Random(5);
        for (int round = 0; round < 40; round++) {
            int n = 1 + r.nextInt(32);
            PacketWriter[] ws = new PacketWriter[n];
            ByteBuffer[] batch = new ByteBuffer[n];
            ByteBuffer[] single = new ByteBuffer[n];
            int[] at = new int[n];
            for (int i = 0; i < n; i++) {
                byte[] payload = new byte[r.nextInt(1300)];
                r.nextBytes(payload);
                SenderForm form = r.nextBoolean() ? SenderForm.FULL : SenderForm.SHORT;
                at[i] = r.nextInt(8);
                for (int copy = 0; copy < 2; copy++) {
                    ByteBuffer buf = ByteBuffer.allocate(1500);
                    buf.position(at[i]);
                    PacketWriter w = new PacketWriter();
                    w.begin(buf, A, form, B, 2, 3, MessageType.S_DATA);
                    MessageFields.writeSDataHeader(buf, 7, 9, 1000 + i);
                    buf.put(payload);
                    if (copy == 0) {
                        w.finish(k);
                        single[i] = buf;
                    } else {
                        ws[i] = w;
                        batch[i] = buf;
                    }
                }
            }
            PacketWriter.finishAll(ws, n, k);
            for (int i = 0; i < n; i++) {
                assertEquals(single[i].position(), batch[i].position());
                byte[] want = java.util.Arrays.copyOfRange(single[i].array(), at[i], single[i].position());
                byte[] got = java.util.Arrays.copyOfRange(batch[i].array(), at[i], batch[i].position());
                assertArrayEquals(want, got, "round " + round + " packet " + i);
                assertTrue(new PacketReader().wrap(ByteBuffer.wrap(got)).verifyMac(k));
            }
        }
    }

    @Test
    void finishWithoutMacOnlyForAuthErrors() {
        PacketWriter w = new PacketWriter();
        ByteBuffer b = ByteBuffer.allocate(100);
        w.begin(b, A, SenderForm.SHORT, B, 0, 0, MessageType.PING);
        assertThrows(IllegalStateException.class, w::finishWithoutMac);
        b.clear();
        w.begin(b, 0, true, AddressField.full(A), AddressField.shortOf(B), 0, 0, MessageType.ERROR);
        new Message.Error(ErrorCode.AUTHENTICATION_FAILED).writeTo(b);
        assertEquals(PacketFormat.headerLength(0x05) + 2, w.finishWithoutMac());
        assertEquals(0L, b.getLong(PacketFormat.MAC));
    }

    @Test
    void senderFormRule() {
        long now = 1_000_000_000_000L;
        assertEquals(SenderForm.FULL, SenderForm.choose(SenderForm.NEVER_ANSWERED, now));
        assertEquals(SenderForm.SHORT, SenderForm.choose(now - 1, now));
        assertEquals(SenderForm.SHORT, SenderForm.choose(now - SenderForm.ANSWER_TIMEOUT_NANOS + 1, now));
        assertEquals(SenderForm.FULL, SenderForm.choose(now - SenderForm.ANSWER_TIMEOUT_NANOS, now));
        assertEquals(SenderForm.FULL, SenderForm.choose(now + 5, now));
        // nanoTime may wrap: only the difference counts.
        assertEquals(SenderForm.SHORT, SenderForm.choose(Long.MAX_VALUE - 10, Long.MIN_VALUE + 10));
        assertEquals(1, SenderForm.FULL.flag());
        assertEquals(0, SenderForm.SHORT.flag());
    }

    @Test
    void endpointsConvertToAndFromSocketAddresses() throws Exception {
        InetSocketAddress v4 = new InetSocketAddress(WireFixtures.ip(new byte[] {127, 0, 0, 1}), 4343);
        InetSocketAddress v6 = new InetSocketAddress(WireFixtures.ip(new byte[16]), 4344);
        assertEquals(EndpointType.UDP_IPV4, Endpoint.udp(v4).type());
        assertEquals(EndpointType.TCP_IPV4, Endpoint.tcp(v4).type());
        assertEquals(EndpointType.UDP_IPV6, Endpoint.udp(v6).type());
        assertEquals(EndpointType.TCP_IPV6, Endpoint.tcp(v6).type());
        assertEquals(v4, Endpoint.udp(v4).toSocketAddress());
        assertEquals(v6, Endpoint.tcp(v6).socketAddress().orElseThrow());
        assertTrue(Endpoint.Unspecified.INSTANCE.socketAddress().isEmpty());
        assertThrows(IllegalArgumentException.class, () -> Endpoint.udp(InetSocketAddress.createUnresolved("x", 1)));
        // An IPv4-mapped IPv6 address keeps its IPv6 type through a round trip.
        byte[] mapped = HEX.parseHex("00000000000000000000ffff7f000001");
        Endpoint e = new Endpoint.Ip(EndpointType.UDP_IPV6, WireFixtures.ip(mapped), 1);
        ByteBuffer b = ByteBuffer.allocate(e.encodedLength());
        e.writeTo(b);
        assertEquals(e, Endpoint.read(b.flip()));
    }

    @Test
    void badInputGivesWireException() {
        byte[] good = new Packet(
                        0,
                        false,
                        AddressField.shortOf(A),
                        AddressField.shortOf(B),
                        0,
                        0,
                        new Message.SAck(1, 2, 3, List.of(new AckRange(1, 4))))
                .toByteArray(WireFixtures.cmac(WireFixtures.KEY_AB));
        PacketReader r = new PacketReader();
        // Truncated below the minimum header.
        assertThrows(WireException.class, () -> r.wrap(ByteBuffer.wrap(good, 0, 27)));
        assertFalse(r.isValid());
        assertThrows(IllegalStateException.class, r::hopCount);
        // Undefined flag.
        byte[] f = good.clone();
        f[1] = 0x08;
        assertTrue(assertThrows(WireException.class, () -> r.wrap(ByteBuffer.wrap(f)))
                .getMessage()
                .contains("flag"));
        // Unknown message type.
        byte[] t = good.clone();
        t[27] = 0x0a;
        assertTrue(assertThrows(WireException.class, () -> r.wrap(ByteBuffer.wrap(t)))
                .getMessage()
                .contains("type"));
        // Count zero in an ack range.
        byte[] z = good.clone();
        z[z.length - 1] = 0;
        assertThrows(WireException.class, () -> r.wrap(ByteBuffer.wrap(z)));
        // S_ACK with a partial range (over-long by one byte).
        byte[] o = java.util.Arrays.copyOf(good, good.length + 1);
        assertThrows(WireException.class, () -> r.wrap(ByteBuffer.wrap(o)));
        // Full sender flag on a packet too short to hold the address.
        byte[] s = good.clone();
        s[1] = 0x01;
        assertThrows(WireException.class, () -> r.wrap(ByteBuffer.wrap(s)));
    }

    @Test
    void fullAddressValidatedLazily() throws Exception {
        byte[] bytes = new Packet(
                        0, false, AddressField.full(A), AddressField.shortOf(B), 0, 0, new Message.Ping(new byte[0]))
                .toByteArray(WireFixtures.cmac(WireFixtures.KEY_AB));
        // Make the key x coordinate = p (not < p): passes the cheap checks, fails point validation.
        for (int i = 0; i < 32; i++) {
            bytes[PacketFormat.SENDER + 8 + i] = (byte) 0xff;
        }
        PacketReader r = new PacketReader().wrap(ByteBuffer.wrap(bytes));
        assertTrue(r.senderIsFull());
        assertThrows(WireException.class, r::senderAddress);
        assertThrows(WireException.class, r::toPacket);
        assertThrows(IllegalStateException.class, r::senderShortId);
        bytes[PacketFormat.SENDER] = 2;
        assertThrows(WireException.class, () -> r.wrap(ByteBuffer.wrap(bytes)));
    }

    @Test
    void frameDecoderBasics() throws Exception {
        byte[] pkt = new Packet(
                        0, false, AddressField.shortOf(A), AddressField.shortOf(B), 0, 0, new Message.Ping(new byte[3]))
                .toByteArray(WireFixtures.cmac(WireFixtures.KEY_AB));
        ByteBuffer stream = ByteBuffer.allocate(2 * (pkt.length + 2));
        FrameDecoder.writeFrame(stream, ByteBuffer.wrap(pkt));
        FrameDecoder.writeFrame(stream, ByteBuffer.wrap(pkt));
        stream.flip();
        FrameDecoder d = new FrameDecoder(100);
        ByteBuffer p1 = d.next(stream);
        assertEquals(ByteBuffer.wrap(pkt), p1);
        ByteBuffer p2 = d.next(stream);
        assertEquals(ByteBuffer.wrap(pkt), p2);
        assertNull(d.next(stream));
        assertTrue(d.atFrameBoundary());
        d.endOfStream();
        assertNull(d.next(ByteBuffer.wrap(new byte[] {0})));
        assertThrows(WireException.class, d::endOfStream);
        assertNull(d.next(ByteBuffer.wrap(new byte[] {30, 1})));
        assertTrue(
                assertThrows(WireException.class, d::endOfStream).getMessage().contains("1 of 30"));
        FrameDecoder bad = new FrameDecoder(100);
        assertThrows(WireException.class, () -> bad.next(ByteBuffer.wrap(new byte[] {0, 27})));
        assertThrows(WireException.class, () -> bad.next(ByteBuffer.wrap(new byte[] {0, 30})));
        assertTrue(bad.isFailed());
        assertThrows(WireException.class, () -> new FrameDecoder(100).next(ByteBuffer.wrap(new byte[] {0, 101})));
        assertSame(null, new FrameDecoder().next(ByteBuffer.wrap(new byte[] {(byte) 0xff, (byte) 0xff, 1, 2})));
    }
}
