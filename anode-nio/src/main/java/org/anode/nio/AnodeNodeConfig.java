package org.anode.nio;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.anode.engine.EngineConfig;

/**
 * Immutable settings of an {@link AnodeNode}: where its UDP sockets bind (draft 2.9.1), the
 * packet size limits of DECISIONS 27, and every
 * bound on state that a remote peer can make the node grow.
 *
 * <p>The draft 3.2 "answered" timeout is the recommended 60 s ({@link org.anode.wire.SenderForm}).
 *
 * <p>Built with {@link #builder()}; {@link #defaults()} binds one IPv4 and one IPv6 wildcard socket
 * on ephemeral ports. Each bound is documented on its builder method; when a bound is reached the
 * node drops (packets, datagrams) or evicts (least recently heard peers), never grows.
 */
public final class AnodeNodeConfig {
    /** Default largest packet sent over UDP/IPv4 (DECISIONS 27). */
    public static final int DEFAULT_MAX_PACKET_IPV4 = 1400;
    /** Default largest packet sent over UDP/IPv6 (DECISIONS 27). */
    public static final int DEFAULT_MAX_PACKET_IPV6 = 1232;
    /** Smallest allowed packet limit: a full header plus a useful payload. */
    public static final int MIN_MAX_PACKET = 256;
    /** Largest packet a UDP datagram can carry over IPv4. */
    public static final int MAX_MAX_PACKET = 65507;

    private final List<InetSocketAddress> bindAddresses;
    private final boolean defaultBind;
    private final int maxPacketIpv4;
    private final int maxPacketIpv6;
    private final int maxPeers;
    private final int maxEndpointsPerPeer;
    private final int maxPendingPings;
    private final int newPeerRate;
    private final int newPeerRatePerSource;
    /** As set on the builder (0: derived), so {@link #toBuilder()} keeps deriving it. */
    private final int newPeerRatePerSourceSetting;

    private final int receiveBufferSize;
    private final int sendBufferSize;
    private final int maxReceiveQueueDatagrams;
    private final boolean errorReplies;
    private final int errorReplyRate;
    private final String threadName;
    private final long receiveSpinNanos;

    // Reaching addresses (DECISIONS 31-34): relay role, zone file sources, route timeout.
    private final RelayLimits relay;
    private final java.util.Map<org.anode.address.Zone, String> zoneSources;
    private final java.time.Duration routeTimeout;
    private final boolean announce;
    private final java.time.Duration announceInterval;
    // LAN discovery (DECISIONS 37) and the peer id (DECISIONS 41).
    private final boolean lan;
    private final int lanPort;
    private final int peerId;

    // ---- fallback transports (DECISIONS 38)
    private final org.anode.transport.FallbackConfig fallback;
    private final int tcpPort;
    private final int httpPort;
    private final org.anode.transport.CarrierLimits carrierLimits;

    // NAT traversal (DECISIONS 35, 36).
    private final boolean natTraversal;

    private AnodeNodeConfig(Builder b) {
        this.lan = b.lan;
        this.lanPort = b.lanPort;
        this.peerId = b.peerId;
        this.fallback = b.fallback;
        this.tcpPort = b.tcpPort;
        this.httpPort = b.httpPort;
        this.carrierLimits = b.carrierLimits;
        this.natTraversal = b.natTraversal;
        this.relay = b.relay;
        this.zoneSources = java.util.Map.copyOf(b.zoneSources);
        this.routeTimeout = b.routeTimeout;
        this.announce = b.announce;
        this.announceInterval = b.announceInterval;
        this.defaultBind = b.bind.isEmpty();
        this.bindAddresses = defaultBind
                ? List.of(new InetSocketAddress(anyV4(), b.defaultPort), new InetSocketAddress(anyV6(), b.defaultPort))
                : List.copyOf(b.bind);
        this.maxPacketIpv4 = b.maxPacketIpv4;
        this.maxPacketIpv6 = b.maxPacketIpv6;
        this.maxPeers = b.maxPeers;
        this.maxEndpointsPerPeer = b.maxEndpointsPerPeer;
        this.maxPendingPings = b.maxPendingPings;
        this.newPeerRate = b.newPeerRate;
        this.newPeerRatePerSource = b.newPeerRatePerSource > 0
                ? b.newPeerRatePerSource
                : EngineConfig.defaultNewPeerRatePerSource(b.newPeerRate);
        this.newPeerRatePerSourceSetting = b.newPeerRatePerSource;
        this.receiveBufferSize = b.receiveBufferSize;
        this.sendBufferSize = b.sendBufferSize;
        this.maxReceiveQueueDatagrams = b.maxReceiveQueueDatagrams;
        this.errorReplies = b.errorReplies;
        this.errorReplyRate = b.errorReplyRate;
        this.threadName = b.threadName;
        this.receiveSpinNanos = b.receiveSpinNanos;
    }

