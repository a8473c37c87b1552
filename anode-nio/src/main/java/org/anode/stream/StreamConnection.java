package org.anode.stream;

import java.nio.ByteBuffer;

/**
 * One end of an Anode stream connection (draft section 5, DECISIONS 21-27) as a pure state machine:
 * decoded packets and the current time go in through the {@code on*} methods, the application
 * writes and reads through {@link #write} and {@link #read}, and {@link #transmit} emits the packets
 * to send. It never blocks, never reads a clock, and is not thread-safe: the glue serialises calls
 * (one event-loop thread, or a lock per connection).
 *
 * <h2>Driving it</h2>
 * After any input ({@code on*}, {@link #write}, {@link #read}, {@link #shutdownOutput},
 * {@link #close}, {@link #abort}) call {@link #transmit} to flush what became sendable, and arm a
 * timer for {@link #nextTimeoutNanos()}; when it expires call {@link #onTimer} and then
 * {@link #transmit}. Readiness for a selector comes from {@link #isReadable()},
 * {@link #isWritable()}, {@link #isConnecting()} / {@link #isEstablished()} / {@link #failure()}.
 *
 * <h2>Opening (draft 5.2.1 and addendum A5)</h2>
 * The opener sends S_OPEN with a random ISN; the acceptor answers with its own. The opener then
 * acknowledges the acceptor's ISN at once with an S_ACK naming it (a third step the draft lacks,
 * as TCP's final ACK): until an acknowledgement covers its ISN, an accepted connection delivers no
 * data and no end-of-stream, sends nothing but its S_OPEN (repeated with backoff, and whenever data
 * arrives), and is dropped silently at the connect timeout. A recorded opener side of an old
 * connection, replayed once the acceptor has forgotten it, can never acknowledge the fresh ISN, so
 * its data is never delivered a second time. {@link #isPeerConfirmed()} tells the glue when to
 * hand an accepted connection to the application.
 *
 * <h2>Sequence numbers and acknowledgements</h2>
 * Sequence numbers count packets (DECISIONS 21): the first S_DATA carries ISN+1, each next packet
 * one more, modulo 2^32 with {@link Serial} comparisons. The S_CLOSE of a graceful close (reason 00)
 * takes the next number and is acknowledged like data (DECISIONS 26). Acknowledgements are only
 * ranges (DECISIONS 22) - there is no cumulative ACK - so the receiver always reports the 255 most
 * recent in-order numbers, every run held out of order, and every duplicate it saw since its last
 * acknowledgement; a duplicate therefore always gets its own range, which resolves any lost ACK.
 *
 * <h2>Loss recovery and congestion control (DECISIONS 25)</h2>
 * Retransmission timeout per RFC 6298 with Karn's rule and exponential backoff
 * ({@link RttEstimator}); RACK-style time-based loss detection and a tail loss probe, RFC 8985
 * ({@link LossDetection}): time-based detection keeps reordering from causing retransmission
 * storms, which a 3-duplicate rule cannot promise when there is no cumulative ACK. The congestion
 * window and pacing rate come from a {@link CongestionController}: by default {@link Bbr} (a
 * bandwidth and minimum-RTT model, so random loss is not read as congestion), or {@link NewReno}
 * (RFC 5681 / 6582 with RFC 6675 "pipe" accounting) when {@link StreamConfig#congestionControl}
 * asks for it; sending is spread over the RTT by a {@link Pacer}.
 *
 * <h2>Flow control</h2>
 * The advertised window is the receive buffer's free space in 1024-byte units (DECISIONS 24),
 * advertised as 0 until at least min(half the buffer, one packet) is free (receiver-side silly
 * window avoidance). A sender whose window is exhausted with nothing in flight probes it with one
 * packet on the persist timer.
 *
 * <h2>Bounds</h2>
 * Send buffer ({@link SendBuffer}): {@code sendBufferSize} bytes in a ring, holding unsent and
 * unacknowledged data; the retransmission queue is a ring of at most {@code maxPacketsInFlight}
 * packet descriptors into it. Receive buffer ({@link ReceiveBuffer}): {@code receiveBufferSize}
 * bytes counting in-order data (a byte ring) and the out-of-order store (at most
 * {@code maxPacketsInFlight} packets, each counted at its allocated size); one extra packet of up to
 * 65535 bytes may be accepted beyond it to fill the gap that blocks delivery. Buffers are allocated
 * on first use and released after {@code idleRelease} when empty, so an idle or half-open
 * connection holds only its fixed-size state.
 *
 * <h2>Structure</h2>
 * This class is the orchestrator: it owns the lifecycle (handshake, close, failure, keepalive, the
 * persist probe) and decides what to send, while the parts above keep their own state and are
 * tested on their own. {@link AckTracker} decides when an acknowledgement is owed and builds its
 * ranges from the {@link ReceiveBuffer}; every deadline lives in one {@link TimerTable}, whose
 * earliest relevant entry is {@link #nextTimeoutNanos()}. Nothing on the packet path allocates: the
 * parts keep primitive arrays that grow only on demand.
 */
public final class StreamConnection {
    /** S_CLOSE reason 00: application closed connection (a FIN, DECISIONS 26). */
    public static final int REASON_CLOSED = 0;
    /** S_CLOSE reason 01: connection refused. */
    public static final int REASON_REFUSED = 1;
    /** S_CLOSE reason 02: protocol error. */
    public static final int REASON_PROTOCOL_ERROR = 2;
    /** S_CLOSE reason 03: timed out. */
    public static final int REASON_TIMED_OUT = 3;
    /** S_OPEN flag 0x01: the sender link id is a source port (5.2.1). */
    public static final int FLAG_SOURCE_PORT = 0x01;
    /**
     * S_OPEN flag 0x80 on an acceptor's answer (addendum A12): the acceptor kept no state; the
     * opener's third step must be an S_DACK that also carries the opener's ISN as the sequence
     * number of an empty payload, from which the acceptor rebuilds the connection.
     */
    public static final int FLAG_STATELESS = 0x80;
    /** {@link #nextTimeoutNanos()} when no timer is needed. */
    public static final long NO_TIMEOUT = Long.MAX_VALUE;
    /** Largest payload accepted from a peer in one packet. */
    public static final int MAX_PACKET_PAYLOAD = 65535;

    private static final long NONE = Long.MAX_VALUE;
    /** The timers that run once the connection is established and confirmed (the ACK timer aside). */
    private static final int RUNNING_TIMERS = 1 << TimerTable.RTO
            | 1 << TimerTable.REORDER
            | 1 << TimerTable.TLP
            | 1 << TimerTable.PERSIST
            | 1 << TimerTable.CLOSE
            | 1 << TimerTable.TIME_WAIT;

    private static final int MAX_DACK_RANGES = AckTracker.MAX_DACK_RANGES;
    private static final ByteBuffer EMPTY = ByteBuffer.allocate(0);
    private static final byte F_ACKED = SendBuffer.F_ACKED;
    private static final byte F_RETX = SendBuffer.F_RETX;
    private static final byte F_FIN = SendBuffer.F_FIN;
    private static final byte F_PROBE = SendBuffer.F_PROBE;
    private static final byte F_TLP = SendBuffer.F_TLP;

    // ---- configuration copied at creation ----
    private int maxPayload;
    private boolean noDelay;
    private boolean keepAlive;
    private final boolean dataAck;
    private final long connectTimeout;
    private final long initialRto;
    private final long maxRto;
    private long deadPeerTimeout;
    private long peerSilenceTimeout;
    private final long keepAliveIdle;
    private final long keepAliveInterval;
    private final int keepAliveProbes;
    private final long timeWait;
    private final long closeTimeout;
    private final long idleRelease;

