package dev.narflow.ops;

import dev.narflow.topics.kafka.NarflowTopic;
import dev.narflow.topics.kafka.NarflowTopics;
import dev.narflow.topics.kafka.StorePathKey;
import dev.narflow.topics.kafka.StorePathMessages;
import dev.narflow.topics.nix.StorePath;
import dev.narflow.topics.v1.FetchRequest;
import java.net.URI;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.stream.Collectors;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.KafkaException;

/** Requests to mirror a path, as {@code narflow mirror} and {@code narflow enqueue} send them to {@code narflow.requests}. */
public final class FetchRequests {
  private FetchRequests() {}

  /** A first request for {@code path}: from {@code origin}, to be fetched from {@code upstreams} in order. */
  public static FetchRequest of(StorePath path, List<URI> upstreams, boolean closure, String origin) {
    return FetchRequest.newBuilder()
        .setStorePath(StorePathMessages.toMessage(path))
        .setUpstreamUrl(upstreams.stream().map(URI::toString).collect(Collectors.joining(" ")))
        .setClosure(closure)
        .setOrigin(origin)
        .setAttempt(1)
        .setEnqueuedAtMs(System.currentTimeMillis())
        .build();
  }

  /** An idempotent producer of requests; the router drops duplicates, so a resend is harmless. */
  public static KafkaProducer<StorePathKey, FetchRequest> producer(Map<String, Object> kafka, String clientId,
      String topicPrefix) {
    Map<String, Object> config = new HashMap<>(kafka);
    config.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
    config.put(ProducerConfig.ACKS_CONFIG, "all");
    config.put(ProducerConfig.CLIENT_ID_CONFIG, clientId);
    NarflowTopic<StorePathKey, FetchRequest> topic = NarflowTopics.REQUESTS.withPrefix(topicPrefix);
    try {
      return new KafkaProducer<>(config, topic.keySerde().serializer(), topic.valueSerde().serializer());
    } catch (KafkaException e) {
      throw new IllegalStateException("cannot create the request producer: " + e.getMessage(), e);
    }
  }

  /**
   * Sends every request and waits until Kafka has each: the store paths whose request it did
   * not take (authorization, a timeout, …) with the reason, in order; empty when all went in.
   */
  public static Map<String, String> sendAll(KafkaProducer<StorePathKey, FetchRequest> producer, String topicPrefix,
      List<FetchRequest> requests) throws InterruptedException {
    List<Future<RecordMetadata>> sent = new ArrayList<>(requests.size());
    for (FetchRequest request : requests) sent.add(producer.send(record(topicPrefix, request)));
    producer.flush();
    Map<String, String> refused = new LinkedHashMap<>();
    for (int i = 0; i < sent.size(); i++) {
      try {
        sent.get(i).get();
      } catch (ExecutionException e) {
        dev.narflow.topics.store.v1.StorePath p = requests.get(i).getStorePath();
        String name = "/nix/store/" + StorePathKey.of(p.getDigest().toByteArray()).hashPart() + "-" + p.getName();
        refused.put(name, e.getCause() == null ? e.toString() : e.getCause().getMessage());
      }
    }
    return refused;
  }

  /** The record of {@code request} for the requests topic. */
  public static ProducerRecord<StorePathKey, FetchRequest> record(String topicPrefix, FetchRequest request) {
    StorePathKey key = StorePathKey.of(request.getStorePath().getDigest().toByteArray());
    return new ProducerRecord<>(NarflowTopics.REQUESTS.withPrefix(topicPrefix).name(), key, request);
  }
}
