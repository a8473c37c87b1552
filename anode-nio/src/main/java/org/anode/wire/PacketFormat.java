package org.anode.wire;

import java.nio.ByteBuffer;
import org.anode.address.AnodeAddress;
import org.anode.address.ShortId;

/**
 * Constants and small rules of the common packet header (draft 3, DECISIONS 16-20):
 * {@code hop(1) flags(1) mac(8) sender(40|8) recipient(40|8) peerIds(1) type(1) message(...)}.
 */
public final class PacketFormat {
    /** Flag 0x01: sender address fully specified. */
    public static final int FLAG_SENDER_FULL = 0x01;
    /** Flag 0x02: recipient address fully specified. */
    public static final int FLAG_RECIPIENT_FULL = 0x02;
    /**
     * Flag 0x04: authentication error response. Such a packet may carry no valid MAC and must
     * never change any state (draft 3.2, DECISIONS 18).
     */
    public static final int FLAG_AUTH_ERROR = 0x04;
    /** Every defined flag; any other bit makes a packet invalid (DECISIONS 20). */
    public static final int KNOWN_FLAGS = FLAG_SENDER_FULL | FLAG_RECIPIENT_FULL | FLAG_AUTH_ERROR;

    /** Index of the hop count. */
    public static final int HOP_COUNT = 0;
    /** Index of the flags byte. */
    public static final int FLAGS = 1;
    /** Index of the 8-byte MAC. */
    public static final int MAC = 2;
    /** Index of the sender field. */
    public static final int SENDER = 10;
    /** Length of the MAC field. */
    public static final int MAC_LENGTH = 8;
    /** Header with two short ids: the smallest possible packet (empty message). */
    public static final int MIN_HEADER_LENGTH = 2 + MAC_LENGTH + 2 * ShortId.LENGTH + 2;
    /** Header with two full addresses. */
    public static final int MAX_HEADER_LENGTH = 2 + MAC_LENGTH + 2 * AnodeAddress.LENGTH + 2;
    /** A relay drops rather than forwards a packet whose hop count is already this (DECISIONS 19). */
    public static final int MAX_HOP_COUNT = 255;

    private PacketFormat() {}

    /** Header length for a flags byte. */
    public static int headerLength(int flags) {
        return 2
                + MAC_LENGTH
                + ((flags & FLAG_SENDER_FULL) != 0 ? AnodeAddress.LENGTH : ShortId.LENGTH)
                + ((flags & FLAG_RECIPIENT_FULL) != 0 ? AnodeAddress.LENGTH : ShortId.LENGTH)
                + 2;
    }

    /**
     * Relay step (draft 3.1, DECISIONS 19): increments the hop count of the packet starting at
     * absolute index {@code start} and returns true, or returns false (and changes nothing) if it
     * is already 255 and the packet must be dropped. The hop count is outside the MAC, so the
     * packet stays valid.
     */
    public static boolean incrementHopCount(ByteBuffer packet, int start) {
        int hop = packet.get(start + HOP_COUNT) & 0xff;
        if (hop >= MAX_HOP_COUNT) {
            return false;
        }
        packet.put(start + HOP_COUNT, (byte) (hop + 1));
        return true;
    }
}
