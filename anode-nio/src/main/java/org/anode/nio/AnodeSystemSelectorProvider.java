package org.anode.nio;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ProtocolFamily;
import java.net.SocketAddress;
import java.net.StandardProtocolFamily;
import java.nio.channels.Channel;
import java.nio.channels.DatagramChannel;
import java.nio.channels.Pipe;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.channels.spi.AbstractSelector;
import java.nio.channels.spi.SelectorProvider;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Properties;
import org.anode.address.AnodeAddress;
import org.anode.address.AnodeIdentity;
import org.anode.address.InvalidAddressException;
import org.anode.address.InvalidIdentityException;
import org.anode.address.Zone;

/**
 * A system-wide {@link SelectorProvider}: started with
 * {@code -Djava.nio.channels.spi.SelectorProvider=org.anode.nio.AnodeSystemSelectorProvider}, it makes
 * {@code SocketChannel.open()}, {@code ServerSocketChannel.open()}, {@code DatagramChannel.open()} and
 * {@code Selector.open()} in unchanged code use Anode (draft sections 4.2.10 and 5, over the UDP of
 * draft 2.9) for Anode addresses and the JDK's own networking for everything else.
 *
 * <p>An Anode address is an {@link AnodeSocketAddress}, the synthetic {@code fd..} address of one
 * (addendum A2) as {@link AnodeNames} resolves it, or an unresolved {@code <base32>.anode} name.
 * Channels are opened before their address is known, so each is a delegating channel backed by a
 * JDK channel until it connects or binds to an Anode address, and by an Anode channel from then on.
 * {@link #openSelector()} is an {@link AnodeSelector}, which serves both kinds; pipes are the JDK's.
 *
 * <p>The node (one per JVM) starts at the first Anode use, configured from system properties, or
 * from the properties file named by {@code anode.config} (system properties win):
 * <ul>
 *   <li>{@code anode.identity}: identity file ({@code anode keygen --out FILE}); without it a new
 *       identity is made for this run.
 *   <li>{@code anode.port}: the node's UDP port (default 0, any); {@code anode.bind}: comma-separated
 *       {@code host:port} UDP endpoints instead.
 *   <li>{@code anode.peers}: comma-separated {@code <base32 address>@<host>:<port>} endpoints of
 *       known peers.
 *   <li>{@code anode.listenWildcard}: {@code true} makes a server socket bound to a wildcard address
 *       listen on the node's Anode port of the same number as well.
 * </ul>
 *
 * <p>The JDK's built-in provider is reached through {@code sun.nio.ch.DefaultSelectorProvider}, which
 * needs {@code --add-exports java.base/sun.nio.ch=ALL-UNNAMED}: the JDK offers no public way to it
 * once this class replaces {@link SelectorProvider#provider()}.
 */
public final class AnodeSystemSelectorProvider extends SelectorProvider {
    private static final System.Logger LOG = System.getLogger(AnodeSystemSelectorProvider.class.getName());

    /** Set while the node starts on this thread: its own sockets and selector are plain JDK ones. */
    private static final ThreadLocal<Boolean> BYPASS = new ThreadLocal<>();

    private final SelectorProvider jdk;
    private final Properties config;
    private final boolean listenWildcard;
    private volatile AnodeNode node;

    /**
     * The provider the JDK instantiates for {@code -Djava.nio.channels.spi.SelectorProvider}.
     *
     * @throws IllegalStateException if {@code sun.nio.ch} is not exported to this code (see above)
     */
    public AnodeSystemSelectorProvider() {
        this(JdkChannels.builtinProvider(), loadConfig());
    }

    AnodeSystemSelectorProvider(SelectorProvider jdk, Properties config) {
        this.jdk = Objects.requireNonNull(jdk, "jdk");
        this.config = config;
        this.listenWildcard = Boolean.parseBoolean(config.getProperty("anode.listenWildcard", "false"));
        for (AnodeAddress a : peerAddresses(config)) {
            AnodeNames.remember(a);
        }
    }

