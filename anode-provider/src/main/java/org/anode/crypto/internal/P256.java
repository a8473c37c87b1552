package org.anode.crypto.internal;

import java.math.BigInteger;
import java.security.InvalidKeyException;
import java.security.spec.ECFieldFp;
import java.security.spec.ECParameterSpec;
import java.security.spec.EllipticCurve;
import org.bouncycastle.asn1.x9.X9ECParameters;
import org.bouncycastle.crypto.ec.CustomNamedCurves;
import org.bouncycastle.math.ec.ECCurve;
import org.bouncycastle.math.ec.ECPoint;
import org.bouncycastle.math.ec.FixedPointCombMultiplier;
import org.bouncycastle.math.ec.WNafPreCompInfo;
import org.bouncycastle.math.ec.WNafUtil;

/**
 * NIST P-256 arithmetic for ANODE-256-40 (draft 2.2, 2.4) on Bouncy Castle's lightweight curve
 * implementation, with the point validation of DECISIONS 8 done before any agreement.
 */
public final class P256 {
    private static final X9ECParameters X9 = CustomNamedCurves.getByName("secp256r1");
    public static final ECCurve CURVE = X9.getCurve();
    public static final ECPoint G = X9.getG();
    public static final BigInteger N = X9.getN();
    public static final BigInteger P = CURVE.getField().getCharacteristic();
    /** The same curve as a JDK parameter spec, so our keys are usable with SunEC. */
    public static final ECParameterSpec JDK_SPEC = new ECParameterSpec(
            new EllipticCurve(
                    new ECFieldFp(P), CURVE.getA().toBigInteger(), CURVE.getB().toBigInteger()),
            new java.security.spec.ECPoint(
                    G.getAffineXCoord().toBigInteger(), G.getAffineYCoord().toBigInteger()),
            N,
            1);

    private static final FixedPointCombMultiplier BASE_MULT = new FixedPointCombMultiplier();

    public static final int COMPRESSED_LENGTH = 33;

    private P256() {}

    /**
     * Decodes and validates a 33-byte compressed point: prefix 0x02 or 0x03, x &lt; p, on the curve.
     * (P-256 has cofactor 1, so every such point other than infinity is in the prime-order group.)
     */
    public static ECPoint decodeCompressed(byte[] enc, int off) throws InvalidKeyException {
        int prefix = enc[off] & 0xff;
        if (prefix != 0x02 && prefix != 0x03) {
            throw new InvalidKeyException(String.format(
                    "public key must be a compressed P-256 point (prefix 02 or 03), got prefix %02x", prefix));
        }
        BigInteger x = new BigInteger(1, java.util.Arrays.copyOfRange(enc, off + 1, off + 33));
        if (x.compareTo(P) >= 0) {
            throw new InvalidKeyException("public key x-coordinate is not below the field prime");
        }
        ECPoint point;
        try {
            point = CURVE.decodePoint(java.util.Arrays.copyOfRange(enc, off, off + 33));
        } catch (IllegalArgumentException e) {
            throw new InvalidKeyException("public key is not a point on P-256: " + e.getMessage(), e);
        }
        if (point.isInfinity() || !point.isValid()) {
            throw new InvalidKeyException("public key is not a valid P-256 point");
        }
        return point.normalize();
    }

    /** Validates an uncompressed affine point (for keys that arrive as JDK ECPublicKey). */
    public static ECPoint validate(BigInteger x, BigInteger y) throws InvalidKeyException {
        if (x.signum() < 0 || y.signum() < 0 || x.compareTo(P) >= 0 || y.compareTo(P) >= 0) {
            throw new InvalidKeyException("public key coordinates are outside the P-256 field");
        }
        ECPoint point;
        try {
            point = CURVE.validatePoint(x, y);
        } catch (IllegalArgumentException e) {
            throw new InvalidKeyException("public key is not a point on P-256", e);
        }
        if (point.isInfinity()) {
            throw new InvalidKeyException("public key is the point at infinity");
        }
        return point.normalize();
    }

    /**
     * Checks a point from elsewhere in this library (or from a caller holding a Bouncy Castle point):
     * not infinity, on P-256. A point on another curve object is re-imported by its affine
     * coordinates and validated against P-256.
     */
    public static ECPoint checkPoint(ECPoint point) throws InvalidKeyException {
        if (point == null || point.isInfinity()) {
            throw new InvalidKeyException("public key is " + (point == null ? "null" : "the point at infinity"));
        }
        ECPoint n = point.normalize();
        if (!CURVE.equals(n.getCurve())) {
            return validate(
                    n.getAffineXCoord().toBigInteger(), n.getAffineYCoord().toBigInteger());
        }
        if (!n.isValid()) {
            throw new InvalidKeyException("public key is not a valid P-256 point");
        }
        return n;
    }

    public static byte[] compress(ECPoint point) {
        return point.normalize().getEncoded(true);
    }

