package dev.narflow.ops.serve;

import dev.narflow.chunker.store.ChunkStore;
import dev.narflow.exporter.Exporter;
import dev.narflow.exporter.NarInfos.NarCompression;
import dev.narflow.exporter.views.ExporterViews;
import dev.narflow.indexer.Indexer;
import dev.narflow.ingest.worker.IngestWorker;
import dev.narflow.ops.ChunkStoreLocation;
import dev.narflow.ops.ConfigurationException;
import dev.narflow.topics.nix.NixSecretKey;
import dev.narflow.topics.nix.TrustedKeys;
import java.io.Closeable;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * A running binary cache over a mirror: the exporter's views (state in {@code STATE/exporter})
 * and its HTTP server, and, where this process owns the Kafka (the embedded mode), the indexer
 * too, so that completeness left pending by an interrupted mirror still comes through. Against a
 * cluster the indexer is a service of its own.
 */
public final class Serving implements Closeable {
  private static final Duration START_TIMEOUT = Duration.ofMinutes(10);

  /**
   * Pull-through: where missing paths are requested from, and, where this process runs the
   * indexer (embedded), the signatures its own ingest worker accepts; null for none.
   */
  public record PullThroughSettings(List<URI> upstreams, TrustedKeys trustedKeys, boolean checkSignatures) {
    public PullThroughSettings {
      upstreams = List.copyOf(upstreams);
    }
  }

  /** What to serve, from where, and how; a negative {@code chunkCacheBytes} is the exporter's default. */
  public record Settings(Path stateDir, Map<String, Object> kafka, boolean runIndexer, ChunkStoreLocation chunks,
      String topicPrefix, InetSocketAddress listen, NixSecretKey signingKey, NarCompression compression, int priority,
      long chunkCacheBytes, PullThroughSettings pullThrough) {
    public Settings {
      Objects.requireNonNull(stateDir);
      kafka = Map.copyOf(kafka);
      Objects.requireNonNull(chunks);
      Objects.requireNonNull(topicPrefix);
      Objects.requireNonNull(listen);
      Objects.requireNonNull(compression);
    }
  }

  private final Deque<Closeable> opened = new ArrayDeque<>();
  private Exporter exporter;
  private ExporterViews views;
  private Indexer indexer;
  private IngestWorker worker;
  private Duration startup;

  private Serving() {}

  /**
   * Starts everything and returns once the views have caught up with the topics and the server
   * answers.
   *
   * @throws ConfigurationException for a chunk store that cannot be opened or an address that
   *     cannot be bound (exit 2)
   */
  public static Serving start(Settings s) throws ConfigurationException, IOException, InterruptedException {
    long started = System.nanoTime();
    Serving serving = new Serving();
    try {
      ChunkStore store = s.chunks().openStore();
      serving.opened.push(store);
      if (s.runIndexer()) {
        Indexer indexer = Indexer.builder().kafka(s.kafka()).topicPrefix(s.topicPrefix())
            .stateDir(s.stateDir().resolve("indexer")).build();
        serving.opened.push(indexer);
        serving.indexer = indexer;
        indexer.start();
        if (!indexer.awaitRunning(START_TIMEOUT)) throw new IOException("the indexer did not start");
      }
      ExporterViews views = ExporterViews.builder().kafka(s.kafka()).topicPrefix(s.topicPrefix())
          .stateDir(s.stateDir().resolve("exporter")).build();
      serving.opened.push(views);
      serving.views = views;
      views.start();
      if (!views.awaitRunning(START_TIMEOUT)) throw new IOException("the exporter's views did not catch up");
      Exporter.Builder exporterBuilder = Exporter.builder(views, store).listen(s.listen()).signingKey(s.signingKey())
          .compression(s.compression()).priority(s.priority());
      if (s.chunkCacheBytes() >= 0) exporterBuilder.chunkCacheBytes(s.chunkCacheBytes());
      PullThrough pullThrough = null;
      if (s.pullThrough() != null) {
        if (s.runIndexer()) {
          // The whole deployment is this process: a requested path needs a worker here too.
          IngestWorker worker = IngestWorker.builder().kafka(s.kafka()).topicPrefix(s.topicPrefix()).chunkStore(store)
              .trustedKeys(s.pullThrough().trustedKeys()).checkSignatures(s.pullThrough().checkSignatures())
              .groupId(IngestWorker.defaultGroupId(s.topicPrefix())).build();
          serving.opened.push(worker);
          serving.worker = worker;
          worker.start();
        }
        pullThrough = new PullThrough(s.kafka(), s.topicPrefix(), s.pullThrough().upstreams());
        serving.opened.push(pullThrough);
        exporterBuilder.onMissingNarInfo(pullThrough);
      }
      Exporter exporter = exporterBuilder.build();
      serving.opened.push(exporter);
      if (pullThrough != null) pullThrough.registerMetrics(exporter.metricsRegistry());
      try {
        exporter.start();
      } catch (IOException e) {
        throw new ConfigurationException("cannot listen on " + s.listen().getHostString() + ":" + s.listen().getPort()
            + ": " + e.getMessage(), e);
      }
      serving.exporter = exporter;
      serving.startup = Duration.ofNanos(System.nanoTime() - started);
      return serving;
    } catch (ConfigurationException | IOException | InterruptedException | RuntimeException e) {
      serving.close();
      throw e;
    }
  }

  /** {@code http://HOST:PORT}. */
  public String url() {
    return exporter.url();
  }

  /** From the call to {@link #start} until the server answered with caught-up views. */
  public Duration startup() {
    return startup;
  }

  /** The error that stopped the views (or the indexer run here), if one did: nothing new is served then. */
  public Optional<Throwable> failure() {
    if (indexer != null && indexer.failure().isPresent()) return indexer.failure();
    if (worker != null && worker.failure().isPresent()) return worker.failure();
    return views.failure();
  }

  /** Paths served now (an estimate from the store). */
  public long servablePaths() {
    return views.approximateServablePaths();
  }

  /** Stops the server (requests in progress finish within its stop timeout), then the rest. */
  @Override
  public void close() {
    while (!opened.isEmpty()) {
      try {
        opened.pop().close();
      } catch (IOException | RuntimeException e) {
        // closing down: the rest must still close
      }
    }
  }
}
