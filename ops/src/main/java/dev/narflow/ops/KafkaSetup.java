package dev.narflow.ops;

import dev.narflow.ops.embedded.DataDir;
import dev.narflow.ops.embedded.DirectoryInUseException;
import dev.narflow.ops.embedded.EmbeddedKafka;
import dev.narflow.topics.kafka.NarflowTopic;
import dev.narflow.topics.kafka.NarflowTopics;
import dev.narflow.topics.kafka.TopicLayout;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.errors.InvalidTopicException;
import org.apache.kafka.common.internals.Topic;
import org.apache.kafka.common.utils.Utils;
import picocli.CommandLine.Model.CommandSpec;

/**
 * What every command that runs against Kafka does first: take the data directory, start the
 * embedded broker (unless {@code --bootstrap-servers}), create the topics, and validate the
 * options that name them. Each failure is a {@link ConfigurationException} (exit 2, one line).
 */
public final class KafkaSetup {
  private KafkaSetup() {}

  /**
   * Partitions of the topics created on the embedded broker, where this one process
   * consumes every partition, so more of them buy no parallelism (one worker takes all of them
   * with its --workers threads). One partition puts every completeness node in one task, where
   * completions travel without a commit interval per hop (CompletionResolver), and every
   * transaction touches a dozen partitions instead of a hundred, and the indexer runs 2 tasks
   * (6 RocksDB stores) instead of 24 (72). Measured on ops/bench/mirror's many-paths corpus
   * (1,500 paths, 2026-12-06, same build otherwise, load 5-12): 12 partitions 51.1 CPU s, 49.5 s,
   * 3.9 s from the last path indexed to the end; 1 partition 35.9 CPU s, 29.1 s, 0.4 s. A DIR
   * made before keeps its topics (created once); an external cluster (--bootstrap-servers) gets
   * the default layout, made for several workers.
   */
  public static final int EMBEDDED_PARTITIONS = 1;

  /** The topic layout for the embedded broker ({@link #EMBEDDED_PARTITIONS}) or a cluster (the default). */
  public static TopicLayout layout(boolean embedded) {
    return embedded ? TopicLayout.of(EMBEDDED_PARTITIONS, -1) : TopicLayout.defaults();
  }

  /** With an external Kafka as well: two processes on one DIR would share its state and worker id. */
  public static DataDir.Lock lock(DataDir dataDir) throws ConfigurationException {
    return lock(dataDir.root());
  }

  /** A directory of this process's own (a service's state): taken, or one line saying who has it. */
  public static DataDir.Lock lock(Path directory) throws ConfigurationException {
    try {
      return DataDir.lock(directory);
    } catch (DirectoryInUseException e) {
      throw new ConfigurationException(directory + " is in use by another narflow process", e);
    } catch (IOException e) {
      throw new ConfigurationException("cannot lock " + directory + ": " + e.getMessage(), e);
    }
  }

  public static EmbeddedKafka startEmbedded(DataDir dataDir) throws ConfigurationException {
    try {
      return EmbeddedKafka.start(dataDir.kafka());
    } catch (DirectoryInUseException e) {
      throw new ConfigurationException(dataDir.root() + " is in use by another narflow process", e);
    } catch (IOException e) {
      throw new ConfigurationException(e.getMessage(), e);
    }
  }

  /**
   * That the topics exist with their cleanup policies, creating none: a service on a cluster,
   * whose topics an operator creates once ({@code narflow topics create}). The first contact too.
   */
  public static void checkTopics(Map<String, Object> kafka, String topicPrefix, Duration timeout)
      throws ConfigurationException {
    try (Admin admin = Admin.create(adminConfig(kafka, timeout))) {
      NarflowTopics.checkAll(admin, topicPrefix);
    } catch (KafkaException | IllegalStateException e) {
      throw problem(kafka, e);
    }
  }

  /**
   * Whether {@code topic} exists, asked through {@code admin} (one client for a loop of polls: a
   * client costs a connection and a metadata round of its own), made from {@code kafka}.
   */
  public static boolean topicExists(Admin admin, Map<String, Object> kafka, String topic)
      throws ConfigurationException {
    try {
      return admin.listTopics().names().get().contains(topic);
    } catch (ExecutionException | KafkaException e) {
      throw problem(kafka, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new ConfigurationException("interrupted", e);
    }
  }

  /** An admin client whose calls give up after {@code timeout}; a bad client setting is one line. */
  public static Admin openAdmin(Map<String, Object> kafka, Duration timeout) throws ConfigurationException {
    try {
      return Admin.create(adminConfig(kafka, timeout));
    } catch (KafkaException e) {
      throw problem(kafka, e);
    }
  }

  /** What went wrong talking to the cluster, as the one line a command exits 2 with. */
  public static ConfigurationException problem(Map<String, Object> kafka, Exception e) {
    return new ConfigurationException("Kafka at " + kafka.get(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG)
        + ": " + e.getMessage(), e);
  }

  /**
   * A client config whose calls give up after {@code timeout}, unless the operator's Kafka
   * settings say otherwise: an unreachable cluster is one line, soon.
   */
  public static Map<String, Object> adminConfig(Map<String, Object> kafka, Duration timeout) {
    Map<String, Object> config = new HashMap<>(kafka);
    config.putIfAbsent(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, (int) timeout.toMillis());
    config.putIfAbsent(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, (int) timeout.toMillis() / 2);
    return config;
  }

  /** Idempotent; also the first contact with an external cluster, so an unreachable one shows here. */
  public static void createTopics(Map<String, Object> kafka, TopicLayout layout, String topicPrefix, Duration timeout)
      throws ConfigurationException {
    try (Admin admin = Admin.create(adminConfig(kafka, timeout))) {
      NarflowTopics.createAll(admin, layout, topicPrefix);
    } catch (KafkaException | IllegalStateException e) {
      throw problem(kafka, e);
    }
  }

  /** {@code --topic-prefix}, stripped and checked to make valid topic names. */
  public static String topicPrefix(CommandSpec spec, String topicPrefix) {
    String prefix = topicPrefix == null ? "" : topicPrefix.strip();
    List<NarflowTopic<?, ?>> topics;
    try {
      topics = NarflowTopics.withPrefix(prefix);
    } catch (IllegalArgumentException e) {
      throw OptionDefaults.invalid(spec, "--topic-prefix", prefix, e.getMessage());
    }
    for (NarflowTopic<?, ?> topic : topics) {
      try {
        Topic.validate(topic.name());
      } catch (InvalidTopicException e) {
        throw OptionDefaults.invalid(spec, "--topic-prefix", prefix,
            "gives the topic name '" + topic.name() + "': " + e.getMessage());
      }
    }
    return prefix;
  }

  /** {@code --bootstrap-servers}: {@code host:port,…}, blanks dropped. */
  public static String bootstrapServers(CommandSpec spec, String text) {
    List<String> hosts = new ArrayList<>();
    for (String entry : text.split(",")) {
      String e = entry.strip();
      if (e.isEmpty()) continue;
      String host = Utils.getHost(e);
      Integer port = Utils.getPort(e);
      if (host == null || host.isEmpty() || port == null || port < 1 || port > 65535) {
        throw OptionDefaults.invalid(spec, "--bootstrap-servers", text, "'" + e + "' is not host:port");
      }
      hosts.add(e);
    }
    if (hosts.isEmpty()) throw OptionDefaults.invalid(spec, "--bootstrap-servers", text, "no host:port given");
    return String.join(",", hosts);
  }
}
