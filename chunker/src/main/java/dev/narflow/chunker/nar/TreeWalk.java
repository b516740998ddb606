package dev.narflow.chunker.nar;

import com.google.protobuf.ByteString;
import dev.narflow.topics.castore.B3Digest;
import dev.narflow.topics.castore.Directories;
import dev.narflow.topics.castore.InvalidDirectoryException;
import dev.narflow.topics.castore.v1.Directory;
import dev.narflow.topics.castore.v1.DirectoryNode;
import dev.narflow.topics.castore.v1.FileNode;
import dev.narflow.topics.castore.v1.Node;
import dev.narflow.topics.castore.v1.SymlinkNode;
import java.io.IOException;
import java.util.ArrayDeque;
import java.util.Objects;

/**
 * A castore tree's nodes in NAR order, one step at a time, looking Directories up as it goes
 * (depth-first, entries of each directory merged from its three sorted lists by name bytes).
 * Every Directory looked up is checked against the digest and size its parent gives.
 */
final class TreeWalk implements TreeEvents {

  private record Frame(Directory directory, String path, int[] next) {}

  private final DirectoryLookup lookup;
  private final ArrayDeque<Frame> stack = new ArrayDeque<>();
  private Node pendingRoot;

  private Kind kind;
  private ByteString name;
  private FileNode file;
  private SymlinkNode symlink;
  private String path;

  TreeWalk(Node root, DirectoryLookup lookup) {
    this.pendingRoot = Objects.requireNonNull(root, "root");
    this.lookup = Objects.requireNonNull(lookup, "lookup");
  }

  @Override
  public boolean next() throws IOException {
    if (pendingRoot != null) {
      Node root = pendingRoot;
      pendingRoot = null;
      name = ByteString.EMPTY; // the root's name (a store path's, in a PathInfo) is not in the NAR
      switch (root.getNodeCase()) {
        case DIRECTORY -> enter(root.getDirectory(), "/");
        case FILE -> setFile(root.getFile(), "/");
        case SYMLINK -> setSymlink(root.getSymlink(), "/");
        default -> throw new InvalidTreeException("/", "the root Node has no directory, file or symlink");
      }
      return true;
    }
    Frame top = stack.peek();
    if (top == null) return false;
    Directory d = top.directory();
    int[] i = top.next();
    DirectoryNode dir = i[0] < d.getDirectoriesCount() ? d.getDirectories(i[0]) : null;
    FileNode f = i[1] < d.getFilesCount() ? d.getFiles(i[1]) : null;
    SymlinkNode s = i[2] < d.getSymlinksCount() ? d.getSymlinks(i[2]) : null;
    ByteString least = null;
    int which = -1; // 0 directory, 1 file, 2 symlink
    if (dir != null) {
      least = dir.getName();
      which = 0;
    }
    if (f != null && (least == null || Directories.NAME_ORDER.compare(f.getName(), least) < 0)) {
      least = f.getName();
      which = 1;
    }
    if (s != null && (least == null || Directories.NAME_ORDER.compare(s.getName(), least) < 0)) {
      least = s.getName();
      which = 2;
    }
    if (least == null) {
      stack.pop();
      kind = Kind.DIRECTORY_END;
      path = top.path();
      name = null;
      return true;
    }
    name = least;
    String childPath = (top.path().equals("/") ? "" : top.path()) + "/" + least.toStringUtf8();
    i[which]++;
    switch (which) {
      case 0 -> enter(dir, childPath);
      case 1 -> setFile(f, childPath);
      default -> setSymlink(s, childPath);
    }
    return true;
  }

  private void enter(DirectoryNode node, String at) throws IOException {
    B3Digest digest;
    try {
      digest = B3Digest.of(node.getDigest());
    } catch (IllegalArgumentException e) {
      throw new InvalidTreeException(at, e.getMessage(), e);
    }
    Directory directory = lookup.get(digest);
    if (directory == null) throw new MissingDirectoryException(digest, at, "not found");
    if (!Directories.digest(directory).equals(digest)) {
      throw new MissingDirectoryException(digest, at, "the lookup returned a directory of digest "
          + Directories.digest(directory).hex());
    }
    try {
      Directories.validate(directory);
    } catch (InvalidDirectoryException e) {
      throw new MissingDirectoryException(digest, at, "invalid: " + e.getMessage());
    }
    if (Directories.size(directory) != node.getSize()) {
      throw new MissingDirectoryException(digest, at, "its size is " + Directories.size(directory)
          + ", its parent says " + Long.toUnsignedString(node.getSize()));
    }
    stack.push(new Frame(directory, at, new int[3]));
    kind = Kind.DIRECTORY_START;
    path = at;
  }

  /** The size is a uint64: 2^63 and more read as negative, and no NAR holds such a file. */
  private void setFile(FileNode node, String at) throws InvalidTreeException {
    if (node.getSize() < 0) {
      throw new InvalidTreeException(at, "file size " + Long.toUnsignedString(node.getSize()) + " is 2^63 or more");
    }
    kind = Kind.FILE;
    file = node;
    path = at;
  }

  private void setSymlink(SymlinkNode node, String at) {
    kind = Kind.SYMLINK;
    symlink = node;
    path = at;
  }

  @Override
  public Kind kind() {
    return kind;
  }

  /** The node's name; empty for the root; null at DIRECTORY_END. */
  @Override
  public ByteString name() {
    return name;
  }

  @Override
  public FileNode file() {
    return file;
  }

  @Override
  public SymlinkNode symlink() {
    return symlink;
  }

  /** Path of the node for messages. */
  @Override
  public String path() {
    return path;
  }
}
