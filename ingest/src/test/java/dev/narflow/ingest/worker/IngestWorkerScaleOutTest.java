package dev.narflow.ingest.worker;

import static dev.narflow.ingest.worker.WorkerKit.await;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.narflow.chunker.store.ChunkStore;
import dev.narflow.topics.kafka.IndexKey;
import dev.narflow.topics.nix.StorePath;
import dev.narflow.topics.nix.TrustedKeys;
import dev.narflow.topics.store.v1.PathInfo;
import dev.narflow.topics.testing.RealNix;
import dev.narflow.topics.v1.IndexRecord;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import org.apache.kafka.clients.producer.internals.BuiltInPartitioner;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;

/**
 * Two workers in one consumer group share a 4-partition narflow.work and together index a
 * closure built by real Nix; one joining while the other is busy (a rebalance mid-import) loses
 * nothing and never makes a partial path visible.
 */
class IngestWorkerScaleOutTest extends NixCacheWorkerTest {

  /** A root referencing {@code width} paths that each reference one base: width + 2 paths. */
  static List<String> closure(String name, int width) {
    List<String> paths = new ArrayList<>();
    String base = cache.build(name + "-base", "echo " + NONCE + " > $out", List.of());
    paths.add(base);
    List<String> middle = new ArrayList<>();
    for (int i = 0; i < width; i++) {
      middle.add(cache.build(name + "-mid" + i, "/bin/mkdir $out; echo " + base + " > $out/ref;"
          + " /usr/bin/seq 1 " + (1000 * (i + 1)) + " > $out/seq", List.of(base)));
    }
    paths.addAll(middle);
    String root = cache.build(name + "-root", "/bin/mkdir $out; echo " + String.join(" ", middle) + " > $out/refs",
        middle);
    paths.add(root);
    cache.copy(root, "zstd");
    return paths;
  }

  IngestWorker worker(WorkerKit kit, ChunkStore store, String id, RecordingListener listener) {
    return kit.worker(store).trustedKeys(TrustedKeys.parse(cache.publicKey())).workerId(id).listener(listener)
        .maxInFlightNars(2).build();
  }

  static void assertAllIndexedAndWhole(WorkerKit kit, List<String> paths, ChunkStore store) throws Exception {
    Map<IndexKey, IndexRecord> index = kit.index();
    for (String p : paths) {
      PathInfo info = WorkerKit.pathInfo(index, StorePath.parseAbsolute(p));
      assertNotNull(info, p + " indexed");
      WorkerKit.assertTreeComplete(index, info);
      WorkerKit.assertSameNar(RealNix.dump(Path.of(p)), WorkerKit.render(index, info, store), p);
    }
    assertTrue(kit.failuresProduced().isEmpty());
  }

  /** Every committed PathInfo of the index has every Directory below it committed too. */
  static void assertNothingPartial(WorkerKit kit) throws Exception {
    Map<IndexKey, IndexRecord> index = kit.index();
    index.forEach((k, v) -> {
      if (k.type() == IndexKey.Type.PATH_INFO) WorkerKit.assertTreeComplete(index, v.getPathInfo());
    });
  }

  static boolean allIndexed(List<String> paths, RecordingListener... listeners) {
    for (String p : paths) {
      StorePath sp = StorePath.parseAbsolute(p);
      boolean any = false;
      for (RecordingListener l : listeners) any |= l.count(l.indexed, sp) > 0;
      if (!any) return false;
    }
    return true;
  }

