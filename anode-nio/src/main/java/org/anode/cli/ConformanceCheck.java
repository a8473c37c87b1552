package org.anode.cli;

import java.io.IOException;
import java.io.PrintStream;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.security.InvalidKeyException;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import org.anode.address.AnodeAddress;
import org.anode.address.AnodeIdentity;
import org.anode.address.InvalidAddressException;
import org.anode.address.Zone;
import org.anode.crypto.internal.AesCmac;
import org.anode.nio.AnodeNode;
import org.anode.nio.AnodeNodeConfig;
import org.anode.nio.AnodeSocketAddress;
import org.anode.nio.AnodeSocketChannel;
import org.anode.wire.AddressField;
import org.anode.wire.Message;
import org.anode.wire.Packet;
import org.anode.wire.PacketReader;
import org.anode.wire.WireException;

/**
 * The network conformance checker ({@code anode conformance --target ADDRESS@HOST:PORT}): drives
 * another Anode implementation over UDP and reports each check as pass or fail.
 *
 * <p>What the target must run: a node answering PING (draft 4.2.2), a DGRAM echo (draft 4.2.10) and
 * a stream echo (draft 5) on one Anode port it names ({@code --echo-port}, default 7); our
 * {@code anode conformance --serve} is such a target. The checker builds its packets itself with
 * this project's wire codec (draft 3) from a fresh identity, so every byte on the wire is under
 * its control, and runs the stream echo through an {@link AnodeNode} of a second fresh identity.
 *
 * <p>Hostile packets must be dropped: a forged MAC, a payload changed after the MAC, a sender whose
 * key does not match the MAC (draft 3.3), a truncated header, an undefined flag, an undefined
 * message type and a DGRAM too short for its header (draft 3, 4; DECISIONS 16-20). Each is
 * followed by a valid DGRAM "fence" to the echo port: the fence's echo must come back, and nothing
 * the hostile packet asked for may come back before it. A reply to a hostile packet is tolerated
 * only if it is no longer than the packet (DECISIONS 30) and not what the packet asked for.
 */
public final class ConformanceCheck {
    /** One check's outcome. */
    public record Result(String name, String section, boolean passed, String detail) {}

    /** The implementation under test: its Anode address and UDP endpoint. */
    public record Target(AnodeAddress address, InetSocketAddress endpoint) {
        /**
         * Parses {@code ADDRESS@HOST:PORT} (an IPv6 host in brackets).
         *
         * @param text the target
         * @return the target
         * @throws IllegalArgumentException naming what is wrong
         */
        public static Target parse(String text) {
            int at = text.indexOf('@');
            if (at <= 0) {
                throw new IllegalArgumentException("expected ADDRESS@HOST:PORT, got '" + text + "'");
            }
            AnodeAddress a;
            try {
                a = AnodeAddress.parse(text.substring(0, at));
            } catch (InvalidAddressException e) {
                throw new IllegalArgumentException(e.getMessage(), e);
            }
            String hp = text.substring(at + 1);
            int colon = hp.lastIndexOf(':');
            if (colon <= 0 || colon == hp.length() - 1) {
                throw new IllegalArgumentException("expected HOST:PORT after '@', got '" + hp + "'");
            }
            String host = hp.substring(0, colon);
            if (host.startsWith("[") && host.endsWith("]")) {
                host = host.substring(1, host.length() - 1);
            }
            int port;
            try {
                port = Integer.parseInt(hp.substring(colon + 1));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("bad UDP port '" + hp.substring(colon + 1) + "'");
            }
            if (port < 1 || port > 65535) {
                throw new IllegalArgumentException("UDP port out of range: " + port);
            }
            try {
                return new Target(a, new InetSocketAddress(InetAddress.getByName(host), port));
            } catch (UnknownHostException e) {
                throw new IllegalArgumentException("unknown host '" + host + "'", e);
            }
        }
    }

