package org.anode.transport;

/**
 * Which carrier a node uses to reach one zone relay (draft 2.9.1-2.9.3, DECISIONS 38): UDP first;
 * TCP when the relay does not answer over UDP; HTTP when TCP fails too; back to UDP as soon as a
 * periodic UDP probe is answered. Sans-I/O: it is told what happened and when (a monotonic clock
 * in nanoseconds given by the caller) and answers which carrier to use and when to probe, so it is
 * tested with a fake clock. Not thread-safe; {@link RelayLink} guards it.
 *
 * <p>The rules (all durations from {@link FallbackConfig}):
 * <ul>
 * <li>UDP is given up when something the relay itself must answer (a PING, a NETID request) was
 *     sent over UDP and nothing came back over UDP for {@code udpTimeout} (DECISIONS 38: no PONG
 *     to 3 PINGs within 3 s; the router PINGs an unanswered relay once a second, so 3 s of silence
 *     is those 3 PINGs). Packets the relay forwards do not count: their answers come from their
 *     recipients, maybe over another path; {@link RelayLink} PINGs the relay when they go out
 *     unanswered for a second;</li>
 * <li>TCP is given up for HTTP after {@code tcpAttempts} connection attempts in a row failed (at least
 *     five, about 15 s of backoff, once a connection had worked, so that a relay restart is ridden
 *     out on TCP),
 *     or a first connection got nothing back for {@code udpTimeout} (a middlebox that accepts and
 *     swallows), if the relay has HTTP URIs;
 *     otherwise TCP keeps being retried with backoff;</li>
 * <li>on HTTP, TCP is retried every {@code tcpRetryInterval}; a connection that works moves the
 *     node (back) to TCP;</li>
 * <li>on TCP or HTTP, a UDP probe is due every {@code probeInterval}; anything heard over UDP from
 *     the relay moves the node back to UDP at once.</li>
 * </ul>
 */
public final class FallbackPolicy {
    /** The carriers, in fallback order. */
    public enum Carrier {
        UDP,
        TCP,
        HTTP
    }

    private static final long NONE = Long.MIN_VALUE;

    private final FallbackConfig config;
    private final boolean tcpAvailable;
    private final boolean httpAvailable;
    private Carrier carrier = Carrier.UDP;
    private long udpUnansweredSince = NONE;
    private long lastUdpHeard = NONE;
    private long lastProbe = NONE;
    private int tcpFailures;
    /** A TCP connection worked since UDP was left: a lost one (relay restart) gets at least five attempts. */
    private boolean tcpEverConnected;
    /** Packets came back over TCP since UDP was left: the relay is there, silence is not a middlebox. */
    private boolean tcpEverHeard;

    private long tcpNextAttempt = NONE;
    private long tcpUnansweredSince = NONE;
    private long lastSwitch;
    private int switches;

    /**
     * @param tcpAvailable the relay has a TCP port to fall back to
     * @param httpAvailable the relay has HTTP URIs ({@code zh} entries) to fall back to
     */
    public FallbackPolicy(FallbackConfig config, boolean tcpAvailable, boolean httpAvailable, long now) {
        this.config = config;
        this.tcpAvailable = tcpAvailable && config.tcp();
        this.httpAvailable = httpAvailable && config.http();
        this.lastSwitch = now;
    }

    /** The carrier to send on now. */
    public Carrier carrier() {
        return carrier;
    }

    /** How many times the carrier changed. */
    public int switches() {
        return switches;
    }

    /** A packet was sent to the relay over UDP (in UDP mode, or as a probe). */
    public void udpSent(long now) {
        if (udpUnansweredSince == NONE) {
            udpUnansweredSince = now;
        }
    }

    /** A packet arrived from the relay over UDP: UDP works, use it. */
    public void udpHeard(long now) {
        udpUnansweredSince = NONE;
        lastUdpHeard = now;
        if (carrier != Carrier.UDP) {
            switchTo(Carrier.UDP, now);
        }
    }

    /** A packet was sent to the relay over TCP. */
    public void tcpSent(long now) {
        if (tcpUnansweredSince == NONE) {
            tcpUnansweredSince = now;
        }
    }

    /** A TCP connection to the relay was established. */
    public void tcpConnected(long now) {
        tcpEverConnected = true;
        tcpFailures = 0;
        tcpNextAttempt = NONE;
        if (carrier == Carrier.HTTP) {
            switchTo(Carrier.TCP, now);
        }
    }

