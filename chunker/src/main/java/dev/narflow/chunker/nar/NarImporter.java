package dev.narflow.chunker.nar;

import com.google.protobuf.ByteString;
import dev.narflow.chunker.blob.BlobResult;
import dev.narflow.chunker.blob.BlobWriter;
import dev.narflow.chunker.cdc.FastCdc;
import dev.narflow.chunker.store.ChunkStore;
import dev.narflow.topics.castore.B3Digest;
import dev.narflow.topics.castore.Directories;
import dev.narflow.topics.castore.DirectoryBuilder;
import dev.narflow.topics.castore.v1.Directory;
import dev.narflow.topics.castore.v1.DirectoryNode;
import dev.narflow.topics.castore.v1.FileNode;
import dev.narflow.topics.castore.v1.Node;
import dev.narflow.topics.castore.v1.StatBlobResponse;
import dev.narflow.topics.castore.v1.StatBlobResponse.ChunkMeta;
import dev.narflow.topics.castore.v1.SymlinkNode;
import dev.narflow.topics.nar.NarReader;
import dev.narflow.topics.nix.HashAlgorithm;
import dev.narflow.topics.nix.NixHash;
import java.io.BufferedInputStream;
import java.io.Closeable;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

/**
 * Imports a NAR into castore in one pass: computes its NarHash (SHA-256) and NarSize over the raw
 * bytes, parses it with {@link NarReader}, stores every file's contents as a blob through a {@link
 * BlobWriter} and builds the Directory records bottom-up.
 *
 * <p>Files are stored while the NAR is still being read (with parallelism above 1, on the blob
 * writer's threads); the Directories are built once all of them are stored, since a directory's
 * digest needs its files' digests. Memory is bounded by the blob writer's in-flight bound plus the
 * tree's metadata, whatever the file sizes.
 *
 * <p><b>Durability.</b> When {@link #importNar} returns, every chunk and blob index is stored and
 * {@link ChunkStore#flush()} has returned, so the caller may publish the metadata (Directories,
 * blob indexes, PathInfo). On any error nothing is returned: a {@code NarFormatException}
 * propagates unchanged, after the chunks already handed to workers are stored or failed (they are
 * content-addressed and harmless).
 *
 * <p>Thread-safe: imports may run concurrently and share the writer threads.
 */
public final class NarImporter implements Closeable {
  private static final int READ_BUFFER = 256 * 1024;

  private final ChunkStore store;
  private final BlobWriter blobs;

  private NarImporter(ChunkStore store, BlobWriter blobs) {
    this.store = store;
    this.blobs = blobs;
  }

  public static Builder builder(ChunkStore store) {
    return new Builder(store);
  }

  /** Reads the NAR on {@code nar} to its end (not closing it) and imports it. */
  public ImportResult importNar(InputStream nar) throws IOException {
    return importNar(nar, ImportOptions.none());
  }

  /**
   * Like {@link #importNar(InputStream)}, checking the NAR against {@code options}' expected
   * NarSize and NarHash, reporting progress and honouring cancellation.
   *
   * @throws NarSizeMismatchException as soon as the NAR is longer than expected (having read one
   *     byte more), or at its end if shorter
   * @throws NarHashMismatchException at the NAR's end, before waiting for its chunks
   * @throws InterruptedIOException ({@link ImportCancelledException}) if cancelled or interrupted
   *     while reading. In every case no chunk write of this import is still running when it throws.
   */
  public ImportResult importNar(InputStream nar, ImportOptions options) throws IOException {
    Objects.requireNonNull(nar, "nar");
    Objects.requireNonNull(options, "options");
    HashingInputStream raw = new HashingInputStream(nar, options);
    NarReader reader = new NarReader(new BufferedInputStream(raw, READ_BUFFER));
    Tree tree = new Tree();
    byte[] sha256;
    try {
      for (NarReader.Event e; (e = reader.next()) != NarReader.Event.END; ) {
        switch (e) {
          case DIRECTORY_START -> tree.directoryStart(reader.name());
          case FILE -> tree.file(reader.name(), reader.executable(), reader.size(), reader.path(),
              blobs.submit(reader.contents()));
          case SYMLINK -> tree.symlink(reader.name(), reader.target());
          case DIRECTORY_END -> tree.directoryEnd();
          default -> throw new AssertionError(e);
        }
      }
      if (raw.count != reader.offset()) {
        throw new IllegalStateException("read " + raw.count + " bytes, the NAR reader consumed " + reader.offset());
      }
      sha256 = raw.sha256 != null ? raw.sha256.digest() : options.hashedBySource().digest();
      checkExpected(options, raw.count, sha256);
      raw.reportEnd();
    } catch (IOException | RuntimeException | Error e) {
      tree.settle(); // no background writes of ours continue once we report the failure
      throw e;
    }
    ImportResult result = tree.finish(sha256, raw.count);
    store.flush();
    return result;
  }

