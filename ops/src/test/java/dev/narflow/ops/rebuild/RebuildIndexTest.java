package dev.narflow.ops.rebuild;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.narflow.ingest.testing.CommittedIndex;
import dev.narflow.ingest.testing.NixCacheFixture;
import dev.narflow.ops.Cli;
import dev.narflow.ops.embedded.EmbeddedKafka;
import dev.narflow.ops.mirror.MirrorCommandTest;
import dev.narflow.ops.mirror.MirrorPipeline;
import dev.narflow.topics.castore.v1.Directory;
import dev.narflow.topics.kafka.NarflowTopics;
import dev.narflow.topics.nix.StorePath;
import dev.narflow.topics.testing.TestTrees;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code narflow rebuild-index} on a mirror made by {@code narflow mirror} from real Nix: the
 * index alone gives every path closure-complete, still after the broker has compacted the index
 * (forced here), and the rebuild names what is missing: a chunk deleted from the store, a path
 * whose reference was never indexed.
 */
class RebuildIndexTest {
  @TempDir Path work;


  static Cli.Run rebuild(String... args) {
    return Cli.run(Map.of(), Stream.concat(Stream.of("rebuild-index"), Stream.of(args)).toArray(String[]::new));
  }

  @Test
  void theIndexAloneRebuildsEveryViewEvenCompactedAndMissingPiecesAreNamed() throws Exception {
    Path data = work.resolve("mirror");
    String top;
    try (NixCacheFixture upstream = NixCacheFixture.create(work.resolve("upstream"))) {
      String nonce = Long.toString(System.nanoTime());
      String leaf = upstream.build("rebuild-leaf", "echo " + nonce + " > $out", List.of());
      String mid = upstream.build("rebuild-mid", "/bin/mkdir -p $out/a/b; echo $in0 > $out/a/b/ref;"
          + " i=0; while [ $i -lt 60000 ]; do echo \"line $i $in0\"; i=$((i+1)); done > $out/a/big", List.of(leaf));
      top = upstream.build("rebuild-top", "/bin/mkdir $out; echo $in0 > $out/ref", List.of(mid));
      upstream.copy(top, "zstd", true);
      MirrorCommandTest.Run mirrored = MirrorCommandTest.execute(Map.of(), new MirrorPipeline(), "--data",
          data.toString(), "--upstream", upstream.url().toString(), "--trusted-public-key", upstream.publicKey(),
          "--progress", "log", top);
      assertEquals(0, mirrored.exit(), mirrored.err());
    }

    Cli.Run first = rebuild("--data", data.toString(), "--verify-chunks");
    assertEquals(0, first.exit(), first.out() + first.err());
    assertTrue(first.out().startsWith("index: 3 paths, 3 closure-complete, 0 incomplete; "), first.out());
    assertTrue(first.out().contains("chunks: 3 closure-complete paths checked, 0 would fail"), first.out());

    // Every record written twice, then compacted by the broker: the duplicates go, and a shared
    // Directory may now come after a PathInfo that needs it.
    int before;
    try (EmbeddedKafka kafka = EmbeddedKafka.start(data.resolve("kafka"), Map.of("log.cleaner.backoff.ms", "100"))) {
      String index = NarflowTopics.INDEX.name();
      List<ConsumerRecord<byte[], byte[]>> records = CommittedIndex.readToEnd(kafka.clientConfig(), index, true);
      before = records.size();
      try (Admin admin = Admin.create(kafka.clientConfig())) {
        admin.incrementalAlterConfigs(Map.of(new ConfigResource(ConfigResource.Type.TOPIC, index), List.of(
            new AlterConfigOp(new ConfigEntry("segment.ms", "100"), AlterConfigOp.OpType.SET),
            new AlterConfigOp(new ConfigEntry("min.cleanable.dirty.ratio", "0.01"), AlterConfigOp.OpType.SET)))).all().get();
      }
      try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(kafka.clientConfig(), new ByteArraySerializer(),
          new ByteArraySerializer())) {
        for (ConsumerRecord<byte[], byte[]> r : records) {
          producer.send(new ProducerRecord<>(index, r.partition(), r.key(), r.value())).get();
        }
        Thread.sleep(300); // past segment.ms: the next record rolls each partition's segment
        for (ConsumerRecord<byte[], byte[]> r : records) {
          producer.send(new ProducerRecord<>(index, r.partition(), r.key(), r.value())).get();
        }
      }
      long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
      while (CommittedIndex.readToEnd(kafka.clientConfig(), index, true).size() >= 3L * before) {
        assertTrue(System.nanoTime() < deadline, "the broker did not compact the index");
        Thread.sleep(500);
      }
    }
    Cli.Run compacted = rebuild("--data", data.toString(), "--verify-chunks");
    assertEquals(0, compacted.exit(), compacted.out() + compacted.err());
    assertTrue(compacted.out().startsWith("index: 3 paths, 3 closure-complete, 0 incomplete; "), compacted.out());

