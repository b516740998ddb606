package dev.narflow.ops.serve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import dev.narflow.topics.kafka.StorePathKey;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.ByteArrayOutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.CommonClientConfigs;
import org.junit.jupiter.api.Test;

/**
 * Pull-through under a flood of misses (anyone can ask for any hash): two lookups run, {@link
 * PullThrough#QUEUE} wait, the rest are dropped and counted; a hash asked again is not looked up
 * again; a lookup no upstream answers is "unknown". The upstream holds every narinfo request until
 * released, so the queue fills; no request is ever sent, so no broker is needed.
 */
class PullThroughBoundsTest {
  @Test
  void aFloodOfMissesIsBoundedAndCounted() throws Exception {
    CountDownLatch release = new CountDownLatch(1);
    AtomicInteger lookups = new AtomicInteger();
    HttpServer upstream = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    upstream.setExecutor(java.util.concurrent.Executors.newCachedThreadPool());
    upstream.createContext("/", ex -> {
      try (ex) {
        lookups.incrementAndGet();
        release.await(60, TimeUnit.SECONDS);
        ex.sendResponseHeaders(404, -1);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    });
    upstream.start();
    PrometheusRegistry registry = new PrometheusRegistry();
    int flood = PullThrough.QUEUE + 2 + 40;
    try (PullThrough pull = new PullThrough(Map.of(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, "127.0.0.1:9"), "",
        List.of(URI.create("http://127.0.0.1:" + upstream.getAddress().getPort())))) {
      pull.registerMetrics(registry);
      for (int i = 0; i < flood; i++) pull.accept(key(i));
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      while (lookups.get() < 2) {
        assertTrue(System.nanoTime() < deadline, "the two lookups never reached the upstream");
        Thread.sleep(10);
      }
      assertEquals(40.0, count(registry, "dropped"), "beyond two running and a full queue");
      pull.accept(key(0));
      assertEquals(1.0, count(registry, "repeated"));

      release.countDown();
      deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
      while (count(registry, "unknown") < PullThrough.QUEUE + 2) {
        assertTrue(System.nanoTime() < deadline, "lookups did not finish: " + count(registry, "unknown"));
        Thread.sleep(20);
      }
      assertEquals(PullThrough.QUEUE + 2, lookups.get(), "each hash looked up once; none of the dropped");
      // A dropped hash is not remembered: the next miss looks it up.
      pull.accept(key(flood - 1));
      while (lookups.get() < PullThrough.QUEUE + 3) {
        assertTrue(System.nanoTime() < deadline, "a dropped hash was not looked up at its next miss");
        Thread.sleep(10);
      }
    } finally {
      release.countDown();
      upstream.stop(0);
    }
  }

  private static StorePathKey key(int i) {
    byte[] digest = new byte[StorePathKey.SIZE];
    digest[0] = (byte) (i >>> 8);
    digest[1] = (byte) i;
    digest[2] = 1;
    return StorePathKey.of(digest);
  }

  private static double count(PrometheusRegistry registry, String outcome) throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    PrometheusTextFormatWriter.create().write(out, registry.scrape());
    String line = "narflow_exporter_pull_through_total{outcome=\"" + outcome + "\"} ";
    return out.toString(StandardCharsets.UTF_8).lines().filter(l -> l.startsWith(line))
        .mapToDouble(l -> Double.parseDouble(l.substring(line.length()).split(" ")[0])).sum();
  }
}
