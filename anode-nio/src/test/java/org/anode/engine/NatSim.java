package org.anode.engine;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.Random;
import java.util.Set;
import org.anode.address.AnodeIdentity;

/**
 * A simulated internet for NAT traversal tests (DECISIONS 35, 36): engines with
 * {@link NatTraversal} on fake UDP sockets, home-router NATs that map endpoint-independently
 * ("easy", port kept like Linux {@code masquerade}) or per destination with random ports ("hard",
 * {@code masquerade random}), filter unsolicited packets per (public port, remote endpoint) like
 * conntrack, and do not hairpin. One fake clock; every packet takes {@link #LATENCY} per leg.
 */
final class NatSim {
    static final long MS = 1_000_000L;
    static final long SECOND = 1_000 * MS;
    /** One-way delay of every packet. */
    static final long LATENCY = 10 * MS;

    enum Kind {
        NONE,
        EASY,
        HARD,
        /** Endpoint-dependent like HARD, but each new mapping takes the next port from 20000 on. */
        SEQUENTIAL
    }

    long now = 5 * SECOND;
    private long seq;
    private final PriorityQueue<Pkt> queue =
            new PriorityQueue<>((x, y) -> x.at != y.at ? Long.compare(x.at, y.at) : Long.compare(x.seq, y.seq));
    private final Map<InetSocketAddress, SimTransport> sockets = new HashMap<>();
    final List<Host> hosts = new ArrayList<>();
    final List<Nat> nats = new ArrayList<>();
    /** Pairs "ipA|ipB" (public addresses) between which direct packets are dropped. */
    final Set<String> blocked = new HashSet<>();
    /** Every packet put on the wire: sender's socket, destination. */
    final List<InetSocketAddress[]> wire = new ArrayList<>();

    private final Random rnd;
    private long nextTick;

    /** This simulation's latency per leg (default {@link #LATENCY}); set before traffic starts. */
    long latency = LATENCY;

    NatSim(long seed) {
        this.rnd = new Random(seed);
    }

    record Pkt(long at, long seq, InetSocketAddress from, InetSocketAddress to, byte[] bytes) {}

    static InetAddress ip(String s) {
        try {
            return InetAddress.getByName(s);
        } catch (UnknownHostException e) {
            throw new IllegalStateException(e);
        }
    }

    static InetSocketAddress ep(String s, int port) {
        return new InetSocketAddress(ip(s), port);
    }

    /** A home router. */
    final class Nat {
        final InetAddress pub;
        final Kind kind;
        final String lan;
        final Map<String, Integer> map = new HashMap<>();
        final Map<Integer, InetSocketAddress> rev = new HashMap<>();
        final Set<String> allowed = new HashSet<>();

        Nat(String pub, Kind kind, String lanPrefix) {
            this.pub = ip(pub);
            this.kind = kind;
            this.lan = lanPrefix;
            nats.add(this);
        }

        boolean onLan(InetAddress a) {
            return a.getHostAddress().startsWith(lan);
        }

        InetSocketAddress out(InetSocketAddress src, InetSocketAddress dst) {
            String key = kind == Kind.EASY ? src.toString() : src + ">" + dst;
            Integer port = map.get(key);
            if (port == null) {
                port = kind == Kind.EASY && !rev.containsKey(src.getPort())
                        ? src.getPort()
                        : kind == Kind.SEQUENTIAL ? nextSequential() : freePort();
                map.put(key, port);
                rev.put(port, src);
            }
            allowed.add(port + "|" + dst);
            return new InetSocketAddress(pub, port);
        }

        private int nextSeqPort = 20000;

        private int nextSequential() {
            while (rev.containsKey(nextSeqPort)) {
                nextSeqPort++;
            }
            return nextSeqPort++;
        }

        private int freePort() {
            int p;
            do {
                p = 1024 + rnd.nextInt(65536 - 1024);
            } while (rev.containsKey(p));
            return p;
        }

        /** The conntrack flush: every mapping and filter entry goes. */
        void flush() {
            map.clear();
            rev.clear();
            allowed.clear();
        }
    }

    /** One node. */
    final class Host {
        final Engine engine;
        final Nat nat;
        final InetAddress ip;
        final SimTransport main;
        NatTraversal traversal;
        final List<NatTraversal.RelayRef> relays = new ArrayList<>();
        /** The TCP and HTTP endpoints this host says in its EPIs that it serves (addendum A16). */
        final List<org.anode.wire.Endpoint> carriers = new ArrayList<>();

        int nextPort = 40000;

