package dev.narflow.ops.embedded;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EmbeddedKafkaTest {
  private static final String TOPIC = "embedded-test";

  @TempDir Path tmp;

  @Test
  void committedRecordSurvivesARestartOnTheSameDirectory() throws Exception {
    Path dir = tmp.resolve("kafka");
    String clusterId;
    try (EmbeddedKafka kafka = EmbeddedKafka.start(dir)) {
      assertTrue(kafka.formatted(), "first start formats");
      assertTrue(kafka.bootstrapServers().startsWith("127.0.0.1:"), kafka.bootstrapServers());
      assertTrue(kafka.startupTime().toNanos() > 0);
      System.out.println("embedded broker first start (with format): " + kafka.startupTime().toMillis() + " ms");
      clusterId = clusterId(kafka);
      try (Admin admin = Admin.create(kafka.clientConfig())) {
        admin.createTopics(List.of(new NewTopic(TOPIC, 1, (short) 1))).all().get();
      }
      produceInTransaction(kafka, "kept", true);
      produceInTransaction(kafka, "aborted", false);
      assertEquals(List.of("kept"), readCommitted(kafka, 1));
    }
    assertEquals(clusterId, Files.readString(dir.resolve(EmbeddedKafka.CLUSTER_ID_FILE), StandardCharsets.US_ASCII).strip());

    try (EmbeddedKafka kafka = EmbeddedKafka.start(dir)) {
      assertFalse(kafka.formatted(), "a restart reuses the storage");
      System.out.println("embedded broker restart: " + kafka.startupTime().toMillis() + " ms");
      assertEquals(clusterId, clusterId(kafka), "same cluster after restart");
      produceInTransaction(kafka, "after restart", true);
      assertEquals(List.of("kept", "after restart"), readCommitted(kafka, 2));
    }
  }

  @Test
  void secondBrokerOnTheSameDirectoryIsRefusedClearly() throws Exception {
    Path dir = tmp.resolve("kafka");
    try (EmbeddedKafka first = EmbeddedKafka.start(dir)) {
      DirectoryInUseException e = assertThrows(DirectoryInUseException.class, () -> EmbeddedKafka.start(dir));
      assertEquals(dir.toAbsolutePath().normalize() + " is in use by another narflow process", e.getMessage());
      // The refused start must not have disturbed the running broker.
      try (Admin admin = Admin.create(first.clientConfig())) {
        assertEquals(1, admin.describeCluster().nodes().get().size());
      }
    }
    // Released on close: the directory can be used again.
    try (EmbeddedKafka again = EmbeddedKafka.start(dir)) {
      assertFalse(again.formatted());
    }
  }

  @Test
  void aFileWhereTheDirectoryShouldBeIsAnError() throws Exception {
    Path file = Files.writeString(tmp.resolve("not-a-dir"), "x");
    assertThrows(java.io.IOException.class, () -> EmbeddedKafka.start(file));
  }

  private static String clusterId(EmbeddedKafka kafka) throws Exception {
    try (Admin admin = Admin.create(kafka.clientConfig())) {
      return admin.describeCluster().clusterId().get();
    }
  }

  private static void produceInTransaction(EmbeddedKafka kafka, String value, boolean commit) {
    Map<String, Object> config = kafka.clientConfig();
    config.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, "embedded-test-tx");
    config.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class);
    config.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class);
    try (KafkaProducer<String, String> producer = new KafkaProducer<>(config)) {
      producer.initTransactions();
      producer.beginTransaction();
      producer.send(new ProducerRecord<>(TOPIC, "k", value));
      if (commit) producer.commitTransaction();
      else producer.abortTransaction();
    }
  }

  /** Reads the topic from the start with read_committed until {@code expected} records came. */
  private static List<String> readCommitted(EmbeddedKafka kafka, int expected) {
    Map<String, Object> config = kafka.clientConfig();
    config.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    config.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class);
    config.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class);
    TopicPartition partition = new TopicPartition(TOPIC, 0);
    List<String> values = new ArrayList<>();
    try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(config)) {
      consumer.assign(Set.of(partition));
      consumer.seekToBeginning(Set.of(partition));
      long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
      // Polls until the committed end is reached: aborted records and markers are skipped.
      while (consumer.position(partition) < consumer.endOffsets(Set.of(partition)).get(partition)
          && System.nanoTime() < deadline) {
        for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(200))) values.add(r.value());
      }
    }
    assertEquals(expected, values.size(), "records read: " + values);
    return values;
  }
}
