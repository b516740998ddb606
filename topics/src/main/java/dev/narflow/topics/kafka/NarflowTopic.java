package dev.narflow.topics.kafka;

import java.util.Map;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.serialization.Serde;

/**
 * One narflow topic: its name, the serdes of its keys and values, and the topic configs it is
 * created with (see {@link NarflowTopics}).
 */
public record NarflowTopic<K, V>(String name, Serde<K> keySerde, Serde<V> valueSerde, Map<String, String> configs) {
  public NarflowTopic {
    configs = Map.copyOf(configs);
  }

  /**
   * The same topic under {@code prefix + name}, for a cluster shared with other applications
   * ({@code --topic-prefix}); the empty prefix gives this topic itself.
   */
  public NarflowTopic<K, V> withPrefix(String prefix) {
    if (prefix.isEmpty()) return this;
    if (!prefix.matches("[A-Za-z0-9._-]+")) {
      throw new IllegalArgumentException("topic prefix '" + prefix
          + "' may hold only ASCII letters, digits, '.', '_' and '-'");
    }
    return new NarflowTopic<>(prefix + name, keySerde, valueSerde, configs);
  }

  /** The request to create this topic with {@code layout}. */
  public NewTopic newTopic(TopicLayout layout) {
    return new NewTopic(name, layout.partitionsOrDefault(), layout.replicationFactorOrDefault()).configs(configs);
  }

  @Override
  public String toString() {
    return name;
  }
}
