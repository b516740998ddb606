package dev.narflow.indexer;

import static dev.narflow.topics.testing.TestTrees.path;
import static dev.narflow.topics.testing.TestTrees.pathInfo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.narflow.topics.kafka.NarflowTopics;
import dev.narflow.topics.nix.StorePath;
import dev.narflow.topics.store.v1.PathInfo;
import dev.narflow.topics.testing.TestTrees;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * An indexer's metrics as Prometheus scrapes them, over a closure of which one path waits on a
 * reference that never comes.
 */
class IndexerMetricsTest extends BrokerTest {

  @Test
  void aScrapeCountsRecordsPathsByCompletenessAndLag() throws Exception {
    Indexer indexer = harness.startIndexer(stateDir, Duration.ofHours(1));
    PrometheusRegistry registry = new PrometheusRegistry();
    // Counted at every scrape here, so the test sees the latest count without waiting 30 s.
    new IndexerMetrics(indexer, registry, Duration.ZERO);

    StorePath openssl = path("openssl-3.3.2");
    PathInfo appNeedingOpenssl = pathInfo(CompletenessTest.app, CompletenessTest.APP, 50_000,
        List.of(CompletenessTest.hello, openssl));
    List<TestTrees.Entry> entries = new ArrayList<>(CompletenessTest.inWriteOrder());
    entries.set(entries.size() - 1, TestTrees.Entry.of(appNeedingOpenssl, CompletenessTest.app));
    harness.request(CompletenessTest.app, true);
    harness.index(entries);

    String index = NarflowTopics.INDEX.withPrefix(harness.prefix).name();
    String requests = NarflowTopics.REQUESTS.withPrefix(harness.prefix).name();
    Map<String, Double> m = IndexerHarness.awaitValue("glibc and hello complete, app waiting, all consumed",
        () -> scrape(registry),
        s -> s.getOrDefault("narflow_indexer_paths_closure_complete", -1.0) == 2
            && s.getOrDefault("narflow_indexer_paths_waiting", -1.0) == 1
            && s.getOrDefault(topic("narflow_indexer_records_consumed_total", index), 0.0) == entries.size()
            && s.getOrDefault(topic("narflow_indexer_consumer_lag_records", index), -1.0) == 0);
    assertEquals(3.0, m.get("narflow_indexer_paths_indexed"), m.toString());
    assertTrue(m.get("narflow_indexer_records_processed_total") >= entries.size() + 1, m.toString());
    assertTrue(m.get(topic("narflow_indexer_records_consumed_total", requests)) >= 1, m.toString());
    assertEquals(1.0, m.get("narflow_indexer_running"), m.toString());
    assertFalse(m.keySet().stream().anyMatch(k -> k.contains("changelog")),
        "changelogs are restored, not consumed as input: " + m);
  }

  @Test
  void beforeStartTheIndexerSaysWhyItIsNotReadyAndScrapesStillWork() {
    Indexer indexer = Indexer.builder().kafka(kafka.clientConfig()).topicPrefix(harness.prefix)
        .stateDir(stateDir).build();
    assertEquals("the indexer is not started", indexer.notReadyReason().orElseThrow());
    PrometheusRegistry registry = new PrometheusRegistry();
    indexer.registerMetrics(registry);
    Map<String, Double> m = scrape(registry);
    assertEquals(0.0, m.get("narflow_indexer_running"), m.toString());
    assertEquals(0.0, m.get("narflow_indexer_records_processed_total"), m.toString());
    assertFalse(m.containsKey("narflow_indexer_paths_indexed"), "no stores, no estimate: " + m);
  }

  static String topic(String metric, String topic) {
    return metric + "{topic=\"" + topic + "\"}";
  }

  /** Every sample of a scrape in the text format, keyed by name and labels as printed. */
  static Map<String, Double> scrape(PrometheusRegistry registry) {
    ByteArrayOutputStream text = new ByteArrayOutputStream();
    try {
      PrometheusTextFormatWriter.create().write(text, registry.scrape());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    Map<String, Double> samples = new HashMap<>();
    for (String line : text.toString(StandardCharsets.UTF_8).lines().toList()) {
      if (line.isBlank() || line.startsWith("#")) continue;
      int space = line.lastIndexOf(' ');
      samples.put(line.substring(0, space), Double.parseDouble(line.substring(space + 1)));
    }
    return samples;
  }
}
