package org.anode.conformance.wire;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import org.anode.crypto.internal.AesCmac;
import org.anode.wire.MessageFields;
import org.anode.wire.MessageType;
import org.anode.wire.PacketReader;
import org.anode.wire.PacketWriter;
import org.anode.wire.SenderForm;
import org.anode.wire.WireException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The data path allocates nothing per packet (issue 3): encode + MAC and decode + verify of an
 * S_DATA packet (draft 3, 5.2.3), counted with the JVM's per-thread allocation counter. The JMH benchmark's
 * {@code -prof gc} run is the authoritative figure; this keeps a regression from slipping in. It
 * lives here, on the class path, because the module-patched anode-nio tests cannot read java.management.
 */
@Timeout(60)
class HotPathAllocationTest {
    private static final int ROUNDS = 20_000;

    @Test
    void encodeAndDecodeOfSDataAllocateNothing() throws Exception {
        java.lang.management.ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        assumeTrue(mx instanceof com.sun.management.ThreadMXBean, "per-thread allocation counter not available");
        com.sun.management.ThreadMXBean tmx = (com.sun.management.ThreadMXBean) mx;
        assumeTrue(tmx.isThreadAllocatedMemorySupported() && tmx.isThreadAllocatedMemoryEnabled());

        AesCmac k = AesCmac.forKey(WireArbitraries.KEY);
        PacketWriter w = new PacketWriter();
        PacketReader r = new PacketReader();
        ByteBuffer heap = ByteBuffer.allocate(1500);
        ByteBuffer direct = ByteBuffer.allocateDirect(1500);
        ByteBuffer payload = ByteBuffer.allocate(1364);
        WireArbitraries.A.shortId();
        WireArbitraries.B.shortId();
        long sink = 0;
        // Warm up (class loading, lazy JDK internals), then measure.
        for (int i = 0; i < 2_000; i++) {
            sink += roundTrip(w, r, k, heap, payload, i) + roundTrip(w, r, k, direct, payload, i);
        }
        long tid = Thread.currentThread().getId();
        // The first calls of the counter itself may allocate; prime it.
        tmx.getThreadAllocatedBytes(tid);
        long before = tmx.getThreadAllocatedBytes(tid);
        for (int i = 0; i < ROUNDS; i++) {
            sink += roundTrip(w, r, k, heap, payload, i) + roundTrip(w, r, k, direct, payload, i);
        }
        long allocated = tmx.getThreadAllocatedBytes(tid) - before;
        assertTrue(sink != 0);
        // A single per-packet object would be >= 16 B x 40 000 packets = 640 000 bytes. The bound
        // leaves room for what the JVM may charge to this thread now and then (JIT recompilation,
        // lazily initialised JDK internals), which is not per packet: a few KiB were seen in CI.
        assertTrue(
                allocated < 64 * 1024, "hot path allocated " + allocated + " bytes over " + (2 * ROUNDS) + " packets");
    }

    private static long roundTrip(
            PacketWriter w, PacketReader r, AesCmac k, ByteBuffer buf, ByteBuffer payload, int seq)
            throws WireException {
        buf.clear();
        w.begin(buf, WireArbitraries.A, SenderForm.SHORT, WireArbitraries.B, 1, 2, MessageType.S_DATA);
        MessageFields.writeSDataHeader(buf, 7, 80, seq);
        buf.put(payload.clear());
        int len = w.finish(k);
        assertEquals(1400, len);
        buf.flip();
        r.wrap(buf);
        if (!r.verifyMac(k) || !r.senderIs(WireArbitraries.A) || r.isAuthErrorResponse()) {
            throw new AssertionError("round trip failed");
        }
        return MessageFields.sDataSequence(buf, r.payloadOffset()) + r.payloadLength();
    }
}
