package dev.narflow.indexer;

import com.google.protobuf.Message;
import dev.narflow.indexer.v1.Route;
import dev.narflow.topics.kafka.NarflowSerdes;
import dev.narflow.topics.kafka.NarflowTopic;
import dev.narflow.topics.kafka.NarflowTopics;
import dev.narflow.topics.kafka.ProtobufSerde;
import dev.narflow.topics.kafka.StorePathKey;
import dev.narflow.topics.store.v1.PathInfo;
import dev.narflow.topics.v1.FetchFailure;
import dev.narflow.topics.v1.FetchRequest;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.Closeable;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.RecordsToDelete;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.Metric;
import org.apache.kafka.common.MetricName;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.apache.kafka.common.serialization.BytesSerializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.common.utils.Utils;
import org.apache.kafka.streams.CloseOptions;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StoreQueryParameters;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.errors.InvalidStateStoreException;
import org.apache.kafka.streams.errors.LogAndContinueExceptionHandler;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler;
import org.apache.kafka.streams.processor.StateRestoreListener;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.QueryableStoreTypes;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;
import org.apache.kafka.streams.state.Stores;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The indexer: one Kafka Streams application that routes requests to the workers and tracks
 * the completeness of every indexed path (DESIGN.md §2), with a status view over its stores.
 *
 * <p>Its state lives in RocksDB stores under {@code stateDir}, each backed by a changelog: a
 * restart with the same state dir and application id resumes from the committed offsets with
 * the stores as they were; a restart elsewhere restores them from the changelogs, not by
 * replaying the input topics.
 *
 * <p>{@link #status} reads this instance's local stores, which cover every partition when this
 * instance runs alone (as in {@code narflow mirror}'s embedded mode). A status across several
 * instances (querying the others' stores) belongs to the later {@code narflow status}.
 */
public final class Indexer implements Closeable {
  private static final Logger LOG = LoggerFactory.getLogger(Indexer.class);
  /** How long status() waits for stores that are briefly unavailable (a rebalance, a restore). */
  private static final Duration STORE_WAIT = Duration.ofSeconds(30);

  private final Map<String, Object> kafka;
  private final String topicPrefix;
  private final String applicationId;
  private final Path stateDir;
  private final Duration inFlightTimeout;
  private final boolean routing;
  private final AtomicReference<Throwable> failure = new AtomicReference<>();
  private final AtomicLong recordsRestored = new AtomicLong();
  private volatile KafkaStreams streams;
  /** Of every narflow topic (they share one count); known once started. */
  private volatile int partitions;
  private ScheduledExecutorService purger;

  private Indexer(Builder b) {
    this.kafka = Map.copyOf(b.kafka);
    this.topicPrefix = b.topicPrefix;
    // Two narflow deployments on one cluster differ by topic prefix; their groups must differ too.
    this.applicationId = b.applicationId != null ? b.applicationId : defaultApplicationId(b.topicPrefix);
    this.stateDir = b.stateDir;
    this.inFlightTimeout = b.inFlightTimeout;
    this.routing = b.routing;
  }

  public static Builder builder() {
    return new Builder();
  }

  /** The topology: routing at the top, completeness below; each part reads top to bottom. */
  Topology topology() {
    NarflowTopic<StorePathKey, FetchRequest> requests = NarflowTopics.REQUESTS.withPrefix(topicPrefix);
    NarflowTopic<StorePathKey, FetchRequest> work = NarflowTopics.WORK.withPrefix(topicPrefix);
    NarflowTopic<StorePathKey, FetchFailure> failures = NarflowTopics.FAILURES.withPrefix(topicPrefix);
    var index = NarflowTopics.INDEX.withPrefix(topicPrefix);
    var keys = NarflowSerdes.storePathKey();
    Topology t = new Topology();

    // Routing, in the requests' partitions: requests, failures and indexed paths (re-keyed by
    // store path below) decide what goes to the workers. A rebuild leaves it out: replaying old
    // requests must not send anything to the workers.
    if (routing) addRouting(t, requests, work, failures, keys);

    // Completeness, in the index's partitions: records arrive as completion nodes, which
    // notify each other through the completion topic.
    t.addSource("index", index.keySerde().deserializer(), index.valueSerde().deserializer(), index.name());
    t.addSource("completion", Serdes.Bytes().deserializer(), Notification.SERDE.deserializer(), completionTopic());
    int n = partitions; // known once start() has checked the topics
    t.addProcessor("read-index", () -> new IndexReader(n), "index");
    t.addProcessor("resolve-completion", () -> new IndexReader.Notifications(n), "completion");
    t.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(IndexReader.PATH_INFOS),
        keys, NarflowSerdes.pathInfo()), "read-index", "resolve-completion");
    for (String store : List.of(CompletionResolver.PENDING_DEPENDENCIES, CompletionResolver.WAITERS)) {
      t.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(store), Serdes.Bytes(), Serdes.ByteArray()),
          "read-index", "resolve-completion");
    }
    t.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(CompletionResolver.NODE_PROGRESS),
        Serdes.Bytes(), Serdes.Integer()), "read-index", "resolve-completion");
    t.addSink(IndexReader.TO_INDEXED_PATHS, indexedPathsTopic(), keys.serializer(), NarflowSerdes.pathInfo().serializer(),
        "read-index");
    // Every closure-complete path once, for the exporters (a compacted topic they replay).
    t.addSink(CompletionResolver.TO_CLOSURE_COMPLETE, closureCompleteTopic(), keys.serializer(),
        NarflowSerdes.pathInfo().serializer(), "read-index", "resolve-completion");
    t.addSink(IndexReader.TO_COMPLETION, completionTopic(), Serdes.Bytes().serializer(), Notification.SERDE.serializer(),
        // A node lives in the partition of the index record it is about.
        (topic, node, notification, partitions) ->
            Optional.of(Set.of(Utils.toPositive(Utils.murmur2(CompletionNode.partitionKey(node))) % partitions)),
        "read-index", "resolve-completion");
    return t;
  }

  /** The router's part of the topology (see {@link Router}). */
  private void addRouting(Topology t, NarflowTopic<StorePathKey, FetchRequest> requests,
      NarflowTopic<StorePathKey, FetchRequest> work, NarflowTopic<StorePathKey, FetchFailure> failures,
      Serde<StorePathKey> keys) {
    t.addSource("requests", keys.deserializer(), requests.valueSerde().deserializer(), requests.name());
    t.addSource("failures", keys.deserializer(), failures.valueSerde().deserializer(), failures.name());
    t.addSource("indexed-paths", keys.deserializer(), NarflowSerdes.pathInfo().deserializer(), indexedPathsTopic());
    t.addProcessor("route-requests", () -> new Router.Requests(inFlightTimeout), "requests");
    t.addProcessor("remember-failures", () -> new Router.Input<FetchFailure>(Router::failed), "failures");
    t.addProcessor("remember-indexed", () -> new Router.Input<PathInfo>(Router::indexed), "indexed-paths");
    t.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(Router.ROUTES),
        keys, protobuf(Route.getDefaultInstance())), "route-requests", "remember-failures", "remember-indexed");
    t.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(Router.IN_FLIGHT_BY_TIME),
        Serdes.Bytes(), Serdes.ByteArray()), "route-requests", "remember-failures", "remember-indexed");
    t.addSink(Router.TO_WORK, work.name(), keys.serializer(), work.valueSerde().serializer(), "route-requests");
    t.addSink(Router.TO_REQUESTS, requests.name(), keys.serializer(), requests.valueSerde().serializer(),
        "route-requests", "remember-indexed");
  }

  /** PathInfos re-keyed by store path, so that the router sees them in the requests' partitions. */
  String indexedPathsTopic() {
    return applicationId + ".indexed-paths";
  }

  /** Notifications between completion nodes, keyed by the node addressed. */
  String completionTopic() {
    return applicationId + ".completion";
  }

  /**
   * The PathInfo of every closure-complete path, keyed by store path: compacted, read by the
   * exporters, who serve exactly what it holds. Derived from the index alone; a rebuild writes it
   * again (the same records).
   */
  public String closureCompleteTopic() {
    return closureCompleteTopic(applicationId);
  }

  /** {@link #closureCompleteTopic()} of the indexer with this application id. */
  public static String closureCompleteTopic(String applicationId) {
    return applicationId + ".closure-complete";
  }

  /** The default application id for a topic prefix ({@code <prefix>narflow-indexer}). */
  public static String defaultApplicationId(String topicPrefix) {
    return topicPrefix + "narflow-indexer";
  }

  /**
   * Checks the narflow topics (they must exist, with one partition count), creates the
   * indexer's own two topics with that count, and starts processing.
   *
   * @throws IllegalStateException if a narflow topic is missing or the partition counts differ
   */
  public synchronized void start() {
    if (streams != null) throw new IllegalStateException("indexer already started");
    createOwnTopics();
    Properties props = new Properties();
    props.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, 1000);
    props.put(StreamsConfig.DESERIALIZATION_EXCEPTION_HANDLER_CLASS_CONFIG, LogAndContinueExceptionHandler.class);
    props.putAll(kafka);
    props.put(StreamsConfig.APPLICATION_ID_CONFIG, applicationId);
    props.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
    props.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
    KafkaStreams s = new KafkaStreams(topology(), props);
    s.setUncaughtExceptionHandler(e -> {
      LOG.error("indexer stopped: {}", e.toString(), e);
      failure.compareAndSet(null, e);
      return StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse.SHUTDOWN_CLIENT;
    });
    s.setGlobalStateRestoreListener(new StateRestoreListener() {
      @Override public void onRestoreStart(TopicPartition tp, String store, long start, long end) {}
      @Override public void onBatchRestored(TopicPartition tp, String store, long end, long n) {
        recordsRestored.addAndGet(n);
      }
      @Override public void onRestoreEnd(TopicPartition tp, String store, long total) {}
    });
    streams = s;
    s.start();
    purger = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, applicationId + "-purger");
      t.setDaemon(true);
      return t;
    });
    purger.scheduleWithFixedDelay(this::purgeConsumedQuietly, 1, 1, TimeUnit.MINUTES);
  }

  /**
   * Deletes what this application has consumed and committed from its own two topics, as
   * Streams does for its repartition topics: they are kept forever otherwise (a notification
   * must never expire unread), so this is what bounds them.
   */
  void purgeConsumed() throws InterruptedException, ExecutionException {
    try (Admin admin = Admin.create(new HashMap<>(kafka))) {
      Map<TopicPartition, OffsetAndMetadata> committed =
          admin.listConsumerGroupOffsets(applicationId).partitionsToOffsetAndMetadata().get();
      Set<String> own = Set.of(indexedPathsTopic(), completionTopic());
      Map<TopicPartition, RecordsToDelete> purge = new HashMap<>();
      committed.forEach((tp, offset) -> {
        if (offset != null && own.contains(tp.topic()) && offset.offset() > 0) {
          purge.put(tp, RecordsToDelete.beforeOffset(offset.offset()));
        }
      });
      if (!purge.isEmpty()) admin.deleteRecords(purge).all().get();
    }
  }

  private void purgeConsumedQuietly() {
    try {
      purgeConsumed();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (Exception e) {
      // Only space is at stake; the next round tries again.
      LOG.warn("purging the indexer's consumed notifications failed: {}", e.toString());
    }
  }

  /** The error that stopped processing, if one did; the instance is of no further use then. */
  public Optional<Throwable> failure() {
    return Optional.ofNullable(failure.get());
  }

  /** Whether it processes now (started, not rebalancing, restoring or stopped). */
  public boolean isRunning() {
    KafkaStreams s = streams;
    return s != null && s.state() == KafkaStreams.State.RUNNING;
  }

  /** Waits until the indexer processes (its stores are queryable); false on timeout or failure. */
  public boolean awaitRunning(Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    KafkaStreams s = started();
    while (System.nanoTime() < deadline) {
      KafkaStreams.State state = s.state();
      if (state == KafkaStreams.State.RUNNING) return true;
      if (!state.isRunningOrRebalancing()) return false;
      Thread.sleep(20);
    }
    return s.state() == KafkaStreams.State.RUNNING;
  }

  /**
   * The status of the closures of {@code roots}, from this instance's local stores (every
   * partition when it runs alone); see {@link MirrorStatus}.
   *
   * @throws IllegalStateException if the indexer is not started or has stopped on an error
   */
  public MirrorStatus status(Collection<StorePathKey> roots) {
    return query(view -> view.mirror(roots));
  }

  /**
   * As {@link #status(Collection)}, for roots requested with ({@code closure}) or without their
   * closures: what this run asked for, not what the router saw of earlier requests.
   */
  public MirrorStatus status(Collection<StorePathKey> roots, boolean closure) {
    return query(view -> view.mirror(roots, closure));
  }

  /**
   * Whether every root is done as {@link #status(Collection, boolean)} counts it (closure-complete,
   * or tree-complete for roots requested alone), reading only the roots' own entries: cheap
   * enough to ask often, where a full status walks every closure.
   */
  public boolean rootsDone(Collection<StorePathKey> roots, boolean closure) {
    return query(view -> view.rootsDone(roots, closure));
  }

  /** What this instance knows about one path; see {@link PathStatus}. */
  public PathStatus pathStatus(StorePathKey path) {
    return query(view -> view.path(path));
  }

  /** The router's view of a path (tests: to know an indexed record has reached the router). */
  Route.State routeState(StorePathKey path) {
    return query(view -> view.routeState(path));
  }

  /** The Streams application id: the consumer group, and the prefix of the indexer's own topics. */
  public String applicationId() {
    return applicationId;
  }

  /**
   * The client ids of this instance's consumers in the application's group, to tell its own
   * members from those of other instances.
   */
  public Set<String> consumerClientIds() {
    Set<String> ids = new TreeSet<>();
    started().metadataForLocalThreads().forEach(t -> ids.add(t.consumerClientId()));
    return ids;
  }

  /**
   * Every indexed path, from this instance's stores (all of them when it runs alone): how many,
   * how many closure-complete, and what up to {@code maxListed} of the others wait on. Works with
   * routing off too (a rebuild).
   */
  public IndexSurvey survey(int maxListed) {
    KafkaStreams s = started();
    return IndexSurvey.of(store(s, IndexReader.PATH_INFOS), store(s, CompletionResolver.NODE_PROGRESS),
        store(s, CompletionResolver.PENDING_DEPENDENCIES), maxListed);
  }

  /**
   * Registers this indexer's Prometheus metrics ({@link IndexerMetrics}) in {@code registry},
   * before or after {@link #start}; once per registry.
   */
  public IndexerMetrics registerMetrics(PrometheusRegistry registry) {
    return new IndexerMetrics(this, registry, IndexerMetrics.PATH_COUNT_INTERVAL);
  }

  /**
   * Why this instance cannot answer yet (not started, restoring or rebalancing, stopped on an
   * error), or empty while it processes: for a service's {@code /healthz}.
   */
  public Optional<String> notReadyReason() {
    KafkaStreams s = streams;
    if (s == null) return Optional.of("the indexer is not started");
    Throwable failed = failure.get();
    if (failed != null) return Optional.of("the indexer stopped: " + failed.getMessage());
    KafkaStreams.State state = s.state();
    if (state == KafkaStreams.State.RUNNING) return Optional.empty();
    return Optional.of("the indexer is " + state.name().toLowerCase(java.util.Locale.ROOT).replace('_', ' '));
  }

  /** Kafka Streams' own metrics (threads, consumers, producers); empty before start. */
  Map<MetricName, ? extends Metric> streamsMetrics() {
    KafkaStreams s = streams;
    return s == null ? Map.of() : s.metrics();
  }

  /** RocksDB's estimate of the PathInfos in this instance's stores; empty while they are not queryable. */
  OptionalLong approximatePathsIndexed() {
    KafkaStreams s = streams;
    if (s == null) return OptionalLong.empty();
    try {
      return OptionalLong.of(Indexer.<StorePathKey, PathInfo>store(s, IndexReader.PATH_INFOS).approximateNumEntries());
    } catch (InvalidStateStoreException e) {
      return OptionalLong.empty();
    }
  }

  /**
   * Indexed paths in this instance's stores, closure-complete or not, by one pass over the
   * closure nodes' progress (two small entries per path: no PathInfo is read). Empty while the
   * stores are not queryable.
   */
  Optional<PathCounts> countPaths() {
    KafkaStreams s = streams;
    if (s == null) return Optional.empty();
    try {
      long complete = 0;
      long waiting = 0;
      ReadOnlyKeyValueStore<Bytes, Integer> progress = store(s, CompletionResolver.NODE_PROGRESS);
      try (KeyValueIterator<Bytes, Integer> it = progress.prefixScan(PATH_NODES, new BytesSerializer())) {
        while (it.hasNext()) {
          KeyValue<Bytes, Integer> node = it.next();
          if (!CompletionNode.isClosure(node.key)) continue;
          if (node.value != null && node.value == 0) {
            complete++;
          } else {
            waiting++;
          }
        }
      }
      return Optional.of(new PathCounts(complete, waiting));
    } catch (InvalidStateStoreException e) {
      return Optional.empty();
    }
  }

  /** The first byte of every path's completion nodes (see {@link CompletionNode}). */
  private static final Bytes PATH_NODES = Bytes.wrap(new byte[] {'P'});

  /** Indexed paths by completeness: {@code waiting} have a reference or a directory not complete yet. */
  record PathCounts(long closureComplete, long waiting) {}

  /** Changelog records restored into the stores since start: 0 when the state on disk was current. */
  long recordsRestored() {
    return recordsRestored.get();
  }

  private <T> T query(Function<StatusView, T> question) {
    KafkaStreams s = started();
    long deadline = System.nanoTime() + STORE_WAIT.toNanos();
    while (true) {
      Throwable failed = failure.get();
      if (failed != null) throw new IllegalStateException("indexer stopped: " + failed.getMessage(), failed);
      try {
        int n = partitions;
        return question.apply(StatusView.partitioned(n, p -> store(s, Router.ROUTES, p),
            p -> store(s, IndexReader.PATH_INFOS, p), p -> store(s, CompletionResolver.NODE_PROGRESS, p),
            p -> store(s, CompletionResolver.PENDING_DEPENDENCIES, p)));
      } catch (InvalidStateStoreException e) {
        if (System.nanoTime() > deadline || !s.state().isRunningOrRebalancing()) {
          throw new IllegalStateException("indexer stores are not available (" + s.state() + "): " + e.getMessage(), e);
        }
        try {
          Thread.sleep(50);
        } catch (InterruptedException ie) {
          Thread.currentThread().interrupt();
          throw new IllegalStateException("interrupted waiting for the indexer's stores", ie);
        }
      }
    }
  }

  /** Every local partition's store as one (a survey reads them all). */
  private static <K, V> ReadOnlyKeyValueStore<K, V> store(KafkaStreams s, String name) {
    return s.store(StoreQueryParameters.fromNameAndType(name, QueryableStoreTypes.<K, V>keyValueStore()));
  }

  private static <K, V> ReadOnlyKeyValueStore<K, V> store(KafkaStreams s, String name, int partition) {
    return s.store(StoreQueryParameters.fromNameAndType(name, QueryableStoreTypes.<K, V>keyValueStore())
        .withPartition(partition));
  }

  private KafkaStreams started() {
    KafkaStreams s = streams;
    if (s == null) throw new IllegalStateException("indexer not started");
    return s;
  }

  private void createOwnTopics() {
    Map<String, Object> adminConfig = new HashMap<>(kafka);
    try (Admin admin = Admin.create(adminConfig)) {
      List<String> names = NarflowTopics.withPrefix(topicPrefix).stream().map(NarflowTopic::name).toList();
      Map<String, TopicDescription> topics;
      try {
        topics = admin.describeTopics(names).allTopicNames().get();
      } catch (ExecutionException e) {
        if (e.getCause() instanceof UnknownTopicOrPartitionException) {
          throw new IllegalStateException("the narflow topics " + names + " must exist before the indexer starts", e.getCause());
        }
        throw new IllegalStateException("describing the narflow topics failed: " + e.getCause().getMessage(), e.getCause());
      }
      // Routing and completeness rely on keys landing in the same partition number across topics.
      Set<Integer> counts = new TreeSet<>();
      topics.values().forEach(d -> counts.add(d.partitions().size()));
      if (counts.size() != 1) {
        throw new IllegalStateException("the narflow topics must share one partition count, found " + counts);
      }
      int partitions = counts.iterator().next();
      this.partitions = partitions;
      short replicas = (short) topics.get(names.get(2)).partitions().get(0).replicas().size();
      // Never expired by time (a notification lost unread would leave a path incomplete for
      // good); purgeConsumed() deletes what has been read.
      Map<String, String> configs = Map.of(TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_DELETE,
          TopicConfig.RETENTION_MS_CONFIG, "-1");
      for (String name : List.of(indexedPathsTopic(), completionTopic())) {
        try {
          admin.createTopics(List.of(new NewTopic(name, partitions, replicas).configs(configs))).all().get();
        } catch (ExecutionException e) {
          if (!(e.getCause() instanceof TopicExistsException)) {
            throw new IllegalStateException("creating topic " + name + " failed: " + e.getCause().getMessage(), e.getCause());
          }
        }
      }
      // Kept forever, compacted: one record per path, as long as the mirror holds it.
      Map<String, String> compacted = Map.of(TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_COMPACT,
          TopicConfig.MAX_MESSAGE_BYTES_CONFIG, Integer.toString(NarflowTopics.INDEX_MAX_RECORD_BYTES));
      try {
        admin.createTopics(List.of(new NewTopic(closureCompleteTopic(), partitions, replicas).configs(compacted))).all().get();
      } catch (ExecutionException e) {
        if (!(e.getCause() instanceof TopicExistsException)) {
          throw new IllegalStateException("creating topic " + closureCompleteTopic() + " failed: "
              + e.getCause().getMessage(), e.getCause());
        }
      }
      awaitVisible(admin, List.of(indexedPathsTopic(), completionTopic(), closureCompleteTopic()));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while creating the indexer's topics", e);
    }
  }

  /** Streams fails on a source topic the broker's metadata does not show yet, so wait for it. */
  private static void awaitVisible(Admin admin, List<String> names) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (true) {
      try {
        admin.describeTopics(names).allTopicNames().get();
        return;
      } catch (ExecutionException e) {
        if (!(e.getCause() instanceof UnknownTopicOrPartitionException) || System.nanoTime() > deadline) {
          throw new IllegalStateException("topics " + names + " did not become visible: " + e.getCause().getMessage(), e.getCause());
        }
        Thread.sleep(100);
      }
    }
  }

  /** Stops processing and commits; the state stays in the state dir for the next start. */
  @Override
  public synchronized void close() {
    if (purger != null) {
      purger.shutdownNow();
      purger = null;
    }
    KafkaStreams s = streams;
    if (s != null) {
      // Leave the group: the next start (or another instance) gets the partitions at once
      // instead of after the session timeout; the state dir keeps the stores for it.
      s.close(CloseOptions.groupMembershipOperation(
          CloseOptions.GroupMembershipOperation.LEAVE_GROUP).withTimeout(Duration.ofSeconds(30)));
      streams = null;
    }
  }

  private static <M extends Message> Serde<M> protobuf(M prototype) {
    return ProtobufSerde.of(prototype);
  }

  public static final class Builder {
    private Map<String, Object> kafka = Map.of();
    private String topicPrefix = "";
    private String applicationId;
    private Path stateDir;
    private Duration inFlightTimeout = Duration.ofMinutes(30);
    private boolean routing = true;

    private Builder() {}

    /** Client config ({@code bootstrap.servers}, security); Streams settings may be added too. */
    public Builder kafka(Map<String, Object> clientConfig) {
      this.kafka = Map.copyOf(clientConfig);
      return this;
    }

    public Builder topicPrefix(String prefix) {
      this.topicPrefix = Objects.requireNonNull(prefix);
      return this;
    }

    /**
     * Names the consumer group, the changelogs and the indexer's own topics; default
     * {@code <topic prefix>narflow-indexer}.
     */
    public Builder applicationId(String id) {
      this.applicationId = Objects.requireNonNull(id);
      return this;
    }

    /** Where the RocksDB stores live; the same dir on restart resumes without restoring. */
    public Builder stateDir(Path dir) {
      this.stateDir = dir;
      return this;
    }

    /** How long a path may be in flight before its request is sent again (it may have been lost). */
    public Builder inFlightTimeout(Duration timeout) {
      if (timeout.isNegative() || timeout.isZero()) throw new IllegalArgumentException("in-flight timeout must be positive");
      this.inFlightTimeout = timeout;
      return this;
    }

    /**
     * Whether requests are routed to the workers (default). Off for a rebuild, which computes
     * completeness from the index alone and must not act on old requests.
     */
    public Builder routing(boolean routing) {
      this.routing = routing;
      return this;
    }

    public Indexer build() {
      if (kafka.isEmpty()) throw new IllegalStateException("kafka client config is required");
      if (stateDir == null) throw new IllegalStateException("stateDir is required");
      return new Indexer(this);
    }
  }
}
