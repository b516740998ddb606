package dev.narflow.ops.service;

import dev.narflow.indexer.Indexer;
import dev.narflow.ops.ConfigOption;
import dev.narflow.ops.KafkaOptions;
import dev.narflow.ops.KafkaSetup;
import dev.narflow.ops.StopSignal;
import dev.narflow.ops.embedded.DataDir;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.PrintWriter;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * {@code narflow indexer}: request routing and closure completeness (Kafka Streams) against a
 * cluster. Instances share the work by the Streams application id; each keeps its partitions'
 * state in {@code --state-dir}, restored from changelogs when lost.
 */
@Command(
    name = "indexer",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    description = {
      "Runs the indexer: routes requests to the workers, drops what is indexed already, and publishes closure-complete"
          + " paths for the exporters, until SIGTERM. Scale out by running more indexers (up to the partitions).",
      "On SIGTERM it commits and stops (exit status 143); 1 if it stops on an error, 2 for bad usage or an unusable"
          + " Kafka or state directory.",
      "Every option also reads an environment variable named after it (--state-dir from NARFLOW_STATE_DIR, …),"
          + " and then the --config file.",
      "Example: narflow indexer --bootstrap-servers kafka:9092 --state-dir /var/lib/narflow/indexer",
    })
public final class IndexerCommand implements Callable<Integer> {
  private static final Duration START_TIMEOUT = Duration.ofMinutes(30);
  private static final Duration STOP_GRACE = Duration.ofSeconds(60);

  @Spec CommandSpec spec;

  @CommandLine.Mixin ConfigOption config;

  @CommandLine.Mixin KafkaOptions cluster;

  @CommandLine.Mixin StateDirOption state;

  @CommandLine.Mixin MetricsListenOption metricsListen;

  @Override
  public Integer call() throws Exception {
    Path stateDir = state.required();
    InetSocketAddress metricsAddress = metricsListen.address(MetricsListenOption.INDEXER_DEFAULT);
    String prefix = cluster.topicPrefix();
    var kafka = cluster.checked();
    PrintWriter err = spec.commandLine().getErr();
    try (StopSignal stop = StopSignal.install(STOP_GRACE); DataDir.Lock lock = KafkaSetup.lock(stateDir);
        Indexer indexer = Indexer.builder().kafka(kafka).topicPrefix(prefix).stateDir(stateDir.resolve("indexer"))
            .build()) {
      PrometheusRegistry registry = new PrometheusRegistry();
      indexer.registerMetrics(registry);
      try (MetricsServer server = MetricsListenOption.start(metricsAddress, registry, indexer::notReadyReason)) {
        return run(indexer, stop, err, server);
      }
    }
  }

  private int run(Indexer indexer, StopSignal stop, PrintWriter err, MetricsServer server) throws InterruptedException {
    long started = System.nanoTime();
    indexer.start();
    err.println("narflow indexer " + indexer.applicationId() + ": starting (state in " + state.stateDir + "; metrics on "
        + server.url() + "/metrics)");
    err.flush();
    if (indexer.awaitRunning(START_TIMEOUT)) {
      err.println(String.format(Locale.ROOT, "narflow indexer %s: running (%.1f s)", indexer.applicationId(),
          (System.nanoTime() - started) / 1e9));
      err.flush();
    }
    return ServiceLoop.run("indexer", stop, indexer::failure, err);
  }
}
