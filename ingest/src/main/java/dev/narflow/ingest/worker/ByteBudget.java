package dev.narflow.ingest.worker;

import java.util.ArrayDeque;

/**
 * The NAR bytes a worker downloads and imports at once: a path's NarSize is taken before its NAR
 * is opened and given back when it is done. Many small paths run side by side (latency-bound),
 * big ones few (throughput-bound). A path larger than the whole budget still runs, alone. Waiters
 * are served in arrival order, so a big NAR is not starved by a stream of small ones.
 */
final class ByteBudget {
  private final long limit;
  private final ArrayDeque<Object> waiters = new ArrayDeque<>();
  private long used;

  ByteBudget(long limit) {
    if (limit < 1) throw new IllegalArgumentException("byte budget must be positive, got " + limit);
    this.limit = limit;
  }

  /** Waits until {@code bytes} fit (or nothing else runs), then takes them. */
  synchronized void acquire(long bytes) throws InterruptedException {
    if (bytes < 0) throw new IllegalArgumentException("negative size " + bytes);
    Object me = new Object();
    waiters.addLast(me);
    try {
      while (waiters.peekFirst() != me || (used > 0 && used + bytes > limit)) wait();
      used += bytes;
    } finally {
      waiters.remove(me);
      notifyAll(); // the next waiter may fit too
    }
  }

  /**
   * Takes {@code bytes} at once, even past the limit: for what a finished path holds until its
   * transaction commits (its index records), taken by the poll thread, which must never wait.
   * NARs that start later wait until the commit gives it back.
   */
  synchronized void charge(long bytes) {
    if (bytes < 0) throw new IllegalArgumentException("negative size " + bytes);
    used += bytes;
  }

  synchronized void release(long bytes) {
    used -= bytes;
    if (used < 0) throw new IllegalStateException("byte budget released more than it gave: " + used);
    notifyAll();
  }

  /** Paths waiting for room. */
  synchronized int waiting() {
    return waiters.size();
  }

  synchronized long used() {
    return used;
  }
}
