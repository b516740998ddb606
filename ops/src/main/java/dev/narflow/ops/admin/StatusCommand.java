package dev.narflow.ops.admin;

import dev.narflow.ops.ConfigOption;
import dev.narflow.ops.KafkaOptions;
import dev.narflow.ops.Narflow;
import dev.narflow.ops.OptionDefaults;
import dev.narflow.ops.StopSignal;
import dev.narflow.ops.StorePathArguments;
import dev.narflow.topics.kafka.StorePathKey;
import dev.narflow.topics.nix.StorePath;
import dev.narflow.topics.v1.FetchFailure;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code narflow status}: what a cluster's mirror holds and lacks, from its topics: paths indexed
 * and closure-complete, failures by reason, consumer lag, and for named paths whether their
 * closures are complete and, if not, what they wait on.
 */
@Command(
    name = "status",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    description = {
      "Shows the mirror's progress: paths indexed and closure-complete, failures by reason, consumer lag of the"
          + " workers and the indexer; for each STORE_PATH, whether its closure is complete, what failed in it, or"
          + " what it still waits on.",
      "Exits 0 when every STORE_PATH's closure is complete, 1 otherwise. With --wait it follows the topics until"
          + " they are complete (0) or a path of their closures failed (1). 2 for bad usage or an unreachable Kafka.",
      "Every option also reads an environment variable named after it (--wait from NARFLOW_WAIT=1, …),"
          + " and then the --config file.",
      "Example: narflow status --bootstrap-servers kafka:9092 --wait /nix/store/<hash>-hello-2.12",
    })
public final class StatusCommand implements Callable<Integer> {
  private static final Duration REFRESH = Duration.ofSeconds(1);
  private static final Duration PROGRESS = Duration.ofSeconds(10);
  private static final int MAX_LISTED = 20;

  @Spec CommandSpec spec;

  @CommandLine.Mixin ConfigOption config;

  @CommandLine.Mixin KafkaOptions cluster;

  @Option(names = "--wait",
      description = "Follow until every STORE_PATH's closure is complete, or one of their paths failed"
          + " (env NARFLOW_WAIT=1).")
  boolean await;

  @Option(names = "--timeout", paramLabel = "SECONDS", defaultValue = "0",
      description = "With --wait, give up after this long, exit 1 (env NARFLOW_TIMEOUT, default ${DEFAULT-VALUE}:"
          + " no limit).")
  long timeout;

  @CommandLine.Mixin StorePathArguments storePaths;

  @Override
  public Integer call() throws Exception {
    List<StorePath> named = storePaths.paths(false);
    List<StorePathKey> roots = named.stream().map(StorePathKey::of).distinct().toList();
    if (await && roots.isEmpty()) {
      throw new CommandLine.ParameterException(spec.commandLine(), "--wait needs STORE_PATHs (or --paths-from FILE)");
    }
    if (timeout < 0) throw OptionDefaults.invalid(spec, "--timeout", Long.toString(timeout), "must be 0 or more");
    String prefix = cluster.topicPrefix();
    Map<String, Object> kafka = cluster.checked();
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    long started = System.nanoTime();
    long deadline = started + Duration.ofSeconds(timeout).toNanos();
    try (StopSignal stop = StopSignal.install(Duration.ofSeconds(10)); ClusterStatus status = new ClusterStatus(kafka, prefix)) {
      named.forEach(p -> status.nameAs(StorePathKey.of(p), p.absolute()));
      long nextProgress = System.nanoTime() + PROGRESS.toNanos();
      while (true) {
        status.catchUp();
        List<ClusterStatus.Root> states = roots.stream().map(status::root).toList();
        boolean complete = states.stream().allMatch(ClusterStatus.Root::complete);
        boolean failed = states.stream().anyMatch(r -> !r.failed().isEmpty());
        if (!await || complete || failed) {
          report(status, states, out);
          return complete ? 0 : Narflow.EXIT_FAILURE;
        }
        if ((timeout > 0 && System.nanoTime() - deadline > 0) || stop.await(REFRESH)) {
          report(status, states, out);
          err.println("narflow status: " + (stop.requested() ? "stopped" : "gave up after " + timeout + " s")
              + " before the closures were complete");
          err.flush();
          return Narflow.EXIT_FAILURE;
        }
        if (System.nanoTime() - nextProgress > 0) {
          nextProgress = System.nanoTime() + PROGRESS.toNanos();
          long done = states.stream().filter(ClusterStatus.Root::complete).count();
          err.println(String.format(Locale.ROOT, "narflow status: %d of %d complete; %d paths indexed, %d closure-complete"
              + " (%.0f s)", done, states.size(), status.indexedPaths(), status.closureComplete(),
              (System.nanoTime() - started) / 1e9));
          err.flush();
        }
      }
    }
  }

  private static void report(ClusterStatus status, List<ClusterStatus.Root> roots, PrintWriter out) throws Exception {
    Map<StorePathKey, FetchFailure> failures = status.failures();
    out.println("paths: " + status.indexedPaths() + " indexed, " + status.closureComplete() + " closure-complete, "
        + status.incomplete() + " waiting, " + failures.size() + " failed");
    if (!failures.isEmpty()) {
      Map<String, Long> byReason = new TreeMap<>(failures.values().stream()
          .collect(Collectors.groupingBy(f -> f.getReason().name(), Collectors.counting())));
      out.println("failures: " + byReason.entrySet().stream().map(e -> e.getKey() + " " + e.getValue())
          .collect(Collectors.joining(", ")));
    }
    status.lag().forEach((group, lag) -> out.println("lag: " + group + " " + lag + " records"));
    for (ClusterStatus.Root r : roots) {
      String name = status.name(r.root());
      if (r.complete()) {
        out.println(name + ": complete");
      } else if (!r.failed().isEmpty()) {
        r.failed().entrySet().stream().limit(MAX_LISTED).forEach(e -> out.println(name + ": failed: "
            + status.name(e.getKey()) + ": " + describe(e.getValue())));
      } else {
        out.println(name + ": waiting on " + r.missing().stream().limit(MAX_LISTED).map(status::name)
            .collect(Collectors.joining(" ")) + (r.missing().size() > MAX_LISTED ? " …" : "")
            + (r.missing().isEmpty() ? "its completion (being resolved)" : ""));
      }
    }
    out.flush();
  }

  private static String describe(FetchFailure f) {
    return f.getReason().name() + (f.getUpstreamStatus() != 0 ? " (HTTP " + f.getUpstreamStatus() + ")" : "")
        + (f.getMessage().isEmpty() ? "" : ": " + f.getMessage().replace('\n', ' '));
  }
}
