package dev.narflow.ops.serve;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.narflow.ingest.testing.NixCacheFixture;
import dev.narflow.ops.mirror.MirrorCommandTest;
import dev.narflow.ops.mirror.MirrorPipeline;
import dev.narflow.topics.nix.NarInfo;
import dev.narflow.topics.nix.StorePath;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Serving memory is bounded by the shared chunk fetcher's budget, not by NAR sizes: {@code narflow serve} in a
 * child JVM with a 128 MiB heap streams 16 downloads at once of a 64 MiB NAR (1 GiB in all, as
 * .nar and .nar.zst), every one whole and right.
 */
class ServeMemoryTest {
  static final int CLIENTS = 16;

  @TempDir Path work;

  @Test
  void sixteenConcurrentDownloadsOfALargeNarFitInASmallHeap() throws Exception {
    Path data = work.resolve("mirror");
    String big;
    try (NixCacheFixture upstream = NixCacheFixture.create(work.resolve("upstream"))) {
      big = upstream.build("serve-memory-big", "/bin/mkdir $out; /usr/bin/head -c 67108864 /dev/urandom > $out/blob;"
          + " echo " + System.nanoTime() + " > $out/id", List.of());
      upstream.copy(big, "none", false);
      MirrorCommandTest.Run mirrored = MirrorCommandTest.execute(Map.of(), new MirrorPipeline(), "--data",
          data.toString(), "--upstream", upstream.url().toString(), "--trusted-public-key", upstream.publicKey(),
          "--progress", "log", big);
      assertEquals(0, mirrored.exit(), mirrored.err());
    }
    try (SmallHeapServe serve = SmallHeapServe.start(data, "128m")) {
      String base = serve.url();
      HttpClient http = HttpClient.newHttpClient();
      NarInfo info = NarInfo.parse(http.send(HttpRequest.newBuilder(URI.create(base + "/"
          + StorePath.parseAbsolute(big).hashPart() + ".narinfo")).build(), HttpResponse.BodyHandlers.ofString()).body());
      byte[] narSha256 = info.narHash().digest();
      List<CompletableFuture<byte[]>> downloads = new ArrayList<>();
      for (int i = 0; i < CLIENTS; i++) {
        String url = base + (i % 2 == 0 ? "/nar/" + info.narHash().nixbase32() + ".nar" : "/" + info.url());
        boolean zstd = url.endsWith(".zst");
        downloads.add(CompletableFuture.supplyAsync(() -> {
          try {
            HttpResponse<InputStream> r = http.send(HttpRequest.newBuilder(URI.create(url)).build(),
                HttpResponse.BodyHandlers.ofInputStream());
            assertEquals(200, r.statusCode(), url);
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            try (InputStream body = zstd ? new com.github.luben.zstd.ZstdInputStream(r.body()) : r.body()) {
              byte[] buffer = new byte[1 << 16];
              for (int n; (n = body.read(buffer)) > 0; ) sha.update(buffer, 0, n);
            }
            return sha.digest();
          } catch (Exception e) {
            throw new java.util.concurrent.CompletionException(e);
          }
        }));
      }
      for (CompletableFuture<byte[]> d : downloads) assertArrayEquals(narSha256, d.get(5, TimeUnit.MINUTES));
      assertTrue(serve.alive(), "serve ran out of memory: " + serve.state());
      assertTrue(info.narSize() * CLIENTS > 8L * 128 * 1024 * 1024, "more NAR in flight than eight heaps");
    }
  }
}
