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
                loop.schedule(0, () -> { });
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