    private static final int STREAM_BYTES = 64 * 1024;
    private static final int MAX_UDP = 65535;

    private final Target target;
    private final int echoPort;
    private final Duration timeout;
    private final SecureRandom random = new SecureRandom();
    private final AnodeIdentity self = AnodeIdentity.generate(Zone.DEFAULT);
    private final AesCmac cmac;
    private final List<Result> results = new ArrayList<>();
    private DatagramSocket socket;
    private int nextSourcePort = 49152;

    /**
     * A checker for one target.
     *
     * @param target the implementation under test
     * @param echoPort the Anode port of its DGRAM and stream echo
     * @param timeout how long to wait for each expected answer
     * @throws InvalidKeyException if no key can be agreed with the target's address (never for a
     *     valid address)
     */
    public ConformanceCheck(Target target, int echoPort, Duration timeout) throws InvalidKeyException {
        this.target = target;
        this.echoPort = echoPort;
        this.timeout = timeout;
        this.cmac = AesCmac.forKey(self.agree(target.address()));
    }

    /**
     * Runs every check once, in order.
     *
     * @return one result per check
     * @throws IOException if no local UDP socket can be opened
     */
    public List<Result> run() throws IOException {
        try (DatagramSocket s = new DatagramSocket(new InetSocketAddress(
                target.endpoint().getAddress() instanceof java.net.Inet6Address ? "::" : "0.0.0.0", 0))) {
            socket = s;
            pingCheck("PING answered with PONG");
            dgramEcho();
            streamEcho();
            hostile("forged MAC dropped", "3.3", p -> p[3] ^= 0x01);
            hostile("payload changed after MAC dropped", "3.3", p -> p[p.length - 1] ^= 0x40);
            forgedSender();
            hostileRaw("truncated header dropped", "3", Arrays.copyOf(validDgram(echoPort, payload()), 27));
            hostile("undefined flag 0x08 dropped", "3.2", p -> p[1] |= 0x08);
            hostileMessage("undefined message type 0x0a dropped", "4.1", 0x0a, new byte[] {1, 2, 3, 4});
            hostileMessage("DGRAM shorter than its header dropped", "4.2.10", 0x09, new byte[] {0, 1, 0});
            pingCheck("PING still answered after the hostile packets");
        } finally {
            socket = null;
        }
        return List.copyOf(results);
    }

    // ------------------------------------------------------------------ checks

    private void pingCheck(String name) throws IOException {
        byte[] payload = payload();
        byte[] packet = encode(new Message.Ping(payload));
        long t0 = System.nanoTime();
        for (int attempt = 0; attempt < 3; attempt++) {
            send(packet);
            Message m = awaitAuthenticated(
                    msg -> msg instanceof Message.Pong p && Arrays.equals(p.payload(), payload), timeout.dividedBy(3));
            if (m != null) {
                pass(
                        name,
                        "4.2.2, 4.2.3",
                        String.format(Locale.ROOT, "round trip %.2f ms", (System.nanoTime() - t0) / 1e6));
                return;
            }
        }
        fail(
                name,
                "4.2.2, 4.2.3",
                "no authenticated PONG with the PING's payload within " + timeout.toMillis() + " ms");
    }

    private void dgramEcho() throws IOException {
        String name = "DGRAM echoed on port " + echoPort;
        int src = sourcePort();
        byte[] payload = payload();
        byte[] packet = validDgram(echoPort, src, payload);
        for (int attempt = 0; attempt < 3; attempt++) {
            send(packet);
            if (awaitEcho(src, payload, timeout.dividedBy(3))) {
                pass(name, "4.2.10", payload.length + " bytes back from port " + echoPort + " to port " + src);
                return;
            }
        }
        fail(
                name,
                "4.2.10",
                "no authenticated DGRAM from port " + echoPort + " to port " + src + " with the same payload within "
                        + timeout.toMillis() + " ms");
    }

