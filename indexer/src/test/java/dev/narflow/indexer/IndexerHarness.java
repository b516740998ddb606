package dev.narflow.indexer;

import dev.narflow.topics.kafka.NarflowTopics;
import dev.narflow.topics.kafka.StorePathKey;
import dev.narflow.topics.kafka.StorePathMessages;
import dev.narflow.topics.kafka.TopicLayout;
import dev.narflow.topics.nix.StorePath;
import dev.narflow.topics.testing.KafkaTestBroker;
import dev.narflow.topics.testing.TestTrees;
import dev.narflow.topics.v1.FetchFailure;
import dev.narflow.topics.v1.FetchRequest;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.streams.StreamsConfig;

/**
 * One test's narflow topics (under a fresh prefix) on a shared broker, with a producer for
 * requests, failures and index records, a reader of narflow.work, and indexers on a state dir.
 */
final class IndexerHarness implements AutoCloseable {
  static final int PARTITIONS = 4;
  static final String UPSTREAM = "http://127.0.0.1:1/cache";

  final KafkaTestBroker kafka;
  final String prefix = "t" + UUID.randomUUID().toString().substring(0, 8) + ".";
  private final KafkaProducer<byte[], byte[]> producer;
  private final KafkaConsumer<byte[], byte[]> workReader;
  private final List<ConsumerRecord<StorePathKey, FetchRequest>> work = new ArrayList<>();
  private final List<Indexer> indexers = new ArrayList<>();

  IndexerHarness(KafkaTestBroker kafka) {
    this.kafka = kafka;
    try (Admin admin = kafka.admin()) {
      NarflowTopics.createAll(admin, TopicLayout.of(PARTITIONS, 1), prefix);
    }
    Map<String, Object> p = kafka.clientConfig();
    p.put("key.serializer", org.apache.kafka.common.serialization.ByteArraySerializer.class);
    p.put("value.serializer", org.apache.kafka.common.serialization.ByteArraySerializer.class);
    producer = new KafkaProducer<>(p);
    Map<String, Object> c = kafka.clientConfig();
    c.put(ConsumerConfig.GROUP_ID_CONFIG, prefix + "work-reader");
    c.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    c.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    c.put("key.deserializer", org.apache.kafka.common.serialization.ByteArrayDeserializer.class);
    c.put("value.deserializer", org.apache.kafka.common.serialization.ByteArrayDeserializer.class);
    workReader = new KafkaConsumer<>(c);
    workReader.subscribe(List.of(NarflowTopics.WORK.withPrefix(prefix).name()));
  }

