package dev.narflow.ops.mirror;

import dev.narflow.chunker.nar.ImportStats;
import dev.narflow.chunker.store.ChunkStore;
import dev.narflow.indexer.Indexer;
import dev.narflow.indexer.MirrorStatus;
import dev.narflow.indexer.PathFailure;
import dev.narflow.indexer.PathStatus;
import dev.narflow.ingest.upstream.FetchException;
import dev.narflow.ingest.upstream.UpstreamClient;
import dev.narflow.ingest.worker.IngestListener;
import dev.narflow.ingest.worker.IngestWorker;
import dev.narflow.ops.ConfigurationException;
import dev.narflow.ops.FetchRequests;
import dev.narflow.topics.kafka.StorePathKey;
import dev.narflow.topics.nix.HashAlgorithm;
import dev.narflow.topics.nix.StorePath;
import dev.narflow.topics.v1.FetchFailure;
import dev.narflow.topics.v1.FetchRequest;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;
import org.apache.kafka.clients.producer.KafkaProducer;

/**
 * The whole pipeline in this process, for {@code narflow mirror}: the router and completeness
 * (one {@link Indexer}) and the ingest workers (one {@link IngestWorker} with {@code --workers}
 * NARs in flight), fed with a FetchRequest per requested path and followed through the indexer's
 * status view until every requested closure is complete or nothing more can happen.
 *
 * <p>Nothing here decides what to fetch: the router does (DESIGN §2). A rerun requests the roots
 * again (the router drops what is indexed) and every failed path of their closures (the router
 * forwards a request for a failed path again), so a rerun resumes and retries without
 * downloading anything twice.
 */
public final class MirrorPipeline implements MirrorRun {
  /** How often the roots are checked for completion: a few reads, so the run ends soon after they are done. */
  private static final Duration POLL = Duration.ofMillis(100);
  /**
   * How often the whole status (the walk of every requested closure in the local stores, for
   * progress and failures) is taken. Taken every 250 ms it cost 5-10 % of the CPU of a mirror
   * of 1,500 paths (async-profiler, ops/bench/mirror many, 2026-12-06); once a second is enough
   * for a progress line and for the failure settling below, which counts in seconds.
   */
  private static final Duration FULL_STATUS = Duration.ofSeconds(1);
  /**
   * With failures known, how long nothing may change (no status change, no NAR in flight) before
   * the run gives up on the rest: long enough for a request in Kafka to reach a worker.
   */
  private static final Duration SETTLED = Duration.ofSeconds(3);
  private static final Duration START_TIMEOUT = Duration.ofSeconds(120);
  /**
   * After a kill, the dead run's group members keep their partitions until their session
   * expires; the rerun is the only member that will ever come, so keep that wait short.
   */
  private static final Duration SESSION_TIMEOUT = Duration.ofSeconds(10);
  /**
   * Between this process's router and workers nothing is lost (both sides are transactional), so
   * a re-send only helps after a crash; the router's clock runs from the forward, queueing
   * included, so a short timeout would download a long backlog twice.
   */
  private static final Duration IN_FLIGHT_TIMEOUT = Duration.ofHours(2);
  /**
   * How long another instance of the indexer may be in the group before the run gives up: past
   * the session timeout, so that a killed run's members have expired.
   */
  static final Duration ALONE_WAIT = SESSION_TIMEOUT.plusSeconds(10);
  private static final Duration GROUP_CHECK = Duration.ofSeconds(5);
  /** How long a path re-requested for a retry may take to leave the failed state it had. */
  private static final Duration RETRY_NOTICE = Duration.ofSeconds(60);

  private final Duration aloneWait;

  public MirrorPipeline() {
    this(ALONE_WAIT);
  }

  /** With a shorter wait for another indexer instance to leave (tests). */
  MirrorPipeline(Duration aloneWait) {
    this.aloneWait = aloneWait;
  }

