package dev.narflow.chunker.nar;

import dev.narflow.topics.castore.v1.Node;
import java.io.IOException;

/** Whether a castore tree is all there: every Directory under its root found, and matching its digest. */
public final class TreeCheck {
  private TreeCheck() {}

  /**
   * Walks the whole tree of {@code root}, looking up each Directory once.
   *
   * @throws MissingDirectoryException for the first Directory missing or not matching its digest
   * @throws InvalidTreeException if a Directory's entries cannot be a NAR's
   */
  public static void requireWhole(Node root, DirectoryLookup lookup) throws IOException {
    TreeWalk walk = new TreeWalk(root, lookup);
    while (walk.next()) {
      // each step looks up and checks what it enters
    }
  }
}
