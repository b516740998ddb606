package dev.narflow.ops;

import dev.narflow.ops.embedded.DataDir;
import dev.narflow.ops.embedded.DataDirException;
import dev.narflow.ops.embedded.EmbeddedKafka;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.apache.kafka.clients.CommonClientConfigs;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * Where a command's mirror lives ({@code --data}, {@code --chunk-store},
 * {@code --bootstrap-servers}, {@code --topic-prefix}), as a mixin, and the set-up every such
 * command does first: take the directory, start the embedded broker unless a cluster is named,
 * create the topics. {@link #open} checks every option before it starts anything.
 */
public final class ClusterOptions {
  static final Duration ADMIN_TIMEOUT = Duration.ofSeconds(30);

  @Spec(Spec.Target.MIXEE) CommandSpec command;

  @Option(names = "--data", paramLabel = "DIR",
      description = "The mirror's directory (as narflow mirror made it): the embedded Kafka's log, the chunks"
          + " unless --chunk-store, and this command's state. Required, except for rebuild-index against a cluster"
          + " (--bootstrap-servers) (env NARFLOW_DATA).")
  Path data;

  @Option(names = "--chunk-store", paramLabel = "URL",
      description = "Where the chunks are: file:///path or s3://bucket[/prefix]?endpoint=URL&region=R"
          + " (env NARFLOW_CHUNK_STORE, default DIR/chunks).")
  String chunkStore;

  @Option(names = "--bootstrap-servers", paramLabel = "HOSTS",
      description = "An existing Kafka cluster instead of the embedded broker (env NARFLOW_BOOTSTRAP_SERVERS).")
  String bootstrapServers;

  @Option(names = "--topic-prefix", paramLabel = "P", defaultValue = "",
      description = "Prefix of every topic name (env NARFLOW_TOPIC_PREFIX, default none).")
  String topicPrefix;

  /**
   * The mirror opened: the directory held, Kafka reachable and its topics there. {@code scratch}
   * is a directory made for this session alone (see {@link #openScratch}), removed on close.
   */
  public record Session(DataDir dataDir, DataDir.Lock lock, EmbeddedKafka embedded, Map<String, Object> kafka,
      ChunkStoreLocation chunks, String topicPrefix, Path scratch) implements AutoCloseable {
    public boolean embeddedKafka() {
      return embedded != null;
    }

    @Override
    public void close() throws IOException {
      try {
        if (embedded != null) embedded.close();
      } finally {
        try {
          lock.close();
        } finally {
          if (scratch != null) DataDir.deleteTree(scratch);
        }
      }
    }
  }

  /**
   * Checks the options (a usage error names the first bad one), then opens the mirror.
   *
   * @throws ConfigurationException for a DIR, Kafka or chunk store that cannot be used (exit 2)
   */
  public Session open(Map<String, String> environment) throws ConfigurationException {
    return open(environment, false);
  }

  /**
   * As {@link #open}, for a command whose state is scratch (rebuild-index): against a cluster
   * (--bootstrap-servers) --data may be left out, and a temporary directory holds the state until
   * the session closes. The chunks are then only where --chunk-store says: {@link #chunkStoreGiven}.
   */
  public Session openScratch(Map<String, String> environment) throws ConfigurationException {
    return open(environment, true);
  }

  /** Whether --chunk-store (or its variable or config line) names the chunks. */
  public boolean chunkStoreGiven() {
    return chunkStore != null && !chunkStore.isBlank();
  }

  /** Whether --data is left out against a cluster, where {@link #openScratch} makes do without it. */
  public boolean scratchOnly() {
    return data == null && bootstrapServers != null && !bootstrapServers.isBlank();
  }

  private Session open(Map<String, String> environment, boolean scratchAllowed) throws ConfigurationException {
    boolean scratch = scratchAllowed && scratchOnly();
    if (data == null && !scratch) {
      throw OptionDefaults.required(command, "--data", "DIR");
    }
    String prefix = KafkaSetup.topicPrefix(command, topicPrefix);
    String servers = bootstrapServers == null || bootstrapServers.isBlank() ? null
        : KafkaSetup.bootstrapServers(command, bootstrapServers);
    ChunkStoreLocation chunks = null;
    if (chunkStore != null && !chunkStore.isBlank()) {
      try {
        chunks = ChunkStoreLocation.parse(chunkStore, environment);
      } catch (IllegalArgumentException e) {
        throw OptionDefaults.invalid(command, "--chunk-store", null, e.getMessage()); // may hold a secret
      }
    }
    Path scratchDir = null;
    DataDir dataDir;
    try {
      if (scratch) scratchDir = Files.createTempDirectory("narflow-" + command.name() + "-");
      dataDir = DataDir.open(scratch ? scratchDir : data);
    } catch (DataDirException e) {
      throw new ConfigurationException(e.getMessage(), e);
    } catch (IOException e) {
      throw new ConfigurationException("cannot make a scratch directory in " + System.getProperty("java.io.tmpdir")
          + ": " + e.getMessage(), e);
    }
    DataDir.Lock lock = KafkaSetup.lock(dataDir);
    EmbeddedKafka embedded = null;
    try {
      Map<String, Object> kafka;
      if (servers == null) {
        embedded = KafkaSetup.startEmbedded(dataDir);
        kafka = embedded.clientConfig();
      } else {
        kafka = Map.of(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, servers);
      }
      KafkaSetup.createTopics(kafka, KafkaSetup.layout(embedded != null), prefix, ADMIN_TIMEOUT);
      return new Session(dataDir, lock, embedded, kafka,
          chunks != null ? chunks : new ChunkStoreLocation.Local(dataDir.chunks()), prefix, scratchDir);
    } catch (ConfigurationException | RuntimeException e) {
      try {
        if (embedded != null) embedded.close();
        lock.close();
        if (scratchDir != null) DataDir.deleteTree(scratchDir);
      } catch (IOException suppressed) {
        e.addSuppressed(suppressed);
      }
      throw e;
    }
  }
}
