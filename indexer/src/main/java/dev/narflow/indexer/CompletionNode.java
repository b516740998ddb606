package dev.narflow.indexer;

import dev.narflow.topics.castore.B3Digest;
import dev.narflow.topics.kafka.IndexKey;
import dev.narflow.topics.kafka.StorePathKey;
import java.util.Arrays;
import org.apache.kafka.common.utils.Bytes;

/**
 * The id of a node of the completeness graph, as state store and notification key bytes:
 * <ul>
 *   <li>{@code D}+32-byte digest: a Directory and every Directory below it are present;
 *   <li>{@code P}+20-byte digest+{@code T}: the path is tree-complete;
 *   <li>{@code P}+20-byte digest+{@code C}: the path is closure-complete.
 * </ul>
 * Each starts with the index key of the record it is about, and is partitioned by that prefix
 * only (see {@link #partitionKey}), so a node lives in the same partition as its record.
 * The first byte fixes the length, so one id is never a proper prefix of another and
 * {@code id ++ other id} pair keys can be scanned by their first id.
 */
final class CompletionNode {
  static final byte TREE = 'T';
  static final byte CLOSURE = 'C';

  private CompletionNode() {}

  static Bytes directory(B3Digest digest) {
    return Bytes.wrap(IndexKey.directory(digest).toBytes());
  }

  static Bytes tree(StorePathKey path) {
    return aspect(path, TREE);
  }

  static Bytes closure(StorePathKey path) {
    return aspect(path, CLOSURE);
  }

  private static Bytes aspect(StorePathKey path, byte aspect) {
    byte[] key = IndexKey.pathInfo(path).toBytes();
    byte[] id = Arrays.copyOf(key, key.length + 1);
    id[key.length] = aspect;
    return Bytes.wrap(id);
  }

  /** How many bytes the id starting at {@code offset} of {@code bytes} has. */
  static int length(byte[] bytes, int offset) {
    return bytes[offset] == 'D' ? 1 + B3Digest.SIZE : 1 + StorePathKey.SIZE + 1;
  }

  /** The index key bytes the node is about, which decide its partition. */
  static byte[] partitionKey(Bytes id) {
    byte[] bytes = id.get();
    return bytes[0] == 'D' ? bytes : Arrays.copyOf(bytes, 1 + StorePathKey.SIZE);
  }

  static boolean isClosure(Bytes id) {
    byte[] b = id.get();
    return b[0] == 'P' && b[b.length - 1] == CLOSURE;
  }

  static boolean isTree(Bytes id) {
    byte[] b = id.get();
    return b[0] == 'P' && b[b.length - 1] == TREE;
  }

  /** The store path of a {@code T} or {@code C} node. */
  static StorePathKey path(Bytes id) {
    return StorePathKey.of(Arrays.copyOfRange(id.get(), 1, 1 + StorePathKey.SIZE));
  }

  /** {@code first ++ second}: the key of a pair in the pending and waiters stores. */
  static Bytes pair(Bytes first, Bytes second) {
    byte[] a = first.get();
    byte[] b = second.get();
    byte[] key = Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, key, a.length, b.length);
    return Bytes.wrap(key);
  }

  /** The second id of a pair key. */
  static Bytes second(Bytes pair) {
    byte[] p = pair.get();
    return Bytes.wrap(Arrays.copyOfRange(p, length(p, 0), p.length));
  }
}
