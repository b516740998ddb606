package dev.narflow.topics.nar;

import java.io.IOException;

/**
 * A NAR that breaks the format: the message names the problem, the path of the node where it was
 * found (e.g. {@code /keep/.keep}, {@code /} for the root) and the byte offset in the NAR.
 */
public final class NarFormatException extends IOException {
  private static final long serialVersionUID = 1L;

  private final String problem;
  private final String path;
  private final long offset;

  public NarFormatException(String problem, String path, long offset) {
    super("bad NAR: " + problem + " at " + path + " (byte offset " + offset + ")");
    this.problem = problem;
    this.path = path;
    this.offset = offset;
  }

  /** What is wrong, without the location. */
  public String problem() {
    return problem;
  }

  /** The path of the node where the problem was found; {@code /} is the root. */
  public String path() {
    return path;
  }

  /** Byte offset in the NAR where the offending item starts (or where the input ended). */
  public long offset() {
    return offset;
  }
}
