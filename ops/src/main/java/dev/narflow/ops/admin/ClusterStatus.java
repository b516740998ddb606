package dev.narflow.ops.admin;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.narflow.indexer.Indexer;
import dev.narflow.ingest.worker.IngestWorker;
import dev.narflow.ops.ConfigurationException;
import dev.narflow.ops.GroupLag;
import dev.narflow.ops.KafkaOptions;
import dev.narflow.ops.KafkaSetup;
import dev.narflow.topics.kafka.IndexKey;
import dev.narflow.topics.kafka.IndexRecords;
import dev.narflow.topics.kafka.NarflowTopics;
import dev.narflow.topics.kafka.StorePathKey;
import dev.narflow.topics.store.v1.PathInfo;
import dev.narflow.topics.v1.FetchFailure;
import dev.narflow.topics.v1.FetchRequest;
import dev.narflow.topics.v1.IndexRecord;
import java.io.Closeable;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * What a cluster's topics say about the mirror, for {@code narflow status}: the PathInfos of the
 * index (their references only), the indexer's closure-complete paths and the failures, read
 * committed from the start and then followed. No consumer group: reading changes nothing.
 *
 * <p>It holds a key and the references of every indexed path in memory, about 100 bytes a path
 * plus 20 a reference: fine for a channel's closure (tens of thousands of paths), not for all of
 * cache.nixos.org, where the indexer's own stores are the place to ask (see the note).
 */
final class ClusterStatus implements Closeable {
  private static final Duration POLL = Duration.ofMillis(200);

  /** An indexed path: its name and references. */
  record Indexed(String baseName, List<StorePathKey> references) {}

  /** One root: done, failed (the failed paths of its closure), or waiting (what is not there yet). */
  record Root(StorePathKey root, boolean complete, Map<StorePathKey, FetchFailure> failed, List<StorePathKey> missing,
      int closureKnown) {}

  private final String requestsTopic;
  private final String indexTopic;
  private final String failuresTopic;
  private final String closureCompleteTopic;
  private final Map<String, Object> kafka;
  private final String prefix;
  private final KafkaConsumer<byte[], byte[]> consumer;
  private final Map<StorePathKey, Indexed> indexed = new HashMap<>();
  private final Set<StorePathKey> complete = new HashSet<>();
  private final Map<StorePathKey, FetchFailure> failures = new LinkedHashMap<>();
  /** When an operator last requested each path: a failure of an earlier request is being retried. */
  private final Map<StorePathKey, Long> lastRequested = new HashMap<>();
  private final Set<String> assignedTopics = new HashSet<>();
  private final Map<StorePathKey, String> givenNames = new HashMap<>();
  private long skipped;

  ClusterStatus(Map<String, Object> kafka, String prefix) {
    this.kafka = Map.copyOf(kafka);
    this.prefix = prefix;
    this.requestsTopic = NarflowTopics.REQUESTS.withPrefix(prefix).name();
    this.indexTopic = NarflowTopics.INDEX.withPrefix(prefix).name();
    this.failuresTopic = NarflowTopics.FAILURES.withPrefix(prefix).name();
    this.closureCompleteTopic = Indexer.closureCompleteTopic(Indexer.defaultApplicationId(prefix));
    Map<String, Object> config = new HashMap<>(kafka);
    config.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    config.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    config.put(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, NarflowTopics.INDEX_MAX_RECORD_BYTES);
    config.put(ConsumerConfig.CLIENT_ID_CONFIG, "narflow-status");
    this.consumer = new KafkaConsumer<>(config, new ByteArrayDeserializer(), new ByteArrayDeserializer());
  }

  /**
   * Reads what the topics hold now (their read-committed ends as of this call). The
   * closure-complete topic is picked up once an indexer has made it.
   */
  void catchUp() {
    assign();
    Map<TopicPartition, Long> ends = consumer.endOffsets(consumer.assignment());
    while (true) {
      boolean behind = false;
      for (Map.Entry<TopicPartition, Long> e : ends.entrySet()) {
        if (consumer.position(e.getKey()) < e.getValue()) behind = true;
      }
      if (!behind) return;
      for (ConsumerRecord<byte[], byte[]> r : consumer.poll(POLL)) take(r);
    }
  }

  private void assign() {
    List<TopicPartition> partitions = new ArrayList<>(consumer.assignment());
    boolean changed = false;
    for (String topic : List.of(requestsTopic, indexTopic, failuresTopic, closureCompleteTopic)) {
      if (assignedTopics.contains(topic)) continue;
      List<PartitionInfo> infos = consumer.partitionsFor(topic);
      if (infos == null || infos.isEmpty()) continue; // no indexer has run yet
      infos.forEach(p -> partitions.add(new TopicPartition(p.topic(), p.partition())));
      assignedTopics.add(topic);
      changed = true;
    }
    if (changed) {
      List<TopicPartition> fresh = partitions.stream().filter(p -> !consumer.assignment().contains(p)).toList();
      consumer.assign(partitions);
      consumer.seekToBeginning(fresh);
    }
  }

