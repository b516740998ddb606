package dev.narflow.ingest.worker;

import static dev.narflow.ingest.worker.WorkerKit.await;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.narflow.chunker.store.ChunkStore;
import dev.narflow.ingest.testing.NixCacheFixture;
import dev.narflow.topics.kafka.IndexKey;
import dev.narflow.topics.kafka.StorePathMessages;
import dev.narflow.topics.nix.NarInfo;
import dev.narflow.topics.nix.StorePath;
import dev.narflow.topics.nix.TrustedKeys;
import dev.narflow.topics.store.v1.PathInfo;
import dev.narflow.topics.testing.RealNix;
import dev.narflow.topics.v1.FetchFailure;
import dev.narflow.topics.v1.FetchFailure.Reason;
import dev.narflow.topics.v1.FetchRequest;
import dev.narflow.topics.v1.IndexRecord;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * The worker against a binary cache written and signed by real Nix and a real Kafka broker:
 * what it commits renders back to {@code nix-store --dump}, and what fails leaves nothing in the
 * index.
 */
class IngestWorkerNixTest extends NixCacheWorkerTest {

  IngestWorker.Builder worker(WorkerKit kit, ChunkStore store, RecordingListener listener) {
    return kit.worker(store).trustedKeys(TrustedKeys.parse(cache.publicKey())).listener(listener).maxAttempts(3);
  }

  static StorePath sp(String path) {
    return StorePath.parseAbsolute(path);
  }

  @Test
  void aClosureOfThreePathsIsIndexedAndRendersToNixStoreDump() throws Exception {
    String a = cache.build("closure-a", "echo " + NONCE + " > $out", List.of());
    String b = cache.build("closure-b", "/bin/mkdir -p $out/share/doc; echo " + a + " > $out/share/doc/ref;"
        + " /usr/bin/seq 1 20000 > $out/seq; /bin/ln -s share/doc/ref $out/link", List.of(a));
    // A file of several FastCDC chunks, so the closure has a Blob record too.
    String c = cache.build("closure-c", "/bin/mkdir $out; echo " + a + " " + b + " > $out/refs;"
        + " /usr/bin/head -c 1500000 /dev/urandom > $out/random; echo $out > $out/self", List.of(a, b));
    cache.copy(c, "xz");
    Set<StorePath> closure = Set.of(sp(a), sp(b), sp(c));

    RecordingListener listener = new RecordingListener();
    try (WorkerKit kit = new WorkerKit(broker, 2);
        ChunkStore store = ChunkStore.localDirectory(work.resolve("chunks-closure"))) {
      IngestWorker w = worker(kit, store, listener).build();
      w.start();
      try {
        kit.enqueue(WorkerKit.request(c, cache.url().toString(), true));
        await("the root's PathInfo", Duration.ofSeconds(30), () -> listener.count(listener.indexed, sp(c)) == 1);

        // Its references were requested, not itself (it refers to itself).
        List<FetchRequest> requests = kit.requestsProduced();
        assertEquals(Set.of(sp(a), sp(b)), requests.stream().map(IngestWorkerNixTest::pathOf).collect(Collectors.toSet()));
        for (FetchRequest r : requests) {
          assertEquals("closure:" + sp(c).baseName(), r.getOrigin());
          assertTrue(r.getClosure());
          assertEquals(1, r.getAttempt());
          assertEquals(cache.url().toString(), r.getUpstreamUrl());
        }

        // What the router would do: the references reach narflow.work, and theirs in turn.
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (!closure.stream().allMatch(p -> listener.count(listener.indexed, p) >= 1)) {
          assertTrue(System.nanoTime() < deadline, "closure indexed within 30 s");
          kit.forwardRequests();
          Thread.sleep(100);
        }
      } finally {
        w.close();
      }

      Map<IndexKey, IndexRecord> index = kit.index();
      assertTrue(index.keySet().stream().anyMatch(k -> k.type() == IndexKey.Type.BLOB),
          "the 1.5 MB file has a chunk list in the index");
      for (StorePath p : closure) {
        PathInfo info = WorkerKit.pathInfo(index, p);
        assertNotNull(info, p + " has a committed PathInfo");
        NarInfo narInfo = NarInfo.parse(Files.readString(cache.narInfoFile(p.absolute())));
        assertArrayEquals(narInfo.narHash().digest(), info.getNarinfo().getNarSha256().toByteArray());
        assertEquals(narInfo.narSize(), info.getNarinfo().getNarSize());
        assertEquals(narInfo.references().stream().map(StorePath::baseName).toList(),
            info.getNarinfo().getReferenceNamesList());
        assertEquals(1, info.getNarinfo().getSignaturesCount());
        assertEquals(NixCacheFixture.KEY_NAME, info.getNarinfo().getSignatures(0).getName());
        assertEquals(64, info.getNarinfo().getSignatures(0).getData().size());
        assertEquals(narInfo.deriver().name(), info.getNarinfo().getDeriver().getName() + ".drv");
        WorkerKit.assertTreeComplete(index, info);
        WorkerKit.assertSameNar(RealNix.dump(Path.of(p.absolute())), WorkerKit.render(index, info, store),
            p.toString());
      }
      assertTrue(listener.failed.isEmpty(), "no failures: " + listener.failed);
      assertEquals(0, kit.failuresProduced().size());
    }
  }

