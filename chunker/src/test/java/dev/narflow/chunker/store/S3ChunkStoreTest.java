package dev.narflow.chunker.store;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.narflow.chunker.hash.Blake3;
import dev.narflow.chunker.testing.S3ProxyServer;
import dev.narflow.topics.castore.B3Digest;
import io.minio.MinioClient;
import io.minio.PutObjectArgs;
import io.minio.RemoveBucketArgs;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import okhttp3.OkHttpClient;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The contract against a real S3 server (S3Proxy in this JVM), one key prefix per test. */
class S3ChunkStoreTest extends ChunkStoreContract {
  private static final String BUCKET = "narflow";
  private static final AtomicInteger TEST_NUMBER = new AtomicInteger();
  private static S3ProxyServer s3;
  private static MinioClient direct;
  /** One HTTP client for all backends: making one per backend costs ~300 ms. */
  private static final OkHttpClient HTTP = new OkHttpClient();
  private S3Config config;

  @BeforeAll
  static void startS3() throws Exception {
    s3 = S3ProxyServer.start();
    s3.createBucket(BUCKET);
    direct = MinioClient.builder().httpClient(HTTP).endpoint(s3.endpoint().toString())
        .credentials(s3.accessKey(), s3.secretKey()).build();
  }

  @AfterAll
  static void stopS3() throws Exception {
    direct.close();
    s3.close();
    HTTP.dispatcher().executorService().shutdown();
    HTTP.connectionPool().evictAll();
  }

  private S3Config config() {
    return S3Config.of(s3.endpoint(), BUCKET, s3.accessKey(), s3.secretKey()).withRegion("us-east-1");
  }

  @Override
  protected ObjectBackend newBackend() throws Exception {
    config = config().withPrefix("/test-" + TEST_NUMBER.incrementAndGet() + "/");
    return S3Backend.open(config, HTTP);
  }

  @Override
  protected void overwriteStoredObject(String key, byte[] content) throws Exception {
    direct.putObject(PutObjectArgs.builder().bucket(BUCKET).object(config.objectName(key))
        .data(content, content.length).build());
  }

  @Test
  void objectsLandUnderThePrefixInSnixLayout() throws Exception {
    byte[] data = "hello s3".getBytes();
    B3Digest digest = Blake3.hash(data);
    store.putChunk(digest, data);
    String hex = digest.hex();
    Path file = s3.baseDir().resolve(BUCKET).resolve(config.prefix())
        .resolve("chunks/b3/" + hex.substring(0, 4) + "/" + hex);
    assertTrue(Files.isRegularFile(file), file + " in the S3 server's directory");
  }

  @Test
  void worksWithoutPrefix() throws Exception {
    byte[] data = ("no prefix " + System.nanoTime()).getBytes();
    B3Digest digest = Blake3.hash(data);
    try (LayoutChunkStore root = LayoutChunkStore.builder(S3Backend.open(config(), HTTP)).build()) {
      assertTrue(root.putChunk(digest, data));
      assertArrayEquals(data, root.getChunk(digest, data.length));
    }
    assertTrue(Files.isRegularFile(
        s3.baseDir().resolve(BUCKET).resolve(StoreLayout.chunkKey(digest))));
  }

  @Test
  void missingBucketFailsUnlessCreationIsAsked() throws Exception {
    S3Config missing = S3Config.of(s3.endpoint(), "no-such-bucket-" + TEST_NUMBER.incrementAndGet(),
        s3.accessKey(), s3.secretKey()).withRegion("us-east-1");
    IOException e = assertThrows(IOException.class, () -> S3Backend.open(missing, HTTP));
    assertTrue(e.getMessage().contains(missing.bucket() + " does not exist"), e.getMessage());

    try (S3Backend created = S3Backend.open(missing.withCreateBucket(true), HTTP)) {
      assertTrue(created.putIfAbsent("k", new byte[] {1}, 0, 1));
    }
    try (S3Backend again = S3Backend.open(missing, HTTP)) {
      assertFalse(again.putIfAbsent("k", new byte[] {2}, 0, 1));
      assertArrayEquals(new byte[] {1}, again.get("k", 1).orElseThrow());
    }
  }

  @Test
  void errorsNameTheObjectAndTheS3Code() throws Exception {
    // A bucket that disappears under an open backend: S3's own error code reaches the caller.
    String bucket = "vanishing-" + TEST_NUMBER.incrementAndGet();
    s3.createBucket(bucket);
    S3Config vanishing =
        S3Config.of(s3.endpoint(), bucket, s3.accessKey(), s3.secretKey()).withRegion("us-east-1");
    try (S3Backend backend = S3Backend.open(vanishing, HTTP)) {
      direct.removeBucket(RemoveBucketArgs.builder().bucket(bucket).build());
      IOException e = assertThrows(IOException.class, () -> backend.get("some/key", 10));
      assertTrue(e.getMessage().contains("GET some/key in bucket " + bucket), e.getMessage());
      assertTrue(e.getMessage().contains("NoSuchBucket"), e.getMessage());
      e = assertThrows(IOException.class, () -> backend.putIfAbsent("other/key", new byte[1], 0, 1));
      assertTrue(e.getMessage().contains("other/key") && e.getMessage().contains("NoSuchBucket"),
          e.getMessage());
    }

    S3Config wrongSecret =
        S3Config.of(s3.endpoint(), BUCKET, s3.accessKey(), "wrong").withRegion("us-east-1");
    IOException e = assertThrows(IOException.class, () -> S3Backend.open(wrongSecret, HTTP));
    assertTrue(e.getMessage().contains("AccessDenied") || e.getMessage().contains("SignatureDoesNotMatch"),
        e.getMessage());
    assertFalse(wrongSecret.toString().contains("wrong"), wrongSecret.toString());
    assertFalse(config.toString().contains(s3.secretKey()), config.toString());
  }

  @Test
  void anUnreachableServerIsAnIOExceptionNamingTheObject() throws Exception {
    // A real S3 server that goes away under an open store: the transport failure must be an
    // IOException (callers retry those) naming the operation and the object, like S3 errors are.
    S3ProxyServer gone = S3ProxyServer.start();
    gone.createBucket("going");
    S3Config c = S3Config.of(gone.endpoint(), "going", gone.accessKey(), gone.secretKey())
        .withRegion("us-east-1")
        .withTransport(S3Config.Transport.DEFAULT.withRetries(2, Duration.ofMillis(1), Duration.ofMillis(5)));
    byte[] data = "unreachable".getBytes();
    B3Digest digest = Blake3.hash(data);
    String key = StoreLayout.chunkKey(digest);
    try (LayoutChunkStore store = LayoutChunkStore.builder(S3Backend.open(c, HTTP)).knownChunks(0).build()) {
      gone.close();
      IOException e = assertThrows(IOException.class, () -> store.getChunk(digest, data.length));
      assertTrue(e.getMessage().contains("GET " + key), e.getMessage());
      assertTrue(e.getMessage().contains("after 2 attempts"), "a refused connection is retried: " + e.getMessage());
      e = assertThrows(IOException.class, () -> store.hasChunk(digest));
      assertTrue(e.getMessage().contains("HEAD " + key), e.getMessage());
      e = assertThrows(IOException.class, () -> store.putChunk(digest, data));
      assertTrue(e.getMessage().contains(key), e.getMessage());
    }
    IOException e = assertThrows(IOException.class, () -> S3Backend.open(c, HTTP));
    assertTrue(e.getMessage().contains("going"), e.getMessage());
  }
}
