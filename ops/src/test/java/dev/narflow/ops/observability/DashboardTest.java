package dev.narflow.ops.observability;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.narflow.chunker.nar.ImportStats;
import dev.narflow.chunker.store.CachingChunkStore;
import dev.narflow.exporter.http.ExporterMetrics;
import dev.narflow.ops.serve.PullThrough;
import dev.narflow.indexer.Indexer;
import dev.narflow.ingest.upstream.UpstreamObserver;
import dev.narflow.ingest.worker.WorkerMetrics;
import dev.narflow.topics.nix.StorePath;
import dev.narflow.topics.v1.FetchFailure;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.snapshots.CounterSnapshot;
import io.prometheus.metrics.model.snapshots.DataPointSnapshot;
import io.prometheus.metrics.model.snapshots.HistogramSnapshot;
import io.prometheus.metrics.model.snapshots.Label;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.yaml.snakeyaml.Yaml;

/**
 * The Grafana dashboard and the Prometheus configuration against what the services really
 * export: every series a dashboard query names is one that WorkerMetrics, IndexerMetrics or
 * ExporterMetrics registers (with the suffixes the client adds), and every label it groups or
 * filters by is one those series carry.
 */
class DashboardTest {
  private static final Path DASHBOARD = Path.of("grafana", "narflow.json");
  private static final Path PROMETHEUS = Path.of("prometheus", "prometheus.yml");
  /** Series that Prometheus makes itself for every target, and labels every target has. */
  private static final Set<String> PROMETHEUS_SERIES = Set.of("up");
  private static final Set<String> TARGET_LABELS = Set.of("job", "instance", "le");
  private static final Pattern METRIC = Pattern.compile("\\b(narflow_[a-z0-9_]+)\\b");
  private static final Pattern GROUPING = Pattern.compile("\\b(?:by|without)\\s*\\(([^)]*)\\)");
  private static final Pattern MATCHERS = Pattern.compile("\\{([^}]*)}");
  private static final Pattern MATCHER_LABEL = Pattern.compile("([a-zA-Z_][a-zA-Z0-9_]*)\\s*(?:=~|!~|!=|=)");

  @TempDir Path stateDir;

  /** Series name → the label names seen on it (empty where the metric has no data point yet). */
  private Map<String, Set<String>> exported() {
    Map<String, Set<String>> series = new HashMap<>();

    PrometheusRegistry worker = new PrometheusRegistry();
    WorkerMetrics w = new WorkerMetrics(worker);
    // One event of each kind, so every labelled series has a data point to read its labels from.
    StorePath path = StorePath.parseAbsolute("/nix/store/0c4aff6w3sd2ryzjkfm5aqy3gz0w2lsy-hello-2.12");
    ImportStats stats = new ImportStats(1, 0, 0, 1, 1, 1, 1, 10, 10, 5, 10);
    w.bytesRead(10);
    w.imported(path, stats);
    w.indexed(path, stats, 10, 5);
    w.retrying(path, FetchFailure.Reason.TIMEOUT, 1);
    w.failed(path, FetchFailure.newBuilder().setReason(FetchFailure.Reason.NOT_FOUND).build());
    w.transactionCommitted(1, 1_000_000);
    w.transactionAborted(1);
    w.responded(UpstreamObserver.Request.NARINFO, 200, 1_000_000);
    collect(worker.scrape(), series);

    PrometheusRegistry indexer = new PrometheusRegistry();
    Indexer.builder().kafka(Map.of("bootstrap.servers", "127.0.0.1:1")).stateDir(stateDir).build()
        .registerMetrics(indexer);
    collect(indexer.scrape(), series);
    // Read from Kafka's consumer metrics, so without a running indexer they have no data point.
    series.get("narflow_indexer_consumer_lag_records").add("topic");
    series.get("narflow_indexer_records_consumed_total").add("topic");

    ExporterMetrics exporter = new ExporterMetrics();
    exporter.servablePaths(() -> 0);
    exporter.chunkFetcher(() -> 0, 1 << 20); // as the exporter wires its shared fetcher
    exporter.chunkFetched(1_000_000, false);
    exporter.chunkCache(() -> new CachingChunkStore.Stats(1, 1, 0), 1 << 20); // as the exporter wires its cache
    try (PullThrough pullThrough = new PullThrough(Map.of("bootstrap.servers", "127.0.0.1:1"), "", List.of())) {
      pullThrough.registerMetrics(exporter.registry()); // as serve and exporter do with --pull-through
    }
    collect(exporter.registry().scrape(), series);
    // Counted per outcome once misses come; without any, no data point carries the label.
    series.get("narflow_exporter_pull_through_total").add("outcome");
    return series;
  }

  private static void collect(MetricSnapshots snapshots, Map<String, Set<String>> series) {
    for (MetricSnapshot m : snapshots) {
      String name = m.getMetadata().getPrometheusName();
      Set<String> labels = new HashSet<>();
      for (DataPointSnapshot point : m.getDataPoints()) {
        for (Label l : point.getLabels()) labels.add(l.getName());
      }
      List<String> names = new ArrayList<>();
      if (m instanceof CounterSnapshot) {
        names.add(name + "_total");
      } else if (m instanceof HistogramSnapshot) {
        names.addAll(List.of(name + "_bucket", name + "_count", name + "_sum"));
      } else {
        names.add(name);
      }
      for (String n : names) series.computeIfAbsent(n, k -> new HashSet<>()).addAll(labels);
    }
  }

