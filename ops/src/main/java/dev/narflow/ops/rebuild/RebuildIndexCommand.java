package dev.narflow.ops.rebuild;

import dev.narflow.chunker.nar.ChunkAudit;
import dev.narflow.chunker.store.ChunkStore;
import dev.narflow.exporter.views.ExporterViews;
import dev.narflow.indexer.IndexSurvey;
import dev.narflow.indexer.Indexer;
import dev.narflow.ops.ChunkStoreLocation;
import dev.narflow.ops.ClusterOptions;
import dev.narflow.ops.ConfigOption;
import dev.narflow.ops.ConfigurationException;
import dev.narflow.ops.GroupLag;
import dev.narflow.ops.KafkaOptions;
import dev.narflow.ops.KafkaSetup;
import dev.narflow.ops.embedded.DataDir;
import dev.narflow.topics.castore.B3Digest;
import dev.narflow.topics.kafka.IndexRecords;
import dev.narflow.topics.kafka.NarflowTopics;
import dev.narflow.topics.nix.StoreDir;
import dev.narflow.topics.nix.StorePath;
import dev.narflow.topics.store.v1.PathInfo;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.common.TopicPartition;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code narflow rebuild-index}: computes every view again from {@code narflow.index} alone, with
 * a fresh indexer (its own application id, routing off, so no old request reaches a worker) and
 * fresh exporter views, and says what it found. It is the check that the index topic really is
 * the source of truth: what it reports is what any new indexer and exporter would serve. The
 * rebuild's own topics, group and state are removed afterwards; the running views are untouched.
 */
@Command(
    name = "rebuild-index",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    description = {
      "Rebuilds the views from narflow.index alone and prints what it found: paths, closure-complete paths,"
          + " directories, blobs, and what incomplete closures wait on.",
      "With --verify-chunks, also checks that every chunk a closure-complete path needs is in the chunk store"
          + " (asking for each, downloading none) and names the paths that would fail.",
      "Against a cluster (--bootstrap-servers) --data may be left out: the rebuild's state then lives in a"
          + " temporary directory, and --verify-chunks needs --chunk-store.",
      "Exits 0 when every path is closure-complete (and has every chunk), 1 otherwise, 2 for bad usage.",
    })
public final class RebuildIndexCommand implements Callable<Integer> {
  private static final Duration QUIET = Duration.ofSeconds(1);
  private static final Duration START_TIMEOUT = Duration.ofMinutes(10);
  private static final int MAX_LISTED = 50;

  @Spec CommandSpec spec;

  @CommandLine.Mixin ConfigOption config;

  @CommandLine.Mixin ClusterOptions cluster;

  @Option(names = "--verify-chunks",
      description = "Also check that the chunks of every closure-complete path exist (env NARFLOW_VERIFY_CHUNKS=1).")
  boolean verifyChunks;

  private final Map<String, String> environment;

  public RebuildIndexCommand(Map<String, String> environment) {
    this.environment = Map.copyOf(environment);
  }

  @Override
  public Integer call() throws Exception {
    if (verifyChunks && cluster.scratchOnly() && !cluster.chunkStoreGiven()) {
      throw new CommandLine.ParameterException(spec.commandLine(),
          "--verify-chunks without --data needs --chunk-store URL: where the chunks to check are");
    }
    try (ClusterOptions.Session mirror = cluster.openScratch(environment)) {
      return rebuild(mirror.kafka(), mirror.topicPrefix(), mirror.dataDir(), mirror.chunks(),
          spec.commandLine().getOut(), spec.commandLine().getErr());
    }
  }

