package dev.narflow.ops.admin;

import dev.narflow.ops.ConfigOption;
import dev.narflow.ops.FetchRequests;
import dev.narflow.ops.KafkaOptions;
import dev.narflow.ops.Narflow;
import dev.narflow.ops.StorePathArguments;
import dev.narflow.ops.UpstreamOptions;
import dev.narflow.topics.kafka.StorePathKey;
import dev.narflow.topics.kafka.StorePathMessages;
import dev.narflow.topics.nix.StorePath;
import dev.narflow.topics.v1.FetchRequest;
import java.io.PrintWriter;
import java.net.URI;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
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
          + " the requests. Paths already mirrored are dropped by the indexer; a named path that failed is tried"
          + " again, and with --retry-failed so are the failed paths of the named paths' closures.",
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

  @Option(names = "--retry-failed",
      description = "Also request again every failed path of the named paths' closures, as a rerun of narflow mirror"
          + " does; reads the index and failures topics first, as narflow status does (about 100 bytes of memory"
          + " a path: fine for a channel, not for all of a large cache) (env NARFLOW_RETRY_FAILED=1).")
  boolean retryFailed;

  @CommandLine.Mixin StorePathArguments storePaths;

  @Override
  public Integer call() throws Exception {
    List<URI> from = upstreams.upstreams();
    if (retryFailed && noClosure) {
      throw new CommandLine.ParameterException(spec.commandLine(),
          "--retry-failed retries the failed paths of closures; with --no-closure there are none to retry");
    }
    List<StorePath> paths = storePaths.paths(true);
    String prefix = cluster.topicPrefix();
    Map<String, Object> kafka = cluster.checked();
    List<FetchRequest> requests = new ArrayList<>(
        paths.stream().map(path -> FetchRequests.of(path, from, !noClosure, "enqueue")).toList());
    int named = requests.size();
    if (retryFailed) requests.addAll(failedInClosures(kafka, prefix, paths, from));
    Map<String, String> refused;
    try (KafkaProducer<StorePathKey, FetchRequest> producer = FetchRequests.producer(kafka, "narflow-enqueue", prefix)) {
      refused = FetchRequests.sendAll(producer, prefix, requests);
    }
    PrintWriter err = spec.commandLine().getErr();
    if (!refused.isEmpty()) {
      refused.forEach((path, why) -> err.println("narflow enqueue: not requested: " + path + ": " + why));
      err.println("narflow enqueue: " + refused.size() + " of " + requests.size() + " requests not taken by Kafka");
      err.flush();
      return Narflow.EXIT_FAILURE;
    }
    int again = requests.size() - named;
    err.println("narflow enqueue: " + paths.size() + (paths.size() == 1 ? " path" : " paths") + " requested"
        + (noClosure ? "" : " with their closures")
        + (retryFailed ? ", and " + again + " failed " + (again == 1 ? "path" : "paths") + " of them again" : ""));
    err.flush();
    return 0;
  }

  /**
   * A new request for each path of the closures of {@code roots} that failed and was not asked for
   * since: the router forwards an operator's request for a failed path, so this retries it. Each
   * goes to {@code upstreams}, the ones named now, like the roots' requests.
   */
  private static List<FetchRequest> failedInClosures(Map<String, Object> kafka, String prefix, List<StorePath> roots,
      List<URI> upstreams) {
    Set<StorePathKey> asked = new HashSet<>();
    roots.forEach(root -> asked.add(StorePathKey.of(root)));
    List<FetchRequest> again = new ArrayList<>();
    try (ClusterStatus status = new ClusterStatus(kafka, prefix)) {
      status.catchUp();
      for (StorePath root : roots) {
        status.root(StorePathKey.of(root)).failed().forEach((key, failure) -> {
          try {
            StorePath path = StorePathMessages.fromMessage(failure.getRequest().getStorePath());
            if (asked.add(key)) again.add(FetchRequests.of(path, upstreams, true, "enqueue"));
          } catch (IllegalArgumentException e) {
            // a failure naming no usable path (an undecodable request) cannot be asked for again
          }
        });
      }
    }
    return again;
  }
}
