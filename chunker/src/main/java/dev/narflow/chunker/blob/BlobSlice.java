package dev.narflow.chunker.blob;

import dev.narflow.topics.castore.B3Digest;
import java.util.Objects;

/** Bytes {@code [from, to)} of blob {@code digest} of {@code size} bytes: what a reader needs of it. */
public record BlobSlice(B3Digest digest, long size, long from, long to) {
  public BlobSlice {
    Objects.requireNonNull(digest, "digest");
    if (from < 0 || from > to || to > size) {
      throw new IllegalArgumentException(
          "slice [" + from + ", " + to + ") of blob " + digest.hex() + " of " + size + " bytes");
    }
  }

  public static BlobSlice whole(B3Digest digest, long size) {
    return new BlobSlice(digest, size, 0, size);
  }
}
