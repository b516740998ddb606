package dev.narflow.ingest.worker;

import dev.narflow.chunker.nar.ImportStats;
import dev.narflow.topics.nix.StorePath;
import dev.narflow.topics.v1.FetchFailure;
import dev.narflow.topics.v1.FetchFailure.Reason;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * The ingest workers' Prometheus metrics, fed as an {@link IngestListener}: add it to each
 * worker's builder ({@code IngestWorker.builder().listener(metrics)}) and {@link #watch} the
 * built workers for the in-flight gauge. One instance per registry (the names are registered
 * once); several workers of one process share it and add up.
 *
 * <p>Chunk and upload figures are counted when an import is durable, retries included (they are
 * what the chunk store did); NARs ingested when their records commit (what the index gained).
 * "known" chunks are the ones an import found stored already, by another path or earlier in the
 * same NAR: the deduplication.
 */
public final class WorkerMetrics implements IngestListener {
  private static final String STORED = "stored";
  private static final String KNOWN = "known";

  private final Counter narsIngested;
  private final Counter narBytesIngested;
  private final Counter narBytesRead;
  private final Counter uploadedBytes;
  private final Counter chunkBytes;
  private final Counter chunks;
  private final Counter failures;
  private final Counter retries;
  private final Counter upstreamResponses;
  private final Histogram upstreamSeconds;
  private final Histogram transactionSeconds;
  private final Counter transactionsAborted;
  private final List<IngestWorker> watched = new CopyOnWriteArrayList<>();

  /** Registers every worker metric in {@code registry}; fails if they are registered there already. */
  public WorkerMetrics(PrometheusRegistry registry) {
    Objects.requireNonNull(registry, "registry");
    narsIngested = Counter.builder().name("narflow_worker_nars_ingested_total")
        .help("Store paths whose records committed to the index").register(registry);
    narBytesIngested = Counter.builder().name("narflow_worker_nar_bytes_ingested_total")
        .help("NarSize of the store paths whose records committed to the index").register(registry);
    narBytesRead = Counter.builder().name("narflow_worker_nar_bytes_read_total")
        .help("Decompressed NAR bytes read from upstreams, retries and abandoned attempts included")
        .register(registry);
    uploadedBytes = Counter.builder().name("narflow_worker_uploaded_bytes_total")
        .help("Bytes written to the chunk store for new chunks (compressed)").register(registry);
    chunkBytes = Counter.builder().name("narflow_worker_chunk_bytes_total")
        .help("Uncompressed bytes of the chunks of imported files: stored (new) or known (deduplicated)")
        .labelNames("result").register(registry);
    chunks = Counter.builder().name("narflow_worker_chunks_total")
        .help("Chunks of imported files: stored (new) or known (deduplicated)")
        .labelNames("result").register(registry);
    failures = Counter.builder().name("narflow_worker_failures_total")
        .help("Store paths given up on (a FetchFailure committed), by reason").labelNames("reason")
        .register(registry);
    retries = Counter.builder().name("narflow_worker_retries_total")
        .help("Attempts at a store path that failed and were retried, by reason").labelNames("reason")
        .register(registry);
    upstreamResponses = Counter.builder().name("narflow_worker_upstream_responses_total")
        .help("Upstream HTTP requests by what they asked for and their status ('timeout' or 'error' without a response)")
        .labelNames("request", "status").register(registry);
    upstreamSeconds = Histogram.builder().name("narflow_worker_upstream_request_seconds")
        .help("Time from an upstream request to its response headers (a NAR body streams after)")
        .labelNames("request").classicOnly().register(registry);
    transactionSeconds = Histogram.builder().name("narflow_worker_transaction_seconds")
        .help("Time to produce and commit one Kafka transaction of finished paths")
        .classicOnly().register(registry);
    transactionsAborted = Counter.builder().name("narflow_worker_transactions_aborted_total")
        .help("Transactions that failed and were aborted (their partitions are redone)").register(registry);
    GaugeWithCallback.builder().name("narflow_worker_nars_in_flight")
        .help("Store paths being fetched and imported now")
        .callback(callback -> callback.call(watched.stream().mapToInt(IngestWorker::pathsInFlight).sum()))
        .register(registry);
    // Series that exist before their first event, so that rates and ratios start from zero.
    for (String result : List.of(STORED, KNOWN)) {
      chunkBytes.labelValues(result);
      chunks.labelValues(result);
    }
    for (Reason reason : Reason.values()) {
      if (reason == Reason.UNRECOGNIZED || reason == Reason.REASON_UNSPECIFIED) continue;
      failures.labelValues(reason.name());
    }
  }

  /** Counts {@code worker}'s paths in flight into {@code narflow_worker_nars_in_flight}. */
  public void watch(IngestWorker worker) {
    watched.add(Objects.requireNonNull(worker, "worker"));
  }

  @Override
  public void bytesRead(long narBytes) {
    narBytesRead.inc(narBytes);
  }

  @Override
  public void imported(StorePath path, ImportStats stats) {
    uploadedBytes.inc(stats.storedBytes());
    chunkBytes.labelValues(STORED).inc(stats.newChunkBytes());
    chunkBytes.labelValues(KNOWN).inc(Math.max(0, stats.contentBytes() - stats.newChunkBytes()));
    chunks.labelValues(STORED).inc(stats.newChunks());
    chunks.labelValues(KNOWN).inc(Math.max(0, stats.chunks() - stats.newChunks()));
  }

  @Override
  public void indexed(StorePath path, ImportStats stats, long narSize, long fileSize) {
    narsIngested.inc();
    narBytesIngested.inc(narSize);
  }

  @Override
  public void retrying(StorePath path, Reason reason, int attempt) {
    retries.labelValues(reason.name()).inc();
  }

  @Override
  public void failed(StorePath path, FetchFailure failure) {
    failures.labelValues(failure.getReason().name()).inc();
  }

  @Override
  public void transactionCommitted(int paths, long nanos) {
    transactionSeconds.observe(nanos / 1e9);
  }

  @Override
  public void transactionAborted(int paths) {
    transactionsAborted.inc();
  }

  @Override
  public void responded(Request request, int status, long nanos) {
    upstreamResponses.labelValues(request.label(), Integer.toString(status)).inc();
    upstreamSeconds.labelValues(request.label()).observe(nanos / 1e9);
  }

  @Override
  public void noResponse(Request request, Reason reason, long nanos) {
    upstreamResponses.labelValues(request.label(), reason == Reason.TIMEOUT ? "timeout" : "error").inc();
    upstreamSeconds.labelValues(request.label()).observe(nanos / 1e9);
  }
}
