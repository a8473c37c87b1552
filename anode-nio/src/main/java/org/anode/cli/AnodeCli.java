package org.anode.cli;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import org.anode.address.AnodeAddress;
import org.anode.address.AnodeIdentity;
import org.anode.address.InvalidAddressException;
import org.anode.address.InvalidIdentityException;
import org.anode.address.Zone;
import org.anode.crypto.AnodeProvider;

/**
 * The {@code anode} command: identities and addresses (draft 2.2, 2.7), AES-DIGEST (2.6) and a
 * demo of nodes talking over Anode. Exit status 0 on success, 1 on bad input, 2 on a usage error.
 */
public final class AnodeCli {
    private final PrintStream out;
    private final PrintStream err;
    private final InputStream in;
    /** Ends the long-running commands (relay, node) when counted down (tests; in use they run until killed). */
    final java.util.concurrent.CountDownLatch stop = new java.util.concurrent.CountDownLatch(1);

    AnodeCli(PrintStream out, PrintStream err, InputStream in) {
        this.out = out;
        this.err = err;
        this.in = in;
    }

    public static void main(String[] args) {
        int rc = new AnodeCli(System.out, System.err, System.in).run(args);
        if (rc != 0) {
            System.exit(rc);
        }
    }

    int run(String[] args) {
        if (args.length == 0) {
            usage();
            return 2;
        }
        String cmd = args[0];
        List<String> rest = new ArrayList<>(Arrays.asList(args).subList(1, args.length));
        try {
            switch (cmd) {
                case "keygen":
                    return keygen(rest);
                case "address":
                    return address(rest);
                case "digest":
                    return digest(rest);
                case "demo":
                    return Demo.run(rest, out, err);
                case "relay":
                    return net().relay(rest);
                case "node":
                    return net().node(rest);
                case "ping":
                    return net().ping(rest);
                case "listen":
                    return net().listen(rest);
                case "cat":
                    return net().cat(rest);
                case "help":
                case "--help":
                case "-h":
                    usage();
                    return 0;
                default:
                    err.println("anode: unknown command '" + cmd + "'");
                    usage();
                    return 2;
            }
        } catch (UsageException e) {
            err.println("anode " + cmd + ": " + e.getMessage());
            return 2;
        } catch (InvalidAddressException | InvalidIdentityException e) {
            err.println("anode " + cmd + ": " + e.getMessage());
            return 1;
        } catch (java.net.NoRouteToHostException e) {
            err.println("anode " + cmd + ": no route: " + e.getMessage());
            return 1;
        } catch (IOException e) {
            err.println("anode " + cmd + ": I/O error: " + e.getMessage());
            return 1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            err.println("anode " + cmd + ": interrupted");
            return 1;
        } catch (Exception e) {
            err.println("anode " + cmd + ": " + e);
            return 1;
        }
    }

    private NetCommands net() {
        return new NetCommands(out, err, in, stop);
    }

    private void usage() {
        err.println("usage: anode <command> [options]");
        err.println("  keygen [--zone HEX] [--out FILE]   generate an identity (stores FILE owner-only)");
        err.println("  address <BASE32> | --identity FILE [-q]  describe an address (-q: the address alone)");
        err.println("  digest [FILE|-]                     AES-DIGEST of a file or standard input");
        err.println("  demo [--nodes N]                    start N nodes on loopback and let them talk");
        err.println("  relay --identity FILE --udp PORT    run a zone relay (see anode relay --help)");
        err.println("  node --identity FILE                run a node with DGRAM and stream echo on port 7");
        err.println("  ping [--identity FILE] ADDRESS      PING an address, through its zone relay if needed");
        err.println("  listen [--identity FILE] PORT       accept one Anode stream: stdin/stdout (netcat -l)");
        err.println("  cat [--identity FILE] ADDRESS:PORT  open one Anode stream: stdin/stdout (netcat)");
        err.println("  every network command takes --zone HEX=URL|FILE (repeatable) and --help");
    }

    private int keygen(List<String> args) throws UsageException, IOException {
        Zone zone = Zone.DEFAULT;
        Path outFile = null;
        for (int i = 0; i < args.size(); i++) {
            switch (args.get(i)) {
                case "--zone":
                    try {
                        zone = Zone.parse(value(args, ++i, "--zone"));
                    } catch (IllegalArgumentException e) {
                        throw new UsageException(e.getMessage());
                    }
                    break;
                case "--out":
                    outFile = Path.of(value(args, ++i, "--out"));
                    break;
                default:
                    throw new UsageException("unexpected argument '" + args.get(i) + "'");
            }
        }
        AnodeIdentity id = AnodeIdentity.generate(zone);
        if (outFile != null) {
            if (Files.exists(outFile)) {
                throw new UsageException("refusing to overwrite " + outFile);
            }
            id.store(outFile);
            out.println(id.address());
            err.println("identity written to " + outFile + " (keep it private)");
        } else {
            err.println("warning: printing a secret key; use --out FILE to keep it off the terminal");
            out.println(id.toIdentityString());
        }
        return 0;
    }

    private int address(List<String> args) throws UsageException, IOException, InvalidAddressException, InvalidIdentityException {
        AnodeAddress a;
        if (args.size() == 3 && args.get(0).equals("--identity") && (args.get(2).equals("-q")
                || args.get(2).equals("--quiet"))) {
            // For scripts: the base32 address alone.
            out.println(AnodeIdentity.load(Path.of(args.get(1))).address());
            return 0;
        }
        if (args.size() == 2 && args.get(0).equals("--identity")) {
            a = AnodeIdentity.load(Path.of(args.get(1))).address();
        } else if (args.size() == 1) {
            a = AnodeAddress.parse(args.get(0).strip());
        } else {
            throw new UsageException("expected one base32 address or --identity FILE");
        }
        out.println("address:    " + a);
        out.println("type:       " + a.type() + " (ANODE-256-40)");
        out.println("zone:       " + a.zone());
        out.println("short id:   " + a.shortId());
        out.println("public key: " + HexFormat.of().formatHex(a.compressedKey()));
        out.println("byte sum:   " + a.byteSum() + " (zone relay checksum, draft 2.3.1)");
        return 0;
    }

    private int digest(List<String> args) throws UsageException, IOException {
        if (args.size() > 1) {
            throw new UsageException("expected at most one file");
        }
        MessageDigest md;
        try {
            md = MessageDigest.getInstance("AES-DIGEST", new AnodeProvider());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the Anode provider lost AES-DIGEST", e);
        }
        boolean stdin = args.isEmpty() || args.get(0).equals("-");
        try (InputStream src = stdin ? in : Files.newInputStream(Path.of(args.get(0)))) {
            byte[] buf = new byte[8192];
            int n;
            while ((n = src.read(buf)) > 0) {
                md.update(buf, 0, n);
            }
        }
        out.println(HexFormat.of().formatHex(md.digest()) + "  " + (stdin ? "-" : args.get(0)));
        return 0;
    }

    static String value(List<String> args, int i, String flag) throws UsageException {
        if (i >= args.size()) {
            throw new UsageException(flag + " needs a value");
        }
        return args.get(i);
    }

    /** A command line that cannot be understood. */
    static final class UsageException extends Exception {
        private static final long serialVersionUID = 1L;

        UsageException(String message) {
            super(message);
        }
    }
}