    private static InetAddress anyV4() {
        try {
            return InetAddress.getByAddress(new byte[4]);
        } catch (java.net.UnknownHostException e) {
            throw new IllegalStateException(e);
        }
    }

    private static InetAddress anyV6() {
        try {
            return InetAddress.getByAddress(new byte[16]);
        } catch (java.net.UnknownHostException e) {
            throw new IllegalStateException(e);
        }
    }

    /** {@return a new builder holding the defaults} */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * {@return the defaults: IPv4 and IPv6 wildcard sockets on ephemeral ports, limits as
     * documented}
     */
    public static AnodeNodeConfig defaults() {
        return builder().build();
    }

    /** {@return a builder initialised from this configuration} */
    public Builder toBuilder() {
        Builder b = new Builder();
        b.relay = relay;
        b.zoneSources.putAll(zoneSources);
        b.routeTimeout = routeTimeout;
        b.announce = announce;
        b.announceInterval = announceInterval;
        b.lan = lan;
        b.lanPort = lanPort;
        b.peerId = peerId;
        b.fallback = fallback;
        b.tcpPort = tcpPort;
        b.httpPort = httpPort;
        b.carrierLimits = carrierLimits;
        b.natTraversal = natTraversal;
        if (!defaultBind) {
            b.bind.addAll(bindAddresses);
        }
        b.maxPacketIpv4 = maxPacketIpv4;
        b.maxPacketIpv6 = maxPacketIpv6;
        b.maxPeers = maxPeers;
        b.maxEndpointsPerPeer = maxEndpointsPerPeer;
        b.maxPendingPings = maxPendingPings;
        b.newPeerRate = newPeerRate;
        b.newPeerRatePerSource = newPeerRatePerSourceSetting;
        b.receiveBufferSize = receiveBufferSize;
        b.sendBufferSize = sendBufferSize;
        b.maxReceiveQueueDatagrams = maxReceiveQueueDatagrams;
        b.errorReplies = errorReplies;
        b.errorReplyRate = errorReplyRate;
        b.threadName = threadName;
        b.receiveSpinNanos = receiveSpinNanos;
        return b;
    }

    /** {@return the local UDP socket addresses the node binds, one socket each} */
    public List<InetSocketAddress> bindAddresses() {
        return bindAddresses;
    }

    /**
     * {@return true when no address was configured: the node then binds the IPv4 and IPv6 wildcards
     * and tolerates a host without IPv6}
     */
    public boolean isDefaultBind() {
        return defaultBind;
    }

    /** {@return the largest packet sent over UDP/IPv4, in bytes (DECISIONS 27)} */
    public int maxPacketIpv4() {
        return maxPacketIpv4;
    }

    /** {@return the largest packet sent over UDP/IPv6, in bytes (DECISIONS 27)} */
    public int maxPacketIpv6() {
        return maxPacketIpv6;
    }

    /**
     * {@return the packet limit for a destination of the given address family}
     *
     * @param destination the address packets go to; an IPv4-mapped IPv6 address counts as IPv4
     */
    public int maxPacketFor(InetAddress destination) {
        // The JDK turns IPv4-mapped IPv6 literals into Inet4Address, so this is the wire family.
        return destination instanceof Inet6Address ? maxPacketIpv6 : maxPacketIpv4;
    }

    /**
     * {@return the bound on the peer table} Beyond it a newcomer replaces the learned peer idle
     * longest, and only one idle in both directions for the draft 3.2 answer timeout (60 s) and not
     * in use by a stream; configured peers are never replaced. If no peer qualifies, the newcomer
     * is dropped ({@link AnodeNode.Statistics#peerTableFull()}).
     */
    public int maxPeers() {
        return maxPeers;
    }

    /**
     * {@return the bound on the endpoints remembered per peer; the worst ranked is replaced beyond
     * it}
     */
    public int maxEndpointsPerPeer() {
        return maxEndpointsPerPeer;
    }

