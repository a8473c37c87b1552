package org.anode.conformance.linkemu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketException;
import java.nio.ByteBuffer;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.anode.address.AnodeIdentity;
import org.anode.address.Zone;
import org.anode.linkemu.LinkEmulator;
import org.anode.linkemu.LinkProfile;
import org.anode.nio.AnodeNode;
import org.anode.nio.AnodeNodeConfig;
import org.anode.nio.AnodeServerSocketChannel;
import org.anode.nio.AnodeSocketAddress;
import org.anode.nio.AnodeSocketChannel;
import org.anode.nio.AnodeSocketOptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Anode streams between two real nodes whose UDP path runs through the {@link LinkEmulator}: a
 * transfer over a lossy, jittery path delivers every byte, and a reader whose peer vanished (all
 * packets dropped from then on) learns it from the peer-silence timeout.
 */
@Timeout(120)
class EmulatedPathStreamTest {
    private static final long MS = 1_000_000L;

    /** Two nodes, client and server, introduced to each other through an emulator. */
    static final class Pair implements AutoCloseable {
        final AnodeNode client;
        final AnodeNode server;
        final LinkEmulator emu;
        final AnodeServerSocketChannel listener;

        Pair(long seed) throws IOException {
            AnodeNodeConfig cfg = AnodeNodeConfig.builder()
                    .bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))
                    .build();
            client = AnodeNode.start(AnodeIdentity.generate(Zone.DEFAULT), cfg);
            server = AnodeNode.start(AnodeIdentity.generate(Zone.DEFAULT), cfg);
            emu = new LinkEmulator(
                    client.localEndpoints().get(0), server.localEndpoints().get(0), seed);
            client.addPeerEndpoint(server.address(), emu.addressForA());
            server.addPeerEndpoint(client.address(), emu.addressForB());
            listener = AnodeServerSocketChannel.open(server);
            listener.bind(AnodeSocketAddress.of(server.address(), 0), 16);
        }

        AnodeSocketChannel connect() throws IOException {
            return AnodeSocketChannel.open(client, (AnodeSocketAddress) listener.getLocalAddress());
        }

        @Override
        public void close() throws IOException {
            listener.close();
            client.close();
            server.close();
            emu.close();
        }
    }

    @Test
    void everyByteArrivesOverALossyJitteryPath() throws Exception {
        try (Pair p = new Pair(11)) {
            p.emu.setProfile(LinkProfile.CLEAN.withLoss(0.05).withDelay(10 * MS, 3 * MS));
            byte[] data = new byte[2 << 20];
            new Random(5).nextBytes(data);
            try (AnodeSocketChannel c = p.connect();
                    AnodeSocketChannel s = p.listener.accept()) {
                CompletableFuture<Void> writer = CompletableFuture.runAsync(() -> {
                    try {
                        ByteBuffer b = ByteBuffer.wrap(data);
                        while (b.hasRemaining()) {
                            c.write(b);
                        }
                        c.shutdownOutput();
                    } catch (IOException e) {
                        throw new RuntimeException(e);
                    }
                });
                ByteBuffer got = ByteBuffer.allocate(data.length + 1);
                while (s.read(got) >= 0) {
                    assertTrue(got.position() <= data.length);
                }
                writer.get(60, TimeUnit.SECONDS);
                assertEquals(data.length, got.position());
                assertArrayEquals(data, java.util.Arrays.copyOf(got.array(), data.length));
            }
            assertTrue(p.emu.statsAToB().lost.get() > 0, "the path really lost packets");
        }
    }

    @Test
    void aBlockedReaderLearnsThatItsPeerIsGone() throws Exception {
        try (Pair p = new Pair(12)) {
            try (AnodeSocketChannel c = p.connect();
                    AnodeSocketChannel s = p.listener.accept()) {
                s.setOption(AnodeSocketOptions.PEER_SILENCE_TIMEOUT, 2000);
                assertEquals(2000, s.getOption(AnodeSocketOptions.PEER_SILENCE_TIMEOUT));
                c.write(ByteBuffer.wrap(new byte[] {1, 2, 3}));
                ByteBuffer b = ByteBuffer.allocate(16);
                while (b.position() < 3) {
                    s.read(b);
                }
                // The client's node "dies": from now on nothing gets through in either direction,
                // and nobody sends a close on its behalf.
                p.emu.setProfile(LinkProfile.CLEAN.withLoss(1.0));
                SocketException e = assertThrows(SocketException.class, () -> s.read(b));
                assertEquals("Connection timed out", e.getMessage());
                assertTrue(p.emu.statsBToA().lost.get() > 0, "the waiting reader probed its peer");
            }
        }
    }

    @Test
    void invalidTimeoutsAreRefused() throws Exception {
        try (Pair p = new Pair(13);
                AnodeSocketChannel c = AnodeSocketChannel.open(p.client)) {
            assertThrows(IllegalArgumentException.class, () -> c.setOption(AnodeSocketOptions.USER_TIMEOUT, 0));
            assertThrows(
                    IllegalArgumentException.class, () -> c.setOption(AnodeSocketOptions.PEER_SILENCE_TIMEOUT, -1));
            c.setOption(AnodeSocketOptions.USER_TIMEOUT, 45_000);
            assertEquals(45_000, c.getOption(AnodeSocketOptions.USER_TIMEOUT));
            assertEquals(30_000, c.getOption(AnodeSocketOptions.PEER_SILENCE_TIMEOUT));
        }
    }
}