  private void take(ConsumerRecord<byte[], byte[]> r) {
    if (r.key() == null || r.value() == null) return;
    try {
      if (r.topic().equals(indexTopic)) {
        // Only PathInfos matter here; the type is the key's first byte, so the rest is never parsed.
        if (r.key().length == 0 || r.key()[0] != IndexKey.Type.PATH_INFO.tag()) return;
        IndexKey key = IndexKey.parse(r.key());
        PathInfo info = IndexRecord.parseFrom(r.value()).getPathInfo();
        List<StorePathKey> refs = new ArrayList<>(info.getReferencesCount());
        info.getReferencesList().forEach(ref -> refs.add(StorePathKey.of(ref.toByteArray())));
        indexed.put(key.storePath(), new Indexed(IndexRecords.baseNameOf(info), List.copyOf(refs)));
      } else if (r.topic().equals(failuresTopic)) {
        failures.put(StorePathKey.parse(r.key()), FetchFailure.parseFrom(r.value()));
      } else if (r.topic().equals(requestsTopic)) {
        FetchRequest request = FetchRequest.parseFrom(r.value());
        // An operator's request (enqueue, mirror, pull-through) retries a failed path; a parent's
        // closure request does not (the router drops it while the path is known).
        if (!request.getOrigin().startsWith("closure:")) {
          lastRequested.merge(StorePathKey.parse(r.key()), request.getEnqueuedAtMs(), Math::max);
        }
      } else {
        complete.add(StorePathKey.parse(r.key()));
      }
    } catch (InvalidProtocolBufferException | IllegalArgumentException e) {
      skipped++; // the indexer and exporters skip such records too
    }
  }

  long indexedPaths() {
    return indexed.size();
  }

  long closureComplete() {
    return complete.size();
  }

  /** Failures of paths not indexed since (a later attempt may have succeeded). */
  Map<StorePathKey, FetchFailure> failures() {
    Map<StorePathKey, FetchFailure> open = new LinkedHashMap<>();
    failures.forEach((k, f) -> {
      if (!indexed.containsKey(k)) open.put(k, f);
    });
    return open;
  }

  /** The failure of {@code path}, unless it is indexed since or was requested again after the request that failed. */
  private FetchFailure currentFailure(StorePathKey path) {
    FetchFailure f = failures.get(path);
    if (f == null || indexed.containsKey(path)) return null;
    return lastRequested.getOrDefault(path, 0L) > f.getRequest().getEnqueuedAtMs() ? null : f;
  }

  /** Indexed paths that are not closure-complete. */
  long incomplete() {
    return indexed.keySet().stream().filter(k -> !complete.contains(k)).count();
  }

  long recordsSkipped() {
    return skipped;
  }

  /** Names {@code path} as the operator did, until the topics name it. */
  void nameAs(StorePathKey path, String name) {
    givenNames.put(path, name);
  }

  /** The name of a path: from its PathInfo, its failed request, the operator, or else its hash part. */
  String name(StorePathKey path) {
    Indexed i = indexed.get(path);
    if (i != null) return "/nix/store/" + i.baseName();
    FetchFailure f = failures.get(path);
    if (f != null && !f.getRequest().getStorePath().getName().isEmpty()) {
      return "/nix/store/" + path.hashPart() + "-" + f.getRequest().getStorePath().getName();
    }
    return givenNames.getOrDefault(path, path.hashPart());
  }

  /** The closure of {@code root} as far as it is indexed: complete, what failed, what is not there yet. */
  Root root(StorePathKey root) {
    if (complete.contains(root)) return new Root(root, true, Map.of(), List.of(), 0);
    Map<StorePathKey, FetchFailure> failed = new LinkedHashMap<>();
    List<StorePathKey> missing = new ArrayList<>();
    Set<StorePathKey> seen = new HashSet<>();
    Deque<StorePathKey> todo = new ArrayDeque<>();
    todo.add(root);
    seen.add(root);
    while (!todo.isEmpty()) {
      StorePathKey p = todo.poll();
      if (complete.contains(p)) continue;
      Indexed i = indexed.get(p);
      if (i == null) {
        FetchFailure f = currentFailure(p);
        if (f != null) failed.put(p, f);
        else missing.add(p);
        continue;
      }
      for (StorePathKey ref : i.references()) {
        if (seen.add(ref)) todo.add(ref);
      }
    }
    return new Root(root, false, failed, missing, seen.size());
  }

  /** Records not yet processed, by consumer group: the workers' and the indexer's. */
  Map<String, Long> lag() throws InterruptedException, ExecutionException, ConfigurationException {
    Map<String, Long> lag = new LinkedHashMap<>();
    try (Admin admin = KafkaSetup.openAdmin(kafka, KafkaOptions.ADMIN_TIMEOUT)) {
      for (String group : List.of(IngestWorker.defaultGroupId(prefix), Indexer.defaultApplicationId(prefix))) {
        long sum = GroupLag.ofConsumed(admin, group).values().stream().mapToLong(Long::longValue).sum();
        lag.put(group, sum);
      }
    }
    return lag;
  }

  @Override
  public void close() {
    consumer.close(Duration.ofSeconds(5));
  }
}
