package dev.narflow.ops;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Properties;
import java.util.Map;
import org.apache.kafka.clients.CommonClientConfigs;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * The Kafka cluster of a distributed command ({@code --bootstrap-servers}, required, and
 * {@code --topic-prefix}), as a mixin. Unlike {@link ClusterOptions} there is no data directory
 * and no embedded broker: the services of DESIGN §6 run against a cluster.
 */
public final class KafkaOptions {
  /** Bounds how long an unreachable cluster keeps an operator waiting for the one-line error. */
  public static final Duration ADMIN_TIMEOUT = Duration.ofSeconds(30);

  @Spec(Spec.Target.MIXEE) CommandSpec command;

  @Option(names = "--bootstrap-servers", paramLabel = "HOSTS",
      description = "Required. The Kafka cluster, host:port,… (env NARFLOW_BOOTSTRAP_SERVERS).")
  String bootstrapServers;

  @Option(names = "--topic-prefix", paramLabel = "P", defaultValue = "",
      description = "Prefix of every topic name, for clusters shared with other applications"
          + " (env NARFLOW_TOPIC_PREFIX, default none).")
  String topicPrefix;

  @Option(names = "--kafka-config", paramLabel = "FILE",
      description = "Kafka client settings in Java properties format (security.protocol, sasl.*, ssl.*, timeouts …),"
          + " for every Kafka client of the command (env NARFLOW_KAFKA_CONFIG).")
  Path kafkaConfig;

  /** A new mutable client config: {@code --kafka-config}'s settings and the validated {@code bootstrap.servers}. */
  public Map<String, Object> kafka() {
    if (bootstrapServers == null || bootstrapServers.isBlank()) {
      throw OptionDefaults.required(command, "--bootstrap-servers", "HOSTS");
    }
    Map<String, Object> config = new HashMap<>();
    if (kafkaConfig != null) {
      Properties properties = new Properties();
      try (Reader in = Files.newBufferedReader(kafkaConfig, StandardCharsets.UTF_8)) {
        properties.load(in);
      } catch (IOException | IllegalArgumentException e) {
        throw OptionDefaults.invalid(command, "--kafka-config", kafkaConfig.toString(), "cannot read it: " + e.getMessage());
      }
      properties.stringPropertyNames().forEach(k -> config.put(k, properties.getProperty(k)));
    }
    config.put(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, KafkaSetup.bootstrapServers(command, bootstrapServers));
    return config;
  }

  /** The validated prefix, "" for none. */
  public String topicPrefix() {
    return KafkaSetup.topicPrefix(command, topicPrefix);
  }

  /**
   * The cluster, checked: reachable, every topic there with its cleanup policy.
   *
   * @throws ConfigurationException for an unreachable cluster or missing or misconfigured topics
   *     (the message names the command that creates them)
   */
  public Map<String, Object> checked() throws ConfigurationException {
    Map<String, Object> kafka = kafka();
    KafkaSetup.checkTopics(kafka, topicPrefix(), ADMIN_TIMEOUT);
    return kafka;
  }
}
