package dev.narflow.chunker.blob;

import dev.narflow.chunker.cdc.ChunkView;
import dev.narflow.chunker.cdc.FastCdc;
import dev.narflow.chunker.cdc.StreamChunker;
import dev.narflow.chunker.hash.Blake3;
import dev.narflow.chunker.store.ChunkStore;
import dev.narflow.chunker.store.PutChunkResult;
import dev.narflow.topics.castore.B3Digest;
import dev.narflow.topics.castore.v1.StatBlobResponse;
import dev.narflow.topics.castore.v1.StatBlobResponse.ChunkMeta;
import java.io.ByteArrayInputStream;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.SequenceInputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Stores a file's contents as a castore blob: FastCDC chunks, each BLAKE3-addressed, zstd-compressed
 * and put into a {@link ChunkStore} unless already there; the blob's digest is the BLAKE3 of the
 * whole contents. A blob of more than one chunk also gets its {@code StatBlobResponse} (the chunk
 * list) stored with {@code putBlobIndex}, after all of its chunks, so that an index never names a
 * missing chunk. A single-chunk blob gets none: its chunk's digest is the blob's, computed once.
 *
 * <p><b>Work split.</b> With {@code parallelism} 1 everything happens on the calling thread. With
 * more, the calling thread reads, cuts and (for multi-chunk blobs) hashes the whole blob, while
 * {@code parallelism} worker threads hash, compress and store the chunks, so reading the next file
 * overlaps storing the last. Chunks handed to workers are copies; their total (plus a small
 * per-chunk allowance) is bounded by {@code maxInFlightBytes}, so memory is bounded whatever the
 * file sizes: the reader blocks when workers fall behind.
 *
 * <p><b>Memory.</b> Contents up to {@link #smallBlobLimit()} bytes are read into a per-thread
 * buffer and cut in memory (no per-file chunker allocation for the many small files of a typical
 * NAR); larger ones stream through a {@link StreamChunker}. Both cut identically.
 *
 * <p>Thread-safe: several threads may write blobs at once, sharing the workers and the in-flight
 * bound. {@link #close()} stops the workers after the work already submitted.
 */
public final class BlobWriter implements Closeable {
  /** Accounted per in-flight chunk on top of its bytes, so that many tiny chunks are bounded too. */
  private static final int CHUNK_OVERHEAD = 512;

  private final ChunkStore store;
  private final FastCdc cdc;
  private final int parallelism;
  private final ExecutorService workers;
  private final Semaphore inFlight;
  private final int maxInFlightBytes;
  private final int smallBlobLimit;
  private final ThreadLocal<byte[]> smallBuffers;

  private BlobWriter(Builder b) {
    this.store = b.store;
    this.cdc = FastCdc.of(b.params);
    this.parallelism = b.parallelism;
    int maxChunk = b.params.maxSize();
    this.smallBlobLimit = Math.max(4 * maxChunk, 1 << 20);
    this.smallBuffers = ThreadLocal.withInitial(() -> new byte[smallBlobLimit + 1]);
    if (parallelism == 1) {
      this.workers = null;
      this.inFlight = null;
      this.maxInFlightBytes = 0;
    } else {
      long bound = b.maxInFlightBytes > 0 ? b.maxInFlightBytes : 2L * parallelism * (maxChunk + CHUNK_OVERHEAD);
      if (bound < maxChunk + CHUNK_OVERHEAD) {
        throw new IllegalArgumentException("maxInFlightBytes " + bound
            + " cannot hold one chunk of the maximum size " + maxChunk);
      }
      this.maxInFlightBytes = (int) Math.min(bound, Integer.MAX_VALUE);
      this.inFlight = new Semaphore(maxInFlightBytes);
      this.workers = Executors.newFixedThreadPool(parallelism, daemonThreads("blob-writer"));
    }
  }

  public static Builder builder(ChunkStore store) {
    return new Builder(store);
  }

  /** Writes the blob of {@code contents} (read to its end, not closed) and waits until it is stored. */
  public BlobResult write(InputStream contents) throws IOException {
    return await(submit(contents));
  }

  public BlobResult write(byte[] contents) throws IOException {
    return write(new ByteArrayInputStream(contents));
  }

  /**
   * Reads {@code contents} to its end on the calling thread (not closing it) and returns once every
   * chunk is handed to the workers; the future completes when the blob (its chunks, then its index)
   * is stored, or fails with the first error. With parallelism 1 the future is already complete.
   *
   * @throws IOException from reading {@code contents} (or, with parallelism 1, from the store)
   */
  public CompletableFuture<BlobResult> submit(InputStream contents) throws IOException {
    Objects.requireNonNull(contents, "contents");
    byte[] small = smallBuffers.get();
    int n = contents.readNBytes(small, 0, small.length);
    if (n <= smallBlobLimit) {
      return writeInMemory(small, n);
    }
    // More than fits: stream it, starting with what was read already. Such a blob is longer than
    // the maximum chunk size, so it has several chunks.
    InputStream all = new SequenceInputStream(new ByteArrayInputStream(small, 0, n), contents);
    return writeStreaming(new StreamChunker(cdc, all, cdc.params().maxSize()));
  }

  private CompletableFuture<BlobResult> writeInMemory(byte[] data, int length) throws IOException {
    if (length == 0) {
      return CompletableFuture.completedFuture(
          new BlobResult(Blake3.hash(data, 0, 0), 0, List.of(), 0, 0, 0, Optional.empty()));
    }
    FastCdc.Cut first = cdc.cut(data, 0, length);
    if (first.length() == length) {
      return storeChunk(data, 0, length).thenApply(BlobWriter::singleChunkBlob);
    }
    MultiChunkBlob blob = new MultiChunkBlob();
    try {
      for (int off = 0, cut = first.length(); off < length; off += cut) {
        if (off > 0) cut = cdc.cut(data, off, length - off).length();
        blob.add(data, off, cut);
      }
    } catch (IOException | RuntimeException | Error e) {
      blob.settle();
      throw e;
    }
    return blob.finish();
  }

  private CompletableFuture<BlobResult> writeStreaming(StreamChunker chunker) throws IOException {
    MultiChunkBlob blob = new MultiChunkBlob();
    try {
      for (ChunkView chunk; (chunk = chunker.next()) != null; ) {
        blob.add(chunk.array(), chunk.offset(), chunk.length());
      }
    } catch (IOException | RuntimeException | Error e) {
      blob.settle(); // e.g. the contents ended early: no chunk of this blob is still being stored
      throw e;
    }
    return blob.finish();
  }

  private static BlobResult singleChunkBlob(StoredChunk chunk) {
    return new BlobResult(chunk.digest(), chunk.size(), List.of(chunk.meta()),
        chunk.written() ? 1 : 0, chunk.written() ? chunk.size() : 0, chunk.storedSize(),
        Optional.empty());
  }

  /** The chunks of one blob of several, hashed as a whole on the calling thread as they pass. */
  private final class MultiChunkBlob {
    private final Blake3 hasher = Blake3.newHasher();
    private final List<CompletableFuture<StoredChunk>> chunks = new ArrayList<>();
    private long size;

    void add(byte[] data, int off, int len) throws IOException {
      // Stop reading a blob whose chunks already fail (e.g. the store is gone).
      if (!chunks.isEmpty() && chunks.get(chunks.size() - 1).isCompletedExceptionally()) {
        await(chunks.get(chunks.size() - 1));
      }
      hasher.update(data, off, len);
      size += len;
      chunks.add(storeChunk(data, off, len));
    }

    /** Waits for the chunks handed out so far, whatever their outcome. */
    void settle() {
      for (CompletableFuture<StoredChunk> chunk : chunks) {
        try {
          chunk.join();
        } catch (RuntimeException ignored) {
          // the blob fails anyway, with the error that stopped it
        }
      }
    }

    CompletableFuture<BlobResult> finish() throws IOException {
      B3Digest digest = hasher.finish();
      long total = size;
      CompletableFuture<Void> all = CompletableFuture.allOf(chunks.toArray(new CompletableFuture[0]));
      if (workers == null) {
        return CompletableFuture.completedFuture(indexed(digest, total, chunks));
      }
      return all.thenApplyAsync(ignored -> {
        try {
          return indexed(digest, total, chunks);
        } catch (IOException e) {
          throw new CompletionException(e);
        }
      }, BlobWriter.this::runIndexStep);
    }
  }

  /**
   * Runs a blob's index step on a worker, or right here once {@link #close()} has shut them down:
   * the blob's chunks were submitted before, and close() promises to finish them, index included.
   */
  private void runIndexStep(Runnable step) {
    try {
      workers.execute(step);
    } catch (RejectedExecutionException closed) {
      step.run();
    }
  }

  /** The result of a multi-chunk blob whose chunks are stored; stores its index. */
  private BlobResult indexed(B3Digest digest, long size, List<CompletableFuture<StoredChunk>> chunks)
      throws IOException {
    StatBlobResponse.Builder index = StatBlobResponse.newBuilder();
    int newChunks = 0;
    long newRaw = 0;
    long stored = 0;
    for (CompletableFuture<StoredChunk> future : chunks) {
      StoredChunk chunk = future.join(); // all complete by now
      index.addChunks(chunk.meta());
      if (chunk.written()) {
        newChunks++;
        newRaw += chunk.size();
        stored += chunk.storedSize();
      }
    }
    StatBlobResponse stat = index.build();
    store.putBlobIndex(digest, stat.toByteArray());
    return new BlobResult(digest, size, stat.getChunksList(), newChunks, newRaw, stored,
        Optional.of(stat));
  }

  /** Stores one chunk, inline or on a worker (from a copy, once the in-flight bound allows). */
  private CompletableFuture<StoredChunk> storeChunk(byte[] data, int off, int len) throws IOException {
    if (workers == null) {
      return CompletableFuture.completedFuture(put(data, off, len));
    }
    int permits = (int) Math.min((long) len + CHUNK_OVERHEAD, maxInFlightBytes);
    try {
      inFlight.acquire(permits);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("interrupted while waiting for chunk writers");
    }
    byte[] copy;
    try {
      copy = new byte[len];
      System.arraycopy(data, off, copy, 0, len);
      return CompletableFuture.supplyAsync(() -> {
        try {
          return put(copy, 0, len);
        } catch (IOException e) {
          throw new CompletionException(e);
        } finally {
          inFlight.release(permits);
        }
      }, workers);
    } catch (RuntimeException | Error e) { // e.g. rejected after close: give the permits back
      inFlight.release(permits);
      throw e;
    }
  }

  private StoredChunk put(byte[] data, int off, int len) throws IOException {
    PutChunkResult result = store.putChunk(data, off, len);
    return new StoredChunk(result.digest(), len, result.written(), result.storedSize());
  }

  /** One stored chunk of a blob. */
  private record StoredChunk(B3Digest digest, int size, boolean written, long storedSize) {
    ChunkMeta meta() {
      return ChunkMeta.newBuilder().setDigest(digest.toByteString()).setSize(size).build();
    }
  }

  /** Waits for a submitted blob, rethrowing its failure as it was thrown. */
  public static <T> T await(CompletableFuture<T> future) throws IOException {
    try {
      return future.get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("interrupted while waiting for a blob to be stored");
    } catch (ExecutionException e) {
      throw rethrow(e.getCause());
    }
  }

  static IOException rethrow(Throwable cause) {
    while (cause instanceof CompletionException && cause.getCause() != null) {
      cause = cause.getCause();
    }
    if (cause instanceof IOException io) return io;
    if (cause instanceof UncheckedIOException u) return u.getCause();
    if (cause instanceof RuntimeException r) throw r;
    if (cause instanceof Error err) throw err;
    return new IOException(cause);
  }

  /** Blobs up to this many bytes are cut in memory; longer ones stream. */
  public int smallBlobLimit() {
    return smallBlobLimit;
  }

  public int parallelism() {
    return parallelism;
  }

  public FastCdc.Params params() {
    return cdc.params();
  }

  /** Stops the workers after the chunks already submitted are stored. Does not close the store. */
  @Override
  public void close() throws IOException {
    if (workers == null) return;
    workers.shutdown();
    try {
      if (!workers.awaitTermination(5, TimeUnit.MINUTES)) {
        throw new IOException("blob writer workers did not finish within 5 minutes");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("interrupted while closing the blob writer");
    }
  }

  static ThreadFactory daemonThreads(String prefix) {
    AtomicInteger number = new AtomicInteger();
    return runnable -> {
      Thread t = new Thread(runnable, prefix + "-" + number.incrementAndGet());
      t.setDaemon(true);
      return t;
    };
  }

  public static final class Builder {
    private final ChunkStore store;
    private FastCdc.Params params = FastCdc.Params.DEFAULT;
    private int parallelism = 1;
    private long maxInFlightBytes;

    private Builder(ChunkStore store) {
      this.store = Objects.requireNonNull(store, "store");
    }

    /** FastCDC parameters; default {@link FastCdc.Params#DEFAULT} (snix's). */
    public Builder params(FastCdc.Params params) {
      this.params = Objects.requireNonNull(params, "params");
      return this;
    }

    /**
     * Threads that hash, compress and store chunks; 1 (the default) does everything on the calling
     * thread. For a local store, the number of cores; for S3, more (uploads wait on the network).
     */
    public Builder parallelism(int threads) {
      if (threads < 1) throw new IllegalArgumentException("parallelism must be positive, got " + threads);
      this.parallelism = threads;
      return this;
    }

    /**
     * Bound on the chunk bytes handed to workers and not yet stored; default two maximum-size
     * chunks per worker. Must hold at least one maximum-size chunk.
     */
    public Builder maxInFlightBytes(long bytes) {
      if (bytes < 1) throw new IllegalArgumentException("maxInFlightBytes must be positive, got " + bytes);
      this.maxInFlightBytes = bytes;
      return this;
    }

    public BlobWriter build() {
      return new BlobWriter(this);
    }
  }
}