        Host(AnodeIdentity id, String ip, int port, Nat nat) {
            this.engine = new Engine(id, EngineConfig.defaults(), () -> now);
            this.nat = nat;
            this.ip = ip(ip);
            this.main = new SimTransport(this, new InetSocketAddress(this.ip, port));
            hosts.add(this);
        }

        Host withTraversal(long seed) {
            traversal = new NatTraversal(
                    engine,
                    new NatTraversal.Environment() {
                        @Override
                        public List<NatTraversal.RelayRef> relays() {
                            return relays;
                        }

                        @Override
                        public List<InetSocketAddress> interfaceEndpoints(Transport t) {
                            return List.of(t.localAddress());
                        }

                        @Override
                        public List<org.anode.wire.Endpoint> carrierEndpoints() {
                            return carriers;
                        }

                        @Override
                        public Transport openExtraSocket(Transport like) {
                            return new SimTransport(Host.this, new InetSocketAddress(ip, nextPort++));
                        }
                    },
                    new Random(seed));
            return this;
        }
    }

    final class SimTransport implements Transport {
        final Host host;
        final InetSocketAddress local;
        boolean open = true;

        SimTransport(Host host, InetSocketAddress local) {
            this.host = host;
            this.local = local;
            sockets.put(local, this);
        }

        @Override
        public String name() {
            return "sim:" + local;
        }

        @Override
        public InetSocketAddress localAddress() {
            return local;
        }

        @Override
        public boolean canReach(InetSocketAddress d) {
            return true;
        }

        @Override
        public int maxPacketSize(InetSocketAddress d) {
            return 1400;
        }

        @Override
        public boolean send(ByteBuffer p, InetSocketAddress d) throws IOException {
            if (!open) {
                throw new java.nio.channels.ClosedChannelException();
            }
            byte[] b = new byte[p.remaining()];
            p.get(b);
            wire.add(new InetSocketAddress[] {local, d});
            route(this, d, b);
            return true;
        }

        @Override
        public boolean isOpen() {
            return open;
        }

        @Override
        public void close() {
            open = false;
            sockets.remove(local);
        }
    }

    /** Decides which packets the network loses (by sender's socket, destination, bytes); null: none. */
    interface Loss {
        boolean lost(InetSocketAddress from, InetSocketAddress to, byte[] packet);
    }

    Loss loss;

    private void route(SimTransport from, InetSocketAddress to, byte[] b) {
        if (loss != null && loss.lost(from.local, to, b)) {
            return;
        }
        InetSocketAddress src = from.local;
        Nat n = from.host.nat;
        if (n != null && n.onLan(to.getAddress())) {
            enqueue(src, to, b);
            return;
        }
        if (n != null) {
            src = n.out(src, to);
        }
        if (blocked.contains(src.getAddress().getHostAddress() + "|"
                        + to.getAddress().getHostAddress())
                || blocked.contains(to.getAddress().getHostAddress() + "|"
                        + src.getAddress().getHostAddress())) {
            return;
        }
        for (Nat m : nats) {
            if (m.pub.equals(to.getAddress())) {
                if (m == n) {
                    return; // no hairpin
                }
                InetSocketAddress inside = m.rev.get(to.getPort());
                if (inside == null || !m.allowed.contains(to.getPort() + "|" + src)) {
                    return; // unsolicited: dropped like ct state new on the WAN
                }
                enqueue(src, inside, b);
                return;
            }
        }
        enqueue(src, to, b);
    }

    private void enqueue(InetSocketAddress from, InetSocketAddress to, byte[] b) {
        queue.add(new Pkt(now + latency, seq++, from, to, b));
    }

    /** Runs the network and every traversal's ticks until {@code until}. */
    void runUntil(long until) {
        if (nextTick == 0) {
            nextTick = now;
        }
        while (true) {
            Pkt p = queue.peek();
            long next = p != null && p.at - nextTick < 0 ? p.at : nextTick;
            if (next - until > 0) {
                now = until;
                return;
            }
            now = next;
            if (p != null && p.at == next) {
                queue.poll();
                SimTransport t = sockets.get(p.to);
                if (t != null) {
                    t.host.engine.receive(t, p.from, ByteBuffer.wrap(p.bytes));
                }
            } else {
                nextTick = now + NatTraversal.TICK_NANOS;
                for (Host h : hosts) {
                    if (h.traversal != null) {
                        h.traversal.tick(now);
                    }
                }
            }
        }
    }

    void runFor(long nanos) {
        runUntil(now + nanos);
    }

    static Handlers.PingCallback ignore() {
        return new Handlers.PingCallback() {
            @Override
            public void pong(long rttNanos) {}

            @Override
            public void failed(Exception cause) {}
        };
    }
}
