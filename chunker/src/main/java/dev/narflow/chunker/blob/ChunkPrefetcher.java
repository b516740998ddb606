package dev.narflow.chunker.blob;

import dev.narflow.chunker.store.ChunkStore;
import java.io.Closeable;
import java.io.IOException;
import java.util.ArrayDeque;
import java.util.List;
import java.util.Objects;

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
 * <p>The fetches run on a {@link ChunkFetcher} shared with other readers, which bounds the bytes
 * fetched ahead of all of them and takes turns between them: the window here is what one reader
 * asks for at most, the fetcher decides how much of it runs. Chunk bytes are verified by the store
 * (BLAKE3, size). Not thread-safe: one reader. {@link #close()} releases what it holds at once.
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

  /**
   * A slice and its chunk list: known at once ({@code resolved}), or being looked up in the store.
   * {@code number} orders its fetches: every chunk of slice n is needed before slice n + 1's lookup.
   */
  private record PendingSlice(BlobSlice slice, long number, ChunkLists.Resolved resolved,
      ChunkFetcher.Pending<ChunkLists.Resolved> lookup) {
    boolean ready() {
      return resolved != null || lookup.isDone();
    }

    ChunkLists.Resolved get() throws IOException {
      return resolved != null ? resolved : lookup.get();
    }
  }

  private record PendingChunk(BlobChunk chunk, ChunkFetcher.Pending<byte[]> bytes) {}

  private final ChunkStore store;
  private final ChunkFetcher.Session session;
  private final Source source;
  private final Window window;
  private final boolean frames;
  private final BlobIndexLookup index;

  private final ArrayDeque<PendingSlice> slices = new ArrayDeque<>();
  private final ArrayDeque<PendingChunk> chunks = new ArrayDeque<>();
  private List<BlobChunk> current = List.of();
  private boolean currentGuessed;
  private long currentNumber;
  private int currentIndex;
  private long slicesSeen;
  private long bytesAhead;
  private ChunkFetcher.Pending<byte[]> held; // the chunk the reader was last given
  private boolean sourceDone;
  private boolean closed;

  public ChunkPrefetcher(ChunkStore store, ChunkFetcher fetcher, Source source, Window window) throws IOException {
    this(store, fetcher, source, window, false);
  }

  /**
   * With {@code frames}, each {@link Fetched#bytes} is the chunk's zstd frame as stored (checked,
   * not decompressed for the caller) instead of its raw bytes.
   */
  public ChunkPrefetcher(ChunkStore store, ChunkFetcher fetcher, Source source, Window window, boolean frames)
      throws IOException {
    this(store, fetcher, source, window, frames, null);
  }

  /**
   * With an {@code index}, chunk lists come from it (looked up on the reader's thread: a local
   * lookup costs less than a hand-off to a fetch thread) and the store's blob indexes are read only
   * for blobs it does not know that cannot be single chunks; without one, from the store.
   *
   * @throws IOException if the fetcher is closed
   */
  public ChunkPrefetcher(ChunkStore store, ChunkFetcher fetcher, Source source, Window window, boolean frames,
      BlobIndexLookup index) throws IOException {
    this.store = Objects.requireNonNull(store, "store");
    this.source = Objects.requireNonNull(source, "source");
    this.window = Objects.requireNonNull(window, "window");
    this.frames = frames;
    this.index = index;
    this.session = fetcher.open();
  }

  /**
   * The next chunk in order, waiting for it if need be; null once every slice is delivered. The
   * first chunk of a slice may begin before the slice and the last end after it: chunks are whole.
   * The chunk returned before is released: its bytes no longer count against the fetcher's budget.
   */
  public Fetched next() throws IOException {
    if (closed) throw new IOException("chunk prefetcher closed");
    if (held != null) {
      held.release();
      held = null;
    }
    topUp(true);
    PendingChunk head = chunks.poll();
    if (head == null) return null;
    bytesAhead -= head.chunk().size();
    topUp(false); // the slot just freed starts the next fetch while we wait for this one
    held = head.bytes();
    return new Fetched(head.chunk(), held.get());
  }

  /**
   * Queues fetches until the window is full. Waits for a chunk list only when there is nothing else
   * to hand out ({@code mayWait}), so the reader never stalls on a lookup it does not need yet.
   */
  private void topUp(boolean mayWait) throws IOException {
    while (true) {
      while (!sourceDone && slices.size() < window.maxBlobsAhead()) {
        BlobSlice slice = source.next();
        if (slice == null) {
          sourceDone = true;
        } else if (slice.from() < slice.to()) {
          slices.add(resolve(slice, slicesSeen++));
        }
      }
      if (chunks.size() >= window.maxChunksAhead()) return;
      if (currentIndex < current.size()) {
        BlobChunk next = current.get(currentIndex);
        if (!chunks.isEmpty() && bytesAhead + next.size() > window.maxBytesAhead()) return;
        boolean guessed = currentGuessed;
        chunks.add(new PendingChunk(next, session.submit(order(currentNumber, currentIndex + 1), next.size(), () ->
            frames ? ChunkLists.fetchFrame(store, next, guessed) : ChunkLists.fetch(store, next, guessed))));
        currentIndex++;
        bytesAhead += next.size();
        continue;
      }
      PendingSlice slice = slices.peek();
      if (slice == null) return;
      if (!slice.ready() && !(mayWait && chunks.isEmpty())) return;
      slices.poll();
      ChunkLists.Resolved resolved = slice.get();
      current = resolved.chunks();
      currentGuessed = resolved.guessed();
      currentNumber = slice.number();
      currentIndex = 0;
    }
  }

  /**
   * Where a fetch comes in the render's needs: slice {@code number}'s lookup (part 0), then its
   * chunks (parts 1…). A render of more than 2^31 slices, or a slice of more than 2^32 chunks, is
   * far beyond any NAR; the order would then only be less exact, never wrong bytes.
   */
  private static long order(long number, long part) {
    return (Math.min(number, Integer.MAX_VALUE) << 32) + Math.min(part, 0xffff_ffffL);
  }

  private PendingSlice resolve(BlobSlice slice, long number) throws IOException {
    if (slice.size() <= Math.min(window.singleChunkUpTo(), Integer.MAX_VALUE)) {
      BlobChunk whole = new BlobChunk(slice.digest(), 0, slice.digest(), (int) slice.size());
      return new PendingSlice(slice, number, new ChunkLists.Resolved(List.of(whole), true), null);
    }
    if (index != null) {
      ChunkLists.Resolved r = ChunkLists.resolve(store, index, slice.digest(), slice.size());
      return new PendingSlice(slice, number, new ChunkLists.Resolved(overlapping(r.chunks(), slice), r.guessed()), null);
    }
    // A blob index is a few KB per GB of blob: not counted against the budget.
    return new PendingSlice(slice, number, null, session.submit(order(number, 0), 0, () ->
        new ChunkLists.Resolved(overlapping(ChunkLists.resolve(store, slice.digest(), slice.size()), slice), false)));
  }

  /** The chunks that hold bytes of the slice: a contiguous run of the list. */
  private static List<BlobChunk> overlapping(List<BlobChunk> all, BlobSlice slice) {
    int first = 0;
    while (first < all.size() && all.get(first).end() <= slice.from()) first++;
    int last = first;
    while (last < all.size() && all.get(last).offset() < slice.to()) last++;
    return all.subList(first, last);
  }

  /**
   * Drops what is not fetched yet and releases what is, at once (fetches running finish in the
   * background and are released when they return).
   */
  @Override
  public void close() {
    closed = true;
    held = null;
    chunks.clear();
    slices.clear();
    session.close();
  }
}
