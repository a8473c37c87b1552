package org.anode.nio;

import java.io.IOException;
import java.net.SocketException;
import java.net.SocketOption;
import java.net.StandardSocketOptions;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.NetworkChannel;
import java.util.Objects;
import java.util.Set;

/**
 * The socket option checks of the Anode channels (datagrams, draft 4.2.10; streams, draft section
 * 5) and of their {@code java.net} socket adaptors, written once so that every channel and adaptor
 * rejects the same bad input with the same typed error as the JDK's own: an unsupported option is
 * an {@link UnsupportedOperationException}, a value of the wrong type or out of range an
 * {@link IllegalArgumentException}, an operation on a closed adaptor a {@link SocketException}.
 *
 * <p>What an option does stays with each channel; only the checks live here.
 */
final class SocketOptionChecks {
    private SocketOptionChecks() {}

    // ------------------------------------------------------------------ channels

    /** {@code getOption}: a null name is a {@link NullPointerException}, an unknown one unsupported. */
    static void checkSupported(Set<SocketOption<?>> supported, SocketOption<?> name) {
        Objects.requireNonNull(name, "name");
        if (!supported.contains(name)) {
            throw new UnsupportedOperationException("'" + name + "' not supported");
        }
    }

    /**
     * {@code setOption}: as {@link #checkSupported}, and the value must be of the option's type.
     * Null is refused except for {@code SO_LINGER}, where (as in the JDK) it turns linger off.
     */
    static void checkSettable(Set<SocketOption<?>> supported, SocketOption<?> name, Object value) {
        checkSupported(supported, name);
        if (value == null
                ? name != StandardSocketOptions.SO_LINGER
                : !name.type().isInstance(value)) {
            throw new IllegalArgumentException("Invalid value '" + value + "'");
        }
    }

    /**
     * An {@code SO_SNDBUF} or {@code SO_RCVBUF} value: negative sizes are refused, as the JDK's
     * channels refuse them; each channel then clamps the size to what it can use.
     */
    static int bufferSize(Object value) {
        int v = (Integer) value;
        if (v < 0) {
            throw new IllegalArgumentException("Invalid send/receive buffer size");
        }
        return v;
    }

    /** An {@code IP_TOS} value: one octet. */
    static int trafficClass(Object value) {
        int v = (Integer) value;
        if (v < 0 || v > 255) {
            throw new IllegalArgumentException("Invalid IP_TOS value");
        }
        return v;
    }

    // ------------------------------------------------------------------ socket adaptors

    /** The {@link SocketException} a {@code java.net} socket throws for a channel's failure. */
    static SocketException socketException(IOException e) {
        if (e instanceof SocketException s) {
            return s;
        }
        if (e instanceof ClosedChannelException) {
            return new SocketException("Socket is closed");
        }
        SocketException s = new SocketException(e.getMessage());
        s.initCause(e);
        return s;
    }

    /** Sets a channel option on behalf of an adaptor's setter. */
    static <T> void set(NetworkChannel ch, SocketOption<T> name, T value) throws SocketException {
        try {
            ch.setOption(name, value);
        } catch (IOException e) {
            throw socketException(e);
        }
    }

    /** Reads a channel option on behalf of an adaptor's getter. */
    static <T> T get(NetworkChannel ch, SocketOption<T> name) throws SocketException {
        try {
            return ch.getOption(name);
        } catch (IOException e) {
            throw socketException(e);
        }
    }

    /**
     * A {@code setSendBufferSize}/{@code setReceiveBufferSize} argument: unlike the channel option,
     * the {@code java.net} setters refuse zero too.
     */
    static int adaptorBufferSize(int size, String which) {
        if (size <= 0) {
            throw new IllegalArgumentException("Invalid " + which + " size");
        }
        return size;
    }

    /** A {@code setTrafficClass} argument. */
    static int adaptorTrafficClass(int tc) {
        if (tc < 0 || tc > 255) {
            throw new IllegalArgumentException("tc is not in range 0 -- 255");
        }
        return tc;
    }

    /** An adaptor's open check, for the options it keeps itself ({@code SO_TIMEOUT}). */
    static void checkOpen(boolean closed) throws SocketException {
        if (closed) {
            throw new SocketException("Socket is closed");
        }
    }

    /** A {@code setSoTimeout} argument of an open adaptor. */
    static int soTimeout(boolean closed, int timeout) throws SocketException {
        checkOpen(closed);
        if (timeout < 0) {
            throw new IllegalArgumentException("timeout < 0");
        }
        return timeout;
    }
}