    // A chunk gone from the store: the path that needs it is named.
    Path chunk;
    try (Stream<Path> files = Files.walk(data.resolve("chunks"))) {
      chunk = files.filter(Files::isRegularFile).filter(p -> p.toString().contains("/chunks/b3/")).findFirst().orElseThrow();
    }
    Files.delete(chunk);
    Cli.Run missingChunk = rebuild("--data", data.toString(), "--verify-chunks");
    assertEquals(1, missingChunk.exit(), missingChunk.out() + missingChunk.err());
    assertTrue(missingChunk.out().contains("not in the chunk store"), missingChunk.out());
    assertTrue(missingChunk.out().contains("chunks: 3 closure-complete paths checked, 1 would fail"), missingChunk.out());

    // A path whose reference was never indexed: incomplete, and what it waits on is named.
    StorePath lonely = TestTrees.path("lonely-1.0");
    StorePath absent = TestTrees.path("absent-2.0");
    Directory root = TestTrees.dir(Map.of("f", "x"), Map.of());
    try (EmbeddedKafka kafka = EmbeddedKafka.start(data.resolve("kafka"));
        KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(kafka.clientConfig(), new ByteArraySerializer(),
            new ByteArraySerializer())) {
      for (TestTrees.Entry e : List.of(TestTrees.Entry.of(root),
          TestTrees.Entry.of(TestTrees.pathInfo(lonely, root, 10, List.of(absent)), lonely))) {
        producer.send(new ProducerRecord<>(NarflowTopics.INDEX.name(), e.key().toBytes(), e.value().toByteArray())).get();
      }
    }
    Cli.Run incomplete = rebuild("--data", data.toString());
    assertEquals(1, incomplete.exit(), incomplete.out() + incomplete.err());
    assertTrue(incomplete.out().startsWith("index: 4 paths, 3 closure-complete, 1 incomplete; "), incomplete.out());
    assertTrue(incomplete.out().contains("incomplete: " + lonely.absolute() + " waits on " + absent.absolute()),
        incomplete.out());

    // Against a cluster, without --data: the rebuild's state is scratch, and goes afterwards.
    try (EmbeddedKafka kafka = EmbeddedKafka.start(data.resolve("kafka"))) {
      Path tmp = Path.of(System.getProperty("java.io.tmpdir"));
      List<Path> scratchBefore = scratchDirs(tmp);
      Cli.Run noChunks = rebuild("--bootstrap-servers", kafka.bootstrapServers(), "--verify-chunks");
      assertEquals(2, noChunks.exit(), noChunks.err());
      assertTrue(noChunks.err().contains("--verify-chunks without --data needs --chunk-store URL"), noChunks.err());
      Cli.Run onCluster = rebuild("--bootstrap-servers", kafka.bootstrapServers(), "--chunk-store",
          data.resolve("chunks").toUri().toString(), "--verify-chunks");
      assertEquals(1, onCluster.exit(), onCluster.out() + onCluster.err());
      assertTrue(onCluster.out().startsWith("index: 4 paths, 3 closure-complete, 1 incomplete; "), onCluster.out());
      assertTrue(onCluster.out().contains("chunks: 3 closure-complete paths checked, 1 would fail"), onCluster.out());
      assertEquals(scratchBefore, scratchDirs(tmp), "the scratch state is removed");
    }
  }

  private static List<Path> scratchDirs(Path tmp) throws IOException {
    try (Stream<Path> entries = Files.list(tmp)) {
      return entries.filter(p -> p.getFileName().toString().startsWith("narflow-rebuild-index-")).sorted().toList();
    }
  }
}
