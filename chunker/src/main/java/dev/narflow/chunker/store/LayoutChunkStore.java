package dev.narflow.chunker.store;

import dev.narflow.chunker.codec.CorruptFrameException;
import dev.narflow.chunker.codec.ZstdChunkCodec;
import dev.narflow.chunker.hash.Blake3;
import dev.narflow.topics.castore.B3Digest;
import java.io.IOException;
import java.util.Objects;
import java.util.Optional;

/**
 * The {@link ChunkStore} over any {@link ObjectBackend}: owns the key layout, compression,
 * verification and the known-chunks cache, so that backends stay plain object stores (restic's
 * repository/backend split).
 *
 * <p>Assumes objects are never deleted while it runs: a digest once seen stored is trusted to stay
 * stored. A garbage collector would have to run with writers stopped.
 */
public final class LayoutChunkStore implements ChunkStore {
  /** Chunk sizes beyond this are refused: FastCDC's max is 2 × avg, and avg is far below. */
  public static final int DEFAULT_MAX_CHUNK_SIZE = 16 << 20;
  /** Enough for the index of a blob of ~400 GB at 256 KiB chunks (~40 bytes per chunk). */
  public static final int DEFAULT_MAX_BLOB_INDEX_SIZE = 64 << 20;
  /** About 10 MB of heap; covers ~25 GB of distinct chunks at 256 KiB average. */
  public static final int DEFAULT_KNOWN_CHUNKS = 100_000;

  private final ObjectBackend backend;
  private final ZstdChunkCodec codec;
  private final KnownDigests known;
  private final int maxChunkSize;
  private final int maxBlobIndexSize;

  private LayoutChunkStore(Builder b) {
    this.backend = b.backend;
    this.codec = new ZstdChunkCodec(b.compressionLevel);
    this.known = new KnownDigests(b.knownChunks);
    this.maxChunkSize = b.maxChunkSize;
    this.maxBlobIndexSize = b.maxBlobIndexSize;
  }

  public static Builder builder(ObjectBackend backend) {
    return new Builder(backend);
  }

  @Override
  public boolean putChunk(B3Digest digest, byte[] data, int off, int len) throws IOException {
    Objects.requireNonNull(digest, "digest");
    Objects.checkFromIndexSize(off, len, data.length);
    checkChunkSize(len);
    if (known.contains(digest)) {
      return false;
    }
    String key = StoreLayout.chunkKey(digest);
    if (backend.exists(key)) {
      known.add(digest);
      return false;
    }
    // A chunk stored under the wrong digest would be unreadable forever (writers never overwrite),
    // so the digest is checked before the first write rather than only on reads.
    B3Digest actual = Blake3.hash(data, off, len);
    if (!actual.equals(digest)) {
      throw new IllegalArgumentException(
          "chunk digest mismatch: given " + digest.hex() + ", data hashes to " + actual.hex());
    }
    byte[] frame = codec.compress(data, off, len);
    boolean stored = backend.putIfAbsent(key, frame, 0, frame.length);
    known.add(digest);
    return stored;
  }

  @Override
  public PutChunkResult putChunk(byte[] data, int off, int len) throws IOException {
    Objects.checkFromIndexSize(off, len, data.length);
    checkChunkSize(len);
    B3Digest digest = Blake3.hash(data, off, len);
    if (known.contains(digest)) {
      return new PutChunkResult(digest, false, 0);
    }
    String key = StoreLayout.chunkKey(digest);
    if (backend.exists(key)) {
      known.add(digest);
      return new PutChunkResult(digest, false, 0);
    }
    byte[] frame = codec.compress(data, off, len);
    boolean stored = backend.putIfAbsent(key, frame, 0, frame.length);
    known.add(digest);
    return new PutChunkResult(digest, stored, stored ? frame.length : 0);
  }

  @Override
  public byte[] getChunk(B3Digest digest, int size) throws IOException {
    return verified(digest, size).raw();
  }

  /** The stored frame itself, once it is checked: nothing is compressed again. */
  @Override
  public byte[] getChunkFrame(B3Digest digest, int size) throws IOException {
    return verified(digest, size).frame();
  }

  private record Verified(byte[] frame, byte[] raw) {}

