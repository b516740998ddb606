package dev.narflow.ops.serve;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.narflow.exporter.NarInfos.NarCompression;
import dev.narflow.ingest.testing.NixCacheFixture;
import dev.narflow.ops.ChunkStoreLocation;
import dev.narflow.ops.embedded.DataDir;
import dev.narflow.ops.embedded.EmbeddedKafka;
import dev.narflow.ops.mirror.MirrorCommandTest;
import dev.narflow.ops.mirror.MirrorPipeline;
import dev.narflow.topics.nix.NarInfo;
import dev.narflow.topics.nix.NixSecretKey;
import dev.narflow.topics.nix.StorePath;
import dev.narflow.topics.testing.RealNix;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A mirror made by {@code narflow mirror} from a real-Nix upstream of mixed compressions, served
 * by the exporter, and substituted from by real Nix ({@code nix copy --from}), trusting the
 * upstream's key or ours; and what plain HTTP clients get for hostile and partial requests.
 */
class ServeEndToEndTest {
  @TempDir static Path work;
  static NixCacheFixture upstream;
  static String top;
  static String mid;
  static String leaf;
  static Path data;
  static EmbeddedKafka kafka;
  static final NixSecretKey OUR_KEY = NixSecretKey.generate("narflow-serve-test-1");
  static Serving serving;
  static final HttpClient HTTP = HttpClient.newHttpClient();

  @BeforeAll
  static void mirrorAndServe() throws Exception {
    upstream = NixCacheFixture.create(work.resolve("upstream"));
    String nonce = Long.toString(System.nanoTime());
    leaf = upstream.build("serve-leaf", "echo " + nonce + " > $out", List.of());
    mid = upstream.build("serve-mid", "/bin/mkdir -p $out/share; echo $in0 > $out/share/ref; /bin/ln -s share/ref $out/link;"
        + " i=0; while [ $i -lt 60000 ]; do echo \"line $i $in0\"; i=$((i+1)); done > $out/share/big", List.of(leaf));
    top = upstream.build("serve-top", "/bin/mkdir $out; echo $in0 > $out/ref; echo '#!/bin/sh' > $out/run;"
        + " /bin/chmod +x $out/run", List.of(mid));
    upstream.copy(leaf, "none", false);
    upstream.copy(mid, "xz", false);
    upstream.copy(top, "zstd", false);
    data = work.resolve("mirror");
    MirrorCommandTest.Run mirrored = MirrorCommandTest.execute(Map.of(), new MirrorPipeline(), "--data", data.toString(),
        "--upstream", upstream.url().toString(), "--trusted-public-key", upstream.publicKey(), "--progress", "log", top);
    assertEquals(0, mirrored.exit(), mirrored.err());

    DataDir dir = DataDir.open(data);
    kafka = EmbeddedKafka.start(dir.kafka());
    serving = Serving.start(new Serving.Settings(dir.state(), kafka.clientConfig(), true, new ChunkStoreLocation.Local(dir.chunks()),
        "", new InetSocketAddress("127.0.0.1", 0), OUR_KEY, NarCompression.ZSTD, 40, -1, null));
  }

  @AfterAll
  static void stop() throws Exception {
    if (serving != null) serving.close();
    if (kafka != null) kafka.close();
    if (upstream != null) upstream.close();
  }

  /** {@code nix copy --from} narflow into a fresh store, trusting {@code keys}. */
  static RealNix.Result nixCopy(String name, String keys) {
    Path store = work.resolve(name);
    return RealNix.run(null, Map.of(), "nix", "copy", "--from", serving.url(), "--to", store.toString(),
        "--option", "trusted-public-keys", keys, top);
  }

