package dev.narflow.chunker.store;

import java.time.Instant;
import java.util.Objects;

/** What a backend knows about a stored object without reading it. */
public record ObjectStat(String key, long size, Instant lastModified) {
  public ObjectStat {
    Objects.requireNonNull(key, "key");
    Objects.requireNonNull(lastModified, "lastModified");
    if (size < 0) {
      throw new IllegalArgumentException("size must not be negative, got " + size);
    }
  }
}
