package dev.narflow.ingest.testing;

import dev.narflow.chunker.nar.DirectoryLookup;
import dev.narflow.chunker.nar.NarRenderer;
import dev.narflow.chunker.store.ChunkStore;
import dev.narflow.topics.castore.B3Digest;
import dev.narflow.topics.castore.v1.Directory;
import dev.narflow.topics.castore.v1.Node;
import dev.narflow.topics.kafka.IndexKey;
import dev.narflow.topics.kafka.IndexRecords;
import dev.narflow.topics.store.v1.PathInfo;
import dev.narflow.topics.v1.IndexRecord;
import java.io.ByteArrayOutputStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * What a test reads back from a mirror: a topic to its end, the committed index (last record per
 * key, each verified), and a PathInfo rendered to its NAR from the index and the chunk store.
 */
public final class CommittedIndex {
  private CommittedIndex() {}

  /**
   * Every record of {@code topic} from its start to its end as of now; with {@code committedOnly}
   * (read_committed) the end is the last stable offset, so nothing of an open transaction shows.
   */
  public static List<ConsumerRecord<byte[], byte[]>> readToEnd(Map<String, Object> clientConfig, String topic,
      boolean committedOnly) {
    Map<String, Object> c = new HashMap<>(clientConfig);
    c.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, committedOnly ? "read_committed" : "read_uncommitted");
    c.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    List<ConsumerRecord<byte[], byte[]>> out = new ArrayList<>();
    try (KafkaConsumer<byte[], byte[]> consumer =
        new KafkaConsumer<>(c, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
      List<TopicPartition> partitions = consumer.partitionsFor(topic).stream()
          .map(p -> new TopicPartition(topic, p.partition())).toList();
      consumer.assign(partitions);
      consumer.seekToBeginning(partitions);
      Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
      long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
      while (partitions.stream().anyMatch(tp -> consumer.position(tp) < end.get(tp))) {
        if (System.nanoTime() > deadline) throw new AssertionError("reading " + topic + " to its end took more than 30 s");
        consumer.poll(Duration.ofMillis(100)).forEach(out::add);
      }
    }
    return out;
  }

  /** The committed index topic, last record per key, each checked with {@link IndexRecords#verify}. */
  public static Map<IndexKey, IndexRecord> read(Map<String, Object> clientConfig, String indexTopic) {
    Map<IndexKey, IndexRecord> records = new LinkedHashMap<>();
    for (ConsumerRecord<byte[], byte[]> r : readToEnd(clientConfig, indexTopic, true)) {
      IndexKey key = IndexKey.parse(r.key());
      try {
        records.put(key, IndexRecords.verify(key, IndexRecord.parseFrom(r.value())));
      } catch (com.google.protobuf.InvalidProtocolBufferException e) {
        throw new AssertionError("index record " + key + " does not parse", e);
      }
    }
    return records;
  }

  /** The NAR of a committed PathInfo, rendered from the index's Directories and the chunk store. */
  public static byte[] render(Map<IndexKey, IndexRecord> index, PathInfo info, ChunkStore store) throws Exception {
    Map<B3Digest, Directory> directories = new HashMap<>();
    index.forEach((k, v) -> {
      if (k.type() == IndexKey.Type.DIRECTORY) directories.put(k.b3Digest(), v.getDirectory());
    });
    DirectoryLookup lookup = directories::get;
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (NarRenderer renderer = NarRenderer.builder(store).build()) {
      renderer.render(unnamed(info.getNode()), lookup, out);
    }
    return out.toByteArray();
  }

  /** A NAR's root has no name; a PathInfo's root node is named by its store path. */
  private static Node unnamed(Node node) {
    return switch (node.getNodeCase()) {
      case DIRECTORY -> Node.newBuilder().setDirectory(node.getDirectory().toBuilder().clearName()).build();
      case FILE -> Node.newBuilder().setFile(node.getFile().toBuilder().clearName()).build();
      case SYMLINK -> Node.newBuilder().setSymlink(node.getSymlink().toBuilder().clearName()).build();
      case NODE_NOT_SET -> throw new AssertionError("PathInfo without a root node");
    };
  }
}
