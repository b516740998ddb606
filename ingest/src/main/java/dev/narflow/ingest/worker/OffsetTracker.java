package dev.narflow.ingest.worker;

import java.util.Collection;
import java.util.HashMap;
import java.util.Map;
import java.util.TreeSet;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;

/**
 * Which consumed records of each partition are not finished yet, and so how far the group's
 * offset may be committed: up to the first unfinished record. A record finishes when its outcome
 * goes into a transaction; records after an unfinished one may be done (and even committed)
 * earlier, and are redone after a crash, which is harmless. Not thread-safe (the poll thread's).
 */
final class OffsetTracker {
  private static final class Partition {
    final TreeSet<Long> unfinished = new TreeSet<>();
    long next = -1; // one past the highest offset consumed
    long committed = -1;

    long commitOffset() {
      return unfinished.isEmpty() ? next : unfinished.first();
    }
  }

  private final Map<TopicPartition, Partition> partitions = new HashMap<>();

  /** A record was consumed and its work is not done. */
  void consumed(TopicPartition tp, long offset) {
    Partition p = partitions.computeIfAbsent(tp, k -> new Partition());
    p.unfinished.add(offset);
    p.next = Math.max(p.next, offset + 1);
  }

  /** The record's outcome is in the transaction being built. */
  void finished(TopicPartition tp, long offset) {
    Partition p = partitions.get(tp);
    if (p == null || !p.unfinished.remove(offset)) {
      throw new IllegalStateException("record " + tp + "@" + offset + " is not tracked");
    }
  }

  boolean isUnfinished(TopicPartition tp, long offset) {
    Partition p = partitions.get(tp);
    return p != null && p.unfinished.contains(offset);
  }

  /** The offsets to commit with the next transaction: every partition whose position moved. */
  Map<TopicPartition, OffsetAndMetadata> offsetsToCommit() {
    Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
    partitions.forEach((tp, p) -> {
      long offset = p.commitOffset();
      if (offset > p.committed) offsets.put(tp, new OffsetAndMetadata(offset));
    });
    return offsets;
  }

  /** The transaction that carried {@code offsets} committed. */
  void committed(Map<TopicPartition, OffsetAndMetadata> offsets) {
    offsets.forEach((tp, o) -> {
      Partition p = partitions.get(tp);
      if (p != null) p.committed = Math.max(p.committed, o.offset());
    });
  }

  /** Forgets partitions this worker no longer owns (their work is redone by the new owner). */
  void forget(Collection<TopicPartition> revoked) {
    revoked.forEach(partitions::remove);
  }

  void clear() {
    partitions.clear();
  }

  int unfinishedCount() {
    int n = 0;
    for (Partition p : partitions.values()) n += p.unfinished.size();
    return n;
  }
}