    private void streamEcho() {
        String name = "stream echoed on port " + echoPort;
        AnodeNodeConfig config = AnodeNodeConfig.builder()
                .bind(new InetSocketAddress(
                        target.endpoint().getAddress() instanceof java.net.Inet6Address ? "::" : "0.0.0.0", 0))
                .build();
        try (AnodeNode node = AnodeNode.start(AnodeIdentity.generate(Zone.DEFAULT), config)) {
            node.addPeerEndpoint(target.address(), target.endpoint());
            byte[] data = new byte[STREAM_BYTES];
            random.nextBytes(data);
            try (AnodeSocketChannel c = AnodeSocketChannel.open(node)) {
                c.socket().setSoTimeout((int) timeout.toMillis());
                c.connect(AnodeSocketAddress.of(target.address(), echoPort));
                ByteBuffer back = ByteBuffer.allocate(data.length);
                ByteBuffer out = ByteBuffer.wrap(data);
                // Blocking writes and reads interleaved in 4 KiB steps, so neither side's buffers
                // have to hold the whole transfer.
                long deadline = System.nanoTime() + timeout.toNanos() * 4;
                while (back.hasRemaining()) {
                    if (System.nanoTime() > deadline) {
                        fail(name, "5", "only " + back.position() + " of " + data.length + " bytes came back in time");
                        return;
                    }
                    if (out.hasRemaining()) {
                        ByteBuffer step = out.duplicate();
                        step.limit(Math.min(out.limit(), out.position() + 4096));
                        int n = c.write(step);
                        out.position(out.position() + n);
                    }
                    if (back.position() < out.position()) {
                        int n = c.socket()
                                .getInputStream()
                                .read(back.array(), back.position(), out.position() - back.position());
                        if (n < 0) {
                            fail(name, "5", "end of stream after " + back.position() + " bytes");
                            return;
                        }
                        back.position(back.position() + n);
                    }
                }
                if (!Arrays.equals(data, back.array())) {
                    fail(name, "5", "the echoed bytes differ from those sent");
                    return;
                }
                c.shutdownOutput();
                int end = c.socket().getInputStream().read();
                if (end != -1) {
                    fail(name, "5", "expected end of stream after our FIN, read a byte");
                    return;
                }
                pass(name, "5", data.length + " bytes back, then end of stream");
            }
        } catch (IOException | RuntimeException e) {
            fail(name, "5", e.toString());
        }
    }

    /** A forged or mangled copy of a valid DGRAM to the echo port. */
    private void hostile(String name, String section, java.util.function.Consumer<byte[]> mangle) throws IOException {
        int src = sourcePort();
        byte[] payload = payload();
        byte[] p = validDgram(echoPort, src, payload);
        mangle.accept(p);
        fenced(name, section, p, src, payload);
    }

    /** A DGRAM whose MAC is ours but whose full sender field names an address the key is not of. */
    private void forgedSender() throws IOException {
        int src = sourcePort();
        byte[] payload = payload();
        AnodeIdentity other = AnodeIdentity.generate(Zone.DEFAULT);
        Packet p = new Packet(
                0,
                false,
                AddressField.full(other.address()),
                AddressField.full(target.address()),
                1,
                0,
                new Message.Dgram(src, echoPort, payload));
        fenced("sender that does not own the MAC key dropped", "3.3", p.toByteArray(cmac), src, payload);
    }

    private void hostileRaw(String name, String section, byte[] packet) throws IOException {
        fenced(name, section, packet, -1, null);
    }

    /** A validly MACed packet whose message type or body is invalid. */
    private void hostileMessage(String name, String section, int type, byte[] body) throws IOException {
        byte[] ok = encode(new Message.Ping(body));
        // Same header with another type byte and the body re-MACed: only the message is invalid.
        byte[] p = ok.clone();
        int typeOffset = p.length - body.length - 1;
        p[typeOffset] = (byte) type;
        remac(p);
        fenced(name, section, p, -1, null);
    }

