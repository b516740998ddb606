package dev.narflow.ops.mirror;

import dev.narflow.ops.ChunkStoreLocation;
import dev.narflow.ops.ConfigurationException;
import dev.narflow.ops.KafkaSetup;
import dev.narflow.ops.ConfigOption;
import dev.narflow.ops.OptionDefaults;
import dev.narflow.ops.SignatureOptions;
import dev.narflow.ops.StorePathArguments;
import dev.narflow.ops.UpstreamOptions;
import dev.narflow.ops.StopSignal;
import dev.narflow.ops.embedded.DataDir;
import dev.narflow.ops.embedded.DataDirException;
import dev.narflow.ops.embedded.EmbeddedKafka;
import dev.narflow.topics.nix.TrustedKeys;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.function.BooleanSupplier;
import org.apache.kafka.clients.CommonClientConfigs;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code narflow mirror}: the user-facing shell of a mirror (DESIGN §6). It parses and validates
 * the options into {@link MirrorOptions}, prepares the {@link MirrorEnvironment} (data directory,
 * the embedded broker unless {@code --bootstrap-servers}, the topics, progress), hands both to a
 * {@link MirrorRun} and closes the environment afterwards. Every option also reads its
 * {@code NARFLOW_…} variable and the {@code --config} file ({@link OptionDefaults}).
 */
@Command(
    name = "mirror",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    description = {
      "Mirrors the closures of the given store paths from binary caches into Kafka and a chunk store.",
      "Exits 0 when every requested closure is complete, 1 when paths failed (one line each),"
          + " 2 for bad usage or an unusable Kafka, S3, upstream or DIR.",
      "Running it again on the same DIR resumes: what is mirrored is not fetched again;"
          + " failed paths are retried.",
      "Every option also reads an environment variable named after it (--workers from NARFLOW_WORKERS,"
          + " and so on), and then the --config file.",
      "Example: narflow mirror --data ./mirror /nix/store/<hash>-hello-2.12",
    })
public final class MirrorCommand implements Callable<Integer> {
  public static final String DEFAULT_UPSTREAM = UpstreamOptions.DEFAULT_UPSTREAM;
  public static final String DEFAULT_TRUSTED_KEY = SignatureOptions.DEFAULT_TRUSTED_KEY;
  /**
   * NARs in flight; Nix itself keeps 25 connections, and the worker also bounds bytes in flight.
   * Small paths spend most of their time waiting (for a GET, a commit, the router's hop), so more
   * of them in flight keeps the cores busy: on ops/bench/mirror's 1,500 small paths, 32 took
   * 19.4 s on average against 21.6 s for 16 (five interleaved runs each, 2026-12-06), and 64 no
   * less than 32; peak RSS was 750-830 MiB (650-800 with 16). Big NARs are bounded by bytes anyway.
   */
  public static final int DEFAULT_WORKERS = 32;
  static final int MAX_WORKERS = 1024;
  /** How long Ctrl-C waits for the run to stop its workers and for the broker to close. */
  static final Duration STOP_GRACE = Duration.ofSeconds(60);
  /** Bounds how long an unreachable cluster keeps an operator waiting for the one-line error. */
  static final Duration ADMIN_TIMEOUT = Duration.ofSeconds(30);

  /** How progress is shown. */
  public enum ProgressMode { AUTO, LINE, LOG }

  @Spec CommandSpec spec;

  @CommandLine.Mixin ConfigOption config;

  @Option(names = "--data", paramLabel = "DIR",
      description = "Required. The mirror's directory: the embedded Kafka's log (DIR/kafka), chunks"
          + " (DIR/chunks, unless --chunk-store) and view state (DIR/state); made on first use"
          + " (env NARFLOW_DATA).")
  Path data;


  @CommandLine.Mixin UpstreamOptions upstreams;

  @CommandLine.Mixin SignatureOptions signatures;

  @Option(names = "--no-closure",
      description = "Mirror just the given paths, not what they reference (env NARFLOW_NO_CLOSURE=1).")
  boolean noClosure;

  @Option(names = "--workers", paramLabel = "N", defaultValue = "" + DEFAULT_WORKERS,
      description = "NARs fetched and imported at once in this process"
          + " (env NARFLOW_WORKERS, default ${DEFAULT-VALUE}).")
  int workers;

  @Option(names = "--chunk-store", paramLabel = "URL",
      description = "Where chunks go: file:///path, or s3://bucket[/prefix]?endpoint=URL&region=R with"
          + " credentials from AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY"
          + " (env NARFLOW_CHUNK_STORE, default DIR/chunks).")
  String chunkStore;

  @Option(names = "--bootstrap-servers", paramLabel = "HOSTS",
      description = "An existing Kafka cluster (host:port,…) instead of the embedded broker"
          + " (env NARFLOW_BOOTSTRAP_SERVERS).")
  String bootstrapServers;

  @Option(names = "--topic-prefix", paramLabel = "P", defaultValue = "",
      description = "Prefix of every topic name, for clusters shared with other applications"
          + " (env NARFLOW_TOPIC_PREFIX, default none).")
  String topicPrefix;

  @Option(names = "--progress", paramLabel = "MODE", defaultValue = "auto",
      description = "auto: a live line on a terminal, log lines otherwise; line or log to choose"
          + " (env NARFLOW_PROGRESS, default ${DEFAULT-VALUE}).")
  String progress;

  @CommandLine.Mixin StorePathArguments storePaths;

