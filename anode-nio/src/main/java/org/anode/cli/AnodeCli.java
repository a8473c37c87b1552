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
 * The {@code anode} command: identities and addresses (draft 2.2, 2.7), AES-DIGEST (2.6), a demo
 * of nodes talking over Anode, a running node's status and the network conformance checker.
 *
 * <p>{@code anode --help} and {@code anode --version} print on standard output and exit 0; every
 * command takes {@code --help}. Exit status: 0 success, 1 a runtime failure (bad input, I/O, a
 * failed check; the reason on standard error), 2 a usage error. README.md lists exactly
 * {@link #USAGE} (AnodeCliTest compares them).
 */
public final class AnodeCli {
    /** {@code anode --help}: the command list, as README.md shows it. */
    static final String USAGE = String.join(
            "\n",
            "usage: anode <command> [options]        (anode <command> --help for its options)",
            "  keygen [--zone HEX] [--out FILE]      generate an identity (stores FILE owner-only)",
            "  address BASE32 | --identity FILE [-q]  describe an address (-q: the address alone)",
            "  digest [FILE|-]                       AES-DIGEST of a file or standard input",
            "  demo [--nodes N] [--mib M]            start N nodes on loopback and let them talk",
            "  node --config FILE | --identity FILE  run a node with DGRAM and stream echo on port 7",
            "  relay --config FILE | --identity FILE --udp PORT  run a zone relay",
            "  ping [--identity FILE] ADDRESS        PING an address, through its zone relay if needed",
            "  listen [--identity FILE] PORT         accept one Anode stream: stdin/stdout (netcat -l)",
            "  cat [--progress] ADDRESS:PORT         open one Anode stream: stdin/stdout (netcat)",
            "  status [--control DIR] [ADDRESS]      a running node's counters, peers and paths",
            "  conformance --target ADDRESS@HOST:PORT  check another implementation over UDP",
            "  resolve NAME                          Anode addresses of a host name (anode: TXT, NAME.anode)",
            "  version                               print the version (also --version)",
            "network commands also take --identity FILE, --zone HEX=URL|FILE (repeatable), --udp PORT,",
            "and --no-lan (no LAN discovery), --no-nat (no NAT traversal), --lan-port PORT, --peer-id 1..15,",
            "and --http-proxy HOST:PORT",
            "exit status: 0 success, 1 runtime failure, 2 usage error",
            "");

    /** {@code anode resolve --help}. */
    private static final String RESOLVE_HELP = String.join(
            "\n",
            "usage: anode resolve NAME",
            "Prints each Anode address NAME resolves to (draft 2.8, DECISIONS 39) with its synthetic IPv6",
            "address (addendum A2), one per line: <64 base32 characters>.anode is the address itself; any",
            "other name is looked up in DNS for anode: TXT records. Exit 1 if it resolves to none.",
            "");

    /** Per-command help of the commands defined in this class. */
    private static final java.util.Map<String, String> HELP = java.util.Map.of(
            "keygen",
                    String.join(
                            "\n",
                            "usage: anode keygen [--zone HEX] [--out FILE]",
                            "Generates an identity (draft 2.2): a P-256 key pair and its address in zone HEX (default 0).",
                            "  --zone HEX   the zone, 1 to 8 hex digits",
                            "  --out FILE   write the identity to FILE (owner-only; refuses to overwrite) and print",
                            "               the address; without it the identity string, secret included, is printed",
                            ""),
            "address",
                    String.join(
                            "\n",
                            "usage: anode address BASE32 | --identity FILE [-q]",
                            "Describes an address (draft 2.2, 2.7): type, zone, short id, public key, zone relay checksum.",
                            "  -q   with --identity: print the address alone (for scripts)",
                            ""),
            "digest",
                    String.join(
                            "\n",
                            "usage: anode digest [FILE|-]",
                            "Prints the AES-DIGEST (draft 2.6) of FILE, or of standard input when FILE is - or absent.",
                            ""),
            "demo",
                    String.join(
                            "\n",
                            "usage: anode demo [--nodes N] [--mib M]",
                            "Starts N nodes (2-16, default 3) on 127.0.0.1 that PING each other, exchange datagrams",
                            "through a NIO selector loop and stream M MiB (1-1024, default 8) through an echo.",
                            ""),
            "version", "usage: anode version\nPrints 'anode VERSION' (the build's version).\n");

    /** {@return the build's version, as the provider reports it} */
    static String version() {
        return new AnodeProvider().getVersionStr();
    }

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
        AnodeCli cli = new AnodeCli(System.out, System.err, System.in);
        // SIGTERM (systemctl stop, podman stop) ends a running node or relay as the tests' stop
        // latch does: it closes the node and removes its control socket before the JVM exits.
        java.util.concurrent.CountDownLatch done = new java.util.concurrent.CountDownLatch(1);
        Thread hook = new Thread(
                () -> {
                    cli.stop.countDown();
                    try {
                        done.await(10, java.util.concurrent.TimeUnit.SECONDS);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                },
                "anode-shutdown");
        boolean longRunning = args.length > 0 && (args[0].equals("node") || args[0].equals("relay"));
        if (longRunning) {
            Runtime.getRuntime().addShutdownHook(hook);
        }
        int rc = cli.run(args);
        done.countDown();
        if (rc != 0) {
            System.exit(rc);
        }
    }

    int run(String[] args) {
        if (args.length == 0) {
            err.print(USAGE);
            return 2;
        }
        String cmd = args[0];
        List<String> rest = new ArrayList<>(Arrays.asList(args).subList(1, args.length));
        if (HELP.containsKey(cmd) && (rest.contains("--help") || rest.contains("-h"))) {
            out.print(HELP.get(cmd));
            return 0;
        }
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
                case "status":
                    return ControlServer.statusCommand(rest, out, err);
                case "conformance":
                    return ConformanceCheck.main(rest, out, err);
                case "version":
                case "--version":
                    out.println("anode " + version());
                    return 0;
                case "resolve":
                    return resolve(rest);
                case "help":
                case "--help":
                case "-h":
                    return help(rest);
                default:
                    err.println("anode: unknown command '" + cmd + "'");
                    err.print(USAGE);
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

    /** {@code anode help [COMMAND]}: the command list, or one command's help. */
    private int help(List<String> rest) {
        if (rest.isEmpty()) {
            out.print(USAGE);
            return 0;
        }
        if (rest.size() == 1 && !rest.get(0).startsWith("-")) {
            return run(new String[] {rest.get(0), "--help"});
        }
        err.println("anode help: expected at most one command");
        return 2;
    }

    /**
     * {@code anode resolve NAME}: prints each Anode address the name resolves to (draft 2.8, DECISIONS
     * 39) with its synthetic IPv6 address (addendum A2), one per line. Exit 1 if it has none.
     */
    private int resolve(List<String> args) throws UsageException {
        if (args.contains("--help") || args.contains("-h")) {
            out.print(RESOLVE_HELP);
            return 0;
        }
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
            out.println(a + " "
                    + org.anode.nio.AnodeSocketAddress.syntheticAddress(a).getHostAddress());
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

    private int address(List<String> args)
            throws UsageException, IOException, InvalidAddressException, InvalidIdentityException {
        AnodeAddress a;
        if (args.size() == 3
                && args.get(0).equals("--identity")
                && (args.get(2).equals("-q") || args.get(2).equals("--quiet"))) {
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
