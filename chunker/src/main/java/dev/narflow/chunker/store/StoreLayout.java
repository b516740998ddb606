package dev.narflow.chunker.store;

import dev.narflow.topics.castore.B3Digest;

/**
 * snix's object-store key layout: {@code chunks/b3/<hex of the first 2 digest bytes>/<hex digest>}
 * for zstd-compressed chunks and {@code blobs/b3/<..>/<hex digest>} for the encoded {@code
 * StatBlobResponse} of a multi-chunk blob. The two-byte fan-out keeps directories (and S3 listing
 * prefixes) small.
 */
public final class StoreLayout {
  private StoreLayout() {}

  public static String chunkKey(B3Digest digest) {
    return key("chunks/b3/", digest);
  }

  public static String blobIndexKey(B3Digest digest) {
    return key("blobs/b3/", digest);
  }

  private static String key(String prefix, B3Digest digest) {
    String hex = digest.hex();
    return prefix + hex.substring(0, 4) + '/' + hex;
  }
}
