package dev.narflow.chunker.blob;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.narflow.chunker.cdc.FastCdc;
import dev.narflow.chunker.store.ChunkNotFoundException;
import dev.narflow.chunker.store.ChunkStore;
import dev.narflow.topics.castore.B3Digest;
import dev.narflow.topics.castore.BlobStats;
import dev.narflow.topics.castore.v1.StatBlobResponse;
import dev.narflow.topics.castore.v1.StatBlobResponse.ChunkMeta;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** Where a blob's bytes are: the chunk list of its blob index, or the blob itself as one chunk. */
public final class ChunkLists {
  private ChunkLists() {}

  /**
   * The chunks of blob {@code digest} of {@code size} bytes, in order: from its stored blob index
   * if it has one, else the blob as its own single chunk (not checked to exist here).
   *
   * @throws IOException if the index is malformed or its chunks do not add up to {@code size}, or
   *     if a blob too large for one chunk (more than FastCDC's largest maximum) has no index
   */
  public static List<BlobChunk> resolve(ChunkStore store, B3Digest digest, long size)
      throws IOException {
    if (size < 0) throw new IllegalArgumentException("negative size " + size + " of blob " + digest.hex());
    if (size == 0) return List.of();
    Optional<byte[]> encoded = store.getBlobIndex(digest);
    if (encoded.isEmpty()) {
      // No FastCDC chunk exceeds MAXIMUM_MAX: a larger blob has several chunks, so its index is
      // what is missing (rather than a chunk the store would refuse to read at that size).
      if (size > FastCdc.MAXIMUM_MAX) {
        throw new BlobNotFoundException(digest, size, store.location(),
            new IOException("a blob of more than " + FastCdc.MAXIMUM_MAX
                + " bytes has several chunks, but it has no blob index"));
      }
      return List.of(new BlobChunk(digest, 0, digest, (int) size));
    }
    StatBlobResponse stat;
    try {
      stat = StatBlobResponse.parseFrom(encoded.get());
    } catch (InvalidProtocolBufferException e) {
      throw new IOException("blob index of " + digest.hex() + " in " + store.location()
          + " is not a StatBlobResponse: " + e.getMessage(), e);
    }
    return fromIndex(digest, size, stat, store.location());
  }

  /**
   * A blob's chunk list, and whether it is only a guess (a blob taken to be its own single chunk
   * because nothing lists its chunks; see {@link #fetch}).
   */
  record Resolved(List<BlobChunk> chunks, boolean guessed) {}

  /**
   * The chunks of blob {@code digest} from {@code index} when it lists them; else the blob as its
   * own single chunk, a guess checked when the chunk is fetched, as long as it can be one; else
   * (no lookup, or a blob larger than any chunk) from the store's blob index.
   */
  static Resolved resolve(ChunkStore store, BlobIndexLookup index, B3Digest digest, long size)
      throws IOException {
    if (index == null || size == 0) return new Resolved(resolve(store, digest, size), false);
    StatBlobResponse stat = index.get(digest);
    if (stat != null) return new Resolved(fromIndex(digest, size, stat, "the index"), false);
    if (size <= FastCdc.MAXIMUM_MAX) {
      return new Resolved(List.of(new BlobChunk(digest, 0, digest, (int) size)), true);
    }
    return new Resolved(resolve(store, digest, size), false);
  }

  /** The chunks a blob index lists, checked against the blob's size. */
  public static List<BlobChunk> fromIndex(B3Digest digest, long size, StatBlobResponse stat,
      String where) throws IOException {
    long total;
    try {
      total = BlobStats.totalSize(stat);
    } catch (IllegalArgumentException e) {
      throw new IOException("blob index of " + digest.hex() + " in " + where + ": " + e.getMessage(), e);
    }
    if (total != size) {
      throw new IOException("blob " + digest.hex() + " is " + size + " bytes, but the chunks of its "
          + "index in " + where + " add up to " + Long.toUnsignedString(total));
    }
    List<BlobChunk> chunks = new ArrayList<>(stat.getChunksCount());
    long offset = 0;
    for (ChunkMeta meta : stat.getChunksList()) {
      if (meta.getSize() > Integer.MAX_VALUE) {
        throw new IOException("blob index of " + digest.hex() + " in " + where + " lists a chunk of "
            + Long.toUnsignedString(meta.getSize()) + " bytes");
      }
      chunks.add(new BlobChunk(digest, offset, B3Digest.of(meta.getDigest()), (int) meta.getSize()));
      offset += meta.getSize();
    }
    return chunks;
  }

  /**
   * The bytes of {@code chunk}. A chunk guessed to be a whole small blob (see {@link
   * ChunkPrefetcher}) that is not stored is looked up through the blob's index instead, in case
   * another writer cut it smaller.
   */
  static byte[] fetch(ChunkStore store, BlobChunk chunk, boolean guessed) throws IOException {
    try {
      return store.getChunk(chunk.digest(), chunk.size());
    } catch (ChunkNotFoundException e) {
      if (!guessed) throw e;
      List<BlobChunk> parts = partsOf(store, chunk, e);
      byte[] whole = new byte[chunk.size()];
      for (BlobChunk part : parts) {
        byte[] bytes = store.getChunk(part.digest(), part.size());
        System.arraycopy(bytes, 0, whole, (int) part.offset(), part.size());
      }
      return whole;
    }
  }

  /**
   * As {@link #fetch}, as zstd: the chunk's stored frame, or for a guessed blob that turned out to
   * have several chunks, their frames one after another (concatenated frames are one stream).
   */
  static byte[] fetchFrame(ChunkStore store, BlobChunk chunk, boolean guessed) throws IOException {
    try {
      return store.getChunkFrame(chunk.digest(), chunk.size());
    } catch (ChunkNotFoundException e) {
      if (!guessed) throw e;
      ByteArrayOutputStream frames = new ByteArrayOutputStream();
      for (BlobChunk part : partsOf(store, chunk, e)) frames.write(store.getChunkFrame(part.digest(), part.size()));
      return frames.toByteArray();
    }
  }

  /** The chunks of a guessed single-chunk blob that is not stored as one chunk. */
  private static List<BlobChunk> partsOf(ChunkStore store, BlobChunk chunk, ChunkNotFoundException e)
      throws IOException {
    try {
      Optional<byte[]> index = store.getBlobIndex(chunk.blob());
      if (index.isEmpty()) throw new BlobNotFoundException(chunk.blob(), chunk.size(), store.location(), e);
      return fromIndex(chunk.blob(), chunk.size(), StatBlobResponse.parseFrom(index.get()), store.location());
    } catch (InvalidProtocolBufferException bad) {
      throw new IOException("blob index of " + chunk.blob().hex() + " in " + store.location()
          + " is not a StatBlobResponse: " + bad.getMessage(), bad);
    }
  }
}
