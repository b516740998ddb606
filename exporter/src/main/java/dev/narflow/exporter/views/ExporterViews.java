package dev.narflow.exporter.views;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.narflow.indexer.Indexer;
import dev.narflow.topics.castore.B3Digest;
import dev.narflow.topics.castore.v1.Directory;
import dev.narflow.topics.castore.v1.StatBlobResponse;
import dev.narflow.topics.kafka.IndexKey;
import dev.narflow.topics.kafka.NarflowTopics;
import dev.narflow.topics.kafka.StorePathKey;
import dev.narflow.topics.store.v1.PathInfo;
import java.io.Closeable;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.BytesSerializer;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.CloseOptions;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StoreQueryParameters;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.errors.InvalidStateStoreException;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler;
import org.apache.kafka.streams.state.QueryableStoreTypes;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;
import org.apache.kafka.streams.state.Stores;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What an exporter answers from: two global state stores (RocksDB, on disk), each a full copy
 * kept by this instance alone from a compacted topic, so that every exporter answers for every
 * path and a render never waits on another machine.
 * <ul>
 *   <li>{@value #SERVABLE_PATHS}: the indexer's closure-complete topic, by store path
 *       ({@code P}+digest → PathInfo) and by NarHash ({@code N}+sha256 → store path digest), the
 *       NAR URL naming the NarHash. Only closure-complete paths are in it, so anything else is
 *       unknown here by construction.
 *   <li>{@value #CASTORE_RECORDS}: the Directory and multi-chunk Blob records of
 *       {@code narflow.index}, by their index keys, each checked against its digest as it is
 *       stored.
 * </ul>
 *
 * <p>Why global stores and not partitioned ones queried across instances: a NAR render looks up
 * every Directory of its tree, one after another, and a narinfo is a single lookup; local RocksDB
 * answers either in microseconds, where a hop to the instance owning a partition costs a network
 * round trip each (a tree of 1,000 directories: about a second of round trips). The price is disk:
 * each exporter holds the whole metadata (see docs/serving.md for the arithmetic at
 * cache.nixos.org's scale), and a new exporter reads both topics once before it answers.
 *
 * <p>Reads are {@code read_committed}: a PathInfo or Directory of an aborted transaction is
 * never seen. The heap does not grow with the index; RocksDB's block cache is bounded.
 */
public final class ExporterViews implements Closeable {
  static final String SERVABLE_PATHS = "servable-paths";
  static final String CASTORE_RECORDS = "castore-records";
  private static final Logger LOG = LoggerFactory.getLogger(ExporterViews.class);
  private static final Duration STORE_WAIT = Duration.ofSeconds(30);

  private final Map<String, Object> kafka;
  private final String applicationId;
  private final String indexTopic;
  private final String closureCompleteTopic;
  private final Path stateDir;
  private final AtomicReference<Throwable> failure = new AtomicReference<>();
  private volatile KafkaStreams streams;
  private final ConcurrentMap<String, ReadOnlyKeyValueStore<Bytes, byte[]>> handles = new ConcurrentHashMap<>();

  private ExporterViews(Builder b) {
    this.kafka = Map.copyOf(b.kafka);
    this.applicationId = b.applicationId != null ? b.applicationId : b.topicPrefix + "narflow-exporter";
    this.indexTopic = NarflowTopics.INDEX.withPrefix(b.topicPrefix).name();
    String indexerId = b.indexerApplicationId != null ? b.indexerApplicationId : Indexer.defaultApplicationId(b.topicPrefix);
    this.closureCompleteTopic = Indexer.closureCompleteTopic(indexerId);
    this.stateDir = b.stateDir;
  }

  public static Builder builder() {
    return new Builder();
  }

  /** Both stores, each fed by its own topic; nothing else runs. */
  Topology topology() {
    Topology t = new Topology();
    ByteArrayDeserializer bytes = new ByteArrayDeserializer();
    t.addGlobalStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(SERVABLE_PATHS), Serdes.Bytes(),
            Serdes.ByteArray()).withLoggingDisabled(),
        "closure-complete", bytes, bytes, closureCompleteTopic, "remember-servable-paths", ServablePaths::new);
    t.addGlobalStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(CASTORE_RECORDS), Serdes.Bytes(),
            Serdes.ByteArray()).withLoggingDisabled(),
        "index", bytes, bytes, indexTopic, "remember-castore-records", CastoreRecords::new);
    return t;
  }

  /** Starts reading; {@link #awaitRunning} says when the stores have caught up. */
  public synchronized void start() {
    if (streams != null) throw new IllegalStateException("exporter views already started");
    Properties props = new Properties();
    props.putAll(kafka);
    props.put(StreamsConfig.APPLICATION_ID_CONFIG, applicationId);
    props.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
    // Global stores only: no stream thread, so no consumer group; instances never share work.
    props.put(StreamsConfig.NUM_STREAM_THREADS_CONFIG, 0);
    // Only what committed: a PathInfo of an aborted transaction must never be served.
    props.put(StreamsConfig.globalConsumerPrefix(ConsumerConfig.ISOLATION_LEVEL_CONFIG), "read_committed");
    props.put(StreamsConfig.restoreConsumerPrefix(ConsumerConfig.ISOLATION_LEVEL_CONFIG), "read_committed");
    props.put(StreamsConfig.globalConsumerPrefix(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG),
        NarflowTopics.INDEX_MAX_RECORD_BYTES);
    KafkaStreams s = new KafkaStreams(topology(), props);
    s.setUncaughtExceptionHandler(e -> {
      LOG.error("exporter views stopped: {}", e.toString(), e);
      failure.compareAndSet(null, e);
      return StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse.SHUTDOWN_CLIENT;
    });
    streams = s;
    s.start();
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

  /** Waits until both stores have read their topics to the end once; false on timeout or failure. */
  public boolean awaitRunning(Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    KafkaStreams s = started();
    while (System.nanoTime() < deadline) {
      KafkaStreams.State state = s.state();
      if (state == KafkaStreams.State.RUNNING) return true;
      if (!state.isRunningOrRebalancing() && state != KafkaStreams.State.CREATED) return false;
      Thread.sleep(20);
    }
    return s.state() == KafkaStreams.State.RUNNING;
  }

  /** The PathInfo of a closure-complete path; empty for any other. */
  public Optional<PathInfo> pathInfo(StorePathKey path) {
    byte[] value = get(SERVABLE_PATHS, ServablePaths.byPath(path));
    return Optional.ofNullable(value).map(v -> parse(v, PathInfo.parser(), "PathInfo of " + path));
  }

  /** The closure-complete path whose NAR hashes to {@code narSha256}. */
  public Optional<PathInfo> pathInfoByNarHash(byte[] narSha256) {
    if (narSha256.length != 32) return Optional.empty();
    byte[] path = get(SERVABLE_PATHS, ServablePaths.byNarHash(narSha256));
    return path == null ? Optional.empty() : pathInfo(StorePathKey.of(path));
  }

  /** A Directory by digest, as a renderer's lookup; empty when the index has none. */
  public Optional<Directory> directory(B3Digest digest) {
    byte[] value = get(CASTORE_RECORDS, Bytes.wrap(IndexKey.directory(digest).toBytes()));
    return Optional.ofNullable(value).map(v -> parse(v, Directory.parser(), "Directory " + digest));
  }

  /** The chunk list of a multi-chunk blob; empty for a single-chunk one (or one not indexed). */
  public Optional<StatBlobResponse> blob(B3Digest digest) {
    byte[] value = get(CASTORE_RECORDS, Bytes.wrap(IndexKey.blob(digest).toBytes()));
    return Optional.ofNullable(value).map(v -> parse(v, StatBlobResponse.parser(), "blob " + digest));
  }

  /** Calls {@code action} with every servable PathInfo, one at a time (bounded memory). */
  public void forEachServablePath(Consumer<PathInfo> action) {
    try (var it = store(SERVABLE_PATHS).prefixScan(ServablePaths.BY_PATH_PREFIX, new BytesSerializer())) {
      while (it.hasNext()) action.accept(parse(it.next().value, PathInfo.parser(), "a servable PathInfo"));
    }
  }

  /** How many Directory and Blob records the views hold, counted exactly (one pass over the store). */
  public record CastoreCounts(long directories, long blobs) {}

  public CastoreCounts castoreCounts() {
    long directories = 0;
    long blobs = 0;
    try (var it = store(CASTORE_RECORDS).all()) {
      while (it.hasNext()) {
        byte tag = it.next().key.get()[0];
        if (tag == IndexKey.Type.DIRECTORY.tag()) directories++;
        else if (tag == IndexKey.Type.BLOB.tag()) blobs++;
      }
    }
    return new CastoreCounts(directories, blobs);
  }

  /** How many servable paths the store holds (RocksDB's estimate: cheap, approximate). */
  public long approximateServablePaths() {
    return store(SERVABLE_PATHS).approximateNumEntries() / 2;
  }

  private static <M> M parse(byte[] value, com.google.protobuf.Parser<M> parser, String what) {
    try {
      return parser.parseFrom(value);
    } catch (InvalidProtocolBufferException e) {
      // Checked when stored; a store that changed under us is a broken disk.
      throw new IllegalStateException(what + " in the exporter's store does not parse: " + e.getMessage(), e);
    }
  }

  /**
   * A point lookup through a store handle kept between requests: asking Kafka Streams for the
   * handle on every narinfo and every Directory of a render costs more than the lookup itself.
   * A handle that went stale (the views restarted) is fetched again.
   */
  private byte[] get(String name, Bytes key) {
    ReadOnlyKeyValueStore<Bytes, byte[]> handle = handles.get(name);
    if (handle != null) {
      try {
        return handle.get(key);
      } catch (InvalidStateStoreException e) {
        handles.remove(name, handle);
      }
    }
    handle = store(name);
    handles.put(name, handle);
    return handle.get(key);
  }

  private ReadOnlyKeyValueStore<Bytes, byte[]> store(String name) {
    KafkaStreams s = started();
    long deadline = System.nanoTime() + STORE_WAIT.toNanos();
    while (true) {
      Throwable failed = failure.get();
      if (failed != null) throw new IllegalStateException("exporter views stopped: " + failed.getMessage(), failed);
      try {
        return s.store(StoreQueryParameters.fromNameAndType(name, QueryableStoreTypes.<Bytes, byte[]>keyValueStore()));
      } catch (InvalidStateStoreException e) {
        if (System.nanoTime() > deadline || !s.state().isRunningOrRebalancing()) {
          throw new IllegalStateException("the exporter's stores are not available (" + s.state() + ")", e);
        }
        try {
          Thread.sleep(20);
        } catch (InterruptedException ie) {
          Thread.currentThread().interrupt();
          throw new IllegalStateException("interrupted waiting for the exporter's stores", ie);
        }
      }
    }
  }

  private KafkaStreams started() {
    KafkaStreams s = streams;
    if (s == null) throw new IllegalStateException("exporter views not started");
    return s;
  }

  /** Stops reading; the stores and their checkpoints stay in the state dir for the next start. */
  @Override
  public synchronized void close() {
    KafkaStreams s = streams;
    handles.clear();
    if (s != null) {
      s.close(CloseOptions.timeout(Duration.ofSeconds(30)));
      streams = null;
    }
  }

  static byte[] concat(byte tag, byte[] digest) {
    byte[] key = new byte[1 + digest.length];
    key[0] = tag;
    System.arraycopy(digest, 0, key, 1, digest.length);
    return key;
  }

  static byte[] tail(byte[] key) {
    return Arrays.copyOfRange(key, 1, key.length);
  }

  public static final class Builder {
    private Map<String, Object> kafka = Map.of();
    private String topicPrefix = "";
    private String applicationId;
    private String indexerApplicationId;
    private Path stateDir;

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

    /** Names the state directory's subfolder; default {@code <topic prefix>narflow-exporter}. */
    public Builder applicationId(String id) {
      this.applicationId = Objects.requireNonNull(id);
      return this;
    }

    /** The indexer whose closure-complete topic is served; default {@code <topic prefix>narflow-indexer}. */
    public Builder indexerApplicationId(String id) {
      this.indexerApplicationId = Objects.requireNonNull(id);
      return this;
    }

    /** Where the RocksDB stores live; the same dir on restart resumes from its checkpoints. */
    public Builder stateDir(Path dir) {
      this.stateDir = Objects.requireNonNull(dir);
      return this;
    }

    public ExporterViews build() {
      if (kafka.isEmpty()) throw new IllegalStateException("kafka client config is required");
      if (stateDir == null) throw new IllegalStateException("stateDir is required");
      return new ExporterViews(this);
    }
  }
}