    private Object attachment;

    // ---- lifecycle ----
    private final boolean active;
    private final int localFlags;
    private int peerFlags;
    private boolean established;
    private boolean openPending;
    private long openSentAt = NONE;
    private int openTransmissions;
    private StreamException failure;
    private boolean localFailure;
    private boolean failedConnecting;
    private int pendingAbortReason = -1;
    private boolean appClosed;
    private boolean discardInput;
    private boolean inputShutdown;
    private boolean terminated;
    private long lastActivity;
    /**
     * Acceptor: true once an acknowledgement covered our ISN (addendum A5), proving the opener is
     * live and not a replay of an old capture; until then nothing is delivered and nothing but our
     * S_OPEN is sent. Always true on the opener.
     */
    private boolean peerConfirmed;
    /** Opener: an S_ACK naming the acceptor's ISN is owed (addendum A5). */
    private boolean isnAckDue;
    /**
     * Opener: the acceptor answered statelessly (addendum A12) and nothing else has been heard from
     * it since: the third step is an S_DACK carrying our ISN, repeated on the OPEN_RETX timer.
     */
    private boolean statelessPeer;
    /** Opener: repetitions of the stateless third step sent so far (addendum A12). */
    private int thirdStepRepeats;

    /** Size at which send and receive rings start; they double on demand up to SO_SNDBUF / SO_RCVBUF. */
    static final int INITIAL_RING = SendBuffer.INITIAL_RING;
    /** Descriptors (send side) and held-packet slots (receive side) at first use. */
    static final int INITIAL_RECORDS = SendBuffer.INITIAL_RECORDS;

    // ---- the parts ----
    private final TimerTable timers = new TimerTable();
    private final SendBuffer snd;
    private final RttEstimator rtt;
    private final CongestionController cc;
    private final Pacer pacer;
    private final LossDetection loss;
    private final ReceiveBuffer rcv;
    private final AckTracker ack;

    // ---- sender ----
    private final int isn;
    private boolean finQueued;
    private boolean finSent;
    private boolean finAcked;
    private long peerWindow;
    /** When the oldest packet now outstanding was sent, if none was before it (dead-peer timeout). */
    private long outstandingSince;

    private int persistBackoff;
    private boolean probeDue;
    /** The last {@link #transmit} stopped at the congestion window or the pacer. */
    private boolean ccLimited;

    private long lastRecvTime;
    private int keepAliveSent;
    private boolean keepAliveDue;
    /** The application's last read found nothing (and none since returned data or end-of-stream). */
    private boolean readWaiting;
    /** A wait began; its start time is taken on the next {@link #transmit}. */
    private boolean readWaitStarted;

    private boolean readWaitTimed;
    private long readWaitSince;
    private int silenceProbesSent;

    // ---- receiver ----
    private int rcvIsn;

    /** The opt-in event log, or null (nearly always). */
    private ConnectionTrace trace;

    private StreamConnection(StreamConfig c, boolean active, long now, int localFlags) {
        this(c, active, now, localFlags, c.random().nextInt());
    }

    private StreamConnection(StreamConfig c, boolean active, long now, int localFlags, int isn) {
        this.maxPayload = c.maxPayload();
        this.noDelay = c.noDelay();
        this.keepAlive = c.keepAlive();
        this.dataAck = c.dataAckEnabled();
        this.connectTimeout = c.connectTimeoutNanos();
        this.initialRto = c.initialRtoNanos();
        this.maxRto = c.maxRtoNanos();
        this.deadPeerTimeout = c.deadPeerTimeoutNanos();
        this.peerSilenceTimeout = c.peerSilenceTimeoutNanos();
        this.keepAliveIdle = c.keepAliveIdleNanos();
        this.keepAliveInterval = c.keepAliveIntervalNanos();
        this.keepAliveProbes = c.keepAliveProbes();
        this.timeWait = c.timeWaitNanos();
        this.closeTimeout = c.closeTimeoutNanos();
        this.idleRelease = c.idleReleaseNanos();
        this.active = active;
        this.localFlags = localFlags & 0xFF;
        this.isn = isn;
        this.snd = new SendBuffer(c.sendBufferSize(), c.maxPacketsInFlight(), isn + 1);
        this.rtt = new RttEstimator(initialRto, c.minRtoNanos(), maxRto, deadPeerTimeout);
        this.pacer = new Pacer(c.pacingQuantumNanos());
        this.loss = new LossDetection(timers, c.delayedAckNanos());
        this.rcv = new ReceiveBuffer(c.receiveBufferSize(), c.maxPacketsInFlight(), maxPayload);
        this.ack = new AckTracker(timers, c.ackEveryPackets(), c.delayedAckNanos(), c.maxAckRanges());
        this.cc = c.congestionControl() == CongestionControl.NEW_RENO
                ? new NewReno(c.initialCwndPackets(), maxPayload)
                : new Bbr(c.initialCwndPackets(), maxPayload, isn);
        this.lastRecvTime = now;
        this.lastActivity = now;
        ConnectionTrace.Factory tf = c.trace();
        if (tf != null) {
            trace = tf.open(active, isn, now);
            if (trace != null) {
                trace.start(now, active, c.congestionControl().name(), isn);
                snd.trace = trace;
            }
        }
        this.openPending = true;
        this.peerConfirmed = active;
    }

    /**
     * Starts an outgoing connection (the opener side): its S_OPEN goes out on the next
     * {@link #transmit}, is retransmitted with exponential backoff from the initial RTO, and the
     * connect fails with {@link StreamException.Kind#CONNECT_TIMED_OUT} after the connect timeout.
     *
     * @param config the tunables (copied)
     * @param nowNanos the current time
     * @param flags S_OPEN flags to send (0, or {@link #FLAG_SOURCE_PORT} when the link id is a port)
     */
    public static StreamConnection connect(StreamConfig config, long nowNanos, int flags) {
        StreamConnection c = new StreamConnection(config, true, nowNanos, flags);
        c.timers.set(TimerTable.CONNECT, nowNanos + c.connectTimeout);
        c.timers.set(TimerTable.OPEN_RETX, nowNanos + c.initialRto);
        return c;
    }

    /**
     * Accepts an incoming S_OPEN (the acceptor side, 5.2.1): the connection is established at once
     * and answers with its own S_OPEN on the next {@link #transmit}; it delivers data only once the
     * opener has acknowledged that S_OPEN's ISN ({@link #isPeerConfirmed()}, addendum A5). Further copies of the opener's
     * S_OPEN (its retransmissions) go to {@link #onOpen}, which answers again. Nothing is allocated
     * beyond the object itself until data flows, so a backlog of not-yet-accepted connections is
     * cheap.
     *
     * @param peerWindowUnits the window from the peer's S_OPEN (1024-byte units)
     * @param peerIsn the ISN from the peer's S_OPEN
     * @param peerFlags the flags from the peer's S_OPEN
     * @param localFlags flags for our answering S_OPEN
     */
    public static StreamConnection accept(
            StreamConfig config, long nowNanos, int peerWindowUnits, int peerIsn, int peerFlags, int localFlags) {
        StreamConnection c = new StreamConnection(config, false, nowNanos, localFlags);
        c.establish(peerWindowUnits, peerIsn, peerFlags);
        // Addendum A5: unconfirmed until the opener acknowledges our ISN. Our S_OPEN is repeated
        // with backoff meanwhile (the opener may be waiting for us to speak first), and the
        // connection is dropped silently at the connect timeout: a replayed S_OPEN never confirms.
        c.timers.set(TimerTable.CONFIRM, nowNanos + c.connectTimeout);
        c.timers.set(TimerTable.OPEN_RETX, nowNanos + c.initialRto);
        return c;
    }

