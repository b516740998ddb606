package dev.narflow.ops.service;

import dev.narflow.chunker.store.ChunkStore;
import dev.narflow.ingest.worker.IngestWorker;
import dev.narflow.ingest.worker.WorkerMetrics;
import dev.narflow.ops.ChunkStoreLocation;
import dev.narflow.ops.ChunkStoreOption;
import dev.narflow.ops.ConfigOption;
import dev.narflow.ops.ConfigurationException;
import dev.narflow.ops.KafkaOptions;
import dev.narflow.ops.OptionDefaults;
import dev.narflow.ops.SignatureOptions;
import dev.narflow.ops.StopSignal;
import dev.narflow.topics.nix.TrustedKeys;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.PrintWriter;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import org.apache.kafka.common.KafkaException;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code narflow worker}: an ingest worker against a cluster. It takes requests from
 * {@code narflow.work} in the workers' consumer group, so a deployment scales by running more of
 * it; stateless, so any machine will do.
 */
@Command(
    name = "worker",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    description = {
      "Runs an ingest worker: fetches the requested NARs from their upstreams, verifies them, stores their chunks"
          + " and commits their index records, until SIGTERM. Scale out by running more workers.",
      "On SIGTERM it finishes what it has in flight for up to --stop-timeout, hands the rest back to the group,"
          + " and stops (exit status 143, as for any process SIGTERM ends); it exits 1 if it stops on an error,"
          + " 2 for bad usage or an unusable Kafka or chunk store.",
      "Every option also reads an environment variable named after it (--workers from NARFLOW_WORKERS, …),"
          + " and then the --config file.",
      "Example: narflow worker --bootstrap-servers kafka:9092 --chunk-store 's3://narflow?endpoint=http://minio:9000'",
    })
public final class WorkerCommand implements Callable<Integer> {
  static final int MAX_WORKERS = 1024;

  @Spec CommandSpec spec;

  @CommandLine.Mixin ConfigOption config;

  @CommandLine.Mixin KafkaOptions cluster;

  @CommandLine.Mixin ChunkStoreOption chunks;

  @CommandLine.Mixin SignatureOptions signatures;

  @Option(names = "--workers", paramLabel = "N", defaultValue = "16",
      description = "NARs fetched and imported at once in this process (env NARFLOW_WORKERS, default ${DEFAULT-VALUE}).")
  int workers;

  @Option(names = "--worker-id", paramLabel = "ID",
      description = "This worker's transactional id: stable across restarts of one worker, different for every live"
          + " worker; a restart then aborts its predecessor's open transaction at once (env NARFLOW_WORKER_ID,"
          + " default host, process id and a counter).")
  String workerId;

  @Option(names = "--stop-timeout", paramLabel = "SECONDS", defaultValue = "30",
      description = "On SIGTERM, how long paths in flight may finish before they are handed back"
          + " (env NARFLOW_STOP_TIMEOUT, default ${DEFAULT-VALUE}).")
  int stopTimeout;

  @CommandLine.Mixin MetricsListenOption metricsListen;

  private final Map<String, String> environment;

  public WorkerCommand(Map<String, String> environment) {
    this.environment = Map.copyOf(environment);
  }

  @Override
  public Integer call() throws Exception {
    if (workers < 1 || workers > MAX_WORKERS) {
      throw OptionDefaults.invalid(spec, "--workers", Integer.toString(workers), "must be between 1 and " + MAX_WORKERS);
    }
    if (stopTimeout < 0) throw OptionDefaults.invalid(spec, "--stop-timeout", Integer.toString(stopTimeout), "must be 0 or more");
    if (workerId != null && !workerId.strip().matches("[A-Za-z0-9._-]{1,200}")) {
      throw OptionDefaults.invalid(spec, "--worker-id", workerId, "must be 1-200 letters, digits, '.', '_' or '-'");
    }
    TrustedKeys keys = signatures.trustedKeys();
    ChunkStoreLocation location = chunks.location(environment);
    InetSocketAddress metricsAddress = metricsListen.address(MetricsListenOption.WORKER_DEFAULT);
    String prefix = cluster.topicPrefix();
    Map<String, Object> kafka = cluster.checked();
    PrintWriter err = spec.commandLine().getErr();
    Duration grace = Duration.ofSeconds(stopTimeout).plusSeconds(30);
    try (StopSignal stop = StopSignal.install(grace); ChunkStore store = location.openStore()) {
      IngestWorker.Builder b = IngestWorker.builder().kafka(kafka).topicPrefix(prefix).chunkStore(store)
          .trustedKeys(keys).checkSignatures(signatures.checkSignatures()).maxInFlightNars(workers)
          .groupId(IngestWorker.defaultGroupId(prefix)).closeTimeout(Duration.ofSeconds(stopTimeout));
      if (workerId != null) b.workerId(workerId.strip());
      PrometheusRegistry registry = new PrometheusRegistry();
      WorkerMetrics metrics = new WorkerMetrics(registry);
      b.listener(metrics);
      try (IngestWorker worker = b.build();
          MetricsServer server = MetricsListenOption.start(metricsAddress, registry, () -> notReady(worker))) {
        metrics.watch(worker);
        try {
          worker.start();
        } catch (KafkaException e) {
          throw new ConfigurationException("Kafka: " + e.getMessage(), e);
        }
        if (!signatures.checkSignatures()) err.println("narflow worker: --no-check-sigs: paths are accepted unsigned");
        err.println("narflow worker " + worker.workerId() + ": ingesting into " + location
            + " (" + workers + " NARs in flight; metrics on " + server.url() + "/metrics)");
        err.flush();
        return ServiceLoop.run("worker", stop, worker::failure, err);
      }
    }
  }

  /** Ready while it takes work: started, and not stopped by an error. */
  private static Optional<String> notReady(IngestWorker worker) {
    if (worker.failure().isPresent()) return Optional.of("the worker stopped: " + worker.failure().get().getMessage());
    return worker.isRunning() ? Optional.empty() : Optional.of("the worker is not running");
  }
}
