package dev.narflow.chunker.blob;

import java.io.Closeable;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.PriorityQueue;
import java.util.Set;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Runs the store fetches of every render of one server on one set of threads within one memory
 * budget, so that memory is bounded by the server, not by its number of clients (a window of its
 * own per render made 1,000 clients want 16 GB).
 *
 * <p><b>Budget.</b> Each fetch says how many bytes its result holds (a chunk's size; 0 for a blob
 * index lookup). Those bytes are reserved when the fetch is started and stay reserved until its
 * render {@linkplain Pending#release() releases} it (after writing it out) or closes its {@link
 * Session}: the sum never exceeds {@link Limits#maxBytes}, except that a single fetch larger than
 * the whole budget may run when nothing else is reserved. A quarter of the budget is kept for the
 * fetches renders are waiting for, so that read-ahead of renders whose clients are slow cannot
 * starve the rest.
 *
 * <p><b>Order.</b> A session's fetches start in the order their render needs them (the {@code
 * order} given to {@link Session#submit}), not the order they were queued: a blob-index lookup
 * queued ahead never delays the chunk the render writes next. Across sessions:
 * <ol>
 *   <li>a session with nothing fetched or being fetched for its reader (a new render, or one that
 *       caught up) goes first, oldest turn first, and may use the whole budget and every thread;
 *   <li>read-ahead goes round-robin by fetch, each session within an equal share of the
 *       read-ahead budget, on all threads but one while several sessions run (the one left over
 *       is for the first kind).
 * </ol>
 * So one huge NAR cannot starve small ones: a small render gets every other fetch at worst.
 *
 * <p><b>Closing.</b> Waits are interruptible ({@link InterruptedIOException}). {@link #close()}
 * fails every fetch not yet done with an IOException, and every later submit; fetches running
 * finish in the background (a store call is not interrupted). Thread-safe.
 */
public final class ChunkFetcher implements Closeable {
  /**
   * @param threads store calls at once
   * @param maxBytes bytes of fetch results reserved at once (see the class comment)
   */
  public record Limits(int threads, long maxBytes) {
    public Limits {
      if (threads < 1 || maxBytes < 1) {
        throw new IllegalArgumentException("invalid fetch limits: " + threads + " threads, " + maxBytes + " bytes");
      }
    }
  }

  /** Told of every store call the fetcher makes, on the thread that made it. */
  @FunctionalInterface
  public interface Observer {
    Observer NONE = (nanos, failed) -> {};

    void fetched(long nanos, boolean failed);
  }

  /** A store call. */
  @FunctionalInterface
  public interface Fetch<T> {
    T run() throws IOException;
  }

  private enum State { QUEUED, RUNNING, DONE, RELEASED }

  private final Limits limits;
  private final long aheadBytes; // what read-ahead may reserve in all
  private final Observer observer;
  private final ReentrantLock lock = new ReentrantLock();
  private final Condition work = lock.newCondition();
  private final List<Session> sessions = new ArrayList<>();
  private final List<Thread> workers = new ArrayList<>();
  private int urgentCursor;
  private int aheadCursor;
  private long reserved;
  private int runningAhead;
  private long sequence;
  private boolean closed;

  private ChunkFetcher(Limits limits, Observer observer, String name) {
    this.limits = limits;
    this.aheadBytes = Math.max(1, limits.maxBytes() - limits.maxBytes() / 4);
    this.observer = observer;
    for (int i = 0; i < limits.threads(); i++) {
      Thread t = new Thread(this::work, name + "-" + (i + 1));
      t.setDaemon(true);
      workers.add(t);
    }
    workers.forEach(Thread::start);
  }

  /** A fetcher with its own threads, named {@code name-N}. */
  public static ChunkFetcher start(Limits limits, Observer observer, String name) {
    return new ChunkFetcher(Objects.requireNonNull(limits, "limits"), Objects.requireNonNull(observer, "observer"),
        Objects.requireNonNull(name, "name"));
  }

  public static ChunkFetcher start(Limits limits) {
    return start(limits, Observer.NONE, "chunk-fetch");
  }

  public Limits limits() {
    return limits;
  }

  /** Bytes reserved now: results fetched or being fetched and not yet released. */
  public long bytesReserved() {
    lock.lock();
    try {
      return reserved;
    } finally {
      lock.unlock();
    }
  }

  /** Sessions open now. */
  public int sessions() {
    lock.lock();
    try {
      return sessions.size();
    } finally {
      lock.unlock();
    }
  }

  /** A session for one render (one reader thread). */
  public Session open() throws IOException {
    lock.lock();
    try {
      if (closed) throw closedException();
      Session s = new Session();
      sessions.add(s);
      return s;
    } finally {
      lock.unlock();
    }
  }

  /**
   * Fails every fetch not done yet and every later one; lets running store calls finish on their
   * threads, which then stop.
   */
  @Override
  public void close() {
    List<Pending<?>> failed = new ArrayList<>();
    lock.lock();
    try {
      if (closed) return;
      closed = true;
      for (Session s : sessions) {
        failed.addAll(s.queue);
        s.queue.clear();
        for (Pending<?> p : s.admitted) if (p.state == State.RUNNING) failed.add(p);
      }
      work.signalAll();
    } finally {
      lock.unlock();
    }
    IOException e = closedException();
    for (Pending<?> p : failed) p.result.completeExceptionally(e);
  }

  private static IOException closedException() {
    return new IOException("chunk fetcher closed: the server is stopping");
  }

  /** The fetches of one render. Its reader may call it from one thread; closing is safe from any. */
  public final class Session implements Closeable {
    private final PriorityQueue<Pending<?>> queue = new PriorityQueue<>(
        Comparator.<Pending<?>>comparingLong(p -> p.order).thenComparingLong(p -> p.sequence));
    private final Set<Pending<?>> admitted = new HashSet<>(); // started, not released
    private long ahead; // bytes started that the reader has not got yet
    private int running;
    private boolean sessionClosed;

    private Session() {}

    /**
     * Queues a store call whose result holds {@code bytes} of memory until released; of a
     * session's calls, the lowest {@code order} starts first.
     *
     * @throws IOException if the fetcher or the session is closed
     */
    public <T> Pending<T> submit(long order, int bytes, Fetch<T> fetch) throws IOException {
      if (bytes < 0) throw new IllegalArgumentException("negative size " + bytes);
      Objects.requireNonNull(fetch, "fetch");
      lock.lock();
      try {
        if (closed) throw closedException();
        if (sessionClosed) throw new IOException("render closed");
        Pending<T> p = new Pending<>(this, order, sequence++, bytes, fetch);
        queue.add(p);
        work.signal();
        return p;
      } finally {
        lock.unlock();
      }
    }

    /** Drops what is queued and releases what is reserved, now (a fetch running: when it returns). */
    @Override
    public void close() {
      List<Pending<?>> dropped;
      lock.lock();
      try {
        if (sessionClosed) return;
        sessionClosed = true;
        int at = sessions.indexOf(this);
        sessions.remove(at);
        if (urgentCursor > at) urgentCursor--;
        if (aheadCursor > at) aheadCursor--;
        dropped = new ArrayList<>(queue);
        queue.clear();
        for (Pending<?> p : dropped) p.state = State.RELEASED;
        for (Pending<?> p : new ArrayList<>(admitted)) releaseLocked(p);
        work.signalAll();
      } finally {
        lock.unlock();
      }
      for (Pending<?> p : dropped) p.result.cancel(false);
    }

    /** Nothing fetched or being fetched that the reader has not got: it waits on what is next. */
    private boolean waiting() {
      return ahead == 0 && running == 0;
    }
  }

  /** One store call of a session, and its result. */
  public final class Pending<T> {
    private final Session session;
    private final long order;
    private final long sequence;
    private final int bytes;
    private final Fetch<T> fetch;
    private final CompletableFuture<T> result = new CompletableFuture<>();
    private State state = State.QUEUED;
    private boolean urgent; // started for a waiting session (not counted as read-ahead)
    private boolean got;

    private Pending(Session session, long order, long sequence, int bytes, Fetch<T> fetch) {
      this.session = session;
      this.order = order;
      this.sequence = sequence;
      this.bytes = bytes;
      this.fetch = fetch;
    }

    public boolean isDone() {
      return result.isDone();
    }

    /**
     * The result, waiting for it if need be. Its bytes stay reserved until {@link #release()}.
     *
     * @throws InterruptedIOException if interrupted while waiting
     * @throws IOException the store call's, or if the fetcher or the session closed first
     */
    public T get() throws IOException {
      T value;
      try {
        value = result.get();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new InterruptedIOException("interrupted while waiting for a chunk");
      } catch (CancellationException e) {
        throw new IOException("render closed while waiting for a chunk", e);
      } catch (ExecutionException e) {
        throw BlobWriter.rethrow(e.getCause());
      }
      lock.lock();
      try {
        if (!got) {
          got = true;
          if (state == State.RUNNING || state == State.DONE) {
            session.ahead -= bytes;
            work.signal(); // the session may have room in its share again, or be waiting
          }
        }
      } finally {
        lock.unlock();
      }
      return value;
    }

    /** The reader is done with the result: its bytes are free for other fetches. */
    public void release() {
      lock.lock();
      try {
        if (state == State.QUEUED) {
          session.queue.remove(this);
          state = State.RELEASED;
        } else {
          releaseLocked(this);
        }
        work.signal();
      } finally {
        lock.unlock();
      }
      result.cancel(false); // no effect once done
    }
  }

  /** Releases a started fetch: now if done, when its store call returns if running. */
  private void releaseLocked(Pending<?> p) {
    if (p.state == State.RELEASED || p.state == State.QUEUED) return;
    if (!p.got) p.session.ahead -= p.bytes;
    p.got = true; // nothing more to take off the session's read-ahead
    // Done: its bytes are free now. Running: the worker sees it released and frees them when it returns.
    if (p.state == State.DONE) reserved -= p.bytes;
    p.session.admitted.remove(p);
    p.state = State.RELEASED;
  }

  private void work() {
    while (true) {
      Pending<?> p = null;
      lock.lock();
      try {
        while (!closed && (p = next()) == null) work.awaitUninterruptibly();
        if (closed) return;
        work.signal(); // another fetch may be able to start too
      } finally {
        lock.unlock();
      }
      run(p);
    }
  }

  private <T> void run(Pending<T> p) {
    long started = System.nanoTime();
    T value = null;
    Throwable failure = null;
    try {
      value = p.fetch.run();
    } catch (Throwable t) {
      failure = t;
    }
    try {
      observer.fetched(System.nanoTime() - started, failure != null);
    } catch (RuntimeException e) {
      // metrics must never cost a fetch thread (the renders waiting on it would hang)
    }
    lock.lock();
    try {
      p.session.running--;
      if (!p.urgent) runningAhead--;
      if (p.state == State.RELEASED) {
        reserved -= p.bytes; // its session let it go while it ran
      } else {
        p.state = State.DONE;
      }
      work.signalAll(); // a thread is free, and maybe bytes
    } finally {
      lock.unlock();
    }
    if (failure == null) {
      p.result.complete(value);
    } else {
      p.result.completeExceptionally(failure);
    }
  }

  /** The next fetch to start, marked started; null when none may start now. Under the lock. */
  private Pending<?> next() {
    int n = sessions.size();
    if (n == 0) return null;
    // 1. A waiting session's next fetch, in turn; if the one whose turn it is does not fit, nothing
    //    starts until it does (else a large chunk could wait forever behind smaller ones).
    for (int i = 0; i < n; i++) {
      int at = (urgentCursor + i) % n;
      Session s = sessions.get(at);
      Pending<?> head = s.queue.peek();
      if (head == null || !s.waiting()) continue;
      if (reserved > 0 && reserved + head.bytes > limits.maxBytes()) return null;
      urgentCursor = (at + 1) % n;
      return start(s, true);
    }
    // 2. Read-ahead, round-robin, each session within its share.
    int aheadThreads = n > 1 && limits.threads() > 1 ? limits.threads() - 1 : limits.threads();
    if (runningAhead >= aheadThreads) return null;
    long share = Math.max(1, aheadBytes / n);
    for (int i = 0; i < n; i++) {
      int at = (aheadCursor + i) % n;
      Session s = sessions.get(at);
      Pending<?> head = s.queue.peek();
      if (head == null) continue;
      if (reserved + head.bytes > aheadBytes || s.ahead + head.bytes > share) continue;
      aheadCursor = (at + 1) % n;
      return start(s, false);
    }
    return null;
  }

  private Pending<?> start(Session s, boolean urgent) {
    Pending<?> p = s.queue.poll();
    p.state = State.RUNNING;
    p.urgent = urgent;
    s.admitted.add(p);
    s.ahead += p.bytes;
    s.running++;
    reserved += p.bytes;
    if (!urgent) runningAhead++;
    return p;
  }
}
