package dev.narflow.ingest.worker;

import static dev.narflow.ingest.worker.WorkerKit.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.narflow.chunker.store.ChunkStore;
import dev.narflow.topics.nix.StorePath;
import dev.narflow.topics.nix.TrustedKeys;
import dev.narflow.topics.testing.RealNix;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.Test;

/**
 * The worker's metrics as Prometheus scrapes them, from a real worker mirroring from a cache
 * written by real Nix: what was ingested, deduplicated, retried, failed, asked of the upstream.
 */
class WorkerMetricsTest extends NixCacheWorkerTest {

  /** Two paths sharing one large file (the second's chunks are known), each with a file of its own. */
  static String path(String name) {
    String p = cache.build(name, "/bin/mkdir $out; echo " + NONCE + " " + name + " > $out/id;"
        + " /usr/bin/seq 1 60000 > $out/shared", List.of());
    cache.copy(p, "zstd");
    return p;
  }

  @Test
  void aWorkerCountsWhatItIngestsDeduplicatesRetriesAndFails() throws Exception {
    String first = path("metrics-first");
    String second = path("metrics-second");
    String missing = path("metrics-missing");
    Files.delete(cache.narFile(missing));
    cache.faults().failNext(StorePath.parseAbsolute(first).hashPart() + ".narinfo", 503, 1);

    PrometheusRegistry registry = new PrometheusRegistry();
    WorkerMetrics metrics = new WorkerMetrics(registry);
    RecordingListener listener = new RecordingListener();
    try (WorkerKit kit = new WorkerKit(broker, 1);
        ChunkStore store = ChunkStore.localDirectory(work.resolve("chunks"))) {
      // Two listeners: the worker tells both.
      IngestWorker w = kit.worker(store).trustedKeys(TrustedKeys.parse(cache.publicKey())).listener(listener)
          .listener(metrics).maxAttempts(3).build();
      metrics.watch(w);
      w.start();
      try {
        kit.enqueue(WorkerKit.request(first, cache.url().toString(), false));
        await("the first path indexed", Duration.ofSeconds(40),
            () -> listener.count(listener.indexed, StorePath.parseAbsolute(first)) == 1);
        CountDownLatch hold = new CountDownLatch(1);
        listener.holdAfterImport = hold;
        kit.enqueue(WorkerKit.request(second, cache.url().toString(), false));
        await("the second path imported", Duration.ofSeconds(40),
            () -> listener.count(listener.imported, StorePath.parseAbsolute(second)) == 1);
        assertEquals(1.0, scrape(registry).get("narflow_worker_nars_in_flight"), "held after its import");
        listener.holdAfterImport = null;
        hold.countDown();
        kit.enqueue(WorkerKit.request(missing, cache.url().toString(), false));
        await("the second path indexed and the missing one failed", Duration.ofSeconds(40),
            () -> listener.count(listener.indexed, StorePath.parseAbsolute(second)) == 1 && listener.failed.size() == 1);
      } finally {
        w.close();
        cache.faults().clear();
      }
    }

    Map<String, Double> m = scrape(registry);
    assertEquals(2.0, m.get("narflow_worker_nars_ingested_total"), m.toString());
    long narBytes = RealNix.dump(Path.of(first)).length + RealNix.dump(Path.of(second)).length;
    assertEquals((double) narBytes, m.get("narflow_worker_nar_bytes_ingested_total"), m.toString());
    assertTrue(m.get("narflow_worker_nar_bytes_read_total") >= narBytes, m.toString());

    long shared = RealNix.dump(Path.of(first)).length / 2; // the seq file is most of each NAR
    double known = m.get("narflow_worker_chunk_bytes_total{result=\"known\"}");
    double stored = m.get("narflow_worker_chunk_bytes_total{result=\"stored\"}");
    assertTrue(known > shared, "the second path's copy of the shared file is known: " + m);
    assertTrue(stored > shared, "the first path's copy was stored: " + m);
    assertTrue(m.get("narflow_worker_chunks_total{result=\"known\"}") >= 1, m.toString());
    assertTrue(m.get("narflow_worker_chunks_total{result=\"stored\"}") >= 1, m.toString());
    double uploaded = m.get("narflow_worker_uploaded_bytes_total");
    assertTrue(uploaded > 0 && uploaded < stored, "seq output compresses: " + m);

    assertEquals(1.0, m.get("narflow_worker_failures_total{reason=\"NOT_FOUND\"}"), m.toString());
    assertEquals(0.0, m.get("narflow_worker_failures_total{reason=\"TIMEOUT\"}"), "every reason is a series");
    assertEquals(1.0, m.get("narflow_worker_retries_total{reason=\"UPSTREAM_ERROR\"}"), m.toString());
    assertEquals(1.0, m.get("narflow_worker_upstream_responses_total{request=\"narinfo\",status=\"503\"}"),
        m.toString());
    assertEquals(3.0, m.get("narflow_worker_upstream_responses_total{request=\"narinfo\",status=\"200\"}"),
        m.toString());
    assertEquals(1.0, m.get("narflow_worker_upstream_responses_total{request=\"nar\",status=\"404\"}"), m.toString());
    assertEquals(4.0, m.get("narflow_worker_upstream_request_seconds_count{request=\"narinfo\"}"), m.toString());
    assertTrue(m.get("narflow_worker_transaction_seconds_count") >= 2, m.toString());
    assertTrue(m.get("narflow_worker_transaction_seconds_sum") > 0, m.toString());
    assertEquals(0.0, m.get("narflow_worker_nars_in_flight"), m.toString());
  }

  @Test
  void oneRegistryTakesOneSetOfWorkerMetrics() {
    PrometheusRegistry registry = new PrometheusRegistry();
    new WorkerMetrics(registry);
    assertThrows(IllegalArgumentException.class, () -> new WorkerMetrics(registry));
  }

  @Test
  void theCompositeForwardsEveryListenerMethod() {
    for (var method : IngestListener.class.getMethods()) {
      if (java.lang.reflect.Modifier.isStatic(method.getModifiers())) continue;
      try {
        IngestListeners.class.getDeclaredMethod(method.getName(), method.getParameterTypes());
      } catch (NoSuchMethodException e) {
        throw new AssertionError("IngestListeners does not forward " + method, e);
      }
    }
  }

  /** Every sample of a scrape in the text format, keyed by name and labels as printed. */
  static Map<String, Double> scrape(PrometheusRegistry registry) throws Exception {
    ByteArrayOutputStream text = new ByteArrayOutputStream();
    PrometheusTextFormatWriter.create().write(text, registry.scrape());
    Map<String, Double> samples = new HashMap<>();
    for (String line : text.toString(StandardCharsets.UTF_8).lines().toList()) {
      if (line.isBlank() || line.startsWith("#")) continue;
      int space = line.lastIndexOf(' ');
      samples.put(line.substring(0, space), Double.parseDouble(line.substring(space + 1)));
    }
    return samples;
  }
}
