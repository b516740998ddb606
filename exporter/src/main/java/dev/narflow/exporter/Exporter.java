package dev.narflow.exporter;

import dev.narflow.chunker.blob.ChunkFetcher;
import dev.narflow.chunker.blob.ChunkPrefetcher;
import dev.narflow.chunker.nar.NarRenderer;
import dev.narflow.chunker.store.CachingChunkStore;
import dev.narflow.chunker.store.ChunkStore;
import dev.narflow.exporter.NarInfos.NarCompression;
import dev.narflow.exporter.http.BinaryCacheHandler;
import dev.narflow.exporter.http.ExporterMetrics;
import dev.narflow.exporter.http.HttpEndpoint;
import dev.narflow.exporter.views.ExporterViews;
import dev.narflow.topics.kafka.StorePathKey;
import dev.narflow.topics.nix.NixSecretKey;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.Closeable;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * The HTTP binary cache (DESIGN §5) on Jetty: a bounded thread pool, keep-alive connections
 * with an idle timeout, responses streamed with back-pressure, and a graceful stop that lets
 * requests in progress finish within a deadline. It serves what its {@link ExporterViews} hold
 * and renders NARs from the chunk store; it owns neither.
 */
public final class Exporter implements Closeable {

  private final HttpEndpoint http;
  private final ChunkFetcher fetcher;
  private final CachingChunkStore chunkCache; // null when turned off
  private final NarRenderer renderer;
  private final ExporterMetrics metrics;

  private Exporter(Builder b) {
    metrics = new ExporterMetrics();
    // One fetcher for every render: one set of threads, one budget of chunks held, turns taken.
    fetcher = ChunkFetcher.start(fetchLimits(Runtime.getRuntime().maxMemory(), b.maxRenders, b.fetchThreads),
        metrics::chunkFetched, "chunk-fetch");
    metrics.chunkFetcher(fetcher::bytesReserved, fetcher.limits().maxBytes());
    long cacheBytes = b.chunkCacheBytes >= 0 ? b.chunkCacheBytes
        : defaultChunkCacheBytes(Runtime.getRuntime().maxMemory());
    chunkCache = cacheBytes > 0 ? CachingChunkStore.over(b.chunkStore, cacheBytes) : null;
    if (chunkCache != null) metrics.chunkCache(chunkCache::stats, cacheBytes);
    // Chunk lists from the views' B records: the index has them, so no blob-index GET per large file.
    renderer = NarRenderer.builder(chunkCache != null ? chunkCache : b.chunkStore).fetcher(fetcher)
        .blobIndexes(BinaryCacheHandler.blobIndexes(b.views)).build();
    metrics.servablePaths(() -> {
      try {
        return b.views.approximateServablePaths();
      } catch (IllegalStateException e) {
        return 0; // views not available: /healthz says so
      }
    });
    http = new HttpEndpoint("the exporter", b.listen,
        new HttpEndpoint.Settings("exporter", b.maxThreads, Math.min(8, b.maxThreads), false, -1, b.idleTimeout,
            b.stopTimeout),
        new BinaryCacheHandler(b.views, renderer, b.compression, b.signingKey, b.maxRenders, Duration.ofSeconds(10),
            b.priority, metrics, b.onMissingNarInfo));
  }

  /**
   * The chunk fetcher's limits: all renders together hold at most a quarter of the heap in chunks
   * fetched and not yet sent (16 concurrent .nar downloads with a 16 MiB window each ran narflow's
   * default 512 MiB heap out of memory, ops/bench/serve), and never more than a full window (16 MiB)
   * per render allowed at once, nor less than 1 MiB. The budget is shared, so a tiny heap means
   * less read-ahead, not more memory: renders then wait for their turn.
   */
  static ChunkFetcher.Limits fetchLimits(long maxHeap, int maxRenders, int threads) {
    long perRenders = ChunkPrefetcher.Window.DEFAULT.maxBytesAhead() * (long) maxRenders;
    return new ChunkFetcher.Limits(threads, Math.max(1L << 20, Math.min(perRenders, maxHeap / 4)));
  }

