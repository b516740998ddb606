package dev.narflow.chunker.store;

import dev.narflow.chunker.codec.ZstdChunkCodec;
import dev.narflow.topics.castore.B3Digest;
import java.io.Closeable;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Content-addressed storage of chunks and blob indexes in snix's object-store layout (see {@link
 * StoreLayout}). Chunks are addressed by the BLAKE3 digest of their raw bytes, stored compressed,
 * and verified against that digest on every read: a reader gets the right bytes or an exception,
 * never wrong bytes. Nothing is ever overwritten.
 *
 * <p>Implementations are thread-safe.
 */
public interface ChunkStore extends Closeable {

  /**
   * Stores a chunk unless it is already stored. Skips compression and the upload when the chunk is
   * known or present.
   *
   * @param digest BLAKE3 of {@code data[off, off+len)}; checked before anything is written (a
   *     chunk already known or present is not re-hashed: nothing is written for it)
   * @return true if this call stored the chunk, false if it was already there
   * @throws IllegalArgumentException if the chunk is to be written and {@code digest} is not the
   *     BLAKE3 of the data
   */
  boolean putChunk(B3Digest digest, byte[] data, int off, int len) throws IOException;

  default boolean putChunk(B3Digest digest, byte[] data) throws IOException {
    return putChunk(digest, data, 0, data.length);
  }

  /**
   * Stores a chunk by its content: computes its BLAKE3 digest and stores it unless it is already
   * stored. For writers that have not hashed the chunk yet; the digest is computed once, here,
   * instead of once by the caller and again by {@link #putChunk(B3Digest, byte[], int, int)}'s
   * check.
   *
   * @return the digest, whether this call wrote the chunk, and how many bytes it wrote
   */
  PutChunkResult putChunk(byte[] data, int off, int len) throws IOException;

  /**
   * The raw bytes of a chunk, whose size the caller knows (from the blob's {@code ChunkMeta}, or
   * the file size for a single-chunk blob).
   *
   * @throws ChunkNotFoundException if there is no such chunk
   * @throws CorruptChunkException if the stored object does not decode to {@code size} bytes whose
   *     BLAKE3 is {@code digest}
   */
  byte[] getChunk(B3Digest digest, int size) throws IOException;

  /**
   * A chunk as one zstd frame of its raw bytes, checked like {@link #getChunk} (it decodes to
   * {@code size} bytes whose BLAKE3 is {@code digest}): what a {@code .nar.zst} response sends
   * as it is. This default compresses the raw bytes; a store that keeps frames returns its own.
   */
  default byte[] getChunkFrame(B3Digest digest, int size) throws IOException {
    try (ZstdChunkCodec codec = new ZstdChunkCodec()) {
      return codec.compress(getChunk(digest, size));
    }
  }

  boolean hasChunk(B3Digest digest) throws IOException;

  /** The stored (compressed) object of a chunk, or empty if there is none. */
  Optional<ObjectStat> statChunk(B3Digest digest) throws IOException;

  /**
   * Stores the encoded {@code StatBlobResponse} of a multi-chunk blob unless one is already
   * stored.
   *
   * @return true if this call stored it
   */
  boolean putBlobIndex(B3Digest blobDigest, byte[] encodedStatBlobResponse) throws IOException;

  /**
   * The encoded {@code StatBlobResponse} of a blob, or empty if it has none (a blob of a single
   * chunk has none: its only chunk has the blob's digest).
   */
  Optional<byte[]> getBlobIndex(B3Digest blobDigest) throws IOException;

  boolean hasBlobIndex(B3Digest blobDigest) throws IOException;

  /**
   * Returns once everything this store has put so far is durable: the point after which a writer
   * may publish metadata that refers to the chunks (see {@code NarImporter}). A local directory
   * syncs and publishes its batch of new objects here ({@link LocalDirectoryBackend}); S3 makes
   * each put durable before it returns and has nothing left to do. Callers that never flush still
   * read their own puts, and {@link #close()} flushes a local directory.
   */
  default void flush() throws IOException {}

  /** Where the objects are, for messages and logs. */
  String location();

  /** A store in a local directory (created if missing) with default settings. */
  static ChunkStore localDirectory(Path root) throws IOException {
    return LayoutChunkStore.builder(LocalDirectoryBackend.open(root)).build();
  }

  /** A store in an S3 bucket with default settings; see {@link S3Backend#open}. */
  static ChunkStore s3(S3Config config) throws IOException {
    return LayoutChunkStore.builder(S3Backend.open(config)).build();
  }
}
