package dev.narflow.ingest.upstream;

import dev.narflow.topics.v1.FetchFailure.Reason;

/**
 * Told of every HTTP request an {@link UpstreamClient} sends, retries included, for metrics.
 * Called on the requesting thread once the response headers arrived or the request failed:
 * implementations must be thread-safe and quick, and must not throw.
 */
public interface UpstreamObserver {
  /** What a request asked for: a label with few values, not the URL. */
  enum Request {
    CACHE_INFO("nix-cache-info"),
    NARINFO("narinfo"),
    NAR("nar");

    private final String label;

    Request(String label) {
      this.label = label;
    }

    /** The name metrics use for it. */
    public String label() {
      return label;
    }
  }

  /**
   * The upstream answered with {@code status} after {@code nanos} (the time to the response
   * headers: a NAR's body streams afterwards, for as long as it takes).
   */
  default void responded(Request request, int status, long nanos) {}

  /**
   * No response came: {@code reason} is {@link Reason#TIMEOUT} (connecting or waiting for the
   * headers) or {@link Reason#UPSTREAM_ERROR} (refused, reset, TLS, …), after {@code nanos}.
   */
  default void noResponse(Request request, Reason reason, long nanos) {}

  /** An observer that does nothing. */
  UpstreamObserver NONE = new UpstreamObserver() {};
}
