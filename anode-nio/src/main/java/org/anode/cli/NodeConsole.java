package org.anode.cli;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Locale;
import org.anode.address.AnodeAddress;
import org.anode.nio.AnodeDatagramChannel;
import org.anode.nio.AnodeNode;
import org.anode.nio.AnodePath;
import org.anode.nio.AnodeSocketAddress;
import org.anode.nio.AnodeSocketChannel;
import org.anode.nio.LanStatistics;

/**
 * The command console of {@code anode node --console}: one command per line of standard input,
 * {@code ID COMMAND ARGS}, each run on its own thread and answered on standard output with
 * {@code ID ok RESULT} or {@code ID err REASON} (so several may be outstanding). It lets a script
 * or a test drive a running node by address alone (draft 4.2.2, 4.2.10, 5; DECISIONS 31):
 * <ul>
 *   <li>{@code ping ADDRESS} - {@code rtt=MS path=direct|relay hops=N} ({@code relay/tcp} or
 *       {@code relay/http} when the relay is reached over TCP or HTTP, DECISIONS 38);
 *   <li>{@code dgram ADDRESS TEXT} - sends TEXT to the address's echo port ({@value NetCommands#ECHO_PORT})
 *       and answers with what came back;
 *   <li>{@code stream ADDRESS BYTES [PEERID]} - opens a stream to the echo port (of the device with
 *       that peer id, draft 3.4, when given), sends BYTES deterministic bytes, reads them back,
 *       answers {@code SHA-256 COUNT};
 *   <li>{@code path ADDRESS} - how the address is reached now ({@link #pathLine}), or {@code none};
 *   <li>{@code lan} - the LAN discovery counters ({@link LanStatistics}) and the peer count;
 *   <li>{@code fresh-ping ADDRESS COUNT INTERVAL_MS [settled]} - starts a second node in this
 *       process with a new identity and its own UDP socket (so the peer has no path to it and no
 *       NAT-traversal state for it, draft 4.2.4 - 4.2.9), pings ADDRESS from it COUNT times,
 *       INTERVAL_MS apart, closes it and answers {@code replies=N nat=LOCAL/REMOTE switched=MS|-
 *       mode=M|- ready=MS|- rtts=K:MS,...} with K {@code d} (direct) or {@code r} (relayed) per
 *       reply. With {@code settled} the first ping waits (at most 5 s) until a relay's NETID answer
 *       gave the new node its public endpoint (DECISIONS 35), {@code ready} is how long that took
 *       ({@code -} if it did not come); without, the node pings at once, as a just-started one
 *       does. It measures a traversal from a process whose code has already run, unlike a new
 *       {@code anode ping} process.
 * </ul>
 */
final class NodeConsole {
    private static final Duration TIMEOUT = Duration.ofSeconds(10);
    /** How long {@code fresh-ping settled} waits for the new node's first NETID answer. */
    private static final Duration SETTLE = Duration.ofSeconds(5);

    private final AnodeNode node;
    private final PrintStream out;
    private final FreshNodes fresh;

    /** Starts the throw-away nodes of {@code fresh-ping}: a new identity, an ephemeral port. */
    @FunctionalInterface
    interface FreshNodes {
        AnodeNode start() throws IOException;
    }

    NodeConsole(AnodeNode node, PrintStream out, FreshNodes fresh) {
        this.node = node;
        this.out = out;
        this.fresh = fresh;
    }

    /** Reads commands until end of input or the node closes, on a daemon thread. */
    Thread start(InputStream in) {
        Thread t = new Thread(
                () -> {
                    try (BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
                        String line;
                        while ((line = r.readLine()) != null && node.isOpen()) {
                            String l = line.strip();
                            if (!l.isEmpty()) {
                                Thread c = new Thread(() -> run(l), "anode-console-command");
                                c.setDaemon(true);
                                c.start();
                            }
                        }
                    } catch (IOException e) {
                        // Input closed: nothing more to do.
                    }
                },
                "anode-console");
        t.setDaemon(true);
        t.start();
        return t;
    }

    private void run(String line) {
        String[] w = line.split(" ", 4);
        String id = w[0];
        try {
            String result = execute(w);
            answer(id + " ok " + result);
        } catch (Exception e) {
            answer(id + " err " + e.getClass().getSimpleName() + ": " + e.getMessage());
        }
    }

