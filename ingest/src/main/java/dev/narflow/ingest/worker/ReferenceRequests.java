package dev.narflow.ingest.worker;

import dev.narflow.topics.kafka.NarflowTopic;
import dev.narflow.topics.kafka.StorePathKey;
import dev.narflow.topics.kafka.StorePathMessages;
import dev.narflow.topics.nix.StorePath;
import dev.narflow.topics.v1.FetchRequest;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Future;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;

/**
 * Sends the FetchRequests for a path's references to narflow.requests as soon as its narinfo is
 * verified, so that closure discovery runs ahead of the downloads instead of one level per import.
 *
 * <p>They go through their own idempotent, non-transactional producer rather than the path's
 * transaction: the transaction is opened only once the NAR is imported, minutes later for a big
 * one, and a desktop closure is 20-30 levels deep. Sending them early and outside the transaction
 * is safe because requests are idempotent (the router drops paths indexed or in flight): a
 * duplicate after a crash or retry costs one lookup. The worker waits for their acknowledgement
 * before it commits the path, so a committed path never lacks its reference requests.
 */
final class ReferenceRequests {
  private final Producer<byte[], byte[]> producer;
  private final NarflowTopic<StorePathKey, FetchRequest> topic;

  ReferenceRequests(Producer<byte[], byte[]> producer, NarflowTopic<StorePathKey, FetchRequest> topic) {
    this.producer = producer;
    this.topic = topic;
  }

  /** Sends one request per reference of {@code parent} other than itself; returns the sends. */
  List<Future<RecordMetadata>> send(StorePath parent, FetchRequest parentRequest, Iterable<StorePath> references) {
    List<Future<RecordMetadata>> sends = new ArrayList<>();
    long now = System.currentTimeMillis();
    for (StorePath reference : references) {
      if (reference.equals(parent)) continue; // self-references are common and mean nothing here
      FetchRequest request = FetchRequest.newBuilder()
          .setStorePath(StorePathMessages.toMessage(reference))
          .setUpstreamUrl(parentRequest.getUpstreamUrl())
          .setClosure(true)
          .setOrigin("closure:" + parent.baseName())
          .setAttempt(1)
          .setEnqueuedAtMs(now)
          .build();
      StorePathKey key = StorePathKey.of(reference);
      sends.add(producer.send(new ProducerRecord<>(topic.name(),
          topic.keySerde().serializer().serialize(topic.name(), key),
          topic.valueSerde().serializer().serialize(topic.name(), request))));
    }
    return sends;
  }
}
