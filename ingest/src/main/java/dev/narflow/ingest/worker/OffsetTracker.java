package dev.narflow.ingest.worker;

import java.util.Collection;
import java.util.HashMap;
import java.util.Map;
import java.util.NavigableSet;
import java.util.TreeSet;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;

/**
 * Which consumed records of each partition are not finished yet, and so how far the group's
 * offset may be committed: up to the first unfinished record. A record finishes when its outcome
 * goes into a transaction.
 *
 * <p>Records after an unfinished one (small paths behind a large NAR) may finish, and commit,
 * much earlier. So that a crash does not make the next owner fetch them again, each committed
 * offset carries in its metadata the records above it that are already finished
 * ({@code done:2-5,9}, offsets relative to the committed one); {@link #restore} reads it back on
 * assignment and {@link #consumed} then says to skip them. The metadata commits in the same
 * transaction as the outcomes it names, so it never names one that did not commit. Past
 * {@link #MAX_METADATA} characters the highest ranges are left out: those are redone, which is
 * harmless. Not thread-safe (the poll thread's).
 */
final class OffsetTracker {
  /** Kafka refuses metadata over {@code offset.metadata.max.bytes} (4096 by default). */
  static final int MAX_METADATA = 2000;
  private static final String DONE = "done:";

  private static final class Partition {
    final TreeSet<Long> unfinished = new TreeSet<>();
    /** Finished records above the first unfinished one (restored ones included). */
    final TreeSet<Long> finishedAbove = new TreeSet<>();
    long next = -1; // one past the highest offset consumed
    long committed = -1;
    String committedMetadata = "";

    long commitOffset() {
      return unfinished.isEmpty() ? next : unfinished.first();
    }

    void prune() {
      long c = commitOffset();
      finishedAbove.headSet(c, false).clear();
    }
  }

  private final Map<TopicPartition, Partition> partitions = new HashMap<>();

  /**
   * A record was consumed: true when its work is to be done, false when the partition's committed
   * metadata says it finished already (skip it).
   */
  boolean consumed(TopicPartition tp, long offset) {
    Partition p = partitions.computeIfAbsent(tp, k -> new Partition());
    p.next = Math.max(p.next, offset + 1);
    if (p.finishedAbove.contains(offset)) return false;
    p.unfinished.add(offset);
    return true;
  }

  /** The record's outcome is in the transaction being built. */
  void finished(TopicPartition tp, long offset) {
    Partition p = partitions.get(tp);
    if (p == null || !p.unfinished.remove(offset)) {
      throw new IllegalStateException("record " + tp + "@" + offset + " is not tracked");
    }
    p.finishedAbove.add(offset);
    p.prune();
  }

  boolean isUnfinished(TopicPartition tp, long offset) {
    Partition p = partitions.get(tp);
    return p != null && p.unfinished.contains(offset);
  }

  /** The offsets to commit with the next transaction: every partition whose position or done set moved. */
  Map<TopicPartition, OffsetAndMetadata> offsetsToCommit() {
    Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
    partitions.forEach((tp, p) -> {
      long offset = p.commitOffset();
      if (offset < 0) return;
      String metadata = encode(offset, p.finishedAbove);
      if (offset > p.committed || (offset == p.committed && !metadata.equals(p.committedMetadata))) {
        offsets.put(tp, new OffsetAndMetadata(offset, metadata));
      }
    });
    return offsets;
  }

  /** The transaction that carried {@code offsets} committed. */
  void committed(Map<TopicPartition, OffsetAndMetadata> offsets) {
    offsets.forEach((tp, o) -> {
      Partition p = partitions.get(tp);
      if (p != null && o.offset() >= p.committed) {
        p.committed = o.offset();
        p.committedMetadata = o.metadata();
      }
    });
  }

  /**
   * A partition was assigned with this committed offset (null: none): what its metadata names
   * as finished is skipped when consumed. Replaces what was tracked for the partition.
   */
  void restore(TopicPartition tp, OffsetAndMetadata committed) {
    Partition p = new Partition();
    if (committed != null) {
      p.committed = committed.offset();
      p.committedMetadata = committed.metadata() == null ? "" : committed.metadata();
      decode(committed.offset(), p.committedMetadata, p.finishedAbove);
    }
    partitions.put(tp, p);
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

  /** {@code done:1-3,7} for finished offsets base+1..base+3 and base+7; "" for none. */
  static String encode(long base, NavigableSet<Long> finished) {
    if (finished.isEmpty()) return "";
    StringBuilder out = new StringBuilder(DONE);
    long start = -1;
    long end = -1;
    for (long o : finished.tailSet(base, false)) {
      if (start >= 0 && o == end + 1) {
        end = o;
        continue;
      }
      if (start >= 0 && !appendRange(out, base, start, end)) return trimmed(out);
      start = o;
      end = o;
    }
    if (start >= 0 && !appendRange(out, base, start, end)) return trimmed(out);
    return trimmed(out);
  }

  private static boolean appendRange(StringBuilder out, long base, long start, long end) {
    String range = (start - base) + (end > start ? "-" + (end - base) : "");
    if (out.length() + range.length() + 1 > MAX_METADATA) return false;
    if (out.length() > DONE.length()) out.append(',');
    out.append(range);
    return true;
  }

  private static String trimmed(StringBuilder out) {
    return out.length() == DONE.length() ? "" : out.toString();
  }

  /** Adds what {@link #encode} wrote; anything else (another tool's metadata) adds nothing. */
  static void decode(long base, String metadata, Collection<Long> into) {
    if (metadata == null || !metadata.startsWith(DONE)) return;
    try {
      for (String range : metadata.substring(DONE.length()).split(",")) {
        int dash = range.indexOf('-');
        long from = Long.parseLong(dash < 0 ? range : range.substring(0, dash));
        long to = dash < 0 ? from : Long.parseLong(range.substring(dash + 1));
        if (from < 1 || to < from || to - from > 1_000_000) return;
        for (long d = from; d <= to; d++) into.add(base + d);
      }
    } catch (NumberFormatException e) {
      // not ours: redoing is always safe
    }
  }
}
