package dev.narflow.topics.kafka;

import java.util.function.Function;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serializer;

/** Serde of a key value type through its own byte layout; malformed keys fail naming the topic. */
final class KeySerde<K> implements Serde<K> {
  private final Serializer<K> serializer;
  private final Deserializer<K> deserializer;

  KeySerde(String what, Function<K, byte[]> format, Function<byte[], K> parse) {
    this.serializer = (topic, key) -> {
      if (key == null) throw new SerializationException(what + " key for topic " + topic + " is null");
      return format.apply(key);
    };
    this.deserializer = (topic, bytes) -> {
      if (bytes == null) throw new SerializationException(what + " key in topic " + topic + " is null");
      try {
        return parse.apply(bytes);
      } catch (IllegalArgumentException e) {
        throw new SerializationException("malformed " + what + " key in topic " + topic + ": " + e.getMessage(), e);
      }
    };
  }

  @Override
  public Serializer<K> serializer() {
    return serializer;
  }

  @Override
  public Deserializer<K> deserializer() {
    return deserializer;
  }
}