    /** A packet arrived from the relay over TCP. */
    public void tcpHeard(long now) {
        tcpEverHeard = true;
        tcpUnansweredSince = NONE;
        tcpFailures = 0;
    }

    /** A TCP connection attempt failed, or an established connection closed. */
    public void tcpFailed(long now) {
        tcpFailures++;
        tcpUnansweredSince = NONE;
        int attempts = tcpEverConnected ? Math.max(5, config.tcpAttempts()) : config.tcpAttempts();
        if (carrier == Carrier.TCP && httpAvailable && tcpFailures >= attempts) {
            switchTo(Carrier.HTTP, now);
        }
        tcpNextAttempt =
                now + (carrier == Carrier.HTTP ? config.tcpRetryInterval().toNanos() : backoff(tcpFailures));
    }

    /** Delay before reconnect attempt number {@code failures}: doubling from the minimum, capped. */
    long backoff(int failures) {
        long min = config.reconnectMin().toNanos();
        long max = config.reconnectMax().toNanos();
        int shift = Math.min(Math.max(failures - 1, 0), 20);
        long d = min << shift;
        return d <= 0 || d > max ? max : d;
    }

    /**
     * True if a TCP connection attempt should start now (none is open or in progress; the caller
     * knows that): on TCP, once the backoff has passed; on HTTP, every {@code tcpRetryInterval}.
     */
    public boolean tcpAttemptDue(long now) {
        if (!tcpAvailable || carrier == Carrier.UDP) {
            return false;
        }
        return tcpNextAttempt == NONE || now - tcpNextAttempt >= 0;
    }

    /** Marks a TCP attempt as started (so that the next is not due before it ends). */
    public void tcpAttemptStarted(long now) {
        tcpNextAttempt = now
                + config.reconnectMax().toNanos()
                + config.tcpConnectTimeout().toNanos();
    }

    /** True if a UDP probe should be sent now (on TCP or HTTP); marks it sent. */
    public boolean probeDue(long now) {
        if (carrier == Carrier.UDP) {
            return false;
        }
        if (lastProbe == NONE || now - lastProbe >= config.probeInterval().toNanos()) {
            lastProbe = now;
            return true;
        }
        return false;
    }

    /**
     * Re-evaluates with the time: gives up UDP or TCP when they stayed silent too long.
     *
     * @return true if the carrier changed (the caller re-sends what may have been lost)
     */
    public boolean tick(long now) {
        long timeout = config.udpTimeout().toNanos();
        if (carrier == Carrier.UDP) {
            if (udpUnansweredSince != NONE && now - udpUnansweredSince >= timeout) {
                udpUnansweredSince = NONE;
                if (tcpAvailable) {
                    switchTo(Carrier.TCP, now);
                    return true;
                }
                if (httpAvailable) {
                    switchTo(Carrier.HTTP, now);
                    return true;
                }
            }
            return false;
        }
        if (carrier == Carrier.TCP
                && !tcpEverHeard
                && tcpUnansweredSince != NONE
                && now - tcpUnansweredSince >= timeout
                && httpAvailable) {
            // Connected but nothing comes back (a middlebox that accepts and swallows): HTTP.
            tcpUnansweredSince = NONE;
            tcpFailures = Math.max(tcpFailures, config.tcpAttempts());
            tcpNextAttempt = now + config.tcpRetryInterval().toNanos();
            switchTo(Carrier.HTTP, now);
            return true;
        }
        if (carrier == Carrier.TCP && !tcpAvailable && httpAvailable) {
            switchTo(Carrier.HTTP, now);
            return true;
        }
        // A probe that went out over UDP and stayed unanswered just waits for the next one.
        if (udpUnansweredSince != NONE && now - udpUnansweredSince >= timeout) {
            udpUnansweredSince = NONE;
        }
        return false;
    }

    private void switchTo(Carrier c, long now) {
        if (c == Carrier.UDP) {
            tcpEverConnected = false;
            tcpEverHeard = false;
        }
        if (c == Carrier.TCP) {
            tcpUnansweredSince = NONE;
        }
        carrier = c;
        lastSwitch = now;
        switches++;
        if (c != Carrier.UDP) {
            // The first probe comes one interval after leaving UDP.
            lastProbe = now;
        }
    }

    /** When the carrier last changed. */
    public long lastSwitch() {
        return lastSwitch;
    }

    /** When UDP was last heard from the relay, or {@link Long#MIN_VALUE}. */
    public long lastUdpHeard() {
        return lastUdpHeard;
    }
}
