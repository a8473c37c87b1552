package org.anode.crypto;

import java.security.InvalidKeyException;
import java.security.Key;
import java.security.KeyFactorySpi;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.interfaces.ECPrivateKey;
import java.security.interfaces.ECPublicKey;
import java.security.spec.ECPoint;
import java.security.spec.ECPrivateKeySpec;
import java.security.spec.ECPublicKeySpec;
import java.security.spec.InvalidKeySpecException;
import java.security.spec.KeySpec;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.X509EncodedKeySpec;
import org.anode.address.AnodeAddress;
import org.anode.address.Zone;

/**
 * {@code KeyFactory "Anode"} / {@code "ANODE-256-40"} (draft 2.2): converts between
 * {@link AnodePublicKey}/{@link AnodePrivateKey} and {@link AnodeAddressKeySpec}, X.509
 * ({@link X509EncodedKeySpec}), PKCS#8 ({@link PKCS8EncodedKeySpec}), {@link ECPublicKeySpec} and
 * {@link ECPrivateKeySpec}; {@code translateKey} adopts other providers' P-256 keys. Encodings and
 * JDK specs carry no zone, so public keys made from them are in zone 0; an address spec keeps its zone.
 */
final class AnodeKeyFactorySpi extends KeyFactorySpi {
    @Override
    protected PublicKey engineGeneratePublic(KeySpec keySpec) throws InvalidKeySpecException {
        if (keySpec instanceof AnodeAddressKeySpec a) {
            return a.address().publicKey();
        }
        if (keySpec instanceof X509EncodedKeySpec x) {
            return AnodeAddress.of(Zone.DEFAULT, KeyEncodings.decodePublic(x.getEncoded()))
                    .publicKey();
        }
        if (keySpec instanceof ECPublicKeySpec e) {
            if (!EcKeys.isP256(e.getParams())) {
                throw new InvalidKeySpecException("ECPublicKeySpec is not on P-256 (secp256r1)");
            }
            ECPoint w = e.getW();
            if (w == ECPoint.POINT_INFINITY) {
                throw new InvalidKeySpecException("ECPublicKeySpec holds the point at infinity");
            }
            try {
                return AnodeAddress.of(
                                Zone.DEFAULT, org.anode.crypto.internal.P256.validate(w.getAffineX(), w.getAffineY()))
                        .publicKey();
            } catch (InvalidKeyException ex) {
                throw new InvalidKeySpecException("ECPublicKeySpec: " + ex.getMessage(), ex);
            }
        }
        throw new InvalidKeySpecException("KeyFactory Anode makes public keys from AnodeAddressKeySpec, "
                + "X509EncodedKeySpec or ECPublicKeySpec, not " + name(keySpec));
    }

    @Override
    protected PrivateKey engineGeneratePrivate(KeySpec keySpec) throws InvalidKeySpecException {
        if (keySpec instanceof PKCS8EncodedKeySpec p) {
            byte[] der = p.getEncoded();
            try {
                return KeyEncodings.decodePrivate(der);
            } finally {
                java.util.Arrays.fill(der, (byte) 0);
            }
        }
        if (keySpec instanceof ECPrivateKeySpec e) {
            if (!EcKeys.isP256(e.getParams())) {
                throw new InvalidKeySpecException("ECPrivateKeySpec is not on P-256 (secp256r1)");
            }
            try {
                return AnodePrivateKey.of(e.getS());
            } catch (InvalidKeyException ex) {
                throw new InvalidKeySpecException("ECPrivateKeySpec: " + ex.getMessage(), ex);
            }
        }
        throw new InvalidKeySpecException("KeyFactory Anode makes private keys from PKCS8EncodedKeySpec or "
                + "ECPrivateKeySpec, not " + name(keySpec));
    }

    @Override
    protected <T extends KeySpec> T engineGetKeySpec(Key key, Class<T> keySpec) throws InvalidKeySpecException {
        if (keySpec == null) {
            throw new InvalidKeySpecException("key spec class is null");
        }
        Key k;
        try {
            k = engineTranslateKey(key);
        } catch (InvalidKeyException e) {
            throw new InvalidKeySpecException(e.getMessage(), e);
        }
        if (k instanceof AnodePublicKey pub) {
            if (keySpec.isAssignableFrom(AnodeAddressKeySpec.class)) {
                return keySpec.cast(new AnodeAddressKeySpec(pub.address()));
            }
            if (keySpec.isAssignableFrom(X509EncodedKeySpec.class)) {
                return keySpec.cast(new X509EncodedKeySpec(pub.getEncoded()));
            }
            if (keySpec.isAssignableFrom(ECPublicKeySpec.class)) {
                return keySpec.cast(new ECPublicKeySpec(pub.getW(), pub.getParams()));
            }
            throw new InvalidKeySpecException("a public key converts to AnodeAddressKeySpec, X509EncodedKeySpec or "
                    + "ECPublicKeySpec, not " + keySpec.getName());
        }
        AnodePrivateKey priv = (AnodePrivateKey) k;
        if (keySpec.isAssignableFrom(PKCS8EncodedKeySpec.class)) {
            return keySpec.cast(new PKCS8EncodedKeySpec(priv.getEncoded()));
        }
        if (keySpec.isAssignableFrom(ECPrivateKeySpec.class)) {
            return keySpec.cast(new ECPrivateKeySpec(priv.getS(), priv.getParams()));
        }
        throw new InvalidKeySpecException(
                "a private key converts to PKCS8EncodedKeySpec or ECPrivateKeySpec, not " + keySpec.getName());
    }

    @Override
    protected Key engineTranslateKey(Key key) throws InvalidKeyException {
        if (key instanceof AnodePublicKey || key instanceof AnodePrivateKey) {
            if (key instanceof AnodePrivateKey p && p.isDestroyed()) {
                throw new InvalidKeyException("the private key has been destroyed");
            }
            return key;
        }
        if (key instanceof ECPublicKey) {
            return EcKeys.toPublic(key, Zone.DEFAULT);
        }
        if (key instanceof ECPrivateKey) {
            return EcKeys.toPrivate(key);
        }
        throw new InvalidKeyException("KeyFactory Anode translates P-256 EC keys only, got " + EcKeys.describe(key));
    }

    private static String name(KeySpec spec) {
        return spec == null ? "null" : spec.getClass().getName();
    }
}
