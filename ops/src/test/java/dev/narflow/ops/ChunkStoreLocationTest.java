package dev.narflow.ops;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.narflow.chunker.store.ObjectBackend;
import dev.narflow.chunker.testing.S3ProxyServer;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Parsing details are in MirrorCommandTest (as an operator meets them); here: the stores open for real. */
class ChunkStoreLocationTest {
  @TempDir Path tmp;

  @Test
  void aFileUrlOpensALocalDirectoryStore() throws IOException {
    Path dir = tmp.resolve("chunks");
    ChunkStoreLocation location = ChunkStoreLocation.parse(dir.toUri().toString(), Map.of());
    assertEquals(new ChunkStoreLocation.Local(dir), location);
    try (ObjectBackend backend = location.openBackend()) {
      byte[] data = "chunk".getBytes(StandardCharsets.US_ASCII);
      assertTrue(backend.putIfAbsent("a/b", data, 0, data.length));
      assertArrayEquals(data, backend.get("a/b", 100).orElseThrow());
    }
    assertTrue(Files.isDirectory(dir));
  }

  @Test
  void anS3UrlOpensTheBucketWithCredentialsFromTheEnvironment() throws Exception {
    try (S3ProxyServer s3 = S3ProxyServer.start(Files.createDirectory(tmp.resolve("s3")))) {
      s3.createBucket("narflow-test");
      Map<String, String> env = Map.of("AWS_ACCESS_KEY_ID", s3.accessKey(), "AWS_SECRET_ACCESS_KEY", s3.secretKey());
      String url = "s3://narflow-test/mirror/one?endpoint=" + s3.endpoint() + "&region=us-east-1";
      ChunkStoreLocation location = ChunkStoreLocation.parse(url, env);
      assertEquals("s3://narflow-test/mirror/one at " + s3.endpoint().toString().replaceAll("/$", ""), location.toString());
      assertFalse(location.toString().contains(s3.secretKey()));
      byte[] data = "chunk".getBytes(StandardCharsets.US_ASCII);
      try (ObjectBackend backend = location.openBackend()) {
        assertTrue(backend.putIfAbsent("k", data, 0, data.length));
        assertArrayEquals(data, backend.get("k", 100).orElseThrow());
      }
      // The prefix is honoured: a store without it does not see the object.
      ChunkStoreLocation bare = ChunkStoreLocation.parse("s3://narflow-test?endpoint=" + s3.endpoint(), env);
      try (ObjectBackend backend = bare.openBackend()) {
        assertTrue(backend.get("k", 100).isEmpty());
        assertArrayEquals(data, backend.get("mirror/one/k", 100).orElseThrow());
      }
      ChunkStoreLocation missing = ChunkStoreLocation.parse("s3://no-such-bucket?endpoint=" + s3.endpoint(), env);
      assertThrows(IOException.class, missing::openBackend, "a missing bucket is an error, not a new store");
    }
  }
}