  @Test
  void aBadSignatureFailsWithSignatureInvalidAndLeavesNothingInTheIndex() throws Exception {
    String p = cache.build("bad-sig", "/bin/mkdir $out; echo " + NONCE + " > $out/file", List.of());
    cache.copy(p, "zstd");
    // A well-formed signature by the trusted key's name over other bytes.
    byte[] forged = new byte[64];
    forged[0] = 1;
    cache.editNarInfo(p, "Sig", NixCacheFixture.KEY_NAME + ":" + Base64.getEncoder().encodeToString(forged));

    RecordingListener listener = new RecordingListener();
    try (WorkerKit kit = new WorkerKit(broker, 1);
        ChunkStore store = ChunkStore.localDirectory(work.resolve("chunks-bad-sig"))) {
      IngestWorker w = worker(kit, store, listener).build();
      w.start();
      try {
        kit.enqueue(WorkerKit.request(p, cache.url().toString(), true));
        await("the failure", Duration.ofSeconds(30), () -> !listener.failed.isEmpty());
      } finally {
        w.close();
      }
      List<FetchFailure> failures = kit.failuresProduced();
      assertEquals(1, failures.size());
      FetchFailure f = failures.get(0);
      assertEquals(Reason.SIGNATURE_INVALID, f.getReason(), f.getMessage());
      assertEquals(1, f.getAttempts(), "a bad signature is not retried");
      assertEquals(sp(p), pathOf(f.getRequest()));
      assertTrue(f.getFailedAtMs() > 0);
      assertNull(WorkerKit.pathInfo(kit.index(), sp(p)));
      assertTrue(kit.index().isEmpty(), "nothing of the path in the index");
      assertTrue(kit.requestsProduced().isEmpty(), "an unverified narinfo's references are not requested");
      assertEquals(0, cache.requestCount(cache.narFile(p).getFileName().toString()), "its NAR was never downloaded");
    }
  }

  @Test
  void a503IsRetriedByTheWorkerAndExhaustedRetriesAreCountedInTheFailure() throws Exception {
    String ok = cache.build("flaky-ok", "echo " + NONCE + " > $out", List.of());
    String down = cache.build("flaky-down", "echo " + NONCE + " down > $out", List.of());
    cache.copy(ok, "bzip2");
    cache.copy(down, "bzip2");
    String okNar = cache.narFile(ok).getFileName().toString();
    cache.faults().failNext(okNar, 503, 1);
    cache.faults().failNext(sp(down).hashPart() + ".narinfo", 503, 3);

    RecordingListener listener = new RecordingListener();
    try (WorkerKit kit = new WorkerKit(broker, 1);
        ChunkStore store = ChunkStore.localDirectory(work.resolve("chunks-flaky"))) {
      IngestWorker w = worker(kit, store, listener).build();
      w.start();
      try {
        kit.enqueue(WorkerKit.request(ok, cache.url().toString(), false),
            WorkerKit.request(down, cache.url().toString(), false));
        await("both paths done", Duration.ofSeconds(30),
            () -> listener.count(listener.indexed, sp(ok)) == 1 && listener.failed.size() == 1);
      } finally {
        w.close();
      }
      // The 503 on the NAR made the worker redo the whole path: narinfo and NAR twice.
      assertEquals(2, cache.requestCount(okNar));
      assertEquals(2, cache.requestCount(sp(ok).hashPart() + ".narinfo"));
      Map<IndexKey, IndexRecord> index = kit.index();
      WorkerKit.assertSameNar(RealNix.dump(Path.of(ok)), WorkerKit.render(index, WorkerKit.pathInfo(index, sp(ok)), store), ok);

      FetchFailure f = kit.failuresProduced().get(0);
      assertEquals(Reason.UPSTREAM_ERROR, f.getReason(), f.getMessage());
      assertEquals(503, f.getUpstreamStatus());
      assertEquals(3, f.getAttempts());
      assertEquals(3, cache.requestCount(sp(down).hashPart() + ".narinfo"));
      assertNull(WorkerKit.pathInfo(index, sp(down)));
      assertFalse(listener.indexed.containsKey(sp(down)));
    }
  }

  @Test
  void aRetryAfterFromTheUpstreamIsWaitedForNotJustTheWorkersOwnBackoff() throws Exception {
    String slow = cache.build("retry-after", "echo " + NONCE + " later > $out", List.of());
    cache.copy(slow, "zstd");
    String narInfo = sp(slow).hashPart() + ".narinfo";
    cache.faults().failNext(narInfo, 429, 1, 2);

    RecordingListener listener = new RecordingListener();
    try (WorkerKit kit = new WorkerKit(broker, 1);
        ChunkStore store = ChunkStore.localDirectory(work.resolve("chunks-retry-after"))) {
      // The worker's own backoff is a few milliseconds: only Retry-After can make it wait 2 s.
      IngestWorker w = worker(kit, store, listener).retryBackoff(Duration.ofMillis(5), Duration.ofMillis(10)).build();
      w.start();
      long start = System.nanoTime();
      try {
        kit.enqueue(WorkerKit.request(slow, cache.url().toString(), false));
        await("the path indexed", Duration.ofSeconds(30), () -> listener.count(listener.indexed, sp(slow)) == 1);
      } finally {
        w.close();
      }
      assertEquals(2, cache.requestCount(narInfo));
      assertTrue(System.nanoTime() - start >= Duration.ofSeconds(2).toNanos(),
          "indexed before the 2 s the upstream asked for had passed");
    }
  }

  static StorePath pathOf(FetchRequest r) {
    return StorePathMessages.fromMessage(r.getStorePath());
  }
}
