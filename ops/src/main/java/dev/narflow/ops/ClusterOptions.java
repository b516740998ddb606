package dev.narflow.ops;

import dev.narflow.ops.embedded.DataDir;
import dev.narflow.ops.embedded.DataDirException;
import dev.narflow.ops.embedded.EmbeddedKafka;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.apache.kafka.clients.CommonClientConfigs;
import picocli.CommandLine;
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
      description = "Required. The mirror's directory (as narflow mirror made it): the embedded Kafka's log,"
          + " the chunks unless --chunk-store, and this command's state (env NARFLOW_DATA).")
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

  /** The mirror opened: the directory held, Kafka reachable and its topics there. */
  public record Session(DataDir dataDir, DataDir.Lock lock, EmbeddedKafka embedded, Map<String, Object> kafka,
      ChunkStoreLocation chunks, String topicPrefix) implements AutoCloseable {
    public boolean embeddedKafka() {
      return embedded != null;
    }

    @Override
    public void close() throws IOException {
      try {
        if (embedded != null) embedded.close();
      } finally {
        lock.close();
      }
    }
  }

  /**
   * Checks the options (a usage error names the first bad one), then opens the mirror.
   *
   * @throws ConfigurationException for a DIR, Kafka or chunk store that cannot be used (exit 2)
   */
  public Session open(Map<String, String> environment) throws ConfigurationException {
    if (data == null) throw new CommandLine.ParameterException(command.commandLine(), "--data DIR is required (or NARFLOW_DATA)");
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
    DataDir dataDir;
    try {
      dataDir = DataDir.open(data);
    } catch (DataDirException e) {
      throw new ConfigurationException(e.getMessage(), e);
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
          chunks != null ? chunks : new ChunkStoreLocation.Local(dataDir.chunks()), prefix);
    } catch (ConfigurationException | RuntimeException e) {
      try {
        if (embedded != null) embedded.close();
        lock.close();
      } catch (IOException suppressed) {
        e.addSuppressed(suppressed);
      }
      throw e;
    }
  }
}