    /** Checks that a private scalar is in [1, n-1]. */
    public static void checkPrivate(BigInteger s) throws InvalidKeyException {
        if (s.signum() <= 0 || s.compareTo(N) >= 0) {
            throw new InvalidKeyException("private key scalar must be in [1, n-1] for P-256");
        }
    }

    public static ECPoint publicPoint(BigInteger privateScalar) {
        return BASE_MULT.multiply(G, privateScalar).normalize();
    }

    /**
     * Raw ECDH secret (DECISIONS 2): the 32-byte big-endian x-coordinate of {@code s * Q}. The point
     * must already be validated (it is, when it came from {@link #decodeCompressed} or
     * {@link #validate}).
     */
    public static byte[] agree(BigInteger privateScalar, ECPoint validatedPeer) throws InvalidKeyException {
        return xCoordinate(validatedPeer.multiply(privateScalar));
    }

    /**
     * A private scalar prepared for repeated ECDH (draft 2.4): its window NAFs are computed once,
     * and each peer point keeps its table of odd multiples in Bouncy Castle's per-point
     * precomputation cache (the point objects live in validated {@code AnodeAddress}es, so the
     * table is built once per peer, not once per agreement). A peer's first agreement uses a
     * width-5 table (8 points, what Bouncy Castle builds on every call); from the second on, the
     * table is widened to width 7 (32 points), which saves about a quarter of the additions.
     * Same arithmetic and the same non-constant-time wNAF ladder as Bouncy Castle's default
     * multiplier. {@link #destroy()} wipes the recoded scalar.
     */
    public static final class Multiplier {
        static final int WIDTH = 7;
        static final int FIRST_WIDTH = 5;
        private final byte[] naf;
        private final byte[] firstNaf;
        private volatile boolean destroyed;

        public Multiplier(BigInteger privateScalar) throws InvalidKeyException {
            checkPrivate(privateScalar);
            this.naf = WNafUtil.generateWindowNaf(WIDTH, privateScalar);
            this.firstNaf = WNafUtil.generateWindowNaf(FIRST_WIDTH, privateScalar);
        }

        /** Raw ECDH secret with a validated peer point, as {@link P256#agree}. */
        public byte[] agree(ECPoint validatedPeer) throws InvalidKeyException {
            if (destroyed) {
                throw new InvalidKeyException("the private key has been destroyed");
            }
            WNafPreCompInfo cached = WNafUtil.getWNafPreCompInfo(validatedPeer);
            boolean seen = cached != null && cached.getPreComp() != null;
            WNafPreCompInfo info = WNafUtil.precompute(validatedPeer, seen ? WIDTH : FIRST_WIDTH, true);
            ECPoint[] pre = info.getPreComp();
            ECPoint[] neg = info.getPreCompNeg();
            byte[] digits = seen ? naf : firstNaf;
            ECPoint r = null;
            int pending = 0;
            for (int i = digits.length - 1; i >= 0; i--) {
                int d = digits[i];
                if (r != null) {
                    pending++;
                }
                if (d == 0) {
                    continue;
                }
                // pre[k] = (2k+1)P, so odd digit d selects pre[|d| >>> 1] (negated for d < 0).
                ECPoint t = d > 0 ? pre[d >>> 1] : neg[(-d) >>> 1];
                if (r == null) {
                    r = t;
                } else {
                    r = (pending > 1 ? r.timesPow2(pending - 1) : r).twicePlus(t);
                }
                pending = 0;
            }
            if (r == null) {
                throw new InvalidKeyException("private scalar is zero");
            }
            if (pending > 0) {
                r = r.timesPow2(pending);
            }
            return xCoordinate(r);
        }

        public void destroy() {
            destroyed = true;
            java.util.Arrays.fill(naf, (byte) 0);
            java.util.Arrays.fill(firstNaf, (byte) 0);
        }
    }

    private static byte[] xCoordinate(ECPoint product) throws InvalidKeyException {
        ECPoint shared = product.normalize();
        if (shared.isInfinity()) {
            throw new InvalidKeyException("ECDH produced the point at infinity");
        }
        // A fault in the arithmetic must not leak a wrong secret: check the result is on the curve.
        if (!shared.isValid()) {
            throw new InvalidKeyException("ECDH result is not on the curve (arithmetic fault)");
        }
        byte[] x = shared.getAffineXCoord().getEncoded();
        if (x.length == 32) {
            return x;
        }
        byte[] out = new byte[32];
        System.arraycopy(x, 0, out, 32 - x.length, x.length);
        return out;
    }

    /** A 32-byte big-endian encoding of a scalar. */
    public static byte[] scalarBytes(BigInteger s) {
        byte[] b = s.toByteArray();
        byte[] out = new byte[32];
        if (b.length > 32) {
            System.arraycopy(b, b.length - 32, out, 0, 32);
        } else {
            System.arraycopy(b, 0, out, 32 - b.length, b.length);
        }
        return out;
    }
}
