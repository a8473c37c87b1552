package org.anode.address;

import java.io.IOException;
import java.io.InputStream;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.InvalidKeyException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;
import org.anode.crypto.AnodePrivateKey;
import org.anode.crypto.internal.P256;

/**
 * An Anode identity (draft 2.2): an ANODE-256-40 address together with the P-256 private key whose
 * public key it carries. Immutable and always consistent (the secret is checked to match the
 * address's key on every way in).
 *
 * <p>Text form (DECISIONS 9), exactly as libanode's {@code AnodeIdentity_to_string} writes it:
 * {@code ANODE-256-40:<64-char base32 address>:<64 lower-case hex secret>}. {@link #toString()}
 * shows the address only; the secret leaves this object only through {@link #toIdentityString()},
 * {@link #store(Path)} and {@link #privateKey()}.
 */
public final class AnodeIdentity {
    /** The only identity type the draft defines. */
    public static final String TYPE_NAME = "ANODE-256-40";
    /** Identity files are one short line; anything much larger is not an identity file. */
    private static final int MAX_FILE_BYTES = 4096;

    private static final char[] HEX = "0123456789abcdef".toCharArray();

    private final AnodeAddress address;
    private final AnodePrivateKey privateKey;

    private AnodeIdentity(AnodeAddress address, AnodePrivateKey privateKey) {
        this.address = address;
        this.privateKey = privateKey;
    }

    /**
     * Generates a fresh identity in {@code zone} with a default {@link SecureRandom}.
     *
     * @param zone the zone of the new address
     * @return the new identity
     */
    public static AnodeIdentity generate(Zone zone) {
        return generate(zone, new SecureRandom());
    }

    /**
     * Generates a fresh identity in {@code zone}: a uniform scalar in [1, n-1] by rejection sampling.
     *
     * @param zone the zone of the new address
     * @param random the source of the private scalar
     * @return the new identity
     */
    public static AnodeIdentity generate(Zone zone, SecureRandom random) {
        Objects.requireNonNull(zone, "zone");
        Objects.requireNonNull(random, "random");
        byte[] buf = new byte[32];
        try {
            // n is just below 2^256, so a rejection is astronomically rare; the loop is bounded anyway.
            for (int attempt = 0; attempt < 1000; attempt++) {
                random.nextBytes(buf);
                BigInteger s = new BigInteger(1, buf);
                if (s.signum() > 0 && s.compareTo(P256.N) < 0) {
                    AnodePrivateKey key = AnodePrivateKey.of(s);
                    return new AnodeIdentity(AnodeAddress.of(zone, key.publicPoint()), key);
                }
            }
        } catch (InvalidKeyException e) {
            throw new IllegalStateException("a scalar checked to be in range was rejected", e);
        } finally {
            Arrays.fill(buf, (byte) 0);
        }
        throw new IllegalStateException("the random source produced 1000 out-of-range P-256 scalars; it is broken");
    }

    /**
     * Builds an identity from an address and its private key.
     *
     * @param address the address
     * @param privateKey the private key whose public point is the address's key
     * @return the identity
     * @throws InvalidIdentityException if the key's public point is not the address's key
     */
    public static AnodeIdentity of(AnodeAddress address, AnodePrivateKey privateKey) throws InvalidIdentityException {
        Objects.requireNonNull(address, "address");
        Objects.requireNonNull(privateKey, "privateKey");
        if (privateKey.isDestroyed()) {
            throw new InvalidIdentityException("the private key has been destroyed");
        }
        if (!privateKey.publicPoint().equals(address.point())) {
            throw new InvalidIdentityException("the secret does not belong to address " + address);
        }
        return new AnodeIdentity(address, privateKey);
    }

