package dev.narflow.topics.kafka;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import dev.narflow.topics.castore.B3Digest;
import dev.narflow.topics.castore.CastoreFixtures;
import dev.narflow.topics.castore.Directories;
import dev.narflow.topics.castore.DirectoryBuilder;
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
import java.util.concurrent.atomic.AtomicInteger;
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
import org.junit.jupiter.api.Test;

/**
 * Our topics (names, configs, prefixes) and serdes against a real broker. Each test works in
 * topics of its own prefix, so the tests are independent of each other and of their order.
 */
class KafkaIndexTransactionTest {
  private static final int PARTITIONS = 3;
  private static final byte[] HELLO = HexFormat.of().parseHex("800d59cfcd3c05e900cb4e214be48f6b886a08df");
  private static final byte[] DERIVER = HexFormat.of().parseHex("13a8cf7ca57f68a9f1752acee36a72a55187d3a9");

  private static final AtomicInteger TESTS = new AtomicInteger();

  private static KafkaTestBroker kafka;
  private static Admin admin;

  /** A topic prefix no other test uses. */
  private static String freshPrefix() {
    return "test" + TESTS.incrementAndGet() + ".";
  }

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
  void createsTheTopicsWithTheirConfigsOnce() throws Exception {
    String p = freshPrefix();
    Set<String> created = NarflowTopics.createAll(admin, TopicLayout.of(PARTITIONS, 1), p);
    assertEquals(Set.of(p + "narflow.requests", p + "narflow.work", p + "narflow.index", p + "narflow.failures"), created);
    // Again: nothing to do, and no error.
    assertEquals(Set.of(), NarflowTopics.createAll(admin, TopicLayout.of(PARTITIONS, 1), p));

    assertEquals("compact", topicConfig(p + "narflow.index", "cleanup.policy"));
    assertEquals(Integer.toString(NarflowTopics.INDEX_MAX_RECORD_BYTES), topicConfig(p + "narflow.index", "max.message.bytes"));
    assertEquals("delete", topicConfig(p + "narflow.failures", "cleanup.policy"));
    assertEquals(Long.toString(Duration.ofDays(30).toMillis()), topicConfig(p + "narflow.failures", "retention.ms"));
    assertEquals("delete", topicConfig(p + "narflow.work", "cleanup.policy"));
    assertEquals(PARTITIONS, admin.describeTopics(List.of(p + "narflow.work")).allTopicNames().get()
        .get(p + "narflow.work").partitions().size());
  }

