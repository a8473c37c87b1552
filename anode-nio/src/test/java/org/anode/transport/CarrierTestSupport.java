package org.anode.transport;

import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.concurrent.LinkedBlockingQueue;
import org.anode.engine.PacketReceiver;
import org.anode.engine.Transport;

/** A receiver that records packets and their sources, for transport tests. */
final class CarrierTestSupport implements PacketReceiver {
    record Received(Transport via, InetSocketAddress source, byte[] packet) {}

    final LinkedBlockingQueue<Received> received = new LinkedBlockingQueue<>();

    @Override
    public void receive(Transport via, InetSocketAddress source, ByteBuffer packet) {
        byte[] b = new byte[packet.remaining()];
        packet.get(b);
        received.add(new Received(via, source, b));
    }

    Received take() throws InterruptedException {
        Received r = received.poll(10, java.util.concurrent.TimeUnit.SECONDS);
        if (r == null) {
            throw new AssertionError("no packet within 10 s");
        }
        return r;
    }

    /** A fake packet of {@code n} bytes (at least the minimum header) filled with {@code fill}. */
    static byte[] packet(int n, int fill) {
        byte[] b = new byte[n];
        java.util.Arrays.fill(b, (byte) fill);
        b[1] = 0;
        return b;
    }

    /** {@code p} with its 16-bit length prefix (DECISIONS 14). */
    static byte[] framed(byte[] p) {
        ByteBuffer b = ByteBuffer.allocate(p.length + 2);
        b.putShort((short) p.length).put(p);
        return b.array();
    }
}
