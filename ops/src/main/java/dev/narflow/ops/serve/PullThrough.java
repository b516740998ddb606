package dev.narflow.ops.serve;

import dev.narflow.ops.FetchRequests;
import dev.narflow.topics.kafka.StorePathKey;
import dev.narflow.topics.nix.NarInfo;
import dev.narflow.topics.nix.StorePath;
import dev.narflow.topics.v1.FetchRequest;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code --pull-through}: a narinfo that the exporter cannot serve becomes a request to mirror the
 * path (with its closure), and the client gets its 404 now. A narinfo URL names only the hash
 * part, and a request needs the whole store path, so the name comes from the upstream's narinfo
 * first; the worker verifies everything again (signatures included), so nothing read here is trusted.
 *
 * <p>Anyone can ask for any hash, so this must cost little and never pile up: each hash is looked
 * up once per {@link #REMEMBERED} misses, at most {@link #QUEUE} lookups wait (more are dropped and
 * counted), two run at once, and the request thread only queues.
 */
public final class PullThrough implements Consumer<StorePathKey>, Closeable {
  private static final Logger LOG = LoggerFactory.getLogger(PullThrough.class);
  static final int REMEMBERED = 100_000;
  static final int QUEUE = 256;
  private static final Duration LOOKUP_TIMEOUT = Duration.ofSeconds(15);
  /** A narinfo of 1,000 references is about 60 KB; nothing an upstream sends past this is read. */
  static final int MAX_NARINFO_BYTES = 1 << 20;

  private final List<URI> upstreams;
  private final String topicPrefix;
  private final KafkaProducer<StorePathKey, FetchRequest> producer;
  private final HttpClient http;
  private final ThreadPoolExecutor lookups;
  /** Hashes asked about lately, oldest first: a client retrying a miss must not cost a lookup each time. */
  private final Set<StorePathKey> seen = Collections.newSetFromMap(new LinkedHashMap<>(1024, 0.75f, false) {
    @Override
    protected boolean removeEldestEntry(Map.Entry<StorePathKey, Boolean> eldest) {
      return size() > REMEMBERED;
    }
  });
  private final Counter outcomes;

  public PullThrough(Map<String, Object> kafka, String topicPrefix, List<URI> upstreams) {
    this.upstreams = List.copyOf(upstreams);
    this.topicPrefix = topicPrefix;
    this.producer = FetchRequests.producer(kafka, "narflow-pull-through", topicPrefix);
    this.http = HttpClient.newBuilder().connectTimeout(LOOKUP_TIMEOUT).followRedirects(HttpClient.Redirect.NORMAL).build();
    this.lookups = new ThreadPoolExecutor(2, 2, 0, TimeUnit.MILLISECONDS, new ArrayBlockingQueue<>(QUEUE), r -> {
      Thread t = new Thread(r, "narflow-pull-through");
      t.setDaemon(true);
      return t;
    }, new ThreadPoolExecutor.AbortPolicy());
    this.outcomes = Counter.builder().name("narflow_exporter_pull_through_total")
        .help("narinfo misses passed to pull-through, by outcome: requested (enqueued for mirroring), unknown"
            + " (no upstream has it), repeated (asked lately), dropped (too many waiting), error")
        .labelNames("outcome").build();
  }

  /** Counts outcomes in {@code registry} ({@code narflow_exporter_pull_through_total}). */
  public void registerMetrics(PrometheusRegistry registry) {
    registry.register(outcomes);
  }

  /** From a request thread: queues a lookup of {@code path}'s name and returns at once. */
  @Override
  public void accept(StorePathKey path) {
    synchronized (seen) {
      if (!seen.add(path)) {
        outcomes.labelValues("repeated").inc();
        return;
      }
    }
    try {
      lookups.execute(() -> pull(path));
    } catch (RejectedExecutionException e) {
      synchronized (seen) {
        seen.remove(path); // not looked up: a later miss may try again
      }
      outcomes.labelValues("dropped").inc();
    }
  }

  private void pull(StorePathKey path) {
    try {
      StorePath named = name(path);
      if (named == null) {
        outcomes.labelValues("unknown").inc();
        return;
      }
      producer.send(FetchRequests.record(topicPrefix, FetchRequests.of(named, upstreams, true, "pull-through")),
          (metadata, e) -> {
            if (e != null) {
              failed(path, "pull-through request not sent: " + named.absolute(), e);
            } else {
              outcomes.labelValues("requested").inc();
              LOG.atInfo().setMessage("pull-through: requested").addKeyValue("store_path", named.absolute()).log();
            }
          });
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (IOException | RuntimeException e) {
      failed(path, "pull-through failed", e);
    }
  }

  /** A lookup or send that failed for a passing reason: counted, logged, and tried again at the next miss. */
  private void failed(StorePathKey path, String what, Exception e) {
    synchronized (seen) {
      seen.remove(path);
    }
    outcomes.labelValues("error").inc();
    LOG.atWarn().setMessage(what).addKeyValue("hash", path.hashPart()).addKeyValue("error", e.getMessage()).log();
  }

  /**
   * The store path of {@code path} from the first upstream whose narinfo for it names it; null if
   * every upstream answered without one (404, another path, an unusable narinfo).
   *
   * @throws IOException when an upstream could not be asked (a passing failure: asked again later)
   */
  private StorePath name(StorePathKey path) throws IOException, InterruptedException {
    IOException unreachable = null;
    for (URI upstream : upstreams) {
      URI uri = URI.create(upstream + "/" + path.hashPart() + ".narinfo");
      try {
        HttpResponse<InputStream> r = http.send(HttpRequest.newBuilder(uri).timeout(LOOKUP_TIMEOUT).build(),
            HttpResponse.BodyHandlers.ofInputStream());
        byte[] body;
        try (InputStream in = r.body()) {
          if (r.statusCode() != 200) continue;
          body = in.readNBytes(MAX_NARINFO_BYTES + 1);
        }
        if (body.length > MAX_NARINFO_BYTES) throw new IllegalArgumentException("larger than " + MAX_NARINFO_BYTES + " bytes");
        StorePath named = NarInfo.parse(new String(body, StandardCharsets.UTF_8)).storePath();
        if (StorePathKey.of(named).equals(path)) return named;
        LOG.atWarn().setMessage("pull-through: upstream narinfo names another path").addKeyValue("url", uri)
            .addKeyValue("store_path", named.absolute()).log();
      } catch (IOException e) {
        unreachable = e;
      } catch (IllegalArgumentException e) { // NixFormatException among them
        LOG.atWarn().setMessage("pull-through: upstream narinfo unusable").addKeyValue("url", uri)
            .addKeyValue("error", e.getMessage()).log();
      }
    }
    if (unreachable != null) throw unreachable;
    return null;
  }

  /** Waits briefly for lookups in progress, then sends what they produced. */
  @Override
  public void close() {
    lookups.shutdown();
    try {
      lookups.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    lookups.shutdownNow();
    producer.close(Duration.ofSeconds(5));
  }
}