  @Override
  public int run(MirrorOptions options, MirrorEnvironment env) throws Exception {
    MirrorProgress progress = env.progress();
    List<StorePathKey> roots = options.paths().stream().map(StorePathKey::of).distinct().toList();
    checkUpstreams(options);
    Counters counters = new Counters(progress);
    try (ChunkStore store = env.chunkStore().openStore();
        Indexer indexer = Indexer.builder().kafka(indexerConfig(env)).topicPrefix(options.topicPrefix())
            .stateDir(env.dataDir().state().resolve("indexer")).inFlightTimeout(IN_FLIGHT_TIMEOUT).build();
        IngestWorker worker = IngestWorker.builder().kafka(workerKafka(env)).topicPrefix(options.topicPrefix())
            .chunkStore(store).trustedKeys(options.trustedKeys()).checkSignatures(options.checkSignatures())
            .maxInFlightNars(options.workers()).workerId(workerId(env)).sessionTimeout(SESSION_TIMEOUT)
            .groupId(IngestWorker.defaultGroupId(options.topicPrefix()))
            .listener(counters).build();
        KafkaProducer<StorePathKey, FetchRequest> requests =
            FetchRequests.producer(env.kafkaConfig(), "narflow-mirror-requests", options.topicPrefix())) {
      try (SoleIndexer sole = new SoleIndexer(env.kafkaConfig(), indexer.applicationId())) {
        sole.awaitEmpty(aloneWait, progress);
      }
      indexer.start();
      // The worker joins its group while the indexer joins its own: each takes a second or more,
      // and the worker needs nothing from the indexer (what it finds in its work topic, such as
      // requests a killed run left, it can take on at once).
      worker.start();
      if (!indexer.awaitRunning(START_TIMEOUT)) {
        throw new IllegalStateException("the indexer did not start within " + START_TIMEOUT.toSeconds() + " s");
      }
      Set<StorePath> asked = new LinkedHashSet<>(options.paths());
      // Failed paths of an earlier run: asking again is what retries them.
      Set<StorePathKey> retried = new LinkedHashSet<>();
      for (PathFailure f : indexer.status(roots, options.closure()).failures()) {
        try {
          StorePath path = StorePath.parse(f.storePath());
          if (asked.add(path)) retried.add(StorePathKey.of(path));
        } catch (IllegalArgumentException e) {
          // a failure naming no usable path (an undecodable request) cannot be asked for again
        }
      }
      Map<String, String> refused = FetchRequests.sendAll(requests, options.topicPrefix(),
          asked.stream().map(path -> FetchRequests.of(path, options.upstreams(), options.closure(), "cli")).toList());
      if (!refused.isEmpty()) {
        var first = refused.entrySet().iterator().next();
        throw new IllegalStateException("Kafka did not take the request for " + first.getKey() + ": " + first.getValue()
            + (refused.size() > 1 ? " (and " + (refused.size() - 1) + " more)" : ""));
      }
      try (SoleIndexer sole = new SoleIndexer(env.kafkaConfig(), indexer.applicationId())) {
        return follow(indexer, worker, sole, roots, retried, counters, env, options);
      }
    }
  }

