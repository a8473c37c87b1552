package org.anode.engine;

import java.io.IOException;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.SelectableChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.util.Iterator;
import java.util.PriorityQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The node's single I/O thread (the thin I/O layer under the sans-I/O {@link Engine}): one JDK
 * {@link Selector} over the node's UDP sockets (draft 2.9.1), a task queue and a timer heap.
 *
 * <p>Threading model: everything the engine owns that is not explicitly thread-safe is touched
 * only while holding the loop (the {@link #inLoop()} state): by the loop thread for tasks, timers
 * and I/O, or - while the loop thread sleeps in {@code select} - by an application thread that
 * waits for input and drives the node's I/O itself ({@link #tryEnter()}), which saves the
 * hand-off between threads on a request/response path. Holders are mutually exclusive, so code
 * running "on the loop" needs no other lock. Other threads hand work over with {@link #execute} or
 * {@link #schedule}; both are thread-safe and coalesce selector wake-ups. Handlers and tasks must
 * not block.
 */
public final class EventLoop implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(EventLoop.class.getName());

    /** Readiness callback of a transport socket (draft 2.9) registered with the loop; runs on the loop thread. */
    @FunctionalInterface
    public interface IoHandler {
        /** Called when the key is ready; exceptions are logged, never propagated. */
        void ready(SelectionKey key) throws IOException;
    }

    /**
     * A scheduled task: ping deadlines (draft 4.2.2), and the few loop timers through which the
     * stream layer's own deadline heap (one per node, holding every connection's next deadline,
     * draft 5) is driven. {@link #cancel()} is thread-safe and idempotent. A cancelled timer is
     * counted, and the heap is purged of cancelled timers once they are half of it, so code that
     * re-arms a deadline often (cancel, schedule again) cannot grow the heap without bound.
     */
    public static final class Timer implements Comparable<Timer> {
        private static final java.lang.invoke.VarHandle CANCELLED;

        static {
            try {
                CANCELLED =
                        java.lang.invoke.MethodHandles.lookup().findVarHandle(Timer.class, "cancelled", boolean.class);
            } catch (ReflectiveOperationException e) {
                throw new ExceptionInInitializerError(e);
            }
        }

        private final EventLoop loop;
        private final long deadline;
        private final long seq;
        private final Runnable task;
        private volatile boolean cancelled;
        /** Set (on the loop) once the timer left the heap: a later cancel has nothing to purge. */
        private volatile boolean done;

        private Timer(EventLoop loop, long deadline, long seq, Runnable task) {
            this.loop = loop;
            this.deadline = deadline;
            this.seq = seq;
            this.task = task;
        }

        /** Prevents the task from running if it has not started yet. */
        public void cancel() {
            if (CANCELLED.compareAndSet(this, false, true) && !done) {
                loop.cancelledTimers.incrementAndGet();
            }
        }

        public boolean isCancelled() {
            return cancelled;
        }

        @Override
        public int compareTo(Timer o) {
            int c = Long.compare(deadline - o.deadline, 0);
            return c != 0 ? c : Long.compare(seq, o.seq);
        }
    }

    private final Selector selector;
    private final Thread thread;
    private final ConcurrentLinkedQueue<Runnable> tasks = new ConcurrentLinkedQueue<>();
    private final PriorityQueue<Timer> timers = new PriorityQueue<>();
    /** Cancelled timers (probably) still in the heap; an estimate, reset by each purge. */
    private final java.util.concurrent.atomic.AtomicInteger cancelledTimers =
            new java.util.concurrent.atomic.AtomicInteger();
    /** Below this heap size a purge is not worth it: the dead timers cost next to nothing. */
    private static final int PURGE_MIN_HEAP = 64;
    /** Called on the loop thread once the loop has stopped because something it ran threw. */
    private volatile java.util.function.Consumer<Throwable> failureHandler;
    /** A failure reported by a thread that held the loop ({@link #fail}). */
    private volatile Throwable failure;

    private final AtomicLong timerSeq = new AtomicLong();
    /** True while the loop may be blocked in select and nobody has woken it yet. */
    private final AtomicBoolean sleeping = new AtomicBoolean();

    private final CompletableFuture<Void> terminated = new CompletableFuture<>();
    private volatile boolean running = true;
    /** Held by whoever runs loop work: the loop thread, or an application thread in {@link #tryEnter}. */
    private final java.util.concurrent.locks.ReentrantLock loopLock = new java.util.concurrent.locks.ReentrantLock();
    /** Head of the timer heap when an application thread entered (to notice a new earlier timer). */
    private Timer headAtEnter;

    /** Opens the selector and creates (but does not start) the thread. */
    public EventLoop(String threadName) throws IOException {
        this.selector = Selector.open();
        this.thread = new Thread(this::run, threadName);
        this.thread.setDaemon(true);
    }

    /** Starts the loop thread. */
    public void start() {
        thread.start();
    }

    /** True while the current thread holds the loop (the loop thread at work, or {@link #tryEnter}). */
    public boolean inLoop() {
        return loopLock.isHeldByCurrentThread();
    }

    /**
     * Lets the calling thread hold the loop if nobody does (the loop thread is asleep in select or
     * between rounds): it may then run loop work, such as polling a transport, until {@link #exit()}.
     * Never blocks.
     *
     * @return true if the loop is now held by this thread
     */
    public boolean tryEnter() {
        if (!running || !loopLock.tryLock()) {
            return false;
        }
        headAtEnter = timers.peek();
        return true;
    }

    /** Releases the loop taken with {@link #tryEnter()}, waking the loop thread if work was queued. */
    public void exit() {
        boolean wake = !tasks.isEmpty() || timers.peek() != headAtEnter;
        loopLock.unlock();
        if (wake) {
            wakeup();
        }
    }

    /** True once the loop thread has finished (or the loop was closed before it started). */
    public boolean isTerminated() {
        return terminated.isDone();
    }

    /** True until {@link #close()} was called. */
    public boolean isRunning() {
        return running;
    }

    /** The monotonic clock the engine runs on. */
    public long nanoTime() {
        return System.nanoTime();
    }

    /**
     * Runs {@code task} on the loop thread, after tasks queued earlier. Thread-safe. Tasks queued
     * after {@link #close()} are dropped (the node is gone; callers check the node state).
     */
    public void execute(Runnable task) {
        tasks.add(task);
        if (!inLoop()) {
            wakeup();
        }
    }

    /**
     * Runs {@code task} on the loop thread and returns its result. If the loop stops before the
     * task ran (closed, or failed), the future completes with an {@link IllegalStateException}
     * rather than never.
     */
    public <T> CompletableFuture<T> submit(java.util.concurrent.Callable<T> task) {
        CompletableFuture<T> f = new CompletableFuture<>();
        execute(new Submitted(f) {
            @Override
            public void run() {
                try {
                    f.complete(task.call());
                } catch (Throwable t) {
                    f.completeExceptionally(t);
                }
            }
        });
        if (!running) {
            f.completeExceptionally(new IllegalStateException("event loop closed"));
        }
        return f;
    }

    /** A task whose caller waits on a future: failed, not forgotten, if the loop stops first. */
    private abstract static class Submitted implements Runnable {
        final CompletableFuture<?> future;

        Submitted(CompletableFuture<?> future) {
            this.future = future;
        }
    }

    /** Runs {@code task} on the loop thread after {@code delayNanos}. Thread-safe. */
    public Timer schedule(long delayNanos, Runnable task) {
        Timer t = new Timer(this, nanoTime() + Math.max(0, delayNanos), timerSeq.incrementAndGet(), task);
        if (inLoop()) {
            addTimer(t);
        } else {
            execute(() -> addTimer(t));
        }
        return t;
    }

    private void addTimer(Timer t) {
        if (t.cancelled) {
            // Cancelled before it reached the heap: it never enters, so it no longer counts.
            t.done = true;
            cancelledTimers.decrementAndGet();
            return;
        }
        timers.add(t);
        purgeIfMostlyCancelled();
    }

    /** Drops cancelled timers once they are at least half the heap (amortised O(1) per cancel). */
    private void purgeIfMostlyCancelled() {
        int n = timers.size();
        if (n >= PURGE_MIN_HEAP && cancelledTimers.get() * 2 >= n) {
            cancelledTimers.set(0);
            timers.removeIf(t -> {
                if (t.cancelled) {
                    t.done = true;
                    return true;
                }
                return false;
            });
        }
    }

    /** Timers in the heap, cancelled ones included (for tests); loop holders only. */
    int timerHeapSize() {
        return timers.size();
    }

    /**
     * Sets what runs when the loop stops because a task, timer or I/O handler threw something it
     * does not survive (an {@link Error}, or a failure reported with {@link #fail}): called once,
     * on the loop thread, after the loop has stopped and released everything. The node closes
     * itself there, so that callers see closed channels instead of waiting forever on a dead loop.
     */
    public void setFailureHandler(java.util.function.Consumer<Throwable> handler) {
        this.failureHandler = handler;
    }

    /**
     * For a thread that holds the loop ({@link #tryEnter()}) and caught an {@link Error} from loop
     * work: stops the loop as if the loop thread itself had failed (logged, failure handler run).
     */
    public void fail(Throwable t) {
        if (failure == null) {
            failure = t;
        }
        running = false;
        selector.wakeup();
    }

    /** Registers a channel with the loop's selector; loop thread only. */
    public SelectionKey register(SelectableChannel ch, int ops, IoHandler handler) throws ClosedChannelException {
        if (!inLoop()) {
            throw new IllegalStateException("register must run on the event loop thread");
        }
        return ch.register(selector, ops, handler);
    }

    private void wakeup() {
        if (sleeping.compareAndSet(true, false)) {
            selector.wakeup();
        }
    }

    private void run() {
        Throwable died = null;
        try {
            while (running) {
                long timeoutMillis;
                acquire();
                try {
                    runTasks();
                    timeoutMillis = runTimers(nanoTime());
                } finally {
                    loopLock.unlock();
                }
                if (!running) {
                    break;
                }
                sleeping.set(true);
                int n;
                if (!tasks.isEmpty()) {
                    sleeping.set(false);
                    n = selector.selectNow();
                } else if (timeoutMillis < 0) {
                    n = selector.select();
                } else {
                    n = selector.select(Math.max(1, timeoutMillis));
                }
                sleeping.set(false);
                if (n > 0) {
                    acquire();
                    try {
                        processKeys();
                    } finally {
                        loopLock.unlock();
                    }
                }
            }
        } catch (Throwable t) {
            died = t;
        } finally {
            running = false;
            try {
                selector.close();
            } catch (IOException e) {
                LOG.log(System.Logger.Level.DEBUG, "closing the selector", e);
            }
            loopLock.lock();
            try {
                Runnable r;
                while ((r = tasks.poll()) != null) {
                    if (r instanceof Submitted sub) {
                        sub.future.completeExceptionally(new IllegalStateException("event loop closed"));
                    }
                }
                timers.clear();
            } finally {
                loopLock.unlock();
            }
            terminated.complete(null);
            Throwable f = died != null ? died : failure;
            if (f != null) {
                reportFailure(f);
            }
        }
    }

    private void reportFailure(Throwable f) {
        LOG.log(System.Logger.Level.ERROR, "event loop " + thread.getName() + " failed; stopping it", f);
        java.util.function.Consumer<Throwable> h = failureHandler;
        if (h != null) {
            try {
                h.accept(f);
            } catch (Throwable t) {
                LOG.log(System.Logger.Level.ERROR, "event loop failure handler failed", t);
            }
        }
    }

    /**
     * Takes the loop for the loop thread. It never queues on the lock: while an application thread
     * holds the loop it is reading the very sockets that woke us, and releasing a queued lock
     * would cost that thread an unpark on its latency-critical path. So poll briefly instead.
     */
    private void acquire() {
        while (!loopLock.tryLock()) {
            java.util.concurrent.locks.LockSupport.parkNanos(20_000);
        }
    }

    private void processKeys() {
        Iterator<SelectionKey> it = selector.selectedKeys().iterator();
        while (it.hasNext()) {
            SelectionKey k = it.next();
            it.remove();
            if (!k.isValid()) {
                continue;
            }
            try {
                ((IoHandler) k.attachment()).ready(k);
            } catch (IOException | RuntimeException e) {
                LOG.log(System.Logger.Level.WARNING, "I/O handler failed", e);
            }
        }
    }

    private void runTasks() {
        // Bounded per round so that timers and I/O are never starved by a flood of tasks.
        for (int i = 0; i < 4096; i++) {
            Runnable r = tasks.poll();
            if (r == null) {
                return;
            }
            try {
                r.run();
            } catch (RuntimeException e) {
                LOG.log(System.Logger.Level.WARNING, "event loop task failed", e);
            }
        }
    }

    /** Runs due timers; returns milliseconds until the next one, or -1 if there is none. */
    private long runTimers(long now) {
        while (true) {
            Timer t = timers.peek();
            if (t == null) {
                return -1;
            }
            if (t.cancelled) {
                timers.poll();
                t.done = true;
                cancelledTimers.decrementAndGet();
                continue;
            }
            long wait = t.deadline - now;
            if (wait > 0) {
                return TimeUnit.NANOSECONDS.toMillis(wait + 999_999);
            }
            timers.poll();
            t.done = true;
            try {
                t.task.run();
            } catch (RuntimeException e) {
                LOG.log(System.Logger.Level.WARNING, "timer task failed", e);
            }
        }
    }

    /**
     * Stops the loop and closes its selector (not the channels registered with it). Waits for the
     * thread to finish unless called on the loop thread itself.
     */
    @Override
    public void close() {
        running = false;
        selector.wakeup();
        if (!inLoop() && thread.isAlive()) {
            try {
                terminated.get(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (Exception e) {
                LOG.log(System.Logger.Level.WARNING, "event loop did not stop within 10 s", e);
            }
        } else if (!thread.isAlive() && thread.getState() == Thread.State.NEW) {
            try {
                selector.close();
            } catch (IOException e) {
                LOG.log(System.Logger.Level.DEBUG, "closing the selector", e);
            }
            terminated.complete(null);
        }
    }
}