    /**
     * {@return a provider over an already running node, for programs that build their own node but
     * want the delegating channels (and for tests and benchmarks)} With {@code node == null} the
     * node starts at the first Anode use from the {@code anode.*} system properties, as the
     * system-wide one does.
     *
     * @param node the running node, or null to start one on first use
     * @param listenWildcard as the {@code anode.listenWildcard} property: whether a server socket
     *     bound to a wildcard address also listens on the node's Anode port of that number
     */
    public static AnodeSystemSelectorProvider over(AnodeNode node, boolean listenWildcard) {
        Properties p = node == null ? loadConfig() : new Properties();
        p.setProperty("anode.listenWildcard", Boolean.toString(listenWildcard));
        AnodeSystemSelectorProvider sp = new AnodeSystemSelectorProvider(JdkChannels.builtinProvider(), p);
        sp.node = node;
        return sp;
    }

    /** The JDK's own provider behind this one. */
    SelectorProvider jdk() {
        return jdk;
    }

    boolean listenWildcard() {
        return listenWildcard;
    }

    /**
     * {@return the node, started on first use from the configuration}
     * @throws IOException if it cannot start (bad identity file, port in use)
     */
    public AnodeNode node() throws IOException {
        AnodeNode n = node;
        if (n != null) {
            return n;
        }
        synchronized (this) {
            if (node == null) {
                node = startNode();
            }
            return node;
        }
    }

    private AnodeNode startNode() throws IOException {
        AnodeIdentity id;
        String idFile = config.getProperty("anode.identity");
        try {
            id = idFile != null ? AnodeIdentity.load(Path.of(idFile)) : AnodeIdentity.generate(Zone.DEFAULT);
        } catch (InvalidIdentityException e) {
            throw new IOException("anode.identity " + idFile + ": " + e.getMessage(), e);
        }
        AnodeNodeConfig.Builder b = AnodeNodeConfig.builder();
        String bind = config.getProperty("anode.bind");
        if (bind != null && !bind.isBlank()) {
            for (String ep : bind.split(",")) {
                b.bind(endpoint(ep.strip()));
            }
        } else {
            b.port(Integer.parseInt(config.getProperty("anode.port", "0").strip()));
        }
        Boolean before = BYPASS.get();
        BYPASS.set(Boolean.TRUE);
        AnodeNode n;
        try {
            n = AnodeNode.start(id, b.build());
        } finally {
            if (before == null) {
                BYPASS.remove();
            } else {
                BYPASS.set(before);
            }
        }
        String peers = config.getProperty("anode.peers");
        if (peers != null && !peers.isBlank()) {
            for (String p : peers.split(",")) {
                int at = p.indexOf('@');
                if (at <= 0) {
                    throw new IOException("anode.peers: expected <address>@<host>:<port>, got '" + p.strip() + "'");
                }
                try {
                    n.addPeerEndpoint(
                            AnodeAddress.parse(p.substring(0, at).strip()),
                            endpoint(p.substring(at + 1).strip()));
                } catch (InvalidAddressException e) {
                    throw new IOException("anode.peers: " + e.getMessage(), e);
                }
            }
        }
        LOG.log(System.Logger.Level.INFO, "Anode node {0} started on {1}", n.address(), n.localEndpoints());
        return n;
    }

    private static List<AnodeAddress> peerAddresses(Properties config) {
        List<AnodeAddress> out = new ArrayList<>();
        String peers = config.getProperty("anode.peers");
        if (peers == null) {
            return out;
        }
        for (String p : peers.split(",")) {
            int at = p.indexOf('@');
            if (at > 0) {
                try {
                    out.add(AnodeAddress.parse(p.substring(0, at).strip()));
                } catch (InvalidAddressException e) {
                    // Reported when the node starts.
                }
            }
        }
        return out;
    }

