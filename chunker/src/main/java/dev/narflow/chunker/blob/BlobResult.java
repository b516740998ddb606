package dev.narflow.chunker.blob;

import dev.narflow.topics.castore.B3Digest;
import dev.narflow.topics.castore.v1.StatBlobResponse;
import dev.narflow.topics.castore.v1.StatBlobResponse.ChunkMeta;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * A blob as {@link BlobWriter} stored it.
 *
 * @param digest BLAKE3 of the whole contents
 * @param size length of the contents
 * @param chunks the chunks in order; one (whose digest is the blob's) for a single-chunk blob, none
 *     for the empty blob
 * @param newChunks how many of the chunks this write stored (the others were stored already)
 * @param newRawBytes uncompressed bytes of those new chunks
 * @param storedBytes bytes written to the store for them (compressed)
 * @param index the blob's {@code StatBlobResponse} when it has more than one chunk (stored with
 *     {@code putBlobIndex}; the index topic wants it too), else empty
 */
public record BlobResult(
    B3Digest digest,
    long size,
    List<ChunkMeta> chunks,
    int newChunks,
    long newRawBytes,
    long storedBytes,
    Optional<StatBlobResponse> index) {

  public BlobResult {
    Objects.requireNonNull(digest, "digest");
    chunks = List.copyOf(chunks);
    Objects.requireNonNull(index, "index");
    if (index.isPresent() != chunks.size() > 1) {
      throw new IllegalArgumentException(
          "a blob index belongs to exactly the blobs of more than one chunk; " + chunks.size() + " chunks");
    }
  }

  /** Number of chunks. */
  public int chunkCount() {
    return chunks.size();
  }
}
