package org.anode.nio;

import java.nio.channels.spi.AbstractSelectableChannel;
import java.nio.channels.spi.SelectorProvider;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A channel whose readiness the test sets directly: it stands in for the node's datagram and stream
 * channels, and lets tests check what the selector does with each readiness change. It honours the
 * {@link Readiness} contract: every change it is told about is signalled, unless a test asks for a
 * quiet change on purpose.
 */
final class SelectorTestChannel extends AbstractSelectableChannel implements AnodeSelectable {
    private final Readiness readiness = new Readiness();
    private final int validOps;
    private volatile int ready;
    /** How often the selector asked for readiness: proves idle keys are not polled. */
    final AtomicLong readyCalls = new AtomicLong();

    SelectorTestChannel(SelectorProvider provider, int validOps) {
        super(provider);
        this.validOps = validOps;
    }

    static SelectorTestChannel nonBlocking(SelectorProvider provider, int validOps) throws java.io.IOException {
        SelectorTestChannel c = new SelectorTestChannel(provider, validOps);
        c.configureBlocking(false);
        return c;
    }

    void setReady(int ops) {
        ready = ops;
        readiness.signal();
    }

    /** Changes readiness without a signal: a contract breach, used only to check decreases. */
    void setReadyQuietly(int ops) {
        ready = ops;
    }

    /** A signal without a readiness change (spurious, e.g. an event that changed nothing). */
    void signalOnly() {
        readiness.signal();
    }

    @Override
    public int readyOps() {
        readyCalls.incrementAndGet();
        return ready;
    }

    @Override
    public Readiness readiness() {
        return readiness;
    }

    @Override
    public int validOps() {
        return validOps;
    }

    @Override
    protected void implCloseSelectableChannel() {
        readiness.signal();
    }

    @Override
    protected void implConfigureBlocking(boolean block) {
        // Nothing to reconfigure: the test channel never blocks.
    }
}
