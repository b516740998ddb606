package dev.narflow.indexer;

import io.prometheus.metrics.core.metrics.CounterWithCallback;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.kafka.common.Metric;
import org.apache.kafka.common.MetricName;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An indexer's Prometheus metrics, all read when scraped (made by {@link Indexer#registerMetrics}):
 *
 * <ul>
 *   <li>{@code narflow_indexer_records_processed_total}: input records processed (Kafka Streams'
 *       {@code process-total} of the stream threads);
 *   <li>{@code narflow_indexer_records_consumed_total{topic}}: records fetched, per input topic;
 *   <li>{@code narflow_indexer_consumer_lag_records{topic}}: records not yet fetched, summed over
 *       this instance's partitions of each input topic (the consumers' {@code records-lag}, as of
 *       their last fetch: exact and free, unlike asking the brokers for offsets);
 *   <li>{@code narflow_indexer_paths_indexed}: PathInfos in this instance's stores (RocksDB's
 *       estimate);
 *   <li>{@code narflow_indexer_paths_closure_complete} and {@code narflow_indexer_paths_waiting}:
 *       of those, the closure-complete ones and the others. Counting them is a pass over the
 *       stores, so a scrape returns the last count and starts a new one in the background if the
 *       last is older than {@link #PATH_COUNT_INTERVAL};
 *   <li>{@code narflow_indexer_running}: 1 while the instance processes, else 0.
 * </ul>
 */
public final class IndexerMetrics {
  private static final Logger LOG = LoggerFactory.getLogger(IndexerMetrics.class);
  /** How old a path count may be before a scrape starts another. */
  static final Duration PATH_COUNT_INTERVAL = Duration.ofSeconds(30);

  private final Indexer indexer;
  private final long countIntervalNanos;
  private final AtomicBoolean counting = new AtomicBoolean();
  private volatile Indexer.PathCounts lastCount;
  private volatile long lastCountStarted = Long.MIN_VALUE;
  private volatile boolean everCounted;

  IndexerMetrics(Indexer indexer, PrometheusRegistry registry, Duration countInterval) {
    this.indexer = indexer;
    this.countIntervalNanos = countInterval.toNanos();
    CounterWithCallback.builder().name("narflow_indexer_records_processed_total")
        .help("Input records processed by this instance's stream threads")
        .callback(c -> c.call(sum("stream-thread-metrics", "process-total"))).register(registry);
    CounterWithCallback.builder().name("narflow_indexer_records_consumed_total")
        .help("Records fetched by this instance, per input topic").labelNames("topic")
        .callback(c -> byTopic("records-consumed-total").forEach((topic, n) -> c.call(n, topic))).register(registry);
    GaugeWithCallback.builder().name("narflow_indexer_consumer_lag_records")
        .help("Records of this instance's partitions not yet fetched, per input topic (as of the last fetch)")
        .labelNames("topic")
        .callback(c -> byTopic("records-lag").forEach((topic, n) -> c.call(n, topic))).register(registry);
    GaugeWithCallback.builder().name("narflow_indexer_paths_indexed")
        .help("PathInfos in this instance's stores (RocksDB's estimate)")
        .callback(c -> {
          OptionalLong n = indexer.approximatePathsIndexed();
          if (n.isPresent()) c.call(n.getAsLong());
        }).register(registry);
    GaugeWithCallback.builder().name("narflow_indexer_paths_closure_complete")
        .help("Indexed paths whose closure is complete (counted at most every " + countInterval.toSeconds() + " s)")
        .callback(c -> pathCounts().ifPresent(counts -> c.call(counts.closureComplete()))).register(registry);
    GaugeWithCallback.builder().name("narflow_indexer_paths_waiting")
        .help("Indexed paths waiting on a reference or a directory (counted at most every "
            + countInterval.toSeconds() + " s)")
        .callback(c -> pathCounts().ifPresent(counts -> c.call(counts.waiting()))).register(registry);
    GaugeWithCallback.builder().name("narflow_indexer_running")
        .help("1 while this instance processes (not starting, rebalancing, restoring or stopped)")
        .callback(c -> c.call(indexer.notReadyReason().isEmpty() ? 1 : 0)).register(registry);
  }

  /** The last path count; starts a new one on another thread if it is due. */
  private Optional<Indexer.PathCounts> pathCounts() {
    long now = System.nanoTime();
    boolean due = !everCounted || now - lastCountStarted >= countIntervalNanos;
    if (due && counting.compareAndSet(false, true)) {
      everCounted = true;
      lastCountStarted = now;
      Thread t = new Thread(this::count, "narflow-indexer-path-count");
      t.setDaemon(true);
      t.start();
    }
    return Optional.ofNullable(lastCount);
  }

  private void count() {
    try {
      indexer.countPaths().ifPresent(counts -> lastCount = counts);
    } catch (RuntimeException e) {
      // The stores went away mid-count (a rebalance, a stop): the next scrape tries again.
      LOG.debug("counting the indexed paths failed: {}", e.toString());
    } finally {
      counting.set(false);
    }
  }

  /** The sum of one Streams metric over its instances (threads or clients). */
  private double sum(String group, String name) {
    double total = 0;
    for (Map.Entry<MetricName, ? extends Metric> m : indexer.streamsMetrics().entrySet()) {
      if (m.getKey().group().equals(group) && m.getKey().name().equals(name)) total += finite(m.getValue());
    }
    return total;
  }

  /**
   * A per-topic metric of the stream threads' main consumers (not their restore consumers, which
   * read changelogs), summed over consumers and partitions.
   */
  private Map<String, Double> byTopic(String name) {
    Map<String, Double> totals = new TreeMap<>();
    for (Map.Entry<MetricName, ? extends Metric> m : indexer.streamsMetrics().entrySet()) {
      MetricName n = m.getKey();
      if (!n.group().equals("consumer-fetch-manager-metrics") || !n.name().equals(name)) continue;
      String client = n.tags().getOrDefault("client-id", "");
      String topic = n.tags().get("topic");
      if (topic == null || !client.endsWith("-consumer") || client.endsWith("-restore-consumer")) continue;
      totals.merge(topic, finite(m.getValue()), Double::sum);
    }
    return totals;
  }

  /** A metric's value, 0 where Kafka has none yet (NaN before the first fetch). */
  private static double finite(Metric metric) {
    Object v = metric.metricValue();
    return v instanceof Number n && Double.isFinite(n.doubleValue()) ? n.doubleValue() : 0;
  }
}
