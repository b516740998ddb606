package dev.narflow.chunker.nar;

import dev.narflow.topics.castore.B3Digest;
import java.io.IOException;

/** A tree names a Directory the lookup does not have (or has in another form). */
public final class MissingDirectoryException extends IOException {
  private final B3Digest digest;

  public MissingDirectoryException(B3Digest digest, String path, String problem) {
    super("directory " + digest.hex() + " at " + path + ": " + problem);
    this.digest = digest;
  }

  public B3Digest digest() {
    return digest;
  }
}