    /**
     * Sends {@code packet}, then a valid fence DGRAM; passes if the fence's echo comes back and
     * nothing before it echoes {@code payload} to {@code src} or is longer than {@code packet}.
     */
    private void fenced(String name, String section, byte[] packet, int src, byte[] payload) throws IOException {
        send(packet);
        int fenceSrc = sourcePort();
        byte[] fencePayload = payload();
        byte[] fence = validDgram(echoPort, fenceSrc, fencePayload);
        long deadline = System.nanoTime() + timeout.toNanos();
        int attempts = 0;
        long nextFence = 0;
        while (System.nanoTime() < deadline) {
            if (System.nanoTime() >= nextFence && attempts < 3) {
                send(fence);
                attempts++;
                nextFence = System.nanoTime() + timeout.toNanos() / 3;
            }
            DatagramPacket d = receive(Duration.ofMillis(50));
            if (d == null) {
                continue;
            }
            if (d.getLength() > packet.length && !isEcho(d, fenceSrc, fencePayload)) {
                if (payload != null && isEcho(d, src, payload)) {
                    fail(name, section, "the hostile packet was acted on: its DGRAM was echoed");
                    return;
                }
                if (!isAuthenticated(d)) {
                    fail(
                            name,
                            section,
                            "answered with " + d.getLength() + " bytes, more than the " + packet.length
                                    + " it carried (DECISIONS 30)");
                    return;
                }
            }
            if (payload != null && isEcho(d, src, payload)) {
                fail(name, section, "the hostile packet was acted on: its DGRAM was echoed");
                return;
            }
            if (isEcho(d, fenceSrc, fencePayload)) {
                pass(name, section, "dropped; the next valid DGRAM was echoed");
                return;
            }
        }
        fail(
                name,
                section,
                "the valid DGRAM sent after it was not echoed within " + timeout.toMillis()
                        + " ms (the target stopped answering)");
    }

    // ------------------------------------------------------------------ packets

    private byte[] encode(Message m) {
        return new Packet(0, false, AddressField.full(self.address()), AddressField.full(target.address()), 1, 0, m)
                .toByteArray(cmac);
    }

    private byte[] validDgram(int destinationPort, byte[] payload) {
        return validDgram(destinationPort, sourcePort(), payload);
    }

    private byte[] validDgram(int destinationPort, int sourcePort, byte[] payload) {
        return encode(new Message.Dgram(sourcePort, destinationPort, payload));
    }

    /** Recomputes the MAC of a packet whose bytes after the MAC field were changed (draft 3.3). */
    private void remac(byte[] p) {
        ByteBuffer in = ByteBuffer.allocate(p.length - 1);
        in.put(p[1]).putLong(p.length).put(p, 10, p.length - 10);
        cmac.reset();
        cmac.update(in.array(), 0, in.capacity());
        byte[] m = cmac.doFinal();
        for (int i = 0; i < 8; i++) {
            p[2 + i] = (byte) (m[i] ^ m[i + 8]);
        }
    }

    private byte[] payload() {
        byte[] b = new byte[16];
        random.nextBytes(b);
        return b;
    }

    private int sourcePort() {
        int p = nextSourcePort;
        nextSourcePort = p == 65535 ? 49152 : p + 1;
        return p;
    }

    // ------------------------------------------------------------------ socket

    private void send(byte[] packet) throws IOException {
        socket.send(new DatagramPacket(packet, packet.length, target.endpoint()));
    }

    private DatagramPacket receive(Duration wait) throws IOException {
        byte[] buf = new byte[MAX_UDP];
        DatagramPacket d = new DatagramPacket(buf, buf.length);
        socket.setSoTimeout((int) Math.max(1, wait.toMillis()));
        try {
            socket.receive(d);
        } catch (SocketTimeoutException e) {
            return null;
        }
        return d;
    }

