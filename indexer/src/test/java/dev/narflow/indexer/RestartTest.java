package dev.narflow.indexer;

import static dev.narflow.indexer.CompletenessTest.app;
import static dev.narflow.indexer.CompletenessTest.awaitComplete;
import static dev.narflow.indexer.IndexerHarness.await;
import static dev.narflow.topics.testing.TestTrees.key;
import static dev.narflow.topics.testing.TestTrees.path;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.narflow.topics.kafka.NarflowTopics;
import dev.narflow.topics.kafka.StorePathKey;
import dev.narflow.topics.nix.StorePath;
import dev.narflow.topics.testing.TestTrees;
import dev.narflow.topics.v1.FetchFailure;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A stopped indexer resumes with its state: from its state dir, or else from the changelogs. */
class RestartTest extends BrokerTest {
  @Test
  void restartResumesFromTheStateDirAndTheCommittedOffsets(@TempDir Path otherStateDir) throws Exception {
    StorePath broken = path("broken-1.0");
    List<StorePathKey> roots = List.of(key(app), key(broken));
    Indexer first = harness.startIndexer(stateDir, Duration.ofHours(1));
    harness.request(app, true);
    harness.request(broken, true);
    harness.index(CompletenessTest.inWriteOrder());
    harness.fail(broken, FetchFailure.Reason.SIGNATURE_INVALID, "Sig by test-cache-1 does not verify", 0);
    awaitComplete(first, app);
    await("failure remembered", () -> first.pathStatus(key(broken)).state() == PathState.FAILED);
    MirrorStatus before = first.status(roots);

    // What the indexer has read of its own topics can go; the next start needs none of it.
    first.purgeConsumed();
    assertTrue(earliest(first.completionTopic()) > 0, "consumed notifications are deleted");
    first.close();

    // The whole index was consumed and committed: a restart reads none of it again.
    long indexRecords = CompletenessTest.inWriteOrder().size();
    assertEquals(indexRecords, committed(NarflowTopics.INDEX.withPrefix(harness.prefix).name()));

    Indexer second = harness.startIndexer(stateDir, Duration.ofHours(1));
    assertEquals(before, second.status(roots), "state is there before any new input");
    assertEquals(0, second.recordsRestored(), "the stores on disk were current");
    StorePath marker = path("marker-after-restart");
    harness.request(app, true);
    harness.request(marker, true);
    await("marker forwarded", () -> harness.workFor(marker) == 1);
    assertEquals(1, harness.workFor(app), "app is still known as indexed");
    second.close();

    // Without the state dir, the stores come back from their changelogs, not by replaying the index.
    Indexer third = harness.startIndexer(otherStateDir, Duration.ofHours(1));
    assertEquals(before, third.status(roots));
    assertTrue(third.recordsRestored() > 0, "restored from the changelogs");
    assertEquals(indexRecords, committed(NarflowTopics.INDEX.withPrefix(harness.prefix).name()));
  }

  /** Sum over partitions of the first offset still stored. */
  private static long earliest(String topic) throws Exception {
    try (Admin admin = kafka.admin()) {
      Map<TopicPartition, org.apache.kafka.clients.admin.OffsetSpec> spec = new java.util.HashMap<>();
      for (int p = 0; p < IndexerHarness.PARTITIONS; p++) {
        spec.put(new TopicPartition(topic, p), org.apache.kafka.clients.admin.OffsetSpec.earliest());
      }
      return admin.listOffsets(spec).all().get().values().stream().mapToLong(i -> i.offset()).sum();
    }
  }

  private long committed(String topic) throws Exception {
    try (Admin admin = kafka.admin()) {
      Map<TopicPartition, OffsetAndMetadata> offsets =
          admin.listConsumerGroupOffsets(harness.prefix + "indexer").partitionsToOffsetAndMetadata().get();
      return offsets.entrySet().stream().filter(e -> e.getKey().topic().equals(topic))
          .mapToLong(e -> e.getValue().offset()).sum();
    }
  }
}