    /**
     * Rebuilds an accepted connection from a stateless answer (addendum A12): the opener's third step
     * proved that it received our S_OPEN, whose ISN was {@code isn}, at its source address, and named
     * its own ISN. The connection is established and confirmed at once; its first
     * {@link #transmit} acknowledges the third step so the opener stops repeating it.
     */
    public static StreamConnection acceptProven(
            StreamConfig config, long nowNanos, int peerWindowUnits, int peerIsn, int peerFlags, int isn) {
        StreamConnection c = new StreamConnection(config, false, nowNanos, 0, isn);
        c.establish(peerWindowUnits, peerIsn, peerFlags);
        c.peerConfirmed = true;
        c.openPending = false;
        c.ack.noteDuplicate(peerIsn);
        return c;
    }

    private void establish(int windowUnits, int peerIsn, int flags) {
        established = true;
        rcvIsn = peerIsn;
        rcv.start(peerIsn);
        peerWindow = (windowUnits & 0xFFFFL) * 1024;
        peerFlags = flags & 0xFF;
    }

    // =====================================================================================
    // Inputs from the network
    // =====================================================================================

    /**
     * An S_OPEN for this connection arrived: on the opener it completes the connect (the first one;
     * later copies are ignored), on the acceptor it is the opener retransmitting because our answer
     * was lost, so the answer is sent again. An S_OPEN with a different ISN is ignored.
     */
    public void onOpen(long nowNanos, int windowUnits, int peerIsn, int flags) {
        if (failure != null || terminated) {
            return;
        }
        if (active) {
            if (!established) {
                establish(windowUnits, peerIsn, flags);
                if (openTransmissions == 1 && openSentAt != NONE) {
                    rtt.sample(nowNanos - openSentAt);
                }
                timers.cancel(TimerTable.OPEN_RETX);
                timers.cancel(TimerTable.CONNECT);
                openPending = false;
                isnAckDue = true;
                heard(nowNanos);
                if ((flags & FLAG_STATELESS) != 0) {
                    // Addendum A12: the acceptor holds nothing until our third step reaches it, so
                    // that step is repeated until anything else is heard from the acceptor.
                    statelessPeer = true;
                    timers.set(TimerTable.OPEN_RETX, nowNanos + rtt.currentRto());
                }
            } else if (peerIsn == rcvIsn) {
                // The acceptor repeats its S_OPEN until our acknowledgement of its ISN arrives.
                isnAckDue = true;
                heard(nowNanos);
            }
        } else if (peerIsn == rcvIsn) {
            openPending = true;
            heard(nowNanos);
        }
    }

    /**
     * An S_DATA arrived. The payload's remaining bytes are copied (its position is not moved);
     * duplicates are acknowledged again, packets outside the receive window are dropped with an
     * immediate window-bearing ACK, out-of-order packets are held and acknowledged at once.
     */
    public void onData(long nowNanos, int seq, ByteBuffer payload) {
        if (failure != null || terminated || !established) {
            return;
        }
        statelessHeard(nowNanos);
        int len = payload.remaining();
        if (len > MAX_PACKET_PAYLOAD) {
            return;
        }
        heard(nowNanos);
        if (!peerConfirmed) {
            // Our ISN's acknowledgement was lost or is still on its way: ask for it again. The data
            // is kept but neither delivered nor acknowledged until it comes (addendum A5).
            openPending = true;
        }
        int result = rcv.onData(seq, payload, len);
        switch (result) {
            case ReceiveBuffer.OLD_DUPLICATE -> ack.noteDuplicate(seq);
            case ReceiveBuffer.BEYOND_WINDOW -> ack.requestNow();
            case ReceiveBuffer.NO_ROOM -> {
                lastActivity = nowNanos;
                ack.requestNow();
            }
            case ReceiveBuffer.HELD_DUPLICATE -> {
                lastActivity = nowNanos;
                ack.noteDuplicate(seq);
            }
            case ReceiveBuffer.IN_ORDER, ReceiveBuffer.IN_ORDER_ACK_NOW -> {
                lastActivity = nowNanos;
                ack.onInOrder(nowNanos, result == ReceiveBuffer.IN_ORDER_ACK_NOW);
                afterData();
            }
            case ReceiveBuffer.OUT_OF_ORDER -> {
                lastActivity = nowNanos;
                ack.onImmediate();
                afterData();
            }
            default -> {
                // Nothing to deliver and nothing to acknowledge.
            }
        }
    }

    private void afterData() {
        if (discardInput) {
            rcv.discardReadable();
        }
    }

    /**
     * An S_ACK arrived: every acknowledged packet in flight is released, the RTT is sampled (Karn),
     * losses are detected, and the window is taken from {@code windowUnits}. Ranges naming numbers
     * that were never sent or are long acknowledged are ignored.
     *
     * @param ranges the decoded pairs; read during the call only
     */
    public void onAck(long nowNanos, int windowUnits, AckRanges ranges) {
        if (failure != null || terminated || !established) {
            return;
        }
        heard(nowNanos);
        long before = peerWindow;
        peerWindow = (windowUnits & 0xFFFFL) * 1024;
        if (before < maxPayload && peerWindow >= maxPayload && rtt.backoff() > 0) {
            // The window reopened: the peer is alive and was only flow-controlling us, so the
            // backoff earned while probing says nothing about the path. Start timing afresh.
            rtt.resetBackoff();
            if (timers.isArmed(TimerTable.RTO)) {
                timers.set(TimerTable.RTO, nowNanos + rtt.currentRto());
            }
        }
        if (!peerConfirmed && ranges.contains(isn)) {
            confirm(nowNanos);
        }
        processAck(nowNanos, ranges);
        statelessHeard(nowNanos);
    }

    /**
     * Something other than its S_OPEN came from a stateless acceptor: it holds our connection. If
     * the third step had to be repeated, the acceptor built the connection from a repetition, and
     * what we sent after the first copy - the data and FIN of an application that wrote at once -
     * found no connection and was dropped: it goes again now (a retransmission timeout at once,
     * with the backoff the dropped packets earned forgotten), not when the backed-off timer expires.
     * An acknowledgement is processed first, so only what it leaves unacknowledged goes again.
     */
    private void statelessHeard(long nowNanos) {
        if (statelessPeer) {
            statelessPeer = false;
            timers.cancel(TimerTable.OPEN_RETX);
            if (thirdStepRepeats > 0 && !snd.allAcked()) {
                rtt.resetBackoff();
                timers.set(TimerTable.RTO, nowNanos);
            }
        }
    }

    /** The opener acknowledged our ISN (addendum A5): the connection is live, not a replay. */
    private void confirm(long nowNanos) {
        peerConfirmed = true;
        timers.cancel(TimerTable.CONFIRM);
        timers.cancel(TimerTable.OPEN_RETX);
        openPending = false;
        if (openTransmissions == 1 && openSentAt != NONE && rtt.srtt() < 0) {
            // Our single S_OPEN and its acknowledgement: the acceptor's first RTT sample (Karn).
            rtt.sample(nowNanos - openSentAt);
        }
        if (ack.holdsAnything() || rcv.finReceived()) {
            // What arrived meanwhile was held unacknowledged: acknowledge it now.
            ack.requestNow();
        }
    }

    /**
     * An S_DACK arrived: the acknowledgement part first (so our window and RTT are current), then
     * the data part, exactly as {@link #onAck} followed by {@link #onData}.
     */
    public void onDataAck(long nowNanos, int windowUnits, AckRanges ranges, int seq, ByteBuffer payload) {
        onAck(nowNanos, windowUnits, ranges);
        onData(nowNanos, seq, payload);
    }