  private Verified verified(B3Digest digest, int size) throws IOException {
    Objects.requireNonNull(digest, "digest");
    checkChunkSize(size);
    String key = StoreLayout.chunkKey(digest);
    // Any frame our codec (or another sane zstd writer) makes for `size` bytes fits this bound;
    // the slack allows for frame checksums and block headers of streaming writers.
    int limit = (int) Math.min(Integer.MAX_VALUE - 8, ZstdChunkCodec.maxCompressedSize(size) + 4096);
    byte[] frame;
    try {
      frame = backend.get(key, limit)
          .orElseThrow(() -> new ChunkNotFoundException(digest, key, backend.location()));
    } catch (ObjectTooLargeException e) {
      throw new CorruptChunkException(digest, key, backend.location(),
          "stored object is larger than any zstd frame of " + size + " bytes (" + e.getMessage()
              + ")", e);
    }
    byte[] raw;
    try {
      raw = codec.decompress(frame, size);
    } catch (CorruptFrameException e) {
      throw new CorruptChunkException(digest, key, backend.location(), e.getMessage(), e);
    }
    B3Digest actual = Blake3.hash(raw);
    if (!actual.equals(digest)) {
      throw new CorruptChunkException(digest, key, backend.location(),
          "content hashes to " + actual.hex());
    }
    known.add(digest);
    return new Verified(frame, raw);
  }

  @Override
  public boolean hasChunk(B3Digest digest) throws IOException {
    if (known.contains(digest)) {
      return true;
    }
    boolean exists = backend.exists(StoreLayout.chunkKey(digest));
    if (exists) {
      known.add(digest);
    }
    return exists;
  }

  @Override
  public Optional<ObjectStat> statChunk(B3Digest digest) throws IOException {
    return backend.stat(StoreLayout.chunkKey(digest));
  }

  @Override
  public boolean putBlobIndex(B3Digest blobDigest, byte[] encodedStatBlobResponse)
      throws IOException {
    Objects.requireNonNull(blobDigest, "blobDigest");
    if (encodedStatBlobResponse.length > maxBlobIndexSize) {
      throw new IllegalArgumentException("blob index of " + blobDigest.hex() + " is "
          + encodedStatBlobResponse.length + " bytes, more than the limit of " + maxBlobIndexSize);
    }
    String key = StoreLayout.blobIndexKey(blobDigest);
    if (backend.exists(key)) {
      return false;
    }
    return backend.putIfAbsent(key, encodedStatBlobResponse, 0, encodedStatBlobResponse.length);
  }

  @Override
  public Optional<byte[]> getBlobIndex(B3Digest blobDigest) throws IOException {
    return backend.get(StoreLayout.blobIndexKey(blobDigest), maxBlobIndexSize);
  }

  @Override
  public boolean hasBlobIndex(B3Digest blobDigest) throws IOException {
    return backend.exists(StoreLayout.blobIndexKey(blobDigest));
  }

  @Override
  public void flush() throws IOException {
    backend.flush();
  }

  @Override
  public String location() {
    return backend.location();
  }

  @Override
  public void close() throws IOException {
    codec.close();
    backend.close();
  }

  @Override
  public String toString() {
    return "LayoutChunkStore(" + backend.location() + ", zstd level " + codec.level() + ")";
  }

  private void checkChunkSize(int size) {
    if (size < 0 || size > maxChunkSize) {
      throw new IllegalArgumentException(
          "chunk size " + size + " is outside [0, " + maxChunkSize + "]");
    }
  }

  public static final class Builder {
    private final ObjectBackend backend;
    private int compressionLevel = ZstdChunkCodec.DEFAULT_LEVEL;
    private int knownChunks = DEFAULT_KNOWN_CHUNKS;
    private int maxChunkSize = DEFAULT_MAX_CHUNK_SIZE;
    private int maxBlobIndexSize = DEFAULT_MAX_BLOB_INDEX_SIZE;

    private Builder(ObjectBackend backend) {
      this.backend = Objects.requireNonNull(backend, "backend");
    }

    /** zstd level for new chunks; default {@value ZstdChunkCodec#DEFAULT_LEVEL}. */
    public Builder compressionLevel(int level) {
      this.compressionLevel = level;
      return this;
    }

    /** How many stored chunk digests to remember; 0 disables the cache. */
    public Builder knownChunks(int capacity) {
      this.knownChunks = capacity;
      return this;
    }

    public Builder maxChunkSize(int bytes) {
      if (bytes < 1) {
        throw new IllegalArgumentException("maxChunkSize must be positive, got " + bytes);
      }
      this.maxChunkSize = bytes;
      return this;
    }

    public Builder maxBlobIndexSize(int bytes) {
      if (bytes < 1) {
        throw new IllegalArgumentException("maxBlobIndexSize must be positive, got " + bytes);
      }
      this.maxBlobIndexSize = bytes;
      return this;
    }

    public LayoutChunkStore build() {
      return new LayoutChunkStore(this);
    }
  }
}