  private int rebuild(Map<String, Object> kafka, String prefix, DataDir dataDir, ChunkStoreLocation chunks,
      PrintWriter out, PrintWriter err) throws Exception {
    long started = System.nanoTime();
    String stamp = Long.toString(System.currentTimeMillis());
    String applicationId = prefix + "narflow-rebuild-" + stamp;
    Path state = dataDir.state().resolve("rebuild-" + stamp);
    Map<String, Object> config = new HashMap<>(kafka);
    config.put("commit.interval.ms", 200);
    try (ChunkStore store = chunks.openStore();
        Indexer indexer = Indexer.builder().kafka(config).topicPrefix(prefix).applicationId(applicationId)
            .stateDir(state.resolve("indexer")).routing(false).build()) {
      indexer.start();
      if (!indexer.awaitRunning(START_TIMEOUT)) throw new IOException("the rebuild's indexer did not start");
      err.println("rebuilding from " + NarflowTopics.INDEX.withPrefix(prefix).name() + " as " + applicationId);
      err.flush();
      awaitCaughtUp(kafka, applicationId, List.of(NarflowTopics.INDEX.withPrefix(prefix).name(),
          applicationId + ".completion"));
      IndexSurvey survey = indexer.survey(MAX_LISTED);
      try (ExporterViews views = ExporterViews.builder().kafka(kafka).topicPrefix(prefix)
          .applicationId(applicationId + "-views").indexerApplicationId(applicationId)
          .stateDir(state.resolve("views")).build()) {
        views.start();
        if (!views.awaitRunning(START_TIMEOUT)) throw new IOException("the rebuild's views did not catch up");
        ExporterViews.CastoreCounts counts = views.castoreCounts();
        out.println(String.format(Locale.ROOT, "index: %d paths, %d closure-complete, %d incomplete; %d directories,"
                + " %d blobs (%.1f s)", survey.paths(), survey.closureComplete(), survey.incomplete(),
            counts.directories(), counts.blobs(), (System.nanoTime() - started) / 1e9));
        survey.waiting().forEach((path, on) -> out.println("incomplete: " + path + " waits on " + String.join(" ", on)));
        if (survey.incomplete() > survey.waiting().size()) {
          out.println("incomplete: … and " + (survey.incomplete() - survey.waiting().size()) + " more");
        }
        long missingPaths = verifyChunks ? verify(views, store, out) : 0;
        out.flush();
        return survey.incomplete() == 0 && missingPaths == 0 ? 0 : 1;
      }
    } finally {
      cleanUp(kafka, applicationId, state, err);
    }
  }

  /** Every closure-complete path's chunks; one line per path that lacks any. */
  private static long verify(ExporterViews views, ChunkStore store, PrintWriter out) {
    AtomicLong checked = new AtomicLong();
    AtomicLong failing = new AtomicLong();
    views.forEachServablePath(info -> {
      checked.incrementAndGet();
      List<B3Digest> missing;
      try {
        missing = ChunkAudit.missing(info.getNode(), d -> views.directory(d).orElse(null), store, 3);
      } catch (IOException e) {
        failing.incrementAndGet();
        out.println("missing: " + name(info) + ": " + e.getMessage());
        return;
      }
      if (!missing.isEmpty()) {
        failing.incrementAndGet();
        out.println("missing: " + name(info) + ": chunk " + missing.get(0).hex()
            + (missing.size() > 1 ? " and more" : "") + " not in the chunk store");
      }
    });
    out.println("chunks: " + checked.get() + " closure-complete paths checked, " + failing.get() + " would fail");
    return failing.get();
  }

  private static String name(PathInfo info) {
    return StoreDir.DEFAULT.print(StorePath.parseBaseName(IndexRecords.baseNameOf(info)));
  }

  /**
   * Until the application's committed offsets have reached the end of {@code topics} (read
   * committed) twice in a row, a second apart: the index is read and the completion notices it
   * caused are all delivered.
   */
  private static void awaitCaughtUp(Map<String, Object> kafka, String group, List<String> topics)
      throws InterruptedException, ExecutionException, ConfigurationException {
    try (Admin admin = KafkaSetup.openAdmin(kafka, KafkaOptions.ADMIN_TIMEOUT)) {
      List<TopicPartition> partitions = new ArrayList<>();
      admin.describeTopics(topics).allTopicNames().get().forEach((name, d) ->
          d.partitions().forEach(p -> partitions.add(new TopicPartition(name, p.partition()))));
      int quiet = 0;
      while (quiet < 2) {
        Thread.sleep(QUIET.toMillis());
        boolean caughtUp = GroupLag.of(admin, group, partitions).values().stream().allMatch(lag -> lag == 0);
        quiet = caughtUp ? quiet + 1 : 0;
      }
    }
  }

  /** The rebuild's topics, group and state go; what the running services use stays. */
  private static void cleanUp(Map<String, Object> kafka, String applicationId, Path state, PrintWriter err) {
    try (Admin admin = Admin.create(KafkaSetup.adminConfig(kafka, KafkaOptions.ADMIN_TIMEOUT))) {
      List<String> own = admin.listTopics().names().get().stream().filter(t -> t.startsWith(applicationId)).toList();
      if (!own.isEmpty()) admin.deleteTopics(own).all().get();
      admin.deleteConsumerGroups(List.of(applicationId)).all().get();
    } catch (ExecutionException | RuntimeException e) {
      err.println("narflow rebuild-index: could not remove the rebuild's topics or group " + applicationId + ": "
          + e.getMessage());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    try {
      DataDir.deleteTree(state);
    } catch (IOException e) {
      err.println("narflow rebuild-index: could not remove " + state + ": " + e.getMessage());
    }
    err.flush();
  }
}