  @Test
  void theDefaultNamesHaveNoPrefix() {
    assertEquals(List.of("narflow.requests", "narflow.work", "narflow.index", "narflow.failures"),
        NarflowTopics.ALL.stream().map(NarflowTopic::name).toList());
    assertEquals(NarflowTopics.ALL.stream().map(NarflowTopic::name).toList(),
        NarflowTopics.withPrefix("").stream().map(NarflowTopic::name).toList());
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
  void refusesAnExistingIndexThatIsNotCompacted() throws Exception {
    String p = freshPrefix();
    NarflowTopics.createAll(admin, TopicLayout.of(1, 1), p);
    ConfigResource index = new ConfigResource(ConfigResource.Type.TOPIC, p + "narflow.index");
    alterCleanupPolicy(index, "delete");
    IllegalStateException e = assertThrows(IllegalStateException.class,
        () -> NarflowTopics.createAll(admin, TopicLayout.of(1, 1), p));
    assertTrue(e.getMessage().contains(p + "narflow.index exists with cleanup.policy=delete"), e.getMessage());
    alterCleanupPolicy(index, "compact");
    assertEquals(Set.of(), NarflowTopics.createAll(admin, TopicLayout.of(1, 1), p));
  }

  /**
   * Every kind of index record goes through a transactional producer, the broker and a
   * read_committed consumer with our serdes and comes back equal and verified by {@link
   * IndexRecords#verify}, including a Directory record of several MiB, which the index topic's
   * {@code max.message.bytes} must accept (Kafka's default of 1 MiB would refuse it). That
   * aborted records stay hidden is Kafka's guarantee, not tested here.
   */
  @Test
  void indexRecordsOfEveryKindRoundTripThroughOurSerdesAndTopicLimits() throws Exception {
    String p = freshPrefix();
    NarflowTopics.createAll(admin, TopicLayout.of(PARTITIONS, 1), p);
    NarflowTopic<IndexKey, IndexRecord> index = NarflowTopics.INDEX.withPrefix(p);
    Directory keep = CastoreFixtures.directoryWithKeep();
    Directory complicated = CastoreFixtures.directoryComplicated();
    Directory large = largeDirectory(60_000);
    assertTrue(large.getSerializedSize() > 3 << 20, "larger than Kafka's default limit: " + large.getSerializedSize());
    PathInfo hello = PathInfo.newBuilder()
        .setNode(Node.newBuilder().setDirectory(Directories.directoryNode(
            ByteString.copyFromUtf8("vw46m23bizj4n8afrc0fj19wrp7mj3c0-hello"), complicated)))
        .addReferences(ByteString.copyFrom(HELLO))
        .setNarinfo(NARInfo.newBuilder().setNarSize(840)
            .setNarSha256(ByteString.copyFrom(HexFormat.of().parseHex(
                "ebd52279a8df024c9fd5718de4103bf5e760dc7f2cf49044ee7dea87ab16911a")))
            .addSignatures(NARInfo.Signature.newBuilder().setName("cache.example.com-1").setData(ByteString.copyFrom(new byte[64])))
            .addReferenceNames("vw46m23bizj4n8afrc0fj19wrp7mj3c0-hello")
            .setDeriver(StorePath.newBuilder().setName("hello").setDigest(ByteString.copyFrom(DERIVER))))
        .build();
    Map<IndexKey, IndexRecord> sent = new LinkedHashMap<>();
    sent.put(IndexRecords.keyOf(keep), IndexRecords.of(keep));
    sent.put(IndexRecords.keyOf(complicated), IndexRecords.of(complicated));
    sent.put(IndexRecords.keyOf(large), IndexRecords.of(large));
    sent.put(IndexKey.pathInfo(HELLO), IndexRecords.of(hello));

    try (KafkaProducer<IndexKey, IndexRecord> producer = transactionalProducer(p + "records-test")) {
      producer.initTransactions();
      producer.beginTransaction();
      sent.forEach((k, v) -> producer.send(new ProducerRecord<>(index.name(), k, v)));
      producer.commitTransaction();
    }

    Map<IndexKey, IndexRecord> seen = new LinkedHashMap<>();
    for (ConsumerRecord<IndexKey, IndexRecord> r : readAll(index, "read_committed")) {
      assertEquals(r.value(), IndexRecords.verify(r.key(), r.value()));
      assertTrue(seen.put(r.key(), r.value()) == null, "each record once: " + r.key());
    }
    assertEquals(sent, seen);
  }

  /** A canonical Directory of {@code files} files, for records past Kafka's default size limit. */
  private static Directory largeDirectory(int files) {
    DirectoryBuilder builder = new DirectoryBuilder();
    byte[] digest = new byte[32];
    for (int i = 0; i < files; i++) {
      digest[0] = (byte) i;
      digest[1] = (byte) (i >> 8);
      digest[2] = (byte) (i >> 16);
      builder.addFile(ByteString.copyFromUtf8(String.format("lib%06d.so.1.2.3", i)), B3Digest.of(digest), i, false);
    }
    return builder.build();
  }

  @Test
  void requestAndFailureRecordsTravelThroughTheirSerdes() throws Exception {
    String p = freshPrefix();
    NarflowTopics.createAll(admin, TopicLayout.of(PARTITIONS, 1), p);
    NarflowTopic<StorePathKey, FetchRequest> requestsTopic = NarflowTopics.REQUESTS.withPrefix(p);
    NarflowTopic<StorePathKey, FetchFailure> failuresTopic = NarflowTopics.FAILURES.withPrefix(p);
    FetchRequest request = FetchRequest.newBuilder()
        .setStorePath(StorePath.newBuilder().setName("hello-2.12").setDigest(ByteString.copyFrom(HELLO)))
        .setUpstreamUrl("https://cache.nixos.org").setClosure(true).setOrigin("cli").setAttempt(3).setEnqueuedAtMs(1).build();
    FetchFailure failure = FetchFailure.newBuilder().setRequest(request).setReason(FetchFailure.Reason.NOT_FOUND)
        .setMessage("404 for 800d59cf.narinfo").setUpstreamStatus(404).setAttempts(3).setFailedAtMs(2).build();
    StorePathKey key = StorePathKey.of(HELLO);
    send(requestsTopic, key, request);
    send(failuresTopic, key, failure);

    List<ConsumerRecord<StorePathKey, FetchRequest>> requests = readAll(requestsTopic, "read_committed");
    assertEquals(1, requests.size());
    assertEquals(key, requests.get(0).key());
    assertEquals(request, requests.get(0).value());
    List<ConsumerRecord<StorePathKey, FetchFailure>> failures = readAll(failuresTopic, "read_committed");
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