  /**
   * Follows the status until every root is done (0), or until failures are all that is left (1):
   * nothing of the closures in flight, no retry of this run still to be picked up by the router,
   * and no change for {@link #SETTLED} (completion notices still in transit).
   */
  private int follow(Indexer indexer, IngestWorker worker, SoleIndexer sole, List<StorePathKey> roots,
      Set<StorePathKey> retried, Counters counters, MirrorEnvironment env, MirrorOptions options)
      throws InterruptedException, ConfigurationException {
    MirrorProgress progress = env.progress();
    MirrorStatus last = null;
    long start = System.nanoTime();
    long settledSince = start;
    long nextGroupCheck = start;
    long othersSince = -1;
    long nextFull = start;
    while (true) {
      worker.failure().ifPresent(e -> {
        throw new IllegalStateException("ingest worker stopped: " + e.getMessage(), e);
      });
      if (System.nanoTime() - nextGroupCheck > 0) {
        nextGroupCheck = System.nanoTime() + GROUP_CHECK.toNanos();
        Set<String> others = sole.others(indexer.consumerClientIds());
        if (others.isEmpty()) {
          othersSince = -1;
        } else if (othersSince < 0) {
          othersSince = System.nanoTime();
        } else if (System.nanoTime() - othersSince > aloneWait.toNanos()) {
          throw sole.another(others);
        }
      }
      if (last != null && System.nanoTime() < nextFull && !indexer.rootsDone(roots, options.closure())) {
        if (env.stop().await(POLL)) {
          progress.note("stopped before the mirror was complete; run the same command again to resume");
          return finish(indexer, last, counters, progress, 1);
        }
        continue;
      }
      nextFull = System.nanoTime() + FULL_STATUS.toNanos();
      MirrorStatus status = indexer.status(roots, options.closure());
      progress.update(counters.snapshot(status));
      // A retried path has been picked up once it is no longer listed as failed.
      Set<StorePathKey> failedNow = failedKeys(status);
      retried.removeIf(path -> !failedNow.contains(path));
      if (System.nanoTime() - start > RETRY_NOTICE.toNanos()) retried.clear();
      boolean changed = last == null || !sameProgress(last, status);
      if (changed || status.pathsInFlight() > 0 || !retried.isEmpty()) settledSince = System.nanoTime();
      last = status;
      if (status.complete()) {
        return finish(indexer, status, counters, progress, 0);
      }
      if (!status.failures().isEmpty() && System.nanoTime() - settledSince > SETTLED.toNanos()) {
        return finish(indexer, status, counters, progress, 1);
      }
      if (env.stop().await(POLL)) {
        progress.note("stopped before the mirror was complete; run the same command again to resume");
        return finish(indexer, status, counters, progress, 1);
      }
    }
  }

  private static Set<StorePathKey> failedKeys(MirrorStatus status) {
    Set<StorePathKey> keys = new HashSet<>();
    for (PathFailure f : status.failures()) {
      try {
        keys.add(StorePathKey.of(StorePath.parse(f.storePath())));
      } catch (IllegalArgumentException e) {
        // names no usable path: nothing of this run waits for it
      }
    }
    return keys;
  }

  private static boolean sameProgress(MirrorStatus a, MirrorStatus b) {
    return a.pathsKnown() == b.pathsKnown() && a.pathsIndexed() == b.pathsIndexed()
        && a.pathsInFlight() == b.pathsInFlight()
        && a.pathsClosureComplete() == b.pathsClosureComplete() && a.failures().size() == b.failures().size();
  }

  private static int finish(Indexer indexer, MirrorStatus status, Counters counters, MirrorProgress progress,
      int exit) {
    List<FailedPath> failures = status.failures().stream()
        .map(f -> new FailedPath(f.storePath(), f.reason(), f.upstreamStatus(), f.message())).toList();
    Map<String, List<String>> waiting = new LinkedHashMap<>();
    status.waiting().forEach((path, on) -> waiting.put(name(indexer, path),
        on.stream().map(p -> name(indexer, p)).sorted().collect(Collectors.toList())));
    if (exit == 0 && !failures.isEmpty()) exit = 1;
    progress.finish(MirrorSummary.of(counters.snapshot(status), progress.elapsed(), failures, waiting));
    return exit;
  }

  /** The full store path where the index knows its name, else its hash part. */
  private static String name(Indexer indexer, StorePathKey path) {
    try {
      PathStatus s = indexer.pathStatus(path);
      if (s != null && s.baseName() != null && !s.baseName().isEmpty()) return "/nix/store/" + s.baseName();
    } catch (IllegalStateException e) {
      // the name is a nicety; the hash part identifies the path
    }
    return path.hashPart();
  }

  /** An upstream that is misconfigured or unreachable is the operator's to fix: exit 2, one line. */
  private static void checkUpstreams(MirrorOptions options) throws ConfigurationException {
    try (UpstreamClient client = UpstreamClient.builder().upstreams(options.upstreams())
        .trustedKeys(options.trustedKeys()).checkSignatures(options.checkSignatures()).maxAttempts(2).build()) {
      client.checkUpstreams();
    } catch (FetchException e) {
      throw new ConfigurationException("upstream: " + e.getMessage(), e);
    }
  }

