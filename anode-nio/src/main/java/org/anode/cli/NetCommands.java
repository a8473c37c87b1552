package org.anode.cli;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NoRouteToHostException;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CountDownLatch;
import org.anode.address.AnodeAddress;
import org.anode.address.AnodeIdentity;
import org.anode.address.InvalidAddressException;
import org.anode.address.InvalidIdentityException;
import org.anode.address.Zone;
import org.anode.cli.AnodeCli.UsageException;
import org.anode.nio.AnodeDatagramChannel;
import org.anode.nio.AnodeNode;
import org.anode.nio.AnodeNodeConfig;
import org.anode.nio.AnodePath;
import org.anode.nio.AnodeServerSocketChannel;
import org.anode.nio.AnodeSocketAddress;
import org.anode.nio.AnodeSocketChannel;
import org.anode.nio.RelayLimits;
import org.anode.zone.ZoneFile;

/**
 * The network commands of {@code anode} (draft 2.1, 2.3, 4.2.2, 4.2.10, 5; DECISIONS 31-34):
 * {@code relay}, {@code node}, {@code ping}, {@code listen} and {@code cat}. Every one takes
 * {@code --zone HEX=URL|FILE} (repeatable: where a zone's file is read instead of the draft's
 * URLs) and {@code --help}. Data goes to standard output, diagnostics to standard error. Exit
 * status 0 on success, 1 on a runtime failure (the reason on standard error), 2 on a usage error.
 */
final class NetCommands {
    /** The echo port of {@code anode node}: DGRAM echo and stream echo (like the IP echo service). */
    static final int ECHO_PORT = 7;

    private final PrintStream out;
    private final PrintStream err;
    private final InputStream in;
    /** Lets tests stop a long-running command (relay, node): counted down to end it. */
    private final CountDownLatch stop;

    NetCommands(PrintStream out, PrintStream err, InputStream in, CountDownLatch stop) {
        this.out = out;
        this.err = err;
        this.in = in;
        this.stop = stop;
    }

    /** Options shared by every network command. */
    private static final class Common {
        Path identity;
        final List<String[]> zones = new ArrayList<>();
        int udp;
        boolean udpGiven;
        InetAddress bind;
        /** LAN discovery (DECISIONS 37): off with --no-lan; --lan-port moves it off 8737. */
        boolean noLan;
        /** --no-nat: no NAT traversal (DECISIONS 35, 36); traffic stays on relayed paths. */
        boolean noNat;

        int lanPort = org.anode.engine.Discovery.PORT;
        /** --peer-id (draft 3.4, DECISIONS 41). */
        int peerId = 1;
        /** anode node --console: commands on standard input ({@link NodeConsole}). */
        boolean console;
        /** --http-proxy HOST:PORT (DECISIONS 38), else the JDK's proxy settings. */
        InetSocketAddress httpProxy;

        final List<String> positional = new ArrayList<>();
        boolean help;
        /** --config FILE: a configuration file (NodeConfigFile), loaded by parse(). */
        NodeConfigFile.Settings settings;
        /** --progress: cat / listen draw a progress line when standard error is a terminal. */
        boolean progress;
    }

