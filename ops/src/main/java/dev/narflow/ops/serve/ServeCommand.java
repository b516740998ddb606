package dev.narflow.ops.serve;

import dev.narflow.exporter.NarInfos.NarCompression;
import dev.narflow.ops.ClusterOptions;
import dev.narflow.ops.ConfigOption;
import dev.narflow.ops.ConfigurationException;
import dev.narflow.ops.OptionDefaults;
import dev.narflow.ops.StopSignal;
import dev.narflow.topics.nix.NixSecretKey;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.apache.kafka.common.utils.Utils;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
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

  @Option(names = "--listen", paramLabel = "HOST:PORT", defaultValue = "127.0.0.1:8080",
      description = "Where to serve (env NARFLOW_LISTEN, default ${DEFAULT-VALUE}); 0.0.0.0:PORT for every interface.")
  String listen;

  @Option(names = "--signing-key", paramLabel = "FILE",
      description = "A secret key (narflow keygen) to sign every narinfo with, besides the upstream signatures"
          + " (env NARFLOW_SIGNING_KEY).")
  Path signingKey;

  @Option(names = "--compression", paramLabel = "zstd|none", defaultValue = "zstd",
      description = "Which NAR URL the narinfos name: zstd (.nar.zst, the stored chunks sent as they are) or none"
          + " (.nar); both are served (env NARFLOW_COMPRESSION, default ${DEFAULT-VALUE}).")
  String compression;

  @Option(names = "--priority", paramLabel = "N", defaultValue = "40",
      description = "nix-cache-info's Priority; clients try lower first (env NARFLOW_PRIORITY, default ${DEFAULT-VALUE}).")
  int priority;

  private final Map<String, String> environment;

  public ServeCommand(Map<String, String> environment) {
    this.environment = Map.copyOf(environment);
  }

  @Override
  public Integer call() throws Exception {
    InetSocketAddress address = listenAddress();
    NarCompression offered = compression();
    if (priority < 0 || priority > 1000) {
      throw OptionDefaults.invalid(spec, "--priority", Integer.toString(priority), "must be between 0 and 1000");
    }
    NixSecretKey key = null;
    if (signingKey != null) {
      try {
        key = NixSecretKey.read(signingKey);
      } catch (IOException | IllegalArgumentException e) {
        throw new ConfigurationException("--signing-key " + signingKey + ": " + e.getMessage(), e);
      }
    }
    PrintWriter err = spec.commandLine().getErr();
    try (StopSignal stop = StopSignal.install(STOP_GRACE); ClusterOptions.Session mirror = cluster.open(environment)) {
      // With its own broker this process is the whole deployment, indexer included.
      Serving.Settings settings = new Serving.Settings(mirror.dataDir(), mirror.kafka(), mirror.embeddedKafka(),
          mirror.chunks(), mirror.topicPrefix(), address, key, offered, priority);
      try (Serving serving = Serving.start(settings)) {
        err.println(String.format(Locale.ROOT, "serving %s on %s: about %d paths (ready in %.1f s)%s", mirror.dataDir(),
            serving.url(), serving.servablePaths(), serving.startup().toMillis() / 1000.0,
            key == null ? "" : ", signing with " + key.name()));
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

  private InetSocketAddress listenAddress() {
    String text = listen == null ? "" : listen.strip();
    String host = Utils.getHost(text);
    Integer port = Utils.getPort(text);
    if (host == null || host.isEmpty() || port == null || port < 0 || port > 65535) {
      throw OptionDefaults.invalid(spec, "--listen", text, "not HOST:PORT (e.g. 127.0.0.1:8080)");
    }
    return new InetSocketAddress(host, port);
  }

  private NarCompression compression() {
    return switch (compression == null ? "" : compression.strip().toLowerCase(Locale.ROOT)) {
      case "none" -> NarCompression.NONE;
      case "zstd" -> NarCompression.ZSTD;
      default -> throw OptionDefaults.invalid(spec, "--compression", compression, "must be zstd or none");
    };
  }
}
