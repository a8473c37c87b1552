package org.anode.wire;

import java.nio.ByteBuffer;
import java.util.Objects;
import org.anode.address.AnodeAddress;
import org.anode.address.ShortId;

/**
 * The sender or recipient field of a packet header (draft 3, 3.2, DECISIONS 16): a full 40-byte
 * address when the matching flag (0x01 sender, 0x02 recipient) is set, else an 8-byte short id.
 */
public sealed interface AddressField permits AddressField.Full, AddressField.Short {

    /** Bytes on the wire: 40 or 8. */
    int encodedLength();

    /** The short id: the field itself, or the full address's (computed once per address, draft 2.7). */
    ShortId shortId();

    /** True for the full form. */
    boolean isFull();

    /** Writes the field at {@code dst}'s position. */
    void writeTo(ByteBuffer dst);

    /** The full form of an address. */
    static Full full(AnodeAddress address) {
        return new Full(address);
    }

    /** The short form of an address. */
    static Short shortOf(AnodeAddress address) {
        return new Short(address.shortId());
    }

    /** A full, validated 40-byte address (draft 2.2, 3.2). @param address the address */
    record Full(AnodeAddress address) implements AddressField {
        public Full {
            Objects.requireNonNull(address, "address");
        }

        @Override
        public int encodedLength() {
            return AnodeAddress.LENGTH;
        }

        @Override
        public ShortId shortId() {
            return address.shortId();
        }

        @Override
        public boolean isFull() {
            return true;
        }

        @Override
        public void writeTo(ByteBuffer dst) {
            address.writeTo(dst);
        }
    }

    /** An 8-byte short address id (draft 2.7, 3.2). @param id the id */
    record Short(ShortId id) implements AddressField {
        public Short {
            Objects.requireNonNull(id, "id");
        }

        @Override
        public int encodedLength() {
            return ShortId.LENGTH;
        }

        @Override
        public ShortId shortId() {
            return id;
        }

        @Override
        public boolean isFull() {
            return false;
        }

        @Override
        public void writeTo(ByteBuffer dst) {
            dst.putLong(id.value());
        }
    }
}
