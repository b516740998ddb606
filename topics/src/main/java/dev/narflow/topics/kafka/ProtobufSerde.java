package dev.narflow.topics.kafka;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.google.protobuf.Parser;
import java.nio.ByteBuffer;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serializer;

/**
 * Kafka serde for one protobuf message type: the value is the plain protobuf encoding, nothing
 * around it. A null value (a tombstone) maps to null both ways (except that the index record
 * serde refuses to write one). Bytes that do not parse fail
 * with a {@link SerializationException} naming the message type, the topic and the length.
 * Stateless and thread-safe.
 */
public final class ProtobufSerde<T extends Message> implements Serde<T> {
  private final String typeName;
  private final Serializer<T> serializer;
  private final Deserializer<T> deserializer;

  private ProtobufSerde(T defaultInstance, boolean refuseTombstones) {
    String name = defaultInstance.getDescriptorForType().getFullName();
    this.typeName = name;
    @SuppressWarnings("unchecked")
    Parser<T> parser = (Parser<T>) defaultInstance.getParserForType();
    this.serializer = (topic, message) -> {
      if (message != null) return message.toByteArray();
      if (refuseTombstones) {
        throw new SerializationException("refusing to write a null " + name + " for topic " + topic
            + ": a tombstone there would let compaction delete the record for good");
      }
      return null;
    };
    this.deserializer = new ProtobufDeserializer<>(typeName, parser);
  }

  /** The serde of the type of {@code defaultInstance}, e.g. {@code of(Directory.getDefaultInstance())}. */
  public static <T extends Message> ProtobufSerde<T> of(T defaultInstance) {
    return new ProtobufSerde<>(defaultInstance, false);
  }

  /**
   * Like {@link #of}, but serializing null fails: for a compacted topic whose records must never
   * be deleted. Reading a null still gives null, so a consumer can report it rather than stall.
   */
  static <T extends Message> ProtobufSerde<T> refusingTombstones(T defaultInstance) {
    return new ProtobufSerde<>(defaultInstance, true);
  }

  /** The full protobuf name of the message type, e.g. {@code narflow.castore.v1.Directory}. */
  public String typeName() {
    return typeName;
  }

  @Override
  public Serializer<T> serializer() {
    return serializer;
  }

  @Override
  public Deserializer<T> deserializer() {
    return deserializer;
  }

  @Override
  public String toString() {
    return "ProtobufSerde[" + typeName + "]";
  }

  private record ProtobufDeserializer<T extends Message>(String typeName, Parser<T> parser)
      implements Deserializer<T> {
    @Override
    public T deserialize(String topic, byte[] data) {
      if (data == null) return null;
      try {
        return parser.parseFrom(data);
      } catch (InvalidProtocolBufferException e) {
        throw malformed(topic, data.length, e);
      }
    }

    /** Parses straight from the fetched buffer, without the copy the default makes. */
    @Override
    public T deserialize(String topic, Headers headers, ByteBuffer data) {
      if (data == null) return null;
      ByteBuffer view = data.duplicate();
      int length = view.remaining();
      try {
        return parser.parseFrom(view);
      } catch (InvalidProtocolBufferException e) {
        throw malformed(topic, length, e);
      }
    }

    private SerializationException malformed(String topic, int length, InvalidProtocolBufferException e) {
      return new SerializationException("malformed " + typeName + " record in topic " + topic
          + " (" + length + " bytes): " + e.getMessage(), e);
    }
  }
}
