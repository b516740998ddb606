package dev.narflow.ingest.upstream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.narflow.ingest.testing.NixCacheFixture;
import dev.narflow.topics.nix.NarInfo;
import dev.narflow.topics.nix.StorePath;
import dev.narflow.topics.nix.TrustedKeys;
import dev.narflow.topics.testing.RealNix;
import dev.narflow.topics.v1.FetchFailure.Reason;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;

/**
 * The native {@code xz -dc} decoder behind VerifiedNar, with every check of the pure-Java path,
 * against a real-Nix cache; and that its child processes never outlive the stream.
 */
class NativeXzTest {
  @TempDir static Path work;
  static NixCacheFixture cache;
  static NativeXz xz;
  static final String NONCE = UUID.randomUUID().toString();

  @BeforeAll
  static void start() {
    cache = NixCacheFixture.create(work);
    xz = NativeXz.onPath().orElseThrow(() -> new AssertionError("xz is not on PATH (apt-get install xz-utils)"));
  }

  @AfterAll
  static void stop() {
    if (cache != null) cache.close();
  }

  @AfterEach
  void noXzProcessOutlivesItsStream() throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (xzChildren() > 0) {
      assertTrue(System.nanoTime() < deadline, "an xz child process is still running");
      Thread.sleep(10);
    }
  }

  private static long xzChildren() {
    return ProcessHandle.current().children()
        .filter(p -> p.info().command().map(c -> c.equals(xz.executable())).orElse(false))
        .count();
  }

  /** Native xz for every size, so the small test NARs take that path. */
  UpstreamClient.Builder clientBuilder(NativeXz decoder) {
    return UpstreamClient.builder()
        .upstreams(List.of(cache.url()))
        .trustedKeys(TrustedKeys.parse(cache.publicKey()))
        .firstByteTimeout(Duration.ofSeconds(2))
        .idleTimeout(Duration.ofMillis(300))
        .maxAttempts(2)
        .initialBackoff(Duration.ofMillis(5))
        .maxBackoff(Duration.ofMillis(20))
        .decoders(NarDecoders.choose(Optional.of(decoder), 0));
  }

  static String path(String name) {
    String p = cache.build(name, "/bin/mkdir $out; echo " + NONCE + " > $out/id;"
        + " /usr/bin/head -c 200000 /dev/urandom > $out/blob; /usr/bin/seq 1 60000 > $out/seq", List.of());
    cache.copy(p, "xz");
    return p;
  }

  static StorePath sp(String p) {
    return StorePath.parseAbsolute(p);
  }

  static FetchException fails(Reason reason, Executable e) {
    FetchException f = assertThrows(FetchException.class, e);
    assertEquals(reason, f.reason(), f.getMessage());
    return f;
  }

  @Test
  void decodesToTheBytesOfNixStoreDump() throws Exception {
    String p = path("native-ok");
    try (UpstreamClient client = clientBuilder(xz).build();
        VerifiedNar nar = client.openNar(client.narInfo(sp(p)))) {
      byte[] head = nar.readNBytes(100);
      assertEquals(1, xzChildren(), "decoding runs in an xz child process"); // the rest does not fit its pipe
      byte[] rest = nar.readAllBytes();
      byte[] all = Arrays.copyOf(head, head.length + rest.length);
      System.arraycopy(rest, 0, all, head.length, rest.length);
      assertArrayEquals(RealNix.dump(Path.of(p)), all);
      nar.finish();
      assertEquals(Files.size(cache.narFile(p)), nar.compressedBytesRead());
    }
  }

  @Test
  void aTruncatedFileIsMalformedNar() throws Exception {
    String p = path("native-truncated");
    byte[] bytes = Files.readAllBytes(cache.narFile(p));
    Files.write(cache.narFile(p), Arrays.copyOf(bytes, bytes.length / 2));
    try (UpstreamClient client = clientBuilder(xz).build()) {
      UpstreamNarInfo info = client.narInfo(sp(p));
      try (VerifiedNar nar = client.openNar(info)) {
        FetchException e = fails(Reason.MALFORMED_NAR, nar::readAllBytes);
        assertFalse(e.retryable());
        assertTrue(e.getMessage().contains("xz"), e.getMessage());
      }
    }
  }

  @Test
  void aStallIsATimeoutNotCorruptData() throws Exception {
    String p = path("native-stall");
    cache.faults().stall(cache.narFile(p).getFileName().toString());
    try (UpstreamClient client = clientBuilder(xz).build()) {
      UpstreamNarInfo info = client.narInfo(sp(p));
      try (VerifiedNar nar = client.openNar(info)) {
        assertTrue(fails(Reason.TIMEOUT, nar::readAllBytes).retryable());
      }
      try (VerifiedNar nar = client.openNar(info)) {
        assertArrayEquals(RealNix.dump(Path.of(p)), nar.readAllBytes());
      }
    } finally {
      cache.faults().clear();
    }
  }

  @Test
  void aCutConnectionIsARetryableUpstreamError() throws Exception {
    String p = path("native-cut");
    cache.faults().truncate(cache.narFile(p).getFileName().toString(), 5000);
    try (UpstreamClient client = clientBuilder(xz).build();
        VerifiedNar nar = client.openNar(client.narInfo(sp(p)))) {
      assertTrue(fails(Reason.UPSTREAM_ERROR, nar::readAllBytes).retryable());
    } finally {
      cache.faults().clear();
    }
  }

  @Test
  void theNarSizeBoundHoldsAndStoppingEarlyKillsXz() throws Exception {
    String p = path("native-bomb");
    cache.editNarInfo(p, "NarSize", "4096"); // signed: accepted with checks off only
    try (UpstreamClient client = clientBuilder(xz).checkSignatures(false).build();
        VerifiedNar nar = client.openNar(client.narInfo(sp(p)))) {
      fails(Reason.NAR_SIZE_MISMATCH, nar::readAllBytes);
      assertTrue(nar.narBytesRead() <= 4096);
    }
    // @AfterEach: the xz process is gone although its output was never read to the end
  }

  @Test
  void closingHalfwayKillsXz() throws Exception {
    String p = path("native-close");
    try (UpstreamClient client = clientBuilder(xz).build()) {
      VerifiedNar nar = client.openNar(client.narInfo(sp(p)));
      assertEquals(1000, nar.readNBytes(1000).length);
      nar.close();
    }
  }

  @Test
  void closingFromAnotherThreadCancelsABlockedRead() throws Exception {
    FetchException e = UpstreamClientTest.cancelWhileStalled(cache, path("native-cancel"), clientBuilder(xz));
    assertEquals(Reason.UPSTREAM_ERROR, e.reason(), e.getMessage());
    assertTrue(e.retryable());
  }

  @Test
  void aMissingBinaryFallsBackToJava() throws Exception {
    String p = path("native-missing");
    try (UpstreamClient client = clientBuilder(new NativeXz(work.resolve("no-such-xz").toString())).build();
        VerifiedNar nar = client.openNar(client.narInfo(sp(p)))) {
      assertArrayEquals(RealNix.dump(Path.of(p)), nar.readAllBytes());
    }
  }

  @Test
  void smallFilesAndOtherCompressionsStayInJava() {
    NarDecoders d = NarDecoders.choose(Optional.of(xz), NarDecoders.NATIVE_XZ_MIN_FILE_SIZE);
    NarInfo small = narInfo(1000);
    assertSame(xz, d.decoderFor(Compression.XZ, narInfo(NarDecoders.NATIVE_XZ_MIN_FILE_SIZE)));
    assertSame(xz, d.decoderFor(Compression.XZ, narInfo(0))); // size unknown
    assertNotSame(xz, d.decoderFor(Compression.XZ, small));
    assertNotSame(xz, d.decoderFor(Compression.ZSTD, narInfo(1 << 30)));
    assertSame(NarDecoders.PURE_JAVA, NarDecoders.choose(false));
    try (UpstreamClient forcedJava = UpstreamClient.builder().upstreams(List.of(cache.url())).checkSignatures(false)
        .nativeXz(false).build()) {
      assertSame(NarDecoders.PURE_JAVA, forcedJava.decoders());
    }
  }

  private static NarInfo narInfo(long fileSize) {
    return NarInfo.parse("StorePath: /nix/store/00000000000000000000000000000000-x\nURL: nar/x.nar.xz\n"
        + "Compression: xz\n" + (fileSize > 0 ? "FileSize: " + fileSize + "\n" : "")
        + "NarHash: sha256:0000000000000000000000000000000000000000000000000000\nNarSize: 1\n");
  }
}
