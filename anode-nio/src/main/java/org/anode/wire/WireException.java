package org.anode.wire;

/**
 * Bytes received from the network are not a valid Anode packet, message, endpoint or frame
 * (draft sections 2.9, 2.10, 3, 4, 5). Checked on purpose: every decoder that reads untrusted
 * input declares it, so a caller cannot forget that a peer may send garbage. The message says
 * what was wrong and where. Such packets are dropped silently on the wire; the exception exists so
 * that callers and tests can tell why.
 */
public final class WireException extends Exception {
    private static final long serialVersionUID = 1L;

    public WireException(String message) {
        super(message);
    }

    public WireException(String message, Throwable cause) {
        super(message, cause);
    }
}