    /**
     * An S_CLOSE arrived. Reason 00 with the peer's ISN is its FIN (DECISIONS 26): end-of-stream
     * follows the data before it, and it is acknowledged. Any other reason aborts the connection. The
     * close is honoured only when its ISN field is the peer's ISN, or - the refusal form, used when
     * the peer has no such connection - when both its ISN and sequence fields equal our own ISN;
     * anything else is ignored (draft 5.2.2).
     */
    public void onClose(long nowNanos, int reason, int closeIsn, int closeSeq) {
        if (failure != null || terminated) {
            return;
        }
        boolean fromPeer = established && closeIsn == rcvIsn;
        boolean refusalForm = closeIsn == isn && closeSeq == isn;
        if (reason != REASON_CLOSED) {
            if (!fromPeer && !refusalForm) {
                return;
            }
            heard(nowNanos);
            StreamException.Kind kind;
            String msg;
            if (reason == REASON_REFUSED && !established) {
                kind = StreamException.Kind.REFUSED;
                msg = "connection refused";
            } else if (reason == REASON_PROTOCOL_ERROR) {
                kind = StreamException.Kind.PROTOCOL_ERROR;
                msg = "connection aborted by peer: protocol error";
            } else {
                kind = StreamException.Kind.RESET;
                msg = "connection reset by peer (reason " + reason + ")";
            }
            fail(kind, reason, msg, -1, false);
            return;
        }
        if (!fromPeer) {
            return;
        }
        heard(nowNanos);
        statelessHeard(nowNanos);
        if (!peerConfirmed) {
            openPending = true;
        }
        int result = rcv.onFin(closeSeq);
        if (result == ReceiveBuffer.FIN_DUPLICATE) {
            ack.noteDuplicate(closeSeq);
        } else if (result == ReceiveBuffer.FIN_ACCEPTED) {
            ack.onImmediate();
            checkClosed(nowNanos);
        }
    }

    /** Runs every timer that is due at {@code nowNanos}; then call {@link #transmit}. */
    public void onTimer(long nowNanos) {
        if (terminated) {
            return;
        }
        snd.traceNow = nowNanos;
        if (failure != null) {
            return;
        }
        if (!established || !peerConfirmed) {
            // The handshake: the opener until the acceptor's S_OPEN arrives, the acceptor until the
            // opener acknowledges its ISN (addendum A5). Either repeats its S_OPEN with backoff
            // until the connect timeout.
            if (active ? timers.expired(TimerTable.CONNECT, nowNanos) : timers.expired(TimerTable.CONFIRM, nowNanos)) {
                if (active) {
                    fail(StreamException.Kind.CONNECT_TIMED_OUT, -1, "connect timed out", -1, true);
                } else {
                    // A replay, or an opener that went away. Nothing is sent; nobody has seen this
                    // connection (the glue hands it to accept() only once confirmed).
                    fail(StreamException.Kind.TIMED_OUT, -1, "opener never acknowledged our S_OPEN", -1, true);
                }
                return;
            }
            if (timers.expired(TimerTable.OPEN_RETX, nowNanos)) {
                openPending = true;
                // Doubling like TCP's SYN, bounded by the connect timeout rather than maxRto: a
                // handshake is a bounded attempt, and its retries need not notice a recovering path.
                timers.set(
                        TimerTable.OPEN_RETX,
                        nowNanos + Math.min(initialRto << Math.min(openTransmissions, 20), connectTimeout));
            }
            return;
        }
        ack.onTimer(nowNanos);
        if (statelessPeer && timers.expired(TimerTable.OPEN_RETX, nowNanos)) {
            isnAckDue = true;
            thirdStepRepeats++;
            // Doubling from the base timeout, as the data behind it does, so that the step which
            // lets that data in is not left behind by it.
            timers.set(
                    TimerTable.OPEN_RETX, nowNanos + Math.min(rtt.baseRto() << Math.min(thirdStepRepeats, 20), maxRto));
        }
        if (timers.expired(TimerTable.RTO, nowNanos)) {
            onRetransmissionTimeout(nowNanos);
        }
        loss.onTimer(nowNanos, snd, rtt, cc);
        if (timers.expired(TimerTable.PERSIST, nowNanos)) {
            timers.cancel(TimerTable.PERSIST);
            probeDue = true;
            if (persistBackoff < 20) {
                persistBackoff++;
            }
        }
        if (!snd.allAcked() && nowNanos - Math.max(lastRecvTime, outstandingSince) >= deadPeerTimeout) {
            fail(StreamException.Kind.TIMED_OUT, -1, "peer stopped acknowledging (timed out)", REASON_TIMED_OUT, true);
            return;
        }
        if (keepAliveActive()) {
            long silent = nowNanos - lastRecvTime;
            if (silent >= keepAliveIdle + keepAliveInterval * keepAliveProbes) {
                fail(StreamException.Kind.TIMED_OUT, -1, "keepalive: peer not answering", REASON_TIMED_OUT, true);
                return;
            }
            if (silent >= keepAliveIdle + keepAliveInterval * keepAliveSent) {
                keepAliveDue = true;
                keepAliveSent++;
            }
        }
        if (silenceWatchActive()) {
            long since = Math.max(lastRecvTime, readWaitSince);
            long silent = nowNanos - since;
            if (silent >= peerSilenceTimeout) {
                fail(
                        StreamException.Kind.TIMED_OUT,
                        -1,
                        "peer silent for " + silent / 1_000_000 + " ms while the application waits to read",
                        REASON_TIMED_OUT,
                        true);
                return;
            }
            if (silent >= silenceProbeAt(silenceProbesSent)) {
                keepAliveDue = true;
                silenceProbesSent++;
            }
        }
        if (timers.expired(TimerTable.CLOSE, nowNanos)) {
            fail(StreamException.Kind.TIMED_OUT, -1, "close handshake timed out", REASON_TIMED_OUT, true);
            return;
        }
        if (timers.expired(TimerTable.TIME_WAIT, nowNanos)) {
            timers.cancel(TimerTable.TIME_WAIT);
            terminated = true;
            endTrace(nowNanos, "closed");
            releaseIdleBuffers();
            return;
        }
        if (releasable() && nowNanos - lastActivity >= idleRelease) {
            releaseIdleBuffers();
        }
    }

    /**
     * The earliest time at which {@link #onTimer} has work, or {@link #NO_TIMEOUT}. It changes after
     * every call, so re-read it after each input and each {@link #transmit}.
     */
    public long nextTimeoutNanos() {
        if (terminated || failure != null) {
            return NONE;
        }
        if (!established) {
            return active ? Math.min(timers.get(TimerTable.OPEN_RETX), timers.get(TimerTable.CONNECT)) : NONE;
        }
        if (!peerConfirmed) {
            return Math.min(timers.get(TimerTable.OPEN_RETX), timers.get(TimerTable.CONFIRM));
        }
        long t = timers.earliest(ack.hasPending() ? RUNNING_TIMERS | 1 << TimerTable.ACK : RUNNING_TIMERS);
        if (statelessPeer) {
            t = Math.min(t, timers.get(TimerTable.OPEN_RETX));
        }
        if (pacer.isBlocked()) {
            t = Math.min(t, pacer.nextSendTime());
        }
        if (!snd.allAcked()) {
            t = Math.min(t, Math.max(lastRecvTime, outstandingSince) + deadPeerTimeout);
        }
        if (keepAliveActive()) {
            t = Math.min(t, lastRecvTime + keepAliveIdle + keepAliveInterval * keepAliveSent);
        }
        if (silenceWatchActive()) {
            long since = Math.max(lastRecvTime, readWaitSince);
            t = Math.min(t, since + Math.min(peerSilenceTimeout, silenceProbeAt(silenceProbesSent)));
        }
        if (releasable()) {
            t = Math.min(t, lastActivity + idleRelease);
        }
        return t;
    }