    private static InetSocketAddress endpoint(String hostPort) throws IOException {
        int colon = hostPort.lastIndexOf(':');
        if (colon <= 0) {
            throw new IOException("expected <host>:<port>, got '" + hostPort + "'");
        }
        String host = hostPort.substring(0, colon);
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        try {
            return new InetSocketAddress(InetAddress.getByName(host), Integer.parseInt(hostPort.substring(colon + 1)));
        } catch (NumberFormatException e) {
            throw new IOException("bad port in '" + hostPort + "'", e);
        }
    }

    /** System properties over the file named by {@code anode.config}. */
    static Properties loadConfig() {
        Properties p = new Properties();
        String file = System.getProperty("anode.config");
        if (file != null) {
            try (InputStream in = Files.newInputStream(Path.of(file))) {
                p.load(in);
            } catch (IOException e) {
                throw new IllegalStateException("anode.config " + file + ": " + e.getMessage(), e);
            }
        }
        for (String k : System.getProperties().stringPropertyNames()) {
            if (k.startsWith("anode.")) {
                p.setProperty(k, System.getProperty(k));
            }
        }
        return p;
    }

    /** The Anode socket address {@code sa} names, or null for an IP (or other) address. */
    static AnodeSocketAddress anodeOf(SocketAddress sa) {
        return AnodeNames.anodeSocketAddressOf(sa);
    }

    private static boolean bypass() {
        return BYPASS.get() != null;
    }

    private static boolean isUnix(ProtocolFamily family) {
        return family != null && family != StandardProtocolFamily.INET && family != StandardProtocolFamily.INET6;
    }

    // ------------------------------------------------------------------------------ channels

    @Override
    public DatagramChannel openDatagramChannel() throws IOException {
        return bypass() ? jdk.openDatagramChannel() : new AnodeSystemDatagramChannel(this, null);
    }

    @Override
    public DatagramChannel openDatagramChannel(ProtocolFamily family) throws IOException {
        if (bypass() || isUnix(family)) {
            return jdk.openDatagramChannel(family);
        }
        return new AnodeSystemDatagramChannel(this, family);
    }

    /** The JDK's pipe: it registers with {@link AnodeSelector} like any JDK channel. */
    @Override
    public Pipe openPipe() throws IOException {
        return jdk.openPipe();
    }

    @Override
    public AbstractSelector openSelector() throws IOException {
        return bypass() ? jdk.openSelector() : new AnodeSelector(this);
    }

    @Override
    public ServerSocketChannel openServerSocketChannel() throws IOException {
        return bypass() ? jdk.openServerSocketChannel() : new AnodeSystemServerSocketChannel(this, null);
    }

    /** {@link StandardProtocolFamily#UNIX} gives the JDK's own channel: there is nothing to choose. */
    @Override
    public ServerSocketChannel openServerSocketChannel(ProtocolFamily family) throws IOException {
        if (bypass() || isUnix(family)) {
            return jdk.openServerSocketChannel(family);
        }
        return new AnodeSystemServerSocketChannel(this, family);
    }

    @Override
    public SocketChannel openSocketChannel() throws IOException {
        return bypass() ? jdk.openSocketChannel() : new AnodeSystemSocketChannel(this, (ProtocolFamily) null);
    }

    /** {@link StandardProtocolFamily#UNIX} gives the JDK's own channel: there is nothing to choose. */
    @Override
    public SocketChannel openSocketChannel(ProtocolFamily family) throws IOException {
        if (bypass() || isUnix(family)) {
            return jdk.openSocketChannel(family);
        }
        return new AnodeSystemSocketChannel(this, family);
    }

    @Override
    public Channel inheritedChannel() throws IOException {
        return jdk.inheritedChannel();
    }

    @Override
    public String toString() {
        AnodeNode n = node;
        return "AnodeSystemSelectorProvider[" + (n == null ? "node not started" : n.address()) + "]";
    }
}
