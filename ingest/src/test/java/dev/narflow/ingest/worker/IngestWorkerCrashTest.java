package dev.narflow.ingest.worker;

import static dev.narflow.ingest.worker.WorkerKit.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
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
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;

/**
 * A worker killed without a clean shutdown (its Kafka clients closed at once, its threads
 * stopped, nothing committed or aborted) after its chunks are durable, and inside its open
 * transaction; a new worker with the same worker id (transactional id) then completes the path:
 * one committed PathInfo, nothing partial ever visible to read_committed readers.
 */
class IngestWorkerCrashTest extends NixCacheWorkerTest {

  static String path(String name) {
    String p = cache.build(name, "/bin/mkdir -p $out/a/b; echo " + NONCE + " > $out/a/b/id;"
        + " /usr/bin/head -c 800000 /dev/urandom > $out/a/random; /usr/bin/seq 1 5000 > $out/seq", List.of());
    cache.copy(p, "xz");
    return p;
  }

  IngestWorker worker(WorkerKit kit, ChunkStore store, String id, RecordingListener listener) {
    return kit.worker(store).trustedKeys(TrustedKeys.parse(cache.publicKey())).workerId(id).listener(listener).build();
  }

  void assertCompletedOnce(WorkerKit kit, String p, ChunkStore store) throws Exception {
    StorePath sp = StorePath.parseAbsolute(p);
    assertEquals(1, kit.pathInfoRecords(sp), "exactly one committed PathInfo");
    Map<IndexKey, IndexRecord> index = kit.index();
    PathInfo info = WorkerKit.pathInfo(index, sp);
    WorkerKit.assertTreeComplete(index, info);
    WorkerKit.assertSameNar(RealNix.dump(Path.of(p)), WorkerKit.render(index, info, store), p);
  }

  @Test
  void killedBetweenChunkUploadAndCommitThenRestarted() throws Exception {
    String p = path("crash-after-upload");
    StorePath sp = StorePath.parseAbsolute(p);
    try (WorkerKit kit = new WorkerKit(broker, 2);
        ChunkStore store = ChunkStore.localDirectory(work.resolve("chunks-upload"))) {
      RecordingListener first = new RecordingListener();
      first.holdAfterImport = new CountDownLatch(1);
      IngestWorker dying = worker(kit, store, "crash-upload", first);
      dying.start();
      kit.enqueue(WorkerKit.request(p, cache.url().toString(), false));
      await("the chunks stored", Duration.ofSeconds(30), () -> first.count(first.imported, sp) == 1);
      dying.kill();
      first.holdAfterImport.countDown();
      assertNull(WorkerKit.pathInfo(kit.index(), sp), "nothing committed by the dead worker");

      RecordingListener second = new RecordingListener();
      // Registering the same transactional id aborts the dead worker's transaction, if open.
      kit.runUntil(worker(kit, store, "crash-upload", second), "the path indexed after restart",
          Duration.ofSeconds(40), () -> second.count(second.indexed, sp) == 1);
      assertEquals(0, first.count(first.indexed, sp));
      assertCompletedOnce(kit, p, store);
    }
  }

  @Test
  void killedInsideItsOpenTransactionThenRestartedWithTheSameId() throws Exception {
    String p = path("crash-in-transaction");
    StorePath sp = StorePath.parseAbsolute(p);
    try (WorkerKit kit = new WorkerKit(broker, 2);
        ChunkStore store = ChunkStore.localDirectory(work.resolve("chunks-transaction"))) {
      RecordingListener first = new RecordingListener();
      IngestWorker dying = worker(kit, store, "crash-transaction", first);
      CountDownLatch inTransaction = new CountDownLatch(1);
      CountDownLatch never = new CountDownLatch(1);
      dying.beforeCommit = () -> {
        inTransaction.countDown();
        try {
          never.await();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      };
      dying.start();
      kit.enqueue(WorkerKit.request(p, cache.url().toString(), false));
      inTransaction.await();
      dying.kill();

      // The records are in the log, in a transaction that never committed.
      byte[] key = IndexKey.pathInfo(sp).toBytes();
      List<ConsumerRecord<byte[], byte[]>> uncommitted = kit.readToEnd(kit.index, false);
      assertTrue(uncommitted.stream().anyMatch(r -> java.util.Arrays.equals(key, r.key())),
          "the dead worker's PathInfo reached the log");
      assertNull(WorkerKit.pathInfo(kit.index(), sp), "but no read_committed reader sees it");

      RecordingListener second = new RecordingListener();
      // Registering the same transactional id aborts the dead worker's transaction, if open.
      kit.runUntil(worker(kit, store, "crash-transaction", second), "the path indexed after restart",
          Duration.ofSeconds(40), () -> second.count(second.indexed, sp) == 1);
      assertNotNull(WorkerKit.pathInfo(kit.index(), sp));
      assertCompletedOnce(kit, p, store);
    }
  }

  /**
   * Small paths behind a large NAR in one partition finish and commit first, while the offset
   * stays at the large one; after a kill, the next owner redoes the large path only.
   */
  @Test
  void pathsFinishedBehindASlowNarAreNotFetchedAgainAfterACrash() throws Exception {
    String large = cache.build("skip-large", "/usr/bin/head -c 3000000 /dev/urandom > $out; echo " + NONCE + " >> $out",
        List.of());
    cache.copy(large, "none");
    List<String> small = List.of(path("skip-small-1"), path("skip-small-2"), path("skip-small-3"));
    String largeNar = cache.narFile(large).getFileName().toString();
    cache.faults().stallAfter(largeNar, 500_000, 1);
    try (WorkerKit kit = new WorkerKit(broker, 1);
        ChunkStore store = ChunkStore.localDirectory(work.resolve("chunks-skip"))) {
      RecordingListener first = new RecordingListener();
      // A long idle timeout: the stalled NAR stays in flight until the kill.
      IngestWorker dying = kit.worker(store).trustedKeys(TrustedKeys.parse(cache.publicKey())).workerId("skip")
          .upstreamTimeouts(Duration.ofSeconds(2), Duration.ofSeconds(2), Duration.ofMinutes(5)).listener(first).build();
      dying.start();
      kit.enqueue(WorkerKit.request(large, cache.url().toString(), false));
      await("the large NAR stalled", Duration.ofSeconds(30), () -> cache.requestCount(largeNar) == 1);
      for (String p : small) kit.enqueue(WorkerKit.request(p, cache.url().toString(), false));
      await("the small paths committed", Duration.ofSeconds(60),
          () -> small.stream().allMatch(p -> kit.pathInfoRecords(StorePath.parseAbsolute(p)) == 1));
      dying.kill();
      java.util.Map<String, Integer> fetched = new java.util.HashMap<>();
      for (String p : small) fetched.put(p, cache.requestCount(cache.narFile(p).getFileName().toString()));

      RecordingListener second = new RecordingListener();
      StorePath largePath = StorePath.parseAbsolute(large);
      kit.runUntil(worker(kit, store, "skip", second), "the large path indexed after restart",
          Duration.ofSeconds(60), () -> second.count(second.indexed, largePath) == 1);
      assertEquals(2, cache.requestCount(largeNar), "the large NAR is fetched again");
      for (String p : small) {
        assertEquals(fetched.get(p), cache.requestCount(cache.narFile(p).getFileName().toString()),
            p + " was finished before the crash and must not be fetched again");
        assertEquals(0, second.count(second.indexed, StorePath.parseAbsolute(p)));
        assertCompletedOnce(kit, p, store);
      }
      assertCompletedOnce(kit, large, store);
    }
  }
}