  /** A started indexer on {@code stateDir}, running; closed with the harness. */
  Indexer startIndexer(Path stateDir, Duration inFlightTimeout) throws InterruptedException {
    Map<String, Object> config = new HashMap<>(kafka.clientConfig());
    // Small commits make results visible quickly; one thread keeps the 2-core machine usable.
    config.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, 100);
    config.put(StreamsConfig.NUM_STREAM_THREADS_CONFIG, 1);
    Indexer indexer = Indexer.builder().kafka(config).topicPrefix(prefix).applicationId(prefix + "indexer")
        .stateDir(stateDir).inFlightTimeout(inFlightTimeout).build();
    indexers.add(indexer);
    indexer.start();
    if (!indexer.awaitRunning(Duration.ofSeconds(60))) throw new AssertionError("indexer did not start");
    return indexer;
  }

  List<Indexer> indexers() {
    return List.copyOf(indexers);
  }

  static FetchRequest fetchRequest(StorePath path, boolean closure) {
    return FetchRequest.newBuilder()
        .setStorePath(StorePathMessages.toMessage(path))
        .setUpstreamUrl(UPSTREAM).setClosure(closure).setOrigin("cli").setAttempt(1)
        .setEnqueuedAtMs(System.currentTimeMillis()).build();
  }

  void request(StorePath path, boolean closure) {
    send(NarflowTopics.REQUESTS.withPrefix(prefix).name(), path.digest(), fetchRequest(path, closure).toByteArray());
  }

  /** A request under {@code key}, whatever the request says (for malformed input). */
  void requestUnder(StorePath key, FetchRequest request) {
    send(NarflowTopics.REQUESTS.withPrefix(prefix).name(), key.digest(), request.toByteArray());
  }

  /** Raw bytes into the index topic (for malformed input). */
  void indexRaw(byte[] key, byte[] value) {
    send(NarflowTopics.INDEX.withPrefix(prefix).name(), key, value);
  }

  void fail(StorePath path, FetchFailure.Reason reason, String message, int status) {
    FetchFailure failure = FetchFailure.newBuilder().setRequest(fetchRequest(path, true)).setReason(reason)
        .setMessage(message).setUpstreamStatus(status).setAttempts(1).setFailedAtMs(System.currentTimeMillis()).build();
    send(NarflowTopics.FAILURES.withPrefix(prefix).name(), path.digest(), failure.toByteArray());
  }

  void index(TestTrees.Entry... entries) {
    index(List.of(entries));
  }

  void index(List<TestTrees.Entry> entries) {
    for (TestTrees.Entry e : entries) {
      send(NarflowTopics.INDEX.withPrefix(prefix).name(), e.key().toBytes(), e.value().toByteArray());
    }
  }

  private void send(String topic, byte[] key, byte[] value) {
    try {
      producer.send(new ProducerRecord<>(topic, key, value)).get();
    } catch (Exception e) {
      throw new AssertionError("producing to " + topic + " failed", e);
    }
  }

  /** Every record of narflow.work read so far, after reading what is there now. */
  List<ConsumerRecord<StorePathKey, FetchRequest>> work() {
    for (var r : workReader.poll(Duration.ofMillis(200))) {
      try {
        work.add(new ConsumerRecord<>(r.topic(), r.partition(), r.offset(), StorePathKey.of(r.key()),
            FetchRequest.parseFrom(r.value())));
      } catch (com.google.protobuf.InvalidProtocolBufferException e) {
        throw new AssertionError(e);
      }
    }
    return List.copyOf(work);
  }

  long workFor(StorePath path) {
    return work().stream().filter(r -> r.key().equals(StorePathKey.of(path))).count();
  }

  /** The keys of {@code indexer}'s closure-complete topic, committed records only, with how often each came. */
  Map<StorePathKey, Integer> closureComplete(Indexer indexer) {
    Map<String, Object> c = kafka.clientConfig();
    c.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    c.put("key.deserializer", org.apache.kafka.common.serialization.ByteArrayDeserializer.class);
    c.put("value.deserializer", org.apache.kafka.common.serialization.ByteArrayDeserializer.class);
    Map<StorePathKey, Integer> seen = new HashMap<>();
    try (KafkaConsumer<byte[], byte[]> reader = new KafkaConsumer<>(c)) {
      List<org.apache.kafka.common.TopicPartition> partitions = reader.partitionsFor(indexer.closureCompleteTopic()).stream()
          .map(i -> new org.apache.kafka.common.TopicPartition(i.topic(), i.partition())).toList();
      reader.assign(partitions);
      reader.seekToBeginning(partitions);
      Map<org.apache.kafka.common.TopicPartition, Long> end = reader.endOffsets(partitions);
      while (partitions.stream().anyMatch(tp -> reader.position(tp) < end.get(tp))) {
        for (var r : reader.poll(Duration.ofMillis(200))) {
          try {
            dev.narflow.topics.store.v1.PathInfo info = dev.narflow.topics.store.v1.PathInfo.parseFrom(r.value());
            StorePathKey key = StorePathKey.of(r.key());
            if (!info.getNode().hasDirectory() && !info.getNode().hasFile() && !info.getNode().hasSymlink()) {
              throw new AssertionError("a PathInfo without a root node for " + key);
            }
            seen.merge(key, 1, Integer::sum);
          } catch (com.google.protobuf.InvalidProtocolBufferException e) {
            throw new AssertionError(e);
          }
        }
      }
    }
    return seen;
  }

  /** Polls {@code condition} until true or 30 s have passed. */
  static void await(String what, BooleanSupplier condition) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) throw new AssertionError("timed out waiting for " + what);
      Thread.sleep(50);
    }
  }

  static <T> T awaitValue(String what, Supplier<T> value, java.util.function.Predicate<T> done) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    T v;
    while (!done.test(v = value.get())) {
      if (System.nanoTime() > deadline) throw new AssertionError("timed out waiting for " + what + "; last: " + v);
      Thread.sleep(50);
    }
    return v;
  }

  @Override
  public void close() {
    indexers.forEach(Indexer::close);
    producer.close();
    workReader.close();
  }
}
