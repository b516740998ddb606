package dev.narflow.chunker.nar;

import dev.narflow.topics.nix.NixHash;

/** The NAR's SHA-256 is not its expected NarHash. */
public final class NarHashMismatchException extends NarMismatchException {
  private final NixHash expected;
  private final NixHash actual;

  NarHashMismatchException(NixHash expected, NixHash actual) {
    super("NAR hashes to " + actual + ", its NarHash is " + expected);
    this.expected = expected;
    this.actual = actual;
  }

  public NixHash expected() {
    return expected;
  }

  public NixHash actual() {
    return actual;
  }
}