  private static void checkExpected(ImportOptions options, long narSize, byte[] sha256)
      throws NarMismatchException {
    long expectedSize = options.expectedNarSize().orElse(narSize);
    if (narSize != expectedSize) {
      throw new NarSizeMismatchException(expectedSize, narSize, false);
    }
    NixHash expectedHash = options.expectedNarHash();
    if (expectedHash != null && !MessageDigest.isEqual(expectedHash.digest(), sha256)) {
      throw new NarHashMismatchException(expectedHash, NixHash.of(HashAlgorithm.SHA256, sha256));
    }
  }

  /** The NAR's tree as it is read, resolved into castore records once its blobs are stored. */
  private static final class Tree {
    private final ArrayDeque<PendingDirectory> open = new ArrayDeque<>();
    private final List<CompletableFuture<BlobResult>> submitted = new ArrayList<>();
    private Object root;
    private long files;
    private long directoryCount;
    private long symlinks;

    // Filled by finish().
    private final Map<B3Digest, Directory> directories = new LinkedHashMap<>();
    private final Map<B3Digest, StatBlobResponse> indexes = new LinkedHashMap<>();
    private final Set<B3Digest> blobDigests = new HashSet<>();
    private final Set<B3Digest> chunkDigests = new HashSet<>();
    private long chunks;
    private long newChunks;
    private long contentBytes;
    private long uniqueChunkBytes;
    private long storedBytes;
    private long newChunkBytes;

    void directoryStart(ByteString name) {
      PendingDirectory d = new PendingDirectory(name);
      add(d);
      open.push(d);
      directoryCount++;
    }

    void directoryEnd() {
      open.pop();
    }

    void file(ByteString name, boolean executable, long size, String path,
        CompletableFuture<BlobResult> blob) {
      submitted.add(blob);
      add(new PendingFile(name, executable, size, path, blob));
      files++;
    }

    void symlink(ByteString name, ByteString target) {
      add(SymlinkNode.newBuilder().setName(name).setTarget(target).build());
      symlinks++;
    }

    private void add(Object entry) {
      if (open.isEmpty()) {
        root = entry;
      } else {
        open.peek().entries.add(entry);
      }
    }

    /** Waits for every submitted blob, successful or not. */
    void settle() {
      for (CompletableFuture<BlobResult> f : submitted) {
        try {
          f.join();
        } catch (RuntimeException ignored) {
          // the import fails anyway, with the error that stopped it
        }
      }
    }

    ImportResult finish(byte[] sha256, long narSize) throws IOException {
      Node node;
      try {
        if (root == null) throw new IllegalStateException("NAR without a root node");
        node = resolve(root, ByteString.EMPTY);
      } catch (IOException | RuntimeException | Error e) {
        settle();
        throw e;
      }
      ImportStats stats = new ImportStats(files, directoryCount, symlinks, blobDigests.size(), chunks,
          chunkDigests.size(), newChunks, contentBytes, uniqueChunkBytes, storedBytes, newChunkBytes);
      return new ImportResult(node, sha256, narSize, List.copyOf(directories.values()), indexes, stats);
    }

    /** The node of an entry, its subtree's Directories recorded children first. */
    private Node resolve(Object entry, ByteString name) throws IOException {
      if (entry instanceof PendingFile f) {
        BlobResult blob = BlobWriter.await(f.blob());
        if (blob.size() != f.size()) {
          throw new IllegalStateException("blob of " + f.path() + " has " + blob.size()
              + " bytes, the NAR declares " + f.size());
        }
        account(blob);
        return Node.newBuilder().setFile(FileNode.newBuilder().setName(name)
            .setDigest(blob.digest().toByteString()).setSize(blob.size())
            .setExecutable(f.executable())).build();
      }
      if (entry instanceof SymlinkNode s) {
        return Node.newBuilder().setSymlink(s.toBuilder().setName(name)).build();
      }
      PendingDirectory d = (PendingDirectory) entry;
      DirectoryBuilder builder = new DirectoryBuilder();
      for (Object child : d.entries) {
        builder.add(resolve(child, nameOf(child)));
      }
      Directory directory = builder.build();
      B3Digest digest = Directories.digest(directory);
      directories.putIfAbsent(digest, directory);
      return Node.newBuilder().setDirectory(DirectoryNode.newBuilder().setName(name)
          .setDigest(digest.toByteString()).setSize(builder.size())).build();
    }

    private static ByteString nameOf(Object entry) {
      if (entry instanceof PendingFile f) return f.name();
      if (entry instanceof SymlinkNode s) return s.getName();
      return ((PendingDirectory) entry).name;
    }

