package org.anode.nio;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.nio.channels.SelectableChannel;
import java.nio.channels.spi.SelectorProvider;

/**
 * Access to the JDK's own NIO implementation ({@code sun.nio.ch}) where no public API exists: the
 * built-in {@link SelectorProvider} once {@code java.nio.channels.spi.SelectorProvider} names ours,
 * and the step that finishes closing a JDK channel after its last selector lets go of it. Both need
 * {@code --add-exports java.base/sun.nio.ch=ALL-UNNAMED} (or {@code =org.anode.nio} on the module
 * path); the classes and methods used are public, so no {@code --add-opens} is needed. Not part of
 * the draft: this is how the java.nio layer (draft sections 4 and 5 over UDP) lives next to IP.
 */
final class JdkChannels {
    /** The flag that makes {@link #builtinProvider()} work, as the README spells it. */
    static final String ADD_EXPORTS = "--add-exports java.base/sun.nio.ch=ALL-UNNAMED";

    private static final MethodHandle KILL = findKill();

    private JdkChannels() {}

    /**
     * The JDK's built-in provider, {@code sun.nio.ch.DefaultSelectorProvider.get()}: there is no
     * public API for it on JDK 17 or 25 once the system property replaces
     * {@link SelectorProvider#provider()} (which would recurse into ours).
     *
     * @throws IllegalStateException naming the missing flag if {@code sun.nio.ch} is not exported to us
     */
    static SelectorProvider builtinProvider() {
        String named = System.getProperty("java.nio.channels.spi.SelectorProvider");
        if (named == null || !named.startsWith("org.anode.")) {
            // Ours is not the system-wide provider (a program using AnodeSystemSelectorProvider.over):
            // the JDK's is simply provider(), and asking for it cannot recurse into ours.
            SelectorProvider p = SelectorProvider.provider();
            if (p.getClass().getName().startsWith("sun.nio.ch.")) {
                return p;
            }
        }
        try {
            Class<?> c = Class.forName("sun.nio.ch.DefaultSelectorProvider");
            return (SelectorProvider) c.getMethod("get").invoke(null);
        } catch (IllegalAccessException | RuntimeException e) {
            throw new IllegalStateException(
                    "the JDK's built-in SelectorProvider is not accessible: start the JVM with " + ADD_EXPORTS, e);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("this JDK has no sun.nio.ch.DefaultSelectorProvider", e);
        }
    }

    private static MethodHandle findKill() {
        try {
            Class<?> c = Class.forName("sun.nio.ch.SelChImpl");
            return MethodHandles.lookup().findVirtual(c, "kill", MethodType.methodType(void.class));
        } catch (ReflectiveOperationException | RuntimeException e) {
            return null;
        }
    }

    /**
     * Finishes the close of a closed JDK channel that no selector holds any more. The JDK defers the
     * close of a registered channel's socket until its own selector drops the last key; a channel also
     * held by our selector may lose its inner key first. Without the export the socket then stays open
     * until the channel object is collected.
     */
    static void finishClose(SelectableChannel ch) {
        if (KILL == null || ch.isOpen() || ch.isRegistered()) {
            return;
        }
        try {
            KILL.invoke(ch);
        } catch (Throwable e) {
            // A channel of another kind, or one already closed: nothing to finish.
        }
    }
}
