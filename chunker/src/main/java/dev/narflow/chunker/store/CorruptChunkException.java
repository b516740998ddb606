package dev.narflow.chunker.store;

import dev.narflow.topics.castore.B3Digest;
import java.io.IOException;

/**
 * A stored chunk object that does not hold the chunk its key names: too large, not a valid zstd
 * frame, of the wrong size, or with other content (BLAKE3 mismatch). Never retried silently: the
 * object must be repaired (deleted and written again) by an operator.
 */
public final class CorruptChunkException extends IOException {
  private final B3Digest digest;
  private final String key;

  public CorruptChunkException(B3Digest digest, String key, String location, String problem) {
    this(digest, key, location, problem, null);
  }

  public CorruptChunkException(
      B3Digest digest, String key, String location, String problem, Throwable cause) {
    super("corrupt chunk " + digest.hex() + " (object " + key + " in " + location + "): " + problem,
        cause);
    this.digest = digest;
    this.key = key;
  }

  private CorruptChunkException(CorruptChunkException shared) {
    super(shared.getMessage(), shared);
    this.digest = shared.digest;
    this.key = shared.key;
  }

  /** The same failure for another caller that waited on the read that found it: its own object, this as cause. */
  public CorruptChunkException forAnotherReader() {
    return new CorruptChunkException(this);
  }

  public B3Digest digest() {
    return digest;
  }

  public String key() {
    return key;
  }
}
