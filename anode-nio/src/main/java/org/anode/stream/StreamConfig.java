package org.anode.stream;

import java.security.SecureRandom;
import java.time.Duration;
import java.util.Objects;
import java.util.Random;

/**
 * Tunables of the stream core (draft section 5, DECISIONS 21-27). A connection copies the values it
 * needs when it is created, so one config may be shared and changed between connections; the
 * per-connection options the application can change later (SO_SNDBUF, SO_RCVBUF, TCP_NODELAY,
 * SO_KEEPALIVE, the path's payload size) have setters on {@link StreamConnection}.
 *
 * <p>Every buffer is bounded here: the send buffer ({@link #sendBufferSize}, SO_SNDBUF) holds unsent
 * and unacknowledged bytes; the receive buffer ({@link #receiveBufferSize}, SO_RCVBUF) bounds in-order
 * and out-of-order received data together (out-of-order packets are counted at their allocated size);
 * {@link #maxPacketsInFlight} bounds both the retransmission queue (packets sent and not yet
 * acknowledged) and the out-of-order store (packets held past a gap).
 */
public final class StreamConfig {
    /** Largest receive buffer a 16-bit window in 1024-byte units can describe (DECISIONS 24). */
    public static final int MAX_RECEIVE_BUFFER = 65535 * 1024;

    private int sendBufferSize = 512 * 1024;
    private int receiveBufferSize = 512 * 1024;
    private int maxPayload = 1300;
    private int maxPacketsInFlight = 2048;
    private int maxAckRanges = 32;
    private int initialCwndPackets = 10;
    private int ackEveryPackets = 2;
    private boolean noDelay;
    private boolean keepAlive;
    private boolean dataAckEnabled = true;
    private long connectTimeoutNanos = Duration.ofSeconds(30).toNanos();
    private long initialRtoNanos = Duration.ofSeconds(1).toNanos();
    private long minRtoNanos = Duration.ofMillis(200).toNanos();
    private long maxRtoNanos = Duration.ofSeconds(5).toNanos();
    private long delayedAckNanos = Duration.ofMillis(25).toNanos();
    private long deadPeerTimeoutNanos = Duration.ofSeconds(120).toNanos();
    private long keepAliveIdleNanos = Duration.ofSeconds(120).toNanos();
    private long keepAliveIntervalNanos = Duration.ofSeconds(10).toNanos();
    private int keepAliveProbes = 6;
    private long peerSilenceTimeoutNanos = Duration.ofSeconds(30).toNanos();
    private long timeWaitNanos = Duration.ofSeconds(30).toNanos();
    private long closeTimeoutNanos = Duration.ofSeconds(60).toNanos();
    private long pacingQuantumNanos = Duration.ofMillis(1).toNanos();
    private long idleReleaseNanos = Duration.ofSeconds(5).toNanos();
    private CongestionControl congestionControl = defaultCongestionControl();
    private ConnectionTrace.Factory trace = ConnectionTrace.fromSystemProperty();
    private Random random;

    /** A config with the defaults documented on each getter. */
    public StreamConfig() {}

    /** A copy of {@code other}. */
    public StreamConfig(StreamConfig other) {
        sendBufferSize = other.sendBufferSize;
        receiveBufferSize = other.receiveBufferSize;
        maxPayload = other.maxPayload;
        maxPacketsInFlight = other.maxPacketsInFlight;
        maxAckRanges = other.maxAckRanges;
        initialCwndPackets = other.initialCwndPackets;
        ackEveryPackets = other.ackEveryPackets;
        noDelay = other.noDelay;
        keepAlive = other.keepAlive;
        dataAckEnabled = other.dataAckEnabled;
        connectTimeoutNanos = other.connectTimeoutNanos;
        initialRtoNanos = other.initialRtoNanos;
        minRtoNanos = other.minRtoNanos;
        maxRtoNanos = other.maxRtoNanos;
        delayedAckNanos = other.delayedAckNanos;
        deadPeerTimeoutNanos = other.deadPeerTimeoutNanos;
        keepAliveIdleNanos = other.keepAliveIdleNanos;
        keepAliveIntervalNanos = other.keepAliveIntervalNanos;
        keepAliveProbes = other.keepAliveProbes;
        peerSilenceTimeoutNanos = other.peerSilenceTimeoutNanos;
        timeWaitNanos = other.timeWaitNanos;
        closeTimeoutNanos = other.closeTimeoutNanos;
        pacingQuantumNanos = other.pacingQuantumNanos;
        idleReleaseNanos = other.idleReleaseNanos;
        random = other.random;
        congestionControl = other.congestionControl;
        trace = other.trace;
    }

