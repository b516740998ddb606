package dev.narflow.chunker.codec;

import java.io.IOException;

/**
 * A stored zstd frame that does not decode to exactly the expected number of bytes: malformed,
 * truncated, larger or smaller than expected, or declaring another content size.
 */
public final class CorruptFrameException extends IOException {
  public CorruptFrameException(String message) {
    super(message);
  }

  public CorruptFrameException(String message, Throwable cause) {
    super(message, cause);
  }
}
