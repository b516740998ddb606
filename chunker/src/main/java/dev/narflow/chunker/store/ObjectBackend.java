package dev.narflow.chunker.store;

import java.io.Closeable;
import java.io.IOException;
import java.util.Optional;

/**
 * Where a {@link ChunkStore} keeps its objects: a flat namespace of immutable byte strings under
 * '/'-separated keys. Backends know nothing of chunks, digests or compression; the key layout
 * lives in {@link StoreLayout}.
 *
 * <p>Every object a backend makes visible is complete: a failed or interrupted write leaves
 * nothing under the key. Objects are never overwritten by {@link #putIfAbsent}.
 *
 * <p>Implementations are thread-safe.
 */
public interface ObjectBackend extends Closeable {

  /**
   * Stores {@code data[off, off+len)} under {@code key} unless an object is already there.
   *
   * @return true if this call published the object; false if one already existed (its content is
   *     left as it was). Backends without an atomic "create if absent" document when two
   *     concurrent writers of the same key may both see true.
   */
  boolean putIfAbsent(String key, byte[] data, int off, int len) throws IOException;

  /**
   * The whole object, or empty if there is none.
   *
   * @throws ObjectTooLargeException if the object is longer than {@code maxBytes}; nothing beyond
   *     that bound is read into memory
   */
  Optional<byte[]> get(String key, int maxBytes) throws IOException;

  /** Size and modification time of the object, or empty if there is none. */
  Optional<ObjectStat> stat(String key) throws IOException;

  default boolean exists(String key) throws IOException {
    return stat(key).isPresent();
  }

  /**
   * Returns once every object put so far is durable and published (see {@link ChunkStore#flush()}).
   * Backends whose puts are durable when they return (S3) have nothing to do; wrappers must pass
   * it on.
   */
  default void flush() throws IOException {}

  /** Where this backend stores, for messages: a directory, or {@code s3://bucket/prefix}. */
  String location();
}