  /**
   * The verified-chunk cache's size when none is given: an eighth of the heap (64 MiB of the
   * launcher's 512 MiB), beside the fetch budget's quarter. Even that much catches the clients of
   * one NAR that download it at the same time (ops/bench/serve); a bigger heap keeps more hot NARs.
   */
  static long defaultChunkCacheBytes(long maxHeap) {
    return maxHeap / 8;
  }

  /** The registry behind {@code /metrics}, for what the command around the exporter adds to it. */
  public PrometheusRegistry metricsRegistry() {
    return metrics.registry();
  }

  public static Builder builder(ExporterViews views, ChunkStore chunkStore) {
    return new Builder(views, chunkStore);
  }

  /**
   * Binds and starts serving.
   *
   * @throws IOException when the address cannot be bound (in use, not local, no permission)
   */
  public Exporter start() throws IOException {
    http.start();
    return this;
  }

  /** The bound port (the one picked when listening on port 0). */
  public int port() {
    return http.port();
  }

  /** {@code http://HOST:PORT}. */
  public String url() {
    return http.url();
  }

  /** Stops taking requests, lets those in progress finish within the stop timeout, then stops. */
  @Override
  public void close() {
    http.close();
    renderer.close();
    fetcher.close(); // a render still running (past the stop timeout) fails with an IOException
    if (chunkCache != null) chunkCache.clear(); // not closed: the store underneath is the caller's
  }

  public static final class Builder {
    private final ExporterViews views;
    private final ChunkStore chunkStore;
    private InetSocketAddress listen = new InetSocketAddress("127.0.0.1", 8080);
    private NixSecretKey signingKey;
    private NarCompression compression = NarCompression.ZSTD;
    private int priority = 40;
    private int maxThreads = 64;
    private int maxRenders = 32;
    private int fetchThreads = 8;
    private long chunkCacheBytes = -1; // an eighth of the heap
    private Duration idleTimeout = Duration.ofSeconds(30);
    private Duration stopTimeout = Duration.ofSeconds(10);
    private Consumer<StorePathKey> onMissingNarInfo = path -> {};

    private Builder(ExporterViews views, ChunkStore chunkStore) {
      this.views = Objects.requireNonNull(views);
      this.chunkStore = Objects.requireNonNull(chunkStore);
    }

    public Builder listen(InetSocketAddress address) {
      this.listen = Objects.requireNonNull(address);
      return this;
    }

    /** Signs every narinfo with this key too (besides the upstream signatures); none by default. */
    public Builder signingKey(NixSecretKey key) {
      this.signingKey = key;
      return this;
    }

    public Builder compression(NarCompression compression) {
      this.compression = Objects.requireNonNull(compression);
      return this;
    }

    /** nix-cache-info's Priority: lower is tried first by clients (cache.nixos.org has 40). */
    public Builder priority(int priority) {
      this.priority = priority;
      return this;
    }

    /** Request threads; each NAR being served holds one. */
    public Builder maxThreads(int threads) {
      if (threads < 4) throw new IllegalArgumentException("at least 4 threads, got " + threads);
      this.maxThreads = threads;
      return this;
    }

    /**
     * NARs rendered at once; more wait, then get 503. Together they read ahead within one budget
     * (see {@link #fetchLimits}).
     */
    public Builder maxRenders(int renders) {
      if (renders < 1) throw new IllegalArgumentException("maxRenders must be positive, got " + renders);
      this.maxRenders = renders;
      return this;
    }

    /**
     * Bytes of verified chunks kept in memory for the next render that needs them (see {@link
     * CachingChunkStore}); 0 turns the cache off. Default: {@link #defaultChunkCacheBytes}.
     */
    public Builder chunkCacheBytes(long bytes) {
      if (bytes < 0) throw new IllegalArgumentException("chunk cache size must not be negative, got " + bytes);
      this.chunkCacheBytes = bytes;
      return this;
    }

    public Builder idleTimeout(Duration timeout) {
      this.idleTimeout = Objects.requireNonNull(timeout);
      return this;
    }

    /**
     * Told of every narinfo asked for that is not served (not mirrored, or its closure not
     * complete yet), from a request thread: it must return at once (pull-through queues it).
     */
    public Builder onMissingNarInfo(Consumer<StorePathKey> action) {
      this.onMissingNarInfo = Objects.requireNonNull(action);
      return this;
    }

    public Exporter build() {
      return new Exporter(this);
    }
  }
}
