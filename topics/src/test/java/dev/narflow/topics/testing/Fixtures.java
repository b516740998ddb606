package dev.narflow.topics.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** The shared conformance vectors in {@code ../shared/fixtures}, as the build passes them in. */
public final class Fixtures {
  private Fixtures() {}

  /** The fixtures folder; fails loudly when it is missing rather than letting tests pass on nothing. */
  public static Path root() {
    String configured = System.getProperty("narflow.fixtures");
    Path root = configured != null ? Path.of(configured) : Path.of("..", "..", "shared", "fixtures");
    if (!Files.isDirectory(root)) {
      throw new IllegalStateException("conformance fixtures not found at " + root.toAbsolutePath()
          + " (set -Dnarflow.fixtures or check out ../shared beside the project)");
    }
    return root;
  }

  public static Path path(String relative) {
    Path p = root().resolve(relative);
    if (!Files.exists(p)) throw new IllegalStateException("missing fixture " + p);
    return p;
  }

  public static byte[] bytes(String relative) {
    try {
      return Files.readAllBytes(path(relative));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
