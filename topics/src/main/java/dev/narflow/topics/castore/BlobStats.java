package dev.narflow.topics.castore;

import dev.narflow.topics.castore.v1.StatBlobResponse;
import dev.narflow.topics.castore.v1.StatBlobResponse.ChunkMeta;
import java.util.List;

/** Rules for {@link StatBlobResponse}, the chunk list of a blob. */
public final class BlobStats {
  private BlobStats() {}

  /**
   * Checks that every chunk has a 32-byte digest and a non-zero size, and that the sizes add up
   * without overflowing uint64; returns {@code stat}.
   *
   * @throws IllegalArgumentException naming the chunk index and the rule
   */
  public static StatBlobResponse validate(StatBlobResponse stat) {
    totalSize(stat);
    return stat;
  }

  /** The blob's length: the sum of its chunks' sizes (unsigned), after checking each chunk. */
  public static long totalSize(StatBlobResponse stat) {
    List<ChunkMeta> chunks = stat.getChunksList();
    long total = 0;
    for (int i = 0; i < chunks.size(); i++) {
      ChunkMeta chunk = chunks.get(i);
      if (chunk.getDigest().size() != B3Digest.SIZE) {
        throw new IllegalArgumentException("chunk #" + i + ": digest must be " + B3Digest.SIZE
            + " bytes, got " + chunk.getDigest().size());
      }
      if (chunk.getSize() == 0) throw new IllegalArgumentException("chunk #" + i + ": size is 0");
      long sum = total + chunk.getSize();
      if (Long.compareUnsigned(sum, total) < 0) {
        throw new IllegalArgumentException("chunk #" + i + ": blob size overflows uint64");
      }
      total = sum;
    }
    return total;
  }
}
