package dev.narflow.chunker.blob;

import dev.narflow.chunker.store.ChunkStore;
import java.io.Closeable;
import java.io.IOException;
import java.util.ArrayDeque;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;

/**
 * Fetches the chunks of a sequence of blob slices in order, ahead of the reader and in parallel,
 * within a bound: besides the chunk the reader waits for or holds, at most {@code maxChunksAhead}
 * chunks and (but for a single oversized one) {@code maxBytesAhead} bytes fetched or being fetched. A renderer feeds it the files of
 * a whole NAR in render order, so that many small files cost parallel round trips, not one each in
 * turn.
 *
 * <p>Two stages, both ahead of the reader: resolving each blob's chunk list (up to {@code
 * maxBlobsAhead} blobs; a blob index lookup for large blobs, nothing for small ones), then fetching
 * the chunks that overlap the slice. Blobs of at most {@code singleChunkUpTo} bytes are taken to
 * be their own single chunk without a lookup, which holds for every blob FastCDC cut with a {@code
 * minSize} at least that large; should such a chunk be missing, its blob index is consulted after
 * all.
 *
 * <p>Chunk bytes are verified by the store (BLAKE3, size). Not thread-safe: one reader. {@link
 * #close()} cancels what is not yet fetched.
 */
public final class ChunkPrefetcher implements Closeable {
  /** The slices to fetch, in order; {@code null} at the end. */
  @FunctionalInterface
  public interface Source {
    BlobSlice next() throws IOException;
  }

  /** A chunk and its bytes (raw, or its zstd frame when the prefetcher fetches frames). */
  public record Fetched(BlobChunk chunk, byte[] bytes) {}

  /**
   * How far ahead to fetch.
   *
   * @param maxChunksAhead chunks fetched or in flight, not yet taken
   * @param maxBytesAhead their bytes (one chunk is fetched even if larger)
   * @param maxBlobsAhead blobs whose chunk lists are resolved or being resolved ahead
   * @param singleChunkUpTo blobs up to this size are assumed to be a single chunk (0: never)
   */
  public record Window(int maxChunksAhead, long maxBytesAhead, int maxBlobsAhead, long singleChunkUpTo) {
    /** 32 chunks, 16 MiB, 256 blobs, FastCDC's default minimum chunk size. */
    public static final Window DEFAULT = new Window(32, 16 << 20, 256, 128 * 1024);

    public Window {
      if (maxChunksAhead < 1 || maxBytesAhead < 1 || maxBlobsAhead < 1 || singleChunkUpTo < 0) {
        throw new IllegalArgumentException("invalid prefetch window " + maxChunksAhead + " chunks, "
            + maxBytesAhead + " bytes, " + maxBlobsAhead + " blobs, single chunk below " + singleChunkUpTo);
      }
    }
  }

  private record PendingSlice(BlobSlice slice, CompletableFuture<ChunkLists.Resolved> chunks) {}

  private record PendingChunk(BlobChunk chunk, CompletableFuture<byte[]> bytes) {}

  private final ChunkStore store;
  private final Executor executor;
  private final Source source;
  private final Window window;
  private final boolean frames;
  private final BlobIndexLookup index;

  private final ArrayDeque<PendingSlice> slices = new ArrayDeque<>();
  private final ArrayDeque<PendingChunk> chunks = new ArrayDeque<>();
  private List<BlobChunk> current = List.of();
  private boolean currentGuessed;
  private int currentIndex;
  private long bytesAhead;
  private boolean sourceDone;
  private boolean closed;

  public ChunkPrefetcher(ChunkStore store, Executor executor, Source source, Window window) {
    this(store, executor, source, window, false);
  }

  /**
   * With {@code frames}, each {@link Fetched#bytes} is the chunk's zstd frame as stored (checked,
   * not decompressed for the caller) instead of its raw bytes.
   */
  public ChunkPrefetcher(ChunkStore store, Executor executor, Source source, Window window, boolean frames) {
    this(store, executor, source, window, frames, null);
  }

  /**
   * With an {@code index}, chunk lists come from it (looked up on the reader's thread: a local
   * lookup costs less than a hand-off to a fetch thread) and the store's blob indexes are read only
   * for blobs it does not know that cannot be single chunks; without one, from the store.
   */
  public ChunkPrefetcher(ChunkStore store, Executor executor, Source source, Window window, boolean frames,
      BlobIndexLookup index) {
    this.store = Objects.requireNonNull(store, "store");
    this.executor = Objects.requireNonNull(executor, "executor");
    this.source = Objects.requireNonNull(source, "source");
    this.window = Objects.requireNonNull(window, "window");
    this.frames = frames;
    this.index = index;
  }

