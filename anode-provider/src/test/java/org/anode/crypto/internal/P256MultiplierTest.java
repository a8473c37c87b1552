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

    @Test
    void matchesBouncyCastleForRandomAndEdgeScalars() throws Exception {
        BigInteger n = P256.N;
        BigInteger[] edges = {
            BigInteger.ONE, BigInteger.TWO, BigInteger.valueOf(3), BigInteger.valueOf(31), BigInteger.valueOf(32),
            BigInteger.valueOf(33), BigInteger.valueOf(64), BigInteger.ONE.shiftLeft(255),
            BigInteger.ONE.shiftLeft(128).subtract(BigInteger.ONE), n.subtract(BigInteger.ONE),
            n.subtract(BigInteger.TWO), n.shiftRight(1),
        };
        ECPoint q = randomPoint();
        for (BigInteger k : edges) {
            assertArrayEquals(P256.agree(k, q), new P256.Multiplier(k).agree(q), k.toString(16));
        }
        for (int i = 0; i < 60; i++) {
            BigInteger k = new BigInteger(256, RND).mod(n.subtract(BigInteger.ONE)).add(BigInteger.ONE);
            P256.Multiplier m = new P256.Multiplier(k);
            ECPoint p = randomPoint();
            // Twice on the same point: the second run uses the cached table.
            assertArrayEquals(P256.agree(k, p), m.agree(p));
            assertArrayEquals(P256.agree(k, p), m.agree(p));
            // A point that already has a wider table from elsewhere still works.
            ECPoint wide = randomPoint();
            org.bouncycastle.math.ec.WNafUtil.precompute(wide, 8, true);
            assertArrayEquals(P256.agree(k, wide), m.agree(wide));
        }
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
