package dev.narflow.chunker.blob;

import dev.narflow.topics.castore.B3Digest;
import java.util.Objects;

/**
 * One chunk of a blob, placed: bytes {@code [offset, offset + size)} of blob {@code blob} are the
 * chunk {@code digest}.
 */
public record BlobChunk(B3Digest blob, long offset, B3Digest digest, int size) {
  public BlobChunk {
    Objects.requireNonNull(blob, "blob");
    Objects.requireNonNull(digest, "digest");
    if (offset < 0 || size <= 0) {
      throw new IllegalArgumentException("chunk at " + offset + " of " + size + " bytes");
    }
  }

  /** Where the chunk ends in the blob. */
  public long end() {
    return offset + size;
  }
}