    private static final class DefaultRandom {
        // One SecureRandom for every ISN: draft 5.2.1 asks for random ISNs against replay.
        static final SecureRandom INSTANCE = new SecureRandom();
    }

    /** SO_SNDBUF: bytes of unsent plus unacknowledged data held (default 512 KiB). */
    public int sendBufferSize() {
        return sendBufferSize;
    }

    /** Sets SO_SNDBUF (1024 .. 1 GiB). */
    public StreamConfig sendBufferSize(int bytes) {
        sendBufferSize = checkSendBuffer(bytes);
        return this;
    }

    /** SO_RCVBUF: bytes of received data held, in order or not (default 512 KiB). */
    public int receiveBufferSize() {
        return receiveBufferSize;
    }

    /** Sets SO_RCVBUF (1024 .. {@link #MAX_RECEIVE_BUFFER}). */
    public StreamConfig receiveBufferSize(int bytes) {
        receiveBufferSize = checkReceiveBuffer(bytes);
        return this;
    }

    /**
     * Largest S_DATA payload on this path in bytes (default 1300): the glue derives it from the
     * path's packet limit minus the Anode and S_DATA headers (DECISIONS 27).
     */
    public int maxPayload() {
        return maxPayload;
    }

    /** Sets the largest S_DATA payload (64 .. 65000 bytes). */
    public StreamConfig maxPayload(int bytes) {
        maxPayload = checkPayload(bytes);
        return this;
    }

    /**
     * Bound on packets sent and not yet acknowledged, and on packets held out of order (default
     * 2048; rounded up to a power of two).
     */
    public int maxPacketsInFlight() {
        return maxPacketsInFlight;
    }

    /** Sets the packet bound (16 .. 65536). */
    public StreamConfig maxPacketsInFlight(int packets) {
        if (packets < 16 || packets > 65536) {
            throw new IllegalArgumentException("maxPacketsInFlight must be 16..65536: " + packets);
        }
        maxPacketsInFlight = Integer.highestOneBit(packets - 1) << 1;
        return this;
    }

    /** Most acknowledgement ranges one S_ACK carries (default 32). */
    public int maxAckRanges() {
        return maxAckRanges;
    }

    /** Sets the acknowledgement range bound (4 .. 256). */
    public StreamConfig maxAckRanges(int ranges) {
        if (ranges < 4 || ranges > 256) {
            throw new IllegalArgumentException("maxAckRanges must be 4..256: " + ranges);
        }
        maxAckRanges = ranges;
        return this;
    }

    /** Initial congestion window in packets (default 10, RFC 6928). */
    public int initialCwndPackets() {
        return initialCwndPackets;
    }

    /** Sets the initial congestion window (1 .. 100 packets). */
    public StreamConfig initialCwndPackets(int packets) {
        if (packets < 1 || packets > 100) {
            throw new IllegalArgumentException("initialCwndPackets must be 1..100: " + packets);
        }
        initialCwndPackets = packets;
        return this;
    }

    /**
     * In-order packets received before an acknowledgement is sent at once (default 2, as RFC 1122
     * and RFC 9000); fewer acknowledgements cost the sender less CPU per byte on fast paths, at the
     * price of burstier congestion-window growth. Out-of-order and duplicate packets are always
     * acknowledged at once, and the delayed-ACK bound still applies.
     */
    public int ackEveryPackets() {
        return ackEveryPackets;
    }

