package dev.narflow.ops.inspect;

import dev.narflow.chunker.store.ObjectBackend;
import dev.narflow.chunker.store.ObjectStat;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A backend that keeps only the keys and sizes of what is written: {@code inspect} runs the real
 * import path (chunking, hashing, compression, dedup) to count, without storing any bytes.
 */
final class DiscardingBackend implements ObjectBackend {
  private final Map<String, Long> sizes = new ConcurrentHashMap<>();

  @Override
  public boolean putIfAbsent(String key, byte[] data, int off, int len) {
    return sizes.putIfAbsent(key, (long) len) == null;
  }

  @Override
  public Optional<byte[]> get(String key, int maxBytes) {
    throw new UnsupportedOperationException("inspect keeps no object bodies");
  }

  @Override
  public Optional<ObjectStat> stat(String key) {
    Long size = sizes.get(key);
    return size == null ? Optional.empty() : Optional.of(new ObjectStat(key, size, Instant.EPOCH));
  }

  @Override
  public String location() {
    return "(nothing stored: inspect)";
  }

  @Override
  public void close() {}
}
