package dev.narflow.exporter.http;

import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.Gauge;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.IOException;
import java.io.OutputStream;
import java.util.function.LongSupplier;

/**
 * The exporter's Prometheus metrics, in a registry of its own (several exporters may share a
 * JVM, as in tests): requests by route and status, NAR bytes sent, render time, renders in
 * flight, aborted renders, and the paths it serves.
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