  @Test
  void realNixSubstitutesTheWholeClosureTrustingTheUpstreamKey() throws Exception {
    RealNix.Result copy = nixCopy("store-upstream-key", upstream.publicKey());
    assertEquals(0, copy.exitCode(), copy.stderr());
    Path store = work.resolve("store-upstream-key");
    for (String path : List.of(top, mid, leaf)) {
      String json = RealNix.run("nix", "path-info", "--store", store.toString(), "--json", path).out();
      NarInfo original = NarInfo.parse(Files.readString(upstream.narInfoFile(path)));
      assertTrue(json.contains("\"narHash\":\"" + original.narHash().toSri() + "\""), path + ": " + json);
      assertTrue(json.contains("\"narSize\":" + original.narSize()), path + ": " + json);
      // The store Nix wrote holds the same files as the original.
      assertArrayEquals(RealNix.dump(Path.of(path)), RealNix.dump(store.resolve(path.substring(1))), path);
    }
  }

  @Test
  void realNixTrustsOurOwnKeyAloneAndRefusesWhenNeitherIsTrusted() {
    RealNix.Result ours = nixCopy("store-our-key", OUR_KEY.publicKey().toString());
    assertEquals(0, ours.exitCode(), ours.stderr());
    RealNix.Result neither = nixCopy("store-no-key", "stranger-1:" + OUR_KEY.publicKey().toString().split(":")[1]
        .replace('A', 'B'));
    assertNotEquals(0, neither.exitCode(), "Nix must refuse paths signed by no key it trusts");
  }

  @Test
  void narinfoKeepsTheUpstreamSignatureAndAddsOurs() throws Exception {
    String hash = StorePath.parseAbsolute(mid).hashPart();
    HttpResponse<String> r = get("/" + hash + ".narinfo", Map.of());
    assertEquals(200, r.statusCode());
    NarInfo served = NarInfo.parse(r.body());
    NarInfo original = NarInfo.parse(Files.readString(upstream.narInfoFile(mid)));
    assertEquals(original.fingerprint(), served.fingerprint(), "what the upstream signed is unchanged");
    assertTrue(served.signatures().containsAll(original.signatures()), r.body());
    assertTrue(served.signatures().stream().anyMatch(s -> s.startsWith(OUR_KEY.name() + ":")), r.body());
    assertEquals("zstd", served.compression());
    assertTrue(served.url().endsWith(".nar.zst"), served.url());
    assertTrue(r.body().endsWith("\n"));
    assertEquals("text/x-nix-narinfo", r.headers().firstValue("content-type").orElse(""));
  }

  @Test
  void rangesAreSlicesOfTheWholeNar() throws Exception {
    NarInfo served = NarInfo.parse(get("/" + StorePath.parseAbsolute(mid).hashPart() + ".narinfo", Map.of()).body());
    String nar = "/nar/" + served.narHash().nixbase32() + ".nar";
    byte[] whole = getBytes(nar, Map.of()).body();
    assertArrayEquals(RealNix.dump(Path.of(mid)), whole);
    // The advertised .nar.zst is the same NAR, as the real zstd decodes it.
    assertArrayEquals(whole, dev.narflow.topics.testing.ZstdTool.decompress(getBytes("/" + served.url(), Map.of()).body()));
    long size = whole.length;
    for (long[] r : new long[][] {{0, 0}, {0, 7}, {5, 200}, {100, size - 1}, {size / 2, size / 2 + 300_000}, {size - 1, size - 1}}) {
      long last = Math.min(r[1], size - 1);
      HttpResponse<byte[]> part = getBytes(nar, Map.of("Range", "bytes=" + r[0] + "-" + r[1]));
      assertEquals(206, part.statusCode());
      assertEquals("bytes " + r[0] + "-" + last + "/" + size, part.headers().firstValue("content-range").orElse(""));
      assertArrayEquals(Arrays.copyOfRange(whole, (int) r[0], (int) last + 1), part.body(), r[0] + "-" + r[1]);
    }
    HttpResponse<byte[]> suffix = getBytes(nar, Map.of("Range", "bytes=-10"));
    assertArrayEquals(Arrays.copyOfRange(whole, (int) size - 10, (int) size), suffix.body());
    assertEquals(416, getBytes(nar, Map.of("Range", "bytes=" + size + "-")).statusCode());
    assertEquals(416, getBytes(nar, Map.of("Range", "bytes=0-1,5-6")).statusCode());
    assertEquals(400, getBytes(nar, Map.of("Range", "bytes=x-y")).statusCode());
    assertEquals("public, max-age=31536000, immutable",
        getBytes(nar, Map.of()).headers().firstValue("cache-control").orElse(""));
  }

