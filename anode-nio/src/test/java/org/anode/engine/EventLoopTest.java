package org.anode.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The event loop: tasks in order, timers by deadline, cancellation, and the loop role. */
@Timeout(30)
class EventLoopTest {
    @Test
    void tasksRunInOrderAndTimersByDeadline() throws Exception {
        EventLoop loop = new EventLoop("test-loop");
        loop.start();
        try {
            List<String> seen = new CopyOnWriteArrayList<>();
            CountDownLatch done = new CountDownLatch(1);
            loop.schedule(TimeUnit.MILLISECONDS.toNanos(60), () -> {
                seen.add("t60");
                done.countDown();
            });
            EventLoop.Timer cancelled = loop.schedule(TimeUnit.MILLISECONDS.toNanos(30), () -> seen.add("cancelled"));
            loop.schedule(TimeUnit.MILLISECONDS.toNanos(20), () -> seen.add("t20"));
            for (int i = 0; i < 5; i++) {
                int n = i;
                loop.execute(() -> seen.add("task" + n));
            }
            cancelled.cancel();
            assertTrue(done.await(10, TimeUnit.SECONDS));
            assertEquals(List.of("task0", "task1", "task2", "task3", "task4", "t20", "t60"), seen);
            assertEquals(Boolean.TRUE, loop.submit(loop::inLoop).get(5, TimeUnit.SECONDS));
            assertFalse(loop.inLoop());
        } finally {
            loop.close();
        }
        assertFalse(loop.isRunning());
    }

    @Test
    void cancelledTimersDoNotAccumulateInTheHeap() throws Exception {
        // L2: re-arming a deadline (cancel, schedule again) must not grow the heap without bound.
        EventLoop loop = new EventLoop("test-loop");
        loop.start();
        try {
            long hour = TimeUnit.HOURS.toNanos(1);
            CountDownLatch fired = new CountDownLatch(1);
            int maxHeap = loop.submit(() -> {
                        EventLoop.Timer keep = loop.schedule(hour, () -> {});
                        loop.schedule(TimeUnit.MILLISECONDS.toNanos(20), fired::countDown);
                        int max = 0;
                        for (int i = 0; i < 100_000; i++) {
                            loop.schedule(hour + i, () -> {}).cancel();
                            max = Math.max(max, loop.timerHeapSize());
                        }
                        assertFalse(keep.isCancelled());
                        return max;
                    })
                    .get(20, TimeUnit.SECONDS);
            assertTrue(maxHeap <= 200, "heap grew to " + maxHeap + " timers");
            // Timers cancelled from another thread (as channels do) are purged too.
            List<EventLoop.Timer> far = new java.util.ArrayList<>();
            for (int i = 0; i < 10_000; i++) {
                far.add(loop.schedule(hour, () -> {}));
            }
            int before = loop.submit(loop::timerHeapSize).get(5, TimeUnit.SECONDS);
            assertTrue(before >= 10_002, before + " timers");
            for (EventLoop.Timer t : far) {
                t.cancel();
            }
            loop.schedule(hour, () -> {}); // the purge runs as the loop next adds a timer
            int after = loop.submit(loop::timerHeapSize).get(5, TimeUnit.SECONDS);
            assertTrue(after <= 10, after + " timers left");
            // The live timers survive the purges.
            assertTrue(fired.await(10, TimeUnit.SECONDS));
        } finally {
            loop.close();
        }
    }

    @Test
    void anErrorInATaskStopsTheLoopAndRunsTheFailureHandler() throws Exception {
        // L3: the loop must not die silently.
        EventLoop loop = new EventLoop("test-loop");
        java.util.concurrent.CompletableFuture<Throwable> reported = new java.util.concurrent.CompletableFuture<>();
        loop.setFailureHandler(reported::complete);
        loop.start();
        try {
            Error boom = new Error("test: handler failure");
            loop.execute(() -> {
                throw boom;
            });
            assertEquals(boom, reported.get(10, TimeUnit.SECONDS));
            assertFalse(loop.isRunning());
            assertTrue(loop.isTerminated());
            assertFalse(loop.tryEnter());
        } finally {
            loop.close();
        }
    }

    @Test
    void aFailureReportedByALoopHolderStopsTheLoop() throws Exception {
        EventLoop loop = new EventLoop("test-loop");
        java.util.concurrent.CompletableFuture<Throwable> reported = new java.util.concurrent.CompletableFuture<>();
        loop.setFailureHandler(reported::complete);
        loop.start();
        try {
            long deadline = System.nanoTime() + 5_000_000_000L;
            boolean entered = false;
            while (!entered && System.nanoTime() < deadline) {
                entered = loop.tryEnter();
            }
            assertTrue(entered);
            Error boom = new StackOverflowError("test");
            try {
                loop.fail(boom);
            } finally {
                loop.exit();
            }
            assertEquals(boom, reported.get(10, TimeUnit.SECONDS));
            assertFalse(loop.isRunning());
        } finally {
            loop.close();
        }
    }

    @Test
    void aThreadHoldingTheLoopExcludesTheLoopThreadAndWakesItForNewWork() throws Exception {
        EventLoop loop = new EventLoop("test-loop");
        loop.start();
        try {
            Thread.sleep(20); // let the loop fall asleep in select
            long deadline = System.nanoTime() + 5_000_000_000L;
            boolean entered = false;
            while (!entered && System.nanoTime() < deadline) {
                entered = loop.tryEnter();
            }
            assertTrue(entered);
            CountDownLatch ran = new CountDownLatch(1);
            try {
                assertTrue(loop.inLoop());
                // Work queued while holding the loop must not run concurrently with us...
                loop.execute(ran::countDown);
                loop.schedule(0, () -> {});
                assertFalse(ran.await(50, TimeUnit.MILLISECONDS), "loop thread is excluded while we hold the loop");
            } finally {
                loop.exit();
            }
            // ...and must run soon after we let go, although the loop thread was asleep in select.
            assertTrue(ran.await(5, TimeUnit.SECONDS));
        } finally {
            loop.close();
        }
        assertFalse(loop.tryEnter(), "a closed loop cannot be entered");
    }
}
