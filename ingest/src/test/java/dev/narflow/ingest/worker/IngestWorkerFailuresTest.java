package dev.narflow.ingest.worker;

import static dev.narflow.ingest.worker.WorkerKit.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.narflow.chunker.store.ChunkStore;
import dev.narflow.topics.kafka.IndexKey;
import dev.narflow.topics.nix.StorePath;
import dev.narflow.topics.nix.TrustedKeys;
import dev.narflow.topics.testing.RealNix;
import dev.narflow.topics.v1.FetchFailure;
import dev.narflow.topics.v1.FetchFailure.Reason;
import dev.narflow.topics.v1.IndexRecord;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;

/**
 * Failures made for real in a cache written by real Nix, seen through the worker: each goes to
 * narflow.failures with its reason, nothing of the path reaches the index, and the worker goes on
 * with the next request.
 */
class IngestWorkerFailuresTest extends NixCacheWorkerTest {

  static String path(String name) {
    String p = cache.build(name, "/bin/mkdir $out; echo " + NONCE + " " + name + " > $out/id;"
        + " /usr/bin/seq 1 " + (name.length() * 3000) + " > $out/seq", List.of());
    cache.copy(p, "xz");
    return p;
  }

  @Test
  void badNarsFailPermanentlyAStalledOneIsRetriedAndGarbageIsReported() throws Exception {
    String swapped = path("swapped-nar");
    String other = path("the-other-one");
    String deleted = path("deleted-nar");
    String stalled = path("stalled-download");
    // The NAR of another path under this one's URL: the hash check must catch it after import.
    Files.copy(cache.narFile(other), cache.narFile(swapped), StandardCopyOption.REPLACE_EXISTING);
    Files.delete(cache.narFile(deleted));
    cache.faults().stallAfter(cache.narFile(stalled).getFileName().toString(), 200, 1);

    RecordingListener listener = new RecordingListener();
    try (WorkerKit kit = new WorkerKit(broker, 1);
        ChunkStore store = ChunkStore.localDirectory(work.resolve("chunks"));
        KafkaProducer<byte[], byte[]> raw = new KafkaProducer<>(broker.clientConfig(),
            new ByteArraySerializer(), new ByteArraySerializer())) {
      IngestWorker w = kit.worker(store).trustedKeys(TrustedKeys.parse(cache.publicKey())).listener(listener)
          .maxAttempts(3).upstreamTimeouts(Duration.ofSeconds(2), Duration.ofSeconds(2), Duration.ofMillis(700))
          .build();
      w.start();
      try {
        kit.enqueue(WorkerKit.request(swapped, cache.url().toString(), false),
            WorkerKit.request(deleted, cache.url().toString(), false));
        // A value that is no FetchRequest, under a valid key.
        raw.send(new ProducerRecord<>(kit.work, StorePath.parseAbsolute(other).digest(), new byte[] {(byte) 0xff, 1, 2}))
            .get();
        kit.enqueue(WorkerKit.request(stalled, cache.url().toString(), false));
        await("three failures and the stalled path indexed", Duration.ofSeconds(40),
            () -> listener.failed.size() == 2 && listener.count(listener.indexed, StorePath.parseAbsolute(stalled)) == 1);
        await("the undecodable request reported", Duration.ofSeconds(10), () -> {
          try {
            return kit.failuresProduced().size() == 3;
          } catch (Exception e) {
            throw new IllegalStateException(e);
          }
        });
      } finally {
        w.close();
      }

      Map<StorePath, FetchFailure> failures = new java.util.HashMap<>();
      FetchFailure garbage = null;
      for (FetchFailure f : kit.failuresProduced()) {
        if (f.getRequest().getStorePath().getName().isEmpty()) {
          garbage = f;
        } else {
          failures.put(IngestWorkerNixTest.pathOf(f.getRequest()), f);
        }
      }
      FetchFailure f = failures.get(StorePath.parseAbsolute(swapped));
      assertTrue(f.getReason() == Reason.NAR_HASH_MISMATCH || f.getReason() == Reason.NAR_SIZE_MISMATCH, f.toString());
      assertEquals(1, f.getAttempts());
      f = failures.get(StorePath.parseAbsolute(deleted));
      assertEquals(Reason.NOT_FOUND, f.getReason(), f.toString());
      assertEquals(404, f.getUpstreamStatus());
      assertEquals(1, f.getAttempts());
      assertNotNull(garbage);
      assertEquals(Reason.INTERNAL, garbage.getReason());
      assertTrue(garbage.getMessage().contains("undecodable"), garbage.getMessage());

      Map<IndexKey, IndexRecord> index = kit.index();
      assertEquals(1, index.keySet().stream().filter(k -> k.type() == IndexKey.Type.PATH_INFO).count(),
          "only the stalled path, after its retry, is indexed");
      assertEquals(2, cache.requestCount(cache.narFile(stalled).getFileName().toString()), "stalled once, then served");
      WorkerKit.assertSameNar(RealNix.dump(Path.of(stalled)),
          WorkerKit.render(index, WorkerKit.pathInfo(index, StorePath.parseAbsolute(stalled)), store), stalled);
    }
  }
}