  @Test
  void hostileAndUnknownRequestsGetOneLineAndTheRightStatus() throws Exception {
    String unknown = "0".repeat(32);
    Map<String, Integer> expected = Map.ofEntries(
        Map.entry("/" + unknown + ".narinfo", 404),
        Map.entry("/nar/" + "0".repeat(52) + ".nar", 404),
        Map.entry("/" + "e".repeat(32) + ".narinfo", 400), // 'e' is not a nixbase32 digit
        Map.entry("/short.narinfo", 400),
        Map.entry("/nar/abc.nar", 400),
        Map.entry("/../etc/passwd", 400),
        Map.entry("/nar/..%2f..%2fetc%2fpasswd", 400),
        Map.entry("/%2e%2e/%2e%2e/etc/passwd", 400),
        Map.entry("/nix-cache-info%00", 400),
        Map.entry("/" + "a".repeat(300), 400),
        Map.entry("/index.html", 404));
    for (Map.Entry<String, Integer> e : expected.entrySet()) {
      HttpResponse<String> r = get(e.getKey(), Map.of());
      assertEquals(e.getValue(), r.statusCode(), e.getKey() + ": " + r.body());
      assertEquals(1, r.body().lines().count(), e.getKey() + " answers one line: " + r.body());
      assertTrue(!r.body().contains("Exception") && !r.body().contains("<html"), r.body());
    }
    HttpResponse<String> head = HTTP.send(HttpRequest.newBuilder(URI.create(serving.url() + "/" + unknown + ".narinfo"))
        .method("HEAD", HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
    assertEquals(404, head.statusCode());
    HttpResponse<String> info = get("/nix-cache-info", Map.of());
    assertEquals("StoreDir: /nix/store\nWantMassQuery: 1\nPriority: 40\n", info.body());
    HttpResponse<String> post = HTTP.send(HttpRequest.newBuilder(URI.create(serving.url() + "/nix-cache-info"))
        .POST(HttpRequest.BodyPublishers.ofString("x")).build(), HttpResponse.BodyHandlers.ofString());
    assertEquals(405, post.statusCode());
  }

  @Test
  void metricsCountRequestsAndBytesAndHealthSaysReady() throws Exception {
    NarInfo served = NarInfo.parse(get("/" + StorePath.parseAbsolute(top).hashPart() + ".narinfo", Map.of()).body());
    byte[] zst = getBytes("/" + served.url(), Map.of()).body();
    assertEquals(200, get("/healthz", Map.of()).statusCode());
    String metrics = get("/metrics", Map.of()).body();
    assertTrue(metrics.contains("narflow_exporter_requests_total{route=\"narinfo\",status=\"200\"}"), metrics);
    assertTrue(metrics.contains("narflow_exporter_servable_paths 3"), metrics);
    String sent = metrics.lines().filter(l -> l.startsWith("narflow_exporter_nar_bytes_total{route=\"nar.zst\"}"))
        .findFirst().orElseThrow(() -> new AssertionError(metrics));
    assertTrue(Double.parseDouble(sent.substring(sent.lastIndexOf(' ') + 1)) >= zst.length, sent);
    assertTrue(metrics.contains("narflow_exporter_renders_in_flight 0"), metrics);
    // The shared chunk fetcher: chunks were fetched, and none is held once the renders are done.
    String fetches = metrics.lines().filter(l -> l.startsWith("narflow_exporter_chunk_fetch_seconds_count"))
        .findFirst().orElseThrow(() -> new AssertionError(metrics));
    assertTrue(Double.parseDouble(fetches.substring(fetches.lastIndexOf(' ') + 1)) > 0, fetches);
    assertTrue(metrics.contains("narflow_exporter_chunk_in_flight_bytes 0"), metrics);
    assertTrue(metrics.contains("narflow_exporter_chunk_budget_bytes "), metrics);
  }

  /**
   * Any number of exporters answer alike: a second one with views of its own, and one whose
   * views come from a fresh indexer that read nothing but narflow.index (a rebuild), give the same
   * bytes for every narinfo and NAR.
   */
  @Test
  void aSecondExporterAndOneOverARebuiltIndexAnswerByteForByte() throws Exception {
    DataDir dir = DataDir.open(data);
    String rebuilt = "narflow-rebuilt-" + System.nanoTime();
    try (dev.narflow.chunker.store.ChunkStore store = dev.narflow.chunker.store.ChunkStore.localDirectory(dir.chunks());
        dev.narflow.indexer.Indexer indexer = dev.narflow.indexer.Indexer.builder().kafka(kafka.clientConfig())
            .applicationId(rebuilt).stateDir(work.resolve(rebuilt)).routing(false).build();
        dev.narflow.exporter.views.ExporterViews second = views("second", null);
        dev.narflow.exporter.views.ExporterViews overRebuild = views("over-rebuild", rebuilt)) {
      indexer.start();
      assertTrue(indexer.awaitRunning(java.time.Duration.ofSeconds(60)));
      second.start();
      overRebuild.start();
      assertTrue(second.awaitRunning(java.time.Duration.ofSeconds(60)));
      assertTrue(overRebuild.awaitRunning(java.time.Duration.ofSeconds(60)));
      long deadline = System.nanoTime() + java.time.Duration.ofSeconds(60).toNanos();
      while (overRebuild.approximateServablePaths() < 3 || !overRebuild.pathInfo(
          dev.narflow.topics.kafka.StorePathKey.of(StorePath.parseAbsolute(top))).isPresent()) {
        assertTrue(System.nanoTime() < deadline, "the rebuilt views never held the closure");
        Thread.sleep(100);
      }
      for (dev.narflow.exporter.views.ExporterViews views : List.of(second, overRebuild)) {
        try (dev.narflow.exporter.Exporter other = dev.narflow.exporter.Exporter.builder(views, store)
            .listen(new InetSocketAddress("127.0.0.1", 0)).signingKey(OUR_KEY).build().start()) {
          for (String path : List.of(top, mid, leaf)) {
            String narinfo = "/" + StorePath.parseAbsolute(path).hashPart() + ".narinfo";
            HttpResponse<byte[]> ours = getBytes(narinfo, Map.of());
            assertEquals(200, ours.statusCode());
            assertArrayEquals(ours.body(), getBytes(other.url(), narinfo).body(), narinfo);
            NarInfo info = NarInfo.parse(new String(ours.body(), java.nio.charset.StandardCharsets.UTF_8));
            for (String nar : List.of("/" + info.url(), "/nar/" + info.narHash().nixbase32() + ".nar")) {
              assertArrayEquals(getBytes(nar, Map.of()).body(), getBytes(other.url(), nar).body(), nar);
            }
          }
        }
      }
    }
  }

  static dev.narflow.exporter.views.ExporterViews views(String name, String indexerApplicationId) {
    var b = dev.narflow.exporter.views.ExporterViews.builder().kafka(kafka.clientConfig()).applicationId(name)
        .stateDir(work.resolve("views-" + name));
    if (indexerApplicationId != null) b.indexerApplicationId(indexerApplicationId);
    return b.build();
  }

  static HttpResponse<byte[]> getBytes(String base, String path) throws Exception {
    return HTTP.send(HttpRequest.newBuilder(URI.create(base + path)).build(), HttpResponse.BodyHandlers.ofByteArray());
  }

  static HttpResponse<String> get(String path, Map<String, String> headers) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(serving.url() + path));
    headers.forEach(b::header);
    return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  static HttpResponse<byte[]> getBytes(String path, Map<String, String> headers) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(serving.url() + path));
    headers.forEach(b::header);
    return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
  }
}
