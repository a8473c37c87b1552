package org.anode.conformance.linkemu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.util.HashSet;
import java.util.Set;
import org.anode.linkemu.LinkEmulator;
import org.anode.linkemu.LinkProfile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The link emulator on real UDP sockets (127.0.0.1, ephemeral ports): forwarding both ways and its impairments. */
@Timeout(60)
class LinkEmulatorTest {
    private static DatagramChannel bind() throws IOException {
        DatagramChannel ch = DatagramChannel.open();
        ch.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        ch.configureBlocking(false);
        return ch;
    }

    /** Receives one datagram within {@code timeoutMs}, or null. */
    private static byte[] receive(DatagramChannel ch, long timeoutMs, SocketAddress[] from) throws IOException {
        try (Selector sel = Selector.open()) {
            ch.register(sel, SelectionKey.OP_READ);
            ByteBuffer b = ByteBuffer.allocate(65535);
            long deadline = System.nanoTime() + timeoutMs * 1_000_000;
            while (true) {
                SocketAddress src = ch.receive(b);
                if (src != null) {
                    if (from != null) {
                        from[0] = src;
                    }
                    b.flip();
                    byte[] out = new byte[b.remaining()];
                    b.get(out);
                    return out;
                }
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return null;
                }
                sel.select(Math.max(1, left / 1_000_000));
                sel.selectedKeys().clear();
            }
        }
    }

    @Test
    void forwardsBothWaysAndBSeesTheEmulatorAsA() throws IOException {
        try (DatagramChannel a = bind();
                DatagramChannel b = bind();
                LinkEmulator emu = new LinkEmulator(
                        (InetSocketAddress) a.getLocalAddress(), (InetSocketAddress) b.getLocalAddress(), 1)) {
            SocketAddress[] from = new SocketAddress[1];
            for (int i = 0; i < 50; i++) {
                byte[] msg = ("ping " + i).getBytes();
                a.send(ByteBuffer.wrap(msg), emu.addressForA());
                assertArrayEquals(msg, receive(b, 5000, from));
                assertEquals(emu.addressForB(), from[0]);
                byte[] reply = ("pong " + i).getBytes();
                b.send(ByteBuffer.wrap(reply), from[0]);
                assertArrayEquals(reply, receive(a, 5000, from));
                assertEquals(emu.addressForA(), from[0]);
            }
            assertEquals(50, emu.statsAToB().forwarded.get());
            assertEquals(50, emu.statsBToA().forwarded.get());
        }
    }

    @Test
    void learnsAFromItsFirstDatagram() throws IOException {
        try (DatagramChannel a = bind();
                DatagramChannel b = bind();
                LinkEmulator emu = new LinkEmulator(null, (InetSocketAddress) b.getLocalAddress(), 2)) {
            a.send(ByteBuffer.wrap(new byte[] {1}), emu.addressForA());
            SocketAddress[] from = new SocketAddress[1];
            assertArrayEquals(new byte[] {1}, receive(b, 5000, from));
            b.send(ByteBuffer.wrap(new byte[] {2}), from[0]);
            assertArrayEquals(new byte[] {2}, receive(a, 5000, null));
        }
    }

    @Test
    void totalLossForwardsNothingAndCountsIt() throws IOException {
        try (DatagramChannel a = bind();
                DatagramChannel b = bind();
                LinkEmulator emu = new LinkEmulator(
                        (InetSocketAddress) a.getLocalAddress(), (InetSocketAddress) b.getLocalAddress(), 3)) {
            emu.setAToB(LinkProfile.CLEAN.withLoss(1.0));
            for (int i = 0; i < 20; i++) {
                a.send(ByteBuffer.wrap(new byte[] {(byte) i}), emu.addressForA());
            }
            assertNull(receive(b, 300, null));
            // The other direction is untouched.
            b.send(ByteBuffer.wrap(new byte[] {9}), emu.addressForB());
            assertArrayEquals(new byte[] {9}, receive(a, 5000, null));
            assertEquals(20, emu.statsAToB().received.get());
            assertEquals(20, emu.statsAToB().lost.get());
        }
    }

    @Test
    void corruptionDuplicationAndJitterOnTheRealPath() throws IOException {
        try (DatagramChannel a = bind();
                DatagramChannel b = bind();
                LinkEmulator emu = new LinkEmulator(
                        (InetSocketAddress) a.getLocalAddress(), (InetSocketAddress) b.getLocalAddress(), 4)) {
            emu.setAToB(LinkProfile.CLEAN.withCorrupt(1.0).withDuplicate(1.0).withDelay(3_000_000, 2_000_000));
            int n = 40;
            for (int i = 0; i < n; i++) {
                byte[] msg = new byte[64];
                msg[0] = (byte) i;
                a.send(ByteBuffer.wrap(msg), emu.addressForA());
            }
            int intact = 0;
            int flipped = 0;
            Set<Integer> seen = new HashSet<>();
            for (int i = 0; i < 2 * n; i++) {
                byte[] got = receive(b, 5000, null);
                assertTrue(got != null && got.length == 64, "datagram " + i);
                int bits = 0;
                for (int k = 1; k < got.length; k++) {
                    bits += Integer.bitCount(got[k] & 0xFF);
                }
                if (bits == 0) {
                    intact++;
                    seen.add(got[0] & 0xFF);
                } else {
                    flipped++;
                    assertEquals(1, bits);
                }
            }
            // Every packet arrives twice: the original corrupted in one bit (which may be in byte 0),
            // the duplicate intact.
            assertTrue(intact >= n && flipped <= n, intact + "/" + flipped);
            assertEquals(n, seen.size());
            assertEquals(n, emu.statsAToB().corrupted.get());
            assertEquals(n, emu.statsAToB().duplicated.get());
        }
    }

    @Test
    void queueLimitBoundsWhatIsHeld() throws IOException {
        try (DatagramChannel a = bind();
                DatagramChannel b = bind();
                LinkEmulator emu = new LinkEmulator(
                        (InetSocketAddress) a.getLocalAddress(), (InetSocketAddress) b.getLocalAddress(), 5)) {
            // 10 kB/s: each 1000-byte datagram takes about 100 ms, so a burst of 30 overflows 5 slots.
            emu.setAToB(LinkProfile.CLEAN.withRate(10_000).withLimit(5));
            for (int i = 0; i < 30; i++) {
                a.send(ByteBuffer.wrap(new byte[972]), emu.addressForA());
            }
            int got = 0;
            while (receive(b, 2000, null) != null) {
                got++;
            }
            assertEquals(30, emu.statsAToB().received.get());
            assertEquals(got, emu.statsAToB().forwarded.get());
            assertEquals(30, got + emu.statsAToB().queueDrops.get());
            assertTrue(got >= 5 && got < 30, "forwarded " + got);
        }
    }
}