    /** {@return the bound on outstanding PINGs sent by this node} */
    public int maxPendingPings() {
        return maxPendingPings;
    }

    /**
     * {@return the key agreements per second the node will run for senders it does not know yet
     * (each costs one ECDH); packets from further unknown senders are dropped until the budget
     * refills}
     */
    public int newPeerRate() {
        return newPeerRate;
    }

    /**
     * {@return the key agreements per second for unknown senders from one source (an IPv4 address
     * or an IPv6 /64), taken before the node-wide {@link #newPeerRate()}: one source cannot starve
     * first contacts from others} Bursts up to a quarter of it. Default: an eighth of
     * {@link #newPeerRate()} (at least 1).
     */
    public int newPeerRatePerSource() {
        return newPeerRatePerSource;
    }

    /**
     * {@return the default SO_RCVBUF of a datagram channel: bytes of payload its receive queue may
     * hold}
     */
    public int receiveBufferSize() {
        return receiveBufferSize;
    }

    /**
     * {@return the default SO_SNDBUF of a datagram channel: bytes of payload its send queue may
     * hold}
     */
    public int sendBufferSize() {
        return sendBufferSize;
    }

    /** {@return the bound on the number of datagrams queued per channel, whatever their size} */
    public int maxReceiveQueueDatagrams() {
        return maxReceiveQueueDatagrams;
    }

    /**
     * {@return whether the node answers packets that fail authentication with an ERROR (draft
     * 4.2.1, optional), flagged 0x04 and never larger than the packet it answers (DECISIONS 30)}
     */
    public boolean errorReplies() {
        return errorReplies;
    }

    /** {@return the bound on ERROR replies per second when {@link #errorReplies()} is on} */
    public int errorReplyRate() {
        return errorReplyRate;
    }

    /** {@return the name of the node's event-loop thread} */
    public String threadName() {
        return threadName;
    }

    /**
     * {@return how long a blocking receive on a datagram channel, or a blocking read on a stream
     * channel, yields the CPU in a loop, waiting for data, before it parks its thread (0 = park at
     * once)} Only a channel that sent (wrote) within that time spins (a request/response
     * turn-around). Waking a parked thread can cost more than a loopback round trip, so a short
     * spin trades a little CPU for latency; a channel whose spins keep missing parks at once for a
     * while. The default (60 us) was chosen from the datagram benchmarks (docs/BENCHMARKS.md).
     */
    public long receiveSpinNanos() {
        return receiveSpinNanos;
    }

    /**
     * The part of this configuration the engine reads (peer and endpoint bounds, key-agreement
     * budgets, ERROR replies): the engine has its own settings type so that it does not depend on
     * this package.
     */
    EngineConfig engineConfig() {
        return EngineConfig.builder()
                .maxPeers(maxPeers)
                .maxEndpointsPerPeer(maxEndpointsPerPeer)
                .maxPendingPings(maxPendingPings)
                .newPeerRate(newPeerRate)
                .newPeerRatePerSource(newPeerRatePerSource)
                .errorReplies(errorReplies)
                .errorReplyRate(errorReplyRate)
                .localPeerId(peerId)
                .build();
    }

    /**
     * {@return the relay limits if this node relays for others (draft 2.3, DECISIONS 34), else
     * null}
     */
    public RelayLimits relay() {
        return relay;
    }

    /**
     * {@return the per-zone zone file sources that replace the draft's DNS and IP URLs (DECISIONS
     * 11, 32): an {@code http(s)} URL or a local file path}
     */
    public java.util.Map<org.anode.address.Zone, String> zoneSources() {
        return zoneSources;
    }

    /**
     * {@return how long finding a path to an address may take before it fails (DECISIONS 31: 10 s)}
     */
    public java.time.Duration routeTimeout() {
        return routeTimeout;
    }

    /** The zone directory settings: the draft's URLs and timeouts, with {@link #zoneSources()} as overrides. */
    org.anode.zone.ZoneDirectoryConfig zoneDirectory() {
        org.anode.zone.ZoneDirectoryConfig c = org.anode.zone.ZoneDirectoryConfig.defaults();
        for (java.util.Map.Entry<org.anode.address.Zone, String> e : zoneSources.entrySet()) {
            c = c.withOverride(e.getKey(), org.anode.zone.ZoneSource.parse(e.getValue()));
        }
        return c;
    }

