package dev.narflow.ingest.upstream;

import dev.narflow.topics.v1.FetchFailure;
import java.io.IOException;
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

  public FetchException(FetchFailure.Reason reason, int upstreamStatus, boolean retryable, String message) {
    this(reason, upstreamStatus, retryable, message, null);
  }

  public FetchException(FetchFailure.Reason reason, int upstreamStatus, boolean retryable, String message,
      Throwable cause) {
    super(message, cause);
    this.reason = Objects.requireNonNull(reason, "reason");
    this.upstreamStatus = upstreamStatus;
    this.retryable = retryable;
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
}
