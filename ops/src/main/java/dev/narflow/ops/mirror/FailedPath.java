package dev.narflow.ops.mirror;

import dev.narflow.topics.v1.FetchFailure;
import java.util.Objects;

/**
 * A path that could not be mirrored, as the operator is told about it.
 *
 * @param storePath the full {@code /nix/store/…} path
 * @param upstreamStatus the failing upstream response's HTTP status, 0 when there was none
 * @param message what went wrong, one line; may be empty
 */
public record FailedPath(String storePath, FetchFailure.Reason reason, int upstreamStatus, String message) {
  public FailedPath {
    Objects.requireNonNull(storePath, "storePath");
    Objects.requireNonNull(reason, "reason");
    message = message == null ? "" : message.strip().replace('\n', ' ');
  }

  /** {@code /nix/store/…-foo: NOT_FOUND (upstream status 404): no narinfo at …}. */
  public String describe() {
    return storePath + ": " + reason
        + (upstreamStatus > 0 ? " (upstream status " + upstreamStatus + ")" : "")
        + (message.isEmpty() ? "" : ": " + message);
  }
}
