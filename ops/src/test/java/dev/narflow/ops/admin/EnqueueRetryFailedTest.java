package dev.narflow.ops.admin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.narflow.ops.Cli;
import dev.narflow.ops.embedded.EmbeddedKafka;
import dev.narflow.topics.kafka.IndexKey;
import dev.narflow.topics.kafka.IndexRecords;
import dev.narflow.topics.kafka.NarflowTopics;
import dev.narflow.topics.kafka.StorePathKey;
import dev.narflow.topics.kafka.StorePathMessages;
import dev.narflow.topics.nix.StorePath;
import dev.narflow.topics.testing.TestTrees;
import dev.narflow.topics.v1.FetchFailure;
import dev.narflow.topics.v1.FetchRequest;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code narflow enqueue --retry-failed} on a real broker: the index holds a root whose closure
 * has one indexed path and one that failed; the failures topic also holds a failure outside that
 * closure. Only the closure's failed path is requested again, with the root; without the flag,
 * only the root.
 */
class EnqueueRetryFailedTest {
  static final String PREFIX = "retry.";
  @TempDir static Path tmp;
  static EmbeddedKafka kafka;
  static Map<String, String> env;

  static final StorePath ROOT = TestTrees.path("root");
  static final StorePath LIB = TestTrees.path("lib");
  static final StorePath BROKEN = TestTrees.path("broken");
  static final StorePath ELSEWHERE = TestTrees.path("elsewhere");

  @BeforeAll
  static void cluster() throws Exception {
    kafka = EmbeddedKafka.start(tmp.resolve("kafka"));
    env = Map.of("NARFLOW_BOOTSTRAP_SERVERS", kafka.bootstrapServers(), "NARFLOW_TOPIC_PREFIX", PREFIX);
    Cli.Run created = Cli.run(env, "topics", "create");
    assertEquals(0, created.exit(), created.err());
    String index = NarflowTopics.INDEX.withPrefix(PREFIX).name();
    String failures = NarflowTopics.FAILURES.withPrefix(PREFIX).name();
    var tree = TestTrees.dir(Map.of("f", "contents"), Map.of());
    try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(new HashMap<>(kafka.clientConfig()),
        new ByteArraySerializer(), new ByteArraySerializer())) {
      send(producer, index, IndexKey.pathInfo(ROOT).toBytes(),
          IndexRecords.of(TestTrees.pathInfo(ROOT, tree, 100, List.of(LIB, BROKEN))).toByteArray());
      send(producer, index, IndexKey.pathInfo(LIB).toBytes(),
          IndexRecords.of(TestTrees.pathInfo(LIB, tree, 100, List.of())).toByteArray());
      send(producer, failures, StorePathKey.of(BROKEN).toBytes(), failure(BROKEN).toByteArray());
      send(producer, failures, StorePathKey.of(ELSEWHERE).toBytes(), failure(ELSEWHERE).toByteArray());
    }
  }

  @AfterAll
  static void stop() throws Exception {
    if (kafka != null) kafka.close();
  }

  static FetchFailure failure(StorePath path) {
    FetchRequest request = FetchRequest.newBuilder()
        .setStorePath(StorePathMessages.toMessage(path))
        .setUpstreamUrl("http://old.example").setClosure(true).setOrigin("closure:" + ROOT.hashPart())
        .setAttempt(3).setEnqueuedAtMs(1_000).build();
    return FetchFailure.newBuilder().setRequest(request).setReason(FetchFailure.Reason.NOT_FOUND).setUpstreamStatus(404)
        .build();
  }

  static void send(KafkaProducer<byte[], byte[]> producer, String topic, byte[] key, byte[] value) throws Exception {
    producer.send(new ProducerRecord<>(topic, key, value)).get();
  }

  @Test
  void theFailedPathsOfTheClosureAreRequestedAgainAndNothingElse() throws Exception {
    Cli.Run plain = Cli.run(env, "enqueue", "--upstream", "http://new.example", ROOT.toString());
    assertEquals(0, plain.exit(), plain.err());
    Map<String, FetchRequest> first = requests();
    assertEquals(Set.of(ROOT.hashPart()), first.keySet(), "without --retry-failed: the root alone");

    Cli.Run retry = Cli.run(env, "enqueue", "--retry-failed", "--upstream", "http://new.example", ROOT.toString());
    assertEquals(0, retry.exit(), retry.err());
    assertTrue(retry.err().contains("1 path requested with their closures, and 1 failed path of them again"),
        retry.err());
    Map<String, FetchRequest> all = requests();
    assertEquals(Set.of(ROOT.hashPart(), BROKEN.hashPart()), all.keySet(),
        "the root and its closure's failed path; not the indexed one, not a failure elsewhere");
    FetchRequest again = all.get(BROKEN.hashPart());
    assertEquals(BROKEN.name(), again.getStorePath().getName());
    assertEquals("enqueue", again.getOrigin(), "an operator's request: the router forwards it for a failed path");
    assertEquals("http://new.example", again.getUpstreamUrl(), "from the upstreams named now");
    assertTrue(again.getClosure());
    assertEquals(1, again.getAttempt());
    assertTrue(again.getEnqueuedAtMs() > 1_000, "newer than the request that failed");
  }

  @Test
  void retryFailedWithNoClosureIsAUsageError() {
    Cli.Run r = Cli.run(env, "enqueue", "--retry-failed", "--no-closure", ROOT.toString());
    assertEquals(2, r.exit(), r.err());
    assertEquals(1, r.err().lines().count(), r.err());
    assertTrue(r.err().contains("--retry-failed retries the failed paths of closures"), r.err());
  }

  /** Every request in the topic, by hash part (the last one of each). */
  static Map<String, FetchRequest> requests() {
    Map<String, Object> config = new HashMap<>(kafka.clientConfig());
    config.put(ConsumerConfig.GROUP_ID_CONFIG, "test-" + UUID.randomUUID());
    config.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    Map<String, FetchRequest> seen = new LinkedHashMap<>();
    String topic = NarflowTopics.REQUESTS.withPrefix(PREFIX).name();
    try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(config, new ByteArrayDeserializer(),
        new ByteArrayDeserializer())) {
      List<TopicPartition> partitions = consumer.partitionsFor(topic).stream()
          .map(p -> new TopicPartition(topic, p.partition())).toList();
      consumer.assign(partitions);
      consumer.seekToBeginning(partitions);
      Map<TopicPartition, Long> ends = consumer.endOffsets(partitions);
      while (partitions.stream().anyMatch(p -> consumer.position(p) < ends.get(p))) {
        for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
          try {
            FetchRequest request = FetchRequest.parseFrom(r.value());
            seen.put(StorePathKey.parse(r.key()).hashPart(), request);
          } catch (com.google.protobuf.InvalidProtocolBufferException e) {
            throw new AssertionError(e);
          }
        }
      }
    }
    return seen;
  }
}