    private static Common parse(List<String> args, java.util.Map<String, String[]> extra) throws UsageException {
        Common c = new Common();
        for (int i = 0; i < args.size(); i++) {
            String a = args.get(i);
            switch (a) {
                case "--help", "-h" -> c.help = true;
                case "--config" -> {
                    try {
                        c.settings = NodeConfigFile.load(Path.of(AnodeCli.value(args, ++i, a)));
                    } catch (IOException e) {
                        throw new UsageException("--config: cannot read " + e.getMessage());
                    } catch (NodeConfigFile.ConfigException e) {
                        throw new UsageException(e.getMessage());
                    }
                }
                case "--progress" -> c.progress = true;
                case "--identity" -> c.identity = Path.of(AnodeCli.value(args, ++i, a));
                case "--zone" -> {
                    String v = AnodeCli.value(args, ++i, a);
                    int eq = v.indexOf('=');
                    if (eq <= 0 || eq == v.length() - 1) {
                        throw new UsageException("--zone wants HEX=URL|FILE, not '" + v + "'");
                    }
                    try {
                        Zone.parse(v.substring(0, eq));
                    } catch (IllegalArgumentException e) {
                        throw new UsageException(e.getMessage());
                    }
                    c.zones.add(new String[] {v.substring(0, eq), v.substring(eq + 1)});
                }
                case "--udp" -> {
                    c.udp = port(AnodeCli.value(args, ++i, a), a);
                    c.udpGiven = true;
                }
                case "--no-lan" -> c.noLan = true;
                case "--no-nat" -> c.noNat = true;
                case "--console" -> c.console = true;
                case "--lan-port" -> {
                    c.lanPort = port(AnodeCli.value(args, ++i, a), a);
                    if (c.lanPort == 0) {
                        throw new UsageException("--lan-port wants a port 1..65535");
                    }
                }
                case "--peer-id" -> {
                    String v = AnodeCli.value(args, ++i, a);
                    try {
                        c.peerId = Integer.parseInt(v);
                    } catch (NumberFormatException e) {
                        c.peerId = -1;
                    }
                    if (c.peerId < 1 || c.peerId > 15) {
                        throw new UsageException("--peer-id wants 1..15, not '" + v + "'");
                    }
                }
                case "--http-proxy" -> {
                    String v = AnodeCli.value(args, ++i, a);
                    int colon = v.lastIndexOf(':');
                    if (colon <= 0) {
                        throw new UsageException("--http-proxy wants HOST:PORT, not '" + v + "'");
                    }
                    c.httpProxy =
                            InetSocketAddress.createUnresolved(v.substring(0, colon), port(v.substring(colon + 1), a));
                }
                case "--bind" -> {
                    try {
                        c.bind = InetAddress.getByName(AnodeCli.value(args, ++i, a));
                    } catch (IOException e) {
                        throw new UsageException("--bind: " + e.getMessage());
                    }
                }
                default -> {
                    if (extra.containsKey(a) && extra.get(a) != null && extra.get(a).length == 0) {
                        // A switch without a value (registered with an empty array): present.
                        extra.put(a, new String[] {"true"});
                    } else if (extra.containsKey(a)) {
                        extra.put(a, new String[] {AnodeCli.value(args, ++i, a)});
                    } else if (a.startsWith("-") && a.length() > 1) {
                        throw new UsageException("unknown option '" + a + "'");
                    } else {
                        c.positional.add(a);
                    }
                }
            }
        }
        return c;
    }

    private static int port(String v, String flag) throws UsageException {
        try {
            int p = Integer.parseInt(v);
            if (p < 0 || p > 65535) {
                throw new NumberFormatException();
            }
            return p;
        } catch (NumberFormatException e) {
            throw new UsageException(flag + " wants a port 0..65535, not '" + v + "'");
        }
    }

    private static AnodeNodeConfig.Builder config(Common c) {
        return config(c, false, false);
    }

    private static AnodeNodeConfig.Builder config(Common c, boolean relay) {
        return config(c, relay, false);
    }

    /**
     * The command's defaults (for {@code relay}: relaying on, announcing off), then the --config
     * file's settings, then the options given on the command line.
     */
    private static AnodeNodeConfig.Builder config(Common c, boolean relay, boolean extra) {
        AnodeNodeConfig.Builder b = AnodeNodeConfig.builder();
        if (relay) {
            b.relay(RelayLimits.defaults()).announce(false);
        }
        NodeConfigFile.Settings s = c.settings;
        if (s != null) {
            NodeSetup.apply(s, b, relay);
        }
        InetAddress ip = c.bind != null ? c.bind : s != null ? s.bind() : null;
        int udp = extra ? 0 : c.udpGiven || s == null || s.udp() == null ? c.udp : s.udp();
        if (ip != null) {
            b.bind(new InetSocketAddress(ip, udp));
        } else {
            b.port(udp);
        }
        for (String[] z : c.zones) {
            b.zoneSource(Zone.parse(z[0]), z[1]);
        }
        if (c.noLan || extra) {
            b.lan(false); // the file's discovery setting stands unless --no-lan is given
        }
        if (c.noNat) {
            b.natTraversal(false);
        }
        b.lanPort(c.lanPort).peerId(c.peerId);
        if (c.httpProxy != null) {
            // DECISIONS 38: HTTP to the relays goes through this proxy.
            b.fallback(org.anode.transport.FallbackConfig.defaults()
                    .withProxy(java.net.ProxySelector.of(
                            new InetSocketAddress(c.httpProxy.getHostString(), c.httpProxy.getPort()))));
        }
        return b;
    }

