package org.anode.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordingStream;
import org.anode.address.AnodeIdentity;
import org.anode.address.Zone;
import org.anode.crypto.internal.AesCmac;
import org.anode.wire.AddressField;
import org.anode.wire.Message;
import org.anode.wire.Packet;
import org.anode.wire.PacketReader;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The relay decision event (org.anode.RelayDecision) as a relay records it from a packet's header. */
@Timeout(60)
class EngineEventsTest {
    @Test
    void relayDecisionNamesSenderRecipientHopsVerdictAndReason() throws Exception {
        AnodeIdentity a = AnodeIdentity.generate(Zone.DEFAULT);
        AnodeIdentity b = AnodeIdentity.generate(Zone.DEFAULT);
        AesCmac cmac = AesCmac.forKey(a.agree(b.address()));
        byte[] full = new Packet(
                        2,
                        false,
                        AddressField.full(a.address()),
                        AddressField.full(b.address()),
                        1,
                        0,
                        new Message.Ping(new byte[] {1}))
                .toByteArray(cmac);
        byte[] shortForm = new Packet(
                        0,
                        false,
                        AddressField.shortOf(a.address()),
                        AddressField.shortOf(b.address()),
                        1,
                        0,
                        new Message.Ping(new byte[] {2}))
                .toByteArray(cmac);
        List<RecordedEvent> events = new CopyOnWriteArrayList<>();
        try (RecordingStream rs = new RecordingStream()) {
            rs.enable("org.anode.RelayDecision");
            rs.onEvent("org.anode.RelayDecision", events::add);
            rs.startAsync();
            EngineEvents.relayed(
                    new PacketReader().wrap(ByteBuffer.wrap(full)),
                    EngineEvents.RelayVerdict.FORWARDED,
                    new java.net.InetSocketAddress(
                            java.net.InetAddress.getByAddress(new byte[] {(byte) 192, 0, 2, 1}), 9));
            EngineEvents.relayed(
                    new PacketReader().wrap(ByteBuffer.wrap(shortForm)),
                    EngineEvents.RelayVerdict.DROPPED,
                    "hop limit");
            long deadline = System.nanoTime() + 30_000_000_000L;
            while (events.size() < 2 && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
        }
        assertEquals(2, events.size(), events.toString());
        RecordedEvent f = events.stream()
                .filter(e -> e.getString("verdict").equals("FORWARDED"))
                .findFirst()
                .orElseThrow();
        assertEquals(a.address().toString(), f.getString("sender"));
        assertEquals(b.address().toString(), f.getString("recipient"));
        assertEquals(2, f.getInt("hops"));
        assertEquals("to /192.0.2.1:9", f.getString("reason"));
        RecordedEvent d = events.stream()
                .filter(e -> e.getString("verdict").equals("DROPPED"))
                .findFirst()
                .orElseThrow();
        assertEquals(a.address().shortId().toString(), d.getString("sender"));
        assertEquals(b.address().shortId().toString(), d.getString("recipient"));
        assertEquals("hop limit", d.getString("reason"));
        assertTrue(d.getEventType().getCategoryNames().contains("Anode"));
    }
}
