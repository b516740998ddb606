package dev.narflow.chunker.nar;

import dev.narflow.topics.castore.B3Digest;
import dev.narflow.topics.castore.Directories;
import dev.narflow.topics.castore.v1.Directory;
import java.io.IOException;
import java.util.HashMap;
import java.util.Map;

/** Finds Directory records by digest, for {@link NarRenderer}: a map, the index, a cache… */
@FunctionalInterface
public interface DirectoryLookup {
  /** The Directory whose digest is {@code digest}, or null if there is none. */
  Directory get(B3Digest digest) throws IOException;

  /** Lookups in {@code directories} (which is not copied). */
  static DirectoryLookup of(Map<B3Digest, Directory> directories) {
    return directories::get;
  }

  /** Lookups among {@code directories}, keyed by their digests. */
  static DirectoryLookup of(Iterable<Directory> directories) {
    Map<B3Digest, Directory> map = new HashMap<>();
    for (Directory d : directories) map.put(Directories.digest(d), d);
    return map::get;
  }
}
