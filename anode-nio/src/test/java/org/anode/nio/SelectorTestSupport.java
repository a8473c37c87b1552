package org.anode.nio;

import java.io.IOException;
import java.net.ProtocolFamily;
import java.nio.channels.DatagramChannel;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.channels.spi.SelectorProvider;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/** Shared helpers for the selector and pipe tests: a provider without a node, and bounded waits. */
final class SelectorTestSupport {
    /** Upper bound for any single blocking step in these tests. */
    static final long STEP_SECONDS = 10;

    private SelectorTestSupport() {}

    /**
     * A node stand-in that records which channel kind and family the provider asked for, and hands
     * out JDK channels (unbound, so no port is used) as the result.
     */
    static final class RecordingNodeChannels implements NodeChannels {
        final List<String> calls = Collections.synchronizedList(new ArrayList<>());

        @Override
        public DatagramChannel openDatagramChannel(AnodeSelectorProvider p, ProtocolFamily family) throws IOException {
            calls.add("datagram:" + family);
            return SelectorProvider.provider().openDatagramChannel();
        }

        @Override
        public SocketChannel openSocketChannel(AnodeSelectorProvider p, ProtocolFamily family) throws IOException {
            calls.add("socket:" + family);
            return SelectorProvider.provider().openSocketChannel();
        }

        @Override
        public ServerSocketChannel openServerSocketChannel(AnodeSelectorProvider p, ProtocolFamily family)
                throws IOException {
            calls.add("server:" + family);
            return SelectorProvider.provider().openServerSocketChannel();
        }
    }

    static AnodeSelectorProvider provider() {
        return new AnodeSelectorProvider(new RecordingNodeChannels());
    }

    /** A started daemon thread computing {@code body}; read the result with {@link #get}. */
    static <T> Background<T> background(String name, Callable<T> body) {
        FutureTask<T> task = new FutureTask<>(body);
        Thread t = new Thread(task, name);
        t.setDaemon(true);
        t.start();
        return new Background<>(t, task);
    }

    /** True when the thread's top frame is a native method of the JDK's selector implementation. */
    static boolean inNativeSelect(Thread t) {
        StackTraceElement[] st = t.getStackTrace();
        return st.length > 0 && st[0].isNativeMethod() && st[0].getClassName().startsWith("sun.nio.ch.");
    }

    record Background<T>(Thread thread, FutureTask<T> task) {
        T get() throws Exception {
            try {
                return task.get(STEP_SECONDS, TimeUnit.SECONDS);
            } catch (ExecutionException e) {
                if (e.getCause() instanceof Exception ex) {
                    throw ex;
                }
                throw e;
            }
        }

        boolean isDone() {
            return task.isDone();
        }

        /**
         * Waits (bounded) until the thread is parked or waiting, or (a selector holding JDK channels)
         * blocked in the JDK selector's native wait, i.e. actually blocked.
         */
        void awaitBlocked() throws InterruptedException, TimeoutException {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(STEP_SECONDS);
            while (System.nanoTime() < deadline) {
                Thread.State s = thread.getState();
                if (s == Thread.State.WAITING || s == Thread.State.TIMED_WAITING) {
                    return;
                }
                if (s == Thread.State.RUNNABLE && inNativeSelect(thread)) {
                    return;
                }
                if (task.isDone()) {
                    return;
                }
                Thread.sleep(1);
            }
            throw new TimeoutException("thread never blocked: " + thread.getState());
        }

        /** True when the task is still running after blocking and a grace period. */
        boolean stillBlockedAfter(long millis) throws InterruptedException, TimeoutException {
            awaitBlocked();
            Thread.sleep(millis);
            return !task.isDone();
        }
    }
}
