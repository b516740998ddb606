package dev.narflow.ops.admin;

import dev.narflow.ops.ConfigOption;
import dev.narflow.ops.FetchRequests;
import dev.narflow.ops.KafkaOptions;
import dev.narflow.ops.Narflow;
import dev.narflow.ops.StorePathArguments;
import dev.narflow.ops.UpstreamOptions;
import dev.narflow.topics.kafka.StorePathKey;
import dev.narflow.topics.nix.StorePath;
import dev.narflow.topics.v1.FetchRequest;
import java.io.PrintWriter;
import java.net.URI;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.apache.kafka.clients.producer.KafkaProducer;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code narflow enqueue}: asks a cluster's workers to mirror paths (and their closures), and returns. */
@Command(
    name = "enqueue",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    description = {
      "Requests store paths, with their closures, for mirroring by a cluster's workers, and returns once Kafka has"
          + " the requests. Paths already mirrored are dropped by the indexer; failed ones are tried again.",
      "Follow them with: narflow status --wait STORE_PATH…",
      "Exits 0 once every request is in Kafka, 1 naming the paths Kafka did not take, 2 for bad usage or an"
          + " unreachable Kafka.",
      "Every option also reads an environment variable named after it (--upstream from NARFLOW_UPSTREAM, …),"
          + " and then the --config file.",
      "Example: narflow enqueue --bootstrap-servers kafka:9092 --paths-from store-paths.xz",
    })
public final class EnqueueCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @CommandLine.Mixin ConfigOption config;

  @CommandLine.Mixin KafkaOptions cluster;

  @CommandLine.Mixin UpstreamOptions upstreams;

  @Option(names = "--no-closure",
      description = "Request just the given paths, not what they reference (env NARFLOW_NO_CLOSURE=1).")
  boolean noClosure;

  @CommandLine.Mixin StorePathArguments storePaths;

  @Override
  public Integer call() throws Exception {
    List<URI> from = upstreams.upstreams();
    List<StorePath> paths = storePaths.paths(true);
    String prefix = cluster.topicPrefix();
    Map<String, Object> kafka = cluster.checked();
    Map<String, String> refused;
    try (KafkaProducer<StorePathKey, FetchRequest> producer = FetchRequests.producer(kafka, "narflow-enqueue", prefix)) {
      refused = FetchRequests.sendAll(producer, prefix,
          paths.stream().map(path -> FetchRequests.of(path, from, !noClosure, "enqueue")).toList());
    }
    PrintWriter err = spec.commandLine().getErr();
    if (!refused.isEmpty()) {
      refused.forEach((path, why) -> err.println("narflow enqueue: not requested: " + path + ": " + why));
      err.println("narflow enqueue: " + refused.size() + " of " + paths.size() + " requests not taken by Kafka");
      err.flush();
      return Narflow.EXIT_FAILURE;
    }
    err.println("narflow enqueue: " + paths.size() + (paths.size() == 1 ? " path" : " paths") + " requested"
        + (noClosure ? "" : " with their closures"));
    err.flush();
    return 0;
  }
}
