package org.anode.conformance.wire;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.anode.crypto.internal.AesCmac;
import org.anode.wire.AckRange;
import org.anode.wire.AddressField;
import org.anode.wire.Endpoint;
import org.anode.wire.Message;
import org.anode.wire.MessageFields;
import org.anode.wire.MessageType;
import org.anode.wire.Packet;
import org.anode.wire.PacketReader;
import org.anode.wire.PacketWriter;
import org.anode.wire.SenderForm;

/** decode(encode(x)) == x for every endpoint, message and packet form (draft 2.10, 3, 4, 5). */
class WireRoundTripProperties {

    @Provide
    Arbitrary<Endpoint> endpoints() {
        return WireArbitraries.endpoints();
    }

    @Provide
    Arbitrary<Message> messages() {
        return WireArbitraries.messages();
    }

    @Provide
    Arbitrary<Packet> packets() {
        return WireArbitraries.packets();
    }

    @Property(tries = 500)
    void endpointRoundTrip(@ForAll("endpoints") Endpoint e) throws Exception {
        ByteBuffer b = ByteBuffer.allocate(e.encodedLength() + 3);
        e.writeTo(b);
        assertEquals(e.encodedLength(), b.position());
        b.put(new byte[] {9, 9, 9}).flip();
        assertEquals(e, Endpoint.read(b));
        assertEquals(3, b.remaining(), "read stops at the endpoint's end");
        assertEquals(e.encodedLength(), Endpoint.validate(b, 0, b.limit()));
        e.socketAddress().ifPresent(sa -> assertEquals(e, e.type().isTcp() ? Endpoint.tcp(sa) : Endpoint.udp(sa)));
    }

    @Property(tries = 1000)
    void messageRoundTrip(@ForAll("messages") Message m) throws Exception {
        ByteBuffer b = ByteBuffer.allocate(m.encodedLength());
        m.writeTo(b);
        assertFalse(b.hasRemaining());
        b.flip();
        MessageFields.validate(m.type().code(), b, 0, b.limit());
        assertEquals(m, Message.decode(m.type(), b));
        assertEquals(
                m.hashCode(), Message.decode(m.type().code(), b, 0, b.limit()).hashCode());
    }

    @Property(tries = 1000)
    void packetRoundTripWithMac(@ForAll("packets") Packet p) throws Exception {
        AesCmac k = AesCmac.forKey(WireArbitraries.KEY);
        byte[] bytes = p.toByteArray(k);
        assertEquals(p.encodedLength(), bytes.length);
        PacketReader r = new PacketReader().wrap(ByteBuffer.wrap(bytes));
        assertTrue(r.verifyMac(k));
        assertEquals(p, r.toPacket());
        assertEquals(p.flags(), r.flags());
        assertEquals(p.message(), r.message());
        assertEquals(p, Packet.decode(ByteBuffer.wrap(bytes)));
    }

    @Provide
    Arbitrary<Message> dataPathMessages() {
        return WireArbitraries.messages()
                .filter(m -> m.type() == MessageType.S_DATA
                        || m.type() == MessageType.S_ACK
                        || m.type() == MessageType.S_DACK
                        || m.type() == MessageType.DGRAM);
    }