    /** The first authenticated message from the target that {@code wanted} accepts, or null. */
    private Message awaitAuthenticated(java.util.function.Predicate<Message> wanted, Duration wait) throws IOException {
        long deadline = System.nanoTime() + wait.toNanos();
        while (System.nanoTime() < deadline) {
            DatagramPacket d = receive(Duration.ofNanos(Math.max(1_000_000, deadline - System.nanoTime())));
            if (d == null) {
                continue;
            }
            Message m = authenticatedMessage(d);
            if (m != null && wanted.test(m)) {
                return m;
            }
        }
        return null;
    }

    private boolean awaitEcho(int src, byte[] payload, Duration wait) throws IOException {
        return awaitAuthenticated(
                        m -> m instanceof Message.Dgram g
                                && g.sourcePort() == echoPort
                                && g.destinationPort() == src
                                && Arrays.equals(g.payload(), payload),
                        wait)
                != null;
    }

    private boolean isEcho(DatagramPacket d, int src, byte[] payload) {
        Message m = authenticatedMessage(d);
        return m instanceof Message.Dgram g
                && g.sourcePort() == echoPort
                && g.destinationPort() == src
                && Arrays.equals(g.payload(), payload);
    }

    private boolean isAuthenticated(DatagramPacket d) {
        return authenticatedMessage(d) != null;
    }

    /** The message of a packet from the target to us whose MAC verifies, or null. */
    private Message authenticatedMessage(DatagramPacket d) {
        if (!d.getSocketAddress().equals(target.endpoint())) {
            return null;
        }
        try {
            PacketReader r = new PacketReader().wrap(ByteBuffer.wrap(d.getData(), d.getOffset(), d.getLength()));
            if (!r.senderIs(target.address()) && r.senderIsFull()) {
                return null;
            }
            if (!r.verifyMac(cmac)) {
                return null;
            }
            return r.message();
        } catch (WireException e) {
            return null;
        }
    }

    private void pass(String name, String section, String detail) {
        results.add(new Result(name, section, true, detail));
    }

    private void fail(String name, String section, String detail) {
        results.add(new Result(name, section, false, detail));
    }

    // ------------------------------------------------------------------ report

    /**
     * The pass/fail table, one row per check, and a summary line.
     *
     * @param results the results of {@link #run()}
     * @return the table's text, lines ending in a line feed
     */
    public static String table(List<Result> results) {
        int w = "check".length();
        for (Result r : results) {
            w = Math.max(w, r.name().length());
        }
        StringBuilder sb = new StringBuilder();
        String fmt = "%-" + w + "s  %-12s  %-4s  %s%n";
        sb.append(String.format(Locale.ROOT, fmt, "check", "draft", "", "detail"));
        int failed = 0;
        for (Result r : results) {
            sb.append(String.format(Locale.ROOT, fmt, r.name(), r.section(), r.passed() ? "PASS" : "FAIL", r.detail()));
            if (!r.passed()) {
                failed++;
            }
        }
        sb.append(String.format(
                Locale.ROOT, "%d checks, %d passed, %d failed%n", results.size(), results.size() - failed, failed));
        return sb.toString();
    }

