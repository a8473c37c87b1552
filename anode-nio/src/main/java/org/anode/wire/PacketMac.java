package org.anode.wire;

import java.nio.ByteBuffer;
import org.anode.crypto.internal.AesCmac;

/**
 * The packet MAC (draft 3.3, DECISIONS 17): CMAC-AES-256 over the packet without its hop count,
 * with the MAC field read as the packet's total length (64-bit big-endian), folded to 8 bytes by
 * {@code m[i] ^ m[i+8]}.
 *
 * <p>The length is fed to the CMAC in place of the MAC field rather than patched into the
 * buffer, so computing and verifying never modify the caller's bytes (a received buffer may be
 * shared or read-only). Allocation-free; {@code cmac} must be idle (not mid-message), and is idle
 * again afterwards.
 */
public final class PacketMac {
    /** Scratch size for buffers without an accessible array (direct or read-only). */
    static final int SCRATCH = 512;

    private PacketMac() {}

    /**
     * Computes the folded MAC of the packet at absolute indices {@code [start, end)} of {@code b},
     * whatever its MAC field holds.
     *
     * @param scratch at least {@value #SCRATCH} bytes, used only when {@code b} has no accessible
     *     array; may be null for heap buffers
     */
    public static long compute(AesCmac cmac, ByteBuffer b, int start, int end, byte[] scratch) {
        int bodyStart = start + PacketFormat.MAC + PacketFormat.MAC_LENGTH;
        if (b.hasArray()) {
            byte[] a = b.array();
            int base = b.arrayOffset();
            cmac.update(a[base + start + PacketFormat.FLAGS]);
            cmac.updateLong(end - start);
            cmac.update(a, base + bodyStart, end - bodyStart);
        } else {
            cmac.update(b.get(start + PacketFormat.FLAGS));
            cmac.updateLong(end - start);
            byte[] s = scratch != null ? scratch : new byte[SCRATCH];
            for (int p = bodyStart; p < end; ) {
                int n = Math.min(s.length, end - p);
                b.get(p, s, 0, n);
                cmac.update(s, 0, n);
                p += n;
            }
        }
        return cmac.doFinalFolded();
    }

    /**
     * Computes the MAC of a packet being written and stores it in its MAC field: DECISIONS 17
     * literally, since the MAC field is the writer's own. The field is first set to the length,
     * so for an array-backed buffer the whole MAC input is one contiguous run of bytes and goes
     * to the CMAC in a single call (one cipher call fewer than feeding the length separately).
     *
     * @return the MAC written
     */
    public static long computeAndStore(AesCmac cmac, ByteBuffer b, int start, int end, byte[] scratch) {
        long mac;
        if (b.hasArray()) {
            b.putLong(start + PacketFormat.MAC, end - start);
            cmac.update(b.array(), b.arrayOffset() + start + PacketFormat.FLAGS, end - start - PacketFormat.FLAGS);
            mac = cmac.doFinalFolded();
        } else {
            mac = compute(cmac, b, start, end, scratch);
        }
        b.putLong(start + PacketFormat.MAC, mac);
        return mac;
    }

    /**
     * True if the MAC field of the packet at {@code [start, end)} is right for the key {@code cmac}
     * holds. The comparison is one 64-bit XOR tested against zero: no early exit on a partial
     * match, so its time does not depend on how many bytes agree.
     */
    public static boolean verify(AesCmac cmac, ByteBuffer b, int start, int end, byte[] scratch) {
        long expected = compute(cmac, b, start, end, scratch);
        long actual = b.getLong(start + PacketFormat.MAC);
        return (expected ^ actual) == 0L;
    }
}
