package dev.narflow.ingest.upstream;

import dev.narflow.topics.v1.FetchFailure;
import java.io.IOException;
import java.time.Duration;
import java.util.Objects;

/**
 * A fetch from an upstream binary cache that did not succeed, classified for the worker: the
 * {@link FetchFailure.Reason} that goes to {@code narflow.failures}, the HTTP status of the
 * failing response (0 when there was none), and whether trying again may help.
 */
public final class FetchException extends IOException {
  private static final long serialVersionUID = 1L;

  private final FetchFailure.Reason reason;
  private final int upstreamStatus;
  private final boolean retryable;
  /** How long the upstream asked us to wait (Retry-After), or null. */
  private final Duration retryAfter;

  public FetchException(FetchFailure.Reason reason, int upstreamStatus, boolean retryable, String message) {
    this(reason, upstreamStatus, retryable, message, null);
  }

  public FetchException(FetchFailure.Reason reason, int upstreamStatus, boolean retryable, String message,
      Throwable cause) {
    this(reason, upstreamStatus, retryable, message, cause, null);
  }

  FetchException(FetchFailure.Reason reason, int upstreamStatus, boolean retryable, String message,
      Throwable cause, Duration retryAfter) {
    super(message, cause);
    this.reason = Objects.requireNonNull(reason, "reason");
    this.upstreamStatus = upstreamStatus;
    this.retryable = retryable;
    this.retryAfter = retryAfter;
  }

  public FetchFailure.Reason reason() {
    return reason;
  }

  /** The HTTP status of the response that failed; 0 when there was none (connection, timeout, data). */
  public int upstreamStatus() {
    return upstreamStatus;
  }

  /** True for transient failures (5xx, 429, timeouts, resets, truncated transfers). */
  public boolean retryable() {
    return retryable;
  }

  /** The delay the upstream asked for in {@code Retry-After}, or null. */
  public Duration retryAfter() {
    return retryAfter;
  }
}
