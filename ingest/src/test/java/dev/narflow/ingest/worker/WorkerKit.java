package dev.narflow.ingest.worker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.narflow.chunker.store.ChunkStore;
import dev.narflow.ingest.testing.CommittedIndex;
import dev.narflow.topics.castore.B3Digest;
import dev.narflow.topics.castore.v1.Directory;
import dev.narflow.topics.castore.v1.DirectoryNode;
import dev.narflow.topics.castore.v1.Node;
import dev.narflow.topics.kafka.IndexKey;
import dev.narflow.topics.kafka.NarflowTopics;
import dev.narflow.topics.kafka.StorePathKey;
import dev.narflow.topics.kafka.StorePathMessages;
import dev.narflow.topics.kafka.TopicLayout;
import dev.narflow.topics.nix.StorePath;
import dev.narflow.topics.store.v1.PathInfo;
import dev.narflow.topics.testing.KafkaTestBroker;
import dev.narflow.topics.v1.FetchFailure;
import dev.narflow.topics.v1.FetchRequest;
import dev.narflow.topics.v1.IndexRecord;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * Topics under a fresh prefix on a shared test broker, and what the worker tests do with them:
 * enqueue work, read a topic to its end, look at the index, render a path back.
 */
final class WorkerKit implements AutoCloseable {
  private static final AtomicInteger PREFIXES = new AtomicInteger();

  final KafkaTestBroker broker;
  final String prefix;
  final String work;
  final String requests;
  final String index;
  final String failures;
  private final KafkaProducer<byte[], byte[]> producer;
  private final Set<StorePathKey> forwarded = new HashSet<>();

  WorkerKit(KafkaTestBroker broker, int partitions) throws Exception {
    this.broker = broker;
    this.prefix = "t" + PREFIXES.incrementAndGet() + "-" + System.nanoTime() % 100000 + ".";
    this.work = NarflowTopics.WORK.withPrefix(prefix).name();
    this.requests = NarflowTopics.REQUESTS.withPrefix(prefix).name();
    this.index = NarflowTopics.INDEX.withPrefix(prefix).name();
    this.failures = NarflowTopics.FAILURES.withPrefix(prefix).name();
    try (Admin admin = broker.admin()) {
      NarflowTopics.createAll(admin, TopicLayout.of(partitions, 1), prefix);
    }
    Map<String, Object> c = broker.clientConfig();
    c.put(ProducerConfig.ACKS_CONFIG, "all");
    producer = new KafkaProducer<>(c, new ByteArraySerializer(), new ByteArraySerializer());
  }

