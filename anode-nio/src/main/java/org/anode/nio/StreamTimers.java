package org.anode.nio;

import java.util.ArrayList;
import java.util.function.Consumer;
import org.anode.engine.EventLoop;
import org.anode.stream.StreamConnection;

/**
 * The timers of a node's stream connections (draft section 5: retransmission, delayed ACK, pacing,
 * persist, keepalive, close and time-wait deadlines, DECISIONS 24-26): one indexed binary min-heap of
 * links keyed by their next deadline, driven by a few event-loop timers.
 *
 * <p>Why not one event-loop timer per connection: a connection's deadline moves all the time (every
 * packet re-arms a retransmission or delayed-ACK deadline in front of a keepalive or idle-release one),
 * and a cancelled event-loop timer stays in the loop's heap until its own deadline - a chatty
 * connection would leave thousands behind. Here a deadline change is an O(log n) update in place, and
 * the loop only holds timers for the earliest deadlines: at most {@link #MAX_PENDING} of them, kept
 * rather than cancelled when an earlier one is added (a later one that fires finds nothing due and
 * costs one idle wake-up), so cancelled timers are rare.
 *
 * <p>Threading: {@link #set} is called by whichever thread holds the link's lock (the event loop or
 * an application thread); the heap is guarded by this object's monitor, which is never held while a
 * link's lock is taken. Due links are handed to the fire callback on the event-loop thread, outside
 * the monitor.
 */
final class StreamTimers {
    /** Event-loop timers kept for the earliest deadlines. */
    static final int MAX_PENDING = 4;

    private static final long NONE = StreamConnection.NO_TIMEOUT;

    private final EventLoop loop;
    private final Consumer<StreamLink> fire;
    private StreamLink[] heap = new StreamLink[16];
    private int size;
    private final long[] pendingAt = new long[MAX_PENDING];
    private final EventLoop.Timer[] pendingTimer = new EventLoop.Timer[MAX_PENDING];
    private int pendingCount;

    StreamTimers(EventLoop loop, Consumer<StreamLink> fire) {
        this.loop = loop;
        this.fire = fire;
    }

    /** Sets (or with {@link StreamConnection#NO_TIMEOUT} clears) a link's deadline. */
    synchronized void set(StreamLink l, long deadline) {
        if (deadline == NONE) {
            if (l.heapIndex >= 0) {
                removeAt(l.heapIndex);
            }
            l.timerAt = NONE;
            return;
        }
        if (l.heapIndex >= 0) {
            if (l.timerAt == deadline) {
                return;
            }
            long old = l.timerAt;
            l.timerAt = deadline;
            if (deadline - old < 0) {
                siftUp(l.heapIndex);
            } else {
                siftDown(l.heapIndex);
            }
        } else {
            if (size == heap.length) {
                heap = java.util.Arrays.copyOf(heap, size * 2);
            }
            l.timerAt = deadline;
            l.heapIndex = size;
            heap[size++] = l;
            siftUp(l.heapIndex);
        }
        arm();
    }

    /** Links with a deadline (tests and statistics). */
    synchronized int size() {
        return size;
    }

    /** Event-loop timers currently held. */
    synchronized int pendingLoopTimers() {
        return pendingCount;
    }

    /** Makes sure an event-loop timer fires at or before the earliest deadline; monitor held. */
    private void arm() {
        if (size == 0) {
            return;
        }
        long head = heap[0].timerAt;
        for (int i = 0; i < pendingCount; i++) {
            if (pendingAt[i] - head <= 0) {
                return;
            }
        }
        if (pendingCount == MAX_PENDING) {
            int latest = 0;
            for (int i = 1; i < pendingCount; i++) {
                if (pendingAt[i] - pendingAt[latest] > 0) {
                    latest = i;
                }
            }
            pendingTimer[latest].cancel();
            removePending(latest);
        }
        pendingAt[pendingCount] = head;
        pendingTimer[pendingCount] = loop.schedule(head - System.nanoTime(), new Tick(head));
        pendingCount++;
    }

    private void removePending(int i) {
        pendingCount--;
        pendingAt[i] = pendingAt[pendingCount];
        pendingTimer[i] = pendingTimer[pendingCount];
        pendingTimer[pendingCount] = null;
    }

    /** One event-loop timer; it knows its deadline so that it can forget itself when it runs. */
    private final class Tick implements Runnable {
        private final long at;

        Tick(long at) {
            this.at = at;
        }

        @Override
        public void run() {
            ArrayList<StreamLink> due = null;
            synchronized (StreamTimers.this) {
                for (int i = 0; i < pendingCount; i++) {
                    if (pendingAt[i] == at) {
                        removePending(i);
                        break;
                    }
                }
                long now = System.nanoTime();
                while (size > 0 && heap[0].timerAt - now <= 0) {
                    if (due == null) {
                        due = new ArrayList<>();
                    }
                    StreamLink l = heap[0];
                    removeAt(0);
                    l.timerAt = NONE;
                    due.add(l);
                }
                arm();
            }
            if (due != null) {
                for (StreamLink l : due) {
                    fire.accept(l);
                }
            }
        }
    }

    // ------------------------------------------------------------------ heap

    private void removeAt(int i) {
        StreamLink gone = heap[i];
        size--;
        StreamLink last = heap[size];
        heap[size] = null;
        gone.heapIndex = -1;
        if (i == size) {
            return;
        }
        heap[i] = last;
        last.heapIndex = i;
        siftDown(i);
        siftUp(last.heapIndex);
    }

    private void siftUp(int i) {
        StreamLink x = heap[i];
        while (i > 0) {
            int parent = (i - 1) >>> 1;
            StreamLink p = heap[parent];
            if (p.timerAt - x.timerAt <= 0) {
                break;
            }
            heap[i] = p;
            p.heapIndex = i;
            i = parent;
        }
        heap[i] = x;
        x.heapIndex = i;
    }

    private void siftDown(int i) {
        StreamLink x = heap[i];
        int half = size >>> 1;
        while (i < half) {
            int child = 2 * i + 1;
            StreamLink c = heap[child];
            int right = child + 1;
            if (right < size && heap[right].timerAt - c.timerAt < 0) {
                child = right;
                c = heap[child];
            }
            if (x.timerAt - c.timerAt <= 0) {
                break;
            }
            heap[i] = c;
            c.heapIndex = i;
            i = child;
        }
        heap[i] = x;
        x.heapIndex = i;
    }
}
