package dev.narflow.ops.service;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** The metrics server on a real port, asked by a real HTTP client. */
class MetricsServerTest {
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  private HttpResponse<String> get(MetricsServer server, String path) throws Exception {
    return send(HttpRequest.newBuilder(URI.create(server.url() + path)).GET());
  }

  private HttpResponse<String> send(HttpRequest.Builder request) throws Exception {
    return http.send(request.timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
  }

  private static InetSocketAddress anyLoopbackPort() {
    return new InetSocketAddress("127.0.0.1", 0);
  }

  @Test
  void metricsAreTheRegistryInPrometheusTextFormatReadAtEachScrape() throws Exception {
    PrometheusRegistry registry = new PrometheusRegistry();
    Counter paths = Counter.builder().name("narflow_test_paths_total").help("paths").register(registry);
    paths.inc(3);
    try (MetricsServer server = MetricsServer.start(anyLoopbackPort(), registry, Optional::empty)) {
      assertTrue(server.port() > 0);
      HttpResponse<String> r = get(server, "/metrics");
      assertEquals(200, r.statusCode());
      assertTrue(r.headers().firstValue("Content-Type").orElse("").startsWith("text/plain; version=0.0.4"),
          r.headers().toString());
      assertTrue(r.body().contains("# TYPE narflow_test_paths_total counter"), r.body());
      assertTrue(r.body().contains("narflow_test_paths_total 3.0"), r.body());
      paths.inc();
      assertTrue(get(server, "/metrics").body().contains("narflow_test_paths_total 4.0"), "scraped again, not cached");
    }
  }

  @Test
  void healthIsOkWhileReadyElseServiceUnavailableWithTheReasonInOneLine() throws Exception {
    AtomicReference<Optional<String>> reason = new AtomicReference<>(Optional.of("the indexer is rebalancing"));
    try (MetricsServer server = MetricsServer.start(anyLoopbackPort(), new PrometheusRegistry(), reason::get)) {
      HttpResponse<String> r = get(server, "/healthz");
      assertEquals(503, r.statusCode());
      assertEquals("the indexer is rebalancing\n", r.body());

      reason.set(Optional.empty());
      r = get(server, "/healthz");
      assertEquals(200, r.statusCode());
      assertEquals("ok\n", r.body());

      reason.set(Optional.of("Kafka is unreachable:\n  broker-1:9092 refused\n"));
      assertEquals("Kafka is unreachable: broker-1:9092 refused\n", get(server, "/healthz").body());

      HttpResponse<String> head = send(HttpRequest.newBuilder(URI.create(server.url() + "/healthz"))
          .method("HEAD", HttpRequest.BodyPublishers.noBody()));
      assertEquals(503, head.statusCode());
      assertEquals("", head.body());
    }
  }

  @Test
  void aReadinessCheckThatThrowsIsNotReady() throws Exception {
    try (MetricsServer server = MetricsServer.start(anyLoopbackPort(), new PrometheusRegistry(), () -> {
      throw new IllegalStateException("stores closed");
    })) {
      HttpResponse<String> r = get(server, "/healthz");
      assertEquals(503, r.statusCode());
      assertEquals(1, r.body().lines().count(), r.body());
      assertTrue(r.body().contains("stores closed"), r.body());
    }
  }

  @Test
  void anythingElseIsOneLine404AndOnlyGetAndHeadAreAllowed() throws Exception {
    try (MetricsServer server = MetricsServer.start(anyLoopbackPort(), new PrometheusRegistry(), Optional::empty)) {
      HttpResponse<String> r = get(server, "/nix-cache-info");
      assertEquals(404, r.statusCode());
      assertEquals(1, r.body().lines().count(), r.body());
      assertTrue(r.body().startsWith("not found"), r.body());

      r = send(HttpRequest.newBuilder(URI.create(server.url() + "/metrics")).POST(HttpRequest.BodyPublishers.ofString("x")));
      assertEquals(405, r.statusCode());
      assertEquals("GET, HEAD", r.headers().firstValue("Allow").orElse(""));
    }
  }

  @Test
  void aPortInUseIsAnIoErrorNamingTheAddress() throws Exception {
    try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      InetSocketAddress address = new InetSocketAddress("127.0.0.1", taken.getLocalPort());
      IOException e = assertThrows(IOException.class,
          () -> MetricsServer.start(address, new PrometheusRegistry(), Optional::empty));
      assertTrue(e.getMessage().contains("127.0.0.1:" + taken.getLocalPort()), e.getMessage());
    }
  }

  @Test
  void closeLetsAScrapeInProgressFinish() throws Exception {
    PrometheusRegistry registry = new PrometheusRegistry();
    CountDownLatch scraping = new CountDownLatch(1);
    GaugeWithCallback.builder().name("narflow_test_slow").help("slow to read").callback(c -> {
      scraping.countDown();
      try {
        Thread.sleep(500);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      c.call(1);
    }).register(registry);
    MetricsServer server = MetricsServer.start(anyLoopbackPort(), registry, Optional::empty);
    CompletableFuture<HttpResponse<String>> scrape = http.sendAsync(
        HttpRequest.newBuilder(URI.create(server.url() + "/metrics")).build(), HttpResponse.BodyHandlers.ofString());
    assertTrue(scraping.await(10, TimeUnit.SECONDS));
    server.close();
    HttpResponse<String> r = scrape.get(10, TimeUnit.SECONDS);
    assertEquals(200, r.statusCode());
    assertTrue(r.body().contains("narflow_test_slow 1.0"), r.body());
  }

  @Test
  void afterCloseThePortIsFree() throws Exception {
    MetricsServer server = MetricsServer.start(anyLoopbackPort(), new PrometheusRegistry(), Optional::empty);
    int port = server.port();
    assertEquals(200, get(server, "/healthz").statusCode());
    server.close();
    try (ServerSocket again = new ServerSocket(port, 1, InetAddress.getLoopbackAddress())) {
      assertEquals(port, again.getLocalPort());
    }
  }
}
