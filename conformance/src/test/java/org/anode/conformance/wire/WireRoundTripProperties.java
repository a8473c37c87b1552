package org.anode.conformance.wire;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.anode.crypto.internal.AesCmac;
import org.anode.wire.Endpoint;
import org.anode.wire.Message;
import org.anode.wire.MessageFields;
import org.anode.wire.Packet;
import org.anode.wire.PacketReader;

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
        assertEquals(m.hashCode(), Message.decode(m.type().code(), b, 0, b.limit()).hashCode());
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
}
