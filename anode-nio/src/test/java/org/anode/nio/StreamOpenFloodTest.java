package org.anode.nio;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.anode.address.AnodeIdentity;
import org.anode.address.Zone;
import org.anode.crypto.internal.AesCmac;
import org.anode.wire.MessageFields;
import org.anode.wire.MessageType;
import org.anode.wire.PacketWriter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * S_OPEN floods against a listener (addendum A12): authenticated S_OPENs that never complete the
 * handshake, from one peer or from many throwaway identities, while a legitimate peer connects -
 * it succeeds every time, because once half-open connections press on the backlog (or one remote
 * holds too many) S_OPENs are answered without state and only a proven opener gets a connection.
 */
@Timeout(180)
class StreamOpenFloodTest {
    private static final int BACKLOG = 50;

    /** Authenticated S_OPEN packets from {@code id} to {@code server}, for port {@code port}. */
    private static List<byte[]> opens(AnodeIdentity id, AnodeNode server, int port, int n, Random rnd)
            throws Exception {
        byte[] key = id.agree(server.address());
        AesCmac mac = AesCmac.forKey(key);
        List<byte[]> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            PacketWriter w = new PacketWriter();
            ByteBuffer buf = NodeTestSupport.firstContact(w, id, server.address(), MessageType.S_OPEN);
            MessageFields.writeSOpen(buf, 1 + rnd.nextInt(0xFFFF), port, 64, rnd.nextInt(), 0);
            w.finish(mac);
            out.add(NodeTestSupport.bytes(buf));
        }
        return out;
    }

    /** Sends {@code packets} round-robin to {@code to} until {@code stop}, at most {@code max}. */
    private static Thread flood(
            List<byte[]> packets, InetSocketAddress to, AtomicBoolean stop, AtomicLong sent, long max) {
        Thread t = new Thread(
                () -> {
                    try (DatagramChannel ch = DatagramChannel.open()) {
                        for (long i = 0; i < max && !stop.get(); i++) {
                            ch.send(ByteBuffer.wrap(packets.get((int) (i % packets.size()))), to);
                            sent.incrementAndGet();
                            if ((i & 63) == 63) {
                                // Tens of thousands per second, without starving the nodes of the two cores.
                                Thread.sleep(1);
                            }
                        }
                    } catch (Exception e) {
                        // The test ends the flood by closing the nodes; nothing to report.
                    }
                },
                "s_open-flood");
        t.setDaemon(true);
        t.start();
        return t;
    }

    private static void connectsWhileFlooded(List<byte[]> floodPackets, StreamTestSupport s) throws Exception {
        AtomicBoolean stop = new AtomicBoolean();
        AtomicLong sent = new AtomicLong();
        Thread f = flood(floodPackets, s.server.localEndpoints().get(0), stop, sent, 2_000_000);
        try {
            // Let the flood fill what it can first.
            StreamTestSupport.awaitTrue(() -> sent.get() > 5000, 20_000);
            StreamTestSupport.awaitTrue(() -> s.listener.halfOpen() >= BACKLOG / 2, 10_000);
            for (int i = 0; i < 10; i++) {
                AnodeSocketChannel[] pair = s.connect();
                byte[] msg = {(byte) i, 1, 2, 3};
                StreamTestSupport.writeFully(pair[0], msg);
                assertArrayEquals(msg, StreamTestSupport.readFully(pair[1], msg.length));
                pair[0].close();
                pair[1].close();
            }
            assertTrue(s.listener.halfOpen() <= BACKLOG, "half-open " + s.listener.halfOpen());
        } finally {
            stop.set(true);
            f.join(5000);
        }
        assertTrue(sent.get() > 5000, "the flood ran: " + sent.get());
    }

    @Test
    void onePeersOpenFloodDoesNotBlockALegitimatePeer() throws Exception {
        try (StreamTestSupport s = new StreamTestSupport(BACKLOG)) {
            AnodeIdentity mallory = AnodeIdentity.generate(Zone.DEFAULT);
            List<byte[]> packets = opens(mallory, s.server, s.target.port(), 4096, new Random(1));
            connectsWhileFlooded(packets, s);
        }
    }

    @Test
    void aThrowawayIdentityFloodDoesNotBlockALegitimatePeer() throws Exception {
        try (StreamTestSupport s = new StreamTestSupport(BACKLOG)) {
            Random rnd = new Random(2);
            List<byte[]> packets = new ArrayList<>();
            for (int i = 0; i < 200; i++) {
                packets.addAll(opens(AnodeIdentity.generate(Zone.DEFAULT), s.server, s.target.port(), 20, rnd));
            }
            java.util.Collections.shuffle(packets, rnd);
            connectsWhileFlooded(packets, s);
        }
    }
}
