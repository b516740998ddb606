package dev.narflow.topics.testing;

import java.util.HashMap;
import java.util.Map;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.common.test.KafkaClusterTestKit;
import org.apache.kafka.common.test.TestKitNodes;

/**
 * A real single-node Kafka (KRaft, broker and controller combined) inside the test JVM, on a
 * random local port, its log in a temporary folder removed on close. Starts in a few seconds;
 * share one per test class ({@code @BeforeAll}).
 *
 * <pre>{@code
 * try (KafkaTestBroker kafka = KafkaTestBroker.start()) {
 *   props.put("bootstrap.servers", kafka.bootstrapServers());
 * }
 * }</pre>
 */
public final class KafkaTestBroker implements AutoCloseable {
  /**
   * With one broker the internal topics must have one replica, or transactions and consumer
   * groups wait forever for replicas that do not exist. One partition each makes them fast to
   * create; no group waits for late joiners.
   */
  private static final Map<String, String> SINGLE_NODE = Map.of(
      "offsets.topic.replication.factor", "1",
      "offsets.topic.num.partitions", "1",
      "transaction.state.log.replication.factor", "1",
      "transaction.state.log.min.isr", "1",
      "transaction.state.log.num.partitions", "1",
      "group.initial.rebalance.delay.ms", "0");

  private final KafkaClusterTestKit cluster;

  private KafkaTestBroker(KafkaClusterTestKit cluster) {
    this.cluster = cluster;
  }

  /** Starts a broker and waits until it accepts clients. */
  public static KafkaTestBroker start() throws Exception {
    return start(Map.of());
  }

  /** Starts a broker with extra server properties (they override the single-node defaults). */
  public static KafkaTestBroker start(Map<String, String> serverProperties) throws Exception {
    Map<String, String> props = new HashMap<>(SINGLE_NODE);
    props.putAll(serverProperties);
    KafkaClusterTestKit.Builder builder = new KafkaClusterTestKit.Builder(
        new TestKitNodes.Builder().setCombined(true).setNumBrokerNodes(1).setNumControllerNodes(1).build());
    props.forEach(builder::setConfigProp);
    KafkaClusterTestKit cluster = builder.build();
    try {
      cluster.format();
      cluster.startup();
      cluster.waitForReadyBrokers();
    } catch (Exception | Error e) {
      try {
        cluster.close();
      } catch (Exception suppressed) {
        e.addSuppressed(suppressed);
      }
      throw e;
    }
    return new KafkaTestBroker(cluster);
  }

  /** The {@code bootstrap.servers} for clients. */
  public String bootstrapServers() {
    return cluster.bootstrapServers();
  }

  /** The minimal client config: just {@code bootstrap.servers}, in a map the caller may add to. */
  public Map<String, Object> clientConfig() {
    Map<String, Object> config = new HashMap<>();
    config.put(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers());
    return config;
  }

  /** A new Admin client; the caller closes it. */
  public Admin admin() {
    return Admin.create(clientConfig());
  }

  /** Stops the broker and deletes its log. */
  @Override
  public void close() throws Exception {
    cluster.close();
  }
}
