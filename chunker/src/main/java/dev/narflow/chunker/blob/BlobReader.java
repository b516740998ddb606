package dev.narflow.chunker.blob;

import dev.narflow.chunker.store.ChunkStore;
import dev.narflow.topics.castore.B3Digest;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.util.List;
import java.util.Objects;

/**
 * Reads blobs back from a {@link ChunkStore}: resolves the chunk list (the blob index if there is
 * one, else the blob as its single chunk), skips whole chunks before a start offset without
 * fetching them, and fetches the rest ahead in parallel within a {@link ChunkPrefetcher.Window}.
 * Every chunk is verified by the store; the chunk sizes must add up to the blob's size.
 *
 * <p>Thread-safe; each stream it opens is for one reader. {@link #close()} stops its fetch threads
 * (if it has its own; see {@link ChunkFetcher}).
 */
public final class BlobReader implements Closeable {
  private final ChunkStore store;
  private final ChunkFetcher fetcher;
  private final ChunkPrefetcher.Window window;

  private BlobReader(ChunkStore store, ChunkFetcher fetcher, ChunkPrefetcher.Window window) {
    this.store = store;
    this.fetcher = fetcher;
    this.window = window;
  }

  /**
   * A reader fetching with {@code parallelism} threads of its own, its streams together within
   * {@code window}'s bytes.
   */
  public static BlobReader create(ChunkStore store, int parallelism, ChunkPrefetcher.Window window) {
    Objects.requireNonNull(store, "store");
    Objects.requireNonNull(window, "window");
    if (parallelism < 1) throw new IllegalArgumentException("parallelism must be positive, got " + parallelism);
    ChunkFetcher own = ChunkFetcher.start(new ChunkFetcher.Limits(parallelism, window.maxBytesAhead()),
        ChunkFetcher.Observer.NONE, "blob-reader");
    return new BlobReader(store, own, window);
  }

  public static BlobReader create(ChunkStore store) {
    return create(store, 4, ChunkPrefetcher.Window.DEFAULT);
  }

  /** The chunks of a blob, in order (resolving its index). */
  public List<BlobChunk> chunks(B3Digest blob, long size) throws IOException {
    return ChunkLists.resolve(store, blob, size);
  }

  /** The whole blob {@code digest} of {@code size} bytes. */
  public InputStream open(B3Digest digest, long size) throws IOException {
    return open(digest, size, 0);
  }

  /**
   * Blob {@code digest} of {@code size} bytes from byte {@code offset} on; chunks wholly before it
   * are not fetched. Errors (a missing or corrupt chunk, chunk sizes not adding up to {@code size})
   * surface from the stream's reads, naming the digest.
   */
  public InputStream open(B3Digest digest, long size, long offset) throws IOException {
    Objects.requireNonNull(digest, "digest");
    if (offset < 0 || offset > size) {
      throw new IllegalArgumentException("offset " + offset + " outside blob " + digest.hex() + " of " + size + " bytes");
    }
    BlobSlice slice = new BlobSlice(digest, size, offset, size);
    boolean[] given = {false};
    ChunkPrefetcher prefetcher = new ChunkPrefetcher(store, fetcher, () -> {
      if (given[0]) return null;
      given[0] = true;
      return slice;
    }, window);
    return new BlobStream(prefetcher, slice);
  }

  /**
   * Stops its own fetch threads (a shared fetcher is left running): streams still waiting for a
   * chunk fail with an IOException, as do later reads that need one.
   */
  @Override
  public void close() {
    fetcher.close();
  }

  /** The bytes of one slice, chunk by chunk from a prefetcher. */
  private static final class BlobStream extends InputStream {
    private final ChunkPrefetcher prefetcher;
    private final BlobSlice slice;
    private long position;
    private byte[] chunk = new byte[0];
    private int chunkPosition;
    private boolean closed;

    BlobStream(ChunkPrefetcher prefetcher, BlobSlice slice) {
      this.prefetcher = prefetcher;
      this.slice = slice;
      this.position = slice.from();
    }

    @Override
    public int read() throws IOException {
      byte[] one = new byte[1];
      return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      Objects.checkFromIndexSize(off, len, b.length);
      if (closed) throw new IOException("stream of blob " + slice.digest().hex() + " is closed");
      if (len == 0) return 0;
      if (chunkPosition == chunk.length && !nextChunk()) return -1;
      int n = Math.min(len, chunk.length - chunkPosition);
      System.arraycopy(chunk, chunkPosition, b, off, n);
      chunkPosition += n;
      position += n;
      return n;
    }

    private boolean nextChunk() throws IOException {
      if (position == slice.size()) {
        prefetcher.close(); // at the end: its budget is free even if the stream is never closed
        return false;
      }
      ChunkPrefetcher.Fetched fetched = prefetcher.next();
      if (fetched == null || fetched.chunk().end() <= position || fetched.chunk().offset() > position) {
        // Cannot happen with a consistent chunk list: the list was checked against the size.
        throw new IOException("blob " + slice.digest().hex() + " ended at byte " + position
            + " of " + slice.size());
      }
      chunk = fetched.bytes();
      chunkPosition = (int) (position - fetched.chunk().offset());
      return true;
    }

    @Override
    public int available() {
      return chunk.length - chunkPosition;
    }

    @Override
    public void close() {
      closed = true;
      prefetcher.close();
    }
  }
}
