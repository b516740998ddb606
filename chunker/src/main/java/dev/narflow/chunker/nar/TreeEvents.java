package dev.narflow.chunker.nar;

import com.google.protobuf.ByteString;
import dev.narflow.topics.castore.v1.FileNode;
import dev.narflow.topics.castore.v1.SymlinkNode;
import java.io.IOException;

/** A tree's nodes in NAR order: from a {@link TreeWalk} of Directory lookups or a {@link NarLayout}. */
interface TreeEvents {
  enum Kind { DIRECTORY_START, FILE, SYMLINK, DIRECTORY_END }

  /** Moves to the next node event; false at the end. */
  boolean next() throws IOException;

  Kind kind();

  /** The node's name; empty for the root; null at DIRECTORY_END. */
  ByteString name();

  FileNode file();

  SymlinkNode symlink();

  /** Path of the node, for messages. */
  String path();
}