    // =====================================================================================
    // Output
    // =====================================================================================

    /**
     * Emits up to {@code maxPackets} packets to {@code sink}, in this order: a pending abort, a
     * pending S_OPEN, retransmissions of packets judged lost, new data and then the FIN (all within
     * the congestion window, the peer's window and the pacer), a keepalive probe, and finally a
     * stand-alone S_ACK if an acknowledgement is due and none rode on data as S_DACK.
     *
     * @return the number of packets emitted
     */
    public int transmit(long nowNanos, StreamSink sink, int maxPackets) {
        int sent = 0;
        if (readWaitStarted) {
            readWaitStarted = false;
            readWaitSince = nowNanos;
            readWaitTimed = true;
            silenceProbesSent = 0;
        }
        if (pendingAbortReason >= 0 && sent < maxPackets) {
            int reason = pendingAbortReason;
            pendingAbortReason = -1;
            sink.sendClose(reason, isn, snd.nxt());
            sent++;
        }
        if (failure != null || terminated) {
            return sent;
        }
        if (openPending && sent < maxPackets) {
            openPending = false;
            sink.sendOpen(rcv.advertiseWindowUnits(), isn, localFlags);
            openTransmissions++;
            openSentAt = nowNanos;
            sent++;
        }
        if (!established || !peerConfirmed) {
            // An unconfirmed acceptor sends nothing else: no data, and no acknowledgement that would
            // let the opener think data was delivered that a replay check may still discard.
            return sent;
        }
        if (isnAckDue && sent < maxPackets) {
            // Addendum A5: the third handshake step, at once and on its own, so that it neither waits
            // for data nor changes how data is framed.
            isnAckDue = false;
            AckRanges r = ack.isnAck(rcv, rcvIsn);
            if (statelessPeer) {
                // Addendum A12: our ISN rides along as an empty payload's sequence number (a number
                // a stateful acceptor takes as an old duplicate).
                sink.sendDataAck(rcv.advertiseWindowUnits(), r, isn, emptyPayload());
            } else {
                sink.sendAck(rcv.advertiseWindowUnits(), r);
            }
            sent++;
            ack.onSent();
        }
        pacer.clearBlocked();
        int before = sent;
        if (sent < maxPackets && loss.takeTailProbe()) {
            if (sendTailProbe(nowNanos, sink)) {
                loss.onTailProbeSent();
                sent++;
            }
        }
        ccLimited = false;
        if (snd.unsent() < maxPayload && snd.lostCount() == 0 && snd.inFlight() < cc.window()) {
            // Less than a packet to send and room in the window (Linux's tcp_rate_check_app_limited):
            // what goes out now is application-limited, so its rate samples must not lower a model.
            cc.onApplicationLimited(snd.inFlight() + snd.unsent());
        }
        while (sent < maxPackets && sendOne(nowNanos, sink)) {
            sent++;
        }
        if (sent < maxPackets && !ccLimited && snd.inFlight() < cc.window()) {
            // Stopped by something other than the congestion window or the pacer - no data, the
            // peer's receive window, Nagle: rate samples now measure that, not the path.
            cc.onApplicationLimited(snd.inFlight());
        }
        if (sent > before) {
            loss.armTailProbe(nowNanos, snd, rtt.srtt(), cc);
        }
        if (keepAliveDue && sent < maxPackets) {
            keepAliveDue = false;
            ByteBuffer empty = emptyPayload();
            sink.sendData(snd.nxt() - 1, empty);
            sent++;
        }
        // Without S_DACK, a pending acknowledgement goes out beside data we send anyway: holding it
        // would save no packet, and would delay the peer's RTT samples and Nagle-held writes.
        boolean beside = !dataAck && sent > before && ack.hasPending();
        if (sent < maxPackets && (ack.due(nowNanos) || beside)) {
            AckRanges r = ack.build(rcv);
            if (r.size() > 0) {
                sink.sendAck(rcv.advertiseWindowUnits(), r);
                sent++;
            }
            ack.onSent();
        }
        return sent;
    }

    private boolean sendOne(long now, StreamSink sink) {
        if (snd.lostCount() > 0) {
            int s = snd.nextLost();
            if (s != snd.nxt()) {
                int len = snd.length(s);
                if ((snd.flags(s) & F_FIN) != 0) {
                    snd.markRetransmitted(s, now);
                    packetSent(now, s, 0, snd.inFlight(), true);
                    sink.sendClose(REASON_CLOSED, isn, s);
                    armRto(now);
                    return true;
                }
                long inFlight = snd.inFlight();
                if (inFlight > 0 && inFlight + len > cc.window()) {
                    ccLimited = true;
                    return false;
                }
                if (!pacingAllows(now)) {
                    ccLimited = true;
                    return false;
                }
                snd.markRetransmitted(s, now);
                packetSent(now, s, len, snd.inFlight(), true);
                emitData(now, sink, s, snd.start(s), len);
                paceSent(now, len);
                armRto(now);
                return true;
            }
        }
        if (snd.hasRing() && snd.unsent() > 0 && snd.recordRoom()) {
            long avail = snd.unsent();
            if (avail > 0) {
                int len = (int) Math.min(avail, maxPayload);
                boolean probe = false;
                long outstanding = snd.outstanding();
                long winAvail = peerWindow - outstanding;
                if (winAvail < len) {
                    if (winAvail >= 1024 && winAvail * 2 >= maxPayload) {
                        len = (int) winAvail;
                    } else if (probeDue && outstanding == 0) {
                        probe = true;
                    } else {
                        if (outstanding == 0 && !timers.isArmed(TimerTable.PERSIST)) {
                            timers.set(TimerTable.PERSIST, now + rtt.backedOff(persistBackoff));
                        }
                        return false;
                    }
                }
                if (!noDelay && !finQueued && len == avail && len < maxPayload && !snd.allAcked()) {
                    // Nagle: hold a partial packet while data is unacknowledged, so small writes coalesce.
                    return false;
                }
                long inFlight = snd.inFlight();
                if (inFlight > 0 && inFlight + len > cc.window()) {
                    ccLimited = true;
                    return false;
                }
                if (!pacingAllows(now)) {
                    ccLimited = true;
                    return false;
                }
                int ranges = 0;
                if (dataAck && ack.pendingNow()) {
                    AckRanges r = ack.build(MAX_DACK_RANGES + 1, rcv);
                    ranges = r.size();
                    if (ranges > 0 && ranges <= MAX_DACK_RANGES) {
                        int room = maxPayload - 3 - 5 * ranges;
                        if (len > room) {
                            len = room;
                        }
                    }
                }
                if (probe) {
                    probeDue = false;
                }
                sendNewData(now, sink, len, probe ? F_PROBE : 0);
                return true;
            }
        }
        if (finQueued && !finSent && snd.unsent() == 0 && snd.recordRoom()) {
            if (snd.allAcked()) {
                outstandingSince = now;
            }
            int s = snd.sendFin(now);
            finSent = true;
            packetSent(now, s, 0, snd.inFlight(), false);
            sink.sendClose(REASON_CLOSED, isn, s);
            armRto(now);
            return true;
        }
        return false;
    }

    private void sendNewData(long now, StreamSink sink, int len, byte flags) {
        if (snd.allAcked()) {
            outstandingSince = now;
        }
        int s = snd.sendNew(now, len, flags);
        packetSent(now, s, len, snd.inFlight(), false);
        emitData(now, sink, s, snd.start(s), len);
        paceSent(now, len);
        armRto(now);
        lastActivity = now;
    }