  /**
   * The next chunk in order, waiting for it if need be; null once every slice is delivered. The
   * first chunk of a slice may begin before the slice and the last end after it: chunks are whole.
   */
  public Fetched next() throws IOException {
    if (closed) throw new IOException("chunk prefetcher closed");
    topUp(true);
    PendingChunk head = chunks.poll();
    if (head == null) return null;
    bytesAhead -= head.chunk().size();
    topUp(false); // the slot just freed starts the next fetch while we wait for this one
    return new Fetched(head.chunk(), BlobWriter.await(head.bytes()));
  }

  /**
   * Starts fetches until the window is full. Waits for a chunk list only when there is nothing else
   * to hand out ({@code mayWait}), so the reader never stalls on a lookup it does not need yet.
   */
  private void topUp(boolean mayWait) throws IOException {
    while (true) {
      while (!sourceDone && slices.size() < window.maxBlobsAhead()) {
        BlobSlice slice = source.next();
        if (slice == null) {
          sourceDone = true;
        } else if (slice.from() < slice.to()) {
          slices.add(resolve(slice));
        }
      }
      if (chunks.size() >= window.maxChunksAhead()) return;
      if (currentIndex < current.size()) {
        BlobChunk next = current.get(currentIndex);
        if (!chunks.isEmpty() && bytesAhead + next.size() > window.maxBytesAhead()) return;
        currentIndex++;
        boolean guessed = currentGuessed;
        chunks.add(new PendingChunk(next, submit(() ->
            frames ? ChunkLists.fetchFrame(store, next, guessed) : ChunkLists.fetch(store, next, guessed))));
        bytesAhead += next.size();
        continue;
      }
      PendingSlice slice = slices.peek();
      if (slice == null) return;
      if (!slice.chunks().isDone() && !(mayWait && chunks.isEmpty())) return;
      slices.poll();
      ChunkLists.Resolved resolved = BlobWriter.await(slice.chunks());
      current = resolved.chunks();
      currentGuessed = resolved.guessed();
      currentIndex = 0;
    }
  }

  private PendingSlice resolve(BlobSlice slice) throws IOException {
    if (slice.size() <= Math.min(window.singleChunkUpTo(), Integer.MAX_VALUE)) {
      BlobChunk whole = new BlobChunk(slice.digest(), 0, slice.digest(), (int) slice.size());
      return new PendingSlice(slice, CompletableFuture.completedFuture(new ChunkLists.Resolved(List.of(whole), true)));
    }
    if (index != null) {
      ChunkLists.Resolved r = ChunkLists.resolve(store, index, slice.digest(), slice.size());
      return new PendingSlice(slice, CompletableFuture.completedFuture(
          new ChunkLists.Resolved(overlapping(r.chunks(), slice), r.guessed())));
    }
    return new PendingSlice(slice, submit(() ->
        new ChunkLists.Resolved(overlapping(ChunkLists.resolve(store, slice.digest(), slice.size()), slice), false)));
  }

  private interface Fetch<T> {
    T run() throws IOException;
  }

  /**
   * Runs a fetch on the executor. An executor that was shut down (its renderer or reader closed
   * while this read was still going) is an IOException of this read, not an unchecked
   * RejectedExecutionException escaping to whoever serves it.
   */
  private <T> CompletableFuture<T> submit(Fetch<T> fetch) throws IOException {
    try {
      return CompletableFuture.supplyAsync(() -> {
        try {
          return fetch.run();
        } catch (IOException e) {
          throw new CompletionException(e);
        }
      }, executor);
    } catch (RejectedExecutionException e) {
      throw new IOException("chunk fetches refused: the reader or renderer was closed while reading", e);
    }
  }

  /** The chunks that hold bytes of the slice: a contiguous run of the list. */
  private static List<BlobChunk> overlapping(List<BlobChunk> all, BlobSlice slice) {
    int first = 0;
    while (first < all.size() && all.get(first).end() <= slice.from()) first++;
    int last = first;
    while (last < all.size() && all.get(last).offset() < slice.to()) last++;
    return all.subList(first, last);
  }

  /** Cancels what is not fetched yet; chunks being fetched finish in the background. */
  @Override
  public void close() {
    closed = true;
    for (PendingChunk c : chunks) c.bytes().cancel(false);
    for (PendingSlice s : slices) s.chunks().cancel(false);
    chunks.clear();
    slices.clear();
  }
}
