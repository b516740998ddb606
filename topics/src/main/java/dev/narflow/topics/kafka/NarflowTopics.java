package dev.narflow.topics.kafka;

import static org.apache.kafka.common.config.TopicConfig.CLEANUP_POLICY_COMPACT;
import static org.apache.kafka.common.config.TopicConfig.CLEANUP_POLICY_CONFIG;
import static org.apache.kafka.common.config.TopicConfig.CLEANUP_POLICY_DELETE;
import static org.apache.kafka.common.config.TopicConfig.MAX_MESSAGE_BYTES_CONFIG;
import static org.apache.kafka.common.config.TopicConfig.MIN_COMPACTION_LAG_MS_CONFIG;
import static org.apache.kafka.common.config.TopicConfig.RETENTION_MS_CONFIG;

import dev.narflow.topics.v1.FetchFailure;
import dev.narflow.topics.v1.FetchRequest;
import dev.narflow.topics.v1.IndexRecord;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.CreateTopicsResult;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.KafkaFuture;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.errors.TopicExistsException;

/**
 * The four topics of the pipeline (see DESIGN.md, section 2), with their configs, and their
 * idempotent creation.
 */
public final class NarflowTopics {
  /**
   * Largest index record the index topic accepts. A Directory grows with its entries (about 80
   * bytes each), and some store paths hold directories of tens of thousands of files, past
   * Kafka's 1 MiB default. Producers of index records must raise {@code max.request.size} to match.
   */
  public static final int INDEX_MAX_RECORD_BYTES = 16 * 1024 * 1024;

  /** Requests not yet deduplicated; transient. Key: store path digest; value: FetchRequest. */
  public static final NarflowTopic<StorePathKey, FetchRequest> REQUESTS = new NarflowTopic<>(
      "narflow.requests", NarflowSerdes.storePathKey(), NarflowSerdes.fetchRequest(),
      Map.of(CLEANUP_POLICY_CONFIG, CLEANUP_POLICY_DELETE,
          RETENTION_MS_CONFIG, millis(Duration.ofDays(7))));

  /** Requests for the ingest workers; transient. Key: store path digest; value: FetchRequest. */
  public static final NarflowTopic<StorePathKey, FetchRequest> WORK = new NarflowTopic<>(
      "narflow.work", NarflowSerdes.storePathKey(), NarflowSerdes.fetchRequest(),
      Map.of(CLEANUP_POLICY_CONFIG, CLEANUP_POLICY_DELETE,
          RETENTION_MS_CONFIG, millis(Duration.ofDays(7))));

  /**
   * The metadata of the mirror and its source of truth: compacted, kept forever. Records are
   * content-addressed and immutable, so compaction only drops duplicates; compacting as soon as
   * possible is therefore safe. Key: IndexKey; value: IndexRecord.
   */
  public static final NarflowTopic<IndexKey, IndexRecord> INDEX = new NarflowTopic<>(
      "narflow.index", NarflowSerdes.indexKey(), NarflowSerdes.indexRecord(),
      Map.of(CLEANUP_POLICY_CONFIG, CLEANUP_POLICY_COMPACT,
          MIN_COMPACTION_LAG_MS_CONFIG, "0",
          MAX_MESSAGE_BYTES_CONFIG, Integer.toString(INDEX_MAX_RECORD_BYTES)));

  /**
   * Requests given up on, for operators and `narflow status`; kept 30 days. Key: store path
   * digest; value: FetchFailure.
   */
  public static final NarflowTopic<StorePathKey, FetchFailure> FAILURES = new NarflowTopic<>(
      "narflow.failures", NarflowSerdes.storePathKey(), NarflowSerdes.fetchFailure(),
      Map.of(CLEANUP_POLICY_CONFIG, CLEANUP_POLICY_DELETE,
          RETENTION_MS_CONFIG, millis(Duration.ofDays(30))));

  /** All four, in pipeline order. */
  public static final List<NarflowTopic<?, ?>> ALL = List.of(REQUESTS, WORK, INDEX, FAILURES);

  private NarflowTopics() {}

  /** {@link #ALL}, each named {@code prefix + name} (see {@link NarflowTopic#withPrefix}). */
  public static List<NarflowTopic<?, ?>> withPrefix(String prefix) {
    return ALL.stream().<NarflowTopic<?, ?>>map(t -> t.withPrefix(prefix)).toList();
  }