    /** The control directory of anode status: the file's 'control', else the default. */
    private static Path control(Common c) {
        return c.settings != null && c.settings.control() != null
                ? c.settings.control()
                : ControlServer.defaultDirectory();
    }

    private static AnodeIdentity identity(Common c, boolean required)
            throws UsageException, IOException, InvalidIdentityException {
        if (c.identity == null && c.settings != null) {
            c.identity = c.settings.identity();
        }
        if (c.identity == null) {
            if (required) {
                throw new UsageException("--identity FILE is required (make one with: anode keygen --out FILE)");
            }
            // A throw-away identity in the local zone 0: it reaches others through their relays.
            return AnodeIdentity.generate(Zone.DEFAULT);
        }
        return AnodeIdentity.load(c.identity);
    }

    // ------------------------------------------------------------------ relay

    int relay(List<String> args) throws Exception {
        java.util.Map<String, String[]> extra = new java.util.HashMap<>();
        extra.put("--tcp", null);
        extra.put("--zone-file", null);
        extra.put("--http", null);
        extra.put("--ip", null);
        Common c = parse(args, extra);
        if (c.help) {
            out.println("usage: anode relay --identity FILE --udp PORT [--tcp PORT] [--zone-file FILE] [--http PORT]");
            out.println("       anode relay --config FILE [options]   (docs/CONFIGURATION.md; options override it)");
            out.println("                   [--bind IP] [--ip IP] [--zone HEX=URL|FILE ...]");
            out.println("Runs a zone relay (draft 2.3.1) until killed: registers nodes that PING it and");
            out.println("forwards packets to registered addresses (DECISIONS 33, 34).");
            out.println("  --zone-file FILE  zone file to serve; written (one zr entry naming this relay) if absent");
            out.println("  --http PORT       serve the HTTP transport (POST, long poll) and the zone file at");
            out.println("                    http://IP:PORT/z; a zone file written here gets zh.0=http://IP:PORT/a");
            out.println("  --tcp PORT        serve the TCP transport on the TCP port the zr entry names");
            out.println("  --ip IP           the IP the zr entry names (default: --bind, else 127.0.0.1)");
            out.println("Prints 'relay ADDRESS udp=IP:PORT' (and 'zone-file', 'http' lines) on stdout.");
            return 0;
        }
        if (!c.positional.isEmpty()) {
            throw new UsageException("unexpected argument '" + c.positional.get(0) + "'");
        }
        if (!c.udpGiven && c.settings != null && c.settings.udp() != null) {
            c.udp = c.settings.udp();
            c.udpGiven = true;
        }
        if (!c.udpGiven) {
            throw new UsageException("--udp PORT is required (the port the zr entry names; 0 picks a free one)");
        }
        AnodeIdentity id = identity(c, true);
        int tcpSetting = extra.get("--tcp") == null ? 0 : port(extra.get("--tcp")[0], "--tcp");
        InetAddress zrIp;
        try {
            zrIp = extra.get("--ip") != null
                    ? InetAddress.getByName(extra.get("--ip")[0])
                    : c.bind != null && !c.bind.isAnyLocalAddress()
                            ? c.bind
                            : InetAddress.getByAddress(new byte[] {127, 0, 0, 1});
        } catch (IOException e) {
            throw new UsageException("--ip: " + e.getMessage());
        }
        Path zoneFile = extra.get("--zone-file") == null ? null : Path.of(extra.get("--zone-file")[0]);
        int httpSetting = extra.get("--http") == null ? -1 : port(extra.get("--http")[0], "--http");
        if (httpSetting >= 0 && zoneFile == null) {
            throw new UsageException("--http needs --zone-file");
        }
        AnodeNodeConfig cfg = config(c, true)
                .tcpPort(extra.get("--tcp") == null ? -1 : tcpSetting)
                .httpPort(httpSetting)
                .build();
        try (AnodeNode node = AnodeNode.start(id, cfg);
                ControlServer ctl = ControlServer.tryStart(node, control(c), err)) {
            InetSocketAddress ep = node.localEndpoints().get(0);
            out.println("relay " + node.address() + " udp=" + zrIp.getHostAddress() + ":" + ep.getPort());
            // Without --tcp the zr entry names the UDP port for TCP too (nothing listens there).
            int tcp = node.tcpEndpoint().map(InetSocketAddress::getPort).orElse(ep.getPort());
            if (node.tcpEndpoint().isPresent()) {
                out.println("tcp " + zrIp.getHostAddress() + ":" + tcp);
            }
            byte[] zoneBytes = null;
            if (zoneFile != null) {
                if (!Files.exists(zoneFile)) {
                    ZoneFile.Builder zb = ZoneFile.builder()
                            .name("zone-" + id.address().zone())
                            .description("zone served by anode relay")
                            .contact("nobody@localhost")
                            .revision(1)
                            .ttl(Duration.ofSeconds(300))
                            .relay(List.of(zrIp), ep.getPort(), tcp, List.of(node.address()));
                    if (node.httpEndpoint().isPresent()) {
                        zb.put(
                                org.anode.transport.ZoneHttpEndpoints.keyFor(0),
                                "http://" + zrIp.getHostAddress() + ":"
                                        + node.httpEndpoint().get().getPort() + "/a");
                    }
                    ZoneFile f = zb.build();
                    Files.writeString(zoneFile, f.write());
                    err.println("wrote zone file " + zoneFile);
                }
                zoneBytes = Files.readAllBytes(zoneFile);
                ZoneFile.parse(zoneBytes);
                out.println("zone-file " + zoneFile);
            }
            if (node.httpEndpoint().isPresent()) {
                node.serveHttp("/z", zoneBytes);
                out.println("http http://" + zrIp.getHostAddress() + ":"
                        + node.httpEndpoint().get().getPort() + "/z");
            }
            out.flush();
            try {
                stop.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            AnodeNode.RelayStatistics s = node.relayStatistics();
            err.println("forwarded=" + s.forwarded() + " dropped=" + s.droppedByPolicy());
        }
        return 0;
    }

    // ------------------------------------------------------------------ node

    int node(List<String> args) throws Exception {
        Common c = parse(args, new java.util.HashMap<>());
        if (c.help) {
            out.println(
                    "usage: anode node --identity FILE [--zone HEX=URL|FILE ...] [--udp PORT] [--bind IP] [--no-lan]");
            out.println("                  [--lan-port PORT] [--peer-id 1..15] [--console] [--http-proxy HOST:PORT]");
            out.println("       anode node --config FILE [options]    (docs/CONFIGURATION.md; options override it)");
            out.println("Serves 'anode status' on a control socket in an owner-only directory (the file's 'control').");
            out.println("Runs a node until killed. It registers with its zone's designated relay (DECISIONS 33)");
            out.println("and answers on Anode port " + ECHO_PORT + ": a DGRAM echo (each datagram is sent back to");
            out.println("its sender) and a stream echo (every connection gets its bytes back, then end-of-stream).");
            out.println("Prints 'node ADDRESS udp=IP:PORT' on stdout. With --console it reads commands on stdin,");
            out.println("'ID ping|path ADDRESS', 'ID dgram ADDRESS TEXT', 'ID stream ADDRESS BYTES', 'ID lan',");
            out.println("'ID fresh-ping ADDRESS COUNT INTERVAL_MS [settled]' (from a new in-process node with a new");
            out.println("identity; settled: once it knows its public endpoint), and");
            out.println(
                    "answers each with 'ID ok RESULT' or 'ID err REASON'. --no-lan: no LAN discovery (DECISIONS 37).");
            return 0;
        }
        if (!c.positional.isEmpty()) {
            throw new UsageException("unexpected argument '" + c.positional.get(0) + "'");
        }
        AnodeIdentity id = identity(c, true);
        try (AnodeNode node = AnodeNode.start(id, config(c).build());
                ControlServer ctl = ControlServer.tryStart(node, control(c), err)) {
            AnodeDatagramChannel dg = node.openDatagramChannel();
            dg.bind(AnodeSocketAddress.of(node.address(), ECHO_PORT));
            AnodeServerSocketChannel ss = AnodeServerSocketChannel.open(node);
            ss.bind(AnodeSocketAddress.of(node.address(), ECHO_PORT));
            Thread dgEcho = daemon("anode-dgram-echo", () -> {
                ByteBuffer b = ByteBuffer.allocate(65536);
                while (dg.isOpen()) {
                    b.clear();
                    java.net.SocketAddress from = dg.receive(b);
                    b.flip();
                    try {
                        dg.send(b, from);
                    } catch (IOException e) {
                        err.println("echo to " + from + ": " + e.getMessage());
                    }
                }
            });
            Thread streamEcho = daemon("anode-stream-echo", () -> {
                while (ss.isOpen()) {
                    AnodeSocketChannel ch = ss.accept();
                    daemon("anode-stream-echo-conn", () -> {
                        try (ch) {
                            ByteBuffer b = ByteBuffer.allocate(65536);
                            while (ch.read(b) >= 0) {
                                b.flip();
                                while (b.hasRemaining()) {
                                    ch.write(b);
                                }
                                b.clear();
                            }
                            ch.shutdownOutput();
                        }
                    });
                }
            });
            out.println("node " + node.address() + " udp="
                    + node.localEndpoints().get(0).getAddress().getHostAddress() + ":"
                    + node.localEndpoints().get(0).getPort());
            out.println("echo dgram=" + ECHO_PORT + " stream=" + ECHO_PORT);
            out.flush();
            if (c.console) {
                // fresh-ping's nodes: a new identity in the same zone, the same settings but an
                // ephemeral port and no LAN discovery (the console node holds the LAN port).
                new NodeConsole(
                                node,
                                out,
                                () -> AnodeNode.start(
                                        AnodeIdentity.generate(id.address().zone()),
                                        config(c, false, true).build()))
                        .start(in);
            }
            try {
                stop.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            dg.close();
            ss.close();
            dgEcho.interrupt();
            streamEcho.interrupt();
        }
        return 0;
    }

    @FunctionalInterface
    private interface Body {
        void run() throws IOException;
    }

    private Thread daemon(String name, Body body) {
        Thread t = new Thread(
                () -> {
                    try {
                        body.run();
                    } catch (java.nio.channels.ClosedChannelException e) {
                        // Shut down.
                    } catch (IOException e) {
                        err.println(name + ": " + e.getMessage());
                    }
                },
                name);
        t.setDaemon(true);
        t.start();
        return t;
    }

    // ------------------------------------------------------------------ ping

    int ping(List<String> args) throws Exception {
        java.util.Map<String, String[]> extra = new java.util.HashMap<>();
        extra.put("-c", null);
        extra.put("--timeout", null);
        extra.put("-i", null);
        extra.put("-v", new String[0]);
        Common c = parse(args, extra);
        if (c.help) {
            out.println("usage: anode ping [--identity FILE] [--zone HEX=URL|FILE ...] [-c N] [-i MILLIS] [-v]"
                    + " [--timeout SECONDS] ADDRESS");
            out.println("PINGs an Anode address (draft 4.2.2), finding a path by its zone relay if needed.");
            out.println("Prints one line per reply: 'reply from ADDRESS rtt=1.23ms path=relay|direct hops=N'");
            out.println("(path and hops of that very reply, 'relay/tcp' or 'relay/http' when the relay is reached");
            out.println("over TCP or HTTP; -v adds 'nat=LOCAL/REMOTE', the NAT types of both sides,");
            out.println("'switched=MS mode=M' once a direct path was found, by NAT-T mode M, and 'observers=N',");
            out.println("the number of relays' NETID answers the local type rests on).");
            out.println("Exits 1 with the reason on stderr when the address cannot be reached.");
            return 0;
        }
        if (c.positional.size() != 1) {
            throw new UsageException("expected one ADDRESS");
        }
        AnodeAddress target = AnodeAddress.parse(c.positional.get(0).strip());
        int count = extra.get("-c") == null ? 1 : positive(extra.get("-c")[0], "-c");
        int timeout = extra.get("--timeout") == null ? 5 : positive(extra.get("--timeout")[0], "--timeout");
        long interval = extra.get("-i") == null ? 1000 : positive(extra.get("-i")[0], "-i");
        boolean verbose = extra.get("-v").length > 0;
        AnodeIdentity id = identity(c, false);
        try (AnodeNode node =
                AnodeNode.start(id, config(c).announce(c.identity != null).build())) {
            int replies = 0;
            String lastError = null;
            for (int i = 0; i < count; i++) {
                try {
                    Duration rtt = node.ping(target, Duration.ofSeconds(timeout));
                    AnodePath p = node.pathTo(target).orElse(null);
                    // The path this very reply took (its hop count, draft 3.1), and the NATs (DECISIONS 35, 36).
                    java.util.OptionalInt h = node.lastReplyHops(target);
                    String kind =
                            h.isPresent() ? (h.getAsInt() == 0 ? "direct" : "relay") : p == null ? "unknown" : p.kind();
                    if (p != null && kind.equals(p.kind())) {
                        // "relay/tcp", "relay/http": the relay is reached over a fallback carrier (DECISIONS 38).
                        kind = p.label();
                    }
                    int hops = h.isPresent() ? h.getAsInt() : p == null ? 0 : p.hops();
                    String nat = !verbose
                            ? ""
                            : " nat=" + (p == null ? "UNKNOWN/UNKNOWN" : p.localNat() + "/" + p.remoteNat());
                    var ts = node.traversalStatistics();
                    if (verbose && ts != null && ts.lastSwitchNanos() >= 0) {
                        // From the first packet the peer sent over the relay to its direct path.
                        nat += String.format(
                                Locale.ROOT,
                                " switched=%.1fms mode=%d",
                                ts.lastSwitchNanos() / 1e6,
                                ts.lastSwitchMode());
                    }
                    if (verbose && ts != null) {
                        // How many relays' NETID answers the local NAT type rests on (DECISIONS 35).
                        nat += " observers=" + ts.natObservers();
                    }
                    out.println(String.format(
                            Locale.ROOT,
                            "reply from %s rtt=%.2fms path=%s hops=%d%s",
                            target,
                            rtt.toNanos() / 1e6,
                            kind,
                            hops,
                            nat));
                    out.flush();
                    replies++;
                } catch (NoRouteToHostException e) {
                    err.println("anode ping: no route to " + target + ": " + e.getMessage());
                    return 1;
                } catch (SocketTimeoutException e) {
                    lastError = e.getMessage();
                    err.println("no reply from " + target + " within " + timeout + " s");
                }
                if (i + 1 < count) {
                    Thread.sleep(interval);
                }
            }
            if (replies == 0) {
                err.println("anode ping: " + target + " unreachable: " + lastError);
                return 1;
            }
        }
        return 0;
    }

    private static int positive(String v, String flag) throws UsageException {
        try {
            int n = Integer.parseInt(v);
            if (n < 1) {
                throw new NumberFormatException();
            }
            return n;
        } catch (NumberFormatException e) {
            throw new UsageException(flag + " wants a positive number, not '" + v + "'");
        }
    }

    // ------------------------------------------------------------------ listen / cat

    int listen(List<String> args) throws Exception {
        Common c = parse(args, new java.util.HashMap<>());
        if (c.help) {
            out.println("usage: anode listen [--identity FILE] [--zone HEX=URL|FILE ...] [--udp PORT] PORT");
            out.println("Accepts one Anode stream connection on PORT (netcat -l over Anode, draft 5): standard input");
            out.println("goes to the stream (end of input shuts its output), the stream to standard output.");
            out.println("Prints 'listening ADDRESS:PORT' on stderr; exits 0 once both directions have ended.");
            return 0;
        }
        if (c.positional.size() != 1) {
            throw new UsageException("expected one PORT");
        }
        int port = port(c.positional.get(0), "PORT");
        if (port == 0) {
            throw new UsageException("PORT must not be 0");
        }
        AnodeIdentity id = identity(c, false);
        try (AnodeNode node = AnodeNode.start(id, config(c).build());
                AnodeServerSocketChannel ss = AnodeServerSocketChannel.open(node)) {
            ss.bind(AnodeSocketAddress.of(node.address(), port));
            err.println("listening " + node.address() + ":" + port);
            err.flush();
            try (AnodeSocketChannel ch = ss.accept()) {
                ss.close();
                return relayStreams(ch, Progress.forCommand(c.progress, err));
            }
        }
    }

    int cat(List<String> args) throws Exception {
        Common c = parse(args, new java.util.HashMap<>());
        if (c.help) {
            out.println(
                    "usage: anode cat [--identity FILE] [--zone HEX=URL|FILE ...] [--udp PORT] [--progress] ADDRESS:PORT");
            out.println("  --progress  bytes sent and received and the rate on standard error, when it is a terminal");
            out.println("Opens one Anode stream to ADDRESS:PORT (netcat over Anode, draft 5), finding a path by the");
            out.println("address's zone relay if needed: standard input goes to the stream (end of input shuts its");
            out.println("output), the stream to standard output. Exits 0 once both directions have ended.");
            return 0;
        }
        if (c.positional.size() != 1) {
            throw new UsageException("expected one ADDRESS:PORT");
        }
        String t = c.positional.get(0);
        int colon = t.lastIndexOf(':');
        if (colon < 0) {
            throw new UsageException("expected ADDRESS:PORT, not '" + t + "'");
        }
        AnodeAddress target = AnodeAddress.parse(t.substring(0, colon).strip());
        int port = port(t.substring(colon + 1), "PORT");
        AnodeIdentity id = identity(c, false);
        try (AnodeNode node = AnodeNode.start(
                        id, config(c).announce(c.identity != null).build());
                AnodeSocketChannel ch = AnodeSocketChannel.open(node)) {
            ch.connect(AnodeSocketAddress.of(target, port));
            return relayStreams(ch, Progress.forCommand(c.progress, err));
        }
    }

    /** stdin -> stream (shutdownOutput at EOF) on a helper thread, stream -> stdout here. */
    private int relayStreams(AnodeSocketChannel ch, Progress progress) throws Exception {
        Thread up = new Thread(
                () -> {
                    byte[] buf = new byte[65536];
                    try {
                        int n;
                        while ((n = in.read(buf)) >= 0) {
                            ByteBuffer b = ByteBuffer.wrap(buf, 0, n);
                            while (b.hasRemaining()) {
                                ch.write(b);
                            }
                            progress.sent(n);
                        }
                        ch.shutdownOutput();
                    } catch (IOException e) {
                        if (ch.isOpen()) {
                            err.println("anode: sending: " + e.getMessage());
                        }
                    }
                },
                "anode-stdin");
        up.setDaemon(true);
        up.start();
        ByteBuffer b = ByteBuffer.allocate(65536);
        while (ch.read(b) >= 0) {
            out.write(b.array(), 0, b.position());
            out.flush();
            progress.received(b.position());
            b.clear();
        }
        up.join();
        progress.finish();
        return 0;
    }

    /** Maps an address parse failure to the usual exit status. */
    static boolean isInputError(Exception e) {
        return e instanceof InvalidAddressException || e instanceof InvalidIdentityException;
    }
}
