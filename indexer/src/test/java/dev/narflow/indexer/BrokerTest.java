package dev.narflow.indexer;

import dev.narflow.topics.testing.KafkaTestBroker;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;

/** One real broker per test class; fresh topics (a new prefix) and a state dir per test. */
abstract class BrokerTest {
  static KafkaTestBroker kafka;
  IndexerHarness harness;
  @TempDir Path stateDir;

  @BeforeAll
  static void startBroker() throws Exception {
    kafka = KafkaTestBroker.start();
  }

  @AfterAll
  static void stopBroker() throws Exception {
    kafka.close();
  }

  @BeforeEach
  void createTopics() {
    harness = new IndexerHarness(kafka);
  }

  @AfterEach
  void closeHarness() {
    harness.close();
  }
}