    private void account(BlobResult blob) {
      contentBytes += blob.size();
      chunks += blob.chunkCount();
      newChunks += blob.newChunks();
      storedBytes += blob.storedBytes();
      newChunkBytes += blob.newRawBytes();
      if (!blobDigests.add(blob.digest())) return;
      for (ChunkMeta chunk : blob.chunks()) {
        if (chunkDigests.add(B3Digest.of(chunk.getDigest()))) uniqueChunkBytes += chunk.getSize();
      }
      blob.index().ifPresent(index -> indexes.putIfAbsent(blob.digest(), index));
    }
  }

  private record PendingFile(ByteString name, boolean executable, long size, String path,
      CompletableFuture<BlobResult> blob) {}

  private static final class PendingDirectory {
    final ByteString name;
    final List<Object> entries = new ArrayList<>();

    PendingDirectory(ByteString name) {
      this.name = name;
    }
  }

  /**
   * Counts and SHA-256-hashes every byte read through it; checks cancellation before each read,
   * stops one byte past the expected NarSize, and reports progress.
   */
  private static final class HashingInputStream extends FilterInputStream {
    final MessageDigest sha256;
    private final ImportOptions options;
    /** Reads stop here: one byte past the expected size, enough to know the NAR is too long. */
    private final long readLimit;
    private long nextProgress;
    long count;

    HashingInputStream(InputStream in, ImportOptions options) {
      super(in);
      this.options = options;
      this.readLimit = options.expectedNarSize().orElse(Long.MAX_VALUE - 1) + 1;
      this.nextProgress = options.progress() == null ? Long.MAX_VALUE : options.progressInterval();
      if (options.hashedBySource() != null) {
        sha256 = null;
        return;
      }
      try {
        sha256 = MessageDigest.getInstance("SHA-256");
      } catch (NoSuchAlgorithmException e) {
        throw new IllegalStateException("the JDK must provide SHA-256", e);
      }
    }

    @Override
    public int read() throws IOException {
      byte[] one = new byte[1];
      int n = read(one, 0, 1);
      return n < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      checkCancelled();
      if (len == 0) return 0;
      if (count >= readLimit) {
        throw tooLong();
      }
      int n = in.read(b, off, (int) Math.min(len, readLimit - count));
      if (n > 0) {
        if (sha256 != null) sha256.update(b, off, n);
        count += n;
        if (count >= readLimit) {
          throw tooLong();
        }
        if (count >= nextProgress) {
          options.progress().accept(count);
          nextProgress = count + options.progressInterval();
        }
      }
      return n;
    }

    private NarSizeMismatchException tooLong() {
      return new NarSizeMismatchException(readLimit - 1, count, true);
    }

    private void checkCancelled() throws ImportCancelledException {
      if (Thread.currentThread().isInterrupted()) {
        throw new ImportCancelledException("NAR import interrupted", count);
      }
      if (options.cancelled().getAsBoolean()) {
        throw new ImportCancelledException("NAR import cancelled", count);
      }
    }

    /** The last progress report, with the total. */
    void reportEnd() {
      if (options.progress() != null) options.progress().accept(count);
    }

    @Override
    public long skip(long n) throws IOException {
      // Skipped bytes would escape the hash; read them instead.
      byte[] scratch = new byte[(int) Math.min(n, 8192)];
      long skipped = 0;
      while (skipped < n) {
        int r = read(scratch, 0, (int) Math.min(scratch.length, n - skipped));
        if (r < 0) break;
        skipped += r;
      }
      return skipped;
    }

    @Override
    public boolean markSupported() {
      return false;
    }
  }

  /** Stops the blob writer's threads after the work submitted. Does not close the store. */
  @Override
  public void close() throws IOException {
    blobs.close();
  }

  /** The import's settings are those of the {@link BlobWriter} it stores files with. */
  public static final class Builder {
    private final ChunkStore store;
    private final BlobWriter.Builder blobs;

    private Builder(ChunkStore store) {
      this.store = Objects.requireNonNull(store, "store");
      this.blobs = BlobWriter.builder(store);
    }

    /** See {@link BlobWriter.Builder#params}. */
    public Builder params(FastCdc.Params params) {
      blobs.params(params);
      return this;
    }

    /** See {@link BlobWriter.Builder#parallelism}; default 1 (all on the importing thread). */
    public Builder parallelism(int threads) {
      blobs.parallelism(threads);
      return this;
    }

    /** See {@link BlobWriter.Builder#maxInFlightBytes}. */
    public Builder maxInFlightBytes(long bytes) {
      blobs.maxInFlightBytes(bytes);
      return this;
    }

    public NarImporter build() {
      return new NarImporter(store, blobs.build());
    }
  }
}
