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

  /** The request to create this topic with {@code layout}. */
  public NewTopic newTopic(TopicLayout layout) {
    return new NewTopic(name, layout.partitionsOrDefault(), layout.replicationFactorOrDefault()).configs(configs);
  }

  @Override
  public String toString() {
    return name;
  }
}