    /** Sets the acknowledgement frequency (1 .. 64 packets). */
    public StreamConfig ackEveryPackets(int packets) {
        if (packets < 1 || packets > 64) {
            throw new IllegalArgumentException("ackEveryPackets must be 1..64: " + packets);
        }
        ackEveryPackets = packets;
        return this;
    }

    /** TCP_NODELAY: when false (the default, as for TCP) small writes are coalesced (Nagle). */
    public boolean noDelay() {
        return noDelay;
    }

    /** Sets TCP_NODELAY. */
    public StreamConfig noDelay(boolean on) {
        noDelay = on;
        return this;
    }

    /** SO_KEEPALIVE (default false). */
    public boolean keepAlive() {
        return keepAlive;
    }

    /** Sets SO_KEEPALIVE. */
    public StreamConfig keepAlive(boolean on) {
        keepAlive = on;
        return this;
    }

    /** Whether acknowledgements ride on data as S_DACK (default true); see {@link StreamSink#sendDataAck}. */
    public boolean dataAckEnabled() {
        return dataAckEnabled;
    }

    /** Enables or disables S_DACK piggybacking. */
    public StreamConfig dataAckEnabled(boolean on) {
        dataAckEnabled = on;
        return this;
    }

    /** How long a connect waits for the peer's S_OPEN (default 30 s). */
    public long connectTimeoutNanos() {
        return connectTimeoutNanos;
    }

    /** Sets the connect timeout. */
    public StreamConfig connectTimeout(Duration d) {
        connectTimeoutNanos = positive(d, "connectTimeout");
        return this;
    }

    /** Retransmission timeout before any RTT sample, also the first S_OPEN retry (default 1 s, RFC 6298). */
    public long initialRtoNanos() {
        return initialRtoNanos;
    }

    /** Sets the initial RTO. */
    public StreamConfig initialRto(Duration d) {
        initialRtoNanos = positive(d, "initialRto");
        return this;
    }

    /** Lower bound of the RTO (default 200 ms, as Linux; RFC 6298 suggests 1 s). */
    public long minRtoNanos() {
        return minRtoNanos;
    }

    /** Sets the minimum RTO. */
    public StreamConfig minRto(Duration d) {
        minRtoNanos = positive(d, "minRto");
        return this;
    }

    /**
     * Upper bound of the RTO after backoff (default 5 s, where Linux uses 120 s): while the peer is
     * silent the timeout doubles up to this and stays there, so a path that recovers after an outage
     * is noticed within this time, and a lossy path gets many tries within the
     * {@linkplain #userTimeoutNanos() user timeout} instead of a handful of ever longer waits.
     */
    public long maxRtoNanos() {
        return maxRtoNanos;
    }

    /** Sets the maximum RTO. */
    public StreamConfig maxRto(Duration d) {
        maxRtoNanos = positive(d, "maxRto");
        return this;
    }

    /** Longest an acknowledgement is delayed (default 25 ms). */
    public long delayedAckNanos() {
        return delayedAckNanos;
    }

    /** Sets the delayed-ACK bound. */
    public StreamConfig delayedAck(Duration d) {
        delayedAckNanos = positive(d, "delayedAck");
        return this;
    }

    /**
     * The user timeout, like Linux's {@code TCP_USER_TIMEOUT} (default 120 s): how long
     * unacknowledged data or an unacknowledged close may go without any progress from the peer -
     * no packet from it at all - before the connection fails with
     * {@link StreamException.Kind#TIMED_OUT} and S_CLOSE reason 03 is sent. It is the only way
     * a connection with data outstanding dies of silence: there is no retry count, and
     * retransmission continues at most {@link #maxRtoNanos()} apart (and at most a quarter of this
     * timeout), so a merely lossy path is never given up on while anything gets through. 120 s
     * rather than TCP's roughly 15 minutes of retries: an application blocked on a stream learns
     * of a dead path within two minutes (an idle one through keepalive).
     */
    public long userTimeoutNanos() {
        return deadPeerTimeoutNanos;
    }

