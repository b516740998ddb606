package dev.narflow.topics.kafka;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import dev.narflow.topics.castore.CastoreFixtures;
import dev.narflow.topics.castore.Directories;
import dev.narflow.topics.castore.v1.Directory;
import dev.narflow.topics.castore.v1.Node;
import dev.narflow.topics.store.v1.NARInfo;
import dev.narflow.topics.store.v1.PathInfo;
import dev.narflow.topics.store.v1.StorePath;
import dev.narflow.topics.testing.KafkaTestBroker;
import dev.narflow.topics.v1.FetchFailure;
import dev.narflow.topics.v1.FetchRequest;
import dev.narflow.topics.v1.IndexRecord;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.ConfigResource;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/** The topics, serdes and the index's transactional contract against a real broker. */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class KafkaIndexTransactionTest {
  private static final int PARTITIONS = 3;
  private static final byte[] HELLO = HexFormat.of().parseHex("800d59cfcd3c05e900cb4e214be48f6b886a08df");
  private static final byte[] ABORTED = HexFormat.of().parseHex("13a8cf7ca57f68a9f1752acee36a72a55187d3a9");

  private static KafkaTestBroker kafka;
  private static Admin admin;

  @BeforeAll
  static void startBroker() throws Exception {
    kafka = KafkaTestBroker.start();
    admin = kafka.admin();
  }

  @AfterAll
  static void stopBroker() throws Exception {
    if (admin != null) admin.close();
    if (kafka != null) kafka.close();
  }

  @Test
  @Order(1)
  void createsTheTopicsWithTheirConfigsOnce() throws Exception {
    Set<String> created = NarflowTopics.createAll(admin, TopicLayout.of(PARTITIONS, 1));
    assertEquals(Set.of("narflow.requests", "narflow.work", "narflow.index", "narflow.failures"), created);
    // Again: nothing to do, and no error.
    assertEquals(Set.of(), NarflowTopics.createAll(admin, TopicLayout.of(PARTITIONS, 1)));

    assertEquals("compact", topicConfig("narflow.index", "cleanup.policy"));
    assertEquals(Integer.toString(NarflowTopics.INDEX_MAX_RECORD_BYTES), topicConfig("narflow.index", "max.message.bytes"));
    assertEquals("delete", topicConfig("narflow.failures", "cleanup.policy"));
    assertEquals(Long.toString(Duration.ofDays(30).toMillis()), topicConfig("narflow.failures", "retention.ms"));
    assertEquals("delete", topicConfig("narflow.work", "cleanup.policy"));
    assertEquals(PARTITIONS, admin.describeTopics(List.of("narflow.work")).allTopicNames().get()
        .get("narflow.work").partitions().size());
  }

  @Test
  void aTopicPrefixNamesEveryTopicAndLeavesOthersAlone() throws Exception {
    Set<String> created = NarflowTopics.createAll(admin, TopicLayout.of(1, 1), "team-a.");
    assertEquals(Set.of("team-a.narflow.requests", "team-a.narflow.work", "team-a.narflow.index",
        "team-a.narflow.failures"), created);
    assertEquals("compact", topicConfig("team-a.narflow.index", "cleanup.policy"));
    assertEquals(Set.of(), NarflowTopics.createAll(admin, TopicLayout.of(1, 1), "team-a."));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> NarflowTopics.INDEX.withPrefix("a/b"));
    assertTrue(e.getMessage().contains("topic prefix 'a/b'"), e.getMessage());
  }

  @Test
  @Order(2)
  void refusesAnExistingIndexThatIsNotCompacted() throws Exception {
    ConfigResource index = new ConfigResource(ConfigResource.Type.TOPIC, "narflow.index");
    alterCleanupPolicy(index, "delete");
    try {
      IllegalStateException e = assertThrows(IllegalStateException.class,
          () -> NarflowTopics.createAll(admin, TopicLayout.of(PARTITIONS, 1)));
      assertTrue(e.getMessage().contains("narflow.index exists with cleanup.policy=delete"), e.getMessage());
    } finally {
      alterCleanupPolicy(index, "compact");
    }
    assertEquals(Set.of(), NarflowTopics.createAll(admin, TopicLayout.of(PARTITIONS, 1)));
  }

  @Test
  @Order(3)
  void indexRecordsOfOneTransactionAreVisibleTogetherAndAbortedOnesNever() throws Exception {
    Directory keep = CastoreFixtures.directoryWithKeep();
    Directory complicated = CastoreFixtures.directoryComplicated();
    PathInfo hello = PathInfo.newBuilder()
        .setNode(Node.newBuilder().setDirectory(Directories.directoryNode(
            ByteString.copyFromUtf8("vw46m23bizj4n8afrc0fj19wrp7mj3c0-hello"), complicated)))
        .addReferences(ByteString.copyFrom(HELLO))
        .setNarinfo(NARInfo.newBuilder().setNarSize(840)
            .setNarSha256(ByteString.copyFrom(HexFormat.of().parseHex(
                "ebd52279a8df024c9fd5718de4103bf5e760dc7f2cf49044ee7dea87ab16911a")))
            .addSignatures(NARInfo.Signature.newBuilder().setName("cache.example.com-1").setData(ByteString.copyFrom(new byte[64])))
            .addReferenceNames("vw46m23bizj4n8afrc0fj19wrp7mj3c0-hello")
            .setDeriver(StorePath.newBuilder().setName("hello").setDigest(ByteString.copyFrom(ABORTED))))
        .build();
    Map<IndexKey, IndexRecord> committed = new LinkedHashMap<>();
    committed.put(IndexRecords.keyOf(keep), IndexRecords.of(keep));
    committed.put(IndexRecords.keyOf(complicated), IndexRecords.of(complicated));
    committed.put(IndexKey.pathInfo(HELLO), IndexRecords.of(hello));
    IndexKey abortedKey = IndexKey.pathInfo(ABORTED);
    IndexKey afterAbortKey = IndexRecords.keyOf(Directory.getDefaultInstance());

    try (KafkaProducer<IndexKey, IndexRecord> producer = transactionalProducer("records-test")) {
      producer.initTransactions();
      producer.beginTransaction();
      committed.forEach((k, v) -> producer.send(new ProducerRecord<>(NarflowTopics.INDEX.name(), k, v)));
      producer.commitTransaction();

      producer.beginTransaction();
      producer.send(new ProducerRecord<>(NarflowTopics.INDEX.name(), abortedKey, IndexRecords.of(hello)));
      producer.flush(); // the record is in the log, only the abort marker hides it
      producer.abortTransaction();

      // A later commit, so the reader has to read past the aborted records to see it.
      producer.beginTransaction();
      producer.send(new ProducerRecord<>(NarflowTopics.INDEX.name(), afterAbortKey, IndexRecords.of(Directory.getDefaultInstance())));
      producer.commitTransaction();
    }

    Map<IndexKey, IndexRecord> expected = new LinkedHashMap<>(committed);
    expected.put(afterAbortKey, IndexRecords.of(Directory.getDefaultInstance()));

    List<ConsumerRecord<IndexKey, IndexRecord>> readCommitted = readAll(NarflowTopics.INDEX, "read_committed");
    Map<IndexKey, IndexRecord> seen = new LinkedHashMap<>();
    for (ConsumerRecord<IndexKey, IndexRecord> r : readCommitted) {
      IndexRecords.verify(r.key(), r.value());
      seen.put(r.key(), r.value());
    }
    assertEquals(expected, seen);
    assertEquals(expected.size(), readCommitted.size());
    assertFalse(seen.containsKey(abortedKey));

    // The aborted record really was written: an uncommitted reader sees it.
    List<ConsumerRecord<IndexKey, IndexRecord>> readUncommitted = readAll(NarflowTopics.INDEX, "read_uncommitted");
    assertTrue(readUncommitted.stream().anyMatch(r -> r.key().equals(abortedKey)));
    assertEquals(expected.size() + 1, readUncommitted.size());
  }

  @Test
  @Order(4)
  void requestAndFailureRecordsTravelThroughTheirSerdes() throws Exception {
    FetchRequest request = FetchRequest.newBuilder()
        .setStorePath(StorePath.newBuilder().setName("hello-2.12").setDigest(ByteString.copyFrom(HELLO)))
        .setUpstreamUrl("https://cache.nixos.org").setClosure(true).setOrigin("cli").setAttempt(3).setEnqueuedAtMs(1).build();
    FetchFailure failure = FetchFailure.newBuilder().setRequest(request).setReason(FetchFailure.Reason.NOT_FOUND)
        .setMessage("404 for 800d59cf.narinfo").setUpstreamStatus(404).setAttempts(3).setFailedAtMs(2).build();
    StorePathKey key = StorePathKey.of(HELLO);
    send(NarflowTopics.REQUESTS, key, request);
    send(NarflowTopics.FAILURES, key, failure);

    List<ConsumerRecord<StorePathKey, FetchRequest>> requests = readAll(NarflowTopics.REQUESTS, "read_committed");
    assertEquals(1, requests.size());
    assertEquals(key, requests.get(0).key());
    assertEquals(request, requests.get(0).value());
    List<ConsumerRecord<StorePathKey, FetchFailure>> failures = readAll(NarflowTopics.FAILURES, "read_committed");
    assertEquals(1, failures.size());
    assertEquals(failure, failures.get(0).value());
  }

  private static <K, V> void send(NarflowTopic<K, V> topic, K key, V value) throws Exception {
    Map<String, Object> config = kafka.clientConfig();
    try (KafkaProducer<K, V> producer =
        new KafkaProducer<>(config, topic.keySerde().serializer(), topic.valueSerde().serializer())) {
      producer.send(new ProducerRecord<>(topic.name(), key, value)).get();
    }
  }

  private static KafkaProducer<IndexKey, IndexRecord> transactionalProducer(String transactionalId) {
    Map<String, Object> config = kafka.clientConfig();
    config.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, transactionalId);
    config.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, NarflowTopics.INDEX_MAX_RECORD_BYTES);
    return new KafkaProducer<>(config, NarflowTopics.INDEX.keySerde().serializer(),
        NarflowTopics.INDEX.valueSerde().serializer());
  }

  /** Every record of {@code topic} up to its current end (for read_committed: the last stable offset). */
  private static <K, V> List<ConsumerRecord<K, V>> readAll(NarflowTopic<K, V> topic, String isolation) {
    Map<String, Object> config = kafka.clientConfig();
    config.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, isolation);
    config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    try (KafkaConsumer<K, V> consumer =
        new KafkaConsumer<>(config, topic.keySerde().deserializer(), topic.valueSerde().deserializer())) {
      List<TopicPartition> partitions = consumer.partitionsFor(topic.name()).stream()
          .map(p -> new TopicPartition(p.topic(), p.partition())).toList();
      consumer.assign(partitions);
      consumer.seekToBeginning(partitions);
      Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
      List<ConsumerRecord<K, V>> records = new ArrayList<>();
      long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
      while (partitions.stream().anyMatch(p -> consumer.position(p) < end.get(p))) {
        if (System.nanoTime() > deadline) throw new AssertionError("timed out reading " + topic + " up to " + end);
        consumer.poll(Duration.ofMillis(200)).forEach(records::add);
      }
      return records;
    }
  }

  private static String topicConfig(String topic, String name) throws Exception {
    ConfigResource resource = new ConfigResource(ConfigResource.Type.TOPIC, topic);
    Config config = admin.describeConfigs(List.of(resource)).all().get().get(resource);
    return config.get(name).value();
  }

  /** Sets the policy and waits until the broker describes it (it applies controller changes shortly after). */
  private static void alterCleanupPolicy(ConfigResource topic, String policy) throws Exception {
    admin.incrementalAlterConfigs(Map.of(topic,
        List.of(new AlterConfigOp(new ConfigEntry("cleanup.policy", policy), AlterConfigOp.OpType.SET)))).all().get();
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (!policy.equals(topicConfig(topic.name(), "cleanup.policy"))) {
      if (System.nanoTime() > deadline) throw new AssertionError("broker never showed cleanup.policy=" + policy);
      Thread.sleep(20);
    }
  }
}
