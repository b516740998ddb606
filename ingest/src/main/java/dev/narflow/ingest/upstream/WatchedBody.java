package dev.narflow.ingest.upstream;

import dev.narflow.topics.v1.FetchFailure.Reason;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.time.Duration;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * An HTTP response body with an idle timeout: a read that has waited longer than the timeout
 * for data is aborted by closing the body from the watchdog thread (the JDK client's stream has
 * no read timeout of its own; closing it wakes the blocked reader). Every failure comes out as a
 * {@link FetchException}: TIMEOUT after an abort, UPSTREAM_ERROR (retryable) for a broken
 * connection or a body shorter than its Content-Length.
 */
final class WatchedBody extends BulkInputStream {
  private static final long MIN_CHECK_NANOS = TimeUnit.MILLISECONDS.toNanos(10);

  private final InputStream body;
  private final URI uri;
  private final long contentLength;
  private final long idleNanos;
  private final ScheduledFuture<?> check;
  private final int status;

  private volatile long readStartedNanos;
  private volatile boolean reading;
  private volatile boolean timedOut;
  private volatile boolean closed;
  private long count;

  /** {@code contentLength} is -1 when the response did not say. */
  WatchedBody(InputStream body, URI uri, int status, long contentLength, Duration idleTimeout,
      ScheduledExecutorService timer) {
    this.body = body;
    this.uri = uri;
    this.status = status;
    this.contentLength = contentLength;
    this.idleNanos = idleTimeout.toNanos();
    long period = Math.max(MIN_CHECK_NANOS, idleNanos / 4);
    this.check = timer.scheduleWithFixedDelay(this::abortIfStalled, period, period, TimeUnit.NANOSECONDS);
  }

  private void abortIfStalled() {
    if (reading && System.nanoTime() - readStartedNanos > idleNanos) {
      timedOut = true;
      check.cancel(false);
      try {
        body.close();
      } catch (IOException | RuntimeException ignored) {
        // the reader sees the abort either way
      }
    }
  }

  /** Bytes received so far. */
  long count() {
    return count;
  }

  @Override
  public int read(byte[] b, int off, int len) throws FetchException {
    if (len == 0) return 0;
    if (closed) throw new FetchException(Reason.UPSTREAM_ERROR, status, true, uri + ": body closed (download cancelled)");
    int n;
    readStartedNanos = System.nanoTime();
    reading = true;
    try {
      n = body.read(b, off, len);
    } catch (IOException e) {
      throw failure(e);
    } finally {
      reading = false;
    }
    if (timedOut) throw failure(null);
    if (n < 0) {
      if (contentLength >= 0 && count < contentLength) {
        throw new FetchException(Reason.UPSTREAM_ERROR, status, true, uri + ": connection closed after "
            + count + " of " + contentLength + " bytes");
      }
      return -1;
    }
    count += n;
    return n;
  }

  private FetchException failure(IOException e) {
    if (timedOut) {
      return new FetchException(Reason.TIMEOUT, status, true, uri + ": no data for "
          + idleNanos / 1_000_000 + " ms after " + count + " bytes (idle timeout)", e);
    }
    return new FetchException(Reason.UPSTREAM_ERROR, status, true, uri + ": reading failed after "
        + count + " bytes: " + e, e);
  }

  /** Closes the body; unread data makes the JDK client drop the connection rather than reuse it. */
  @Override
  public void close() {
    if (closed) return;
    closed = true;
    check.cancel(false);
    try {
      body.close();
    } catch (IOException | RuntimeException ignored) {
      // nothing more to read from it either way
    }
  }
}
