package dev.narflow.ops;

import java.nio.file.Files;
import java.nio.file.Path;

/** Where the tests find the checkout's own files (docs, deployment files, the launcher). */
public final class Repository {
  private Repository() {}

  /** The repository's root: the nearest directory above the working directory holding ops/pom.xml. */
  public static Path root() {
    for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
      if (Files.isRegularFile(dir.resolve("ops/pom.xml"))) return dir;
    }
    throw new IllegalStateException("no ops/pom.xml above " + Path.of("").toAbsolutePath());
  }
}
