package dev.narflow.ingest.worker;

import dev.narflow.ingest.testing.NixCacheFixture;
import dev.narflow.topics.testing.KafkaTestBroker;
import java.nio.file.Path;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;

/** What the worker test classes share: one real broker and one real-Nix test cache per class. */
abstract class NixCacheWorkerTest {
  @TempDir static Path work;
  static KafkaTestBroker broker;
  static NixCacheFixture cache;
  /** Makes this run's store paths new, so they are really built and copied. */
  static final String NONCE = UUID.randomUUID().toString();

  @BeforeAll
  static void startBrokerAndCache() throws Exception {
    broker = KafkaTestBroker.start();
    cache = NixCacheFixture.create(work.resolve("cache"));
  }

  @AfterAll
  static void stopBrokerAndCache() throws Exception {
    if (cache != null) cache.close();
    if (broker != null) broker.close();
  }
}
