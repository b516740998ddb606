package dev.narflow.chunker.nar;

import java.io.IOException;

/**
 * A tree that cannot be a NAR: a file of 2^63 bytes or more (a uint64 that Java reads as
 * negative), a digest of the wrong length, a root with no node, a name or symlink target NAR
 * forbids. Corrupt index data, named by its path; an IOException so that it is handled like any
 * other failed read rather than escaping as a programming error.
 */
public final class InvalidTreeException extends IOException {
  public InvalidTreeException(String path, String problem) {
    super("invalid tree at " + path + ": " + problem);
  }

  public InvalidTreeException(String path, String problem, Throwable cause) {
    super("invalid tree at " + path + ": " + problem, cause);
  }
}
