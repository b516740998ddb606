package dev.narflow.exporter.views;

import static dev.narflow.topics.testing.TestTrees.dir;
import static dev.narflow.topics.testing.TestTrees.key;
import static dev.narflow.topics.testing.TestTrees.path;
import static dev.narflow.topics.testing.TestTrees.pathInfo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.narflow.indexer.Indexer;
import dev.narflow.topics.castore.Directories;
import dev.narflow.topics.castore.v1.Directory;
import dev.narflow.topics.kafka.IndexKey;
import dev.narflow.topics.kafka.IndexRecords;
import dev.narflow.topics.kafka.NarflowTopics;
import dev.narflow.topics.kafka.TopicLayout;
import dev.narflow.topics.nix.StorePath;
import dev.narflow.topics.store.v1.PathInfo;
import dev.narflow.topics.testing.KafkaTestBroker;
import dev.narflow.topics.testing.TestTrees;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.function.BooleanSupplier;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.streams.StreamsConfig;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The exporter's views fed by a real indexer on a real broker: only closure-complete paths are
 * found, by store path and by NarHash; Directories are found by digest, and a record that does
 * not hash to its key is not. Records written before the views start (read as a restore) and
 * after (read as they come) both count, and a restart on the same state dir answers at once.
 */
class ExporterViewsTest {
  static final Directory LIB = dir(Map.of("libc.so.6", "ELF libc"), Map.of());
  static final Directory GLIBC = dir(Map.of(), Map.of("lib", LIB));
  static final Directory HELLO = dir(Map.of("bin-hello", "ELF hello"), Map.of());
  static final Directory APP = dir(Map.of("bin-app", "ELF app"), Map.of("lib", LIB));

  @TempDir static Path work;
  static KafkaTestBroker broker;

  @BeforeAll
  static void startBroker() throws Exception {
    broker = KafkaTestBroker.start();
  }

  @AfterAll
  static void stopBroker() throws Exception {
    if (broker != null) broker.close();
  }

  @Test
  void servesExactlyTheClosureCompletePathsAndTheirTrees() throws Exception {
    String prefix = "x" + UUID.randomUUID().toString().substring(0, 6) + ".";
    try (Admin admin = broker.admin()) {
      NarflowTopics.createAll(admin, TopicLayout.of(3, 1), prefix);
    }
    StorePath glibc = path("glibc-" + prefix);
    StorePath hello = path("hello-" + prefix);
    StorePath app = path("app-" + prefix);
    StorePath missing = path("openssl-" + prefix);
    PathInfo glibcInfo = pathInfo(glibc, GLIBC, 100, List.of());
    PathInfo helloInfo = pathInfo(hello, HELLO, 200, List.of(glibc));
    PathInfo appInfo = pathInfo(app, APP, 300, List.of(hello, missing)); // never closure-complete

    Map<String, Object> config = new HashMap<>(broker.clientConfig());
    config.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, 100);
    Map<String, Object> p = broker.clientConfig();
    String index = NarflowTopics.INDEX.withPrefix(prefix).name();
    try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer());
        Indexer indexer = Indexer.builder().kafka(config).topicPrefix(prefix).stateDir(work.resolve(prefix + "indexer")).build()) {
      indexer.start();
      assertTrue(indexer.awaitRunning(Duration.ofSeconds(60)));
      // glibc complete before the views start: they read it as a restore.
      for (TestTrees.Entry e : List.of(TestTrees.Entry.of(LIB), TestTrees.Entry.of(GLIBC), TestTrees.Entry.of(glibcInfo, glibc))) {
        producer.send(new ProducerRecord<>(index, e.key().toBytes(), e.value().toByteArray())).get();
      }
      await("glibc passed to the exporters", () -> endOffset(indexer.closureCompleteTopic()) >= 1);

      Path state = work.resolve(prefix + "exporter");
      try (ExporterViews views = views(prefix, state)) {
        assertEquals(Optional.of(glibcInfo), views.pathInfo(key(glibc)));
        assertEquals(Optional.of(GLIBC), views.directory(Directories.digest(GLIBC)));

        // The rest while they run; a Directory record whose value does not hash to its key is skipped.
        Directory forged = dir(Map.of("evil", "x"), Map.of());
        producer.send(new ProducerRecord<>(index, IndexKey.directory(Directories.digest(HELLO)).toBytes(),
            IndexRecords.of(forged).toByteArray())).get();
        for (TestTrees.Entry e : List.of(TestTrees.Entry.of(HELLO), TestTrees.Entry.of(helloInfo, hello),
            TestTrees.Entry.of(APP), TestTrees.Entry.of(appInfo, app))) {
          producer.send(new ProducerRecord<>(index, e.key().toBytes(), e.value().toByteArray())).get();
        }
        await("hello servable", () -> views.pathInfo(key(hello)).isPresent());
        assertEquals(Optional.of(helloInfo), views.pathInfoByNarHash(helloInfo.getNarinfo().getNarSha256().toByteArray()));
        // Two global stores, two topics: the index's Directory may land a moment after the
        // closure-complete PathInfo that needs it.
        await("hello's tree", () -> views.directory(Directories.digest(HELLO)).isPresent());
        assertEquals(Optional.of(HELLO), views.directory(Directories.digest(HELLO)), "the forged record was skipped");
        await("app's tree indexed", () -> views.directory(Directories.digest(APP)).isPresent());
        assertEquals(Optional.empty(), views.pathInfo(key(app)), "app waits on a missing reference: not servable");
        assertEquals(Optional.empty(), views.pathInfoByNarHash(appInfo.getNarinfo().getNarSha256().toByteArray()));
        assertEquals(Optional.empty(), views.pathInfoByNarHash(new byte[31]));
        assertEquals(Optional.empty(), views.blob(Directories.digest(APP)));
      }

      // A restart on the same state dir answers from its stores.
      try (ExporterViews again = views(prefix, state)) {
        assertEquals(Optional.of(helloInfo), again.pathInfo(key(hello)));
        assertEquals(Optional.of(LIB), again.directory(Directories.digest(LIB)));
      }
    }
  }

  static ExporterViews views(String prefix, Path state) throws InterruptedException {
    ExporterViews views = ExporterViews.builder().kafka(broker.clientConfig()).topicPrefix(prefix).stateDir(state).build();
    views.start();
    assertTrue(views.awaitRunning(Duration.ofSeconds(60)), "views caught up");
    return views;
  }

  static long endOffset(String topic) {
    Map<String, Object> c = broker.clientConfig();
    c.put("isolation.level", "read_committed");
    try (var consumer = new org.apache.kafka.clients.consumer.KafkaConsumer<>(c,
        new org.apache.kafka.common.serialization.ByteArrayDeserializer(),
        new org.apache.kafka.common.serialization.ByteArrayDeserializer())) {
      var partitions = consumer.partitionsFor(topic).stream()
          .map(i -> new org.apache.kafka.common.TopicPartition(topic, i.partition())).toList();
      return consumer.endOffsets(partitions).values().stream().mapToLong(Long::longValue).sum();
    }
  }

  static void await(String what, BooleanSupplier condition) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) throw new AssertionError("timed out waiting for " + what);
      Thread.sleep(50);
    }
  }
}