    /**
     * {@return whether the node learns its public endpoint (NETID) and moves peers met over a relay
     * onto a direct path by hole punching (DECISIONS 35, 36; default on)}
     */
    public boolean natTraversal() {
        return natTraversal;
    }

    /**
     * {@return whether the node registers with its own zone's designated relay (DECISIONS 33;
     * default on)}
     */
    public boolean announce() {
        return announce;
    }

    /**
     * {@return how often the node PINGs its own relay and the relays it reaches peers through
     * (DECISIONS 33: 25 s, well inside a relay's 120 s registration lifetime and most NAT mapping
     * timeouts)}
     */
    public java.time.Duration announceInterval() {
        return announceInterval;
    }

    /**
     * {@return whether LAN discovery runs (DECISIONS 37; default on): listening on
     * {@link #lanPort()}, announcing this node at start and every 60 s, and querying the LAN for
     * wanted addresses}
     */
    public boolean lan() {
        return lan;
    }

    /** {@return the LAN discovery port (draft 4.2.6: 8737)} */
    public int lanPort() {
        return lanPort;
    }

    /**
     * {@return this node's peer id (draft 3.4, DECISIONS 41): 1 by default; nodes sharing one
     * identity each take their own from 1 to 15, and a relay then keeps an endpoint for each}
     */
    public int peerId() {
        return peerId;
    }

    /**
     * {@return how the node falls back to TCP and HTTP to reach its relays (DECISIONS 38), or null
     * if it uses UDP only} Default: {@link org.anode.transport.FallbackConfig#defaults()}.
     */
    public org.anode.transport.FallbackConfig fallback() {
        return fallback;
    }

    /**
     * {@return the TCP port the node serves the TCP transport on (draft 2.9.2), -1 for none
     * (default)}
     */
    public int tcpPort() {
        return tcpPort;
    }

    /**
     * {@return the TCP port the node serves the HTTP transport on (draft 2.9.3), -1 for none
     * (default)}
     */
    public int httpPort() {
        return httpPort;
    }

    /**
     * {@return the bounds on TCP and HTTP clients of this node's {@link #tcpPort()} and
     * {@link #httpPort()}}
     */
    public org.anode.transport.CarrierLimits carrierLimits() {
        return carrierLimits;
    }

    @Override
    public String toString() {
        return "AnodeNodeConfig{bind=" + bindAddresses + ", maxPacket=" + maxPacketIpv4 + "/" + maxPacketIpv6
                + ", maxPeers=" + maxPeers + ", rcvbuf=" + receiveBufferSize + ", sndbuf=" + sendBufferSize
                + ", errorReplies=" + errorReplies + "}";
    }

    /**
     * Builder of {@link AnodeNodeConfig} (packet sizes per DECISIONS 27, table bounds per draft 3.2
     * and DECISIONS 30); every setter validates its argument at once.
     */
    public static final class Builder {
        private final List<InetSocketAddress> bind = new ArrayList<>();
        private int defaultPort = 0;
        private int maxPacketIpv4 = DEFAULT_MAX_PACKET_IPV4;
        private int maxPacketIpv6 = DEFAULT_MAX_PACKET_IPV6;
        private int maxPeers = EngineConfig.DEFAULT_MAX_PEERS;
        private int maxEndpointsPerPeer = EngineConfig.DEFAULT_MAX_ENDPOINTS_PER_PEER;
        private int maxPendingPings = EngineConfig.DEFAULT_MAX_PENDING_PINGS;
        private int newPeerRate = EngineConfig.DEFAULT_NEW_PEER_RATE;
        /** 0: derived from {@link #newPeerRate} at build time. */
        private int newPeerRatePerSource = 0;

        private int receiveBufferSize = 256 * 1024;
        private int sendBufferSize = 64 * 1024;
        private int maxReceiveQueueDatagrams = 4096;
        private boolean errorReplies = false;
        private int errorReplyRate = EngineConfig.DEFAULT_ERROR_REPLY_RATE;
        private String threadName = "anode-node";
        private long receiveSpinNanos = 60_000;

