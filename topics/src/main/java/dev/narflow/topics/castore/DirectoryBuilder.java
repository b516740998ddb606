package dev.narflow.topics.castore;

import com.google.protobuf.ByteString;
import com.google.protobuf.Message;
import dev.narflow.topics.castore.v1.Directory;
import dev.narflow.topics.castore.v1.DirectoryNode;
import dev.narflow.topics.castore.v1.FileNode;
import dev.narflow.topics.castore.v1.Node;
import dev.narflow.topics.castore.v1.SymlinkNode;
import java.util.TreeMap;

/**
 * Collects the entries of one directory in any order and builds a valid, canonical
 * {@link Directory}. Each entry is checked as it is added (name, digest, target, duplicates,
 * size overflow), so {@link #build()} cannot fail. Not thread-safe.
 */
public final class DirectoryBuilder {
  // Values are DirectoryNode, FileNode or SymlinkNode, ordered as castore wants the names.
  private final TreeMap<ByteString, Object> entries = new TreeMap<>(Directories.NAME_ORDER);
  private long size;

  /** Adds a subdirectory by the digest and size of its Directory. */
  public DirectoryBuilder addDirectory(ByteString name, B3Digest digest, long size) {
    return add(DirectoryNode.newBuilder()
        .setName(name).setDigest(digest.toByteString()).setSize(size).build());
  }

  /** Adds {@code child} as a subdirectory; computes its digest and size. */
  public DirectoryBuilder addDirectory(ByteString name, Directory child) {
    return add(Directories.directoryNode(name, child));
  }

  /** Adds a regular file by the digest and length of its contents. */
  public DirectoryBuilder addFile(ByteString name, B3Digest digest, long size, boolean executable) {
    return add(FileNode.newBuilder()
        .setName(name).setDigest(digest.toByteString()).setSize(size).setExecutable(executable).build());
  }

  /** Adds a symbolic link. */
  public DirectoryBuilder addSymlink(ByteString name, ByteString target) {
    return add(SymlinkNode.newBuilder().setName(name).setTarget(target).build());
  }

  /** Adds a named node of any kind, e.g. the result of building a child. */
  public DirectoryBuilder add(Node node) {
    return switch (node.getNodeCase()) {
      case DIRECTORY -> add(node.getDirectory());
      case FILE -> add(node.getFile());
      case SYMLINK -> add(node.getSymlink());
      case NODE_NOT_SET -> throw new IllegalArgumentException("Node has no directory, file or symlink set");
    };
  }

  /** Adds a subdirectory entry as it is (its name, digest and size). */
  public DirectoryBuilder add(DirectoryNode node) {
    Directories.checkName(node.getName(), "directory");
    Directories.checkDigest(node.getDigest(), node.getName(), "directory");
    long grown = Directories.addSize(size, 2, node.getName(), "directory");
    grown = Directories.addSize(grown, node.getSize(), node.getName(), "directory");
    put(node.getName(), "directory", node);
    size = grown;
    return this;
  }

  /** Adds a file entry as it is. */
  public DirectoryBuilder add(FileNode node) {
    Directories.checkName(node.getName(), "file");
    Directories.checkDigest(node.getDigest(), node.getName(), "file");
    long grown = Directories.addSize(size, 2, node.getName(), "file");
    put(node.getName(), "file", node);
    size = grown;
    return this;
  }

  /** Adds a symlink entry as it is. */
  public DirectoryBuilder add(SymlinkNode node) {
    Directories.checkName(node.getName(), "symlink");
    Directories.checkSymlinkTarget(node.getTarget(), node.getName());
    long grown = Directories.addSize(size, 2, node.getName(), "symlink");
    put(node.getName(), "symlink", node);
    size = grown;
    return this;
  }

  private void put(ByteString name, String kind, Message node) {
    if (!node.getUnknownFields().asMap().isEmpty()) {
      throw InvalidDirectoryException.forEntry(name, kind, "unknown fields "
          + node.getUnknownFields().asMap().keySet() + " (the encoding would not be canonical)");
    }
    Object existing = entries.putIfAbsent(name, node);
    if (existing != null) {
      throw InvalidDirectoryException.forEntry(name, kind, "duplicate name (also a " + kindOf(existing) + ")");
    }
  }

  private static String kindOf(Object node) {
    if (node instanceof DirectoryNode) return "directory";
    return node instanceof FileNode ? "file" : "symlink";
  }

  /** The number of entries so far. */
  public int entryCount() {
    return entries.size();
  }

  /** The size (as {@link Directories#size}) of the directory built so far; unsigned. */
  public long size() {
    return size;
  }

  /** The Directory of all entries added so far, each list sorted by name bytes. */
  public Directory build() {
    Directory.Builder directory = Directory.newBuilder();
    for (Object node : entries.values()) {
      if (node instanceof DirectoryNode d) {
        directory.addDirectories(d);
      } else if (node instanceof FileNode f) {
        directory.addFiles(f);
      } else {
        directory.addSymlinks((SymlinkNode) node);
      }
    }
    return directory.build();
  }
}
