package org.anode.conformance.lab;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.lang.ProcessBuilder.Redirect;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Random;
import org.anode.address.AnodeIdentity;
import org.anode.address.Zone;

/**
 * What the zone relay lab tests share: the lab's zone (draft 2.1), identities in it, zone files with
 * {@code zr} entries (2.3.1, DECISIONS 12) and data checksums.
 */
final class ZoneLab {
    /**
     * The lab's zone id. As an IPv4 address (the draft 2.1.1 fallback URL) it is 198.18.0.99, an
     * address of the lab's internet segment that no host has: a node that skipped DNS would fetch
     * nothing, and could not reach outside the lab either.
     */
    static final int ZONE = 0xc6120063;
    /** The relays' UDP port. */
    static final int RELAY_UDP = 4343;
    /** The relays' TCP port, as written in zr entries (DECISIONS 12). */
    static final int RELAY_TCP = 4344;

    private ZoneLab() {}

    /** A stored identity: its file (for {@code --identity}) and its address in base32. */
    record Id(Path file, String address) {}

    /** A new identity in the lab zone, stored in the lab directory as {@code <name>.id}. */
    static Id identity(Lab lab, String name) {
        return store(lab, name, AnodeIdentity.generate(new Zone(ZONE)));
    }

    /** Stores {@code id} in the lab directory as {@code <name>.id}. */
    static Id store(Lab lab, String name, AnodeIdentity id) {
        Path f = lab.dir().resolve(name + ".id");
        try {
            id.store(f);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return new Id(f, id.address().toString());
    }

    /** A zone file (the five required keys of draft 2.1) with one zr entry per relay. */
    static String zoneFile(int revision, String[] relayIps, Id[] relays) {
        StringBuilder sb =
                new StringBuilder("n=lab\nd=Anode network lab\nc=lab@example.invalid\nr=" + revision + "\nttl=60\n");
        for (int i = 0; i < relays.length; i++) {
            sb.append("zr.")
                    .append(Integer.toHexString(i))
                    .append('=')
                    .append(relayIps[i])
                    .append(':')
                    .append(RELAY_UDP)
                    .append(':')
                    .append(RELAY_TCP)
                    .append(':')
                    .append(relays[i].address())
                    .append('\n');
        }
        return sb.toString();
    }

    /**
     * Starts {@code anode relay} on {@code host} as the zone's relay (draft 2.3): UDP on
     * {@link #RELAY_UDP} and the zone file over HTTP on port 80 (2.1.1, DECISIONS 32), and waits
     * until both ports are bound.
     */
    static LabProcess startZoneRelay(Host host, Id relayId, Path zone, Duration start) {
        LabProcess relay = host.anode(
                "relay",
                Redirect.PIPE,
                "relay",
                "--identity",
                relayId.file().toString(),
                "--udp",
                Integer.toString(RELAY_UDP),
                "--zone-file",
                zone.toString(),
                "--http",
                "80");
        host.awaitUdpPort(RELAY_UDP, start);
        host.awaitTcpPort(80, start);
        return relay;
    }

    /**
     * Starts {@code anode relay} on {@code host} with UDP on {@link #RELAY_UDP} only (no zone file
     * of its own), named {@code relay-<role>}, and waits until the port is bound.
     */
    static LabProcess udpRelay(Host host, Id id, Duration start) {
        LabProcess p = host.anode(
                "relay-" + host.role,
                Redirect.PIPE,
                "relay",
                "--identity",
                id.file().toString(),
                "--udp",
                Integer.toString(RELAY_UDP));
        host.awaitUdpPort(RELAY_UDP, start);
        return p;
    }

    /** Starts {@code anode listen} on {@code host}: one stream on {@code port}, its bytes to stdout. */
    static LabProcess listen(Host host, Id id, int port) {
        return host.anode(
                "listen", Redirect.PIPE, "listen", "--identity", id.file().toString(), Integer.toString(port));
    }

    /** The {@code --zone} value that makes a node use a local zone file instead of DNS and HTTP. */
    static String zoneOption(Path file) {
        return String.format("%08x", ZONE) + "=" + file;
    }

    /** {@code n} random bytes from a fixed seed. */
    static byte[] data(int n, long seed) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }

    static String sha256(byte[] b) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The SHA-256 of a file's first {@code n} bytes (or all of it when shorter). */
    static String sha256(Path f, long n) {
        try (InputStream in = Files.newInputStream(f)) {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            byte[] buf = new byte[65536];
            long left = n;
            int r;
            while (left > 0 && (r = in.read(buf, 0, (int) Math.min(buf.length, left))) > 0) {
                md.update(buf, 0, r);
                left -= r;
            }
            return HexFormat.of().formatHex(md.digest());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    static long size(Path f) {
        try {
            return Files.exists(f) ? Files.size(f) : 0;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
