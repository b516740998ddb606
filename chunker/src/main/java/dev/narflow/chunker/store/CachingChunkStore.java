package dev.narflow.chunker.store;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.narflow.topics.castore.B3Digest;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.LongAdder;

/**
 * A {@link ChunkStore} that keeps the chunks it has read and verified in memory, within a bound
 * of bytes, for a server that reads the same chunks again and again: a binary cache's traffic
 * goes to few NARs (after a channel update every machine fetches the same new glibc), and clients
 * of one NAR ask for the same chunks within moments of each other. Every read from the store
 * costs a GET, a zstd decode and a BLAKE3 hash (decode and hash were 40 % of the CPU of serving
 * {@code .nar}s, ops/bench/serve); a hit costs a lookup.
 *
 * <p>Raw chunks and stored frames are cached apart, each for the reads that asked for it. What is
 * cached has been verified by the store it came from; a failed read is never cached. Reads of a
 * chunk that is being read already wait for that read instead of making their own. When that read
 * finds the chunk missing or corrupt, its waiters get the same answer (asking the store again at
 * once would only repeat it, one waiter after another); when it fails otherwise (a timeout, a
 * dropped connection), one waiter reads again for the rest. Admission and
 * eviction are Caffeine's (frequency-aware: a chunk read once by a single client does not push
 * out the chunks that many clients read); a plain LRU written here answered no more of the
 * bench's reads (65 % against 66 % at 64 MiB, 69 % against 67 % at 128 MiB).
 *
 * <p><b>The arrays returned are shared</b> between every caller that reads the same chunk: they
 * must not be modified. Writes go to the store underneath and are not cached (a writer does not
 * read its chunks back). Thread-safe.
 */
public final class CachingChunkStore implements ChunkStore {
  /** Bytes of bookkeeping Caffeine and the key take per entry, counted against the bound too. */
  private static final int ENTRY_OVERHEAD = 128;

  /** What a cache's reads came to, and the bytes it holds (chunks and their bookkeeping): for metrics. */
  public record Stats(long hits, long misses, long bytes) {}

  private record Key(B3Digest digest, int size, boolean frame) {}

  @FunctionalInterface
  private interface Read {
    byte[] run() throws IOException;
  }

  private final ChunkStore store;
  private final long maxBytes;
  private final Cache<Key, byte[]> cache; // what was read and verified
  private final ConcurrentHashMap<Key, CompletableFuture<byte[]>> reading = new ConcurrentHashMap<>(); // being read
  private final LongAdder hits = new LongAdder();
  private final LongAdder misses = new LongAdder();

  private CachingChunkStore(ChunkStore store, long maxBytes) {
    this.store = Objects.requireNonNull(store, "store");
    if (maxBytes < 1) throw new IllegalArgumentException("chunk cache size must be positive, got " + maxBytes);
    this.maxBytes = maxBytes;
    this.cache = Caffeine.newBuilder()
        .maximumWeight(maxBytes)
        .weigher((Key key, byte[] bytes) -> (int) Math.min(Integer.MAX_VALUE, (long) bytes.length + ENTRY_OVERHEAD))
        .executor(Runnable::run) // eviction work is small; no hand-off to the common pool
        .build();
  }

  /** {@code store}'s chunks, cached in at most {@code maxBytes} of heap. */
  public static CachingChunkStore over(ChunkStore store, long maxBytes) {
    return new CachingChunkStore(store, maxBytes);
  }

  /** A shared array: see the class comment. */
  @Override
  public byte[] getChunk(B3Digest digest, int size) throws IOException {
    return cached(new Key(Objects.requireNonNull(digest, "digest"), size, false), () -> store.getChunk(digest, size));
  }

  /** A shared array: see the class comment. */
  @Override
  public byte[] getChunkFrame(B3Digest digest, int size) throws IOException {
    return cached(new Key(Objects.requireNonNull(digest, "digest"), size, true),
        () -> store.getChunkFrame(digest, size));
  }

