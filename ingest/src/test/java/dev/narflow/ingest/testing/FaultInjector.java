package dev.narflow.ingest.testing;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Faults the test upstream of {@link NixCacheFixture} injects into its next responses for URLs
 * ending in a suffix. These are faults a file:// cache written by real Nix cannot show by itself
 * (a flaky or stalling server); everything about the data is real. Each fault applies to the
 * given number of matching requests, then the request is served normally.
 */
public final class FaultInjector {
  /** What happens to a matching request. */
  enum Kind { STATUS, STALL_BEFORE_HEADERS, STALL_BODY, TRUNCATE_BODY }

  /** One armed fault; {@code bytes} is where a body stalls or ends (-1: half of it). */
  record Fault(Kind kind, String suffix, AtomicInteger remaining, int status, int retryAfterSeconds, long bytes) {}

  private final List<Fault> faults = new CopyOnWriteArrayList<>();

  FaultInjector() {}

  /** The next {@code times} requests answer {@code status} with a short body. */
  public FaultInjector failNext(String pathSuffix, int status, int times) {
    return failNext(pathSuffix, status, times, -1);
  }

  /** Same, with a {@code Retry-After: <seconds>} header (e.g. 429 or 503). */
  public FaultInjector failNext(String pathSuffix, int status, int times, int retryAfterSeconds) {
    return add(new Fault(Kind.STATUS, pathSuffix, new AtomicInteger(times), status, retryAfterSeconds, 0));
  }

  /** The next request gets its headers and half of its body, then nothing until the fixture closes. */
  public FaultInjector stall(String pathSuffix) {
    return stallAfter(pathSuffix, -1, 1);
  }

  /** The next {@code times} requests stall after {@code bytes} of body (-1: half). */
  public FaultInjector stallAfter(String pathSuffix, long bytes, int times) {
    return add(new Fault(Kind.STALL_BODY, pathSuffix, new AtomicInteger(times), 200, -1, bytes));
  }

  /** The next {@code times} requests get no response headers at all until the fixture closes. */
  public FaultInjector stallBeforeHeaders(String pathSuffix, int times) {
    return add(new Fault(Kind.STALL_BEFORE_HEADERS, pathSuffix, new AtomicInteger(times), 0, -1, 0));
  }

  /**
   * The next request announces its full Content-Length but the connection closes after
   * {@code bytes} of body (-1: half): a network truncation, not a truncated file.
   */
  public FaultInjector truncate(String pathSuffix, long bytes) {
    return truncate(pathSuffix, bytes, 1);
  }

  public FaultInjector truncate(String pathSuffix, long bytes, int times) {
    return add(new Fault(Kind.TRUNCATE_BODY, pathSuffix, new AtomicInteger(times), 200, -1, bytes));
  }

  /** Disarms every fault. */
  public void clear() {
    faults.clear();
  }

  private FaultInjector add(Fault f) {
    if (f.remaining().get() < 1) throw new IllegalArgumentException("times must be at least 1");
    faults.add(f);
    return this;
  }

  /** The fault for this request, if one is armed for its path; consumes one use. */
  Fault take(String path) {
    for (Fault f : faults) {
      if (path.endsWith(f.suffix())) {
        int left = f.remaining().getAndDecrement();
        if (left > 0) return f;
        faults.remove(f);
      }
    }
    return null;
  }
}
