package dev.narflow.chunker.store;

import dev.narflow.topics.castore.B3Digest;
import java.io.IOException;

/** A chunk that should be in the store is not. */
public final class ChunkNotFoundException extends IOException {
  private final B3Digest digest;

  public ChunkNotFoundException(B3Digest digest, String key, String location) {
    super("chunk " + digest.hex() + " not found (no object " + key + " in " + location + ")");
    this.digest = digest;
  }

  private ChunkNotFoundException(ChunkNotFoundException shared) {
    super(shared.getMessage(), shared);
    this.digest = shared.digest;
  }

  /** The same failure for another caller that waited on the read that found it: its own object, this as cause. */
  public ChunkNotFoundException forAnotherReader() {
    return new ChunkNotFoundException(this);
  }

  public B3Digest digest() {
    return digest;
  }
}
