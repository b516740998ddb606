package dev.narflow.chunker.store;

import dev.narflow.topics.castore.B3Digest;
import java.util.Objects;

/**
 * What {@link ChunkStore#putChunk(byte[], int, int)} did with a chunk.
 *
 * @param digest the chunk's BLAKE3 digest, its address
 * @param written whether this call stored the chunk (false: it was known or present already)
 * @param storedSize bytes this call wrote to the backend (the compressed object); 0 when not written
 */
public record PutChunkResult(B3Digest digest, boolean written, long storedSize) {
  public PutChunkResult {
    Objects.requireNonNull(digest, "digest");
    if (storedSize < 0 || (!written && storedSize != 0)) {
      throw new IllegalArgumentException(
          "stored size " + storedSize + " for a chunk " + (written ? "" : "not ") + "written");
    }
  }
}
