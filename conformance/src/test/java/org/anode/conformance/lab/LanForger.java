package org.anode.conformance.lab;

import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.concurrent.locks.LockSupport;
import org.anode.address.AnodeIdentity;
import org.anode.address.Zone;
import org.anode.engine.Discovery;
import org.anode.engine.Engine;
import org.anode.engine.EngineConfig;
import org.anode.engine.Peer;

/**
 * A hostile host on a LAN (draft 4.2.6, DECISIONS 37), run in a lab namespace: sends LAN discovery
 * packets that no honest node would, at a given rate, and prints {@code sent N} when done.
 *
 * <pre>
 * LanForger forge HOST PORT COUNT PPS HEX      the announcement HEX (someone else's), from here
 * LanForger random HOST PORT COUNT PPS SEED    announcements of made-up addresses, each new
 * LanForger queries HOST PORT COUNT PPS SEED   queries MACed for addresses nobody on the LAN has
 * </pre>
 */
public final class LanForger {
    private LanForger() {}

    public static void main(String[] args) throws Exception {
        String mode = args[0];
        InetAddress host = InetAddress.getByName(args[1]);
        int port = Integer.parseInt(args[2]);
        int count = Integer.parseInt(args[3]);
        int pps = Integer.parseInt(args[4]);
        List<byte[]> packets = new ArrayList<>();
        switch (mode) {
            case "forge" -> packets.add(HexFormat.of().parseHex(args[5]));
            case "random" -> {
                Random rnd = new Random(Long.parseLong(args[5]));
                byte[] template = announcement(AnodeIdentity.generate(Zone.DEFAULT));
                for (int i = 0; i < 4096; i++) {
                    byte[] b = template.clone();
                    byte[] key = new byte[32];
                    rnd.nextBytes(key);
                    // Type and reserved bytes kept (offset 10: sender address), the key made up.
                    System.arraycopy(key, 0, b, 10 + 8, 32);
                    packets.add(b);
                }
            }
            case "queries" -> {
                Engine me = new Engine(AnodeIdentity.generate(Zone.DEFAULT), EngineConfig.defaults(), System::nanoTime);
                for (int i = 0; i < 64; i++) {
                    Peer absent =
                            me.peerFor(AnodeIdentity.generate(Zone.DEFAULT).address());
                    ByteBuffer b = ByteBuffer.allocate(512);
                    me.writeQuery(b, absent);
                    b.flip();
                    byte[] q = new byte[b.remaining()];
                    b.get(q);
                    packets.add(q);
                }
            }
            default -> throw new IllegalArgumentException("unknown mode " + mode);
        }
        try (DatagramSocket s = new DatagramSocket()) {
            s.setBroadcast(true);
            long start = System.nanoTime();
            long gap = 1_000_000_000L / pps;
            for (int i = 0; i < count; i++) {
                long wait = start + i * gap - System.nanoTime();
                if (wait > 0) {
                    LockSupport.parkNanos(wait);
                }
                byte[] b = packets.get(i % packets.size());
                s.send(new DatagramPacket(b, b.length, host, port));
            }
            System.out.println("sent " + count + " from " + s.getLocalPort());
        }
    }

    /** The announcement {@code id} broadcasts (as its node would). */
    static byte[] announcement(AnodeIdentity id) {
        Engine e = new Engine(id, EngineConfig.defaults(), System::nanoTime);
        ByteBuffer a = new Discovery(e, p -> {}, Discovery.ANNOUNCE_INTERVAL_NANOS).announcement();
        byte[] b = new byte[a.remaining()];
        a.get(b);
        return b;
    }
}