    /**
     * Tail loss probe (RFC 8985 section 7): when nothing has been acknowledged for about two RTTs,
     * send one packet - new data if the peer's window allows, otherwise the last unacknowledged
     * packet again - so that a loss at the tail of a flight is found by RACK from the probe's
     * acknowledgement instead of waiting for the retransmission timeout.
     */
    private boolean sendTailProbe(long now, StreamSink sink) {
        if (!snd.hasRecords() || snd.allAcked() || snd.lostCount() > 0) {
            return false;
        }
        long avail = snd.unsent();
        if (avail > 0 && snd.hasRing() && snd.recordRoom()) {
            int len = (int) Math.min(avail, maxPayload);
            if (peerWindow - snd.outstanding() >= len) {
                sendNewData(now, sink, len, F_TLP);
                return true;
            }
        }
        int s = snd.newestUnacked();
        if (s == snd.nxt()) {
            return false;
        }
        snd.markProbed(s, now);
        packetSent(now, s, snd.length(s), snd.inFlight(), true);
        if ((snd.flags(s) & F_FIN) != 0) {
            sink.sendClose(REASON_CLOSED, isn, s);
        } else {
            emitData(now, sink, s, snd.start(s), snd.length(s));
        }
        armRto(now);
        return true;
    }

    private void emitData(long now, StreamSink sink, int seq, long start, int len) {
        ByteBuffer view = snd.payload(start, len, maxPayload);
        if (dataAck && ack.pendingNow()) {
            AckRanges r = ack.build(MAX_DACK_RANGES + 1, rcv);
            if (r.size() > 0 && r.size() <= MAX_DACK_RANGES && len + 3 + 5 * r.size() <= maxPayload) {
                sink.sendDataAck(rcv.advertiseWindowUnits(), r, seq, view);
                ack.onSent();
                return;
            }
        }
        sink.sendData(seq, view);
    }

    private static ByteBuffer emptyPayload() {
        // Zero capacity: a sink moving its position or limit cannot affect anyone else.
        return EMPTY;
    }

    // =====================================================================================
    // Application side
    // =====================================================================================

    /**
     * Copies as many bytes from {@code src} as the send buffer has room for (SO_SNDBUF) and returns
     * that number, possibly 0. Data written before the connection is established is sent once it is.
     *
     * @throws StreamException if the connection failed, or output was shut down
     */
    public int write(ByteBuffer src) throws StreamException {
        if (failure != null) {
            throw failure.copy();
        }
        if (finQueued) {
            throw new StreamException(StreamException.Kind.OUTPUT_SHUTDOWN, -1, "output is shut down");
        }
        int want = src.remaining();
        if (want == 0) {
            return 0;
        }
        return snd.write(src);
    }

    /**
     * Copies received in-order bytes into {@code dst}.
     *
     * @return the number of bytes copied, 0 if none are available yet, or -1 at end-of-stream (the
     *         peer's FIN after all its data has been read)
     * @throws StreamException if the connection failed; when the peer aborted, the data that
     *         arrived before the abort is returned first
     */
    public int read(ByteBuffer dst) throws StreamException {
        if (inputShutdown) {
            return -1;
        }
        if (failure != null && (localFailure || readableBytes() == 0)) {
            throw failure.copy();
        }
        if (!peerConfirmed) {
            return 0;
        }
        int total = rcv.read(dst);
        if (total > 0) {
            windowUpdateCheck();
        }
        if (total == 0 && rcv.finReceived() && readableBytes() == 0) {
            readWaiting = false;
            return -1;
        }
        if (total > 0) {
            readWaiting = false;
        } else if (!readWaiting && dst.hasRemaining()) {
            readWaiting = true;
            readWaitStarted = true;
            readWaitTimed = false;
        }
        return total;
    }

    /**
     * Half-close (DECISIONS 26): after the buffered data, an S_CLOSE reason 00 is sent and
     * retransmitted until acknowledged; reading continues until the peer closes too.
     */
    public void shutdownOutput() {
        if (failure == null) {
            finQueued = true;
        }
    }

    /**
     * Like {@code SocketChannel.shutdownInput()}: {@link #read} returns -1 from now on, and data
     * still arriving is acknowledged and discarded so the peer is not stalled. Nothing is sent.
     */
    public void shutdownInput() {
        inputShutdown = true;
        discardInput = true;
        rcv.discardReadable();
        windowUpdateCheck();
    }

    /**
     * True once after a {@link #read} that found nothing started the application's wait: the glue
     * then calls {@link #transmit} and re-arms its timer, since the dead-peer watch of a waiting
     * reader ({@link StreamConfig#peerSilenceTimeoutNanos()}) may now need one.
     */
    public boolean readWaitStarted() {
        return readWaitStarted;
    }

    /** Changes the {@linkplain StreamConfig#userTimeoutNanos() user timeout} of this connection. */
    public void setUserTimeout(long nanos) {
        if (nanos <= 0) {
            throw new IllegalArgumentException("user timeout must be positive: " + nanos);
        }
        deadPeerTimeout = nanos;
    }

    /** Current user timeout in nanoseconds. */
    public long userTimeoutNanos() {
        return deadPeerTimeout;
    }

    /** Changes the {@linkplain StreamConfig#peerSilenceTimeoutNanos() peer-silence timeout} (0: off). */
    public void setPeerSilenceTimeout(long nanos) {
        if (nanos < 0) {
            throw new IllegalArgumentException("peer-silence timeout must not be negative: " + nanos);
        }
        peerSilenceTimeout = nanos;
    }

    /** Current peer-silence timeout in nanoseconds (0: off). */
    public long peerSilenceTimeoutNanos() {
        return peerSilenceTimeout;
    }

    /** True after {@link #shutdownInput()}. */
    public boolean isInputShutdown() {
        return inputShutdown;
    }

    /**
     * Graceful close: {@link #shutdownOutput()}, and anything received from now on is acknowledged
     * and discarded. The close handshake then completes in the background: unacknowledged data is
     * retransmitted as usual (the dead-peer timeout still applies), and once everything we sent is
     * acknowledged the peer has the close timeout to close its side, after which the connection
     * aborts with reason 03. Closing while still connecting abandons the
     * connect without sending anything.
     */
    public void close(long nowNanos) {
        if (appClosed) {
            return;
        }
        appClosed = true;
        if (failure != null) {
            return;
        }
        if (!established) {
            fail(StreamException.Kind.CLOSED, -1, "connection closed", -1, true);
            terminated = true;
            return;
        }
        finQueued = true;
        discardInput = true;
        rcv.discardReadable();
        checkClosed(nowNanos);
    }

    /**
     * An accepted connection still waiting for the opener's acknowledgement of our ISN (addendum
     * A5) learned that the opener took another answer to its S_OPEN (addendum A12: a stateless
     * answer to an earlier copy): it ends silently, as at its confirmation timeout - nobody has seen
     * it, and the opener holds nothing that is ours. Does nothing on any other connection.
     */
    public void supersede() {
        if (active || peerConfirmed || failure != null || terminated) {
            return;
        }
        fail(StreamException.Kind.CLOSED, -1, "the opener took a stateless answer instead", -1, true);
    }

    /**
     * Abortive close like a TCP RST (DECISIONS 26): S_CLOSE with {@code reason} (1..3) is sent once
     * on the next {@link #transmit} and the connection fails at once.
     */
    public void abort(int reason) {
        if (reason < 1 || reason > 255) {
            throw new IllegalArgumentException("abort reason must be 1..255: " + reason);
        }
        if (failure != null) {
            return;
        }
        boolean peerKnows = established || (active && openTransmissions > 0);
        fail(StreamException.Kind.CLOSED, -1, "connection aborted", peerKnows ? reason : -1, true);
        appClosed = true;
    }