    private void answer(String s) {
        synchronized (out) {
            out.println(s);
            out.flush();
        }
    }

    /**
     * {@code relay[/tcp|/http] hops=N endpoint=E}, then {@code advertised=} and the peer's TCP and
     * HTTP endpoints (draft 2.10 types) if its EPIs named any (addendum A16).
     */
    static String pathLine(AnodePath p) {
        StringBuilder sb = new StringBuilder(p.label())
                .append(" hops=")
                .append(p.hops())
                .append(" endpoint=")
                .append(p.endpoint());
        String sep = " advertised=";
        for (org.anode.wire.Endpoint e : p.advertised()) {
            sb.append(sep);
            sep = ",";
            if (e instanceof org.anode.wire.Endpoint.Http h) {
                sb.append(h.uri());
            } else {
                java.net.InetSocketAddress a = e.socketAddress().orElseThrow();
                sb.append("tcp:").append(ConformanceCheck.hostPort(a));
            }
        }
        return sb.toString();
    }

    private String execute(String[] w) throws Exception {
        if (w.length < 2) {
            throw new IllegalArgumentException("expected ID COMMAND [ARGS]");
        }
        switch (w[1]) {
            case "ping": {
                AnodeAddress a = AnodeAddress.parse(arg(w, 2));
                Duration rtt = node.ping(a, Duration.ofSeconds(5));
                AnodePath p = node.pathTo(a).orElse(null);
                return String.format(
                        Locale.ROOT,
                        "rtt=%.2f path=%s hops=%d",
                        rtt.toNanos() / 1e6,
                        p == null ? "unknown" : p.label(),
                        p == null ? 0 : p.hops());
            }
            case "dgram":
                return dgram(AnodeAddress.parse(arg(w, 2)), arg(w, 3));
            case "stream": {
                // stream ADDRESS BYTES [PEERID]: the last word may name the device (draft 3.4).
                String[] more = arg(w, 3).split(" ");
                int peerId = more.length > 1 ? Integer.parseInt(more[1]) : 0;
                return stream(AnodeAddress.parse(arg(w, 2)), Integer.parseInt(more[0]), peerId);
            }
            case "path": {
                AnodePath p = node.pathTo(AnodeAddress.parse(arg(w, 2))).orElse(null);
                return p == null ? "none" : pathLine(p);
            }
            case "lan": {
                LanStatistics s = node.lanStatistics();
                return "on=" + s.on() + " announcementsSent=" + s.announcementsSent() + " announcementsRead="
                        + s.announcementsRead() + " announcementsDropped=" + s.announcementsDropped() + " queriesSent="
                        + s.queriesSent() + " queriesAnswered=" + s.queriesAnswered() + " hintChecks=" + s.hintChecks()
                        + " ignored=" + s.ignored() + " hints=" + s.hints() + " targets=" + s.targets() + " peers="
                        + node.peerCount();
            }
            case "fresh-ping": {
                String[] more = arg(w, 3).split(" ");
                if (more.length < 2 || more.length > 3 || (more.length == 3 && !more[2].equals("settled"))) {
                    throw new IllegalArgumentException("expected fresh-ping ADDRESS COUNT INTERVAL_MS [settled]");
                }
                return freshPing(
                        AnodeAddress.parse(arg(w, 2)),
                        positive(more[0], 1000),
                        positive(more[1], 60_000),
                        more.length == 3);
            }
            default:
                throw new IllegalArgumentException("unknown command '" + w[1] + "'");
        }
    }

    private static int positive(String v, int max) {
        int n = Integer.parseInt(v.strip());
        if (n < 1 || n > max) {
            throw new IllegalArgumentException(v + " is not in 1.." + max);
        }
        return n;
    }

