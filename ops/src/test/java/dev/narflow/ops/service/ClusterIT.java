package dev.narflow.ops.service;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.narflow.chunker.testing.S3ProxyServer;
import dev.narflow.ingest.testing.NixCacheFixture;
import dev.narflow.ops.ChildJvm;
import dev.narflow.topics.nix.NarInfo;
import dev.narflow.topics.testing.RealNix;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The distributed deployment on one machine, each piece its own JVM from the shaded jar:
 * {@code narflow broker}, {@code topics create}, two indexers, two workers, {@code enqueue},
 * {@code status --wait}, two exporters, and real Nix substituting from each. On the way one
 * worker is killed with SIGKILL in the middle of a large NAR, and one indexer is killed and
 * restarted: the closure must still complete, with every NarHash as upstream gave it.
 */
public class ClusterIT {
  private static final Duration START = Duration.ofMinutes(2);
  private static final Pattern BROKER = Pattern.compile("narflow broker: .* on (127\\.0\\.0\\.1:[0-9]+)");
  private static final Pattern EXPORTER = Pattern.compile("serving on (http://127\\.0\\.0\\.1:[0-9]+)");
  private static final HttpClient HTTP = HttpClient.newHttpClient();

  @Test
  void aClusterOfSeparateProcessesOnAFileChunkStoreSurvivesKills(@TempDir Path tmp) throws Exception {
    scenario(tmp, null, tmp.resolve("chunks").toUri().toString(), Map.of());
  }

  @Test
  void aClusterOfSeparateProcessesOnS3SurvivesKills(@TempDir Path tmp) throws Exception {
    try (S3ProxyServer s3 = S3ProxyServer.start(Files.createDirectory(tmp.resolve("s3")))) {
      s3.createBucket("narflow");
      scenario(tmp, null, "s3://narflow/chunks?endpoint=" + s3.endpoint() + "&region=us-east-1",
          Map.of("AWS_ACCESS_KEY_ID", s3.accessKey(), "AWS_SECRET_ACCESS_KEY", s3.secretKey()));
    }
  }

