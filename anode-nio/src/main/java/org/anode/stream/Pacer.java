package org.anode.stream;

/**
 * Spreads a connection's packets over the RTT at the congestion controller's pacing rate
 * (DECISIONS 25) instead of sending a window at once, while allowing bursts of up to a quantum's
 * worth of sending so that a coarse event-loop timer does not throttle it. Before the first RTT
 * sample nothing is paced.
 */
final class Pacer {
    private final long quantum;
    /** When the next packet may leave; earlier sending is allowed up to one burst of credit. */
    private long nextSendTime = Long.MIN_VALUE;

    private boolean blocked;

    /** @param quantumNanos the burst allowance ({@link StreamConfig#pacingQuantumNanos()}) */
    Pacer(long quantumNanos) {
        this.quantum = quantumNanos;
    }

    /**
     * True when a packet may be sent at {@code now}; otherwise remembers that sending is held back,
     * so the connection asks for a timer at {@link #nextSendTime()}.
     */
    boolean allows(long now, long srtt) {
        if (srtt <= 0 || nextSendTime <= now) {
            return true;
        }
        blocked = true;
        return false;
    }

    /** A paced packet left; {@code interval} is its share of time at the pacing rate. */
    void onSent(long now, long interval) {
        long burst = Math.max(quantum, 10 * interval);
        if (nextSendTime < now - burst) {
            nextSendTime = now - burst;
        }
        nextSendTime += interval;
    }

    /** A new transmit round starts: nothing is held back yet. */
    void clearBlocked() {
        blocked = false;
    }

    boolean isBlocked() {
        return blocked;
    }

    long nextSendTime() {
        return nextSendTime;
    }
}
