package dev.narflow.chunker.nar;

import dev.narflow.chunker.blob.BlobSlice;
import dev.narflow.chunker.blob.ChunkPrefetcher;
import dev.narflow.chunker.store.ChunkStore;
import dev.narflow.topics.castore.B3Digest;
import dev.narflow.topics.castore.v1.FileNode;
import dev.narflow.topics.castore.v1.Node;
import dev.narflow.topics.nar.NarWriter;
import java.io.Closeable;
import java.io.IOException;
import java.io.OutputStream;
import java.util.Objects;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Streams the NAR of a castore tree, byte for byte the NAR it was imported from: the tree comes
 * from a {@link DirectoryLookup}, file contents from the {@link ChunkStore}, and the NAR's token
 * layout from {@link NarWriter} (the one NAR serializer).
 *
 * <p><b>Prefetch.</b> A second walk of the tree runs ahead of the output, feeding every file's
 * chunks in render order to a {@link ChunkPrefetcher}: chunks of many small files are fetched in
 * parallel, within the prefetch window's chunk and byte bounds.
 *
 * <p><b>Ranges.</b> Rendering from an offset (and for a length) walks the tree from the start but
 * fetches no chunk that lies wholly outside the range: the writer accounts for skipped contents
 * with {@link NarWriter#skipContents}, so offsets stay exact. {@link #narSize} computes the size
 * from the tree alone.
 *
 * <p><b>Errors.</b> A missing or altered Directory is a {@link MissingDirectoryException}, a
 * missing or corrupt chunk the store's exception; each names the digest. The output is then
 * incomplete. Every chunk is verified (BLAKE3) by the store.
 *
 * <p>Thread-safe; renders may run concurrently and share the fetch threads.
 */
public final class NarRenderer implements Closeable {
  private final ChunkStore store;
  private final ExecutorService fetchers;
  private final ChunkPrefetcher.Window window;

  private NarRenderer(Builder b) {
    this.store = b.store;
    this.window = b.window;
    AtomicInteger number = new AtomicInteger();
    this.fetchers = Executors.newFixedThreadPool(b.parallelism, runnable -> {
      Thread t = new Thread(runnable, "nar-render-" + number.incrementAndGet());
      t.setDaemon(true);
      return t;
    });
  }

  public static Builder builder(ChunkStore store) {
    return new Builder(store);
  }

  /** The NAR size of the tree, from the tree alone (no blob is read). */
  public static long narSize(Node root, DirectoryLookup lookup) throws IOException {
    NarWriter writer = new NarWriter(OutputStream.nullOutputStream());
    TreeWalk walk = new TreeWalk(root, lookup);
    while (walk.next()) {
      if (walk.kind() == TreeWalk.Kind.FILE) {
        FileNode file = walk.file();
        try (OutputStream contents = writer.openFile(walk.name(), file.getExecutable(), file.getSize())) {
          writer.skipContents(file.getSize());
        }
      } else {
        structure(walk, writer);
      }
    }
    return writer.offset();
  }

  /** Writes the whole NAR of {@code root} to {@code out} (not closed). */
  public void render(Node root, DirectoryLookup lookup, OutputStream out) throws IOException {
    render(root, lookup, 0, Long.MAX_VALUE, out);
  }

  /** Writes the NAR from byte {@code offset} to its end. */
  public void render(Node root, DirectoryLookup lookup, long offset, OutputStream out) throws IOException {
    render(root, lookup, offset, Long.MAX_VALUE, out);
  }

  /**
   * Writes bytes {@code [offset, offset + length)} of the NAR (fewer if it ends sooner) to {@code
   * out}, which is flushed and not closed. Chunks wholly outside the range are not fetched.
   */
  public void render(Node root, DirectoryLookup lookup, long offset, long length, OutputStream out)
      throws IOException {
    Objects.requireNonNull(out, "out");
    if (offset < 0 || length < 0) {
      throw new IllegalArgumentException("invalid range: offset " + offset + ", length " + length);
    }
    long end = length > Long.MAX_VALUE - offset ? Long.MAX_VALUE : offset + length;
    RangeSink sink = new RangeSink(out, offset, end);
    NarWriter writer = new NarWriter(sink);
    TreeWalk walk = new TreeWalk(root, lookup);
    FileSlices slices = new FileSlices(new TreeWalk(root, lookup), offset, end);
    try (ChunkPrefetcher prefetcher = new ChunkPrefetcher(store, fetchers, slices, window)) {
      while (writer.offset() < end && walk.next()) {
        if (walk.kind() == TreeWalk.Kind.FILE) {
          file(walk, writer, sink, prefetcher, offset, end);
        } else {
          structure(walk, writer);
        }
      }
      writer.flush();
    }
  }

  /** Writes a file: fetched chunks for the bytes in range, accounted-for gaps elsewhere. */
  private static void file(TreeWalk walk, NarWriter writer, RangeSink sink,
      ChunkPrefetcher prefetcher, long offset, long end) throws IOException {
    FileNode file = walk.file();
    long size = file.getSize();
    B3Digest digest = fileDigest(walk);
    OutputStream contents = writer.openFile(walk.name(), file.getExecutable(), size);
    long start = writer.offset();
    long lo = Math.max(offset - start, 0);
    long hi = Math.min(end - start, size);
    long position = 0; // of the file's contents, written or skipped
    while (position < hi && lo < hi) {
      ChunkPrefetcher.Fetched fetched = prefetcher.next();
      if (fetched == null || !fetched.chunk().blob().equals(digest)) {
        throw new IllegalStateException("prefetch out of step at " + walk.path() + ": expected a chunk of "
            + digest.hex() + ", got " + (fetched == null ? "none" : fetched.chunk()));
      }
      long chunkOffset = fetched.chunk().offset();
      if (chunkOffset > position) {
        if (position != 0 || chunkOffset > lo) {
          throw new IllegalStateException("prefetch out of step at " + walk.path() + ": chunk at "
              + chunkOffset + ", expected " + position);
        }
        skip(writer, sink, chunkOffset); // wholly before the range: never fetched
      }
      contents.write(fetched.bytes());
      position = fetched.chunk().end();
    }
    if (position < size) skip(writer, sink, size - position);
    contents.close();
  }

  private static void skip(NarWriter writer, RangeSink sink, long n) throws IOException {
    writer.skipContents(n); // flushes what the writer buffered into the sink first
    sink.skipTo(writer.offset());
  }

  private static B3Digest fileDigest(TreeWalk walk) throws IOException {
    try {
      return B3Digest.of(walk.file().getDigest());
    } catch (IllegalArgumentException e) {
      throw new IOException("file " + walk.path() + ": " + e.getMessage(), e);
    }
  }

  /** Directory starts and ends, symlinks. */
  private static void structure(TreeWalk walk, NarWriter writer) throws IOException {
    switch (walk.kind()) {
      case DIRECTORY_START -> writer.directoryStart(walk.name());
      case DIRECTORY_END -> writer.directoryEnd();
      case SYMLINK -> writer.symlink(walk.name(), walk.symlink().getTarget());
      default -> throw new AssertionError(walk.kind());
    }
  }

  /**
   * The prefetcher's view of the render: the slice of each file's blob that falls in the range, in
   * render order, from a walk of its own laid out by a NarWriter that writes nowhere.
   */
  private static final class FileSlices implements ChunkPrefetcher.Source {
    private final TreeWalk walk;
    private final NarWriter layout = new NarWriter(OutputStream.nullOutputStream());
    private final long offset;
    private final long end;
    private boolean done;

    FileSlices(TreeWalk walk, long offset, long end) {
      this.walk = walk;
      this.offset = offset;
      this.end = end;
    }

    @Override
    public BlobSlice next() throws IOException {
      while (!done && layout.offset() < end && walk.next()) {
        if (walk.kind() != TreeWalk.Kind.FILE) {
          structure(walk, layout);
          continue;
        }
        FileNode file = walk.file();
        long size = file.getSize();
        B3Digest digest = fileDigest(walk);
        OutputStream contents = layout.openFile(walk.name(), file.getExecutable(), size);
        long start = layout.offset();
        layout.skipContents(size);
        contents.close();
        long lo = Math.max(offset - start, 0);
        long hi = Math.min(end - start, size);
        if (lo < hi) return new BlobSlice(digest, size, lo, hi);
      }
      done = true;
      return null;
    }
  }

  /** Passes on the bytes of NAR positions {@code [from, to)}; knows the position of what it gets. */
  private static final class RangeSink extends OutputStream {
    private final OutputStream out;
    private final long from;
    private final long to;
    private long position;

    RangeSink(OutputStream out, long from, long to) {
      this.out = out;
      this.from = from;
      this.to = to;
    }

    @Override
    public void write(int b) throws IOException {
      write(new byte[] {(byte) b}, 0, 1);
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
      long start = position;
      position += len;
      long lo = Math.max(from, start);
      long hi = Math.min(to, position);
      if (lo < hi) out.write(b, off + (int) (lo - start), (int) (hi - lo));
    }

    /** The writer skipped contents: the next byte received is at {@code next}. */
    void skipTo(long next) {
      if (next < position) throw new IllegalStateException("sink at " + position + " cannot go back to " + next);
      position = next;
    }

    @Override
    public void flush() throws IOException {
      out.flush();
    }
  }

  /**
   * Stops the fetch threads once the fetches already queued are done (not shutdownNow(), which
   * would drop queued fetches whose futures then never complete, hanging the renders waiting on
   * them). Renders still running fail on their next fetch. Does not close the store.
   */
  @Override
  public void close() {
    fetchers.shutdown();
  }

  public static final class Builder {
    private final ChunkStore store;
    private int parallelism = 4;
    private ChunkPrefetcher.Window window = ChunkPrefetcher.Window.DEFAULT;

    private Builder(ChunkStore store) {
      this.store = Objects.requireNonNull(store, "store");
    }

    /** Threads fetching (and decompressing, verifying) chunks; default 4. */
    public Builder parallelism(int threads) {
      if (threads < 1) throw new IllegalArgumentException("parallelism must be positive, got " + threads);
      this.parallelism = threads;
      return this;
    }

    /** How far ahead to fetch; default {@link ChunkPrefetcher.Window#DEFAULT}. */
    public Builder window(ChunkPrefetcher.Window window) {
      this.window = Objects.requireNonNull(window, "window");
      return this;
    }

    public NarRenderer build() {
      return new NarRenderer(this);
    }
  }
}