    /** Sets the user timeout ({@code TCP_USER_TIMEOUT}). */
    public StreamConfig userTimeout(Duration d) {
        deadPeerTimeoutNanos = positive(d, "userTimeout");
        return this;
    }

    /**
     * How long an application waiting to read may go without hearing anything from its peer before
     * the stream fails with {@link StreamException.Kind#TIMED_OUT} (default 30 s; 0 turns it off).
     * It applies only while needed: after a {@code read} found nothing and until one returns data,
     * while the peer has not closed its output and nothing we sent is unacknowledged (then the
     * {@linkplain #userTimeoutNanos() user timeout} applies). When the peer has been silent for a
     * third of it, small probes (an empty S_DATA repeating our last sequence number, which the peer
     * acknowledges) go out every fifteenth of it, so a live but quiet peer is heard from in time
     * even on a lossy path.
     *
     * <p>Unlike TCP: a TCP reader learns at once when the peer's process dies, because the peer's
     * kernel sends FIN or RST; an Anode node is the process, so nobody speaks for a dead one, and a
     * TCP reader without SO_KEEPALIVE waits forever for a peer whose machine or path died (hours
     * with it). Anode therefore probes, but only while someone waits - an idle connection nobody
     * reads costs no packets.
     */
    public long peerSilenceTimeoutNanos() {
        return peerSilenceTimeoutNanos;
    }

    /** Sets the peer-silence timeout of a waiting reader ({@link Duration#ZERO}: off). */
    public StreamConfig peerSilenceTimeout(Duration d) {
        long n = d.toNanos();
        if (n < 0) {
            throw new IllegalArgumentException("peerSilenceTimeout must not be negative: " + d);
        }
        peerSilenceTimeoutNanos = n;
        return this;
    }

    /** The {@linkplain #userTimeoutNanos() user timeout} under its earlier name. */
    public long deadPeerTimeoutNanos() {
        return deadPeerTimeoutNanos;
    }

    /** Sets the {@linkplain #userTimeout(Duration) user timeout} (its earlier name). */
    public StreamConfig deadPeerTimeout(Duration d) {
        deadPeerTimeoutNanos = positive(d, "deadPeerTimeout");
        return this;
    }

    /** Silence before the first keepalive probe when SO_KEEPALIVE is on (default 120 s). */
    public long keepAliveIdleNanos() {
        return keepAliveIdleNanos;
    }

    /** Sets the keepalive idle time. */
    public StreamConfig keepAliveIdle(Duration d) {
        keepAliveIdleNanos = positive(d, "keepAliveIdle");
        return this;
    }

    /** Interval between keepalive probes (default 10 s). */
    public long keepAliveIntervalNanos() {
        return keepAliveIntervalNanos;
    }

    /** Sets the keepalive interval. */
    public StreamConfig keepAliveInterval(Duration d) {
        keepAliveIntervalNanos = positive(d, "keepAliveInterval");
        return this;
    }

    /** Unanswered keepalive probes before the connection fails with reason 03 (default 6). */
    public int keepAliveProbes() {
        return keepAliveProbes;
    }

    /** Sets the keepalive probe count (1 .. 100). */
    public StreamConfig keepAliveProbes(int n) {
        if (n < 1 || n > 100) {
            throw new IllegalArgumentException("keepAliveProbes must be 1..100: " + n);
        }
        keepAliveProbes = n;
        return this;
    }

    /**
     * How long a connection whose two closes are both acknowledged lingers to re-acknowledge a
     * retransmitted S_CLOSE or data from the peer, restarted by each (default 30 s; an S_CLOSE carries
     * no acknowledgement, so both sides linger, unlike TCP where only the first closer does).
     */
    public long timeWaitNanos() {
        return timeWaitNanos;
    }

    /** Sets the time-wait linger. */
    public StreamConfig timeWait(Duration d) {
        timeWaitNanos = positive(d, "timeWait");
        return this;
    }

