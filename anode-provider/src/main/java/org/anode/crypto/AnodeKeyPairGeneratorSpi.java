package org.anode.crypto;

import java.security.InvalidAlgorithmParameterException;
import java.security.InvalidParameterException;
import java.security.KeyPair;
import java.security.KeyPairGeneratorSpi;
import java.security.SecureRandom;
import java.security.spec.AlgorithmParameterSpec;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.ECParameterSpec;
import org.anode.address.AnodeIdentity;
import org.anode.address.Zone;

/**
 * {@code KeyPairGenerator "Anode"} / {@code "ANODE-256-40"} (draft 2.2): a P-256 key pair whose
 * public key carries an address in the chosen zone ({@link AnodeZoneParameterSpec}, default zone 0).
 * {@code initialize(256)} and the P-256 {@code ECGenParameterSpec} / {@code ECParameterSpec} are
 * accepted too, for code written against "EC"; they select zone 0.
 */
final class AnodeKeyPairGeneratorSpi extends KeyPairGeneratorSpi {
    private Zone zone = Zone.DEFAULT;
    private SecureRandom random;

    @Override
    public void initialize(int keysize, SecureRandom random) {
        if (keysize != 256) {
            throw new InvalidParameterException(
                    "ANODE-256-40 keys are 256-bit P-256 keys; key size " + keysize + " is not supported");
        }
        this.zone = Zone.DEFAULT;
        this.random = random;
    }

    @Override
    public void initialize(AlgorithmParameterSpec params, SecureRandom random)
            throws InvalidAlgorithmParameterException {
        if (params instanceof AnodeZoneParameterSpec z) {
            this.zone = z.zone();
        } else if (params instanceof ECGenParameterSpec g) {
            String n = g.getName();
            if (!n.equalsIgnoreCase("secp256r1")
                    && !n.equalsIgnoreCase("P-256")
                    && !n.equalsIgnoreCase("prime256v1")
                    && !n.equals("1.2.840.10045.3.1.7")) {
                throw new InvalidAlgorithmParameterException("ANODE-256-40 uses P-256 (secp256r1) only, not " + n);
            }
            this.zone = Zone.DEFAULT;
        } else if (params instanceof ECParameterSpec e) {
            if (!EcKeys.isP256(e)) {
                throw new InvalidAlgorithmParameterException(
                        "ANODE-256-40 uses P-256 (secp256r1) only; the given " + "curve parameters are different");
            }
            this.zone = Zone.DEFAULT;
        } else {
            throw new InvalidAlgorithmParameterException("KeyPairGenerator Anode takes an AnodeZoneParameterSpec, got "
                    + (params == null ? "null" : params.getClass().getName()));
        }
        this.random = random;
    }

    @Override
    public KeyPair generateKeyPair() {
        SecureRandom r = random;
        if (r == null) {
            r = new SecureRandom();
            random = r;
        }
        AnodeIdentity id = AnodeIdentity.generate(zone, r);
        return new KeyPair(id.address().publicKey(), id.privateKey());
    }
}
