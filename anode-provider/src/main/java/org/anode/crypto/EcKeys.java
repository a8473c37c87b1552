package org.anode.crypto;

import java.math.BigInteger;
import java.security.InvalidKeyException;
import java.security.Key;
import java.security.interfaces.ECPrivateKey;
import java.security.interfaces.ECPublicKey;
import java.security.spec.ECFieldFp;
import java.security.spec.ECParameterSpec;
import java.security.spec.ECPoint;
import org.anode.address.AnodeAddress;
import org.anode.address.Zone;
import org.anode.crypto.internal.P256;

/**
 * Accepting keys from other providers (draft 2.2, 2.4): any {@link ECPublicKey} / {@link ECPrivateKey}
 * on P-256 - SunEC's included - is usable wherever an Anode key is, after the same checks
 * (DECISIONS 8: a foreign public point is validated before it is used).
 */
final class EcKeys {
    private EcKeys() {}

    /** True if {@code spec} describes P-256 (compared by value: other providers use their own classes). */
    static boolean isP256(ECParameterSpec spec) {
        if (spec == null) {
            return false;
        }
        ECParameterSpec p = P256.JDK_SPEC;
        return spec.getCurve().getField() instanceof ECFieldFp f
                && f.getP().equals(((ECFieldFp) p.getCurve().getField()).getP())
                && spec.getCurve().getA().equals(p.getCurve().getA())
                && spec.getCurve().getB().equals(p.getCurve().getB())
                && spec.getGenerator().equals(p.getGenerator())
                && spec.getOrder().equals(p.getOrder())
                && spec.getCofactor() == p.getCofactor();
    }

    static String describe(Key key) {
        return key == null ? "null" : key.getClass().getName() + " (algorithm " + key.getAlgorithm() + ")";
    }

    /** The private scalar of an Anode or other P-256 EC private key, range-checked. */
    static AnodePrivateKey toPrivate(Key key) throws InvalidKeyException {
        if (key instanceof AnodePrivateKey k) {
            if (k.isDestroyed()) {
                throw new InvalidKeyException("the private key has been destroyed");
            }
            return k;
        }
        if (key instanceof ECPrivateKey k) {
            if (!isP256(k.getParams())) {
                throw new InvalidKeyException(
                        "EC private key is not on P-256 (secp256r1); ANODE-256-40 uses P-256 only");
            }
            BigInteger s = k.getS();
            return AnodePrivateKey.of(s);
        }
        throw new InvalidKeyException("expected a P-256 EC private key, got " + describe(key));
    }

    /** The validated point of an Anode or other P-256 EC public key. */
    static org.bouncycastle.math.ec.ECPoint publicPoint(Key key) throws InvalidKeyException {
        if (key instanceof AnodePublicKey k) {
            return k.point(); // validated when its address was made
        }
        if (key instanceof ECPublicKey k) {
            if (!isP256(k.getParams())) {
                throw new InvalidKeyException(
                        "EC public key is not on P-256 (secp256r1); ANODE-256-40 uses P-256 only");
            }
            ECPoint w = k.getW();
            if (w == null || w == ECPoint.POINT_INFINITY) {
                throw new InvalidKeyException("EC public key is the point at infinity");
            }
            return P256.validate(w.getAffineX(), w.getAffineY());
        }
        throw new InvalidKeyException("expected a P-256 EC public key, got " + describe(key));
    }

    /** An {@link AnodePublicKey} for any P-256 public key; foreign keys land in {@code zone}. */
    static AnodePublicKey toPublic(Key key, Zone zone) throws InvalidKeyException {
        if (key instanceof AnodePublicKey k) {
            return k;
        }
        return AnodeAddress.of(zone, publicPoint(key)).publicKey();
    }
}
