package dev.narflow.chunker.nar;

import dev.narflow.chunker.blob.BlobIndexLookup;
import dev.narflow.chunker.blob.BlobSlice;
import dev.narflow.chunker.blob.ChunkFetcher;
import dev.narflow.chunker.blob.ChunkPrefetcher;
import dev.narflow.chunker.store.ChunkStore;
import dev.narflow.topics.castore.B3Digest;
import dev.narflow.topics.castore.v1.FileNode;
import dev.narflow.topics.castore.v1.Node;
import dev.narflow.topics.nar.NarWriter;
import java.io.ByteArrayOutputStream;
import java.io.Closeable;
import java.io.IOException;
import java.io.OutputStream;
import java.util.Objects;

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
 * <p><b>Errors.</b> Every failure is an IOException, so that a server handles corrupt data like a
 * failed read: a missing or altered Directory is a {@link MissingDirectoryException}, a tree that
 * cannot be a NAR (a file of 2^63 bytes or more, a bad digest or name) an {@link
 * InvalidTreeException}, a missing or corrupt chunk the store's exception, a render still running
 * when the renderer is closed a plain IOException. Each names the digest or path. The output is
 * then incomplete. Every chunk is verified (BLAKE3) by the store.
 *
 * <p><b>Layouts.</b> {@link NarLayout} is the tree walked once; ranges rendered from it look no
 * Directory up again (a server caches the layouts of the NARs it is asked ranges of).
 *
 * <p><b>Sharing.</b> Renders fetch on a {@link ChunkFetcher}: a server gives every renderer one
 * shared fetcher (one set of threads, one budget of bytes fetched ahead, turns between renders);
 * otherwise the renderer has its own. A render that ends or fails releases its share at once.
 *
 * <p>Thread-safe; renders may run concurrently.
 */
public final class NarRenderer implements Closeable {
  private final ChunkStore store;
  private final ChunkFetcher fetcher;
  private final boolean ownsFetcher;
  private final ChunkPrefetcher.Window window;
  private final BlobIndexLookup blobIndexes;

  private NarRenderer(Builder b) {
    this.store = b.store;
    this.window = b.window;
    this.blobIndexes = b.blobIndexes;
    this.ownsFetcher = b.fetcher == null;
    // Without a shared fetcher, one of its own whose budget is one window: what a lone render
    // (the CLI, a test) had before the fetcher was shared.
    this.fetcher = ownsFetcher
        ? ChunkFetcher.start(new ChunkFetcher.Limits(b.parallelism, b.window.maxBytesAhead()),
            ChunkFetcher.Observer.NONE, "nar-render")
        : b.fetcher;
  }

  public static Builder builder(ChunkStore store) {
    return new Builder(store);
  }

