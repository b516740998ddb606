package dev.narflow.chunker.nar;

import java.io.IOException;

/** The NAR read is not the one its narinfo describes; see the two subclasses. */
public abstract class NarMismatchException extends IOException {
  NarMismatchException(String message) {
    super(message);
  }
}