    // =====================================================================================
    // State queries
    // =====================================================================================

    /** Our initial sequence number (sent in S_OPEN, keys our S_CLOSE). */
    public int isn() {
        return isn;
    }

    /** The peer's initial sequence number; meaningful once {@link #isEstablished()}. */
    public int peerIsn() {
        return rcvIsn;
    }

    /** The flags of the peer's S_OPEN; meaningful once {@link #isEstablished()}. */
    public int peerFlags() {
        return peerFlags;
    }

    /** True on the opener side. */
    public boolean isActiveOpener() {
        return active;
    }

    /** True while an outgoing connect waits for the peer's S_OPEN. */
    public boolean isConnecting() {
        return active && !established && failure == null;
    }

    /** True once the peer's S_OPEN was received or answered (stays true after closes). */
    public boolean isEstablished() {
        return established;
    }

    /**
     * True when the peer has shown it is live (addendum A5): on the opener once established; on the
     * acceptor once an acknowledgement covered its ISN. Before that an accepted connection delivers
     * nothing and the glue does not hand it to the application.
     */
    public boolean isPeerConfirmed() {
        return established && peerConfirmed;
    }

    /** True when the connect failed (refused, timed out, abandoned); see {@link #failure()}. */
    public boolean isConnectFailed() {
        return failedConnecting;
    }

    /** The failure, or null while the connection is healthy. */
    public StreamException failure() {
        return failure;
    }

    /**
     * True when {@link #read} would not return 0: data, end-of-stream or a failure is pending
     * (NIO's OP_READ; a peer's abort or FIN reports readable with data first, checklist item 11).
     */
    public boolean isReadable() {
        if (failure != null || inputShutdown) {
            return true;
        }
        if (!peerConfirmed) {
            return false;
        }
        return readableBytes() > 0 || rcv.finReceived();
    }

    /**
     * True when {@link #write} would accept a useful amount (a quarter of the send buffer, at most
     * 64 KiB) or would throw.
     */
    public boolean isWritable() {
        if (failure != null || finQueued) {
            return true;
        }
        long cap = snd.bufferSize();
        long free = snd.free();
        return free >= Math.max(1, Math.min(cap / 4, 64 * 1024));
    }

    /** Bytes {@link #write} would accept now. */
    public int sendBufferFree() {
        if (failure != null || finQueued) {
            return 0;
        }
        return (int) Math.max(0, snd.free());
    }

    /** Bytes written but not yet acknowledged by the peer (unsent included). */
    public long unacknowledgedBytes() {
        return snd.unacknowledged();
    }

    /** Bytes {@link #read} can return now without waiting. */
    public int readableBytes() {
        return rcv.readableBytes();
    }

    /** True after {@link #shutdownOutput()} or {@link #close}. */
    public boolean isOutputShutdown() {
        return finQueued;
    }

    /** True once our FIN and all data before it were acknowledged by the peer. */
    public boolean isOutputClosed() {
        return finAcked && snd.allAcked();
    }

    /** True once the peer's FIN was received in order (end-of-stream follows the buffered data). */
    public boolean isInputClosed() {
        return rcv.finReceived();
    }

    /**
     * True when the protocol is finished: both closes acknowledged and time-wait over, or failed
     * with any abort already handed to {@link #transmit}. The glue may then forget the link id.
     */
    public boolean isTerminated() {
        return terminated || (failure != null && pendingAbortReason < 0);
    }

    /** Smoothed RTT in nanoseconds, or -1 before the first sample. */
    public long smoothedRttNanos() {
        return rtt.srtt();
    }

    /** Current congestion window in bytes. */
    public long congestionWindow() {
        return cc.window();
    }

    /** The peer's last advertised window in bytes. */
    public long peerWindowBytes() {
        return peerWindow;
    }

    /** Bytes currently allocated for this connection's buffers (rings, descriptors, held packets). */
    public long allocatedBytes() {
        return snd.allocatedBytes() + rcv.allocatedBytes() + cc.allocatedBytes();
    }

    /** The glue's per-connection object (its link ids, ports, channel). */
    public Object attachment() {
        return attachment;
    }

    /** Attaches the glue's per-connection object. */
    public void attach(Object o) {
        attachment = o;
    }

    /** TCP_NODELAY: true sends partial packets at once, false coalesces them (Nagle). */
    public void setNoDelay(boolean on) {
        noDelay = on;
    }

    /** Current TCP_NODELAY. */
    public boolean noDelay() {
        return noDelay;
    }

    /** SO_KEEPALIVE. */
    public void setKeepAlive(boolean on) {
        keepAlive = on;
        keepAliveSent = 0;
    }

    /** Current SO_KEEPALIVE. */
    public boolean keepAlive() {
        return keepAlive;
    }

    /**
     * SO_SNDBUF. Growing takes effect at once; shrinking below what is buffered only limits new
     * writes until the buffered data is acknowledged.
     */
    public void setSendBufferSize(int bytes) {
        snd.setBufferSize(StreamConfig.checkSendBuffer(bytes));
    }

    /** Current SO_SNDBUF. */
    public int sendBufferSize() {
        return snd.bufferSize();
    }

    /**
     * SO_RCVBUF. Takes effect at once: a smaller size shrinks the advertised window as the
     * buffered data is read.
     */
    public void setReceiveBufferSize(int bytes) {
        rcv.setBufferSize(StreamConfig.checkReceiveBuffer(bytes));
    }

    /** Current SO_RCVBUF. */
    public int receiveBufferSize() {
        return rcv.bufferSize();
    }

    /** Sets the path's largest S_DATA payload (DECISIONS 27); applies to packets not yet sent. */
    public void setMaxPayload(int bytes) {
        maxPayload = StreamConfig.checkPayload(bytes);
        cc.setMaxPayload(maxPayload);
        rcv.setMaxPayload(maxPayload);
    }

    /** Current largest S_DATA payload. */
    public int maxPayload() {
        return maxPayload;
    }

    @Override
    public String toString() {
        return "StreamConnection[" + (active ? "opener" : "acceptor") + " isn=" + Serial.unsigned(isn)
                + (established ? " peerIsn=" + Serial.unsigned(rcvIsn) : " connecting")
                + " sndUna=" + Serial.unsigned(snd.una()) + " sndNxt=" + Serial.unsigned(snd.nxt())
                + " rcvNxt=" + Serial.unsigned(rcv.next()) + " unacked=" + snd.unacknowledged()
                + " cwnd=" + cc.window() + " srtt=" + rtt.srtt() + " peerWindow=" + peerWindow
                + (finQueued ? " outShut" : "") + (rcv.finReceived() ? " inClosed" : "")
                + (failure != null ? " failed=" + failure.kind() : "") + (terminated ? " terminated" : "") + "]";
    }

    // =====================================================================================
    // Internals: receive side
    // =====================================================================================

    private void heard(long now) {
        lastRecvTime = now;
        keepAliveSent = 0;
        silenceProbesSent = 0;
        if (timers.isArmed(TimerTable.TIME_WAIT)) {
            timers.set(TimerTable.TIME_WAIT, now + timeWait);
        }
    }

    /**
     * The waiting reader's dead-peer watch ({@link StreamConfig#peerSilenceTimeoutNanos()}): only
     * while the application waits for data the peer may still send, with nothing of ours
     * outstanding (then the user timeout applies, and retransmissions are the probes).
     */
    private boolean silenceWatchActive() {
        return peerSilenceTimeout > 0
                && readWaiting
                && readWaitTimed
                && established
                && peerConfirmed
                && !rcv.finReceived()
                && !inputShutdown
                && snd.allAcked()
                && !terminated
                && !timers.isArmed(TimerTable.TIME_WAIT);
    }

