package dev.narflow.chunker.store;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.narflow.chunker.nar.DirectoryLookup;
import dev.narflow.chunker.nar.ImportResult;
import dev.narflow.chunker.nar.NarImporter;
import dev.narflow.chunker.nar.NarRenderer;
import dev.narflow.chunker.testing.FaultInjectingProxy;
import dev.narflow.chunker.testing.FaultInjectingProxy.Fault;
import dev.narflow.chunker.testing.S3ProxyServer;
import dev.narflow.chunker.testing.SyntheticNar;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Transient S3 failures are retried with backoff, a bounded number of times. The server is a real
 * S3Proxy; the failures come from a fault-injecting proxy in front of it ({@link
 * FaultInjectingProxy}), because S3Proxy cannot be made to answer 503, 500 or reset a connection.
 */
class S3RetryTest {
  private static final String BUCKET = "retries";
  private static final AtomicInteger TESTS = new AtomicInteger();
  /** Four attempts, with pauses of a few milliseconds so the test stays quick. */
  private static final S3Config.Transport QUICK =
      S3Config.Transport.DEFAULT.withRetries(4, Duration.ofMillis(2), Duration.ofMillis(20));

  private static S3ProxyServer s3;
  private FaultInjectingProxy proxy;
  private S3Backend backend;

  @BeforeAll
  static void startS3() throws Exception {
    s3 = S3ProxyServer.start();
    s3.createBucket(BUCKET);
  }

  @AfterAll
  static void stopS3() throws Exception {
    s3.close();
  }

  @BeforeEach
  void open() throws IOException {
    proxy = FaultInjectingProxy.start(s3.endpoint());
    S3Config config = S3Config.of(proxy.endpoint(), BUCKET, s3.accessKey(), s3.secretKey())
        .withRegion("us-east-1").withPrefix("test-" + TESTS.incrementAndGet()).withTransport(QUICK);
    backend = S3Backend.open(config);
  }

  @AfterEach
  void close() throws IOException {
    backend.close();
    proxy.close();
  }

  @ParameterizedTest
  @EnumSource(Fault.class)
  void aPutSucceedsAfterThreeFaults(Fault fault) throws Exception {
    proxy.failNext(3, fault, "PUT");
    int before = proxy.requests();
    assertTrue(backend.putIfAbsent("chunks/b3/abcd/abcd01", new byte[] {1, 2, 3}, 0, 3));
    assertEquals(3, proxy.injected());
    if (fault != Fault.RESET) { // OkHttp may itself retry a reset once on a fresh connection
      assertEquals(4, proxy.requests() - before, "three faults, then the PUT that landed");
    }
    assertArrayEquals(new byte[] {1, 2, 3}, Files.readAllBytes(
        s3.baseDir().resolve(BUCKET).resolve(backend.config().objectName("chunks/b3/abcd/abcd01"))));
  }

  @ParameterizedTest
  @EnumSource(value = Fault.class, names = {"SLOW_DOWN_503", "BARE_503", "RESET"})
  void getsAndHeadsAreRetriedToo(Fault fault) throws Exception {
    assertTrue(backend.putIfAbsent("a/b", new byte[] {4}, 0, 1));
    proxy.failNext(2, fault, "GET");
    assertArrayEquals(new byte[] {4}, backend.get("a/b", 10).orElseThrow());
    proxy.failNext(2, fault, "HEAD");
    assertEquals(1, backend.stat("a/b").orElseThrow().size());
    assertEquals(4, proxy.injected());
  }

  @Test
  void faultsOutlastingTheAttemptsFailNamingTheObjectAndTheCount() {
    proxy.failNext(10, Fault.SLOW_DOWN_503, "GET");
    int before = proxy.requests();
    IOException e = assertThrows(IOException.class, () -> backend.get("x/y", 10));
    assertEquals(4, proxy.requests() - before, "exactly maxAttempts requests: no hidden retries");
    assertTrue(e.getMessage().startsWith("S3 GET " + backend.config().objectName("x/y")), e.getMessage());
    assertTrue(e.getMessage().contains("after 4 attempts: SlowDown"), e.getMessage());
  }

  @Test
  void permanentAnswersAreNotRetried() throws Exception {
    int before = proxy.requests();
    assertTrue(backend.get("never/stored", 10).isEmpty());
    assertEquals(1, proxy.requests() - before, "NoSuchKey is an answer, not a failure");
    assertTrue(backend.putIfAbsent("p/q", new byte[] {1}, 0, 1));
    before = proxy.requests();
    assertEquals(false, backend.putIfAbsent("p/q", new byte[] {1}, 0, 1));
    assertEquals(1, proxy.requests() - before, "PreconditionFailed is an answer");
  }

  @Test
  void aNarImportsThroughAStormOfSlowDowns() throws Exception {
    SyntheticNar nar = SyntheticNar.directory(List.of(new SyntheticNar.File("a", 3 << 20, 1, false),
        new SyntheticNar.File("b", 100_000, 2, true)));
    proxy.failNext(8, Fault.SLOW_DOWN_503, "PUT");
    // Ten attempts: even if all eight faults hit one chunk's PUTs, it lands.
    S3Config patient = backend.config().withTransport(QUICK.withRetries(10, Duration.ofMillis(2), Duration.ofMillis(20)));
    try (ChunkStore store = LayoutChunkStore.builder(S3Backend.open(patient)).build();
        NarImporter importer = NarImporter.builder(store).parallelism(4).build();
        NarRenderer renderer = NarRenderer.builder(store).build()) {
      ImportResult result = importer.importNar(nar);
      assertEquals(8, proxy.injected());
      ByteArrayOutputStream rendered = new ByteArrayOutputStream();
      renderer.render(result.root(), DirectoryLookup.of(result.directories()), rendered);
      assertArrayEquals(result.narSha256(), MessageDigest.getInstance("SHA-256").digest(rendered.toByteArray()));
    }
  }

  @Test
  void backendsWithEqualTransportsShareOneHttpClient() {
    assertSame(S3Backend.sharedHttpClient(QUICK), S3Backend.sharedHttpClient(
        S3Config.Transport.DEFAULT.withRetries(4, Duration.ofMillis(2), Duration.ofMillis(20))));
    assertNotSame(S3Backend.sharedHttpClient(QUICK), S3Backend.sharedHttpClient(S3Config.Transport.DEFAULT));
    assertEquals(64, S3Backend.sharedHttpClient(S3Config.Transport.DEFAULT).dispatcher().getMaxRequestsPerHost());
    assertEquals(S3Config.Transport.DEFAULT, S3Config.of(s3.endpoint(), BUCKET, null, null).transport());
  }
}
