package org.anode.crypto;

import java.security.InvalidAlgorithmParameterException;
import java.security.InvalidKeyException;
import java.security.Key;
import java.security.NoSuchAlgorithmException;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.interfaces.ECPublicKey;
import java.security.spec.AlgorithmParameterSpec;
import java.security.spec.ECPoint;
import java.util.Arrays;
import javax.crypto.KeyAgreementSpi;
import javax.crypto.SecretKey;
import javax.crypto.ShortBufferException;
import javax.crypto.spec.SecretKeySpec;
import org.anode.crypto.internal.AnodeKdf;

/**
 * {@code KeyAgreement "AnodeECDH"} (draft 2.4, DECISIONS 2): P-256 ECDH, then the XOR-fold
 * derivation to the requested length. Two-party, one phase.
 *
 * <p>Output length: an {@link AnodeKeyLengthParameterSpec} fixes it; without one,
 * {@code generateSecret()} gives the 32-byte raw key and {@code generateSecret(byte[], int)} fills
 * the room left in the array up to 32 bytes (so a smaller array asks for a shorter key).
 *
 * <p>Foreign (e.g. SunEC) public keys are validated on every {@code doPhase} (DECISIONS 8), except
 * that the last one is remembered with its coordinates: agreeing again with the same key object
 * and the same point skips re-validation, which is safe because it is exactly the check already
 * passed. Anode keys come from validated addresses and keep Bouncy Castle's per-point multiplication
 * tables, so repeated agreement with one peer does not rebuild them.
 */
final class AnodeEcdhSpi extends KeyAgreementSpi {
    private AnodePrivateKey privateKey;
    private int length; // 0: no parameter spec
    private byte[] raw;

    private ECPublicKey lastForeign;
    private ECPoint lastForeignW;
    private org.bouncycastle.math.ec.ECPoint lastForeignPoint;

    @Override
    protected void engineInit(Key key, SecureRandom random) throws InvalidKeyException {
        try {
            engineInit(key, null, random);
        } catch (InvalidAlgorithmParameterException e) {
            throw new InvalidKeyException(e.getMessage(), e);
        }
    }

    @Override
    protected void engineInit(Key key, AlgorithmParameterSpec params, SecureRandom random)
            throws InvalidKeyException, InvalidAlgorithmParameterException {
        int len = 0;
        if (params instanceof AnodeKeyLengthParameterSpec spec) {
            len = spec.length();
        } else if (params != null) {
            throw new InvalidAlgorithmParameterException("AnodeECDH takes an AnodeKeyLengthParameterSpec or no "
                    + "parameters, got " + params.getClass().getName());
        }
        AnodePrivateKey k = EcKeys.toPrivate(key);
        clearRaw();
        privateKey = k;
        length = len;
    }

    @Override
    protected Key engineDoPhase(Key key, boolean lastPhase) throws InvalidKeyException {
        if (privateKey == null) {
            throw new IllegalStateException("AnodeECDH not initialized with a private key");
        }
        if (!lastPhase) {
            throw new IllegalStateException("AnodeECDH is a two-party agreement: the only phase is the last");
        }
        if (raw != null) {
            throw new IllegalStateException("doPhase already called; call generateSecret first");
        }
        if (!(key instanceof PublicKey)) {
            throw new InvalidKeyException(
                    "AnodeECDH doPhase needs the peer's P-256 public key, got " + EcKeys.describe(key));
        }
        if (privateKey.isDestroyed()) {
            throw new InvalidKeyException("the private key has been destroyed");
        }
        raw = privateKey.agree(peerPoint(key));
        return null;
    }

    private org.bouncycastle.math.ec.ECPoint peerPoint(Key key) throws InvalidKeyException {
        if (key instanceof AnodePublicKey k) {
            return k.point();
        }
        if (key instanceof ECPublicKey k && k == lastForeign && lastForeignW.equals(k.getW())) {
            return lastForeignPoint;
        }
        org.bouncycastle.math.ec.ECPoint p = EcKeys.publicPoint(key);
        if (key instanceof ECPublicKey k) {
            lastForeign = k;
            lastForeignW = k.getW();
            lastForeignPoint = p;
        }
        return p;
    }

    private byte[] takeRaw() {
        if (raw == null) {
            throw new IllegalStateException("AnodeECDH: call doPhase with the peer's public key first");
        }
        byte[] r = raw;
        raw = null;
        return r;
    }

    private void clearRaw() {
        if (raw != null) {
            Arrays.fill(raw, (byte) 0);
            raw = null;
        }
    }

    private static byte[] derive(byte[] r, int n) {
        if (n == 32) {
            return r; // DECISIONS 2: for n = 32 the fold is the identity
        }
        byte[] out = AnodeKdf.derive(r, n);
        Arrays.fill(r, (byte) 0);
        return out;
    }

    @Override
    protected byte[] engineGenerateSecret() {
        return derive(takeRaw(), length == 0 ? 32 : length);
    }

    @Override
    protected int engineGenerateSecret(byte[] sharedSecret, int offset) throws ShortBufferException {
        if (raw == null) {
            throw new IllegalStateException("AnodeECDH: call doPhase with the peer's public key first");
        }
        if (sharedSecret == null || offset < 0 || offset > sharedSecret.length) {
            throw new IllegalArgumentException("bad output array or offset " + offset);
        }
        int room = sharedSecret.length - offset;
        int n = length != 0 ? length : Math.min(room, 32);
        if (n == 0 || room < n) {
            // Keep the agreed key: the caller may retry with a larger array, as the JCA contract allows.
            throw new ShortBufferException(
                    "AnodeECDH needs " + (n == 0 ? "at least 1 byte" : n + " bytes") + " of room, " + room + " given");
        }
        byte[] out = derive(takeRaw(), n);
        System.arraycopy(out, 0, sharedSecret, offset, n);
        Arrays.fill(out, (byte) 0);
        return n;
    }

    @Override
    protected SecretKey engineGenerateSecret(String algorithm) throws NoSuchAlgorithmException, InvalidKeyException {
        if (algorithm == null) {
            throw new NoSuchAlgorithmException("secret key algorithm is null");
        }
        int n = length == 0 ? 32 : length;
        if (algorithm.equalsIgnoreCase("AES")) {
            if (n != 16 && n != 24 && n != 32) {
                throw new InvalidKeyException("an AES key is 16, 24 or 32 bytes; this agreement derives " + n);
            }
        } else if (!algorithm.equalsIgnoreCase("AnodeECDH") && !algorithm.equalsIgnoreCase("RAW")) {
            throw new NoSuchAlgorithmException("AnodeECDH makes \"AES\" keys or \"AnodeECDH\"/\"RAW\" keys of the "
                    + "derived bytes, not \"" + algorithm + "\"");
        }
        byte[] out = derive(takeRaw(), n);
        try {
            return new SecretKeySpec(out, algorithm.equalsIgnoreCase("AES") ? "AES" : "AnodeECDH");
        } finally {
            Arrays.fill(out, (byte) 0);
        }
    }
}