    /**
     * Parses the identity string of DECISIONS 9. The type name is matched case-insensitively, the
     * address by the base32 rules of DECISIONS 6, the secret as exactly 64 hex digits (either case).
     *
     * @param identityString {@code ANODE-256-40:<address>:<secret hex>}
     * @return the identity
     * @throws InvalidIdentityException saying which part is wrong (never echoing the secret)
     */
    public static AnodeIdentity parse(CharSequence identityString) throws InvalidIdentityException {
        if (identityString == null) {
            throw new InvalidIdentityException("identity string is null");
        }
        String s = identityString.toString();
        int c1 = s.indexOf(':');
        int c2 = c1 < 0 ? -1 : s.indexOf(':', c1 + 1);
        if (c1 < 0 || c2 < 0 || s.indexOf(':', c2 + 1) >= 0) {
            throw new InvalidIdentityException("an identity string is " + TYPE_NAME
                    + ":<base32 address>:<hex secret> (three fields separated by ':')");
        }
        String type = s.substring(0, c1);
        if (!type.equalsIgnoreCase(TYPE_NAME)) {
            throw new InvalidIdentityException(
                    "unknown identity type '" + printable(type) + "' (only " + TYPE_NAME + " is defined)");
        }
        AnodeAddress address;
        try {
            address = AnodeAddress.parse(s.substring(c1 + 1, c2));
        } catch (InvalidAddressException e) {
            throw new InvalidIdentityException("identity address is invalid: " + e.getMessage(), e);
        }
        byte[] secret = parseHexSecret(s, c2 + 1);
        try {
            return of(address, AnodePrivateKey.fromBytes(secret));
        } catch (InvalidKeyException e) {
            throw new InvalidIdentityException("identity secret is invalid: " + e.getMessage(), e);
        } finally {
            Arrays.fill(secret, (byte) 0);
        }
    }

    private static byte[] parseHexSecret(String s, int from) throws InvalidIdentityException {
        int len = s.length() - from;
        if (len != 64) {
            throw new InvalidIdentityException("identity secret must be 64 hex digits, got " + len + " characters");
        }
        byte[] out = new byte[32];
        for (int i = 0; i < 32; i++) {
            int hi = Character.digit(s.charAt(from + 2 * i), 16);
            int lo = Character.digit(s.charAt(from + 2 * i + 1), 16);
            if (hi < 0 || lo < 0 || s.charAt(from + 2 * i) > 'f' || s.charAt(from + 2 * i + 1) > 'f') {
                Arrays.fill(out, (byte) 0);
                throw new InvalidIdentityException("identity secret has a non-hex character at position "
                        + (hi < 0 || s.charAt(from + 2 * i) > 'f' ? 2 * i : 2 * i + 1));
            }
            out[i] = (byte) ((hi << 4) | lo);
        }
        return out;
    }

    /**
     * Reads an identity file written by {@link #store(Path)} (or by libanode): the identity string,
     * optionally preceded by a UTF-8 byte order mark (skipped, as the zone file parser does) and
     * followed by line-end white space.
     *
     * <p>On POSIX file systems the file's permissions are checked as ssh checks a private key's: a
     * file that group or others may <em>write</em> is refused (anyone could replace the node's
     * identity), and one that group or others may <em>read</em> is loaded with a loud warning
     * (its secret may already be known) naming the file and the fix, {@code chmod 600}.
     *
     * @param file the identity file
     * @return the identity
     * @throws IOException if the file cannot be read, or others may write it
     * @throws InvalidIdentityException if its contents are not one identity string (the message
     *     names the file)
     */
    public static AnodeIdentity load(Path file) throws IOException, InvalidIdentityException {
        checkPermissions(file);
        byte[] data;
        try (InputStream in = Files.newInputStream(file)) {
            data = in.readNBytes(MAX_FILE_BYTES + 1);
        }
        try {
            if (data.length > MAX_FILE_BYTES) {
                throw new InvalidIdentityException(
                        "identity file " + file + " is larger than " + MAX_FILE_BYTES + " bytes; not an identity file");
            }
            int start =
                    data.length >= 3 && (data[0] & 0xff) == 0xEF && (data[1] & 0xff) == 0xBB && (data[2] & 0xff) == 0xBF
                            ? 3
                            : 0;
            String text = new String(data, start, data.length - start, StandardCharsets.US_ASCII).strip();
            try {
                return parse(text);
            } catch (InvalidIdentityException e) {
                throw new InvalidIdentityException("identity file " + file + ": " + e.getMessage(), e);
            }
        } finally {
            Arrays.fill(data, (byte) 0);
        }
    }

    /** The ssh-style permission check of {@link #load(Path)}; nothing on non-POSIX file systems. */
    private static void checkPermissions(Path file) throws IOException {
        Set<PosixFilePermission> perms;
        try {
            perms = Files.getPosixFilePermissions(file);
        } catch (UnsupportedOperationException e) {
            return;
        }
        if (perms.contains(PosixFilePermission.GROUP_WRITE) || perms.contains(PosixFilePermission.OTHERS_WRITE)) {
            throw new IOException("identity file " + file + " is writable by group or others ("
                    + PosixFilePermissions.toString(perms) + "): anyone could replace this node's identity;"
                    + " refusing to load it (chmod 600 " + file + ")");
        }
        if (perms.contains(PosixFilePermission.GROUP_READ) || perms.contains(PosixFilePermission.OTHERS_READ)) {
            System.getLogger(AnodeIdentity.class.getName())
                    .log(
                            System.Logger.Level.WARNING,
                            "UNPROTECTED IDENTITY FILE: " + file + " is readable by group or others ("
                                    + PosixFilePermissions.toString(perms) + "); its secret key may be known to others."
                                    + " Run: chmod 600 " + file);
        }
    }

