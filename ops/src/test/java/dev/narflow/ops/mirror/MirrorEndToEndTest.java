package dev.narflow.ops.mirror;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import dev.narflow.chunker.store.ChunkStore;
import dev.narflow.chunker.store.LayoutChunkStore;
import dev.narflow.chunker.testing.S3ProxyServer;
import dev.narflow.ingest.testing.CommittedIndex;
import dev.narflow.ingest.testing.NixCacheFixture;
import dev.narflow.indexer.Indexer;
import dev.narflow.ops.ChunkStoreLocation;
import dev.narflow.ops.embedded.EmbeddedKafka;
import dev.narflow.ops.mirror.MirrorCommandTest.Run;
import dev.narflow.topics.kafka.IndexKey;
import dev.narflow.topics.kafka.NarflowTopics;
import dev.narflow.topics.kafka.TopicLayout;
import dev.narflow.topics.nix.StorePath;
import dev.narflow.topics.store.v1.PathInfo;
import dev.narflow.topics.testing.RealNix;
import dev.narflow.topics.v1.IndexRecord;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.admin.Admin;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code narflow mirror} end to end, as an operator runs it: the embedded broker, the router,
 * the workers, an upstream that real Nix wrote (every compression it can write) served over
 * loopback HTTP, and then the index and chunks read back and rendered to the NARs real Nix dumps.
 */
class MirrorEndToEndTest {
  @TempDir static Path work;
  private static NixCacheFixture cache;
  private static String d;
  private static String c;
  private static String b;
  private static String a;

  @BeforeAll
  static void buildUpstream() {
    cache = NixCacheFixture.create(work.resolve("upstream"));
    d = cache.build("mirror-e2e-d", "echo plain > $out", List.of());
    c = cache.build("mirror-e2e-c", "/bin/mkdir -p $out/share; echo c > $out/share/c; /bin/ln -s share/c $out/link", List.of());
    b = cache.build("mirror-e2e-b", "/bin/mkdir $out; echo $in0 > $out/ref; echo '#!/bin/sh' > $out/run; /bin/chmod +x $out/run",
        List.of(c));
    // A file of several FastCDC chunks (max 512 KiB), so Blob records are part of the closure.
    a = cache.build("mirror-e2e-a", "/bin/mkdir -p $out/sub; echo $in0 $in1 > $out/sub/refs;"
        + " i=0; while [ $i -lt 40000 ]; do echo \"line $i of a file that spans several chunks\"; i=$((i+1)); done > $out/big",
        List.of(b, d));
    cache.copy(d, "none", false);
    cache.copy(c, "zstd", false);
    cache.copy(b, "bzip2", false);
    cache.copy(a, "xz", false);
  }

  @AfterAll
  static void stopUpstream() {
    if (cache != null) cache.close();
  }

  private static Run mirror(Path data, String... paths) {
    List<String> args = new java.util.ArrayList<>(List.of("--data", data.toString(), "--upstream", cache.url().toString(),
        "--trusted-public-key", cache.publicKey(), "--progress", "log"));
    args.addAll(List.of(paths));
    return MirrorCommandTest.execute(Map.of(), new MirrorPipeline(), args.toArray(String[]::new));
  }