  /**
   * Every hop of a path through the pipeline (request, route, index) becomes visible only when
   * the indexer commits its transaction: a short interval keeps a closure 20 levels deep from
   * waiting 20 commit intervals. One process, one broker, one partition: commits are cheap.
   * Measured on ops/bench/mirror's many-paths corpus (2026-12-06): the last, narrow levels of the
   * closure took 0.55 s each at 200 ms and 50 ms of fetch wait, 0.42 s with fetch waits of 50 ms,
   * 0.34 s with both at 50 ms, with no more CPU (33.3 CPU s against 37.4, on a quieter machine).
   */
  private static Map<String, Object> indexerConfig(MirrorEnvironment env) {
    Map<String, Object> config = env.kafkaConfig();
    config.put("commit.interval.ms", 50);
    // Under transactions v2 the first send of a transaction to a partition whose previous commit
    // markers are still being written fails with CONCURRENT_TRANSACTIONS and is retried after
    // retry.backoff.ms (100 ms by default): hundreds of such retries in a 1,500-path mirror
    // (its log, 2026-12-06), each holding back a commit, so each hop, by up to half an interval.
    // On one local broker a short backoff costs nothing.
    config.put("producer.retry.backoff.ms", 10);
    // A read_committed fetch waits up to fetch.max.wait.ms (500 ms) for data; transactions of the
    // pipeline's other side may commit anywhere in that wait.
    config.put("consumer.fetch.max.wait.ms", 50);
    config.put("main.consumer.session.timeout.ms", (int) SESSION_TIMEOUT.toMillis());
    config.put("main.consumer.heartbeat.interval.ms", (int) SESSION_TIMEOUT.toMillis() / 3);
    return config;
  }

  /** The worker waits for the router's requests as the router waits for the worker's (above). */
  private static Map<String, Object> workerKafka(MirrorEnvironment env) {
    Map<String, Object> config = env.kafkaConfig();
    config.put("fetch.max.wait.ms", 50);
    return config;
  }

  /**
   * One transactional id per host and data directory: a restarted mirror fences its predecessor's
   * open transaction at once, and two mirrors on two machines never fence each other.
   */
  private static String workerId(MirrorEnvironment env) {
    String host;
    try {
      host = InetAddress.getLocalHost().getHostName();
    } catch (UnknownHostException e) {
      host = "localhost";
    }
    byte[] dir = env.dataDir().root().toAbsolutePath().normalize().toString().getBytes(StandardCharsets.UTF_8);
    String dirHash = HexFormat.of().formatHex(Arrays.copyOf(HashAlgorithm.SHA256.newDigest().digest(dir), 6));
    return "narflow-mirror-" + host + "-" + dirHash;
  }

  /** What this run's worker did, for the progress line and the summary. Thread-safe. */
  private static final class Counters implements IngestListener {
    private final MirrorProgress progress;
    private final AtomicLong narBytesRead = new AtomicLong();
    private final AtomicLong narBytesIngested = new AtomicLong();
    private final AtomicLong storedBytes = new AtomicLong();

    Counters(MirrorProgress progress) {
      this.progress = progress;
    }

    @Override
    public void bytesRead(long narBytes) {
      narBytesRead.addAndGet(narBytes);
    }

    @Override
    public void indexed(StorePath path, ImportStats stats, long narSize, long fileSize) {
      narBytesIngested.addAndGet(narSize);
      storedBytes.addAndGet(stats.storedBytes());
      progress.pathDone(path.absolute(), narSize, stats.storedBytes());
    }

    @Override
    public void failed(StorePath path, FetchFailure failure) {
      progress.failed(new FailedPath(path.absolute(), failure.getReason(), failure.getUpstreamStatus(),
          failure.getMessage()));
    }

    MirrorCounters snapshot(MirrorStatus status) {
      return new MirrorCounters(status.pathsKnown(), status.pathsClosureComplete(), status.failures().size(),
          narBytesRead.get(), -1, narBytesIngested.get(), storedBytes.get());
    }
  }
}
