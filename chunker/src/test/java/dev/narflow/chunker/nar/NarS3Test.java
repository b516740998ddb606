package dev.narflow.chunker.nar;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.narflow.chunker.store.ChunkStore;
import dev.narflow.chunker.store.LayoutChunkStore;
import dev.narflow.chunker.store.LocalDirectoryBackend;
import dev.narflow.chunker.store.S3Backend;
import dev.narflow.chunker.store.S3Config;
import dev.narflow.chunker.store.StoreLayout;
import dev.narflow.chunker.testing.S3ProxyServer;
import java.io.ByteArrayInputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import okhttp3.OkHttpClient;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The same import and render over S3 (S3Proxy in this JVM) as over a local directory. */
class NarS3Test {
  @TempDir Path dir;

  @Test
  void importAndRenderOverS3MatchLocal() throws Exception {
    Map<String, byte[]> nars = NixTrees.dumps(dir.resolve("trees"));
    OkHttpClient http = new OkHttpClient();
    try (S3ProxyServer s3 = S3ProxyServer.start()) {
      s3.createBucket("narflow");
      S3Config config = S3Config.of(s3.endpoint(), "narflow", s3.accessKey(), s3.secretKey())
          .withRegion("us-east-1").withPrefix("/castore/");
      try (ChunkStore remote = LayoutChunkStore.builder(S3Backend.open(config, http)).build();
          ChunkStore local = LayoutChunkStore.builder(LocalDirectoryBackend.open(dir.resolve("local"), false)).build();
          NarImporter toS3 = NarImporter.builder(remote).parallelism(4).build();
          NarImporter toLocal = NarImporter.builder(local).build();
          NarRenderer fromS3 = NarRenderer.builder(remote).parallelism(8).build()) {
        for (Map.Entry<String, byte[]> nar : nars.entrySet()) {
          ImportResult viaS3 = toS3.importNar(new ByteArrayInputStream(nar.getValue()));
          ImportResult viaLocal = toLocal.importNar(new ByteArrayInputStream(nar.getValue()));
          assertEquals(viaLocal, viaS3, nar.getKey());
          assertArrayEquals(nar.getValue(), NarRoundTrip.render(fromS3, viaS3), nar.getKey());
          long half = nar.getValue().length / 2;
          assertArrayEquals(java.util.Arrays.copyOfRange(nar.getValue(), (int) half, nar.getValue().length),
              NarRoundTrip.render(fromS3, viaS3, half, Long.MAX_VALUE), nar.getKey());
          for (var index : viaS3.blobIndexes().keySet()) {
            Path object = s3.baseDir().resolve("narflow").resolve(config.prefix())
                .resolve(StoreLayout.blobIndexKey(index));
            assertTrue(Files.isRegularFile(object), "blob index in the bucket: " + object);
          }
        }
      }
    } finally {
      http.dispatcher().executorService().shutdown();
      http.connectionPool().evictAll();
    }
  }
}
