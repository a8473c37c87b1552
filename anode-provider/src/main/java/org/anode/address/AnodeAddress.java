package org.anode.address;

import java.nio.ByteBuffer;
import java.security.InvalidKeyException;
import java.util.Arrays;
import org.anode.crypto.AnodePublicKey;
import org.anode.crypto.internal.AesDigest;
import org.anode.crypto.internal.P256;
import org.bouncycastle.math.ec.ECPoint;

/**
 * An ANODE-256-40 address (draft 2.2): {@code <type=1><zone[4]><unused[2]=0><compressed P-256 key[33]>},
 * 40 bytes, written as 64 lower-case base32 characters (DECISIONS 6).
 *
 * <p>Immutable and always valid: every factory checks the type byte, the unused bytes and the
 * public key point (DECISIONS 8), so holding an {@code AnodeAddress} means holding a key that is
 * safe to run ECDH against. Ordered by unsigned byte-wise comparison of the binary form.
 */
public final class AnodeAddress implements Comparable<AnodeAddress> {
    /** Length of the binary form. */
    public static final int LENGTH = 40;
    /** Length of the base32 text form. */
    public static final int TEXT_LENGTH = 64;
    /** The only address type the draft defines. */
    public static final int TYPE_ANODE_256_40 = 1;

    private final byte[] bytes;
    private final ECPoint point;
    private final int hash;
    private volatile ShortId shortId;
    private volatile AnodePublicKey publicKey;

    private AnodeAddress(byte[] bytes, ECPoint point) {
        this.bytes = bytes;
        this.point = point;
        this.hash = Arrays.hashCode(bytes);
    }

    /**
     * Validates and wraps a copy of 40 address bytes.
     *
     * @param bytes the 40 address bytes (type, zone, two zero bytes, compressed key)
     * @return the address
     * @throws InvalidAddressException if the length, type, unused bytes or key are invalid
     */
    public static AnodeAddress fromBytes(byte[] bytes) throws InvalidAddressException {
        if (bytes == null) {
            throw new InvalidAddressException("address bytes are null");
        }
        if (bytes.length != LENGTH) {
            throw new InvalidAddressException("an ANODE-256-40 address is 40 bytes, got " + bytes.length);
        }
        return validate(bytes.clone());
    }

    /**
     * Reads 40 bytes at {@code src}'s position (advancing it) and validates them.
     *
     * @param src the buffer to read from
     * @return the address
     * @throws InvalidAddressException if fewer than 40 bytes remain or they are not a valid address
     */
    public static AnodeAddress read(ByteBuffer src) throws InvalidAddressException {
        if (src.remaining() < LENGTH) {
            throw new InvalidAddressException(
                    "an ANODE-256-40 address is 40 bytes, only " + src.remaining() + " remain");
        }
        byte[] b = new byte[LENGTH];
        src.get(b);
        return validate(b);
    }

    /**
     * Parses the 64-character base32 form; upper case is accepted (DECISIONS 6).
     *
     * @param text the base32 text
     * @return the address
     * @throws InvalidAddressException if the text is not 64 base32 characters of a valid address
     */
    public static AnodeAddress parse(CharSequence text) throws InvalidAddressException {
        if (text == null) {
            throw new InvalidAddressException("address text is null");
        }
        String[] error = new String[1];
        byte[] b = Base32.decode(text, LENGTH, error);
        if (b == null) {
            throw new InvalidAddressException("not an Anode address: " + error[0]);
        }
        return validate(b);
    }

    /**
     * The address of a zone and a P-256 public point. The point is checked here too (DECISIONS 8),
     * so an address can never carry an invalid key whichever way it was made.
     *
     * @param zone the zone (draft 2.1)
     * @param point the public point
     * @return the address
     * @throws IllegalArgumentException if the point is infinity or not on P-256
     */
    public static AnodeAddress of(Zone zone, ECPoint point) {
        java.util.Objects.requireNonNull(zone, "zone");
        ECPoint validatedPoint;
        try {
            validatedPoint = P256.checkPoint(point);
        } catch (InvalidKeyException e) {
            throw new IllegalArgumentException("cannot make an address: " + e.getMessage(), e);
        }
        byte[] b = new byte[LENGTH];
        b[0] = TYPE_ANODE_256_40;
        b[1] = (byte) (zone.id() >>> 24);
        b[2] = (byte) (zone.id() >>> 16);
        b[3] = (byte) (zone.id() >>> 8);
        b[4] = (byte) zone.id();
        byte[] key = P256.compress(validatedPoint);
        System.arraycopy(key, 0, b, 7, 33);
        return new AnodeAddress(b, validatedPoint);
    }

