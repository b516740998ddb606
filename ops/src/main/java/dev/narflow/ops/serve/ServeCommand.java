package dev.narflow.ops.serve;

import dev.narflow.exporter.NarInfos.NarCompression;
import dev.narflow.ops.ClusterOptions;
import dev.narflow.ops.ConfigOption;
import dev.narflow.ops.SignatureOptions;
import dev.narflow.ops.UpstreamOptions;
import dev.narflow.ops.StopSignal;
import dev.narflow.topics.nix.NixSecretKey;
import java.io.PrintWriter;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * {@code narflow serve}: the mirror in {@code --data DIR} as a Nix binary cache over HTTP until
 * Ctrl-C or SIGTERM. Only closure-complete paths are served.
 */
@Command(
    name = "serve",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    description = {
      "Serves a mirror as a Nix binary cache: /nix-cache-info, /<hash>.narinfo and /nar/<NarHash>.nar,"
          + " for closure-complete paths only, until Ctrl-C.",
      "Every option also reads an environment variable named after it (--listen from NARFLOW_LISTEN, …),"
          + " and then the --config file.",
      "Example: narflow serve --data ./mirror --listen 127.0.0.1:8080",
    })
public final class ServeCommand implements Callable<Integer> {
  static final Duration STOP_GRACE = Duration.ofSeconds(60);
  static final Duration ADMIN_TIMEOUT = Duration.ofSeconds(30);

  @Spec CommandSpec spec;

  @CommandLine.Mixin ConfigOption config;

  @CommandLine.Mixin ClusterOptions cluster;

  @CommandLine.Mixin ExporterOptions exporter;

  @CommandLine.Mixin UpstreamOptions upstreams;

  @CommandLine.Mixin SignatureOptions signatures;

  private final Map<String, String> environment;

  public ServeCommand(Map<String, String> environment) {
    this.environment = Map.copyOf(environment);
  }

  @Override
  public Integer call() throws Exception {
    InetSocketAddress address = exporter.listen();
    NarCompression offered = exporter.compression();
    int priority = exporter.priority();
    long chunkCacheBytes = exporter.chunkCacheBytes();
    NixSecretKey key = exporter.signingKey();
    // Pull-through in a mirror's own DIR runs a worker here, which checks signatures as mirror does.
    Serving.PullThroughSettings pullThrough = exporter.pullThrough()
        ? new Serving.PullThroughSettings(upstreams.upstreams(), signatures.trustedKeys(), signatures.checkSignatures())
        : null;
    PrintWriter err = spec.commandLine().getErr();
    try (StopSignal stop = StopSignal.install(STOP_GRACE); ClusterOptions.Session mirror = cluster.open(environment)) {
      // With its own broker this process is the whole deployment, indexer included.
      Serving.Settings settings = new Serving.Settings(mirror.dataDir().state(), mirror.kafka(), mirror.embeddedKafka(),
          mirror.chunks(), mirror.topicPrefix(), address, key, offered, priority, chunkCacheBytes, pullThrough);
      try (Serving serving = Serving.start(settings)) {
        err.println(String.format(Locale.ROOT, "serving %s on %s: about %d paths (ready in %.1f s)%s", mirror.dataDir(),
            serving.url(), serving.servablePaths(), serving.startup().toMillis() / 1000.0,
            key == null ? "" : ", signing with " + key.name())
            + (pullThrough == null ? "" : ", pulling missing paths through from " + pullThrough.upstreams().get(0)));
        err.flush();
        while (!stop.await(Duration.ofSeconds(1))) {
          // serving until asked to stop
        }
        err.println("stopping");
        err.flush();
      }
    }
    return 0;
  }
}
