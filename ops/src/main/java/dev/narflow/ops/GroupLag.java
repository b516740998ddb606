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
    return behind(admin, partitions, committed(admin, group));
  }

  /** The same for the partitions the group has committed offsets for: where it has consumed. */
  public static Map<TopicPartition, Long> ofConsumed(Admin admin, String group)
      throws InterruptedException, ExecutionException {
    Map<TopicPartition, OffsetAndMetadata> committed = committed(admin, group);
    return behind(admin, committed.keySet(), committed);
  }

  private static Map<TopicPartition, OffsetAndMetadata> committed(Admin admin, String group)
      throws InterruptedException, ExecutionException {
    Map<TopicPartition, OffsetAndMetadata> committed = new HashMap<>();
    admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get().forEach((tp, at) -> {
      if (at != null) committed.put(tp, at);
    });
    return committed;
  }

  private static Map<TopicPartition, Long> behind(Admin admin, Collection<TopicPartition> partitions,
      Map<TopicPartition, OffsetAndMetadata> committed) throws InterruptedException, ExecutionException {
    Map<TopicPartition, Long> lag = new HashMap<>();
    if (partitions.isEmpty()) return lag;
    Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
    partitions.forEach(tp -> latest.put(tp, OffsetSpec.latest()));
    var ends = admin.listOffsets(latest, new ListOffsetsOptions(IsolationLevel.READ_COMMITTED)).all().get();
    for (TopicPartition tp : partitions) {
      OffsetAndMetadata at = committed.get(tp);
      lag.put(tp, Math.max(0, ends.get(tp).offset() - (at == null ? 0 : at.offset())));
    }
    return lag;
  }
}
