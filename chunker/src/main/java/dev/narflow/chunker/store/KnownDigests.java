package dev.narflow.chunker.store;

import dev.narflow.topics.castore.B3Digest;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A bounded set of digests known to be stored, least recently used evicted first. Lets repeated
 * chunks (common across versions of a package) skip the existence round trip to the backend.
 * About 100 bytes per entry. Thread-safe; a single lock is fine at chunk rates (one lookup per
 * ~256 KiB of data).
 */
final class KnownDigests {
  private final int capacity;
  private final LinkedHashMap<B3Digest, Boolean> entries;

  KnownDigests(int capacity) {
    if (capacity < 0) {
      throw new IllegalArgumentException("capacity must not be negative, got " + capacity);
    }
    this.capacity = capacity;
    this.entries =
        new LinkedHashMap<>(16, 0.75f, true) {
          @Override
          protected boolean removeEldestEntry(Map.Entry<B3Digest, Boolean> eldest) {
            return size() > KnownDigests.this.capacity;
          }
        };
  }

  synchronized boolean contains(B3Digest digest) {
    return entries.get(digest) != null; // get, not containsKey: refreshes the entry's recency
  }

  synchronized void add(B3Digest digest) {
    if (capacity > 0) {
      entries.put(digest, Boolean.TRUE);
    }
  }

  synchronized int size() {
    return entries.size();
  }
}