  private final Map<String, String> environment;
  private final MirrorRun mirrorRun;
  private final BooleanSupplier onTerminal;
  /** {@link #ADMIN_TIMEOUT}; shorter in tests of an unreachable cluster. */
  Duration adminTimeout = ADMIN_TIMEOUT;

  /** With the process's environment; the run is what actually mirrors. */
  public MirrorCommand(Map<String, String> environment, MirrorRun mirrorRun) {
    this(environment, mirrorRun, () -> System.console() != null);
  }

  MirrorCommand(Map<String, String> environment, MirrorRun mirrorRun, BooleanSupplier onTerminal) {
    this.environment = Map.copyOf(environment);
    this.mirrorRun = mirrorRun;
    this.onTerminal = onTerminal;
  }

  /** This command for a {@link CommandLine}; {@link OptionDefaults#install} gives it the environment. */
  public static CommandLine commandLine(Map<String, String> environment, MirrorRun mirrorRun) {
    return new CommandLine(new MirrorCommand(environment, mirrorRun));
  }

  @Override
  public Integer call() throws Exception {
    MirrorOptions options = options();
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    DataDir dataDir;
    try {
      dataDir = DataDir.open(options.dataDir());
    } catch (DataDirException e) {
      throw new ConfigurationException(e.getMessage(), e);
    }
    // The signal outermost, so that on Ctrl-C the JVM waits until the broker below has closed too.
    try (StopSignal stop = StopSignal.install(STOP_GRACE); DataDir.Lock lock = KafkaSetup.lock(dataDir)) {
      return run(options, dataDir, stop, out, err);
    }
  }

  private int run(MirrorOptions options, DataDir dataDir, StopSignal stop, PrintWriter out, PrintWriter err)
      throws Exception {
    EmbeddedKafka embedded = null;
    try (MirrorProgress progress = new MirrorProgress(out, err, options.terminal())) {
      Map<String, Object> kafka;
      if (options.embeddedKafka()) {
        embedded = KafkaSetup.startEmbedded(dataDir);
        // The address lets an operator (or a test) look into a run that seems stuck.
        progress.note(String.format(Locale.ROOT, "embedded Kafka %s in %.1f s (%s, %s)",
            embedded.formatted() ? "formatted and started" : "started",
            embedded.startupTime().toMillis() / 1000.0, dataDir.kafka(), embedded.bootstrapServers()));
        if (embedded.transactionsRepaired() > 0) {
          progress.note(embedded.transactionsRepaired() + " transaction marker(s) the broker lost in an unclean stop"
              + " written again (KAFKA-20734)");
        }
        kafka = embedded.clientConfig();
      } else {
        kafka = Map.of(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, options.bootstrapServers().get());
      }
      KafkaSetup.createTopics(kafka, KafkaSetup.layout(options.embeddedKafka()), options.topicPrefix(), adminTimeout);
      ChunkStoreLocation chunks = options.chunkStore().orElseGet(() -> new ChunkStoreLocation.Local(dataDir.chunks()));
      return mirrorRun.run(options,
          new MirrorEnvironment(dataDir, kafka, Optional.ofNullable(embedded), chunks, progress, stop, out, err));
    } finally {
      if (embedded != null) {
        try {
          embedded.close();
        } catch (IOException e) {
          err.println(spec.qualifiedName() + ": stopping the embedded Kafka: " + e.getMessage());
          err.flush();
        }
      }
    }
  }

  /** The options, validated; a {@link ParameterException} (exit 2) names the first bad one. */
  public MirrorOptions options() {
    if (data == null) {
      throw usage("--data DIR is required (or NARFLOW_DATA): the directory that holds the mirror's state");
    }
    List<URI> upstreamUris = upstreams.upstreams();
    TrustedKeys keys = signatures.trustedKeys();
    if (workers < 1 || workers > MAX_WORKERS) {
      throw invalid("--workers", Integer.toString(workers), "must be between 1 and " + MAX_WORKERS);
    }
    Optional<ChunkStoreLocation> chunks = Optional.empty();
    if (chunkStore != null && !chunkStore.isBlank()) {
      try {
        chunks = Optional.of(ChunkStoreLocation.parse(chunkStore, environment));
      } catch (IllegalArgumentException e) {
        throw invalid("--chunk-store", null, e.getMessage()); // the URL may hold a secret: not repeated
      }
    }
    Optional<String> servers = Optional.empty();
    if (bootstrapServers != null && !bootstrapServers.isBlank()) servers = Optional.of(KafkaSetup.bootstrapServers(spec, bootstrapServers));
    String prefix = KafkaSetup.topicPrefix(spec, topicPrefix);
    return new MirrorOptions(data, upstreamUris, keys, signatures.checkSignatures(), !noClosure, workers,
        chunks, servers, prefix, storePaths.paths(true), terminal());
  }

  private boolean terminal() {
    ProgressMode mode;
    try {
      mode = ProgressMode.valueOf(progress.strip().toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw invalid("--progress", progress, "must be auto, line or log");
    }
    return switch (mode) {
      case AUTO -> onTerminal.getAsBoolean();
      case LINE -> true;
      case LOG -> false;
    };
  }

  /** {@code invalid --workers 0: must be …}, naming the variable or file the value came from. */
  private ParameterException invalid(String optionName, String value, String reason) {
    return OptionDefaults.invalid(spec, optionName, value, reason);
  }

  private ParameterException usage(String message) {
    return new ParameterException(spec.commandLine(), message);
  }
}