    /**
     * After {@code close()} and once all our data and our close are acknowledged, how long the peer
     * may take to close its side before the connection aborts with reason 03 (default 60 s, like
     * TCP's FIN_WAIT_2 timeout).
     */
    public long closeTimeoutNanos() {
        return closeTimeoutNanos;
    }

    /** Sets the close timeout. */
    public StreamConfig closeTimeout(Duration d) {
        closeTimeoutNanos = positive(d, "closeTimeout");
        return this;
    }

    /**
     * The pacer lets this much send time accumulate as a burst (default 1 ms): it must not be finer
     * than the glue's timer resolution, or pacing would stall on timer wake-ups.
     */
    public long pacingQuantumNanos() {
        return pacingQuantumNanos;
    }

    /** Sets the pacing quantum. */
    public StreamConfig pacingQuantum(Duration d) {
        pacingQuantumNanos = positive(d, "pacingQuantum");
        return this;
    }

    /** Idle time after which empty send/receive buffers are released to keep idle connections small (default 5 s). */
    public long idleReleaseNanos() {
        return idleReleaseNanos;
    }

    /** Sets the idle release delay. */
    public StreamConfig idleRelease(Duration d) {
        idleReleaseNanos = positive(d, "idleRelease");
        return this;
    }

    /** BBR, or what the system property {@code anode.stream.cc} names ({@code bbr}, {@code newreno}). */
    private static CongestionControl defaultCongestionControl() {
        String v = System.getProperty("anode.stream.cc", "");
        return v.equalsIgnoreCase("newreno") || v.equalsIgnoreCase("new_reno")
                ? CongestionControl.NEW_RENO
                : CongestionControl.BBR;
    }

    /**
     * The congestion controller (default {@link CongestionControl#BBR}, or NewReno when the system
     * property {@code anode.stream.cc} is {@code newreno}: a model-based controller
     * that does not read random loss as congestion; {@link CongestionControl#NEW_RENO} is the
     * loss-based alternative).
     */
    public CongestionControl congestionControl() {
        return congestionControl;
    }

    /** Selects the congestion controller. */
    public StreamConfig congestionControl(CongestionControl cc) {
        congestionControl = Objects.requireNonNull(cc, "congestionControl");
        return this;
    }

    /**
     * Where connections write their event log ({@link ConnectionTrace}), or null for none (the
     * default, unless the system property {@code anode.stream.trace} names a directory).
     */
    public ConnectionTrace.Factory trace() {
        return trace;
    }

    /** Sets the trace factory (null: no trace). */
    public StreamConfig trace(ConnectionTrace.Factory factory) {
        trace = factory;
        return this;
    }

    /** The source of initial sequence numbers: a shared {@link SecureRandom} unless one was set. */
    public Random random() {
        return random != null ? random : DefaultRandom.INSTANCE;
    }

    /** Replaces the ISN source (a seeded {@link Random} makes tests deterministic). */
    public StreamConfig random(Random r) {
        random = Objects.requireNonNull(r, "random");
        return this;
    }

    static int checkSendBuffer(int bytes) {
        if (bytes < 1024 || bytes > (1 << 30)) {
            throw new IllegalArgumentException("send buffer must be 1024 .. 2^30 bytes: " + bytes);
        }
        return bytes;
    }

    static int checkReceiveBuffer(int bytes) {
        if (bytes < 1024 || bytes > MAX_RECEIVE_BUFFER) {
            throw new IllegalArgumentException(
                    "receive buffer must be 1024 .. " + MAX_RECEIVE_BUFFER + " bytes: " + bytes);
        }
        return bytes;
    }

    static int checkPayload(int bytes) {
        if (bytes < 64 || bytes > 65000) {
            throw new IllegalArgumentException("max payload must be 64 .. 65000 bytes: " + bytes);
        }
        return bytes;
    }

    private static long positive(Duration d, String what) {
        long n = d.toNanos();
        if (n <= 0) {
            throw new IllegalArgumentException(what + " must be positive: " + d);
        }
        return n;
    }
}