  /**
   * From the cache, else from a read of the same chunk already running, else read here. Reads in
   * progress are kept apart from the cache, so that a failed one leaves nothing behind in it.
   */
  private byte[] cached(Key key, Read read) throws IOException {
    byte[] bytes = cache.getIfPresent(key);
    if (bytes != null) {
      hits.increment();
      return bytes;
    }
    CompletableFuture<byte[]> mine = new CompletableFuture<>();
    CompletableFuture<byte[]> earlier = reading.putIfAbsent(key, mine);
    if (earlier != null) {
      byte[] shared = awaitOrNull(earlier);
      if (shared == null) return cached(key, read); // that read failed for now: one of its waiters reads again
      hits.increment();
      return shared;
    }
    // Out of `reading` before the waiters wake: one that must read again then finds no failed read.
    try {
      bytes = cache.getIfPresent(key); // a read may have finished between the first look and ours
      if (bytes == null) {
        misses.increment();
        bytes = read.run();
        cache.put(key, bytes);
      } else {
        hits.increment();
      }
    } catch (Throwable t) {
      reading.remove(key, mine);
      mine.completeExceptionally(t);
      throw t;
    }
    reading.remove(key, mine);
    mine.complete(bytes);
    return bytes;
  }

  /**
   * The bytes another read got, or null if it failed in a way that reading again may mend.
   *
   * @throws ChunkNotFoundException the failure of that read: the chunk is not in the store
   * @throws CorruptChunkException the failure of that read: the store holds something else
   */
  private static byte[] awaitOrNull(CompletableFuture<byte[]> read) throws IOException {
    try {
      return read.get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("interrupted while waiting for a chunk being read");
    } catch (ExecutionException e) {
      // Each waiter gets an object of its own (callers may add suppressed exceptions to it).
      if (e.getCause() instanceof ChunkNotFoundException missing) throw missing.forAnotherReader();
      if (e.getCause() instanceof CorruptChunkException corrupt) throw corrupt.forAnotherReader();
      return null;
    }
  }

  /** Hits (reads answered from memory, or by a read already running), misses, and bytes held now. */
  public Stats stats() {
    cache.cleanUp(); // evictions still pending would be counted as held
    long held = cache.policy().eviction().map(e -> e.weightedSize().orElse(0L)).orElse(0L);
    return new Stats(hits.sum(), misses.sum(), held);
  }

  /** Forgets every cached chunk. */
  public void clear() {
    cache.invalidateAll();
  }

  @Override
  public boolean putChunk(B3Digest digest, byte[] data, int off, int len) throws IOException {
    return store.putChunk(digest, data, off, len);
  }

  @Override
  public PutChunkResult putChunk(byte[] data, int off, int len) throws IOException {
    return store.putChunk(data, off, len);
  }

  @Override
  public boolean hasChunk(B3Digest digest) throws IOException {
    return store.hasChunk(digest);
  }

  @Override
  public Optional<ObjectStat> statChunk(B3Digest digest) throws IOException {
    return store.statChunk(digest);
  }

  @Override
  public boolean putBlobIndex(B3Digest blobDigest, byte[] encodedStatBlobResponse) throws IOException {
    return store.putBlobIndex(blobDigest, encodedStatBlobResponse);
  }

  @Override
  public Optional<byte[]> getBlobIndex(B3Digest blobDigest) throws IOException {
    return store.getBlobIndex(blobDigest);
  }

  @Override
  public boolean hasBlobIndex(B3Digest blobDigest) throws IOException {
    return store.hasBlobIndex(blobDigest);
  }

  @Override
  public void flush() throws IOException {
    store.flush();
  }

  @Override
  public String location() {
    return store.location();
  }

  /** Forgets the cached chunks and closes the store underneath. */
  @Override
  public void close() throws IOException {
    clear();
    store.close();
  }

  @Override
  public String toString() {
    return "CachingChunkStore(" + store + ", " + maxBytes + " bytes)";
  }
}