  @Test
  void twoWorkersShareThePartitionsAndTogetherIndexAClosure() throws Exception {
    List<String> paths = closure("shared", 5);
    try (WorkerKit kit = new WorkerKit(broker, 4);
        ChunkStore store = ChunkStore.localDirectory(work.resolve("chunks-shared"))) {
      RecordingListener l1 = new RecordingListener();
      RecordingListener l2 = new RecordingListener();
      IngestWorker w1 = worker(kit, store, "shared-1", l1);
      IngestWorker w2 = worker(kit, store, "shared-2", l2);
      w1.start();
      w2.start();
      try {
        await("both workers own partitions", Duration.ofSeconds(30),
            () -> !w1.assignment().isEmpty() && !w2.assignment().isEmpty()
                && w1.assignment().size() + w2.assignment().size() == 4);
        Set<TopicPartition> both = new HashSet<>(w1.assignment());
        both.retainAll(w2.assignment());
        assertTrue(both.isEmpty(), "no partition owned twice");
        // Only the root is requested; the rest is discovered through the reference requests.
        kit.enqueue(WorkerKit.request(paths.get(paths.size() - 1), cache.url().toString(), true));
        long deadline = System.nanoTime() + Duration.ofSeconds(40).toNanos();
        while (!allIndexed(paths, l1, l2)) {
          assertTrue(System.nanoTime() < deadline, "closure indexed within 40 s");
          kit.forwardRequests();
          Thread.sleep(100);
        }
      } finally {
        w1.close();
        w2.close();
      }
      assertAllIndexedAndWhole(kit, paths, store);
    }
  }

  @Test
  void aRebalanceWhileTheFirstWorkerIsBusyLosesNothingAndShowsNothingPartial() throws Exception {
    List<String> paths = closure("rebalance", 6);
    try (WorkerKit kit = new WorkerKit(broker, 4);
        ChunkStore store = ChunkStore.localDirectory(work.resolve("chunks-rebalance"))) {
      RecordingListener l1 = new RecordingListener();
      CountDownLatch hold = new CountDownLatch(1);
      l1.holdAfterImport = hold;
      IngestWorker w1 = worker(kit, store, "rebalance-1", l1);
      w1.start();
      RecordingListener l2 = new RecordingListener();
      IngestWorker w2 = worker(kit, store, "rebalance-2", l2);
      @SuppressWarnings("unchecked")
      Set<TopicPartition>[] w2AssignmentAtEnd = new Set[] {Set.of()};
      try {
        await("the first worker owns every partition", Duration.ofSeconds(30), () -> w1.assignment().size() == 4);
        for (String p : paths) kit.enqueue(WorkerKit.request(p, cache.url().toString(), false));
        // Both of its path threads hold a path whose chunks are stored but not committed.
        await("two paths imported and held", Duration.ofSeconds(30),
            () -> l1.imported.values().stream().mapToInt(java.util.concurrent.atomic.AtomicInteger::get).sum() >= 2);
        assertTrue(kit.index().isEmpty(), "nothing committed while held");

        w2.start();
        await("the partitions shared", Duration.ofSeconds(30),
            () -> !w2.assignment().isEmpty() && w1.assignment().size() + w2.assignment().size() == 4);
        assertNothingPartial(kit);
        hold.countDown();

        await("every path indexed", Duration.ofSeconds(40), () -> allIndexed(paths, l1, l2));
        assertNothingPartial(kit);
        w2AssignmentAtEnd[0] = w2.assignment();
        // What the finished paths held until their commit (abandoned ones included) is given back.
        await("the byte budgets given back", Duration.ofSeconds(20), () -> w1.budgetUsed() == 0 && w2.budgetUsed() == 0);
      } finally {
        hold.countDown();
        w1.close();
        w2.close();
      }
      Set<TopicPartition> second = w2AssignmentAtEnd[0];
      boolean secondHadWork = paths.stream().anyMatch(p -> second.contains(new TopicPartition(kit.work,
          BuiltInPartitioner.partitionForKey(StorePath.parseAbsolute(p).digest(), 4))));
      if (secondHadWork) assertFalse(l2.indexed.isEmpty(), "the second worker did the work of its partitions");
      assertAllIndexedAndWhole(kit, paths, store);
      for (String p : paths) {
        assertNull(kit.failuresProduced().stream().filter(f -> IngestWorkerNixTest.pathOf(f.getRequest())
            .equals(StorePath.parseAbsolute(p))).findAny().orElse(null));
      }
    }
  }
}