        private RelayLimits relay;
        private final java.util.Map<org.anode.address.Zone, String> zoneSources = new java.util.HashMap<>();
        private java.time.Duration routeTimeout = java.time.Duration.ofSeconds(10);
        private boolean announce = true;
        private boolean natTraversal = true;
        private java.time.Duration announceInterval = java.time.Duration.ofSeconds(25);
        private boolean lan = true;
        private int lanPort = org.anode.engine.Discovery.PORT;
        private int peerId = 1;
        private org.anode.transport.FallbackConfig fallback = org.anode.transport.FallbackConfig.defaults();
        private int tcpPort = -1;
        private int httpPort = -1;
        private org.anode.transport.CarrierLimits carrierLimits = org.anode.transport.CarrierLimits.defaults();

        private Builder() {}

        /**
         * LAN discovery on or off (DECISIONS 37; default on).
         *
         * @param on false to neither send nor answer LAN discovery
         * @return this builder
         */
        public Builder lan(boolean on) {
            this.lan = on;
            return this;
        }

        /**
         * The LAN discovery port, 1..65535 (default 8737, draft 4.2.6). Every node of a LAN must
         * use the same; another port keeps a test's nodes apart from any real LAN's.
         *
         * @param port the UDP port, 1..65535
         * @return this builder
         * @throws IllegalArgumentException if {@code port} is outside that range
         */
        public Builder lanPort(int port) {
            this.lanPort = range("lanPort", port, 1, 0xffff);
            return this;
        }

        /**
         * This node's peer id, 1..15 (draft 3.4, DECISIONS 41; default 1).
         *
         * @param id the peer id, 1..15
         * @return this builder
         * @throws IllegalArgumentException if {@code id} is outside that range
         */
        public Builder peerId(int id) {
            this.peerId = range("peerId", id, 1, 15);
            return this;
        }

        /**
         * Adds a local address to bind one UDP socket to (port 0 = ephemeral). Once any is added,
         * only the added addresses are bound.
         *
         * @param address a resolved socket address
         * @return this builder
         * @throws IllegalArgumentException if {@code address} is unresolved
         */
        public Builder bind(InetSocketAddress address) {
            Objects.requireNonNull(address, "address");
            if (address.isUnresolved()) {
                throw new IllegalArgumentException("bind address must be resolved: " + address);
            }
            bind.add(address);
            return this;
        }

        /**
         * Binds one UDP socket on {@code address} at {@code port} (0 = ephemeral).
         *
         * @param address the local address
         * @param port the UDP port, 0..65535
         * @return this builder
         * @throws IllegalArgumentException if {@code port} is outside that range
         */
        public Builder bind(InetAddress address, int port) {
            return bind(new InetSocketAddress(address, checkPort(port)));
        }

        /**
         * The UDP port of the default wildcard sockets (0 = ephemeral).
         *
         * @param port the UDP port, 0..65535
         * @return this builder
         * @throws IllegalArgumentException if {@code port} is outside that range
         */
        public Builder port(int port) {
            this.defaultPort = checkPort(port);
            return this;
        }

        /**
         * Largest packet over UDP/IPv4 (DECISIONS 27), 256..65507.
         *
         * @param bytes the limit, 256..65507
         * @return this builder
         * @throws IllegalArgumentException if {@code bytes} is outside that range
         */
        public Builder maxPacketIpv4(int bytes) {
            this.maxPacketIpv4 = range("maxPacketIpv4", bytes, MIN_MAX_PACKET, MAX_MAX_PACKET);
            return this;
        }

        /**
         * Largest packet over UDP/IPv6 (DECISIONS 27), 256..65507.
         *
         * @param bytes the limit, 256..65507
         * @return this builder
         * @throws IllegalArgumentException if {@code bytes} is outside that range
         */
        public Builder maxPacketIpv6(int bytes) {
            this.maxPacketIpv6 = range("maxPacketIpv6", bytes, MIN_MAX_PACKET, MAX_MAX_PACKET);
            return this;
        }

        /**
         * Bound on the peer table, 1..1_000_000.
         *
         * @param n the bound
         * @return this builder
         * @throws IllegalArgumentException if {@code n} is outside that range
         */
        public Builder maxPeers(int n) {
            this.maxPeers = range("maxPeers", n, 1, 1_000_000);
            return this;
        }

        /**
         * Bound on endpoints per peer, 1..64.
         *
         * @param n the bound
         * @return this builder
         * @throws IllegalArgumentException if {@code n} is outside that range
         */
        public Builder maxEndpointsPerPeer(int n) {
            this.maxEndpointsPerPeer = range("maxEndpointsPerPeer", n, 1, 64);
            return this;
        }

