package org.anode.crypto;

import java.math.BigInteger;
import java.security.spec.InvalidKeySpecException;
import java.util.Arrays;

/**
 * A small, strict DER reader for the few structures the key encodings need (X.509
 * SubjectPublicKeyInfo, PKCS#8, RFC 5915 ECPrivateKey; used by draft 2.2 key import).
 *
 * <p>Strict on purpose: definite minimal lengths only, minimal INTEGER encodings, no trailing
 * bytes, and only the (low-number) tags the caller names. Keys come from files and from other
 * programs; accepting BER leniency would let two different byte strings stand for one key, and a
 * parser that is lenient in one place tends to be wrong in another. Every failure is an {@link InvalidKeySpecException}
 * saying what was wrong and where.
 */
final class DerReader {
    static final int INTEGER = 0x02;
    static final int BIT_STRING = 0x03;
    static final int OCTET_STRING = 0x04;
    static final int NULL = 0x05;
    static final int OID = 0x06;
    static final int SEQUENCE = 0x30;

    private final byte[] buf;
    private final String what;
    private int pos;
    private final int end;

    private DerReader(byte[] buf, int pos, int end, String what) {
        this.buf = buf;
        this.pos = pos;
        this.end = end;
        this.what = what;
    }

    /** A reader over all of {@code der}; {@code what} names the structure in error messages. */
    static DerReader of(byte[] der, String what) throws InvalidKeySpecException {
        if (der == null) {
            throw new InvalidKeySpecException(what + ": encoding is null");
        }
        return new DerReader(der, 0, der.length, what);
    }

    boolean hasMore() {
        return pos < end;
    }

    /** The tag of the next element, or -1 at the end. */
    int peekTag() {
        return pos < end ? buf[pos] & 0xff : -1;
    }

    private InvalidKeySpecException error(String msg) {
        return new InvalidKeySpecException(what + ": " + msg + " (at byte " + pos + ")");
    }

    /** Reads one element with the given tag and returns its contents as a bounded sub-reader. */
    DerReader read(int tag) throws InvalidKeySpecException {
        if (pos >= end) {
            throw error(String.format("expected tag %02x, found end of data", tag));
        }
        int t = buf[pos] & 0xff;
        if (t != tag) {
            throw error(String.format("expected tag %02x, found %02x", tag, t));
        }
        pos++;
        if (pos >= end) {
            throw error("missing length");
        }
        int first = buf[pos++] & 0xff;
        int len;
        if (first < 0x80) {
            len = first;
        } else if (first == 0x80) {
            throw error("indefinite length is not DER");
        } else {
            int n = first & 0x7f;
            if (n > 3) {
                throw error("length of " + n + " bytes is far too long for a key");
            }
            if (end - pos < n) {
                throw error("truncated length");
            }
            if (buf[pos] == 0) {
                throw error("length has a leading zero byte (not minimal DER)");
            }
            len = 0;
            for (int i = 0; i < n; i++) {
                len = (len << 8) | (buf[pos++] & 0xff);
            }
            if (len < 0x80) {
                throw error("long-form length " + len + " should use the short form (not minimal DER)");
            }
        }
        if (len > end - pos) {
            throw error("element of " + len + " bytes runs past the end (" + (end - pos) + " remain)");
        }
        DerReader sub = new DerReader(buf, pos, pos + len, what);
        pos += len;
        return sub;
    }

    /** The remaining contents of this reader as a copy. */
    byte[] contents() {
        byte[] b = Arrays.copyOfRange(buf, pos, end);
        pos = end;
        return b;
    }

    byte[] readOctetString() throws InvalidKeySpecException {
        return read(OCTET_STRING).contents();
    }

    /** A BIT STRING whose bit count is a multiple of 8 (all key material is). */
    byte[] readBitStringBytes() throws InvalidKeySpecException {
        DerReader b = read(BIT_STRING);
        if (!b.hasMore()) {
            throw error("empty BIT STRING");
        }
        int unused = b.buf[b.pos++] & 0xff;
        if (unused != 0) {
            throw error("BIT STRING has " + unused + " unused bits; key material is whole bytes");
        }
        return b.contents();
    }

    /** An INTEGER, checked to be minimally encoded. */
    BigInteger readInteger() throws InvalidKeySpecException {
        DerReader i = read(INTEGER);
        int n = i.end - i.pos;
        if (n == 0) {
            throw error("empty INTEGER");
        }
        if (n > 1) {
            int b0 = i.buf[i.pos];
            int b1 = i.buf[i.pos + 1];
            if ((b0 == 0 && (b1 & 0x80) == 0) || (b0 == -1 && (b1 & 0x80) != 0)) {
                throw error("INTEGER is not minimally encoded");
            }
        }
        return new BigInteger(i.contents());
    }

    /** Reads an OBJECT IDENTIFIER and returns its encoded contents for comparison. */
    byte[] readOid() throws InvalidKeySpecException {
        byte[] oid = read(OID).contents();
        if (oid.length == 0) {
            throw error("empty OBJECT IDENTIFIER");
        }
        return oid;
    }

    /** Requires that this reader is used up: trailing bytes make the encoding ambiguous. */
    void expectEnd() throws InvalidKeySpecException {
        if (pos != end) {
            throw error((end - pos) + " unexpected trailing bytes");
        }
    }
}
