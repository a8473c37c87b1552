package org.anode.crypto;

import java.security.interfaces.ECPublicKey;
import java.security.spec.ECParameterSpec;
import java.security.spec.ECPoint;
import org.anode.address.AnodeAddress;
import org.anode.crypto.internal.P256;

/**
 * The public half of an ANODE-256-40 key pair (draft 2.2, 2.4): a validated P-256 point bound to
 * the zone of its address. Implements {@link ECPublicKey} with the P-256 parameters, so it works
 * with SunEC as well; {@link #getEncoded()} is the X.509 SubjectPublicKeyInfo DER form (which
 * carries no zone: a key rebuilt from it by {@code KeyFactory "Anode"} is in zone 0 unless the
 * caller asks for another). Serialized as its 40 address bytes, so the zone survives.
 */
public final class AnodePublicKey implements ECPublicKey {
    private static final long serialVersionUID = 1L;

    private final transient org.bouncycastle.math.ec.ECPoint point;
    private final transient AnodeAddress address;

    /**
     * The public key of {@code address}. Prefer {@link AnodeAddress#publicKey()}, which caches it.
     * Taking the address (always validated, DECISIONS 8) rather than a bare point means no
     * {@code AnodePublicKey} can ever hold a point that was not checked.
     *
     * @param address the address whose key this is
     */
    public AnodePublicKey(AnodeAddress address) {
        this.point = address.point();
        this.address = address;
    }

    /** {@return the Anode address this key belongs to (zone + compressed key)} */
    public AnodeAddress address() {
        return address;
    }

    @Override
    public ECPoint getW() {
        return new ECPoint(
                point.getAffineXCoord().toBigInteger(), point.getAffineYCoord().toBigInteger());
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
        return "X.509";
    }

    @Override
    public byte[] getEncoded() {
        return KeyEncodings.encodePublic(point);
    }

    /** {@return the validated point, for this library's crypto code} */
    public org.bouncycastle.math.ec.ECPoint point() {
        return point;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof AnodePublicKey k && address.equals(k.address);
    }

    @Override
    public int hashCode() {
        return address.hashCode();
    }

    @Override
    public String toString() {
        return "AnodePublicKey[" + address + "]";
    }

    /**
     * Serializes through a proxy holding the 40 address bytes.
     *
     * @return the proxy
     */
    private Object writeReplace() {
        return new Proxy(address.toByteArray());
    }

    /**
     * Refuses a direct stream form: only the proxy, which validates the address, is accepted.
     *
     * @param in the stream
     * @throws java.io.InvalidObjectException always
     */
    private void readObject(java.io.ObjectInputStream in) throws java.io.InvalidObjectException {
        throw new java.io.InvalidObjectException("AnodePublicKey is serialized through its proxy");
    }

    /** Serialized form: the 40 address bytes (zone and key), validated again on the way in. */
    private static final class Proxy implements java.io.Serializable {
        private static final long serialVersionUID = 1L;
        private final byte[] address;

        Proxy(byte[] address) {
            this.address = address;
        }

        private Object readResolve() throws java.io.ObjectStreamException {
            try {
                return AnodeAddress.fromBytes(address).publicKey();
            } catch (org.anode.address.InvalidAddressException e) {
                java.io.InvalidObjectException x =
                        new java.io.InvalidObjectException("bad serialized Anode public key: " + e.getMessage());
                x.initCause(e);
                throw x;
            }
        }
    }
}