  /**
   * The whole scenario, on a {@code narflow broker} of its own ({@code bootstrapServers} null) or
   * on a cluster that is there already (the Testcontainers profile's Kafka), with the chunks in
   * {@code chunkStore} and {@code env} (S3 credentials) for every process.
   */
  public static void scenario(Path tmp, String bootstrapServers, String chunkStore, Map<String, String> env)
      throws Exception {
    List<ChildJvm> children = new ArrayList<>();
    try (NixCacheFixture cache = NixCacheFixture.create(tmp.resolve("upstream"))) {
      String nonce = Long.toString(System.nanoTime());
      String leaf = cache.build("cluster-leaf", "echo " + nonce + " > $out", List.of());
      String mid = cache.build("cluster-mid", "/bin/mkdir -p $out/share; echo $in0 > $out/share/ref;"
          + " i=0; while [ $i -lt 20000 ]; do echo \"line $i $in0\"; i=$((i+1)); done > $out/share/text", List.of(leaf));
      String large = cache.build("cluster-large", "/bin/mkdir $out; echo $in0 > $out/ref;"
          + " /usr/bin/head -c 24000000 /dev/urandom > $out/big", List.of(mid));
      String top = cache.build("cluster-top", "/bin/mkdir $out; echo $in0 > $out/ref", List.of(large));
      cache.copy(leaf, "none", false);
      cache.copy(mid, "xz", false);
      cache.copy(large, "none", false);
      cache.copy(top, "zstd", false);
      String largeNar = cache.narFile(large).getFileName().toString();
      // The first download of the large NAR stops half-way, so that a worker is in its middle.
      cache.faults().stallAfter(largeNar, 8_000_000, 1);

      ChildJvm broker = null;
      String servers = bootstrapServers;
      if (servers == null) {
        ChildJvm b = start(children, "broker", env, "broker", "--data", tmp.resolve("broker").toString(),
            "--listen", "127.0.0.1:0");
        b.await("the broker's start", START, () -> BROKER.matcher(b.err()).find());
        Matcher m = BROKER.matcher(b.err());
        assertTrue(m.find());
        servers = m.group(1);
        broker = b;
      }
      // Dead members leave the groups after 10 s instead of Kafka's 45 s default.
      Path kafkaConfig = Files.writeString(tmp.resolve("kafka.properties"),
          "session.timeout.ms=10000\nheartbeat.interval.ms=2000\n");
      Map<String, String> cluster = new HashMap<>(env);
      cluster.put("NARFLOW_BOOTSTRAP_SERVERS", servers);
      cluster.put("NARFLOW_KAFKA_CONFIG", kafkaConfig.toString());

      ChildJvm topics = start(children, "topics", cluster, "topics", "create", "--partitions", "4");
      assertEquals(0, topics.waitFor(START), topics.err());

      // Exporters first, as compose or Kubernetes may start them: they wait for an indexer.
      List<String> exporter = new ArrayList<>(List.of("exporter", "--chunk-store", chunkStore, "--listen", "127.0.0.1:0"));
      ChildJvm exporter1 = start(children, "exporter-1", cluster, with(exporter, "--state-dir", tmp.resolve("exporter-1")));
      ChildJvm exporter2 = start(children, "exporter-2", cluster, with(exporter, "--state-dir", tmp.resolve("exporter-2")));
      exporter1.await("the exporter waiting for an indexer", START, () -> exporter1.err().contains("waiting for an indexer"));

      ChildJvm indexer1 = start(children, "indexer-1", cluster, "indexer", "--state-dir", tmp.resolve("indexer-1").toString(),
          "--metrics-listen", "127.0.0.1:0");
      ChildJvm indexer2 = start(children, "indexer-2", cluster, "indexer", "--state-dir", tmp.resolve("indexer-2").toString(),
          "--metrics-listen", "127.0.0.1:0");
      indexer1.await("the indexer running", START, () -> indexer1.err().contains("running"));
      indexer2.await("the indexer running", START, () -> indexer2.err().contains("running"));

      List<String> worker = List.of("worker", "--chunk-store", chunkStore, "--trusted-public-key", cache.publicKey(),
          "--metrics-listen", "127.0.0.1:0");
      ChildJvm workerA = start(children, "worker-a", cluster, worker.toArray(String[]::new));
      workerA.await("the worker's start", START, () -> workerA.err().contains("ingesting into"));

      ChildJvm enqueue = start(children, "enqueue", cluster, "enqueue", "--upstream", cache.url().toString(), top);
      assertEquals(0, enqueue.waitFor(START), enqueue.err());

      // Worker A alone takes the requests: the large NAR it is downloading is half sent when it dies.
      // Most of its first 8 MB read (its own metrics say so), the rest held back by the upstream.
      String workerAMetrics = metricsUrl(workerA) + "/metrics";
      workerA.await("the large NAR half read", START, () -> narBytesRead(workerAMetrics) >= 6_000_000);
      workerA.kill();
      // No worker now: the large NAR cannot complete until worker B takes over A's partitions,
      // after A's session expires (10 s).
      List<String> urls = new ArrayList<>();
      for (ChildJvm e : List.of(exporter1, exporter2)) {
        e.await("the exporter serving", START, () -> EXPORTER.matcher(e.err()).find());
        Matcher u = EXPORTER.matcher(e.err());
        assertTrue(u.find());
        urls.add(u.group(1));
      }
      // Nothing partial is served: the large NAR died with its worker, so neither it nor what
      // needs it exists for clients yet, while what it needs may.
      for (String url : urls) {
        assertEquals(404, status(url + "/" + hashPart(large) + ".narinfo"), "large served before it was mirrored");
        assertEquals(404, status(url + "/" + hashPart(top) + ".narinfo"), "top served before its closure was complete");
      }
      ChildJvm workerB = start(children, "worker-b", cluster, worker.toArray(String[]::new));
      workerB.await("the worker's start", START, () -> workerB.err().contains("ingesting into"));
      indexer1.kill();
      ChildJvm indexer1Again = start(children, "indexer-1-again", cluster, "indexer", "--state-dir",
          tmp.resolve("indexer-1").toString(), "--metrics-listen", "127.0.0.1:0");

      ChildJvm status = start(children, "status", cluster, "status", "--wait", "--timeout", "300", top);
      assertEquals(0, status.waitFor(Duration.ofMinutes(6)), status.out() + status.err() + "\nworker-b:\n" + workerB.err());
      assertTrue(status.out().contains(top + ": complete"), status.out());
      assertTrue(cache.requestCount(largeNar) >= 2, "the large NAR was fetched again after the kill");
      // Both services answer Prometheus and health checks on their --metrics-listen.
      String workerMetrics = get(metricsUrl(workerB) + "/metrics");
      assertTrue(workerMetrics.lines().anyMatch(l -> l.startsWith("narflow_worker_nars_ingested_total ")
          && Double.parseDouble(l.split(" ")[1]) >= 1), workerMetrics);
      assertEquals("ok", get(metricsUrl(indexer2) + "/healthz").strip());
      assertTrue(get(metricsUrl(indexer2) + "/metrics").contains("narflow_indexer_records_processed_total"));

      for (int i = 0; i < urls.size(); i++) {
        Path store = tmp.resolve("client-" + i);
        RealNix.Result copy = RealNix.run(null, Map.of(), "nix", "copy", "--from", urls.get(i), "--to", store.toString(),
            "--option", "trusted-public-keys", cache.publicKey(), top);
        assertEquals(0, copy.exitCode(), urls.get(i) + ": " + copy.stderr());
        for (String path : List.of(top, large, mid, leaf)) {
          String json = RealNix.run("nix", "path-info", "--store", store.toString(), "--json", path).out();
          NarInfo original = NarInfo.parse(Files.readString(cache.narInfoFile(path)));
          assertTrue(json.contains("\"narHash\":\"" + original.narHash().toSri() + "\""), path + ": " + json);
        }
      }
      // Two exporters, one answer.
      for (String path : List.of(top, large, mid, leaf)) {
        String narinfo = "/" + hashPart(path) + ".narinfo";
        assertEquals(get(urls.get(0) + narinfo), get(urls.get(1) + narinfo), narinfo);
      }

      // SIGTERM: every service stops cleanly (143 is the JVM's status for an exit on SIGTERM,
      // once the shutdown hook has let the service close what it opened).
      List<ChildJvm> services = new ArrayList<>(List.of(exporter1, exporter2, workerB, indexer1Again, indexer2));
      if (broker != null) services.add(broker);
      for (ChildJvm c : services) {
        assertEquals(143, c.stop(Duration.ofMinutes(2)), c + ":\n" + c.err());
        assertTrue(c.err().contains(": stopping"), c + " did not stop cleanly:\n" + c.err());
      }
    } finally {
      for (ChildJvm c : children) c.close();
    }
  }

