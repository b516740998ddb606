package dev.narflow.ops.mirror;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.clients.admin.DescribeProducersResult.PartitionProducerState;
import org.apache.kafka.clients.admin.GroupListing;
import org.apache.kafka.clients.admin.ListOffsetsOptions;
import org.apache.kafka.clients.admin.ListOffsetsResult.ListOffsetsResultInfo;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.ProducerState;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.admin.TransactionDescription;
import org.apache.kafka.clients.admin.TransactionListing;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.TopicPartition;

/**
 * What a stuck run looks like from its broker, for a test's failure message: open transactions,
 * partitions whose last stable offset lags their end (an open transaction holds read_committed
 * readers there), the producers holding them, and every group's committed offsets and members.
 */
final class BrokerDiagnostics {
  private BrokerDiagnostics() {}

  static String report(String bootstrapServers) {
    StringBuilder out = new StringBuilder("--- broker " + bootstrapServers + "\n");
    Map<String, Object> config = new HashMap<>();
    config.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    config.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 15_000);
    config.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 10_000);
    try (Admin admin = Admin.create(config)) {
      section(out, "transactions", () -> transactions(admin));
      section(out, "offsets", () -> offsets(admin));
      section(out, "groups", () -> groups(admin));
    } catch (RuntimeException e) {
      out.append("admin client failed: ").append(e).append('\n');
    }
    return out.toString();
  }

  private interface Part {
    String get() throws Exception;
  }

  private static void section(StringBuilder out, String name, Part part) {
    out.append("-- ").append(name).append('\n');
    try {
      out.append(part.get());
    } catch (Exception e) {
      out.append("failed: ").append(e).append('\n');
    }
  }

  private static String transactions(Admin admin) throws Exception {
    StringBuilder out = new StringBuilder();
    Collection<TransactionListing> listings = admin.listTransactions().all().get(15, TimeUnit.SECONDS);
    List<String> ids = listings.stream().map(TransactionListing::transactionalId).toList();
    Map<String, TransactionDescription> described = ids.isEmpty() ? Map.of()
        : admin.describeTransactions(ids).all().get(15, TimeUnit.SECONDS);
    for (TransactionListing l : listings) {
      TransactionDescription d = described.get(l.transactionalId());
      out.append(l.transactionalId()).append(" producerId=").append(l.producerId()).append(' ').append(l.state());
      if (d != null) {
        out.append(" epoch=").append(d.producerEpoch()).append(" timeoutMs=").append(d.transactionTimeoutMs())
            .append(" startMs=").append(d.transactionStartTimeMs().orElse(-1)).append(" partitions=").append(d.topicPartitions());
      }
      out.append('\n');
    }
    return out.toString();
  }

  private static String offsets(Admin admin) throws Exception {
    StringBuilder out = new StringBuilder();
    Set<String> topics = admin.listTopics().names().get(15, TimeUnit.SECONDS);
    Map<String, TopicDescription> descriptions = admin.describeTopics(topics).allTopicNames().get(15, TimeUnit.SECONDS);
    List<TopicPartition> partitions = new ArrayList<>();
    descriptions.values().forEach(d -> d.partitions().forEach(p -> partitions.add(new TopicPartition(d.name(), p.partition()))));
    Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
    Map<TopicPartition, OffsetSpec> earliest = new HashMap<>();
    partitions.forEach(tp -> {
      latest.put(tp, OffsetSpec.latest());
      earliest.put(tp, OffsetSpec.earliest());
    });
    Map<TopicPartition, ListOffsetsResultInfo> end = admin.listOffsets(latest,
        new ListOffsetsOptions(IsolationLevel.READ_UNCOMMITTED)).all().get(15, TimeUnit.SECONDS);
    Map<TopicPartition, ListOffsetsResultInfo> stable = admin.listOffsets(latest,
        new ListOffsetsOptions(IsolationLevel.READ_COMMITTED)).all().get(15, TimeUnit.SECONDS);
    Map<TopicPartition, ListOffsetsResultInfo> start = admin.listOffsets(earliest).all().get(15, TimeUnit.SECONDS);
    List<TopicPartition> lagging = new ArrayList<>();
    Map<String, String> sorted = new TreeMap<>();
    for (TopicPartition tp : partitions) {
      long e = end.get(tp).offset();
      long s = stable.get(tp).offset();
      if (s < e) lagging.add(tp);
      if (e > 0) {
        sorted.put(tp.toString(), "start=" + start.get(tp).offset() + " lso=" + s + " end=" + e + (s < e ? "  <-- LSO behind" : ""));
      }
    }
    sorted.forEach((tp, line) -> out.append(tp).append(' ').append(line).append('\n'));
    if (!lagging.isEmpty()) {
      for (Map.Entry<TopicPartition, PartitionProducerState> p
          : admin.describeProducers(lagging).all().get(15, TimeUnit.SECONDS).entrySet()) {
        for (ProducerState s : p.getValue().activeProducers()) {
          out.append("producer on ").append(p.getKey()).append(": ").append(s).append('\n');
        }
      }
    }
    return out.toString();
  }

  private static String groups(Admin admin) throws Exception {
    StringBuilder out = new StringBuilder();
    List<String> ids = admin.listGroups().all().get(15, TimeUnit.SECONDS).stream().map(GroupListing::groupId).toList();
    Map<String, ConsumerGroupDescription> described = ids.isEmpty() ? Map.of()
        : admin.describeConsumerGroups(ids).all().get(15, TimeUnit.SECONDS);
    for (String id : ids) {
      ConsumerGroupDescription d = described.get(id);
      out.append("group ").append(id);
      if (d != null) {
        out.append(' ').append(d.groupState()).append(" members=");
        d.members().forEach(m -> out.append(m.consumerId()).append(m.assignment().topicPartitions()).append(' '));
      }
      out.append('\n');
      Map<TopicPartition, OffsetAndMetadata> committed =
          admin.listConsumerGroupOffsets(id).partitionsToOffsetAndMetadata().get(15, TimeUnit.SECONDS);
      new TreeMap<>(stringKeys(committed)).forEach((tp, o) -> out.append("  ").append(tp).append(" committed=")
          .append(o == null ? "none" : o.offset()).append('\n'));
    }
    return out.toString();
  }

  private static Map<String, OffsetAndMetadata> stringKeys(Map<TopicPartition, OffsetAndMetadata> m) {
    Map<String, OffsetAndMetadata> s = new HashMap<>();
    m.forEach((k, v) -> s.put(k.toString(), v));
    return s;
  }
}
