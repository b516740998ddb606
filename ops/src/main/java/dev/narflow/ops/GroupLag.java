package dev.narflow.ops;

import java.util.Collection;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ListOffsetsOptions;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.TopicPartition;

/**
 * How far a consumer group is behind, partition by partition: the read-committed end offset
 * (narflow's producers are transactional, so the last offsets of a partition may be transaction
 * markers no consumer ever reads as records) less the group's committed offset, or the whole
 * partition where the group has committed nothing. What {@code narflow status} shows and what
 * {@code narflow rebuild-index} waits on.
 */
public final class GroupLag {
  private GroupLag() {}

  /** Records of {@code partitions} that {@code group} has not committed past. */
  public static Map<TopicPartition, Long> of(Admin admin, String group, Collection<TopicPartition> partitions)
      throws InterruptedException, ExecutionException {
    Map<TopicPartition, Long> lag = new HashMap<>();
    if (partitions.isEmpty()) return lag;
    Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
    partitions.forEach(tp -> latest.put(tp, OffsetSpec.latest()));
    var ends = admin.listOffsets(latest, new ListOffsetsOptions(IsolationLevel.READ_COMMITTED)).all().get();
    Map<TopicPartition, OffsetAndMetadata> committed =
        admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get();
    for (TopicPartition tp : partitions) {
      OffsetAndMetadata at = committed.get(tp);
      long end = ends.get(tp).offset();
      lag.put(tp, Math.max(0, end - (at == null ? 0 : at.offset())));
    }
    return lag;
  }

  /** Partitions the group has committed offsets for: where it has consumed. */
  public static Collection<TopicPartition> consumed(Admin admin, String group)
      throws InterruptedException, ExecutionException {
    return admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get().entrySet().stream()
        .filter(e -> e.getValue() != null).map(Map.Entry::getKey).toList();
  }
}