    private static AnodeAddress validate(byte[] b) throws InvalidAddressException {
        if ((b[0] & 0xff) != TYPE_ANODE_256_40) {
            throw new InvalidAddressException(
                    "unknown address type " + (b[0] & 0xff) + " (only 1, ANODE-256-40, is defined)");
        }
        if (b[5] != 0 || b[6] != 0) {
            throw new InvalidAddressException("the two unused address bytes must be zero");
        }
        try {
            ECPoint p = P256.decodeCompressed(b, 7);
            return new AnodeAddress(b, p);
        } catch (InvalidKeyException e) {
            throw new InvalidAddressException("invalid address public key: " + e.getMessage(), e);
        }
    }

    /** {@return the address type (always 1, ANODE-256-40)} */
    public int type() {
        return bytes[0] & 0xff;
    }

    /** {@return the zone of this address (draft 2.1, bytes 1-4)} */
    public Zone zone() {
        return new Zone(
                ((bytes[1] & 0xff) << 24) | ((bytes[2] & 0xff) << 16) | ((bytes[3] & 0xff) << 8) | (bytes[4] & 0xff));
    }

    /** {@return the address's public key, usable with {@code KeyAgreement "AnodeECDH"} and with SunEC} */
    public AnodePublicKey publicKey() {
        AnodePublicKey k = publicKey;
        if (k == null) {
            k = new AnodePublicKey(this);
            publicKey = k;
        }
        return k;
    }

    /** {@return the validated point, for this library's crypto code} */
    public ECPoint point() {
        return point;
    }

    /** {@return a copy of the 33-byte compressed public key} */
    public byte[] compressedKey() {
        return Arrays.copyOfRange(bytes, 7, 40);
    }

    /** {@return the short address identifier (draft 2.7), computed once} */
    public ShortId shortId() {
        ShortId s = shortId;
        if (s == null) {
            byte[] d = AesDigest.digest(bytes);
            long v = 0;
            for (int i = 0; i < 8; i++) {
                v = (v << 8) | ((d[i] ^ d[i + 8]) & 0xff);
            }
            s = new ShortId(v);
            shortId = s;
        }
        return s;
    }

    /** {@return the sum of the 40 bytes as unsigned values: the zone relay checksum (draft 2.3.1, DECISIONS 12)} */
    public int byteSum() {
        int sum = 0;
        for (byte b : bytes) {
            sum += b & 0xff;
        }
        return sum;
    }

    /** {@return a copy of the 40 address bytes} */
    public byte[] toByteArray() {
        return bytes.clone();
    }

    /**
     * Writes the 40 bytes at {@code dst}'s position, advancing it.
     *
     * @param dst the buffer to write to
     */
    public void writeTo(ByteBuffer dst) {
        dst.put(bytes);
    }

    /**
     * Compares with 40 bytes at {@code src[off..]} without allocating.
     *
     * @param src the buffer holding a candidate address
     * @param off the absolute index of its first byte
     * @return whether the 40 bytes equal this address
     */
    public boolean matches(ByteBuffer src, int off) {
        for (int i = 0; i < LENGTH; i++) {
            if (src.get(off + i) != bytes[i]) {
                return false;
            }
        }
        return true;
    }

    /** The 64-character lower-case base32 form. */
    @Override
    public String toString() {
        return Base32.encode(bytes);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof AnodeAddress a && hash == a.hash && Arrays.equals(bytes, a.bytes);
    }

    @Override
    public int hashCode() {
        return hash;
    }

    @Override
    public int compareTo(AnodeAddress o) {
        return Arrays.compareUnsigned(bytes, o.bytes);
    }
}