  private static List<JsonNode> targets(JsonNode dashboard) {
    List<JsonNode> targets = new ArrayList<>();
    for (JsonNode panel : dashboard.get("panels")) {
      if (panel.has("targets")) panel.get("targets").forEach(targets::add);
    }
    return targets;
  }

  @Test
  void everyQueryNamesOnlyExportedSeriesAndTheirLabels() throws Exception {
    JsonNode dashboard = new ObjectMapper().readTree(Files.readString(DASHBOARD));
    Map<String, Set<String>> exported = exported();
    List<String> problems = new ArrayList<>();
    Set<String> used = new LinkedHashSet<>();
    for (JsonNode target : targets(dashboard)) {
      String expr = target.get("expr").asText();
      Set<String> labels = new HashSet<>(TARGET_LABELS);
      boolean labelsKnown = false;
      Matcher metric = METRIC.matcher(expr);
      while (metric.find()) {
        String name = metric.group(1);
        used.add(name);
        if (!exported.containsKey(name)) {
          problems.add(name + " (in " + expr + ") is exported by no service");
        } else if (!exported.get(name).isEmpty()) {
          labels.addAll(exported.get(name));
          labelsKnown = true;
        }
      }
      if (!labelsKnown) continue;
      List<String> named = new ArrayList<>();
      Matcher grouping = GROUPING.matcher(expr);
      while (grouping.find()) {
        for (String l : grouping.group(1).split(",")) if (!l.isBlank()) named.add(l.strip());
      }
      Matcher matchers = MATCHERS.matcher(expr);
      while (matchers.find()) {
        Matcher label = MATCHER_LABEL.matcher(matchers.group(1));
        while (label.find()) named.add(label.group(1));
      }
      for (String l : named) {
        if (!labels.contains(l)) problems.add("label " + l + " (in " + expr + ") is on none of its series " + labels);
      }
    }
    assertEquals(List.of(), problems);
    // The dashboard covers each service: a query of each, at least.
    for (String prefix : List.of("narflow_worker_", "narflow_indexer_", "narflow_exporter_")) {
      assertTrue(used.stream().anyMatch(n -> n.startsWith(prefix)), "no panel shows " + prefix + "*: " + used);
    }
  }

  @Test
  void theCheckCatchesAMisspeltSeries() {
    // The pattern must see names inside functions, selectors and ranges alike, or the test above proves nothing.
    Matcher m = METRIC.matcher("histogram_quantile(0.99, sum by (le) (rate(narflow_worker_transaction_secs_bucket[5m])))");
    assertTrue(m.find());
    assertEquals("narflow_worker_transaction_secs_bucket", m.group(1));
    assertFalse(exported().containsKey(m.group(1)));
  }

  @Test
  void theDashboardIsWellFormedForGrafana() throws Exception {
    JsonNode dashboard = new ObjectMapper().readTree(Files.readString(DASHBOARD));
    assertEquals("narflow", dashboard.get("uid").asText());
    Set<Integer> ids = new HashSet<>();
    for (JsonNode panel : dashboard.get("panels")) {
      assertTrue(ids.add(panel.get("id").asInt()), "panel ids are unique: " + panel.get("id"));
      assertFalse(panel.get("title").asText().isBlank(), panel.toString());
      if (panel.get("type").asText().equals("row")) continue;
      assertEquals("${datasource}", panel.get("datasource").get("uid").asText(), panel.get("title").asText());
      Set<String> refIds = new HashSet<>();
      for (JsonNode target : panel.get("targets")) {
        assertTrue(refIds.add(target.get("refId").asText()), panel.get("title").asText());
        assertFalse(target.get("expr").asText().isBlank(), panel.get("title").asText());
      }
    }
    JsonNode variable = dashboard.get("templating").get("list").get(0);
    assertEquals("datasource", variable.get("name").asText());
    assertEquals("prometheus", variable.get("query").asText());
  }

  @Test
  void prometheusScrapesEveryServiceOnItsPort() throws Exception {
    Map<String, Object> config = new Yaml().load(Files.readString(PROMETHEUS));
    @SuppressWarnings("unchecked")
    List<Map<String, Object>> jobs = (List<Map<String, Object>>) config.get("scrape_configs");
    Map<String, String> targets = new HashMap<>();
    for (Map<String, Object> job : jobs) {
      @SuppressWarnings("unchecked")
      List<Map<String, Object>> dns = (List<Map<String, Object>>) job.get("dns_sd_configs");
      assertEquals(1, dns.size(), job.toString());
      assertEquals("A", dns.get(0).get("type"), job.toString());
      targets.put((String) job.get("job_name"), dns.get(0).get("names") + ":" + dns.get(0).get("port"));
      assertFalse(job.containsKey("metrics_path"), "every service serves /metrics, Prometheus' default");
    }
    assertEquals(Map.of("narflow-worker", "[worker]:9400", "narflow-indexer", "[indexer]:9401",
        "narflow-exporter", "[exporter]:8080"), targets);
  }
}
