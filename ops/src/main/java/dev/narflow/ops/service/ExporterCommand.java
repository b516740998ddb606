package dev.narflow.ops.service;

import dev.narflow.indexer.Indexer;
import dev.narflow.ops.ChunkStoreOption;
import dev.narflow.ops.ConfigurationException;
import dev.narflow.ops.ConfigOption;
import dev.narflow.ops.KafkaOptions;
import dev.narflow.ops.KafkaSetup;
import dev.narflow.ops.StopSignal;
import dev.narflow.ops.UpstreamOptions;
import dev.narflow.ops.embedded.DataDir;
import dev.narflow.ops.serve.ExporterOptions;
import dev.narflow.ops.serve.Serving;
import dev.narflow.topics.nix.NixSecretKey;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.apache.kafka.clients.admin.Admin;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * {@code narflow exporter}: a binary cache over a cluster's index and chunk store. Every
 * instance holds all the views (global stores, see docs/serving.md), so any number of them can
 * stand behind one HTTP load balancer.
 */
@Command(
    name = "exporter",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    description = {
      "Serves the mirror as a Nix binary cache (closure-complete paths only), with /metrics and /healthz on the same"
          + " port, until SIGTERM. Scale out by running more exporters behind a load balancer.",
      "On SIGTERM it finishes the requests in progress and stops (exit status 143); 1 if its views stop on an error, 2 for bad usage or an unusable Kafka, chunk store,"
          + " state directory or address.",
      "Every option also reads an environment variable named after it (--listen from NARFLOW_LISTEN, …),"
          + " and then the --config file.",
      "Example: narflow exporter --bootstrap-servers kafka:9092 --chunk-store file:///srv/chunks"
          + " --state-dir /var/lib/narflow/exporter --listen 0.0.0.0:8080",
    })
public final class ExporterCommand implements Callable<Integer> {
  private static final Duration STOP_GRACE = Duration.ofSeconds(60);
  private static final Duration INDEXER_POLL = Duration.ofSeconds(2);

  @Spec CommandSpec spec;

  @CommandLine.Mixin ConfigOption config;

  @CommandLine.Mixin KafkaOptions cluster;

  @CommandLine.Mixin ChunkStoreOption chunks;

  @CommandLine.Mixin StateDirOption state;

  @CommandLine.Mixin ExporterOptions exporter;

  @CommandLine.Mixin UpstreamOptions upstreams;

  private final Map<String, String> environment;

  public ExporterCommand(Map<String, String> environment) {
    this.environment = Map.copyOf(environment);
  }

  /**
   * What the exporter serves is what an indexer publishes: on a fresh cluster (services started
   * in any order, as compose and Kubernetes do) it waits for the first indexer to make its topic,
   * rather than failing and being restarted until then. False if asked to stop meanwhile.
   */
  private static boolean awaitIndexer(Map<String, Object> kafka, String prefix, StopSignal stop, PrintWriter err)
      throws ConfigurationException, InterruptedException {
    String servable = Indexer.closureCompleteTopic(Indexer.defaultApplicationId(prefix));
    boolean said = false;
    try (Admin admin = KafkaSetup.openAdmin(kafka, KafkaOptions.ADMIN_TIMEOUT)) {
      while (!KafkaSetup.topicExists(admin, kafka, servable)) {
        if (!said) {
          err.println("narflow exporter: waiting for an indexer to create " + servable + " (start narflow indexer)");
          err.flush();
          said = true;
        }
        if (stop.await(INDEXER_POLL)) return false;
      }
    }
    return true;
  }

  @Override
  public Integer call() throws Exception {
    Path stateDir = state.required();
    var listen = exporter.listen();
    var compression = exporter.compression();
    int priority = exporter.priority();
    long chunkCacheBytes = exporter.chunkCacheBytes();
    NixSecretKey key = exporter.signingKey();
    // The cluster's workers check the signatures; the exporter only asks for the paths.
    Serving.PullThroughSettings pullThrough = exporter.pullThrough()
        ? new Serving.PullThroughSettings(upstreams.upstreams(), null, true) : null;
    var location = chunks.location(environment);
    String prefix = cluster.topicPrefix();
    var kafka = cluster.checked();
    PrintWriter err = spec.commandLine().getErr();
    try (StopSignal stop = StopSignal.install(STOP_GRACE); DataDir.Lock lock = KafkaSetup.lock(stateDir)) {
      if (!awaitIndexer(kafka, prefix, stop, err)) return 0;
      Serving.Settings settings = new Serving.Settings(stateDir, kafka, false, location, prefix, listen, key,
          compression, priority, chunkCacheBytes, pullThrough);
      err.println("narflow exporter: reading the views (state in " + stateDir + ")");
      err.flush();
      try (Serving serving = Serving.start(settings)) {
        err.println(String.format(Locale.ROOT, "narflow exporter: serving on %s: about %d paths (ready in %.1f s)%s",
            serving.url(), serving.servablePaths(), serving.startup().toMillis() / 1000.0,
            key == null ? "" : ", signing with " + key.name()));
        err.flush();
        return ServiceLoop.run("exporter", stop, serving::failure, err);
      }
    }
  }
}
