package org.anode.nio;

import java.net.SocketOption;

/**
 * Socket options of Anode stream channels beyond {@link java.net.StandardSocketOptions} (draft
 * section 5 has no timeouts; these are ours). Both are in milliseconds, like Linux's
 * {@code TCP_USER_TIMEOUT}, and may be set before or after connecting.
 */
public final class AnodeSocketOptions {
    /**
     * The user timeout ({@code TCP_USER_TIMEOUT}): how long data we sent may stay unacknowledged
     * with nothing at all heard from the peer before the connection fails with "Connection timed
     * out" (default 120000; positive). There is no retry count: retransmission goes on, at most
     * five seconds apart, until then.
     */
    public static final SocketOption<Integer> USER_TIMEOUT = new Option("ANODE_USER_TIMEOUT");

    /**
     * How long an application waiting to read may go without hearing from its peer before the
     * connection fails with "Connection timed out" (default 30000; 0 turns it off). Probes are sent
     * only while a read waits and the peer is silent; unlike TCP, where a dead process's kernel
     * closes the connection for it, nobody speaks for a dead Anode node.
     */
    public static final SocketOption<Integer> PEER_SILENCE_TIMEOUT = new Option("ANODE_PEER_SILENCE_TIMEOUT");

    private AnodeSocketOptions() {}

    private static final class Option implements SocketOption<Integer> {
        private final String name;

        Option(String name) {
            this.name = name;
        }

        @Override
        public String name() {
            return name;
        }

        @Override
        public Class<Integer> type() {
            return Integer.class;
        }

        @Override
        public String toString() {
            return name;
        }
    }
}
