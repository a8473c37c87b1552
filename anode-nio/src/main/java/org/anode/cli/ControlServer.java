package org.anode.cli;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.reflect.RecordComponent;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import javax.management.JMX;
import javax.management.MalformedObjectNameException;
import javax.management.ObjectName;
import org.anode.nio.AnodeNode;
import org.anode.nio.AnodeNodeMXBean;

/**
 * The local control channel of a running node, read by {@code anode status}: a Unix-domain
 * socket {@code anode-SHORTID.sock} (the node's short id, draft 2.7) in a directory that only the
 * node's user may enter (mode 0700, checked, never loosened). Whoever connects gets the status
 * text - address, UDP endpoints, counters, peers and their paths - and the connection is closed;
 * nothing is read from the client, so the channel cannot change the node.
 *
 * <p>Only the owner (and root) can reach the socket: the directory's permissions are the access
 * control, as for ssh-agent's sockets. A directory that exists with wider permissions or another
 * owner is refused rather than used.
 */
final class ControlServer implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(ControlServer.class.getName());
    private static final Set<PosixFilePermission> OWNER_ONLY = PosixFilePermissions.fromString("rwx------");

    private final AnodeNode node;
    private final Path socket;
    private final ServerSocketChannel server;
    private final Thread thread;

    private ControlServer(AnodeNode node, Path socket, ServerSocketChannel server) {
        this.node = node;
        this.socket = socket;
        this.server = server;
        this.thread = new Thread(this::serve, "anode-control");
        this.thread.setDaemon(true);
    }

    /** The default directory: {@code $XDG_RUNTIME_DIR/anode}, else {@code /tmp/anode-USER}. */
    static Path defaultDirectory() {
        String runtime = System.getenv("XDG_RUNTIME_DIR");
        if (runtime != null && !runtime.isBlank()) {
            return Path.of(runtime, "anode");
        }
        return Path.of(System.getProperty("java.io.tmpdir"), "anode-" + System.getProperty("user.name"));
    }

    /** The socket of the node with this short id in {@code dir}. */
    static Path socketPath(Path dir, AnodeNode node) {
        return dir.resolve("anode-" + node.address().shortId() + ".sock");
    }

    /**
     * Creates (or checks) the owner-only directory and serves the node's status on a socket in it.
     *
     * @throws IOException if the directory is not owner-only or the socket cannot be bound
     */
    static ControlServer start(AnodeNode node, Path dir) throws IOException {
        ensureOwnerOnly(dir);
        Path socket = socketPath(dir, node);
        if (Files.exists(socket, LinkOption.NOFOLLOW_LINKS)) {
            // A socket left by a node that died; a live one answers, and then this node must not start.
            try (SocketChannel probe = SocketChannel.open(UnixDomainSocketAddress.of(socket))) {
                throw new IOException("another node with this address serves " + socket);
            } catch (IOException e) {
                if (e.getMessage() != null && e.getMessage().startsWith("another node")) {
                    throw e;
                }
                Files.delete(socket);
            }
        }
        ServerSocketChannel ch = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        try {
            ch.bind(UnixDomainSocketAddress.of(socket));
        } catch (IOException e) {
            ch.close();
            throw e;
        }
        ControlServer s = new ControlServer(node, socket, ch);
        s.thread.start();
        return s;
    }

    /**
     * {@link #start}, or null with a warning on {@code err}: a node runs without its control socket
     * rather than not at all ({@code anode status} then does not see it).
     */
    static ControlServer tryStart(AnodeNode node, Path dir, java.io.PrintStream err) {
        try {
            ControlServer s = start(node, dir);
            err.println("control " + s.socket());
            return s;
        } catch (IOException e) {
            err.println("anode: no control socket, anode status will not see this node: " + e.getMessage());
            return null;
        }
    }

    /** Creates {@code dir} owner-only, or checks that the existing one is owner-only and ours. */
    static void ensureOwnerOnly(Path dir) throws IOException {
        if (!Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) {
            Files.createDirectories(dir.toAbsolutePath().getParent());
            try {
                Files.createDirectory(dir, PosixFilePermissions.asFileAttribute(OWNER_ONLY));
            } catch (UnsupportedOperationException e) {
                throw new IOException(
                        "the control channel needs a POSIX file system (owner-only directory): " + dir, e);
            }
            // The umask can only take permissions away, so the directory is at most 0700.
        }
        PosixFileAttributeView view =
                Files.getFileAttributeView(dir, PosixFileAttributeView.class, LinkOption.NOFOLLOW_LINKS);
        if (view == null) {
            throw new IOException("the control channel needs a POSIX file system (owner-only directory): " + dir);
        }
        PosixFileAttributes a = view.readAttributes();
        if (!a.isDirectory()) {
            throw new IOException(dir + " is not a directory");
        }
        String me = System.getProperty("user.name");
        if (!a.owner().getName().equals(me)) {
            throw new IOException(
                    "control directory " + dir + " belongs to " + a.owner().getName() + ", not " + me);
        }
        if (!OWNER_ONLY.containsAll(a.permissions())) {
            throw new IOException("control directory " + dir + " is " + PosixFilePermissions.toString(a.permissions())
                    + "; it must be owner-only (chmod 700)");
        }
    }

    /** The socket this server listens on. */
    Path socket() {
        return socket;
    }

    private void serve() {
        while (true) {
            try (SocketChannel c = server.accept()) {
                ByteBuffer b = ByteBuffer.wrap(report(node).getBytes(StandardCharsets.UTF_8));
                while (b.hasRemaining()) {
                    c.write(b);
                }
            } catch (ClosedChannelException e) {
                return;
            } catch (IOException | RuntimeException e) {
                // One client's failure (it hung up early) must not end the service.
                LOG.log(System.Logger.Level.DEBUG, "control connection: " + e);
                if (!server.isOpen()) {
                    return;
                }
            }
        }
    }

    /** The status text of {@code node}: address, endpoints, counters, peers and their paths. */
    static String report(AnodeNode node) {
        StringBuilder sb = new StringBuilder();
        sb.append("node      ").append(node.address()).append('\n');
        sb.append("state     ").append(node.isOpen() ? "running" : "closed").append('\n');
        for (InetSocketAddress e : node.localEndpoints()) {
            sb.append("udp       ").append(ConformanceCheck.hostPort(e)).append('\n');
        }
        sb.append("counters\n");
        appendRecord(sb, node.statistics());
        String[] peers = peers(node);
        sb.append("peers     ")
                .append(
                        peers == null
                                ? node.peerCount() + " (paths unavailable: no MBean)"
                                : String.valueOf(peers.length))
                .append('\n');
        if (peers != null) {
            for (String p : peers) {
                sb.append("  ").append(p).append('\n');
            }
        }
        return sb.toString();
    }

    /** Every component of a statistics record as {@code name value}: new counters appear by themselves. */
    private static void appendRecord(StringBuilder sb, Record r) {
        for (RecordComponent c : r.getClass().getRecordComponents()) {
            try {
                sb.append(String.format(
                        Locale.ROOT,
                        "  %-22s %s%n",
                        c.getName(),
                        c.getAccessor().invoke(r)));
            } catch (ReflectiveOperationException e) {
                throw new IllegalStateException("statistics component " + c.getName(), e);
            }
        }
    }

    /** The node's peers and paths, read from its MBean (org.anode:type=Node,address=...); null without one. */
    private static String[] peers(AnodeNode node) {
        try {
            var server = ManagementFactory.getPlatformMBeanServer();
            ObjectName name = new ObjectName("org.anode:type=Node,address=" + node.address());
            if (!server.isRegistered(name)) {
                return null;
            }
            return JMX.newMXBeanProxy(server, name, AnodeNodeMXBean.class).getPeers();
        } catch (MalformedObjectNameException | RuntimeException e) {
            return null;
        }
    }

    /**
     * The status text a node serves at {@code socket}.
     *
     * @throws IOException if no node answers there
     */
    static String query(Path socket) throws IOException {
        try (SocketChannel c = SocketChannel.open(UnixDomainSocketAddress.of(socket))) {
            ByteBuffer b = ByteBuffer.allocate(4096);
            List<byte[]> chunks = new ArrayList<>();
            int total = 0;
            while (c.read(b) >= 0) {
                if (!b.hasRemaining()) {
                    chunks.add(java.util.Arrays.copyOf(b.array(), b.position()));
                    total += b.position();
                    if (total > 16 << 20) {
                        throw new IOException("status from " + socket + " exceeds 16 MiB");
                    }
                    b.clear();
                }
            }
            chunks.add(java.util.Arrays.copyOf(b.array(), b.position()));
            StringBuilder sb = new StringBuilder();
            java.io.ByteArrayOutputStream all = new java.io.ByteArrayOutputStream();
            for (byte[] ch : chunks) {
                all.write(ch, 0, ch.length);
            }
            sb.append(all.toString(StandardCharsets.UTF_8));
            return sb.toString();
        }
    }

    /**
     * The control sockets in {@code dir}, sorted.
     *
     * @throws IOException if the directory cannot be listed
     */
    static List<Path> sockets(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (var s = Files.list(dir)) {
            return s.filter(p -> p.getFileName().toString().matches("anode-[0-9a-f]{16}\\.sock"))
                    .sorted()
                    .toList();
        }
    }

    /** The usage text of {@code anode status}. */
    static final String USAGE = String.join(
            "\n",
            "usage: anode status [--control DIR] [ADDRESS | SHORT-ID]",
            "Prints a running node's address, UDP endpoints, counters, peers and their paths, read",
            "through its control socket (only the node's user can reach it).",
            "  --control DIR  the node's control directory (default $XDG_RUNTIME_DIR/anode, else",
            "                 /tmp/anode-$USER; the 'control' setting of its configuration file)",
            "  ADDRESS        which node, when several run (its base32 address or 16-hex short id)",
            "exit status: 0 printed, 1 no node answered, 2 usage error",
            "");

    /**
     * The {@code anode status} command.
     *
     * @return 0 printed, 1 no node answered, 2 usage error
     */
    static int statusCommand(List<String> args, java.io.PrintStream out, java.io.PrintStream err) {
        Path dir = defaultDirectory();
        String which = null;
        for (int i = 0; i < args.size(); i++) {
            String a = args.get(i);
            switch (a) {
                case "--help", "-h" -> {
                    out.print(USAGE);
                    return 0;
                }
                case "--control" -> {
                    if (++i >= args.size()) {
                        err.println("anode status: --control needs a directory");
                        return 2;
                    }
                    dir = Path.of(args.get(i));
                }
                default -> {
                    if (a.startsWith("-") || which != null) {
                        err.println("anode status: unexpected argument '" + a + "'");
                        err.print(USAGE);
                        return 2;
                    }
                    which = a;
                }
            }
        }
        try {
            List<Path> found = sockets(dir);
            if (which != null) {
                String id;
                try {
                    id = which.length() == 16
                            ? which.toLowerCase(Locale.ROOT)
                            : org.anode.address.AnodeAddress.parse(which)
                                    .shortId()
                                    .toString();
                } catch (org.anode.address.InvalidAddressException e) {
                    err.println("anode status: " + e.getMessage());
                    return 2;
                }
                found = found.stream()
                        .filter(p -> p.getFileName().toString().equals("anode-" + id + ".sock"))
                        .toList();
            }
            if (found.isEmpty()) {
                err.println("anode status: no running node" + (which == null ? "" : " " + which)
                        + " has a control socket in " + dir);
                return 1;
            }
            if (found.size() > 1) {
                err.println("anode status: " + found.size() + " nodes run; name one by address or short id:");
                for (Path p : found) {
                    String f = p.getFileName().toString();
                    err.println("  " + f.substring("anode-".length(), f.length() - ".sock".length()));
                }
                return 2;
            }
            out.print(query(found.get(0)));
            return 0;
        } catch (IOException e) {
            err.println("anode status: " + e.getMessage());
            return 1;
        }
    }

    @Override
    public void close() throws IOException {
        try {
            server.close();
        } finally {
            Files.deleteIfExists(socket);
        }
    }
}
