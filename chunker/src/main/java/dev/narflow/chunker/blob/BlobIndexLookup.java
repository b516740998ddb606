package dev.narflow.chunker.blob;

import dev.narflow.topics.castore.B3Digest;
import dev.narflow.topics.castore.v1.StatBlobResponse;
import java.io.IOException;
import java.util.Map;

/**
 * Finds the chunk list of a multi-chunk blob without asking the object store: the exporter's
 * views hold every {@code B} record of the index, so a render need not GET {@code blobs/b3/…}.
 */
@FunctionalInterface
public interface BlobIndexLookup {
  /**
   * The blob index of {@code digest}, or null when the lookup has none: a single-chunk blob, or one
   * it does not know (the store is then asked where the blob cannot be a single chunk).
   */
  StatBlobResponse get(B3Digest digest) throws IOException;

  /** Lookups in {@code indexes} (not copied). */
  static BlobIndexLookup of(Map<B3Digest, StatBlobResponse> indexes) {
    return indexes::get;
  }
}
