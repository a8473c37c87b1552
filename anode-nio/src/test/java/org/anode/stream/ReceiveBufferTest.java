package org.anode.stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import org.junit.jupiter.api.Test;

/** {@link ReceiveBuffer}: reassembly, the FIN, the bounds and the advertised window. */
class ReceiveBufferTest {
    private static final int ISN = 1000;

    private static ByteBuffer bytes(int n, int seed) {
        ByteBuffer b = ByteBuffer.allocate(n);
        for (int i = 0; i < n; i++) {
            b.put((byte) (seed + i));
        }
        return b.flip();
    }

    private static ReceiveBuffer buffer(int size) {
        ReceiveBuffer r = new ReceiveBuffer(size, 64, 1000);
        r.start(ISN);
        return r;
    }

    private static byte[] readAll(ReceiveBuffer r) {
        ByteBuffer dst = ByteBuffer.allocate(1 << 16);
        r.read(dst);
        dst.flip();
        byte[] out = new byte[dst.remaining()];
        dst.get(out);
        return out;
    }

    @Test
    void inOrderPacketsAreReadableAtOnceAndThePayloadIsNotMoved() {
        ReceiveBuffer r = buffer(64 * 1024);
        ByteBuffer p = bytes(100, 1);
        assertEquals(ReceiveBuffer.IN_ORDER, r.onData(ISN + 1, p, 100));
        assertEquals(0, p.position());
        assertEquals(ISN + 2, r.next());
        assertEquals(100, r.readableBytes());
        assertArrayEquals(bytes(100, 1).array(), readAll(r));
        assertEquals(0, r.readableBytes());
    }

    @Test
    void aGapIsHeldAndFillingItDeliversEverythingInOrder() {
        ReceiveBuffer r = buffer(64 * 1024);
        assertEquals(ReceiveBuffer.OUT_OF_ORDER, r.onData(ISN + 3, bytes(10, 3), 10));
        assertEquals(ReceiveBuffer.OUT_OF_ORDER, r.onData(ISN + 2, bytes(10, 2), 10));
        assertEquals(2, r.heldOutOfOrder());
        assertEquals(ISN + 3, r.highestHeld());
        assertTrue(r.isHeld(ISN + 2));
        assertFalse(r.isHeld(ISN + 4));
        assertEquals(0, r.readableBytes());
        assertEquals(ReceiveBuffer.HELD_DUPLICATE, r.onData(ISN + 3, bytes(10, 3), 10));
        assertEquals(ReceiveBuffer.IN_ORDER_ACK_NOW, r.onData(ISN + 1, bytes(10, 1), 10), "it filled a gap");
        assertEquals(ISN + 4, r.next());
        assertEquals(0, r.heldOutOfOrder());
        ByteBuffer want =
                ByteBuffer.allocate(30).put(bytes(10, 1)).put(bytes(10, 2)).put(bytes(10, 3));
        assertArrayEquals(want.array(), readAll(r));
    }

    @Test
    void oldNumbersAreDuplicatesAndFarOnesAreRefused() {
        ReceiveBuffer r = buffer(64 * 1024);
        r.onData(ISN + 1, bytes(10, 1), 10);
        assertEquals(ReceiveBuffer.OLD_DUPLICATE, r.onData(ISN + 1, bytes(10, 1), 10));
        assertEquals(ReceiveBuffer.IGNORED, r.onData(ISN - ReceiveBuffer.DUP_ACK_HORIZON - 10, bytes(1, 0), 1));
        assertEquals(ReceiveBuffer.BEYOND_WINDOW, r.onData(ISN + 2 + 64, bytes(10, 1), 10));
        assertEquals(ReceiveBuffer.IGNORED, r.onData(ISN + 2, bytes(0, 0), 0), "empty S_DATA with a new number");
    }

    @Test
    void theBufferBoundsWhatIsHeld() {
        ReceiveBuffer r = buffer(4096);
        // Out of order, each packet counts at least a full payload (1000), and room is kept for the
        // packet that fills the gap (the largest seen): the fifth would exceed 4096 - 10 bytes.
        for (int i = 2; i <= 5; i++) {
            assertEquals(ReceiveBuffer.OUT_OF_ORDER, r.onData(ISN + i, bytes(10, 0), 10));
        }
        assertEquals(ReceiveBuffer.NO_ROOM, r.onData(ISN + 6, bytes(10, 0), 10));
        assertTrue(r.allocatedBytes() >= 4000);
    }

    @Test
    void theFinIsDeliveredAfterTheDataBeforeIt() {
        ReceiveBuffer r = buffer(64 * 1024);
        assertEquals(ReceiveBuffer.FIN_ACCEPTED, r.onFin(ISN + 2));
        assertTrue(r.finKnown());
        assertFalse(r.finReceived());
        assertEquals(ReceiveBuffer.IGNORED, r.onData(ISN + 2, bytes(5, 0), 5), "nothing at or past the FIN");
        assertEquals(ReceiveBuffer.IGNORED, r.onFin(ISN + 3), "a FIN elsewhere is inconsistent");
        assertEquals(ReceiveBuffer.IN_ORDER_ACK_NOW, r.onData(ISN + 1, bytes(5, 0), 5));
        assertTrue(r.finReceived());
        assertEquals(ISN + 3, r.next());
        assertEquals(ReceiveBuffer.FIN_DUPLICATE, r.onFin(ISN + 2));
        assertEquals(5, readAll(r).length);
    }

    @Test
    void aFinBelowHeldDataIsIgnored() {
        ReceiveBuffer r = buffer(64 * 1024);
        r.onData(ISN + 3, bytes(5, 0), 5);
        assertEquals(ReceiveBuffer.IGNORED, r.onFin(ISN + 2));
        assertFalse(r.finKnown());
    }

    @Test
    void theWindowIsZeroBelowTheSillyWindowThresholdAndAnUpdateIsDueWhenItReopens() {
        ReceiveBuffer r = buffer(4096);
        assertEquals(4, r.advertiseWindowUnits());
        r.onData(ISN + 1, bytes(3000, 0), 3000);
        // The threshold is min(4096 / 2, max(1024, 1000)) = 1024 bytes: 1096 free bytes are one unit.
        assertEquals(1, r.advertiseWindowUnits());
        r.onData(ISN + 2, bytes(500, 0), 500);
        assertEquals(0, r.advertiseWindowUnits(), "596 free bytes are advertised as none");
        assertFalse(r.windowUpdateDue());
        readAll(r);
        assertTrue(r.windowUpdateDue());
        assertEquals(4, r.advertiseWindowUnits());
        assertFalse(r.windowUpdateDue());
    }

    @Test
    void discardedInputAndIdleBuffersAreReleased() {
        ReceiveBuffer r = buffer(64 * 1024);
        r.onData(ISN + 1, bytes(100, 0), 100);
        assertFalse(r.releasable());
        r.discardReadable();
        assertEquals(0, r.readableBytes());
        assertTrue(r.releasable());
        r.releaseIfIdle();
        assertEquals(0, r.allocatedBytes());
        assertEquals(ReceiveBuffer.IN_ORDER, r.onData(ISN + 2, bytes(10, 0), 10), "allocated again on demand");
    }

    @Test
    void growingTheBufferKeepsTheBufferedBytes() {
        ReceiveBuffer r = buffer(2048);
        r.onData(ISN + 1, bytes(1500, 9), 1500);
        r.setBufferSize(8192);
        assertEquals(8192, r.bufferSize());
        assertArrayEquals(bytes(1500, 9).array(), readAll(r));
    }
}
