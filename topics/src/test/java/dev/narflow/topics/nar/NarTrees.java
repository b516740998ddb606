package dev.narflow.topics.nar;

import com.google.protobuf.ByteString;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/** An in-memory file tree for tests, with its NAR form through {@link NarWriter} and {@link NarReader}. */
final class NarTrees {
  private NarTrees() {}

  sealed interface Node permits File, Symlink, Directory {}

  record File(boolean executable, byte[] contents) implements Node {
    @Override
    public boolean equals(Object o) {
      return o instanceof File f && f.executable == executable && java.util.Arrays.equals(f.contents, contents);
    }

    @Override
    public int hashCode() {
      return Objects.hash(executable, java.util.Arrays.hashCode(contents));
    }

    @Override
    public String toString() {
      return "File[executable=" + executable + ", " + contents.length + " bytes]";
    }
  }

  record Symlink(ByteString target) implements Node {}

  /** Entries sorted by unsigned bytes, as in a NAR. */
  record Directory(TreeMap<ByteString, Node> entries) implements Node {
    Directory() {
      this(new TreeMap<>(Nar.NAME_ORDER));
    }
  }

  static byte[] write(Node root) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    NarWriter writer = new NarWriter(out);
    write(writer, ByteString.EMPTY, root);
    if (!writer.complete()) throw new AssertionError("writer not complete");
    if (writer.offset() != out.size()) throw new AssertionError("writer offset " + writer.offset() + " != " + out.size());
    return out.toByteArray();
  }

  private static void write(NarWriter w, ByteString name, Node node) throws IOException {
    if (node instanceof File f) {
      w.file(name, f.executable(), f.contents().length, new ByteArrayInputStream(f.contents()));
    } else if (node instanceof Symlink s) {
      w.symlink(name, s.target());
    } else {
      w.directoryStart(name);
      for (Map.Entry<ByteString, Node> e : ((Directory) node).entries().entrySet()) {
        write(w, e.getKey(), e.getValue());
      }
      w.directoryEnd();
    }
  }

  /** Parses a whole NAR into a tree, checking the reader's bookkeeping on the way. */
  static Node read(byte[] nar) throws IOException {
    NarReader r = new NarReader(new ByteArrayInputStream(nar));
    java.util.ArrayDeque<Directory> stack = new java.util.ArrayDeque<>();
    java.util.ArrayDeque<ByteString> names = new java.util.ArrayDeque<>();
    Node root = null;
    for (NarReader.Event e; (e = r.next()) != NarReader.Event.END; ) {
      if (r.depth() != stack.size() - (e == NarReader.Event.DIRECTORY_END ? 1 : 0)) {
        throw new AssertionError("depth " + r.depth() + " at " + r.path());
      }
      Node leaf = null;
      switch (e) {
        case DIRECTORY_START -> {
          Directory d = new Directory();
          if (stack.isEmpty()) root = d; else stack.peek().entries().put(r.name(), d);
          stack.push(d);
          names.push(r.name());
        }
        case DIRECTORY_END -> {
          stack.pop();
          if (!names.pop().equals(r.name())) throw new AssertionError("end name mismatch at " + r.path());
        }
        case FILE -> leaf = new File(r.executable(), r.contents().readAllBytes());
        case SYMLINK -> leaf = new Symlink(r.target());
        default -> throw new AssertionError(e);
      }
      if (leaf != null) {
        if (stack.isEmpty()) root = leaf; else stack.peek().entries().put(r.name(), leaf);
      }
    }
    if (r.offset() != nar.length) throw new AssertionError("offset " + r.offset() + " != " + nar.length);
    return root;
  }

  /** read → write through the public copy path. */
  static byte[] copy(byte[] nar) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    new NarWriter(out).copyFrom(new NarReader(new ByteArrayInputStream(nar)));
    return out.toByteArray();
  }
}
