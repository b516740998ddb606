package dev.narflow.chunker.blob;

import dev.narflow.topics.castore.B3Digest;
import java.io.IOException;

/** A blob the tree names cannot be read: neither a blob index nor a chunk of its digest is stored. */
public final class BlobNotFoundException extends IOException {
  private final B3Digest digest;

  public BlobNotFoundException(B3Digest digest, long size, String location, Throwable cause) {
    super("blob " + digest.hex() + " (" + size + " bytes) not found: no blob index and no chunk "
        + "of that digest in " + location, cause);
    this.digest = digest;
  }

  public B3Digest digest() {
    return digest;
  }
}
