package org.anode.transport;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.time.Duration;
import java.util.List;
import org.anode.address.AnodeAddress;
import org.anode.address.AnodeIdentity;
import org.anode.address.Zone;
import org.anode.engine.EventLoop;
import org.anode.wire.MessageType;
import org.anode.wire.PacketWriter;
import org.anode.wire.SenderForm;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * When a relay link gives UDP up (draft 2.9.1-2.9.3, DECISIONS 38): only silence after packets
 * the relay itself must answer counts. Packets it forwards are answered by their recipients,
 * possibly over another path; a link that counted them left UDP that worked whenever a peer
 * answered directly while we still sent through the relay.
 */
@Timeout(30)
class RelayLinkSilenceTest {
    private static final InetAddress LO = InetAddress.getLoopbackAddress();
    private static final AnodeAddress SELF =
            AnodeIdentity.generate(Zone.DEFAULT).address();
    private static final AnodeAddress RELAY =
            AnodeIdentity.generate(Zone.DEFAULT).address();
    private static final AnodeAddress PEER =
            AnodeIdentity.generate(Zone.DEFAULT).address();
    /** Long enough for the 3 s silence of DECISIONS 38 and the link's own tick. */
    private static final Duration BEYOND_SILENCE = Duration.ofMillis(4500);

    @Test
    void forwardedTrafficWithoutAnswersKeepsUdp() throws Exception {
        try (Rig r = new Rig()) {
            long end = System.nanoTime() + BEYOND_SILENCE.toNanos();
            while (System.nanoTime() < end) {
                r.link.send(packet(PEER), r.relayEndpoint());
                Thread.sleep(50);
            }
            assertEquals(FallbackPolicy.Carrier.UDP, r.link.carrier(), "packets for a peer, sent through the relay");
        }
    }

    @Test
    void unansweredPacketsForTheRelayItselfLeaveUdp() throws Exception {
        try (Rig r = new Rig()) {
            long end = System.nanoTime() + BEYOND_SILENCE.toNanos();
            while (System.nanoTime() < end && r.link.carrier() == FallbackPolicy.Carrier.UDP) {
                r.link.send(packet(RELAY), r.relayEndpoint());
                Thread.sleep(50);
            }
            long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
            while (r.link.carrier() == FallbackPolicy.Carrier.UDP && System.nanoTime() < deadline) {
                Thread.sleep(50);
            }
            assertEquals(FallbackPolicy.Carrier.TCP, r.link.carrier(), "PINGs to a silent relay");
        }
    }

    @Test
    void forwardedTrafficToASilentRelayMakesTheLinkAskTheRelayThenLeaveUdp() throws Exception {
        try (Rig r = new Rig(true)) {
            long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            while (r.link.carrier() == FallbackPolicy.Carrier.UDP && System.nanoTime() < deadline) {
                r.link.send(packet(PEER), r.relayEndpoint());
                Thread.sleep(50);
            }
            assertEquals(FallbackPolicy.Carrier.TCP, r.link.carrier(), "the relay never answered its PINGs");
            org.junit.jupiter.api.Assertions.assertTrue(r.relayPings.get() >= 1, "the link PINGed the relay");
        }
    }

    /** A PING from us to {@code to}, as the engine would put it on the wire (no MAC needed here). */
    private static ByteBuffer packet(AnodeAddress to) {
        ByteBuffer b = ByteBuffer.allocate(128);
        new PacketWriter().begin(b, SELF, SenderForm.SHORT, to, 0, 0, MessageType.PING);
        b.putLong(42L);
        b.flip();
        return b;
    }

    /** A link to a "relay" whose UDP socket never answers and whose TCP port is only declared. */
    private static final class Rig implements AutoCloseable {
        final EventLoop loop = new EventLoop("relay-link-test");
        final DatagramChannel silentRelay;
        final UdpTransport udp;
        final RelayLink link;

        final java.util.concurrent.atomic.AtomicInteger relayPings = new java.util.concurrent.atomic.AtomicInteger();

        Rig() throws Exception {
            this(false);
        }

        /** With {@code pings}, the link's prober PINGs the relay through the link, as a node's does. */
        Rig(boolean pings) throws Exception {
            loop.start();
            silentRelay = DatagramChannel.open(StandardProtocolFamily.INET);
            silentRelay.bind(new InetSocketAddress(LO, 0));
            udp = UdpTransport.open(loop, new InetSocketAddress(LO, 0), 1400, (via, source, p) -> {});
            InetSocketAddress relayUdp = (InetSocketAddress) silentRelay.getLocalAddress();
            // Nothing listens at the declared TCP port: the link may only try it.
            link = new RelayLink(
                    loop,
                    udp,
                    relayUdp,
                    new InetSocketAddress(LO, relayUdp.getPort()),
                    List.of(),
                    FallbackConfig.defaults(),
                    (via, source, p) -> {},
                    RELAY,
                    pings ? this::pingRelay : null);
        }

        private void pingRelay() {
            relayPings.incrementAndGet();
            try {
                link.send(packet(RELAY), link.endpoint());
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }

        InetSocketAddress relayEndpoint() {
            return link.endpoint();
        }

        @Override
        public void close() throws Exception {
            link.close();
            udp.close();
            silentRelay.close();
            loop.close();
        }
    }
}
