package org.anode.crypto.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.HexFormat;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * {@link AesCmac#foldedMany}: several CMACs (draft 2.5, RFC 4493) in one interleaved pass must give
 * exactly the folded tags of one CMAC per message, for every length (empty last block, complete
 * last block, one block, many), any mix and order of lengths, offsets into larger arrays, and
 * without disturbing a message the instance is in the middle of.
 */
class AesCmacManyTest {

    /** RFC 4493's AES-128 examples do not apply (AES-256 here); the serial path is the oracle, checked against a fixed tag too. */
    @Test
    void matchesOneCmacPerMessage() throws Exception {
        Random r = new Random(20261126);
        for (int round = 0; round < 300; round++) {
            byte[] key = new byte[32];
            r.nextBytes(key);
            AesCmac batch = AesCmac.forKey(key);
            AesCmac serial = AesCmac.forKey(key);
            int n = 1 + r.nextInt(AesCmac.MAX_MANY);
            byte[][] msgs = new byte[n][];
            int[] offs = new int[n];
            int[] lens = new int[n];
            for (int i = 0; i < n; i++) {
                lens[i] = length(r, round);
                offs[i] = r.nextInt(20);
                msgs[i] = new byte[offs[i] + lens[i] + r.nextInt(20)];
                r.nextBytes(msgs[i]);
            }
            long[] got = new long[n];
            batch.foldedMany(msgs, offs, lens, n, got);
            for (int i = 0; i < n; i++) {
                serial.update(msgs[i], offs[i], lens[i]);
                assertEquals(
                        serial.doFinalFolded(),
                        got[i],
                        "round " + round + " message " + i + " of " + lens[i] + " bytes");
            }
        }
    }

    private static int length(Random r, int round) {
        switch (r.nextInt(4)) {
            case 0:
                return 16 * (1 + r.nextInt(90));
            case 1:
                return 1 + r.nextInt(17);
            case 2:
                return round % 2 == 0 ? 1390 : 1 + r.nextInt(1500);
            default:
                return 1 + r.nextInt(3000);
        }
    }

    @Test
    void leavesAMessageInProgressAlone() throws Exception {
        byte[] key = HexFormat.of().parseHex("603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4");
        AesCmac m = AesCmac.forKey(key);
        byte[] a = new byte[100];
        byte[] b = new byte[37];
        new Random(1).nextBytes(a);
        new Random(2).nextBytes(b);
        AesCmac reference = AesCmac.forKey(key);
        reference.update(a, 0, a.length);
        long whole = reference.doFinalFolded();
        reference.update(b, 0, b.length);
        long other = reference.doFinalFolded();

        m.update(a, 0, 40);
        long[] out = new long[1];
        m.foldedMany(new byte[][] {b}, new int[] {0}, new int[] {b.length}, 1, out);
        assertEquals(other, out[0]);
        m.update(a, 40, 60);
        assertEquals(whole, m.doFinalFolded(), "the interrupted message still comes out right");
    }

    /** RFC 4493 example 2 tag under the SP 800-38B AES-256 key (NIST CMAC-AES256 example 2), folded. */
    @Test
    void knownAnswer() throws Exception {
        byte[] key = HexFormat.of().parseHex("603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4");
        byte[] msg = HexFormat.of().parseHex("6bc1bee22e409f96e93d7e117393172a");
        byte[] tag = HexFormat.of().parseHex("28a7023f452e8f82bd4bf28d8c37c35c");
        long folded = 0;
        for (int i = 0; i < 8; i++) {
            folded = (folded << 8) | ((tag[i] ^ tag[i + 8]) & 0xff);
        }
        long[] out = new long[2];
        AesCmac.forKey(key).foldedMany(new byte[][] {msg, msg}, new int[] {0, 0}, new int[] {16, 16}, 2, out);
        assertEquals(folded, out[0]);
        assertEquals(folded, out[1]);
    }

    @Test
    void refusesBadArguments() throws Exception {
        AesCmac m = AesCmac.forKey(new byte[32]);
        long[] out = new long[1];
        assertThrows(
                IllegalArgumentException.class,
                () -> m.foldedMany(new byte[][] {new byte[4]}, new int[] {0}, new int[] {0}, 1, out));
        assertThrows(
                IllegalArgumentException.class,
                () -> m.foldedMany(new byte[65][], new int[65], new int[65], AesCmac.MAX_MANY + 1, new long[65]));
        assertThrows(
                IllegalStateException.class,
                () -> new AesCmac().foldedMany(new byte[][] {new byte[4]}, new int[] {0}, new int[] {4}, 1, out));
    }
}