  private static final Pattern METRICS = Pattern.compile("metrics on (http://127\\.0\\.0\\.1:[0-9]+)/metrics");

  /** {@code narflow_worker_nar_bytes_read_total} of a worker now; 0 while it does not answer. */
  private static double narBytesRead(String metrics) {
    try {
      return get(metrics).lines().filter(l -> l.startsWith("narflow_worker_nar_bytes_read_total "))
          .mapToDouble(l -> Double.parseDouble(l.substring(l.indexOf(' ') + 1))).sum();
    } catch (Exception | AssertionError e) {
      return 0;
    }
  }

  private static String metricsUrl(ChildJvm service) {
    Matcher m = METRICS.matcher(service.err());
    assertTrue(m.find(), service + " names no metrics address:\n" + service.err());
    return m.group(1);
  }

  private static String[] with(List<String> args, String option, Path value) {
    List<String> all = new ArrayList<>(args);
    all.add(option);
    all.add(value.toString());
    return all.toArray(String[]::new);
  }

  private static ChildJvm start(List<ChildJvm> children, String name, Map<String, String> env, String... args)
      throws Exception {
    ChildJvm child = ChildJvm.narflow(name, env, List.of(args));
    children.add(child);
    return child;
  }

  private static String hashPart(String storePath) {
    return storePath.substring("/nix/store/".length(), "/nix/store/".length() + 32);
  }

  private static int status(String url) throws Exception {
    return HTTP.send(HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.discarding()).statusCode();
  }

  private static String get(String url) throws Exception {
    HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.ofString());
    assertEquals(200, r.statusCode(), url + ": " + r.body());
    return r.body();
  }
}
