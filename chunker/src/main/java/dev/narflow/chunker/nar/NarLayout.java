package dev.narflow.chunker.nar;

import com.google.protobuf.ByteString;
import dev.narflow.chunker.blob.BlobSlice;
import dev.narflow.chunker.blob.ChunkPrefetcher;
import dev.narflow.topics.castore.B3Digest;
import dev.narflow.topics.castore.v1.FileNode;
import dev.narflow.topics.castore.v1.Node;
import dev.narflow.topics.castore.v1.SymlinkNode;
import dev.narflow.topics.nar.NarWriter;
import java.io.IOException;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * A tree flattened in NAR order, with the NAR offset of every file's contents: what a render needs
 * of the tree, found by one walk that looks up and checks every Directory once. Rendering a range
 * from it looks nothing up again, and finds the first file of the range by binary search; a server
 * keeps layouts of recent NARs (bounded by {@link #bytes()}) so repeated Range requests of one NAR
 * cost no walk at all.
 *
 * <p>Immutable, so shareable between renders.
 */
public final class NarLayout {
  /** Heap per entry besides its name: the arrays' slots, the node object, the path parts. */
  private static final int ENTRY_OVERHEAD = 120;

  private final TreeEvents.Kind[] kinds;
  private final ByteString[] names;
  private final Object[] nodes; // FileNode, SymlinkNode, or null
  private final int[] fileEntries; // entry index of each file, in order
  private final long[] contentStarts; // NAR offset of each file's contents
  private final long narSize;
  private final long bytes;

  private NarLayout(TreeEvents.Kind[] kinds, ByteString[] names, Object[] nodes, int[] fileEntries,
      long[] contentStarts, long narSize, long bytes) {
    this.kinds = kinds;
    this.names = names;
    this.nodes = nodes;
    this.fileEntries = fileEntries;
    this.contentStarts = contentStarts;
    this.narSize = narSize;
    this.bytes = bytes;
  }

  /**
   * The layout of {@code root}, unless it would take more than {@code maxBytes} of heap (then
   * empty, after walking no further than that: render such a tree with a walk instead).
   *
   * @throws MissingDirectoryException if a Directory is missing or does not match its digest
   * @throws InvalidTreeException if the tree cannot be a NAR
   */
  public static Optional<NarLayout> of(Node root, DirectoryLookup lookup, long maxBytes) throws IOException {
    List<TreeEvents.Kind> kinds = new ArrayList<>();
    List<ByteString> names = new ArrayList<>();
    List<Object> nodes = new ArrayList<>();
    int[] fileEntries = new int[16];
    long[] contentStarts = new long[16];
    int files = 0;
    long bytes = 64;
    NarWriter layout = new NarWriter(OutputStream.nullOutputStream());
    TreeWalk walk = new TreeWalk(root, lookup);
    while (walk.next()) {
      ByteString name = walk.name();
      bytes += ENTRY_OVERHEAD + (name == null ? 0 : name.size());
      if (bytes > maxBytes) return Optional.empty();
      kinds.add(walk.kind());
      names.add(name);
      switch (walk.kind()) {
        case FILE -> {
          FileNode file = walk.file();
          bytes += file.getName().size();
          NarRenderer.fileDigest(walk); // checked once, here
          OutputStream contents = NarRenderer.openFile(walk, layout);
          if (files == fileEntries.length) {
            fileEntries = Arrays.copyOf(fileEntries, files * 2);
            contentStarts = Arrays.copyOf(contentStarts, files * 2);
          }
          fileEntries[files] = kinds.size() - 1;
          contentStarts[files] = layout.offset();
          files++;
          layout.skipContents(file.getSize());
          contents.close();
          nodes.add(file);
        }
        case SYMLINK -> {
          bytes += walk.symlink().getSerializedSize();
          NarRenderer.structure(walk, layout);
          nodes.add(walk.symlink());
        }
        default -> {
          NarRenderer.structure(walk, layout);
          nodes.add(null);
        }
      }
    }
    return Optional.of(new NarLayout(kinds.toArray(new TreeEvents.Kind[0]), names.toArray(new ByteString[0]),
        nodes.toArray(), Arrays.copyOf(fileEntries, files), Arrays.copyOf(contentStarts, files),
        layout.offset(), bytes));
  }

  /** The size of the NAR. */
  public long narSize() {
    return narSize;
  }

  /** About how much heap this layout holds, for a cache's bound. */
  public long bytes() {
    return bytes;
  }

  /** How many files the tree has. */
  public int files() {
    return fileEntries.length;
  }

  /** The tree's events again, from the start, without lookups. */
  TreeEvents events() {
    return new Cursor();
  }

  /**
   * The slices of the files' blobs in {@code [offset, end)}, in order, starting at the first file
   * whose contents reach past {@code offset} (found by binary search, not by a walk).
   */
  ChunkPrefetcher.Source slices(long offset, long end) {
    int first = Arrays.binarySearch(contentStarts, offset);
    if (first < 0) first = -first - 1;
    // The file before may begin before offset and reach past it; equal starts (empty files) are harmless.
    while (first > 0 && contentEnd(first - 1) > offset) first--;
    int[] next = {first};
    return () -> {
      while (next[0] < fileEntries.length) {
        int i = next[0]++;
        long start = contentStarts[i];
        if (start >= end) break;
        FileNode file = (FileNode) nodes[fileEntries[i]];
        long lo = Math.max(offset - start, 0);
        long hi = Math.min(end - start, file.getSize());
        if (lo < hi) return new BlobSlice(B3Digest.of(file.getDigest()), file.getSize(), lo, hi);
      }
      next[0] = fileEntries.length;
      return null;
    };
  }

  private long contentEnd(int file) {
    return contentStarts[file] + ((FileNode) nodes[fileEntries[file]]).getSize();
  }

  /** Replays the entries, keeping the path of each for messages. */
  private final class Cursor implements TreeEvents {
    private final ArrayList<String> directories = new ArrayList<>();
    private int i = -1;
    private String path;

    @Override
    public boolean next() {
      if (i + 1 >= kinds.length) return false;
      i++;
      String parent = directories.isEmpty() ? null : directories.get(directories.size() - 1);
      switch (kinds[i]) {
        case DIRECTORY_START -> {
          path = child(parent);
          directories.add(path);
        }
        case DIRECTORY_END -> path = directories.remove(directories.size() - 1);
        default -> path = child(parent);
      }
      return true;
    }

    private String child(String parent) {
      if (parent == null) return "/";
      return (parent.equals("/") ? "" : parent) + "/" + names[i].toStringUtf8();
    }

    @Override
    public Kind kind() {
      return kinds[i];
    }

    @Override
    public ByteString name() {
      return names[i];
    }

    @Override
    public FileNode file() {
      return (FileNode) nodes[i];
    }

    @Override
    public SymlinkNode symlink() {
      return (SymlinkNode) nodes[i];
    }

    @Override
    public String path() {
      return path;
    }
  }
}