    /**
     * Writes the identity string and a line feed to {@code file}, replacing it atomically where the
     * file system allows. On POSIX file systems the file is created owner-only ({@code rw-------})
     * before any secret byte is written, so it is never readable by others, even briefly.
     *
     * @param file where to write
     * @throws IOException if the file cannot be written or replaced
     */
    public void store(Path file) throws IOException {
        Path target = file.toAbsolutePath();
        Path dir = target.getParent();
        boolean posix = Files.getFileStore(dir).supportsFileAttributeView("posix");
        FileAttribute<?>[] attrs = posix
                ? new FileAttribute<?>[] {
                    PosixFilePermissions.asFileAttribute(
                            Set.of(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE))
                }
                : new FileAttribute<?>[0];
        Path tmp = Files.createTempFile(dir, "." + target.getFileName() + ".", ".tmp", attrs);
        byte[] bytes = (toIdentityString() + "\n").getBytes(StandardCharsets.US_ASCII);
        try {
            Files.write(
                    tmp,
                    bytes,
                    StandardOpenOption.WRITE,
                    StandardOpenOption.TRUNCATE_EXISTING,
                    StandardOpenOption.SYNC);
            try {
                Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (FileAlreadyExistsException e) {
            throw new IOException("cannot replace " + target + ": " + e.getMessage(), e);
        } finally {
            Arrays.fill(bytes, (byte) 0);
            Files.deleteIfExists(tmp);
        }
    }

    /** {@return the identity's address} */
    public AnodeAddress address() {
        return address;
    }

    /** {@return the identity's private key (a secret)} */
    public AnodePrivateKey privateKey() {
        return privateKey;
    }

    /** {@return the identity string of DECISIONS 9, secret included: treat the result as a secret} */
    public String toIdentityString() {
        byte[] secret = privateKey.toByteArray();
        StringBuilder sb = new StringBuilder(TYPE_NAME.length() + 2 + AnodeAddress.TEXT_LENGTH + 64);
        sb.append(TYPE_NAME).append(':').append(address).append(':');
        for (byte b : secret) {
            sb.append(HEX[(b >>> 4) & 15]).append(HEX[b & 15]);
        }
        Arrays.fill(secret, (byte) 0);
        return sb.toString();
    }

    /**
     * The 32-byte raw ECDH key with {@code peer} (DECISIONS 2): the x-coordinate of
     * {@code secret * peerKey}. It is also the packet MAC key between the two (DECISIONS 4), and the
     * peer computes the same bytes from its secret and this identity's address.
     *
     * @param peer the other address
     * @return the 32-byte shared key
     * @throws InvalidKeyException if the agreement degenerates (never for a valid address)
     */
    public byte[] agree(AnodeAddress peer) throws InvalidKeyException {
        Objects.requireNonNull(peer, "peer");
        // The address was validated when it was made (DECISIONS 8), so its point is safe to use.
        return privateKey.agree(peer.point());
    }

    @Override
    public boolean equals(Object o) {
        if (!(o instanceof AnodeIdentity other) || !address.equals(other.address)) {
            return false;
        }
        byte[] a = privateKey.toByteArray();
        byte[] b = other.privateKey.toByteArray();
        boolean eq = MessageDigest.isEqual(a, b);
        Arrays.fill(a, (byte) 0);
        Arrays.fill(b, (byte) 0);
        return eq;
    }

    /** The address's hash: the secret never influences it. */
    @Override
    public int hashCode() {
        return address.hashCode();
    }

    /** The address only; the secret is never printed. */
    @Override
    public String toString() {
        return "AnodeIdentity[" + address + "]";
    }

    private static String printable(String s) {
        String t = s.length() > 40 ? s.substring(0, 40) + "..." : s;
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < t.length(); i++) {
            char c = t.charAt(i);
            sb.append(c >= 0x20 && c < 0x7f ? String.valueOf(c) : String.format(Locale.ROOT, "\\u%04x", (int) c));
        }
        return sb.toString();
    }
}
