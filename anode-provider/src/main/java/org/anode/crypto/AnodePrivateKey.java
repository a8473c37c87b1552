package org.anode.crypto;

import java.io.InvalidObjectException;
import java.io.ObjectInputStream;
import java.io.ObjectStreamException;
import java.io.Serializable;
import java.math.BigInteger;
import java.security.InvalidKeyException;
import java.security.MessageDigest;
import java.security.interfaces.ECPrivateKey;
import java.security.spec.ECParameterSpec;
import java.util.Arrays;
import javax.security.auth.DestroyFailedException;
import org.anode.crypto.internal.P256;

/**
 * The private half of an ANODE-256-40 key pair (draft 2.2, 2.4; DECISIONS 9): a P-256 scalar in
 * [1, n-1]. Implements {@link ECPrivateKey} with the P-256 parameters, so SunEC accepts it too;
 * {@link #getEncoded()} is the PKCS#8 DER form (RFC 5208 wrapping an RFC 5915 ECPrivateKey).
 *
 * <p>{@link #destroy()} wipes the scalar bytes this object holds; afterwards every accessor throws
 * {@link IllegalStateException}. (A {@link BigInteger} handed out earlier by {@link #getS()} cannot
 * be wiped - that is a limit of the {@code ECPrivateKey} interface.) Serialized as its PKCS#8
 * encoding through a proxy, so a deserialized key is validated like any other.
 */
public final class AnodePrivateKey implements ECPrivateKey {
    private static final long serialVersionUID = 1L;

    /** 32-byte big-endian scalar; zeroed by destroy(). */
    private final transient byte[] scalar;

    private transient volatile BigInteger s;
    private transient volatile org.bouncycastle.math.ec.ECPoint publicPoint;
    private transient volatile P256.Multiplier multiplier;
    private transient volatile boolean destroyed;

    private AnodePrivateKey(BigInteger s) {
        this.s = s;
        this.scalar = P256.scalarBytes(s);
    }

    /**
     * Wraps a private scalar.
     *
     * @param s the scalar
     * @return the key
     * @throws InvalidKeyException if it is not in [1, n-1]
     */
    public static AnodePrivateKey of(BigInteger s) throws InvalidKeyException {
        if (s == null) {
            throw new InvalidKeyException("private key scalar is null");
        }
        P256.checkPrivate(s);
        return new AnodePrivateKey(s);
    }

    /**
     * Wraps a 32-byte big-endian private scalar (the secret of the identity string, DECISIONS 9).
     *
     * @param secret the 32 bytes
     * @return the key
     * @throws InvalidKeyException if it is not 32 bytes or not in [1, n-1]
     */
    public static AnodePrivateKey fromBytes(byte[] secret) throws InvalidKeyException {
        if (secret == null || secret.length != 32) {
            throw new InvalidKeyException(
                    "a P-256 private key is 32 bytes, got " + (secret == null ? "null" : secret.length + " bytes"));
        }
        return of(new BigInteger(1, secret));
    }

    private void checkLive() {
        if (destroyed) {
            throw new IllegalStateException("private key has been destroyed");
        }
    }

    @Override
    public BigInteger getS() {
        checkLive();
        return s;
    }

    /** {@return the 32-byte big-endian scalar (a fresh copy; the caller should wipe it after use)} */
    public byte[] toByteArray() {
        checkLive();
        return scalar.clone();
    }

    /** {@return the matching public point, computed once (for this library's crypto code)} */
    public org.bouncycastle.math.ec.ECPoint publicPoint() {
        checkLive();
        org.bouncycastle.math.ec.ECPoint p = publicPoint;
        if (p == null) {
            p = P256.publicPoint(s);
            publicPoint = p;
        }
        return p;
    }

    /**
     * The raw 32-byte ECDH secret with a validated peer point (draft 2.4, DECISIONS 2): what
     * {@code KeyAgreement "AnodeECDH"} and {@code AnodeIdentity.agree} compute. The scalar's
     * recoding is prepared once per key.
     *
     * @param validatedPeer the peer's public point, already checked to be on P-256
     * @return the 32-byte shared key
     * @throws InvalidKeyException if this key has been destroyed
     */
    public byte[] agree(org.bouncycastle.math.ec.ECPoint validatedPeer) throws InvalidKeyException {
        P256.Multiplier m = multiplier;
        if (m == null) {
            BigInteger k = s;
            if (destroyed || k == null) {
                throw new InvalidKeyException("the private key has been destroyed");
            }
            m = new P256.Multiplier(k);
            multiplier = m;
        }
        return m.agree(validatedPeer);
    }

    @Override
    public ECParameterSpec getParams() {
        return P256.JDK_SPEC;
    }

    @Override
    public String getAlgorithm() {
        return "EC";
    }

    @Override
    public String getFormat() {
        return "PKCS#8";
    }

    @Override
    public byte[] getEncoded() {
        checkLive();
        return KeyEncodings.encodePrivate(scalar);
    }

    @Override
    public void destroy() throws DestroyFailedException {
        destroyed = true;
        Arrays.fill(scalar, (byte) 0);
        s = null;
        publicPoint = null;
        P256.Multiplier m = multiplier;
        multiplier = null;
        if (m != null) {
            m.destroy();
        }
    }

    @Override
    public boolean isDestroyed() {
        return destroyed;
    }

    /**
     * Equal to another live {@code AnodePrivateKey} with the same scalar (compared in constant
     * time); a destroyed key equals only itself.
     */
    @Override
    public boolean equals(Object o) {
        return o == this
                || o instanceof AnodePrivateKey k
                        && !destroyed
                        && !k.destroyed
                        && MessageDigest.isEqual(scalar, k.scalar);
    }

    /** Hashes the public point only, so a hash code never reveals anything about the secret. */
    @Override
    public int hashCode() {
        return destroyed ? 0 : publicPoint().hashCode();
    }

    @Override
    public String toString() {
        return destroyed ? "AnodePrivateKey[destroyed]" : "AnodePrivateKey[P-256, secret hidden]";
    }

    /**
     * Serializes through a proxy holding the PKCS#8 encoding.
     *
     * @return the proxy
     * @throws ObjectStreamException if the key has been destroyed
     */
    private Object writeReplace() throws ObjectStreamException {
        if (destroyed) {
            throw new java.io.NotSerializableException("a destroyed private key cannot be serialized");
        }
        return new Proxy(getEncoded());
    }

    /**
     * Refuses a direct stream form: only the proxy, which validates the key, is accepted.
     *
     * @param in the stream
     * @throws InvalidObjectException always
     */
    private void readObject(ObjectInputStream in) throws InvalidObjectException {
        throw new InvalidObjectException("AnodePrivateKey is serialized through its proxy");
    }

    /** Serialized form: the PKCS#8 encoding, parsed and validated again on the way in. */
    private static final class Proxy implements Serializable {
        private static final long serialVersionUID = 1L;
        private final byte[] pkcs8;

        Proxy(byte[] pkcs8) {
            this.pkcs8 = pkcs8;
        }

        private Object readResolve() throws ObjectStreamException {
            try {
                return KeyEncodings.decodePrivate(pkcs8);
            } catch (java.security.spec.InvalidKeySpecException e) {
                InvalidObjectException x =
                        new InvalidObjectException("bad serialized Anode private key: " + e.getMessage());
                x.initCause(e);
                throw x;
            }
        }
    }
}
