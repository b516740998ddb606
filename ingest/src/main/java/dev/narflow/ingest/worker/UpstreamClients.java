package dev.narflow.ingest.worker;

import dev.narflow.ingest.upstream.UpstreamClient;
import dev.narflow.ingest.upstream.UpstreamObserver;
import dev.narflow.topics.nix.TrustedKeys;
import java.io.Closeable;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.http.HttpClient;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * One {@link UpstreamClient} per distinct {@code upstream_url} list of the requests, all sharing one
 * {@link HttpClient} (its connection pool and HTTP/2 sessions), built on first use. Thread-safe.
 */
final class UpstreamClients implements Closeable {
  /** Settings every client gets. */
  record Settings(TrustedKeys trustedKeys, boolean checkSignatures, Duration connectTimeout,
      Duration firstByteTimeout, Duration idleTimeout, UpstreamObserver observer) {}

  private final Settings settings;
  private final HttpClient http;
  private final Map<String, UpstreamClient> clients = new ConcurrentHashMap<>();

  UpstreamClients(Settings settings) {
    this.settings = settings;
    HttpClient.Builder http = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NORMAL);
    if (settings.connectTimeout() != null) http.connectTimeout(settings.connectTimeout());
    this.http = http.build();
  }

  /**
   * The client for a request's {@code upstream_url}: one URL, or several separated by spaces.
   *
   * @throws IllegalArgumentException naming the value if it is empty or not a list of http(s) URLs
   */
  UpstreamClient forUrls(String upstreamUrls) {
    UpstreamClient client = clients.get(upstreamUrls);
    if (client != null) return client;
    List<URI> upstreams = parse(upstreamUrls);
    return clients.computeIfAbsent(upstreamUrls, k -> build(upstreams));
  }

  static List<URI> parse(String upstreamUrls) {
    List<URI> upstreams = new ArrayList<>();
    for (String u : upstreamUrls.strip().split(" +")) {
      if (u.isEmpty()) continue;
      URI uri;
      try {
        uri = new URI(u);
      } catch (URISyntaxException e) {
        throw new IllegalArgumentException("upstream URL '" + u + "' is malformed: " + e.getReason());
      }
      if (!"http".equalsIgnoreCase(uri.getScheme()) && !"https".equalsIgnoreCase(uri.getScheme())
          || uri.getHost() == null) {
        throw new IllegalArgumentException("upstream URL '" + u + "' is not an http(s) URL with a host");
      }
      upstreams.add(uri);
    }
    if (upstreams.isEmpty()) throw new IllegalArgumentException("the request names no upstream (empty upstream_url)");
    return upstreams;
  }

  private UpstreamClient build(List<URI> upstreams) {
    UpstreamClient.Builder b = UpstreamClient.builder()
        .upstreams(upstreams)
        .checkSignatures(settings.checkSignatures())
        .httpClient(http)
        // The worker retries a whole path (narinfo, then the NAR from its start) with its own
        // backoff and counts those attempts in FetchFailure; retrying inside the client as well
        // would multiply the two bounds.
        .maxAttempts(1)
        .observer(settings.observer());
    if (settings.trustedKeys() != null) b.trustedKeys(settings.trustedKeys());
    if (settings.connectTimeout() != null) b.connectTimeout(settings.connectTimeout());
    if (settings.firstByteTimeout() != null) b.firstByteTimeout(settings.firstByteTimeout());
    if (settings.idleTimeout() != null) b.idleTimeout(settings.idleTimeout());
    return b.build();
  }

  @Override
  public void close() {
    clients.values().forEach(UpstreamClient::close);
    clients.clear();
  }
}
