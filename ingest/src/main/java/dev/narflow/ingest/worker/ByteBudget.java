package dev.narflow.ingest.worker;

import java.util.ArrayDeque;

/**
 * The NAR bytes a worker downloads and imports at once: a path's NarSize is taken before its NAR
 * is opened and given back when it is done. Many small paths run side by side (latency-bound),
 * big ones few (throughput-bound). Waiters are served in arrival order, so a big NAR is not
 * starved by a stream of small ones.
 *
 * <p>A NAR counts for at most a quarter of the budget, so up to four big ones run at once. One
 * big NAR keeps about one core busy (its xz stream decodes serially) and cannot use the machine
 * alone; made to wait for room until the others had drained, the 1 GB NAR of ops/bench/mirror's
 * big corpus started last and decoded alone, on 1.4 of 2 cores, for the last 17 s of a 45 s
 * mirror (2026-12-06). NARs stream, so the weight bounds work in progress, not memory.
 */
final class ByteBudget {
  /** A NAR weighs at most limit / BIG_NARS_AT_ONCE. */
  static final int BIG_NARS_AT_ONCE = 4;

  private final long limit;
  private final ArrayDeque<Object> waiters = new ArrayDeque<>();
  private long used;

  ByteBudget(long limit) {
    if (limit < 1) throw new IllegalArgumentException("byte budget must be positive, got " + limit);
    this.limit = limit;
  }

  /**
   * Waits until a NAR of {@code narSize} bytes fits, then takes its weight (its size, at most a
   * quarter of the limit); returns the weight, which {@link #release} gives back.
   */
  synchronized long acquireNar(long narSize) throws InterruptedException {
    if (narSize < 0) throw new IllegalArgumentException("negative size " + narSize);
    long weight = Math.min(narSize, Math.max(1, limit / BIG_NARS_AT_ONCE));
    Object me = new Object();
    waiters.addLast(me);
    try {
      while (waiters.peekFirst() != me || (used > 0 && used + weight > limit)) wait();
      used += weight;
      return weight;
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