  @Test
  void mirrorsAClosureOfMixedCompressionsAndASecondRunDownloadsNothing(@TempDir Path tmp) throws Exception {
    Path data = tmp.resolve("mirror");
    Run first = mirror(data, a);
    assertEquals(0, first.exit(), first.err());
    assertTrue(first.out().startsWith("4 paths: 4 complete, 0 failed;"), "summary: " + first.out());
    for (String path : List.of(a, b, c, d)) {
      assertTrue(first.err().contains("mirrored " + path + ": "), "one line per path: " + first.err());
    }

    // Every path of the closure is in the index, with its tree, and renders to Nix's own NAR.
    Map<IndexKey, IndexRecord> index = readIndex(data);
    try (ChunkStore store = ChunkStore.localDirectory(data.resolve("chunks"))) {
      for (String path : List.of(a, b, c, d)) {
        IndexRecord record = index.get(IndexKey.pathInfo(StorePath.parse(path)));
        assertNotNull(record, path + " is not indexed");
        PathInfo info = record.getPathInfo();
        byte[] expected = RealNix.dump(Path.of(path));
        byte[] rendered = render(index, info, store);
        assertArrayEquals(expected, rendered, path + " renders to other bytes than nix-store --dump");
        assertEquals(ByteString.copyFrom(MessageDigest.getInstance("SHA-256").digest(expected)),
            info.getNarinfo().getNarSha256(), path + ": NarHash");
      }
    }
    assertTrue(index.keySet().stream().anyMatch(k -> k.type() == IndexKey.Type.BLOB),
        "the multi-chunk file of " + a + " has a Blob record");

    // Again on the same DIR: everything is indexed, so no narinfo or NAR is fetched.
    int narinfos = cache.requestCount(".narinfo");
    int nars = cache.totalRequests() - narinfos - cache.requestCount("nix-cache-info");
    Run second = mirror(data, a);
    assertEquals(0, second.exit(), second.err());
    assertEquals(narinfos, cache.requestCount(".narinfo"), "a second run fetched narinfos");
    assertEquals(nars, cache.totalRequests() - cache.requestCount(".narinfo") - cache.requestCount("nix-cache-info"),
        "a second run fetched NARs");
  }

  /**
   * A mirror's status reads its indexer's local stores, so another instance of that indexer on
   * the same cluster (here a running one, as a second mirror or a narflow indexer would be) must
   * stop it with one clear line rather than leave it waiting forever.
   */
  @Test
  void refusesToRunBesideAnotherInstanceOfItsIndexer(@TempDir Path tmp) throws Exception {
    try (EmbeddedKafka broker = EmbeddedKafka.start(tmp.resolve("cluster"))) {
      try (Admin admin = Admin.create(broker.clientConfig())) {
        NarflowTopics.createAll(admin, TopicLayout.defaults(), "");
      }
      try (Indexer other = Indexer.builder().kafka(broker.clientConfig()).stateDir(tmp.resolve("other-state")).build()) {
        other.start();
        assertTrue(other.awaitRunning(java.time.Duration.ofSeconds(60)));
        Run run = MirrorCommandTest.execute(Map.of(), new MirrorPipeline(java.time.Duration.ofSeconds(2)),
            "--data", tmp.resolve("mirror").toString(), "--bootstrap-servers", broker.bootstrapServers(),
            "--upstream", cache.url().toString(), "--trusted-public-key", cache.publicKey(), "--progress", "log", d);
        assertEquals(2, run.exit(), run.err());
        String last = run.errLines().get(run.errLines().size() - 1);
        assertTrue(last.startsWith("narflow mirror: another narflow indexer runs with application id "
            + other.applicationId() + " on this Kafka ("), last);
        assertTrue(last.endsWith("narflow mirror must be its only instance; stop it, or give this mirror its own"
            + " --topic-prefix"), last);
      }
    }
  }

  @Test
  void mirrorsIntoS3ThroughChunkStoreUrl(@TempDir Path tmp) throws Exception {
    try (S3ProxyServer s3 = S3ProxyServer.start(java.nio.file.Files.createDirectory(tmp.resolve("s3")))) {
      s3.createBucket("narflow-mirror");
      String url = "s3://narflow-mirror/cache?endpoint=" + s3.endpoint() + "&region=us-east-1";
      Path data = tmp.resolve("mirror");
      Map<String, String> env = Map.of("AWS_ACCESS_KEY_ID", s3.accessKey(), "AWS_SECRET_ACCESS_KEY", s3.secretKey());
      Run run = MirrorCommandTest.execute(env, new MirrorPipeline(), "--data", data.toString(),
          "--upstream", cache.url().toString(), "--trusted-public-key", cache.publicKey(), "--progress", "log",
          "--chunk-store", url, b);
      assertEquals(0, run.exit(), run.err());
      assertTrue(run.out().startsWith("2 paths: 2 complete, 0 failed;"), "summary: " + run.out());
      try (var files = java.nio.file.Files.walk(data.resolve("chunks"))) {
        assertEquals(0, files.filter(java.nio.file.Files::isRegularFile).count(), "no chunks in DIR with --chunk-store");
      }
      Map<IndexKey, IndexRecord> index = readIndex(data);
      ChunkStoreLocation location = ChunkStoreLocation.parse(url, env);
      try (ChunkStore store = LayoutChunkStore.builder(location.openBackend()).build()) {
        for (String path : List.of(b, c)) {
          PathInfo info = index.get(IndexKey.pathInfo(StorePath.parse(path))).getPathInfo();
          assertArrayEquals(RealNix.dump(Path.of(path)), render(index, info, store), path + " from S3");
        }
      }
    }
  }

