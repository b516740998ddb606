package dev.narflow.ops.embedded;

import java.io.IOException;

/** A {@code --data} directory that cannot be used; the message is one line for an operator. */
public final class DataDirException extends IOException {
  public DataDirException(String message) {
    super(message);
  }

  public DataDirException(String message, Throwable cause) {
    super(message, cause);
  }
}