    /** Silence after which probe {@code n} (from 0) goes out: a third of the timeout, then every fifteenth. */
    private long silenceProbeAt(int n) {
        return peerSilenceTimeout / 3 + (peerSilenceTimeout / 15) * n;
    }

    private boolean keepAliveActive() {
        return keepAlive && established && snd.allAcked() && !terminated && !timers.isArmed(TimerTable.TIME_WAIT);
    }

    private void windowUpdateCheck() {
        if (rcv.windowUpdateDue()) {
            ack.requestNow();
        }
    }

    // =====================================================================================
    // Internals: send side
    // =====================================================================================

    private void packetSent(long now, int seq, int bytes, long inFlight, boolean retransmission) {
        cc.onPacketSent(now, seq, bytes, inFlight, retransmission);
        if (trace != null) {
            trace.sent(now, seq, bytes, retransmission, inFlight);
        }
    }

    private void endTrace(long now, String how) {
        if (trace != null) {
            trace.closed(now, how);
            trace.close();
            trace = null;
            snd.trace = null;
        }
    }

    private void processAck(long now, AckRanges ranges) {
        snd.traceNow = now;
        if (!snd.hasRecords() || snd.allAcked()) {
            checkPersist(now);
            return;
        }
        int n = ranges.size();
        for (int i = 0; i < n; i++) {
            int c = ranges.count(i);
            if (c < 1 || c > AckRanges.MAX_COUNT) {
                return;
            }
        }
        int una = snd.una();
        int nxt = snd.nxt();
        long ackedBytes = 0;
        long flightBefore = snd.inFlight();
        long minRtt = rtt.minRtt();
        long newestSent = Long.MIN_VALUE;
        boolean newlyAcked = false;
        for (int i = 0; i < n; i++) {
            int first = ranges.first(i);
            int count = ranges.count(i);
            int startOff = first - una;
            int k0 = 0;
            if (startOff < 0) {
                k0 = -startOff;
                if (k0 >= count || startOff < -65536) {
                    continue;
                }
            }
            for (int k = k0; k < count; k++) {
                int s = first + k;
                if (s - nxt >= 0) {
                    break;
                }
                if ((snd.flags(s) & F_ACKED) != 0) {
                    continue;
                }
                byte f = snd.markAcked(s);
                newlyAcked = true;
                int len = snd.length(s);
                ackedBytes += len;
                cc.onPacketAcked(now, s, len);
                if (trace != null) {
                    trace.acked(now, s, len);
                }
                if ((f & F_FIN) != 0) {
                    finAcked = true;
                }
                long sent = snd.sentAt(s);
                loss.onAcked(s, f, sent, now - sent, minRtt);
                if ((f & F_RETX) == 0 && sent > newestSent) {
                    // Karn: only a packet sent once times the path.
                    newestSent = sent;
                }
            }
        }
        if (!newlyAcked) {
            checkPersist(now);
            return;
        }
        lastActivity = now;
        long rttSample = -1;
        if (newestSent != Long.MIN_VALUE) {
            rttSample = now - newestSent;
            rtt.sample(rttSample);
            if (trace != null) {
                trace.rtt(now, rttSample, rtt.srtt(), rtt.minRtt());
            }
        }
        // Anything newly acknowledged proves the path delivers again (as QUIC resets its probe
        // backoff on any acknowledgement): timing resumes from the base timeout at once, even when
        // only retransmissions were acknowledged and Karn's rule gives no sample.
        rtt.resetBackoff();
        snd.advance();
        cc.onAck(now, snd.una(), ackedBytes, flightBefore, snd.inFlight(), rttSample, rtt.minRtt());
        if (trace != null) {
            trace.congestion(now, cc.window(), cc.pacingRate(rtt.srtt()), snd.inFlight(), cc.stateName());
        }
        if (!snd.allAcked()) {
            timers.set(TimerTable.RTO, now + rtt.currentRto());
        } else {
            timers.cancel(TimerTable.RTO);
            timers.cancel(TimerTable.REORDER);
        }
        loss.detect(now, snd, rtt, cc);
        loss.onAckProcessed(snd.una(), cc);
        loss.armTailProbe(now, snd, rtt.srtt(), cc);
        checkPersist(now);
        checkClosed(now);
    }

    private void checkPersist(long now) {
        if (peerWindow >= Math.min(maxPayload, 1024)) {
            persistBackoff = 0;
            timers.cancel(TimerTable.PERSIST);
            probeDue = false;
        }
    }

    private void onRetransmissionTimeout(long now) {
        timers.cancel(TimerTable.RTO);
        if (snd.allAcked() || !snd.hasRecords()) {
            return;
        }
        boolean probe = (snd.flags(snd.una()) & F_PROBE) != 0 && peerWindow < maxPayload;
        rtt.backOff();
        if (trace != null) {
            trace.timeout(now, rtt.backoff());
        }
        if (!probe) {
            cc.onRetransmissionTimeout(now, snd.nxt(), snd.inFlight());
        }
        snd.markAllLost();
        loss.onRetransmissionTimeout();
        timers.set(TimerTable.RTO, now + rtt.currentRto());
    }

    private void armRto(long now) {
        if (!timers.isArmed(TimerTable.RTO)) {
            timers.set(TimerTable.RTO, now + rtt.currentRto());
        }
    }

    private boolean pacingAllows(long now) {
        return pacer.allows(now, rtt.srtt());
    }

    private void paceSent(long now, int len) {
        long srtt = rtt.srtt();
        if (srtt > 0) {
            pacer.onSent(now, cc.pacingIntervalNanos(len, srtt));
        }
    }

    private void checkClosed(long now) {
        if (appClosed
                && finAcked
                && snd.allAcked()
                && !rcv.finReceived()
                && !timers.isArmed(TimerTable.CLOSE)
                && failure == null) {
            // Like TCP's FIN_WAIT_2 timeout: everything we sent is acknowledged and the application
            // is gone; do not wait for the peer's close forever.
            timers.set(TimerTable.CLOSE, now + closeTimeout);
        }
        if (finAcked && snd.allAcked() && rcv.finReceived() && !timers.isArmed(TimerTable.TIME_WAIT) && !terminated) {
            // Both directions are closed, but our last acknowledgement may be lost (an S_CLOSE
            // carries no acknowledgement, so unlike TCP neither side can tell): linger and answer
            // the peer's retransmissions. Every packet from the peer restarts the linger.
            timers.set(TimerTable.TIME_WAIT, now + timeWait);
            timers.cancel(TimerTable.CLOSE);
            releaseIdleBuffers();
            // Both directions are done: what time-wait may still see is not worth tracing.
            endTrace(now, "closed");
        }
    }

    private void fail(StreamException.Kind kind, int remoteReason, String message, int sendReason, boolean local) {
        failure = new StreamException(kind, remoteReason, message);
        endTrace(snd.traceNow, "failed: " + message);
        localFailure = local;
        if (!established) {
            failedConnecting = true;
        }
        pendingAbortReason = sendReason;
        openPending = false;
        // Nothing runs after a failure (onTimer and nextTimeoutNanos check it first).
        timers.cancelAll();
        // The unsent and unacknowledged data will never be delivered: drop it now.
        snd.dropAll();
        cc.release();
        if (local) {
            rcv.dropAll();
        }
    }

    private boolean releasable() {
        return snd.releasable() || rcv.releasable();
    }

    private void releaseIdleBuffers() {
        snd.releaseIfIdle();
        rcv.releaseIfIdle();
        if (snd.allAcked()) {
            cc.release();
        }
    }
}
