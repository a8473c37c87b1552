package org.anode.engine;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Arrays;
import javax.crypto.Mac;
import javax.crypto.ShortBufferException;
import javax.crypto.spec.SecretKeySpec;

/**
 * Cookies that prove a sender receives at its source address (addendum A15; draft 3.2 gives an
 * unknown sender no such check, and 3.3 makes each first contact cost a key agreement). A cookie
 * is HMAC-SHA256, under a secret drawn when the node starts, of the source's IP address and UDP
 * port and a {@link #SLOT_NANOS} time slot, truncated to {@link #LENGTH} bytes. It is valid in its
 * own slot and the next one, so it lives between one and two slots. Nothing is stored per source:
 * the node can hand out cookies to a flood without growing any table.
 *
 * <p>Sans I/O and clock-free: callers pass the time. Event loop only (one MAC instance and
 * scratch arrays, so a check allocates nothing beyond what the source address's bytes need).
 */
final class AddressCookies {
    /** Cookie length in bytes: a blind guess succeeds with probability 2^-128. */
    static final int LENGTH = 16;
    /** Time slot of a cookie; it is accepted in its slot and the next. */
    static final long SLOT_NANOS = 32_000_000_000L;

    private final Mac mac;
    /** Slot (8), port (2), IP address (4 or 16). */
    private final byte[] in = new byte[8 + 2 + 16];

    private final byte[] out = new byte[32];

    AddressCookies(SecureRandom random) {
        byte[] secret = new byte[32];
        random.nextBytes(secret);
        try {
            mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(secret, "HmacSHA256"));
        } catch (GeneralSecurityException e) {
            // Every Java SE runtime provides HmacSHA256.
            throw new IllegalStateException("HmacSHA256 unavailable", e);
        } finally {
            Arrays.fill(secret, (byte) 0);
        }
    }

    /** The slot {@code now} falls in (the clock may be negative, as System.nanoTime may be). */
    static long slot(long now) {
        return Math.floorDiv(now, SLOT_NANOS);
    }

    /** Writes the cookie for {@code source} at {@code now} at {@code dst}'s position and advances it. */
    void write(InetSocketAddress source, long now, ByteBuffer dst) {
        compute(source, slot(now));
        dst.put(out, 0, LENGTH);
    }

    /**
     * Whether the {@link #LENGTH} bytes at {@code b[off]} are the cookie of {@code source} for the
     * slot of {@code now} or the one before. Each comparison takes the same time whatever the bytes.
     */
    boolean check(InetSocketAddress source, long now, ByteBuffer b, int off) {
        if (off < 0 || off + LENGTH > b.limit()) {
            return false;
        }
        long s = slot(now);
        compute(source, s);
        boolean ok = equal(b, off);
        compute(source, s - 1);
        // Both slots are computed and compared every time, so the time taken says nothing about which matched.
        return equal(b, off) | ok;
    }

    private boolean equal(ByteBuffer b, int off) {
        int d = 0;
        for (int i = 0; i < LENGTH; i++) {
            d |= (b.get(off + i) ^ out[i]) & 0xff;
        }
        return d == 0;
    }

    private void compute(InetSocketAddress source, long slot) {
        byte[] m = in;
        for (int i = 0; i < 8; i++) {
            m[i] = (byte) (slot >>> (56 - 8 * i));
        }
        int port = source.getPort();
        m[8] = (byte) (port >>> 8);
        m[9] = (byte) port;
        InetAddress a = source.getAddress();
        int n;
        if (a == null) {
            // An unresolved address never occurs on the receive path; it gets a cookie of its own kind.
            n = 0;
        } else if (a instanceof Inet4Address) {
            byte[] ip = a.getAddress();
            System.arraycopy(ip, 0, m, 10, 4);
            n = 4;
        } else {
            byte[] ip = a.getAddress();
            System.arraycopy(ip, 0, m, 10, 16);
            n = 16;
        }
        mac.update(m, 0, 10 + n);
        try {
            mac.doFinal(out, 0);
        } catch (ShortBufferException e) {
            throw new IllegalStateException(e);
        }
    }
}
