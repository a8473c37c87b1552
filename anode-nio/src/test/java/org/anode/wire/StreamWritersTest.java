package org.anode.wire;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.ByteBuffer;
import org.junit.jupiter.api.Test;

/** The stream message writers (draft 5.2) shared by the Message records and the live stream path. */
class StreamWritersTest {
    @Test
    void writersRejectWhatTheDraftDoesNotDefine() {
        ByteBuffer b = ByteBuffer.allocate(64);
        assertThrows(IllegalArgumentException.class, () -> MessageFields.writeSOpen(b, 1, 2, 3, 4, 0x02));
        assertThrows(IllegalArgumentException.class, () -> MessageFields.writeSOpen(b, 0x10000, 2, 3, 4, 0));
        assertThrows(IllegalArgumentException.class, () -> MessageFields.writeSOpen(b, 1, 2, 0x10000, 4, 0));
        assertThrows(IllegalArgumentException.class, () -> MessageFields.writeSClose(b, 1, 2, 4, 5, 6));
        assertThrows(IllegalArgumentException.class, () -> MessageFields.writeSClose(b, 1, -1, 0, 5, 6));
        assertThrows(
                IllegalArgumentException.class,
                () -> MessageFields.writeSData(b, 1, 0x10000, 3, ByteBuffer.allocate(0)));
    }

    @Test
    void payloadWritersCopyTheRemainingBytesAndLeaveThePayloadAlone() throws WireException {
        ByteBuffer payload =
                ByteBuffer.wrap(new byte[] {0, 1, 2, 3, 0}).position(1).limit(4);
        ByteBuffer b = ByteBuffer.allocate(64);
        MessageFields.writeSData(b, 7, 8, 9, payload);
        assertEquals(1, payload.position());
        assertEquals(4, payload.limit());
        assertEquals(MessageFields.S_DATA_HEADER + 3, b.position());
        b.flip();
        assertEquals(new Message.SData(7, 8, 9, new byte[] {1, 2, 3}), Message.decode(MessageType.S_DATA, b));

        ByteBuffer d = ByteBuffer.allocate(64);
        MessageFields.writeSDackHeader(d, 7, 8, 5, 1);
        MessageFields.writeAckRange(d, 100, 2);
        MessageFields.writeSDackData(d, 11, payload);
        assertEquals(1, payload.position());
        d.flip();
        Message.SDack m = (Message.SDack) Message.decode(MessageType.S_DACK, d);
        assertEquals(11, m.sequence());
        assertArrayEquals(new byte[] {1, 2, 3}, m.payload());
    }

    @Test
    void recordsEncodeThroughTheWriters() {
        ByteBuffer viaRecord = ByteBuffer.allocate(MessageFields.S_CLOSE_LENGTH);
        new Message.SClose(0xfffe, 1, CloseReason.TIMED_OUT, -1, 0x7fffffff).writeTo(viaRecord);
        ByteBuffer viaWriter = ByteBuffer.allocate(MessageFields.S_CLOSE_LENGTH);
        MessageFields.writeSClose(viaWriter, 0xfffe, 1, CloseReason.TIMED_OUT.code(), -1, 0x7fffffff);
        assertArrayEquals(viaWriter.array(), viaRecord.array());

        ByteBuffer o1 = ByteBuffer.allocate(MessageFields.S_OPEN_LENGTH);
        new Message.SOpen(1, 2, 3, 4, false).writeTo(o1);
        ByteBuffer o2 = ByteBuffer.allocate(MessageFields.S_OPEN_LENGTH);
        MessageFields.writeSOpen(o2, 1, 2, 3, 4, 0);
        assertArrayEquals(o2.array(), o1.array());
    }
}
