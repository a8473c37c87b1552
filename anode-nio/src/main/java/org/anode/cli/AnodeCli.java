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
                case "resolve":
                    return resolve(rest);
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
        } catch (IOException e) {
            err.println("anode " + cmd + ": I/O error: " + e.getMessage());
            return 1;
        }
    }

    private void usage() {
        err.println("usage: anode <command> [options]");
        err.println("  keygen [--zone HEX] [--out FILE]   generate an identity (stores FILE owner-only)");
        err.println("  address <BASE32> | --identity FILE  describe an address");
        err.println("  digest [FILE|-]                     AES-DIGEST of a file or standard input");
        err.println("  demo [--nodes N]                    start N nodes on loopback and let them talk");
        err.println("  resolve NAME                        Anode addresses of a host name (anode: TXT, or <address>.anode)");
    }

    /**
     * {@code anode resolve NAME}: prints each Anode address the name resolves to (draft 2.8, DECISIONS
     * 39) with its synthetic IPv6 address (addendum A2), one per line. Exit 1 if it has none.
     */
    private int resolve(List<String> args) throws UsageException {
        if (args.size() != 1) {
            throw new UsageException("expected one host name");
        }
        List<AnodeAddress> as;
        try {
            as = org.anode.nio.AnodeNames.resolve(args.get(0));
        } catch (java.net.UnknownHostException e) {
            err.println("anode resolve: " + e.getMessage());
            return 1;
        }
        for (AnodeAddress a : as) {
            out.println(a + " " + org.anode.nio.AnodeSocketAddress.syntheticAddress(a).getHostAddress());
        }
        return 0;
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

    private static String value(List<String> args, int i, String flag) throws UsageException {
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
