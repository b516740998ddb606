package dev.narflow.topics.kafka;

import java.util.Optional;

/**
 * How many partitions and replicas the narflow topics get when created. Partition count is the
 * unit of horizontal scale (at most one worker per partition) and cannot be raised later without
 * moving keys between partitions, so it is chosen generously.
 *
 * @param partitions partitions per topic, or -1 for the broker's {@code num.partitions}
 * @param replicationFactor replicas per partition, or -1 for the broker's
 *     {@code default.replication.factor}
 */
public record TopicLayout(int partitions, short replicationFactor) {
  /** Enough for a dozen workers; cheap even on a single embedded broker. */
  public static final int DEFAULT_PARTITIONS = 12;

  public TopicLayout {
    if (partitions == 0 || partitions < -1) {
      throw new IllegalArgumentException("partitions must be positive or -1 (broker default), got " + partitions);
    }
    if (replicationFactor == 0 || replicationFactor < -1) {
      throw new IllegalArgumentException(
          "replication factor must be positive or -1 (broker default), got " + replicationFactor);
    }
  }

  /** {@value #DEFAULT_PARTITIONS} partitions, the broker's default replication factor. */
  public static TopicLayout defaults() {
    return new TopicLayout(DEFAULT_PARTITIONS, (short) -1);
  }

  public static TopicLayout of(int partitions, int replicationFactor) {
    if (replicationFactor > Short.MAX_VALUE) {
      throw new IllegalArgumentException("replication factor too large: " + replicationFactor);
    }
    return new TopicLayout(partitions, (short) replicationFactor);
  }

  Optional<Integer> partitionsOrDefault() {
    return partitions == -1 ? Optional.empty() : Optional.of(partitions);
  }

  Optional<Short> replicationFactorOrDefault() {
    return replicationFactor == -1 ? Optional.empty() : Optional.of(replicationFactor);
  }
}
