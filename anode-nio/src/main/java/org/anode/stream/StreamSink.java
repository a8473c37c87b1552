package org.anode.stream;

import java.nio.ByteBuffer;

/**
 * Where {@link StreamConnection#transmit} puts the packets it wants sent (draft 5.2): one method per
 * stream message type, carrying the message's fields but not the link id and destination port, which
 * the glue adds from its connection table (DECISIONS 23).
 *
 * <p>Every call is synchronous: a {@code ByteBuffer} payload is a view of the connection's send buffer
 * (or of a scratch buffer) and is valid only for the duration of the call. The sink must copy what it
 * needs (normally by encoding the packet) and must neither keep nor modify the buffer's contents; it
 * may move the buffer's position and limit. An {@link AckRanges} argument is likewise reused for the
 * next packet. A sink that cannot send (for example, a full socket buffer) simply drops the packet:
 * the protocol recovers from the loss.
 */
public interface StreamSink {
    /**
     * S_OPEN (5.2.1).
     *
     * @param windowUnits the sender's receive window in 1024-byte units (0..65535)
     * @param isn the sender's initial sequence number
     * @param flags the S_OPEN flags (0x01: the link id is a source port)
     */
    void sendOpen(int windowUnits, int isn, int flags);

    /** S_DATA (5.2.3) with sequence number {@code seq}; {@code payload} holds the bytes to carry. */
    void sendData(int seq, ByteBuffer payload);

    /** S_ACK (5.2.4): {@code ranges} holds one or more pairs. */
    void sendAck(int windowUnits, AckRanges ranges);

    /**
     * S_DACK (5.2.5): an acknowledgement with a data packet riding along. The draft's S_DACK table
     * lists no sequence number for the data; the data still needs one, so {@code seq} is passed and
     * the wire encoding must carry it (the core budgets 3 + 5 * ranges bytes more than an S_DATA for
     * this message, which fits a 4-byte sequence number). A glue that cannot encode it sets
     * {@link StreamConfig#dataAckEnabled(boolean)} to false and this method is never called.
     */
    void sendDataAck(int windowUnits, AckRanges ranges, int seq, ByteBuffer payload);

    /**
     * S_CLOSE (5.2.2).
     *
     * @param reason 0 = closed (FIN), 1 = refused, 2 = protocol error, 3 = timed out
     * @param isn the initial sequence number that keys the connection (the sender's own ISN, or the
     *        opener's ISN when refusing an S_OPEN)
     * @param seq the sequence number of the close (equal to {@code isn} for a refusal)
     */
    void sendClose(int reason, int isn, int seq);
}