    /**
     * The {@code anode conformance} command: {@code --target ADDRESS@HOST:PORT [--echo-port N]
     * [--timeout MS]} runs the checks and prints the table; {@code --serve [--port UDP] [--echo-port N]
     * [--identity FILE]} runs a reference target (a node with the echo services) until interrupted.
     *
     * @param args the arguments after {@code conformance}
     * @param out where the table (or the served address) goes
     * @param err where errors go
     * @return 0 if every check passed, 1 if one failed or the run broke, 2 on a usage error
     */
    public static int main(List<String> args, PrintStream out, PrintStream err) {
        String targetText = null;
        int echo = 7;
        long timeoutMs = 3000;
        boolean serve = false;
        int udpPort = 0;
        String identityFile = null;
        try {
            for (int i = 0; i < args.size(); i++) {
                String a = args.get(i);
                switch (a) {
                    case "--target" -> targetText = value(args, ++i, a);
                    case "--echo-port" -> echo = intValue(args, ++i, a, 1, 65535);
                    case "--timeout" -> timeoutMs = intValue(args, ++i, a, 1, 600_000);
                    case "--serve" -> serve = true;
                    case "--port" -> udpPort = intValue(args, ++i, a, 0, 65535);
                    case "--identity" -> identityFile = value(args, ++i, a);
                    case "--help", "-h" -> {
                        out.print(USAGE);
                        return 0;
                    }
                    default -> throw new IllegalArgumentException("unexpected argument '" + a + "'");
                }
            }
            if (serve == (targetText != null)) {
                throw new IllegalArgumentException("give either --target ADDRESS@HOST:PORT or --serve");
            }
        } catch (IllegalArgumentException e) {
            err.println("anode conformance: " + e.getMessage());
            err.print(USAGE);
            return 2;
        }
        try {
            if (serve) {
                AnodeIdentity id = identityFile == null
                        ? AnodeIdentity.generate(Zone.DEFAULT)
                        : AnodeIdentity.load(java.nio.file.Path.of(identityFile));
                AnodeNodeConfig config = AnodeNodeConfig.builder().port(udpPort).build();
                try (AnodeNode node = AnodeNode.start(id, config);
                        EchoService svc = EchoService.start(node, echo)) {
                    for (InetSocketAddress e : node.localEndpoints()) {
                        out.println(node.address() + "@" + hostPort(e));
                    }
                    out.flush();
                    svc.awaitClose();
                }
                return 0;
            }
            Target t;
            try {
                t = Target.parse(targetText);
            } catch (IllegalArgumentException e) {
                err.println("anode conformance: " + e.getMessage());
                return 2;
            }
            List<Result> results = new ConformanceCheck(t, echo, Duration.ofMillis(timeoutMs)).run();
            out.print(table(results));
            return results.stream().allMatch(Result::passed) ? 0 : 1;
        } catch (IOException | InvalidKeyException | org.anode.address.InvalidIdentityException e) {
            err.println("anode conformance: " + e.getMessage());
            return 1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return 1;
        }
    }

    /** {@code HOST:PORT}, an IPv6 host in brackets. */
    static String hostPort(InetSocketAddress e) {
        String h = e.getAddress().getHostAddress();
        return (h.indexOf(':') >= 0 ? "[" + h + "]" : h) + ":" + e.getPort();
    }

    /** The usage text of {@code anode conformance}. */
    static final String USAGE = String.join(
            "\n",
            "usage: anode conformance --target ADDRESS@HOST:PORT [--echo-port N] [--timeout MS]",
            "       anode conformance --serve [--port UDP] [--echo-port N] [--identity FILE]",
            "  --target      the node to check: its Anode address, '@', its UDP host and port",
            "  --echo-port   Anode port of the target's DGRAM and stream echo (default 7)",
            "  --timeout     milliseconds to wait for each answer (default 3000)",
            "  --serve       run a reference target (PING, DGRAM and stream echo) until killed;",
            "                prints ADDRESS@HOST:PORT for each local endpoint",
            "exit status: 0 every check passed, 1 a check failed, 2 usage error",
            "");

    private static String value(List<String> args, int i, String flag) {
        if (i >= args.size()) {
            throw new IllegalArgumentException(flag + " needs a value");
        }
        return args.get(i);
    }

    private static int intValue(List<String> args, int i, String flag, int min, int max) {
        String v = value(args, i, flag);
        try {
            int n = Integer.parseInt(v);
            if (n < min || n > max) {
                throw new IllegalArgumentException(flag + " must be " + min + " to " + max + ", got " + n);
            }
            return n;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(flag + " needs a number, got '" + v + "'");
        }
    }
}
