package dev.narflow.exporter;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.github.luben.zstd.Zstd;
import com.github.luben.zstd.ZstdInputStream;
import com.google.protobuf.ByteString;
import dev.narflow.chunker.nar.ImportResult;
import dev.narflow.chunker.nar.NarImporter;
import dev.narflow.chunker.store.ChunkStore;
import dev.narflow.chunker.store.LayoutChunkStore;
import dev.narflow.chunker.store.CountingBackend;
import dev.narflow.chunker.store.LocalDirectoryBackend;
import dev.narflow.chunker.store.StoreLayout;
import dev.narflow.chunker.testing.SyntheticNar;
import dev.narflow.exporter.NarInfos.NarCompression;
import dev.narflow.exporter.views.ExporterViews;
import dev.narflow.indexer.Indexer;
import dev.narflow.topics.castore.B3Digest;
import dev.narflow.topics.castore.Directories;
import dev.narflow.topics.castore.DirectoryBuilder;
import dev.narflow.topics.castore.v1.Directory;
import dev.narflow.topics.castore.v1.DirectoryNode;
import dev.narflow.topics.castore.v1.Node;
import dev.narflow.topics.castore.v1.StatBlobResponse;
import dev.narflow.topics.kafka.IndexKey;
import dev.narflow.topics.kafka.IndexRecords;
import dev.narflow.topics.kafka.NarflowTopics;
import dev.narflow.topics.kafka.StorePathKey;
import dev.narflow.topics.kafka.TopicLayout;
import dev.narflow.topics.nix.StorePath;
import dev.narflow.topics.store.v1.NARInfo;
import dev.narflow.topics.store.v1.PathInfo;
import dev.narflow.topics.testing.KafkaTestBroker;
import dev.narflow.topics.testing.TestTrees;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.streams.StreamsConfig;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * NARs served over HTTP by a real exporter: a real broker and indexer feed its views, chunks come
 * from a local-directory store whose backend counts what it is asked (a decorator that passes
 * every call on). Multi-chunk files take their chunk lists from the views, never from a blob-index
 * GET; ranges, repeated ones too, are slices of the whole NAR; a tree that cannot be a NAR is a
 * one-line 500 for a range (checked before the headers) and a cut-short response for a whole NAR.
 */
class NarServingTest {
  @TempDir static Path work;
  static KafkaTestBroker broker;
  static Indexer indexer;
  static ExporterViews views;
  static CountingBackend backend;
  static ChunkStore store;
  static Exporter exporter;
  static final HttpClient http = HttpClient.newHttpClient();

  static LocalDirectoryBackend local;
  static byte[] nar;
  static ImportResult imported;
  static ImportResult damaged; // a NAR whose second file's only chunk is stored corrupt
  static B3Digest damagedChunk;
  static String narUrl;
  static String corruptUrl;