        /**
         * Bound on outstanding PINGs, 1..1_000_000.
         *
         * @param n the bound
         * @return this builder
         * @throws IllegalArgumentException if {@code n} is outside that range
         */
        public Builder maxPendingPings(int n) {
            this.maxPendingPings = range("maxPendingPings", n, 1, 1_000_000);
            return this;
        }

        /**
         * Key agreements per second for unknown senders, 1..1_000_000.
         *
         * @param perSecond key agreements per second
         * @return this builder
         * @throws IllegalArgumentException if {@code perSecond} is outside that range
         */
        public Builder newPeerRate(int perSecond) {
            this.newPeerRate = range("newPeerRate", perSecond, 1, 1_000_000);
            return this;
        }

        /**
         * Key agreements per second for unknown senders from one source, 1..1_000_000.
         *
         * @param perSecond key agreements per second and source
         * @return this builder
         * @throws IllegalArgumentException if {@code perSecond} is outside that range
         */
        public Builder newPeerRatePerSource(int perSecond) {
            this.newPeerRatePerSource = range("newPeerRatePerSource", perSecond, 1, 1_000_000);
            return this;
        }

        /**
         * Default SO_RCVBUF of datagram channels, 1 KiB..64 MiB.
         *
         * @param bytes the buffer size
         * @return this builder
         * @throws IllegalArgumentException if {@code bytes} is outside that range
         */
        public Builder receiveBufferSize(int bytes) {
            this.receiveBufferSize = range("receiveBufferSize", bytes, 1024, 64 << 20);
            return this;
        }

        /**
         * Default SO_SNDBUF of datagram channels, 1 KiB..64 MiB.
         *
         * @param bytes the buffer size
         * @return this builder
         * @throws IllegalArgumentException if {@code bytes} is outside that range
         */
        public Builder sendBufferSize(int bytes) {
            this.sendBufferSize = range("sendBufferSize", bytes, 1024, 64 << 20);
            return this;
        }

        /**
         * Bound on datagrams queued per channel, 1..1_000_000.
         *
         * @param n the bound
         * @return this builder
         * @throws IllegalArgumentException if {@code n} is outside that range
         */
        public Builder maxReceiveQueueDatagrams(int n) {
            this.maxReceiveQueueDatagrams = range("maxReceiveQueueDatagrams", n, 1, 1_000_000);
            return this;
        }

        /**
         * Whether to answer unauthenticated packets with a flag-0x04 ERROR (default off).
         *
         * @param on true to send ERROR replies
         * @return this builder
         */
        public Builder errorReplies(boolean on) {
            this.errorReplies = on;
            return this;
        }

        /**
         * ERROR replies per second, 1..10_000.
         *
         * @param perSecond ERROR replies per second
         * @return this builder
         * @throws IllegalArgumentException if {@code perSecond} is outside that range
         */
        public Builder errorReplyRate(int perSecond) {
            this.errorReplyRate = range("errorReplyRate", perSecond, 1, 10_000);
            return this;
        }

        /**
         * Name of the event-loop thread.
         *
         * @param name the thread name
         * @return this builder
         */
        public Builder threadName(String name) {
            this.threadName = Objects.requireNonNull(name, "threadName");
            return this;
        }

        /**
         * Spin of a blocking datagram receive or stream read before parking (default 60 us), 0..10
         * ms.
         *
         * @param d the spin time; zero parks at once
         * @return this builder
         * @throws IllegalArgumentException if {@code d} is outside that range
         */
        public Builder receiveSpin(java.time.Duration d) {
            Objects.requireNonNull(d, "receiveSpin");
            if (d.isNegative() || d.toNanos() > 10_000_000L) {
                throw new IllegalArgumentException("receiveSpin must be within 0 and 10 ms: " + d);
            }
            this.receiveSpinNanos = d.toNanos();
            return this;
        }

        /**
         * Makes the node a relay with these limits (draft 2.3, DECISIONS 34); null (the default)
         * means it relays nothing.
         *
         * @param limits the relay limits, or null not to relay
         * @return this builder
         */
        public Builder relay(RelayLimits limits) {
            this.relay = limits;
            return this;
        }