  /** Test settings for the worker's Kafka clients: failures show within seconds, not minutes. */
  Map<String, Object> kafka() {
    Map<String, Object> c = broker.clientConfig();
    c.put("session.timeout.ms", 6000);
    c.put("heartbeat.interval.ms", 500);
    c.put(ConsumerConfig.MAX_POLL_INTERVAL_MS_CONFIG, 20000);
    c.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, 20000);
    c.put(ProducerConfig.TRANSACTION_TIMEOUT_CONFIG, 20000);
    return c;
  }

  IngestWorker.Builder worker(ChunkStore store) {
    return IngestWorker.builder()
        .kafka(kafka())
        .topicPrefix(prefix)
        .groupId(prefix + "workers")
        .chunkStore(store)
        .maxInFlightNars(4)
        .importThreads(2)
        .retryBackoff(Duration.ofMillis(10), Duration.ofMillis(50))
        .closeTimeout(Duration.ofSeconds(5))
        .upstreamTimeouts(Duration.ofSeconds(2), Duration.ofSeconds(2), Duration.ofSeconds(2));
  }

  static FetchRequest request(String storePath, String upstreamUrl, boolean closure) {
    StorePath p = StorePath.parse(storePath);
    return FetchRequest.newBuilder()
        .setStorePath(StorePathMessages.toMessage(p))
        .setUpstreamUrl(upstreamUrl)
        .setClosure(closure)
        .setOrigin("test")
        .setAttempt(1)
        .setEnqueuedAtMs(System.currentTimeMillis())
        .build();
  }

  void enqueue(FetchRequest... requests) throws Exception {
    for (FetchRequest r : requests) {
      producer.send(new ProducerRecord<>(work, r.getStorePath().getDigest().toByteArray(), r.toByteArray())).get();
    }
  }

  /** Starts {@code worker}, enqueues {@code requests}, waits for {@code done}, then closes the worker. */
  void runUntil(IngestWorker worker, String what, Duration timeout, BooleanSupplier done, FetchRequest... requests)
      throws Exception {
    worker.start();
    try {
      enqueue(requests);
      await(what, timeout, done);
    } finally {
      worker.close();
    }
  }

  /**
   * Stands in for the indexer's router, which lives in another module: copies the requests the
   * workers produced to narflow.work, each path once.
   */
  int forwardRequests() throws Exception {
    int n = 0;
    for (ConsumerRecord<byte[], byte[]> r : readToEnd(requests, true)) {
      if (forwarded.add(StorePathKey.parse(r.key()))) {
        producer.send(new ProducerRecord<>(work, r.key(), r.value())).get();
        n++;
      }
    }
    return n;
  }

  /** Every record of {@code topic} up to its end offsets (committed records only, or all). */
  List<ConsumerRecord<byte[], byte[]>> readToEnd(String topic, boolean committedOnly) {
    return CommittedIndex.readToEnd(broker.clientConfig(), topic, committedOnly);
  }

  /** The committed index, last record per key. */
  Map<IndexKey, IndexRecord> index() throws Exception {
    return CommittedIndex.read(broker.clientConfig(), index);
  }

  /** How many committed PathInfo records of {@code path} the index holds (duplicates counted). */
  int pathInfoRecords(StorePath path) {
    byte[] key = IndexKey.pathInfo(path).toBytes();
    int n = 0;
    for (ConsumerRecord<byte[], byte[]> r : readToEnd(index, true)) {
      if (java.util.Arrays.equals(key, r.key())) n++;
    }
    return n;
  }

  List<FetchRequest> requestsProduced() throws Exception {
    List<FetchRequest> out = new ArrayList<>();
    for (ConsumerRecord<byte[], byte[]> r : readToEnd(requests, true)) out.add(FetchRequest.parseFrom(r.value()));
    return out;
  }

  List<FetchFailure> failuresProduced() throws Exception {
    List<FetchFailure> out = new ArrayList<>();
    for (ConsumerRecord<byte[], byte[]> r : readToEnd(failures, true)) out.add(FetchFailure.parseFrom(r.value()));
    return out;
  }

  static PathInfo pathInfo(Map<IndexKey, IndexRecord> index, StorePath path) {
    IndexRecord r = index.get(IndexKey.pathInfo(path));
    return r == null ? null : r.getPathInfo();
  }

  /**
   * Every Directory below {@code info}'s root is in {@code index}: a PathInfo never points at a
   * missing Directory.
   */
  static void assertTreeComplete(Map<IndexKey, IndexRecord> index, PathInfo info) {
    List<Node> todo = new ArrayList<>(List.of(info.getNode()));
    while (!todo.isEmpty()) {
      Node n = todo.remove(todo.size() - 1);
      if (!n.hasDirectory()) continue;
      DirectoryNode d = n.getDirectory();
      IndexRecord r = index.get(IndexKey.directory(B3Digest.of(d.getDigest())));
      assertTrue(r != null, "Directory " + B3Digest.of(d.getDigest()) + " (" + d.getName().toStringUtf8()
          + ") of a committed PathInfo is not in the index");
      Directory dir = r.getDirectory();
      for (DirectoryNode child : dir.getDirectoriesList()) todo.add(Node.newBuilder().setDirectory(child).build());
    }
  }

  /** The NAR of a committed PathInfo, rendered from the index and the chunk store. */
  static byte[] render(Map<IndexKey, IndexRecord> index, PathInfo info, ChunkStore store) throws Exception {
    return CommittedIndex.render(index, info, store);
  }

  /** Waits for {@code condition}, failing with {@code what} after {@code timeout}. */
  static void await(String what, Duration timeout, BooleanSupplier condition) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) fail("timed out after " + timeout + " waiting for " + what);
      Thread.sleep(50);
    }
  }

  static void assertSameNar(byte[] expected, byte[] actual, String what) {
    assertEquals(expected.length, actual.length, what + ": NAR size");
    assertTrue(java.util.Arrays.equals(expected, actual), what + ": NAR bytes differ");
  }

  @Override
  public void close() {
    producer.close(Duration.ofSeconds(5));
  }
}
