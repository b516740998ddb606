package dev.narflow.exporter.http;

import dev.narflow.chunker.store.CachingChunkStore;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.CounterWithCallback;
import io.prometheus.metrics.core.metrics.Gauge;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.IOException;
import java.io.OutputStream;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * The exporter's Prometheus metrics, in a registry of its own (several exporters may share a
 * JVM, as in tests): requests by route and status, NAR bytes sent, render time, renders in
 * flight, aborted renders, chunk fetches (time, failures, bytes held against the budget), the
 * verified-chunk cache, and the paths it serves.
 */
public final class ExporterMetrics {
  private final PrometheusRegistry registry = new PrometheusRegistry();
  private final Counter requests = Counter.builder().name("narflow_exporter_requests_total")
      .help("HTTP requests answered, by route and status").labelNames("route", "status").register(registry);
  private final Counter narBytes = Counter.builder().name("narflow_exporter_nar_bytes_total")
      .help("Bytes of NAR responses sent (.nar uncompressed, .nar.zst as sent)").labelNames("route").register(registry);
  private final Histogram renderSeconds = Histogram.builder().name("narflow_exporter_render_seconds")
      .help("Time to send a whole NAR response").labelNames("route").register(registry);
  private final Gauge rendersInFlight = Gauge.builder().name("narflow_exporter_renders_in_flight")
      .help("NAR responses being rendered now").register(registry);
  private final Counter renderFailures = Counter.builder().name("narflow_exporter_render_failures_total")
      .help("NAR responses cut short: a chunk or Directory missing or corrupt, or the client gone")
      .register(registry);

  private final Histogram chunkFetchSeconds = Histogram.builder().name("narflow_exporter_chunk_fetch_seconds")
      .help("Time of one chunk-store call made for a render (a chunk, or a blob index), failed ones too")
      // From a local read in the page cache (~100 µs) to a slow S3 GET.
      .classicUpperBounds(0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10)
      .register(registry);
  private final Counter chunkFetchFailures = Counter.builder().name("narflow_exporter_chunk_fetch_failures_total")
      .help("Chunk-store calls made for a render that failed (missing or corrupt chunk, store error)")
      .register(registry);

  /**
   * Exposes the shared chunk fetcher's bytes held now (fetched or being fetched, not yet sent) and
   * its budget, read at every scrape.
   */
  public void chunkFetcher(LongSupplier reservedBytes, long budgetBytes) {
    GaugeWithCallback.builder().name("narflow_exporter_chunk_in_flight_bytes")
        .help("Bytes of chunks fetched or being fetched for renders and not yet sent")
        .callback(callback -> callback.call(reservedBytes.getAsLong())).register(registry);
    GaugeWithCallback.builder().name("narflow_exporter_chunk_budget_bytes")
        .help("The most bytes of chunks all renders may hold at once")
        .callback(callback -> callback.call(budgetBytes)).register(registry);
  }

  /** Exposes the verified-chunk cache's hits, misses and bytes held, read at every scrape, and its size. */
  public void chunkCache(Supplier<CachingChunkStore.Stats> stats, long maxBytes) {
    CounterWithCallback.builder().name("narflow_exporter_chunk_cache_reads_total")
        .help("Chunk reads of renders: hit (from memory, or joined a read already running) or miss (read from the store)")
        .labelNames("result")
        .callback(callback -> {
          CachingChunkStore.Stats s = stats.get();
          callback.call(s.hits(), "hit");
          callback.call(s.misses(), "miss");
        }).register(registry);
    GaugeWithCallback.builder().name("narflow_exporter_chunk_cache_bytes")
        .help("Bytes the chunk cache holds: verified chunks for later renders, and their bookkeeping")
        .callback(callback -> callback.call(stats.get().bytes())).register(registry);
    GaugeWithCallback.builder().name("narflow_exporter_chunk_cache_max_bytes")
        .help("The most bytes the chunk cache may hold (--chunk-cache-size)")
        .callback(callback -> callback.call(maxBytes)).register(registry);
  }

  /** A chunk-store call for a render took {@code nanos}. */
  public void chunkFetched(long nanos, boolean failed) {
    chunkFetchSeconds.observe(nanos / 1e9);
    if (failed) chunkFetchFailures.inc();
  }

  /** Exposes how many paths the views serve, read at every scrape. */
  public void servablePaths(LongSupplier paths) {
    GaugeWithCallback.builder().name("narflow_exporter_servable_paths")
        .help("Closure-complete paths this exporter serves (RocksDB's estimate)")
        .callback(callback -> callback.call(paths.getAsLong())).register(registry);
  }

  void request(String route, int status) {
    requests.labelValues(route, Integer.toString(status)).inc();
  }

  void narBytes(String route, long bytes) {
    narBytes.labelValues(route).inc(bytes);
  }

  void renderStarted() {
    rendersInFlight.inc();
  }

  void renderEnded(String route, long nanos, boolean failed) {
    rendersInFlight.dec();
    if (failed) {
      renderFailures.inc();
    } else {
      renderSeconds.labelValues(route).observe(nanos / 1e9);
    }
  }

  /** The Prometheus text format of every metric. */
  void write(OutputStream out) throws IOException {
    PrometheusTextFormatWriter.create().write(out, registry.scrape());
  }

  static String contentType() {
    return PrometheusTextFormatWriter.CONTENT_TYPE;
  }

  /** The registry the metrics are in: what the dashboard's test reads the exporter's metric names from. */
  public PrometheusRegistry registry() {
    return registry;
  }
}