        /**
         * Reads zone {@code zone}'s file from {@code source} - an {@code http://} or
         * {@code https://} URL, or a local file path - instead of the draft's URLs (DECISIONS 11,
         * 32).
         *
         * @param zone the zone whose file is read
         * @param source a URL or file path
         * @return this builder
         * @throws IllegalArgumentException if {@code source} is blank or can never be read
         */
        public Builder zoneSource(org.anode.address.Zone zone, String source) {
            Objects.requireNonNull(zone, "zone");
            Objects.requireNonNull(source, "source");
            if (source.isBlank()) {
                throw new IllegalArgumentException("empty zone file source for zone " + zone);
            }
            // Fails now on a source that can never be read (IllegalArgumentException).
            org.anode.zone.ZoneSource.parse(source);
            zoneSources.put(zone, source.strip());
            return this;
        }

        /**
         * How long finding a path may take (DECISIONS 31; default 10 s), 1 ms .. 10 min.
         *
         * @param d the time limit
         * @return this builder
         * @throws IllegalArgumentException if {@code d} is outside that range
         */
        public Builder routeTimeout(java.time.Duration d) {
            Objects.requireNonNull(d, "routeTimeout");
            if (d.toMillis() < 1 || d.toMinutes() > 10) {
                throw new IllegalArgumentException("routeTimeout must be within 1 ms and 10 min: " + d);
            }
            this.routeTimeout = d;
            return this;
        }

        /**
         * How often relays are PINGed to keep registrations alive (DECISIONS 33; default 25 s), 100
         * ms .. 1 h.
         *
         * @param d the interval
         * @return this builder
         * @throws IllegalArgumentException if {@code d} is outside that range
         */
        public Builder announceInterval(java.time.Duration d) {
            Objects.requireNonNull(d, "announceInterval");
            if (d.toMillis() < 100 || d.toHours() > 1) {
                throw new IllegalArgumentException("announceInterval must be within 100 ms and 1 h: " + d);
            }
            this.announceInterval = d;
            return this;
        }

        /**
         * Turns NAT traversal (DECISIONS 35, 36) on or off; on by default.
         *
         * @param on false to reach peers behind NATs only through relays
         * @return this builder
         */
        public Builder natTraversal(boolean on) {
            this.natTraversal = on;
            return this;
        }

        /**
         * Whether to register with the own zone's designated relay at start and every 25 s (default
         * true).
         *
         * @param on false not to register
         * @return this builder
         */
        public Builder announce(boolean on) {
            this.announce = on;
            return this;
        }

        /**
         * How to fall back to TCP and HTTP when a relay does not answer over UDP (DECISIONS 38);
         * null: UDP only.
         *
         * @param c the fallback settings, or null
         * @return this builder
         */
        public Builder fallback(org.anode.transport.FallbackConfig c) {
            this.fallback = c;
            return this;
        }

        /**
         * Serves the TCP transport (draft 2.9.2) on this TCP port of the first bind address (0: an
         * ephemeral port; -1, the default: none). A relay listens on its zr entry's TCP port.
         *
         * @param port the TCP port, 0..65535, or -1
         * @return this builder
         * @throws IllegalArgumentException if {@code port} is outside that range
         */
        public Builder tcpPort(int port) {
            this.tcpPort = port == -1 ? -1 : checkPort(port);
            return this;
        }

        /**
         * Serves the HTTP transport (draft 2.9.3) on this TCP port of the first bind address (0: an
         * ephemeral port; -1, the default: none): POST on any path, long-polled (DECISIONS 38).
         *
         * @param port the TCP port, 0..65535, or -1
         * @return this builder
         * @throws IllegalArgumentException if {@code port} is outside that range
         */
        public Builder httpPort(int port) {
            this.httpPort = port == -1 ? -1 : checkPort(port);
            return this;
        }

        /**
         * Bounds on clients of the TCP and HTTP transports this node serves.
         *
         * @param limits the bounds
         * @return this builder
         */
        public Builder carrierLimits(org.anode.transport.CarrierLimits limits) {
            this.carrierLimits = Objects.requireNonNull(limits, "carrierLimits");
            return this;
        }

        /**
         * Checks the settings against each other and makes the configuration.
         *
         * @return the new configuration
         */
        public AnodeNodeConfig build() {
            return new AnodeNodeConfig(this);
        }

        private static int checkPort(int port) {
            return range("port", port, 0, 0xffff);
        }

        private static int range(String what, int v, int min, int max) {
            if (v < min || v > max) {
                throw new IllegalArgumentException(what + " must be within " + min + ".." + max + ": " + v);
            }
            return v;
        }
    }
}
