package org.anode.conformance.wire;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.anode.crypto.internal.AesCmac;
import org.anode.wire.Packet;
import org.anode.wire.PacketMac;

/**
 * The packet MAC (draft 3.3, DECISIONS 17): verifies with the right key, fails with another, and
 * fails after any single-bit change anywhere except the hop count (draft 3.1: not covered).
 */
class PacketMacProperties {

    @Provide
    Arbitrary<Packet> packets() {
        return WireArbitraries.packets();
    }

    @Property(tries = 150)
    void everySingleBitFlipOutsideHopCountBreaksTheMac(@ForAll("packets") Packet p) throws Exception {
        AesCmac k = AesCmac.forKey(WireArbitraries.KEY);
        byte[] bytes = p.toByteArray(k);
        byte[] original = bytes.clone();
        ByteBuffer b = ByteBuffer.wrap(bytes);
        assertTrue(PacketMac.verify(k, b, 0, bytes.length, null));
        for (int bit = 0; bit < bytes.length * 8; bit++) {
            bytes[bit >>> 3] ^= (byte) (1 << (bit & 7));
            boolean ok = PacketMac.verify(k, b, 0, bytes.length, null);
            bytes[bit >>> 3] ^= (byte) (1 << (bit & 7));
            assertEquals(bit < 8, ok, "bit " + bit + " of " + bytes.length + " bytes");
        }
        assertArrayEquals(original, bytes, "verification never modifies the buffer");
    }

    @Property(tries = 200)
    void wrongKeyFails(@ForAll("packets") Packet p, @ForAll byte[] otherKeySeed) throws Exception {
        byte[] other = WireArbitraries.KEY.clone();
        other[otherKeySeed.length % 32] ^= (byte) (1 + (otherKeySeed.length > 0 ? otherKeySeed[0] & 0x7f : 0));
        byte[] bytes = p.toByteArray(AesCmac.forKey(WireArbitraries.KEY));
        assertFalse(PacketMac.verify(AesCmac.forKey(other), ByteBuffer.wrap(bytes), 0, bytes.length, null));
    }

    @Property(tries = 200)
    void truncationOrExtensionBreaksTheMac(@ForAll("packets") Packet p, @ForAll byte extra) throws Exception {
        AesCmac k = AesCmac.forKey(WireArbitraries.KEY);
        byte[] bytes = p.toByteArray(k);
        ByteBuffer b = ByteBuffer.wrap(java.util.Arrays.copyOf(bytes, bytes.length + 1));
        b.put(bytes.length, extra);
        // The length is part of the MAC input, so dropping or appending a byte never verifies.
        assertFalse(PacketMac.verify(k, b, 0, bytes.length + 1, null));
        assertFalse(PacketMac.verify(k, b, 0, bytes.length - 1, null));
        assertTrue(PacketMac.verify(k, b, 0, bytes.length, null));
    }
}