  @BeforeAll
  static void serve() throws Exception {
    broker = KafkaTestBroker.start();
    String prefix = PREFIX;
    try (var admin = broker.admin()) {
      NarflowTopics.createAll(admin, TopicLayout.of(3, 1), prefix);
    }
    local = LocalDirectoryBackend.open(work.resolve("chunks"), false);
    backend = new CountingBackend(local);
    store = LayoutChunkStore.builder(backend).build();
    // Small files, and two multi-chunk ones (FastCDC's default average is 256 KiB).
    nar = SyntheticNar.directory(List.of(
        new SyntheticNar.File("a-small", 300, 1, false),
        new SyntheticNar.File("b-large", 3 << 20, 2, true),
        new SyntheticNar.File("c-small", 5000, 3, false),
        new SyntheticNar.File("d-large", 1 << 20, 4, false),
        new SyntheticNar.File("e-empty", 0, 5, false))).readAllBytes();
    try (NarImporter importer = NarImporter.builder(store).build()) {
      imported = importer.importNar(new ByteArrayInputStream(nar));
    }
    try (NarImporter importer = NarImporter.builder(store).build()) {
      // A first file large enough that the response is under way when the damaged chunk comes.
      damaged = importer.importNar(SyntheticNar.directory(List.of(
          new SyntheticNar.File("a-good", 1 << 20, 11, false),
          new SyntheticNar.File("b-bad", 100_000, 12, false))));
    }
    store.flush();
    assertEquals(2, imported.blobIndexes().size(), "two multi-chunk files");
    // b-bad is below FastCDC's minimum chunk size: one chunk, whose digest is the file's. Stored
    // as a valid zstd frame of other bytes, so only the BLAKE3 check can catch it.
    damagedChunk = B3Digest.of(damaged.directories().get(damaged.directories().size() - 1).getFilesList().stream()
        .filter(f -> f.getName().toStringUtf8().equals("b-bad")).findFirst().orElseThrow().getDigest().toByteArray());
    Files.write(local.pathOf(StoreLayout.chunkKey(damagedChunk)), Zstd.compress(new byte[100_000]));

    StorePath path = TestTrees.path("served");
    StorePath corrupt = TestTrees.path("corrupt");
    // A castore-valid tree (sizes are uint64) that no NAR can hold: a file of 2^63 bytes.
    Directory huge = new DirectoryBuilder().addFile(ByteString.copyFromUtf8("huge"),
        B3Digest.wrap(new byte[32]), Long.MIN_VALUE, false).build();
    PathInfo corruptInfo = pathInfo(corrupt, Node.newBuilder()
        .setDirectory(Directories.directoryNode(ByteString.copyFromUtf8(corrupt.baseName()), huge)).build(),
        new byte[32], 1000);
    Node root = Node.newBuilder().setDirectory(imported.root().getDirectory().toBuilder()
        .setName(ByteString.copyFromUtf8(path.baseName()))).build();
    PathInfo info = pathInfo(path, root, imported.narSha256(), imported.narSize());
    StorePath damagedPath = TestTrees.path("damaged");
    PathInfo damagedInfo = pathInfo(damagedPath, Node.newBuilder().setDirectory(damaged.root().getDirectory().toBuilder()
        .setName(ByteString.copyFromUtf8(damagedPath.baseName()))).build(), damaged.narSha256(), damaged.narSize());

    Map<String, Object> config = new HashMap<>(broker.clientConfig());
    config.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, 100);
    indexer = Indexer.builder().kafka(config).topicPrefix(prefix).stateDir(work.resolve("indexer")).build();
    indexer.start();
    assertTrue(indexer.awaitRunning(Duration.ofSeconds(60)));
    String index = NarflowTopics.INDEX.withPrefix(prefix).name();
    try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(broker.clientConfig(),
        new ByteArraySerializer(), new ByteArraySerializer())) {
      for (Directory d : imported.directories()) send(producer, index, IndexRecords.keyOf(d), IndexRecords.of(d).toByteArray());
      for (Map.Entry<B3Digest, StatBlobResponse> b : imported.blobIndexes().entrySet()) {
        send(producer, index, IndexKey.blob(b.getKey()), IndexRecords.of(b.getValue()).toByteArray());
      }
      send(producer, index, IndexKey.pathInfo(path), IndexRecords.of(info).toByteArray());
      for (Directory d : damaged.directories()) send(producer, index, IndexRecords.keyOf(d), IndexRecords.of(d).toByteArray());
      send(producer, index, IndexKey.pathInfo(damagedPath), IndexRecords.of(damagedInfo).toByteArray());
      send(producer, index, IndexRecords.keyOf(huge), IndexRecords.of(huge).toByteArray());
      send(producer, index, IndexKey.pathInfo(corrupt), IndexRecords.of(corruptInfo).toByteArray());
    }
    views = ExporterViews.builder().kafka(broker.clientConfig()).topicPrefix(prefix).stateDir(work.resolve("views")).build();
    views.start();
    assertTrue(views.awaitRunning(Duration.ofSeconds(60)));
    await("both paths servable and the blob records in the views", () ->
        views.pathInfoByNarHash(imported.narSha256()).isPresent()
            && views.pathInfoByNarHash(new byte[32]).isPresent()
            && views.pathInfoByNarHash(damaged.narSha256()).isPresent()
            && imported.blobIndexes().keySet().stream().allMatch(d -> views.blob(d).isPresent()));
    // No chunk cache here, so that each test's store reads are its own; the cache has a test below.
    exporter = Exporter.builder(views, store).listen(new InetSocketAddress("127.0.0.1", 0)).chunkCacheBytes(0).build()
        .start();
    narUrl = exporter.url() + "/" + NarInfos.narUrl(imported.narSha256(), NarCompression.NONE);
    corruptUrl = exporter.url() + "/" + NarInfos.narUrl(new byte[32], NarCompression.NONE);
  }

  @AfterAll
  static void stop() throws Exception {
    if (exporter != null) exporter.close();
    if (views != null) views.close();
    if (indexer != null) indexer.close();
    if (store != null) store.close();
    if (broker != null) broker.close();
  }

  @BeforeEach
  void resetCounts() {
    backend.gets.set(0);
    backend.blobIndexGets.set(0);
  }

  static final String PREFIX = "serve.";

  static PathInfo pathInfo(StorePath path, Node root, byte[] narSha256, long narSize) {
    return PathInfo.newBuilder().setNode(root).setNarinfo(NARInfo.newBuilder().setNarSize(narSize)
        .setNarSha256(ByteString.copyFrom(narSha256))).build();
  }

  static void send(KafkaProducer<byte[], byte[]> producer, String topic, IndexKey key, byte[] value) throws Exception {
    producer.send(new ProducerRecord<>(topic, key.toBytes(), value)).get();
  }

  static HttpResponse<byte[]> get(String url, String range) throws Exception {
    HttpRequest.Builder r = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(30));
    if (range != null) r.header("Range", "bytes=" + range);
    return http.send(r.build(), HttpResponse.BodyHandlers.ofByteArray());
  }

  @Test
  void aServablePathWhoseTreeHasNotArrivedIsNotAdvertisedYet() throws Exception {
    // The views read two topics: a closure-complete PathInfo may come in before the Directory
    // records it needs. Its narinfo waits for its whole tree, root and below, so no client is sent
    // to a NAR that cannot be rendered yet.
    StorePath early = TestTrees.path("tree-later");
    Directory sub = new DirectoryBuilder().addFile(ByteString.copyFromUtf8("g"), B3Digest.wrap(new byte[32]), 0, false)
        .build();
    Directory tree = new DirectoryBuilder().addFile(ByteString.copyFromUtf8("f"), B3Digest.wrap(new byte[32]), 0, false)
        .addDirectory(ByteString.copyFromUtf8("sub"), sub).build();
    Node root = Node.newBuilder().setDirectory(Directories.directoryNode(ByteString.copyFromUtf8(early.baseName()), tree))
        .build();
    PathInfo info = pathInfo(early, root, new byte[] {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18,
        19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32}, 128);
    String narinfo = exporter.url() + "/" + early.hashPart() + ".narinfo";
    String index = NarflowTopics.INDEX.withPrefix(PREFIX).name();
    try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(broker.clientConfig(),
        new ByteArraySerializer(), new ByteArraySerializer())) {
      producer.send(new ProducerRecord<>(indexer.closureCompleteTopic(), StorePathKey.of(early).toBytes(),
          info.toByteArray())).get();
      await("the PathInfo in the views", () -> views.pathInfo(StorePathKey.of(early)).isPresent());
      assertEquals(404, get(narinfo, null).statusCode(), "advertised before its tree");
      send(producer, index, IndexRecords.keyOf(tree), IndexRecords.of(tree).toByteArray());
      await("the root Directory in the views", () -> views.directory(B3Digest.of(
          root.getDirectory().getDigest().toByteArray())).isPresent());
      assertEquals(404, get(narinfo, null).statusCode(), "advertised with a subdirectory still missing");
      send(producer, index, IndexRecords.keyOf(sub), IndexRecords.of(sub).toByteArray());
      await("the narinfo once the whole tree is in", () -> {
        try {
          return get(narinfo, null).statusCode() == 200;
        } catch (Exception e) {
          return false;
        }
      });
    }
  }

  @Test
  void aTreeThatIsThereButBrokenIsAOneLine500ForItsNarinfo() throws Exception {
    // The root Directory is in the views, but the PathInfo's node gives it another size: not late,
    // broken, so the narinfo is an error in one line (and logged), not a 404 for ever.
    StorePath broken = TestTrees.path("tree-broken");
    Directory tree = new DirectoryBuilder().addFile(ByteString.copyFromUtf8("h"), B3Digest.wrap(new byte[32]), 0, false)
        .build();
    DirectoryNode right = Directories.directoryNode(ByteString.copyFromUtf8(broken.baseName()), tree);
    Node root = Node.newBuilder().setDirectory(right.toBuilder().setSize(right.getSize() + 1)).build();
    PathInfo info = pathInfo(broken, root, new byte[] {9, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18,
        19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32}, 128);
    String narinfo = exporter.url() + "/" + broken.hashPart() + ".narinfo";
    try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(broker.clientConfig(),
        new ByteArraySerializer(), new ByteArraySerializer())) {
      send(producer, NarflowTopics.INDEX.withPrefix(PREFIX).name(), IndexRecords.keyOf(tree),
          IndexRecords.of(tree).toByteArray());
      producer.send(new ProducerRecord<>(indexer.closureCompleteTopic(), StorePathKey.of(broken).toBytes(),
          info.toByteArray())).get();
    }
    await("the PathInfo and its Directory in the views", () -> views.pathInfo(StorePathKey.of(broken)).isPresent()
        && views.directory(Directories.digest(tree)).isPresent());
    HttpResponse<byte[]> r = get(narinfo, null);
    assertEquals(500, r.statusCode());
    String body = new String(r.body(), StandardCharsets.UTF_8);
    assertEquals(1, body.strip().lines().count(), body);
    assertTrue(body.contains("tree in the index is broken"), body);
  }

  @Test
  void multiChunkFilesCostNoBlobIndexGet() throws Exception {
    HttpResponse<byte[]> whole = get(narUrl, null);
    assertEquals(200, whole.statusCode());
    assertArrayEquals(nar, whole.body());
    HttpResponse<byte[]> zst = get(narUrl + ".zst", null);
    assertEquals(200, zst.statusCode());
    try (ZstdInputStream in = new ZstdInputStream(new ByteArrayInputStream(zst.body()))) {
      assertArrayEquals(nar, in.readAllBytes());
    }
    HttpResponse<byte[]> inLarge = get(narUrl, "400000-2500000");
    assertArrayEquals(Arrays.copyOfRange(nar, 400000, 2500001), inLarge.body());
    assertTrue(backend.gets.get() - backend.blobIndexGets.get() > imported.blobIndexes().size() * 2, "chunks were read from the store");
    assertEquals(0, backend.blobIndexGets.get(), "chunk lists came from the views, not blob-index GETs");
  }

  @Test
  void aNarServedAgainComesFromTheChunkCache() throws Exception {
    try (Exporter cached = Exporter.builder(views, store).listen(new InetSocketAddress("127.0.0.1", 0))
        .chunkCacheBytes(64 << 20).build().start()) {
      String url = cached.url() + "/" + NarInfos.narUrl(imported.narSha256(), NarCompression.NONE);
      assertArrayEquals(nar, get(url, null).body());
      try (ZstdInputStream in = new ZstdInputStream(new ByteArrayInputStream(get(url + ".zst", null).body()))) {
        assertArrayEquals(nar, in.readAllBytes());
      }
      int firstReads = backend.gets.get();
      assertTrue(firstReads > imported.blobIndexes().size() * 2, "the first downloads read the chunks: " + firstReads);
      assertArrayEquals(nar, get(url, null).body());
      try (ZstdInputStream in = new ZstdInputStream(new ByteArrayInputStream(get(url + ".zst", null).body()))) {
        assertArrayEquals(nar, in.readAllBytes());
      }
      assertArrayEquals(Arrays.copyOfRange(nar, 400000, 2500001), get(url, "400000-2500000").body());
      assertEquals(firstReads, backend.gets.get(), "the NAR again, as .nar.zst and a range: no chunk read from the store");
      String metrics = new String(get(cached.url() + "/metrics", null).body(), StandardCharsets.UTF_8);
      Matcher hits = Pattern.compile("(?m)^narflow_exporter_chunk_cache_reads_total\\{result=\"hit\"} (\\S+)$")
          .matcher(metrics);
      assertTrue(hits.find(), metrics);
      assertTrue(Double.parseDouble(hits.group(1)) >= firstReads, "hits counted: " + hits.group(1));
    }
  }

  @Test
  void aCorruptChunkCutsTheResponseShortIsLoggedWithItsDigestCountedAndNeverCached() throws Exception {
    try (Exporter cached = Exporter.builder(views, store).listen(new InetSocketAddress("127.0.0.1", 0))
        .chunkCacheBytes(64 << 20).build().start()) {
      String url = cached.url() + "/" + NarInfos.narUrl(damaged.narSha256(), NarCompression.NONE);
      List<String> urls = List.of(url, url + ".zst", url); // the last: the failure was not cached either
      ByteArrayOutputStream log = new ByteArrayOutputStream();
      PrintStream stderr = System.err;
      System.setErr(new PrintStream(log, true, StandardCharsets.UTF_8)); // slf4j-simple writes to System.err
      try {
        for (String u : urls) {
          // Headers and the first file went out: the connection is dropped, never a short "whole" body.
          IOException cut = assertThrows(IOException.class, () -> get(u, null), u);
          assertTrue(cut.getMessage() != null, u);
        }
      } finally {
        System.setErr(stderr);
      }
      List<String> lines = log.toString(StandardCharsets.UTF_8).lines().filter(l -> l.contains(damagedChunk.hex())).toList();
      assertEquals(urls.size(), lines.size(), "one line per aborted response, naming the chunk: " + log);
      assertTrue(lines.stream().allMatch(l -> l.contains("response aborted") && l.contains("corrupt chunk")), lines.toString());
      String metrics = new String(get(cached.url() + "/metrics", null).body(), StandardCharsets.UTF_8);
      assertEquals(urls.size(), counter(metrics, "narflow_exporter_render_failures_total"), metrics);
      assertTrue(counter(metrics, "narflow_exporter_chunk_fetch_failures_total") >= urls.size(), metrics);
    }
  }

  /** A counter's value in the Prometheus text format (one without labels). */
  static double counter(String metrics, String name) {
    Matcher m = Pattern.compile("(?m)^" + Pattern.quote(name) + " (\\S+)$").matcher(metrics);
    assertTrue(m.find(), name + " in " + metrics);
    return Double.parseDouble(m.group(1));
  }

  @Test
  void repeatedRangesOfOneNarAreItsSlices() throws Exception {
    long[][] ranges = {{0, 99}, {350, 360}, {nar.length - 20, nar.length - 1}, {1 << 20, (3 << 20) + 5000},
        {350, 360}, {0, 99}, {1 << 20, (3 << 20) + 5000}};
    for (long[] r : ranges) {
      HttpResponse<byte[]> part = get(narUrl, r[0] + "-" + r[1]);
      assertEquals(206, part.statusCode());
      assertEquals("bytes " + r[0] + "-" + r[1] + "/" + nar.length, part.headers().firstValue("Content-Range").orElseThrow());
      assertArrayEquals(Arrays.copyOfRange(nar, (int) r[0], (int) r[1] + 1), part.body(), r[0] + "-" + r[1]);
    }
    // The same range twice in a row: the second from the cached layout, the same bytes.
    byte[] first = get(narUrl, "2000-2100").body();
    assertArrayEquals(first, get(narUrl, "2000-2100").body());
    assertArrayEquals(Arrays.copyOfRange(nar, 2000, 2101), first);
  }

  @Test
  void aTreeThatCannotBeANarIsAOneLine500ForARangeAndACutShortWholeNar() throws Exception {
    HttpResponse<byte[]> range = get(corruptUrl, "10-20");
    assertEquals(500, range.statusCode());
    String body = new String(range.body(), StandardCharsets.UTF_8);
    assertEquals(1, body.split("\n").length, body);
    assertTrue(body.contains("cannot be rendered"), body);
    assertTrue(range.headers().firstValue("Content-Range").isEmpty());
    // A whole NAR streams as its tree is read: failing before its first byte, it is an error status
    // (the headers were not sent yet); after, a connection cut short. Never a 200 taken for whole.
    try {
      HttpResponse<byte[]> whole = get(corruptUrl, null);
      assertEquals(500, whole.statusCode(), new String(whole.body(), StandardCharsets.UTF_8));
      assertEquals(1, new String(whole.body(), StandardCharsets.UTF_8).split("\n").length);
    } catch (IOException cut) {
      // the headers had gone out: the connection was dropped
    }
    // And the exporter still serves.
    assertArrayEquals(Arrays.copyOfRange(nar, 0, 10), get(narUrl, "0-9").body());
  }

  static void await(String what, BooleanSupplier condition) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) throw new AssertionError("timed out waiting for " + what);
      Thread.sleep(50);
    }
  }
}
