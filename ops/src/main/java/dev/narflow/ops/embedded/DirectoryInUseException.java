package dev.narflow.ops.embedded;

import java.io.IOException;
import java.nio.file.Path;

/** Another narflow process (or another broker in this one) already runs on the directory. */
public final class DirectoryInUseException extends IOException {
  private final Path directory;

  public DirectoryInUseException(Path directory) {
    super(directory + " is in use by another narflow process");
    this.directory = directory;
  }

  public Path directory() {
    return directory;
  }
}
