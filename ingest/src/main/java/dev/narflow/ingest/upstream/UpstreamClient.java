package dev.narflow.ingest.upstream;

import dev.narflow.topics.nix.NarInfo;
import dev.narflow.topics.nix.NixCacheInfo;
import dev.narflow.topics.nix.NixFormatException;
import dev.narflow.topics.nix.NixPublicKey;
import dev.narflow.topics.nix.StoreDir;
import dev.narflow.topics.nix.StorePath;
import dev.narflow.topics.nix.TrustedKeys;
import dev.narflow.topics.v1.FetchFailure.Reason;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.net.ConnectException;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpHeaders;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.SortedSet;
import java.util.TreeSet;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadLocalRandom;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Fetches narinfos and NARs from Nix HTTP binary caches, verified: signatures on narinfos, sizes
 * and hashes on NARs (see {@link VerifiedNar}). Thread-safe; one client (and one JDK HttpClient,
 * HTTP/2 where offered, connections reused) serves a whole process.
 *
 * <p>Failures are {@link FetchException}s with the reason for {@code narflow.failures}.
 * Retried here, with exponential backoff and jitter, honouring {@code Retry-After} (seconds):
 * 5xx, 429, timeouts and broken connections before a response body is handed out. 404, 403 and
 * 410 are NOT_FOUND; on NOT_FOUND (or any other failure) the next upstream is tried. An upstream
 * whose failure outlasted the retries is skipped for {@link #SKIP_FAILING_UPSTREAM} while another
 * one answers. A NAR body that fails midway is not resumed: the FetchException is retryable and
 * the caller starts over.
 *
 * <p>Each upstream's {@code nix-cache-info} is read once; a cache for another store directory than
 * {@code /nix/store}, or a URL that is not a binary cache at all, is a configuration error: a
 * FetchException(UPSTREAM_ERROR, not retryable) naming the upstream, raised by
 * {@link #checkUpstreams()} (for the CLI to report at start-up) and by every later call.
 *
 * <p>An unsupported {@code Compression} is reported by {@link #narInfo} as MALFORMED_NARINFO (the
 * narinfo asks for something we cannot do; the NAR is never fetched).
 */
public final class UpstreamClient implements Closeable {
  static {
    // The JDK client reads a response in pieces of jdk.httpclient.bufsize (16 KiB by default) and
    // hands each to the reading thread through a queue of one, a thread switch per piece. Measured
    // (2026-12-06, one 234 MB NAR from nginx on loopback, warm): 0.68 s of CPU with 16 KiB, 0.36 s
    // with 256 KiB. Read when the client's classes load, so set before the first client exists.
    if (System.getProperty("jdk.httpclient.bufsize") == null) {
      System.setProperty("jdk.httpclient.bufsize", Integer.toString(256 * 1024));
    }
  }

  private static final Logger log = LoggerFactory.getLogger(UpstreamClient.class);

  /** The default upstream. */
  public static final URI CACHE_NIXOS_ORG = URI.create("https://cache.nixos.org");
  /** The key cache.nixos.org signs with, trusted by default by the CLI. */
  public static final String CACHE_NIXOS_ORG_KEY = "cache.nixos.org-1:6NCHdD59X431o0gWypbMrAURkbJ16ZPMQFGspcDShjY=";

  /** Set to {@code false} to decode xz in Java even where a native {@code xz} is on PATH. */
  public static final String NATIVE_XZ_PROPERTY = "narflow.xz.native";

  /** How long an upstream that keeps failing is skipped while others answer; Nix uses 60 s too. */
  static final Duration SKIP_FAILING_UPSTREAM = Duration.ofSeconds(60);

  private static final int MAX_CACHE_INFO_SIZE = 64 * 1024;
  private static final int MAX_ERROR_BODY_DRAIN = 64 * 1024;

  private final List<Upstream> upstreams;
  private final TrustedKeys trustedKeys;
  private final Set<String> trustedNames;
  private final boolean checkSignatures;
  private final Duration firstByteTimeout;
  private final Duration idleTimeout;
  private final int maxAttempts;
  private final Duration initialBackoff;
  private final Duration maxBackoff;
  private final Duration maxRetryAfter;
  private final HttpClient http;
  private final boolean ownsHttp;
  private final ScheduledThreadPoolExecutor watchdog;
  private final Sleeper sleeper;
  private final NarDecoders decoders;
  private final UpstreamObserver observer;

  /** Waits between attempts; replaceable so tests can see the delays asked for. */
  interface Sleeper {
    void sleep(Duration d) throws InterruptedException;
  }

  private UpstreamClient(Builder b) {
    if (b.upstreams == null || b.upstreams.isEmpty()) throw new IllegalStateException("no upstream configured");
    List<Upstream> list = new ArrayList<>();
    for (URI u : b.upstreams) list.add(new Upstream(checkBase(u)));
    this.upstreams = List.copyOf(list);
    this.checkSignatures = b.checkSignatures;
    if (checkSignatures && (b.trustedKeys == null || b.trustedKeys.keys().isEmpty())) {
      throw new IllegalStateException("no trusted public key configured (and signature checks are on)");
    }
    this.trustedKeys = b.trustedKeys;
    Set<String> names = new TreeSet<>();
    if (trustedKeys != null) for (NixPublicKey k : trustedKeys.keys()) names.add(k.name());
    this.trustedNames = Collections.unmodifiableSet(names);
    this.firstByteTimeout = positive(b.firstByteTimeout, "firstByteTimeout");
    this.idleTimeout = positive(b.idleTimeout, "idleTimeout");
    if (b.maxAttempts < 1) throw new IllegalArgumentException("maxAttempts must be at least 1, got " + b.maxAttempts);
    this.maxAttempts = b.maxAttempts;
    this.initialBackoff = positive(b.initialBackoff, "initialBackoff");
    this.maxBackoff = positive(b.maxBackoff, "maxBackoff");
    this.maxRetryAfter = positive(b.maxRetryAfter, "maxRetryAfter");
    this.ownsHttp = b.httpClient == null;
    this.http = ownsHttp
        ? HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_2) // falls back to HTTP/1.1 where the upstream does not offer h2
            .connectTimeout(positive(b.connectTimeout, "connectTimeout"))
            .followRedirects(HttpClient.Redirect.NORMAL)
            .build()
        : b.httpClient;
    this.watchdog = new ScheduledThreadPoolExecutor(1, r -> {
      Thread t = new Thread(r, "narflow-upstream-idle-watchdog");
      t.setDaemon(true);
      return t;
    });
    watchdog.setRemoveOnCancelPolicy(true);
    this.sleeper = b.sleeper;
    this.decoders = b.decoders != null ? b.decoders : NarDecoders.choose(b.nativeXz);
    this.observer = b.observer;
    if (!checkSignatures) {
      log.warn("signatures of upstream narinfos are NOT checked (--no-check-sigs): anything {} serves is accepted",
          b.upstreams);
    }
  }

  public static Builder builder() {
    return new Builder();
  }

  /** How NARs are decoded (pure Java, or native xz where it pays). */
  NarDecoders decoders() {
    return decoders;
  }

  /** The upstreams in the order they are tried. */
  public List<URI> upstreams() {
    List<URI> l = new ArrayList<>();
    for (Upstream u : upstreams) l.add(u.base);
    return l;
  }

  /**
   * Reads every upstream's nix-cache-info now (each only once per client): fails on the first one
   * that is unreachable (after retries) or misconfigured, for a clear error at start-up.
   */
  public void checkUpstreams() throws FetchException {
    for (Upstream u : upstreams) u.ensureCacheInfo();
  }

  /**
   * GET {@code <hash>.narinfo} from each upstream in turn (after its nix-cache-info) until one
   * has it with a valid signature by a trusted key. When none does, the failure reported is the
   * first retryable one (trying again may help), else the first that is not NOT_FOUND, else
   * NOT_FOUND naming every upstream.
   */
  public UpstreamNarInfo narInfo(StorePath path) throws FetchException {
    Objects.requireNonNull(path, "path");
    List<FetchException> failures = new ArrayList<>();
    long now = System.nanoTime();
    boolean anyAnswering = upstreams.stream().anyMatch(u -> u.skippedUntil(now) == null);
    for (Upstream u : upstreams) {
      FetchException skipped = anyAnswering ? u.skippedUntil(now) : null;
      if (skipped != null) {
        failures.add(skipped);
        continue;
      }
      try {
        return u.narInfo(path);
      } catch (FetchException e) {
        log.debug("{}: {}", u.base, e.getMessage());
        if (e.retryable() && upstreams.size() > 1) u.skipAfter(e);
        failures.add(e);
      }
    }
    if (failures.size() == 1) throw failures.get(0);
    for (FetchException f : failures) if (f.retryable()) throw f;
    for (FetchException f : failures) if (f.reason() != Reason.NOT_FOUND) throw f;
    StringBuilder msg = new StringBuilder("no upstream has ").append(path).append(':');
    for (FetchException f : failures) msg.append(' ').append(f.getMessage()).append(';');
    msg.setLength(msg.length() - 1);
    throw new FetchException(Reason.NOT_FOUND, failures.get(0).upstreamStatus(), false, msg.toString());
  }

  /** The decompressed NAR, verified while it is read; see {@link VerifiedNar}. */
  public VerifiedNar openNar(UpstreamNarInfo info) throws FetchException {
    Objects.requireNonNull(info, "info");
    Compression compression = compressionOf(info.narInfo(), info.narUrl());
    URI narUrl = checkNarUrl(info.narUrl(), info.narUrl().toString());
    HttpResponse<InputStream> response = withRetries(narUrl, () -> get(narUrl, UpstreamObserver.Request.NAR));
    WatchedBody body = watch(response);
    return new VerifiedNar(info.narInfo(), narUrl, body, decoders.decoderFor(compression, info.narInfo()));
  }

  /** Stops the idle watchdog, and the HTTP client if this client made it (on JDKs that can close one). */
  @Override
  public void close() {
    watchdog.shutdownNow();
    if (ownsHttp && http instanceof AutoCloseable c) { // HttpClient is closeable from Java 21 on
      try {
        c.close();
      } catch (Exception ignored) {
        // nothing to do: the connections die with the process
      }
    }
  }

  // ---- one upstream

  private final class Upstream {
    final URI base;
    /** Null until nix-cache-info was read; then empty (fine) or the configuration error, kept for good. */
    private FetchException cacheInfoError;
    private boolean cacheInfoRead;
    /** Set while this upstream is skipped after a transient failure; see {@link #skipAfter}. */
    private volatile Skip skip;

    Upstream(URI base) {
      this.base = base;
    }

    /**
     * After a failure that outlasted the retries, leave this upstream alone for a while when others
     * answer (as Nix disables a failing substituter for 60 s): otherwise every path would pay the
     * full retry schedule against a cache that is down before reaching one that is up.
     */
    void skipAfter(FetchException e) {
      if (skip == null || skip.until - System.nanoTime() <= 0) {
        log.warn("{} is failing ({}); trying the other upstreams first for {} s", base, e.getMessage(),
            SKIP_FAILING_UPSTREAM.toSeconds());
      }
      skip = new Skip(System.nanoTime() + SKIP_FAILING_UPSTREAM.toNanos(), e);
    }

    /** The failure to report instead of asking, while this upstream is skipped; else null. */
    FetchException skippedUntil(long now) {
      Skip s = skip;
      if (s == null || s.until - now <= 0) return null;
      return new FetchException(s.cause.reason(), s.cause.upstreamStatus(), true, base + " skipped for now after: "
          + s.cause.getMessage());
    }

    synchronized void ensureCacheInfo() throws FetchException {
      if (cacheInfoRead) {
        if (cacheInfoError != null) throw cacheInfoError;
        return;
      }
      URI uri = URI.create(base + "/nix-cache-info");
      String text;
      try {
        text = withRetries(uri, () -> {
          HttpResponse<InputStream> r = get(uri, UpstreamObserver.Request.CACHE_INFO);
          try (WatchedBody in = watch(r)) {
            byte[] bytes = in.readNBytes(MAX_CACHE_INFO_SIZE + 1);
            if (bytes.length > MAX_CACHE_INFO_SIZE) {
              throw configError(uri + " is larger than " + MAX_CACHE_INFO_SIZE + " bytes; not a binary cache", 200);
            }
            return new String(bytes, StandardCharsets.UTF_8);
          } catch (FetchException e) {
            throw e;
          } catch (IOException e) {
            throw new FetchException(Reason.UPSTREAM_ERROR, r.statusCode(), true, uri + ": " + e, e);
          }
        });
        NixCacheInfo cacheInfo = NixCacheInfo.parse(text);
        cacheInfo.checkStoreDir(StoreDir.DEFAULT);
      } catch (FetchException e) {
        if (e.retryable()) throw e; // not remembered: the next call asks again
        cacheInfoError = e.reason() == Reason.NOT_FOUND
            ? configError(base + " does not appear to be a Nix binary cache (" + e.getMessage() + ")", e.upstreamStatus())
            : e;
        cacheInfoRead = true;
        throw cacheInfoError;
      } catch (NixFormatException e) {
        cacheInfoError = configError(base + ": " + e.getMessage()
            + "; narflow mirrors only caches for /nix/store", 200);
        cacheInfoRead = true;
        throw cacheInfoError;
      }
      cacheInfoRead = true;
    }

    UpstreamNarInfo narInfo(StorePath path) throws FetchException {
      ensureCacheInfo();
      URI uri = URI.create(base + "/" + path.hashPart() + ".narinfo");
      NarInfo info = withRetries(uri, () -> {
        HttpResponse<InputStream> r = get(uri, UpstreamObserver.Request.NARINFO);
        try (WatchedBody in = watch(r)) {
          return NarInfo.read(in, StoreDir.DEFAULT);
        } catch (FetchException e) {
          throw e;
        } catch (NixFormatException e) {
          throw new FetchException(Reason.MALFORMED_NARINFO, r.statusCode(), false, uri + ": " + e.getMessage(), e);
        } catch (IOException e) {
          throw new FetchException(Reason.UPSTREAM_ERROR, r.statusCode(), true, uri + ": " + e, e);
        }
      });
      if (!info.storePath().equals(path)) {
        throw new FetchException(Reason.MALFORMED_NARINFO, 200, false, uri + " is for "
            + info.storePath().absolute() + ", not the requested " + path.absolute());
      }
      // Signatures first: nothing else an unsigned narinfo says is worth reporting. Compression and
      // URL are not covered by the signature, so they are checked on their own merits after it.
      SortedSet<String> verifiedBy = checkSignatures ? verifySignatures(info, uri) : Collections.emptySortedSet();
      compressionOf(info, uri);
      URI narUrl = resolveNarUrl(base, info.url(), uri);
      return new UpstreamNarInfo(base, info, narUrl, verifiedBy);
    }
  }

  private record Skip(long until, FetchException cause) {}

  private SortedSet<String> verifySignatures(NarInfo info, URI uri) throws FetchException {
    SortedSet<String> verified;
    try {
      verified = trustedKeys.verify(info);
    } catch (NixFormatException e) {
      throw new FetchException(Reason.SIGNATURE_INVALID, 200, false, uri + ": " + e.getMessage(), e);
    }
    if (!verified.isEmpty()) return verified;
    SortedSet<String> signers = new TreeSet<>();
    for (String sig : info.signatures()) {
      int colon = sig.indexOf(':');
      signers.add(colon > 0 ? sig.substring(0, colon) : sig);
    }
    for (String s : signers) {
      if (trustedNames.contains(s)) {
        throw new FetchException(Reason.SIGNATURE_INVALID, 200, false, uri + ": the signature by trusted key '"
            + s + "' on " + info.storePath() + " does not verify");
      }
    }
    throw new FetchException(Reason.SIGNATURE_MISSING, 200, false, uri + ": no signature by a trusted key "
        + trustedNames + " on " + info.storePath() + (signers.isEmpty() ? " (unsigned)" : " (signed by " + signers + ")"));
  }

  private static Compression compressionOf(NarInfo info, URI uri) throws FetchException {
    try {
      return Compression.fromNarInfo(info.compression());
    } catch (IllegalArgumentException e) {
      throw new FetchException(Reason.MALFORMED_NARINFO, 200, false, uri + ": " + e.getMessage());
    }
  }

  // ---- URLs

  private static URI checkBase(URI u) {
    String scheme = u.getScheme() == null ? "" : u.getScheme().toLowerCase(java.util.Locale.ROOT);
    if (!(scheme.equals("http") || scheme.equals("https")) || u.getHost() == null) {
      throw new IllegalArgumentException("upstream '" + u + "' is not an http:// or https:// URL with a host");
    }
    if (u.getRawQuery() != null || u.getRawFragment() != null) {
      throw new IllegalArgumentException("upstream '" + u + "' must not have a query or fragment");
    }
    String s = u.toString();
    while (s.endsWith("/")) s = s.substring(0, s.length() - 1);
    return URI.create(s);
  }

  /**
   * The NAR's URL: relative ones are appended to the upstream as Nix does ({@code <cache>/<url>});
   * absolute ones must be http(s). A URL with a {@code ..} segment (also percent-encoded), another
   * scheme or a network-path reference ({@code //host/…}) is refused: a narinfo must not point the
   * worker somewhere else on the upstream's say-so.
   */
  static URI resolveNarUrl(URI base, String url, URI narInfoUri) throws FetchException {
    URI u;
    try {
      u = new URI(url);
      if (u.getScheme() == null) {
        if (u.getRawAuthority() != null || url.startsWith("//")) throw refused(url, narInfoUri, "has a host but no scheme");
        u = new URI(base + "/" + url);
      }
    } catch (URISyntaxException e) {
      throw refused(url, narInfoUri, "is not a valid URI (" + e.getReason() + ")");
    }
    return checkNarUrl(u, url, narInfoUri);
  }

  private static URI checkNarUrl(URI u, String original) throws FetchException {
    return checkNarUrl(u, original, u);
  }

  private static URI checkNarUrl(URI u, String original, URI narInfoUri) throws FetchException {
    String scheme = u.getScheme() == null ? "" : u.getScheme().toLowerCase(java.util.Locale.ROOT);
    if (!scheme.equals("http") && !scheme.equals("https")) throw refused(original, narInfoUri, "is not http(s)");
    if (u.getHost() == null) throw refused(original, narInfoUri, "has no host");
    String raw = u.getRawPath() == null ? "" : u.getRawPath();
    String decoded = u.getPath() == null ? "" : u.getPath();
    for (String path : new String[] {raw, decoded}) {
      for (String segment : path.split("/", -1)) {
        if (segment.equals("..")) throw refused(original, narInfoUri, "has a '..' segment");
      }
    }
    return u;
  }

  private static FetchException refused(String url, URI narInfoUri, String why) {
    return new FetchException(Reason.MALFORMED_NARINFO, 200, false, narInfoUri + ": NAR URL '" + url
        + "' " + why + "; refused");
  }

  // ---- HTTP

  /** One attempt; throws a FetchException whose retryable() says whether another may help. */
  private interface Attempt<T> {
    T run() throws FetchException;
  }

  private <T> T withRetries(URI uri, Attempt<T> attempt) throws FetchException {
    for (int n = 1; ; n++) {
      try {
        return attempt.run();
      } catch (FetchException e) {
        if (!e.retryable() || n >= maxAttempts) throw e;
        Duration delay = delayBefore(n + 1, e);
        log.info("{}; attempt {} of {} in {} ms", e.getMessage(), n + 1, maxAttempts, delay.toMillis());
        try {
          sleeper.sleep(delay);
        } catch (InterruptedException ie) {
          Thread.currentThread().interrupt();
          throw new FetchException(e.reason(), e.upstreamStatus(), true, "interrupted while waiting to retry "
              + uri + " (" + e.getMessage() + ")", ie);
        }
      }
    }
  }

  /**
   * Exponential backoff from initialBackoff, doubling up to maxBackoff, with "equal jitter" (a
   * random point in the upper half) so workers that failed together do not retry together; a
   * Retry-After from the upstream is honoured up to maxRetryAfter.
   */
  Duration delayBefore(int attempt, FetchException e) {
    long base = initialBackoff.toNanos();
    for (int i = 2; i < attempt && base < maxBackoff.toNanos(); i++) base *= 2;
    base = Math.min(base, maxBackoff.toNanos());
    long delay = base / 2 + ThreadLocalRandom.current().nextLong(base / 2 + 1);
    if (e.retryAfter() != null) delay = Math.max(delay, Math.min(e.retryAfter().toNanos(), maxRetryAfter.toNanos()));
    return Duration.ofNanos(delay);
  }

  /** GET with the first-byte timeout; returns only a 200 response, every other outcome is a FetchException. */
  private HttpResponse<InputStream> get(URI uri, UpstreamObserver.Request kind) throws FetchException {
    HttpRequest request = HttpRequest.newBuilder(uri)
        .timeout(firstByteTimeout) // covers the wait for the response headers
        .header("User-Agent", "narflow")
        .GET()
        .build();
    HttpResponse<InputStream> response;
    long started = System.nanoTime();
    try {
      response = http.send(request, HttpResponse.BodyHandlers.ofInputStream());
    } catch (HttpConnectTimeoutException e) {
      throw noResponse(kind, started, new FetchException(Reason.TIMEOUT, 0, true, uri + ": connect timed out", e));
    } catch (HttpTimeoutException e) {
      throw noResponse(kind, started, new FetchException(Reason.TIMEOUT, 0, true, uri + ": no response within "
          + firstByteTimeout.toMillis() + " ms", e));
    } catch (ConnectException e) {
      throw noResponse(kind, started, new FetchException(Reason.UPSTREAM_ERROR, 0, true, uri + ": cannot connect: " + e, e));
    } catch (IOException e) {
      throw noResponse(kind, started, new FetchException(Reason.UPSTREAM_ERROR, 0, true, uri + ": " + e, e));
    } catch (InterruptedException e) {
      // Not the upstream's doing (the path was abandoned): nothing to observe.
      Thread.currentThread().interrupt();
      throw new FetchException(Reason.UPSTREAM_ERROR, 0, true, uri + ": interrupted", e);
    }
    int status = response.statusCode();
    try {
      observer.responded(kind, status, System.nanoTime() - started);
    } catch (RuntimeException e) {
      log.warn("upstream observer failed (ignored)", e);
    }
    if (status == 200) return response;
    drainAndClose(response);
    throw statusFailure(uri, status, response.headers());
  }

  private FetchException noResponse(UpstreamObserver.Request kind, long started, FetchException e) {
    try {
      observer.noResponse(kind, e.reason(), System.nanoTime() - started);
    } catch (RuntimeException failed) {
      log.warn("upstream observer failed (ignored)", failed);
    }
    return e;
  }

  private void drainAndClose(HttpResponse<InputStream> response) {
    // A small error page read to its end lets the connection be reused; a big or slow one is cut.
    try (WatchedBody in = watch(response)) {
      in.readNBytes(MAX_ERROR_BODY_DRAIN);
    } catch (IOException ignored) {
      // the status is what matters
    }
  }

  private static FetchException statusFailure(URI uri, int status, HttpHeaders headers) {
    return switch (status) {
      case 403, 404, 410 -> new FetchException(Reason.NOT_FOUND, status, false, uri + ": HTTP " + status + " (not found)");
      default -> {
        boolean transientStatus = status == 429 || status >= 500;
        Duration retryAfter = transientStatus ? retryAfter(headers) : null;
        yield new FetchException(Reason.UPSTREAM_ERROR, status, transientStatus, uri + ": HTTP " + status
            + (retryAfter != null ? " (Retry-After " + retryAfter.toSeconds() + " s)" : ""), null, retryAfter);
      }
    };
  }

  /** {@code Retry-After} in its delta-seconds form; the HTTP-date form is ignored (backoff applies). */
  static Duration retryAfter(HttpHeaders headers) {
    String v = headers.firstValue("Retry-After").orElse("").strip();
    if (v.isEmpty() || v.length() > 9 || !v.chars().allMatch(c -> c >= '0' && c <= '9')) return null;
    return Duration.ofSeconds(Long.parseLong(v));
  }

  private WatchedBody watch(HttpResponse<InputStream> r) {
    long length = r.headers().firstValueAsLong("Content-Length").orElse(-1);
    return new WatchedBody(r.body(), r.uri(), r.statusCode(), length, idleTimeout, watchdog);
  }

  private static FetchException configError(String message, int status) {
    return new FetchException(Reason.UPSTREAM_ERROR, status, false, message);
  }

  private static Duration positive(Duration d, String name) {
    Objects.requireNonNull(d, name);
    if (d.isNegative() || d.isZero()) throw new IllegalArgumentException(name + " must be positive, got " + d);
    return d;
  }

  /** Configures an {@link UpstreamClient}; only {@link #upstreams} is required (and trusted keys unless checks are off). */
  public static final class Builder {
    private List<URI> upstreams;
    private TrustedKeys trustedKeys;
    private boolean checkSignatures = true;
    private Duration connectTimeout = Duration.ofSeconds(10);
    private Duration firstByteTimeout = Duration.ofSeconds(30);
    private Duration idleTimeout = Duration.ofSeconds(30);
    private int maxAttempts = 4;
    private Duration initialBackoff = Duration.ofMillis(250);
    private Duration maxBackoff = Duration.ofSeconds(10);
    private Duration maxRetryAfter = Duration.ofSeconds(60);
    private HttpClient httpClient;
    private Sleeper sleeper = d -> Thread.sleep(d.toMillis(), (int) (d.toNanos() % 1_000_000));
    private NarDecoders decoders;
    private boolean nativeXz = !"false".equals(System.getProperty(NATIVE_XZ_PROPERTY));
    private UpstreamObserver observer = UpstreamObserver.NONE;

    private Builder() {}

    /** Told of every request's status and latency (for metrics); none by default. */
    public Builder observer(UpstreamObserver observer) {
      this.observer = Objects.requireNonNull(observer, "observer");
      return this;
    }

    /** Binary cache base URLs (http or https), tried in this order. */
    public Builder upstreams(List<URI> upstreams) {
      this.upstreams = List.copyOf(upstreams);
      return this;
    }

    public Builder trustedKeys(TrustedKeys trustedKeys) {
      this.trustedKeys = trustedKeys;
      return this;
    }

    /** False accepts unsigned narinfos (and says so once at WARN); NarHash/NarSize are still checked. */
    public Builder checkSignatures(boolean checkSignatures) {
      this.checkSignatures = checkSignatures;
      return this;
    }

    /** TCP (and TLS) connect timeout; ignored with {@link #httpClient}, which has its own. Default 10 s. */
    public Builder connectTimeout(Duration timeout) {
      this.connectTimeout = timeout;
      return this;
    }

    /** From sending a request to its response headers. Default 30 s. */
    public Builder firstByteTimeout(Duration timeout) {
      this.firstByteTimeout = timeout;
      return this;
    }

    /** Longest wait for more bytes of a body that has started. Default 30 s. */
    public Builder idleTimeout(Duration timeout) {
      this.idleTimeout = timeout;
      return this;
    }

    /** Attempts per request (the first included) for transient failures. Default 4. */
    public Builder maxAttempts(int maxAttempts) {
      this.maxAttempts = maxAttempts;
      return this;
    }

    /** Wait before the second attempt (with jitter); doubles with each attempt. Default 250 ms. */
    public Builder initialBackoff(Duration backoff) {
      this.initialBackoff = backoff;
      return this;
    }

    /** Cap on the backoff. Default 10 s. */
    public Builder maxBackoff(Duration backoff) {
      this.maxBackoff = backoff;
      return this;
    }

    /** Cap on an upstream's Retry-After. Default 60 s. */
    public Builder maxRetryAfter(Duration cap) {
      this.maxRetryAfter = cap;
      return this;
    }

    /** A shared JDK client to use instead of one of our own (then it is not closed by us). */
    public Builder httpClient(HttpClient httpClient) {
      this.httpClient = httpClient;
      return this;
    }

    /**
     * Whether xz NARs may be decoded by a native {@code xz} on PATH (see NativeXz for why and the
     * measurements); false forces pure Java. Default true, or the system property
     * {@value UpstreamClient#NATIVE_XZ_PROPERTY} when set to {@code false}.
     */
    public Builder nativeXz(boolean nativeXz) {
      this.nativeXz = nativeXz;
      return this;
    }

    Builder sleeper(Sleeper sleeper) {
      this.sleeper = Objects.requireNonNull(sleeper);
      return this;
    }

    Builder decoders(NarDecoders decoders) {
      this.decoders = Objects.requireNonNull(decoders);
      return this;
    }

    /**
     * @throws IllegalStateException without upstreams, or without trusted keys while signatures are checked
     * @throws IllegalArgumentException for an upstream that is not an http(s) URL, or a bad timeout or count
     */
    public UpstreamClient build() {
      return new UpstreamClient(this);
    }
  }
}
