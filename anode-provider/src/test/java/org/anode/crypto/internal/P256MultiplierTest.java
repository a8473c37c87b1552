package org.anode.crypto.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.math.BigInteger;
import java.security.InvalidKeyException;
import java.security.SecureRandom;
import org.bouncycastle.math.ec.ECPoint;
import org.junit.jupiter.api.Test;

/** The prepared-scalar ECDH ladder (draft 2.4) against Bouncy Castle's own multiplication. */
class P256MultiplierTest {
    private static final SecureRandom RND = new SecureRandom();

    private static ECPoint randomPoint() {
        return P256.publicPoint(new BigInteger(255, RND).add(BigInteger.ONE));
    }

    private static ECPoint copy(ECPoint p) {
        return P256.CURVE.decodePoint(p.getEncoded(false));
    }

    @Test
    void matchesBouncyCastleForRandomAndEdgeScalars() throws Exception {
        BigInteger n = P256.N;
        BigInteger[] edges = {
            BigInteger.ONE,
            BigInteger.TWO,
            BigInteger.valueOf(3),
            BigInteger.valueOf(31),
            BigInteger.valueOf(32),
            BigInteger.valueOf(33),
            BigInteger.valueOf(64),
            BigInteger.ONE.shiftLeft(255),
            BigInteger.ONE.shiftLeft(128).subtract(BigInteger.ONE),
            n.subtract(BigInteger.ONE),
            n.subtract(BigInteger.TWO),
            n.shiftRight(1),
        };
        ECPoint q = randomPoint();
        for (BigInteger k : edges) {
            ECPoint fresh = copy(q);
            P256.Multiplier m = new P256.Multiplier(k);
            assertArrayEquals(P256.agree(k, q), m.agree(fresh), k.toString(16));
            assertArrayEquals(P256.agree(k, q), m.agree(fresh), k.toString(16));
        }
        for (int i = 0; i < 60; i++) {
            BigInteger k =
                    new BigInteger(256, RND).mod(n.subtract(BigInteger.ONE)).add(BigInteger.ONE);
            P256.Multiplier m = new P256.Multiplier(k);
            ECPoint p = randomPoint();
            // Expected values on a separate copy, so that p starts with no cached table: the first
            // run builds the narrow table, the second widens it, the third reuses it.
            byte[] expected = P256.agree(k, copy(p));
            assertArrayEquals(expected, m.agree(p));
            assertArrayEquals(expected, m.agree(p));
            assertArrayEquals(expected, m.agree(p));
            // A point that already has a wider table from elsewhere still works.
            ECPoint wide = randomPoint();
            org.bouncycastle.math.ec.WNafUtil.precompute(wide, 8, true);
            assertArrayEquals(P256.agree(k, copy(wide)), m.agree(wide));
        }
    }

    @Test
    void kdfRejectsDegenerateInput() {
        assertThrows(IllegalArgumentException.class, () -> AnodeKdf.derive(new byte[32], 0));
        assertThrows(IllegalArgumentException.class, () -> AnodeKdf.derive(new byte[32], -1));
        assertThrows(IllegalArgumentException.class, () -> AnodeKdf.derive(new byte[0], 16));
        assertThrows(IllegalArgumentException.class, () -> AnodeKdf.derive(null, 16));
    }

    @Test
    void rejectsBadScalarsAndDestroyedState() throws Exception {
        assertThrows(InvalidKeyException.class, () -> new P256.Multiplier(BigInteger.ZERO));
        assertThrows(InvalidKeyException.class, () -> new P256.Multiplier(P256.N));
        P256.Multiplier m = new P256.Multiplier(BigInteger.TEN);
        m.destroy();
        assertThrows(InvalidKeyException.class, () -> m.agree(randomPoint()));
    }
}
