package dev.narflow.ops.serve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.narflow.exporter.NarInfos.NarCompression;
import dev.narflow.ingest.testing.NixCacheFixture;
import dev.narflow.ops.ChunkStoreLocation;
import dev.narflow.ops.KafkaSetup;
import dev.narflow.ops.embedded.DataDir;
import dev.narflow.ops.embedded.EmbeddedKafka;
import dev.narflow.topics.nix.NarInfo;
import dev.narflow.topics.nix.NixPublicKey;
import dev.narflow.topics.nix.TrustedKeys;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code serve --pull-through} on an empty mirror: a narinfo miss answers 404 at once and requests
 * the path, which this process's own worker mirrors with its closure, after which it is served
 * with the upstream's NarHash; a hash no upstream knows stays a 404, looked up once.
 */
class PullThroughTest {
  static final HttpClient HTTP = HttpClient.newHttpClient();

  @Test
  void aMissIsA404NowAndServedOnceMirrored(@TempDir Path tmp) throws Exception {
    try (NixCacheFixture upstream = NixCacheFixture.create(tmp.resolve("upstream"))) {
      String nonce = Long.toString(System.nanoTime());
      String leaf = upstream.build("pull-leaf", "echo " + nonce + " > $out", List.of());
      String top = upstream.build("pull-top", "/bin/mkdir $out; echo $in0 > $out/ref", List.of(leaf));
      upstream.copy(top, "xz", true);
      DataDir dir = DataDir.open(tmp.resolve("mirror"));
      try (EmbeddedKafka kafka = EmbeddedKafka.start(dir.kafka())) {
        KafkaSetup.createTopics(kafka.clientConfig(), KafkaSetup.layout(true), "", Duration.ofSeconds(30));
        Serving.PullThroughSettings pull = new Serving.PullThroughSettings(List.of(upstream.url()),
            TrustedKeys.of(List.of(NixPublicKey.parse(upstream.publicKey()))), true);
        try (Serving serving = Serving.start(new Serving.Settings(dir.state(), kafka.clientConfig(), true,
            new ChunkStoreLocation.Local(dir.chunks()), "", new InetSocketAddress("127.0.0.1", 0), null,
            NarCompression.ZSTD, 40, -1, pull))) {
          String narinfo = serving.url() + "/" + hash(top) + ".narinfo";
          assertEquals(404, get(narinfo).statusCode(), "not mirrored yet");

          long deadline = System.nanoTime() + Duration.ofMinutes(2).toNanos();
          HttpResponse<String> served;
          while ((served = get(narinfo)).statusCode() != 200) {
            assertTrue(System.nanoTime() < deadline, "never served: " + served.statusCode() + " " + served.body());
            Thread.sleep(200);
          }
          NarInfo original = NarInfo.parse(Files.readString(upstream.narInfoFile(top)));
          assertEquals(original.narHash(), NarInfo.parse(served.body()).narHash());
          assertEquals(200, get(serving.url() + "/" + hash(leaf) + ".narinfo").statusCode(), "the closure came along");

          String unknown = serving.url() + "/" + "0".repeat(32) + ".narinfo";
          assertEquals(404, get(unknown).statusCode());
          assertEquals(404, get(unknown).statusCode());
          deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
          String metrics;
          while (!(metrics = get(serving.url() + "/metrics").body())
              .contains("narflow_exporter_pull_through_total{outcome=\"unknown\"} 1.0")) {
            assertTrue(System.nanoTime() < deadline, metrics);
            Thread.sleep(100);
          }
          assertTrue(metrics.contains("narflow_exporter_pull_through_total{outcome=\"repeated\"}"), metrics);
          assertTrue(metrics.contains("narflow_exporter_pull_through_total{outcome=\"requested\"} 1.0"), metrics);
        }
      }
    }
  }

  private static String hash(String storePath) {
    return storePath.substring("/nix/store/".length(), "/nix/store/".length() + 32);
  }

  private static HttpResponse<String> get(String url) throws Exception {
    return HTTP.send(HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.ofString());
  }
}