  /** The NAR size of the tree, from the tree alone (no blob is read). */
  public static long narSize(Node root, DirectoryLookup lookup) throws IOException {
    NarWriter writer = new NarWriter(OutputStream.nullOutputStream());
    TreeWalk walk = new TreeWalk(root, lookup);
    while (walk.next()) {
      if (walk.kind() == TreeEvents.Kind.FILE) {
        try (OutputStream contents = openFile(walk, writer)) {
          writer.skipContents(walk.file().getSize());
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
    long end = end(offset, length);
    render(new TreeWalk(root, lookup), new FileSlices(new TreeWalk(root, lookup), offset, end), offset, end, out);
  }

  /**
   * As {@link #render(Node, DirectoryLookup, long, long, OutputStream)}, from a layout: no Directory
   * is looked up or checked again, and the first file in range is found without a walk.
   */
  public void render(NarLayout layout, long offset, long length, OutputStream out) throws IOException {
    long end = end(offset, length);
    render(layout.events(), layout.slices(offset, end), offset, end, out);
  }

  private static long end(long offset, long length) {
    if (offset < 0 || length < 0) {
      throw new IllegalArgumentException("invalid range: offset " + offset + ", length " + length);
    }
    return length > Long.MAX_VALUE - offset ? Long.MAX_VALUE : offset + length;
  }

  private void render(TreeEvents events, ChunkPrefetcher.Source slices, long offset, long end, OutputStream out)
      throws IOException {
    Objects.requireNonNull(out, "out");
    RangeSink sink = new RangeSink(out, offset, end);
    NarWriter writer = new NarWriter(sink);
    try (ChunkPrefetcher prefetcher = prefetcher(slices, false)) {
      while (writer.offset() < end && events.next()) {
        if (events.kind() == TreeEvents.Kind.FILE) {
          file(events, writer, sink, prefetcher, offset, end);
        } else {
          structure(events, writer);
        }
      }
      writer.flush();
    }
  }

  private ChunkPrefetcher prefetcher(ChunkPrefetcher.Source slices, boolean frames) throws IOException {
    return new ChunkPrefetcher(store, fetcher, slices, window, frames, blobIndexes);
  }

  /**
   * Writes the whole NAR of {@code root} to {@code out} as a zstd stream without compressing any
   * file contents again (DESIGN §5): each chunk goes out as the zstd frame it is stored as (checked
   * by the store first), and the NAR's own framing (headers, names, padding) between chunks goes out
   * as small frames compressed here. Concatenated zstd frames are one valid stream, so
   * {@code zstd -d} of the output is the NAR. {@code out} is flushed, not closed.
   */
  public void renderZstd(Node root, DirectoryLookup lookup, OutputStream out) throws IOException {
    Objects.requireNonNull(out, "out");
    FrameSplicer sink = new FrameSplicer(out);
    NarWriter writer = new NarWriter(sink);
    TreeWalk walk = new TreeWalk(root, lookup);
    FileSlices slices = new FileSlices(new TreeWalk(root, lookup), 0, Long.MAX_VALUE);
    try (ChunkPrefetcher prefetcher = prefetcher(slices, true)) {
      while (walk.next()) {
        if (walk.kind() != TreeEvents.Kind.FILE) {
          structure(walk, writer);
          continue;
        }
        FileNode file = walk.file();
        B3Digest digest = fileDigest(walk);
        OutputStream contents = openFile(walk, writer);
        long position = 0;
        while (position < file.getSize()) {
          ChunkPrefetcher.Fetched fetched = prefetcher.next();
          if (fetched == null || !fetched.chunk().blob().equals(digest) || fetched.chunk().offset() != position) {
            throw new IOException("prefetch out of step at " + walk.path() + ": expected the chunk of "
                + digest.hex() + " at " + position + ", got " + (fetched == null ? "none" : fetched.chunk()));
          }
          writer.skipContents(fetched.chunk().size()); // the framing before it reaches the sink first
          sink.frame(fetched.bytes());
          position = fetched.chunk().end();
        }
        contents.close();
      }
      writer.flush();
      sink.finish();
    }
  }

  /**
   * Compresses what it is written into frames of its own, and passes stored frames through as
   * they are, in order. The framing between two chunks is a few hundred bytes at most; a long
   * run of it (a directory of many empty files) is cut into frames of {@link #MAX_PENDING} bytes.
   */
  private static final class FrameSplicer extends OutputStream {
    private static final int MAX_PENDING = 128 * 1024;
    private static final int LEVEL = 3;
    private final OutputStream out;
    private final ByteArrayOutputStream pending = new ByteArrayOutputStream();

    FrameSplicer(OutputStream out) {
      this.out = out;
    }

    @Override
    public void write(int b) throws IOException {
      write(new byte[] {(byte) b}, 0, 1);
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
      pending.write(b, off, len);
      if (pending.size() >= MAX_PENDING) emitPending();
    }

    /** A stored frame, after what was written before it. */
    void frame(byte[] frame) throws IOException {
      emitPending();
      out.write(frame);
    }

    void finish() throws IOException {
      emitPending();
      out.flush();
    }

    private void emitPending() throws IOException {
      if (pending.size() == 0) return;
      out.write(com.github.luben.zstd.Zstd.compress(pending.toByteArray(), LEVEL));
      pending.reset();
    }
  }

  /** Writes a file: fetched chunks for the bytes in range, accounted-for gaps elsewhere. */
  private static void file(TreeEvents walk, NarWriter writer, RangeSink sink,
      ChunkPrefetcher prefetcher, long offset, long end) throws IOException {
    FileNode file = walk.file();
    long size = file.getSize();
    B3Digest digest = fileDigest(walk);
    OutputStream contents = openFile(walk, writer);
    long start = writer.offset();
    long lo = Math.max(offset - start, 0);
    long hi = Math.min(end - start, size);
    long position = 0; // of the file's contents, written or skipped
    while (position < hi && lo < hi) {
      ChunkPrefetcher.Fetched fetched = prefetcher.next();
      if (fetched == null || !fetched.chunk().blob().equals(digest)) {
        throw new IOException("prefetch out of step at " + walk.path() + ": expected a chunk of "
            + digest.hex() + ", got " + (fetched == null ? "none" : fetched.chunk()));
      }
      long chunkOffset = fetched.chunk().offset();
      if (chunkOffset > position) {
        if (position != 0 || chunkOffset > lo) {
          throw new IOException("prefetch out of step at " + walk.path() + ": chunk at "
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

  static B3Digest fileDigest(TreeEvents walk) throws IOException {
    try {
      return B3Digest.of(walk.file().getDigest());
    } catch (IllegalArgumentException e) {
      throw new InvalidTreeException(walk.path(), e.getMessage(), e);
    }
  }

  /**
   * Opens a file's contents. What NarWriter refuses (a negative size, a name NAR forbids) is the
   * tree's fault: an {@link InvalidTreeException}, not an unchecked exception for the server.
   */
  static OutputStream openFile(TreeEvents walk, NarWriter writer) throws IOException {
    FileNode file = walk.file();
    try {
      return writer.openFile(walk.name(), file.getExecutable(), file.getSize());
    } catch (IllegalArgumentException | IllegalStateException e) {
      throw new InvalidTreeException(walk.path(), e.getMessage(), e);
    }
  }

  /** Directory starts and ends, symlinks; what NarWriter refuses is an {@link InvalidTreeException}. */
  static void structure(TreeEvents walk, NarWriter writer) throws IOException {
    try {
      switch (walk.kind()) {
        case DIRECTORY_START -> writer.directoryStart(walk.name());
        case DIRECTORY_END -> writer.directoryEnd();
        case SYMLINK -> writer.symlink(walk.name(), walk.symlink().getTarget());
        default -> throw new AssertionError(walk.kind());
      }
    } catch (IllegalArgumentException | IllegalStateException e) {
      throw new InvalidTreeException(walk.path(), e.getMessage(), e);
    }
  }

  /**
   * The prefetcher's view of the render: the slice of each file's blob that falls in the range, in
   * render order, from a walk of its own laid out by a NarWriter that writes nowhere.
   */
  private static final class FileSlices implements ChunkPrefetcher.Source {
    private final TreeEvents walk;
    private final NarWriter layout = new NarWriter(OutputStream.nullOutputStream());
    private final long offset;
    private final long end;
    private boolean done;

    FileSlices(TreeEvents walk, long offset, long end) {
      this.walk = walk;
      this.offset = offset;
      this.end = end;
    }

    @Override
    public BlobSlice next() throws IOException {
      while (!done && layout.offset() < end && walk.next()) {
        if (walk.kind() != TreeEvents.Kind.FILE) {
          structure(walk, layout);
          continue;
        }
        FileNode file = walk.file();
        long size = file.getSize();
        B3Digest digest = fileDigest(walk);
        OutputStream contents = openFile(walk, layout);
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
    void skipTo(long next) throws IOException {
      if (next < position) throw new IOException("sink at " + position + " cannot go back to " + next);
      position = next;
    }

    @Override
    public void flush() throws IOException {
      out.flush();
    }
  }

  /**
   * Stops its own fetch threads (a shared fetcher is left to its owner): renders still running fail
   * with an IOException at their next fetch. Does not close the store.
   */
  @Override
  public void close() {
    if (ownsFetcher) fetcher.close();
  }

  public static final class Builder {
    private final ChunkStore store;
    private int parallelism = 4;
    private ChunkPrefetcher.Window window = ChunkPrefetcher.Window.DEFAULT;
    private BlobIndexLookup blobIndexes;
    private ChunkFetcher fetcher;

    private Builder(ChunkStore store) {
      this.store = Objects.requireNonNull(store, "store");
    }

    /**
     * Fetch on {@code shared}, with every other render of the server, within its budget and threads
     * (then {@link #parallelism} is not used, and closing the renderer leaves it running). Default:
     * a fetcher of the renderer's own.
     */
    public Builder fetcher(ChunkFetcher shared) {
      this.fetcher = Objects.requireNonNull(shared, "shared");
      return this;
    }

    /** Threads fetching (and decompressing, verifying) chunks of a fetcher of its own; default 4. */
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

    /**
     * Where chunk lists of multi-chunk files come from (the exporter's views), as Directories come
     * from a {@link DirectoryLookup}; the store's blob indexes are then read only for large blobs
     * the lookup does not know. Default: none, every chunk list from the store.
     */
    public Builder blobIndexes(BlobIndexLookup lookup) {
      this.blobIndexes = Objects.requireNonNull(lookup, "lookup");
      return this;
    }

    public NarRenderer build() {
      return new NarRenderer(this);
    }
  }
}