  @Test
  void aReferenceMissingUpstreamLeavesItsReferrerWaitingUntilARerunFindsIt(@TempDir Path tmp) throws Exception {
    NixCacheFixture other = NixCacheFixture.create(tmp.resolve("upstream"));
    try {
      String leaf = other.build("mirror-e2e-late-leaf", "echo leaf > $out", List.of());
      String top = other.build("mirror-e2e-late-top", "echo $in0 > $out", List.of(leaf));
      other.copy(top, "zstd", false); // the reference is not in the cache yet
      Path data = tmp.resolve("mirror");
      List<String> args = List.of("--data", data.toString(), "--upstream", other.url().toString(),
          "--trusted-public-key", other.publicKey(), "--progress", "log", top);
      Run first = MirrorCommandTest.execute(Map.of(), new MirrorPipeline(), args.toArray(String[]::new));
      assertEquals(1, first.exit(), first.out() + first.err());
      String all = first.out() + first.err();
      assertTrue(all.contains(leaf) && all.contains("NOT_FOUND"), "the missing reference is named: " + all);
      assertTrue(all.contains(top), "the referrer is reported as waiting: " + all);
      assertTrue(readIndex(data).containsKey(IndexKey.pathInfo(StorePath.parse(top))), "the referrer itself is indexed");

      other.copy(leaf, "xz", false);
      int topNars = other.requestCount(other.narFile(top).getFileName().toString());
      Run second = MirrorCommandTest.execute(Map.of(), new MirrorPipeline(), args.toArray(String[]::new));
      assertEquals(0, second.exit(), second.out() + second.err());
      assertTrue(second.out().startsWith("2 paths: 2 complete, 0 failed;"), second.out());
      assertEquals(topNars, other.requestCount(other.narFile(top).getFileName().toString()),
          "the indexed referrer is not downloaded again");
    } finally {
      other.close();
    }
  }

  @Test
  void aBadSignatureFailsThePathAndNamesIt(@TempDir Path tmp) throws Exception {
    NixCacheFixture other = NixCacheFixture.create(tmp.resolve("upstream"));
    try {
      String bad = other.build("mirror-e2e-badsig", "echo bad > $out", List.of());
      other.copy(bad, "xz", false);
      String sig = "Sig: " + NixCacheFixture.KEY_NAME + ":" + java.util.Base64.getEncoder().encodeToString(new byte[64]);
      other.editNarInfo(bad, "Sig", sig.substring("Sig: ".length()));
      Path data = tmp.resolve("mirror");
      List<String> args = List.of("--data", data.toString(), "--upstream", other.url().toString(),
          "--trusted-public-key", other.publicKey(), "--progress", "log", bad);
      Run run = MirrorCommandTest.execute(Map.of(), new MirrorPipeline(), args.toArray(String[]::new));
      assertEquals(1, run.exit(), run.out() + run.err());
      String all = run.out() + run.err();
      assertTrue(all.contains(bad) && all.contains("SIGNATURE_INVALID"), all);
      assertTrue(readIndex(data).isEmpty(), "nothing of a failed path is indexed");
    } finally {
      other.close();
    }
  }

  /** The committed index, last record per key, read from the mirror's own broker. */
  static Map<IndexKey, IndexRecord> readIndex(Path data) throws Exception {
    try (EmbeddedKafka kafka = EmbeddedKafka.start(data.resolve("kafka"))) {
      return CommittedIndex.read(kafka.clientConfig(), NarflowTopics.INDEX.name());
    }
  }

  static byte[] render(Map<IndexKey, IndexRecord> index, PathInfo info, ChunkStore store) throws Exception {
    return CommittedIndex.render(index, info, store);
  }
}