    /**
     * The hot path (PacketWriter + MessageFields writers, PacketReader + MessageFields getters)
     * and the records agree byte for byte and field for field.
     */
    @Property(tries = 500)
    void hotPathAgreesWithRecords(
            @ForAll("dataPathMessages") Message m,
            @ForAll boolean senderFull,
            @ForAll("peerIds") int sp,
            @ForAll("peerIds") int rp)
            throws Exception {
        AesCmac k = AesCmac.forKey(WireArbitraries.KEY);
        byte[] expected = new Packet(
                        0,
                        false,
                        senderFull ? AddressField.full(WireArbitraries.A) : AddressField.shortOf(WireArbitraries.A),
                        AddressField.shortOf(WireArbitraries.B),
                        sp,
                        rp,
                        m)
                .toByteArray(k);
        ByteBuffer b = ByteBuffer.allocate(expected.length + 10).position(10);
        PacketWriter w = new PacketWriter();
        w.begin(
                b,
                WireArbitraries.A,
                senderFull ? SenderForm.FULL : SenderForm.SHORT,
                WireArbitraries.B,
                sp,
                rp,
                m.type());
        if (m instanceof Message.SData d) {
            MessageFields.writeSDataHeader(b, d.senderLinkId(), d.destinationPort(), d.sequence());
            b.put(d.payload());
        } else if (m instanceof Message.Dgram d) {
            MessageFields.writeDgramHeader(b, d.sourcePort(), d.destinationPort());
            b.put(d.payload());
        } else if (m instanceof Message.SAck a) {
            MessageFields.writeSAckHeader(b, a.senderLinkId(), a.destinationPort(), a.window());
            for (AckRange r : a.ranges()) {
                MessageFields.writeAckRange(b, r.first(), r.count());
            }
        } else if (m instanceof Message.SDack a) {
            MessageFields.writeSDackHeader(
                    b,
                    a.senderLinkId(),
                    a.destinationPort(),
                    a.window(),
                    a.ranges().size());
            for (AckRange r : a.ranges()) {
                MessageFields.writeAckRange(b, r.first(), r.count());
            }
            b.putInt(a.sequence());
            b.put(a.payload());
        }
        assertEquals(expected.length, w.finish(k));
        byte[] got = new byte[expected.length];
        b.get(10, got);
        assertArrayEquals(expected, got);

        PacketReader r = new PacketReader().wrap(b.flip().position(10));
        assertTrue(r.verifyMac(k));
        ByteBuffer buf = r.buffer();
        int off = r.payloadOffset();
        int lim = r.payloadLimit();
        if (m instanceof Message.SData d) {
            assertEquals(d.senderLinkId(), MessageFields.linkId(buf, off));
            assertEquals(d.destinationPort(), MessageFields.destinationPort(buf, off));
            assertEquals(d.sequence(), MessageFields.sDataSequence(buf, off));
            assertEquals(d.payload().length, lim - MessageFields.sDataPayloadOffset(off));
        } else if (m instanceof Message.Dgram d) {
            assertEquals(d.sourcePort(), MessageFields.dgramSourcePort(buf, off));
            assertEquals(d.destinationPort(), MessageFields.destinationPort(buf, off));
            assertEquals(d.payload().length, lim - MessageFields.dgramPayloadOffset(off));
        } else if (m instanceof Message.SAck a) {
            assertEquals(a.window(), MessageFields.window(buf, off));
            assertEquals(a.ranges().size(), MessageFields.sAckRangeCount(off, lim));
            for (int i = 0; i < a.ranges().size(); i++) {
                int ro = MessageFields.sAckRangesOffset(off) + MessageFields.ACK_RANGE_LENGTH * i;
                assertEquals(
                        a.ranges().get(i),
                        new AckRange(MessageFields.ackFirst(buf, ro), MessageFields.ackCount(buf, ro)));
            }
        } else if (m instanceof Message.SDack a) {
            assertEquals(a.window(), MessageFields.window(buf, off));
            assertEquals(a.ranges().size(), MessageFields.sDackRangeCount(buf, off));
            for (int i = 0; i < a.ranges().size(); i++) {
                int ro = MessageFields.sDackRangesOffset(off) + MessageFields.ACK_RANGE_LENGTH * i;
                assertEquals(
                        a.ranges().get(i),
                        new AckRange(MessageFields.ackFirst(buf, ro), MessageFields.ackCount(buf, ro)));
            }
            assertEquals(a.sequence(), MessageFields.sDackSequence(buf, off));
            assertEquals(a.payload().length, lim - MessageFields.sDackPayloadOffset(buf, off));
        }
    }

    @Provide
    Arbitrary<Integer> peerIds() {
        return Arbitraries.integers().between(0, 15);
    }
}