  /**
   * Creates every narflow topic that does not exist yet; existing topics are left as they are,
   * after checking that their cleanup policy is ours (an index topic that deletes old records
   * would silently lose the mirror's metadata).
   *
   * @return the names of the topics this call created
   * @throws IllegalStateException if an existing topic has another cleanup policy
   * @throws KafkaException if the broker refuses or cannot be reached
   */
  public static Set<String> createAll(Admin admin, TopicLayout layout) {
    return createAll(admin, layout, "");
  }

  /** As {@link #createAll(Admin, TopicLayout)}, each topic named {@code prefix + name}. */
  public static Set<String> createAll(Admin admin, TopicLayout layout, String prefix) {
    List<NarflowTopic<?, ?>> topics = withPrefix(prefix);
    List<NewTopic> requests = topics.stream().map(t -> t.newTopic(layout)).toList();
    CreateTopicsResult result = admin.createTopics(requests);
    Set<String> created = new LinkedHashSet<>();
    List<NarflowTopic<?, ?>> existing = new ArrayList<>();
    for (NarflowTopic<?, ?> topic : topics) {
      try {
        await(result.values().get(topic.name()));
        created.add(topic.name());
      } catch (ExecutionException e) {
        if (!(e.getCause() instanceof TopicExistsException)) {
          throw new KafkaException(
              "creating topic " + topic.name() + " failed: " + e.getCause().getMessage(), e.getCause());
        }
        existing.add(topic);
      }
    }
    checkCleanupPolicies(admin, existing);
    return created;
  }

  /**
   * Checks that every narflow topic exists with our cleanup policy, without creating any: what a
   * service does at start on a cluster whose topics an operator creates ({@code narflow topics create}).
   *
   * @throws IllegalStateException naming the missing topics, or a topic with another cleanup policy
   * @throws KafkaException if the broker refuses or cannot be reached
   */
  public static void checkAll(Admin admin, String prefix) {
    List<NarflowTopic<?, ?>> topics = withPrefix(prefix);
    Set<String> names;
    try {
      names = await(admin.listTopics().names());
    } catch (ExecutionException e) {
      throw new KafkaException("listing topics failed: " + e.getCause().getMessage(), e.getCause());
    }
    List<String> missing = topics.stream().map(NarflowTopic::name).filter(n -> !names.contains(n)).toList();
    if (!missing.isEmpty()) {
      throw new IllegalStateException("topic" + (missing.size() > 1 ? "s " : " ") + String.join(", ", missing)
          + (missing.size() > 1 ? " do" : " does") + " not exist; create them with: narflow topics create"
          + (prefix.isEmpty() ? "" : " --topic-prefix " + prefix));
    }
    checkCleanupPolicies(admin, topics);
  }

  private static void checkCleanupPolicies(Admin admin, List<NarflowTopic<?, ?>> topics) {
    if (topics.isEmpty()) return;
    Map<ConfigResource, NarflowTopic<?, ?>> resources = new HashMap<>();
    for (NarflowTopic<?, ?> t : topics) resources.put(new ConfigResource(ConfigResource.Type.TOPIC, t.name()), t);
    Map<ConfigResource, Config> configs;
    try {
      configs = await(admin.describeConfigs(resources.keySet()).all());
    } catch (ExecutionException e) {
      throw new KafkaException(
          "describing existing narflow topics failed: " + e.getCause().getMessage(), e.getCause());
    }
    for (Map.Entry<ConfigResource, NarflowTopic<?, ?>> e : resources.entrySet()) {
      NarflowTopic<?, ?> topic = e.getValue();
      String want = topic.configs().get(CLEANUP_POLICY_CONFIG);
      String have = configs.get(e.getKey()).get(CLEANUP_POLICY_CONFIG).value();
      if (!policies(want).equals(policies(have))) {
        throw new IllegalStateException("topic " + topic.name() + " exists with " + CLEANUP_POLICY_CONFIG
            + "=" + have + ", but narflow needs " + want + "; fix it or delete the topic");
      }
    }
  }

  private static Set<String> policies(String value) {
    return Arrays.stream(value.split(",")).map(String::trim).collect(Collectors.toSet());
  }

  private static <T> T await(KafkaFuture<T> future) throws ExecutionException {
    try {
      return future.get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new org.apache.kafka.common.errors.InterruptException(e);
    }
  }

  private static String millis(Duration d) {
    return Long.toString(d.toMillis());
  }
}
