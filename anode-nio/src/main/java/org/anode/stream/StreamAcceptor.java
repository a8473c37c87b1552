package org.anode.stream;

import java.util.Objects;

/**
 * The listening side's helper (draft 5.2.1): turns an incoming S_OPEN for a bound port into an
 * established {@link StreamConnection} that answers with its own S_OPEN, or refuses it with S_CLOSE
 * reason 01 (DECISIONS 21: current sequence number equal to the initial one, never acknowledged).
 *
 * <p>The glue owns the listening table and the backlog bound; this class only fixes the protocol
 * behaviour. An accepted connection is half-open until the opener acknowledges its ISN (addendum
 * A5, {@link StreamConnection#isPeerConfirmed()}); the glue hands it to the application only then. An accepted connection allocates no buffers until data flows, so connections waiting
 * in a backlog cost little more than the object itself.
 */
public final class StreamAcceptor {
    private final StreamConfig config;
    private final int localFlags;

    /**
     * @param config the tunables for accepted connections (copied now)
     * @param localFlags flags for the answering S_OPEN (normally 0)
     */
    public StreamAcceptor(StreamConfig config, int localFlags) {
        this.config = new StreamConfig(Objects.requireNonNull(config, "config"));
        this.localFlags = localFlags & 0xFF;
    }

    /**
     * Creates the connection for an S_OPEN carrying {@code peerWindowUnits}, {@code peerIsn} and
     * {@code peerFlags}; its answering S_OPEN goes out on its first {@link StreamConnection#transmit}.
     * Retransmitted copies of the same S_OPEN belong to {@link StreamConnection#onOpen} of the
     * connection returned here (the glue finds it by remote address and link id, DECISIONS 23).
     */
    public StreamConnection accept(long nowNanos, int peerWindowUnits, int peerIsn, int peerFlags) {
        return StreamConnection.accept(config, nowNanos, peerWindowUnits, peerIsn, peerFlags, localFlags);
    }

    /**
     * Refuses an S_OPEN (nothing listens on its port, or the backlog is full): emits
     * S_CLOSE(reason 01, ISN = seq = the opener's ISN). The opener recognises its own ISN and fails
     * its connect with {@link StreamException.Kind#REFUSED}. The same form, with a reason of 02 or 03,
     * answers an S_OPEN that arrives for a link id no longer known.
     */
    public static void refuse(StreamSink sink, int peerIsn) {
        sink.sendClose(StreamConnection.REASON_REFUSED, peerIsn, peerIsn);
    }

    /** The config accepted connections are created with (a private copy). */
    public StreamConfig config() {
        return new StreamConfig(config);
    }
}