    /**
     * One traversal from scratch: the node is new to the peer, so the first replies come over the
     * relay and the switch (if the NATs allow it) happens during this command. Replies that time out
     * are left out; the switch time is the new node's own measure, from its first packet over the
     * relay to the direct path.
     */
    private String freshPing(AnodeAddress a, int count, int intervalMs, boolean settled)
            throws IOException, InterruptedException {
        StringBuilder rtts = new StringBuilder();
        int replies = 0;
        try (AnodeNode n = fresh.start()) {
            String ready = "-";
            if (settled) {
                long start = System.nanoTime();
                long deadline = start + SETTLE.toNanos();
                var st = n.traversalStatistics();
                while (st != null && st.natObservers() == 0 && System.nanoTime() - deadline < 0) {
                    Thread.sleep(5);
                }
                if (st != null && st.natObservers() > 0) {
                    ready = String.format(Locale.ROOT, "%.1f", (System.nanoTime() - start) / 1e6);
                }
            }
            for (int i = 0; i < count; i++) {
                try {
                    Duration rtt = n.ping(a, Duration.ofSeconds(5));
                    java.util.OptionalInt h = n.lastReplyHops(a);
                    rtts.append(replies == 0 ? "" : ",")
                            .append(h.isPresent() && h.getAsInt() == 0 ? 'd' : 'r')
                            .append(':')
                            .append(String.format(Locale.ROOT, "%.3f", rtt.toNanos() / 1e6));
                    replies++;
                } catch (java.net.SocketTimeoutException e) {
                    // A lost ping: the count of replies says so.
                }
                if (i + 1 < count) {
                    Thread.sleep(intervalMs);
                }
            }
            AnodePath p = n.pathTo(a).orElse(null);
            var ts = n.traversalStatistics();
            boolean sw = ts != null && ts.lastSwitchNanos() >= 0;
            return "replies=" + replies + " nat=" + (p == null ? "UNKNOWN/UNKNOWN" : p.localNat() + "/" + p.remoteNat())
                    + " switched="
                    + (sw ? String.format(Locale.ROOT, "%.3f", ts.lastSwitchNanos() / 1e6) : "-") + " mode="
                    + (sw ? Integer.toString(ts.lastSwitchMode()) : "-") + " ready=" + ready + " rtts=" + rtts;
        }
    }

    private static String arg(String[] w, int i) {
        if (w.length <= i) {
            throw new IllegalArgumentException("missing argument " + (i - 1));
        }
        return w[i].strip();
    }

    private String dgram(AnodeAddress a, String text) throws IOException, InterruptedException {
        try (AnodeDatagramChannel ch = node.openDatagramChannel()) {
            ch.bind(AnodeSocketAddress.of(node.address(), 0));
            ch.configureBlocking(false);
            ch.send(
                    ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8)),
                    AnodeSocketAddress.of(a, NetCommands.ECHO_PORT));
            ByteBuffer b = ByteBuffer.allocate(65536);
            long deadline = System.nanoTime() + TIMEOUT.toNanos();
            while (ch.receive(b) == null) {
                if (System.nanoTime() - deadline > 0) {
                    throw new IOException("no echo within " + TIMEOUT);
                }
                Thread.sleep(5);
            }
            b.flip();
            return StandardCharsets.UTF_8.decode(b).toString();
        }
    }

    private String stream(AnodeAddress a, int n, int peerId) throws IOException, InterruptedException {
        byte[] data = new byte[n];
        for (int i = 0; i < n; i++) {
            data[i] = (byte) (i * 31 + 7);
        }
        try (AnodeSocketChannel ch = AnodeSocketChannel.open(node)) {
            ch.connect(AnodeSocketAddress.of(a, NetCommands.ECHO_PORT).withPeerId(peerId));
            Thread writer = new Thread(
                    () -> {
                        try {
                            ByteBuffer b = ByteBuffer.wrap(data);
                            while (b.hasRemaining()) {
                                ch.write(b);
                            }
                            ch.shutdownOutput();
                        } catch (IOException e) {
                            // The reader sees the stream fail.
                        }
                    },
                    "anode-console-writer");
            writer.setDaemon(true);
            writer.start();
            MessageDigest md = sha256();
            ByteBuffer b = ByteBuffer.allocate(65536);
            long total = 0;
            int r;
            while ((r = ch.read(b)) >= 0) {
                md.update(b.array(), 0, b.position());
                total += r;
                b.clear();
            }
            writer.join(TIMEOUT.toMillis());
            return HexFormat.of().formatHex(md.digest()) + " " + total;
        }
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
