package dev.narflow.ingest.upstream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.narflow.ingest.testing.NixCacheFixture;
import dev.narflow.topics.nix.NixSecretKey;
import dev.narflow.topics.nix.StorePath;
import dev.narflow.topics.nix.TrustedKeys;
import dev.narflow.topics.testing.RealNix;
import dev.narflow.topics.v1.FetchFailure.Reason;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The upstream client against binary caches written and signed by real Nix, served on loopback.
 * Bad caches are made by editing the cache's files; only server misbehaviour (5xx, stalls, cut
 * connections) comes from the fixture's fault injection.
 */
class UpstreamClientTest {
  @TempDir static Path work;
  static NixCacheFixture cache;
  static final String NONCE = UUID.randomUUID().toString();

  /** Delays the client asked to wait, in order; the waits themselves are kept short. */
  final List<Duration> delays = new CopyOnWriteArrayList<>();

  @BeforeAll
  static void startCache() {
    cache = NixCacheFixture.create(work);
  }

  @AfterAll
  static void stopCache() {
    if (cache != null) cache.close();
  }

  UpstreamClient.Builder clientBuilder(URI... upstreams) {
    return UpstreamClient.builder()
        .upstreams(upstreams.length == 0 ? List.of(cache.url()) : List.of(upstreams))
        .trustedKeys(TrustedKeys.parse(cache.publicKey()))
        .connectTimeout(Duration.ofSeconds(2))
        .firstByteTimeout(Duration.ofSeconds(2))
        .idleTimeout(Duration.ofMillis(300))
        .maxAttempts(3)
        .initialBackoff(Duration.ofMillis(5))
        .maxBackoff(Duration.ofMillis(40))
        .sleeper(d -> {
          delays.add(d);
          Thread.sleep(Math.min(d.toMillis(), 20));
        });
  }

  UpstreamClient client() {
    return clientBuilder().build();
  }

  /** A fresh store path (a directory with compressible and incompressible files and a symlink) in the cache. */
  static String path(String name, String compression) {
    String p = cache.build(name, "/bin/mkdir $out; echo " + NONCE + " > $out/id;"
        + " /usr/bin/head -c 150000 /dev/urandom > $out/blob; /usr/bin/seq 1 30000 > $out/seq;"
        + " /bin/ln -s seq $out/link", List.of());
    cache.copy(p, compression);
    return p;
  }

  static StorePath sp(String path) {
    return StorePath.parseAbsolute(path);
  }

  static byte[] readAll(UpstreamClient client, String path) throws Exception {
    try (VerifiedNar nar = client.openNar(client.narInfo(sp(path)))) {
      return nar.readAllBytes();
    }
  }

  static FetchException fails(Reason reason, Executable e) {
    FetchException f = assertThrows(FetchException.class, e);
    assertEquals(reason, f.reason(), f.getMessage());
    return f;
  }

  // ---- what works

  @ParameterizedTest
  @ValueSource(strings = {"xz", "zstd", "bzip2", "none"})
  void everyCompressionDecodesToTheBytesOfNixStoreDump(String compression) throws Exception {
    String dep = cache.build("dep-" + compression, "echo " + NONCE + " > $out", List.of());
    String p = cache.build("top-" + compression, "/bin/mkdir $out; echo " + dep + " > $out/ref;"
        + " /usr/bin/head -c 100000 /dev/urandom > $out/blob; /usr/bin/seq 1 30000 > $out/seq", List.of(dep));
    cache.copy(p, compression);
    try (UpstreamClient client = client()) {
      UpstreamNarInfo info = client.narInfo(sp(p));
      assertEquals(cache.url(), info.upstream());
      assertEquals(Set.of(NixCacheFixture.KEY_NAME), info.verifiedBy());
      assertEquals(Set.of(sp(dep)), info.narInfo().references());
      assertEquals(compression, info.narInfo().compression());
      assertTrue(info.narUrl().toString().startsWith(cache.url() + "/nar/"), info.narUrl().toString());
      try (VerifiedNar nar = client.openNar(info)) {
        assertArrayEquals(RealNix.dump(Path.of(p)), nar.readAllBytes());
        nar.finish();
        assertEquals(info.narInfo().narSize(), nar.narBytesRead());
        assertEquals(info.narInfo().fileSize(), nar.compressedBytesRead());
      }
    }
  }

  @Test
  void finishVerifiesWhatTheCallerDidNotRead() throws Exception {
    String p = path("finish", "xz");
    try (UpstreamClient client = client(); VerifiedNar nar = client.openNar(client.narInfo(sp(p)))) {
      byte[] head = nar.readNBytes(100);
      assertEquals("nix-archive-1", new String(head, 8, 13, java.nio.charset.StandardCharsets.US_ASCII));
      nar.finish();
      assertEquals(Files.size(cache.narFile(p)), nar.compressedBytesRead());
      assertEquals(-1, nar.read());
    }
  }

  @Test
  void nixCacheInfoIsReadOncePerUpstream() throws Exception {
    String a = path("once-a", "zstd");
    String b = path("once-b", "zstd");
    int before = cache.requestCount("/nix-cache-info");
    try (UpstreamClient client = client()) {
      client.narInfo(sp(a));
      client.narInfo(sp(b));
      client.narInfo(sp(a));
    }
    assertEquals(before + 1, cache.requestCount("/nix-cache-info"));
  }

  @Test
  void absoluteNarUrlsAreFollowed() throws Exception {
    String p = path("absolute-url", "zstd");
    String url = cache.url() + "/" + cache.dir().relativize(cache.narFile(p));
    cache.editNarInfo(p, "URL", url); // URL is not signed: the signature still verifies
    try (UpstreamClient client = client()) {
      assertEquals(URI.create(url), client.narInfo(sp(p)).narUrl());
      assertArrayEquals(RealNix.dump(Path.of(p)), readAll(client, p));
    }
  }

  // ---- signatures

  @Test
  void aKeyThatIsNotTrustedIsSignatureMissing() throws Exception {
    String p = path("untrusted", "xz");
    try (UpstreamClient client = clientBuilder()
        .trustedKeys(TrustedKeys.of(NixSecretKey.generate("other-cache-1").publicKey())).build()) {
      FetchException e = fails(Reason.SIGNATURE_MISSING, () -> client.narInfo(sp(p)));
      assertFalse(e.retryable());
      assertTrue(e.getMessage().contains(NixCacheFixture.KEY_NAME), e.getMessage());
    }
  }

  @Test
  void anUnsignedNarInfoIsSignatureMissingUnlessChecksAreOff() throws Exception {
    String p = path("unsigned", "xz");
    cache.editNarInfo(p, "Sig", null);
    try (UpstreamClient client = client()) {
      fails(Reason.SIGNATURE_MISSING, () -> client.narInfo(sp(p)));
    }
    try (UpstreamClient client = clientBuilder().trustedKeys(null).checkSignatures(false).build()) {
      UpstreamNarInfo info = client.narInfo(sp(p));
      assertTrue(info.verifiedBy().isEmpty());
      assertArrayEquals(RealNix.dump(Path.of(p)), readAll(client, p));
    }
  }

  @Test
  void aCorruptedSigIsSignatureInvalid() throws Exception {
    String p = path("bad-sig", "xz");
    String sig = Files.readString(cache.narInfoFile(p)).lines()
        .filter(l -> l.startsWith("Sig: ")).findFirst().orElseThrow().substring(5);
    int i = sig.indexOf(':') + 5;
    String flipped = sig.substring(0, i) + (sig.charAt(i) == 'A' ? 'B' : 'A') + sig.substring(i + 1);
    cache.editNarInfo(p, "Sig", flipped);
    try (UpstreamClient client = client()) {
      FetchException e = fails(Reason.SIGNATURE_INVALID, () -> client.narInfo(sp(p)));
      assertFalse(e.retryable());
    }
  }

  @Test
  void aTrustedNameWithAnotherKeyIsSignatureInvalid() throws Exception {
    String p = path("impostor", "xz");
    try (UpstreamClient client = clientBuilder()
        .trustedKeys(TrustedKeys.of(NixSecretKey.generate(NixCacheFixture.KEY_NAME).publicKey())).build()) {
      fails(Reason.SIGNATURE_INVALID, () -> client.narInfo(sp(p)));
    }
  }

  // ---- bad data

  @Test
  void aNarSwappedForAnotherPathsIsCaught() throws Exception {
    // Same NAR size, other contents: with FileHash/FileSize gone only NarHash can tell.
    String a = cache.build("swap-a", "echo AAAA" + NONCE + " > $out", List.of());
    String b = cache.build("swap-b", "echo BBBB" + NONCE + " > $out", List.of());
    cache.copy(a, "none");
    cache.copy(b, "none");
    Files.copy(cache.narFile(b), cache.narFile(a), StandardCopyOption.REPLACE_EXISTING);
    cache.editNarInfo(a, "FileHash", null); // unsigned anyway: only NarHash can be relied on
    cache.editNarInfo(a, "FileSize", null);
    try (UpstreamClient client = client()) {
      FetchException e = fails(Reason.NAR_HASH_MISMATCH, () -> readAll(client, a));
      assertTrue(e.getMessage().contains("NarHash"), e.getMessage());
      assertFalse(e.retryable());
    }
  }

  @Test
  void fileHashAndFileSizeAreCheckedWhenGiven() throws Exception {
    String p = path("file-fields", "zstd");
    String q = path("file-fields-other", "zstd");
    String otherHash = Files.readString(cache.narInfoFile(q)).lines()
        .filter(l -> l.startsWith("FileHash: ")).findFirst().orElseThrow().substring(10);
    long size = Files.size(cache.narFile(p));
    try (UpstreamClient client = client()) {
      cache.editNarInfo(p, "FileHash", otherHash);
      FetchException e = fails(Reason.NAR_HASH_MISMATCH, () -> readAll(client, p));
      assertTrue(e.getMessage().contains("FileHash"), e.getMessage());
      cache.editNarInfo(p, "FileHash", null);
      cache.editNarInfo(p, "FileSize", Long.toString(size - 1));
      e = fails(Reason.NAR_SIZE_MISMATCH, () -> readAll(client, p));
      assertTrue(e.getMessage().contains("FileSize"), e.getMessage());
      cache.editNarInfo(p, "FileSize", Long.toString(size + 1));
      e = fails(Reason.NAR_SIZE_MISMATCH, () -> readAll(client, p));
      assertTrue(e.getMessage().contains("FileSize"), e.getMessage());
    }
  }

  @Test
  void connectionsAreReused() throws Exception {
    String a = path("reuse-a", "xz");
    String b = path("reuse-b", "none");
    try (NixCacheFixture fresh = NixCacheFixture.create(Files.createDirectories(work.resolve("reuse")))) {
      fresh.copy(a, "xz");
      fresh.copy(b, "none");
      try (UpstreamClient client = clientBuilder(fresh.url()).trustedKeys(TrustedKeys.parse(fresh.publicKey())).build()) {
        for (int i = 0; i < 3; i++) {
          assertArrayEquals(RealNix.dump(Path.of(a)), readAll(client, a));
          assertArrayEquals(RealNix.dump(Path.of(b)), readAll(client, b));
        }
      }
      assertEquals(13, fresh.totalRequests()); // nix-cache-info, then a narinfo and a NAR each time
      assertEquals(1, fresh.connectionCount());
    }
  }

  @Test
  void aNarOfAnotherSizeIsNarSizeMismatch() throws Exception {
    String a = path("size-a", "xz");
    String b = cache.build("size-b", "echo " + NONCE + " > $out", List.of());
    cache.copy(b, "xz");
    Files.copy(cache.narFile(b), cache.narFile(a), StandardCopyOption.REPLACE_EXISTING);
    cache.editNarInfo(a, "FileHash", null);
    cache.editNarInfo(a, "FileSize", null);
    try (UpstreamClient client = client()) {
      fails(Reason.NAR_SIZE_MISMATCH, () -> readAll(client, a));
    }
  }

  @Test
  void neverDecodesMoreThanNarSizePlusOneBytes() throws Exception {
    String p = path("bomb", "zstd");
    long realSize = RealNix.dump(Path.of(p)).length;
    cache.editNarInfo(p, "NarSize", "1000"); // signed field: only accepted with checks off
    try (UpstreamClient client = clientBuilder().checkSignatures(false).build();
        VerifiedNar nar = client.openNar(client.narInfo(sp(p)))) {
      byte[] buffer = new byte[64 * 1024];
      FetchException e = fails(Reason.NAR_SIZE_MISMATCH, () -> {
        while (nar.read(buffer, 0, buffer.length) >= 0) { }
      });
      assertTrue(e.getMessage().contains("longer"), e.getMessage());
      assertTrue(nar.narBytesRead() <= 1000, "delivered " + nar.narBytesRead());
      assertTrue(realSize > 1001);
      fails(Reason.NAR_SIZE_MISMATCH, nar::finish); // the failure sticks
    }
  }

  @Test
  void aDeletedNarIsNotFound() throws Exception {
    String p = path("no-nar", "xz");
    Files.delete(cache.narFile(p));
    try (UpstreamClient client = client()) {
      UpstreamNarInfo info = client.narInfo(sp(p));
      FetchException e = fails(Reason.NOT_FOUND, () -> client.openNar(info));
      assertEquals(404, e.upstreamStatus());
      assertFalse(e.retryable());
    }
  }

  @ParameterizedTest
  @ValueSource(ints = {404, 403, 410})
  void notFoundIsPermanentAndNotRetried(int status) throws Exception {
    String p = path("gone-" + status, "xz");
    String suffix = sp(p).hashPart() + ".narinfo";
    cache.faults().failNext(suffix, status, 5);
    try (UpstreamClient client = client()) {
      FetchException e = fails(Reason.NOT_FOUND, () -> client.narInfo(sp(p)));
      assertEquals(status, e.upstreamStatus());
      assertFalse(e.retryable());
    } finally {
      cache.faults().clear();
    }
    assertEquals(1, cache.requestCount(suffix));
  }

  @Test
  void aTruncatedNarXzFileIsMalformedNar() throws Exception {
    String p = path("truncated", "xz");
    Path nar = cache.narFile(p);
    byte[] bytes = Files.readAllBytes(nar);
    Files.write(nar, java.util.Arrays.copyOf(bytes, bytes.length * 2 / 3));
    try (UpstreamClient client = client()) {
      FetchException e = fails(Reason.MALFORMED_NAR, () -> readAll(client, p));
      assertFalse(e.retryable());
      assertTrue(e.getMessage().contains("xz data is corrupt or truncated: unexpected end of data"), e.getMessage());
    }
  }

  @Test
  void anUnknownCompressionIsMalformedNarInfoNamingIt() throws Exception {
    String p = path("lz4", "none");
    cache.editNarInfo(p, "Compression", "lz4"); // not in the signed fingerprint: the Sig still verifies
    try (UpstreamClient client = client()) {
      FetchException e = fails(Reason.MALFORMED_NARINFO, () -> client.narInfo(sp(p)));
      assertTrue(e.getMessage().contains("'lz4'"), e.getMessage());
      assertFalse(e.retryable());
    }
  }

  @Test
  void aNarInfoForAnotherPathIsMalformed() throws Exception {
    String a = path("other-a", "xz");
    String b = path("other-b", "xz");
    Files.copy(cache.narInfoFile(a), cache.narInfoFile(b), StandardCopyOption.REPLACE_EXISTING);
    try (UpstreamClient client = client()) {
      FetchException e = fails(Reason.MALFORMED_NARINFO, () -> client.narInfo(sp(b)));
      assertTrue(e.getMessage().contains(sp(a).absolute()), e.getMessage());
    }
  }

  @Test
  void aGarbledNarInfoIsMalformed() throws Exception {
    String p = path("garbled", "xz");
    Files.writeString(cache.narInfoFile(p), "StorePath " + p + "\n");
    try (UpstreamClient client = client()) {
      fails(Reason.MALFORMED_NARINFO, () -> client.narInfo(sp(p)));
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"../../../etc/passwd", "nar/../../x.nar", "nar/%2e%2e/%2E%2E/x.nar",
      "file:///etc/passwd", "ftp://127.0.0.1/x.nar", "//evil.example/nar/x.nar", "http:x.nar", "nar/a b"})
  void hostileNarUrlsAreRefused(String url) throws Exception {
    String p = path("hostile-" + Integer.toHexString(url.hashCode()), "none");
    cache.editNarInfo(p, "URL", url);
    try (UpstreamClient client = client()) {
      FetchException e = fails(Reason.MALFORMED_NARINFO, () -> client.narInfo(sp(p)));
      assertTrue(e.getMessage().contains("refused"), e.getMessage());
    }
  }

  // ---- a flaky upstream

  @Test
  void a503IsRetriedUntilItSucceeds() throws Exception {
    String p = path("flaky", "xz");
    String narInfo = sp(p).hashPart() + ".narinfo";
    String nar = cache.narFile(p).getFileName().toString();
    cache.faults().failNext(narInfo, 503, 2).failNext(nar, 500, 1);
    try (UpstreamClient client = client()) {
      assertArrayEquals(RealNix.dump(Path.of(p)), readAll(client, p));
    } finally {
      cache.faults().clear();
    }
    assertEquals(3, cache.requestCount(narInfo));
    assertEquals(2, cache.requestCount(nar));
    assertEquals(3, delays.size());
  }

  /** What an observer was told, one string per request. */
  static final class Observed implements UpstreamObserver {
    final List<String> requests = new CopyOnWriteArrayList<>();

    @Override
    public void responded(Request request, int status, long nanos) {
      assertTrue(nanos > 0, "a request takes time");
      requests.add(request.label() + " " + status);
    }

    @Override
    public void noResponse(Request request, Reason reason, long nanos) {
      assertTrue(nanos > 0, "a request takes time");
      requests.add(request.label() + " " + reason);
    }
  }

  @Test
  void everyRequestIsObservedWithItsStatusRetriesIncluded() throws Exception {
    String p = path("observed", "zstd");
    String narInfo = sp(p).hashPart() + ".narinfo";
    String nar = cache.narFile(p).getFileName().toString();
    cache.faults().failNext(narInfo, 503, 2).failNext(nar, 500, 1);
    Observed observed = new Observed();
    try (UpstreamClient client = clientBuilder().observer(observed).build()) {
      assertArrayEquals(RealNix.dump(Path.of(p)), readAll(client, p));
    } finally {
      cache.faults().clear();
    }
    assertEquals(List.of("nix-cache-info 200", "narinfo 503", "narinfo 503", "narinfo 200", "nar 500", "nar 200"),
        observed.requests);
  }

  @Test
  void aRequestWithoutResponseIsObservedWithItsReason() throws Exception {
    URI closed;
    try (java.net.ServerSocket s = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      closed = URI.create("http://127.0.0.1:" + s.getLocalPort());
    }
    Observed observed = new Observed();
    try (UpstreamClient client = clientBuilder(closed).observer(observed).build()) {
      fails(Reason.UPSTREAM_ERROR, client::checkUpstreams);
    }
    assertEquals(List.of("nix-cache-info UPSTREAM_ERROR", "nix-cache-info UPSTREAM_ERROR",
        "nix-cache-info UPSTREAM_ERROR"), observed.requests, "three attempts, none answered");
  }

  @Test
  void retriesAreBoundedAndTheLastStatusIsReported() throws Exception {
    String p = path("down", "xz");
    String narInfo = sp(p).hashPart() + ".narinfo";
    cache.faults().failNext(narInfo, 502, 10);
    try (UpstreamClient client = client()) {
      FetchException e = fails(Reason.UPSTREAM_ERROR, () -> client.narInfo(sp(p)));
      assertTrue(e.retryable());
      assertEquals(502, e.upstreamStatus());
    } finally {
      cache.faults().clear();
    }
    assertEquals(3, cache.requestCount(narInfo));
  }

  @Test
  void retryAfterIsHonouredUpToItsCap() throws Exception {
    String p = path("slow-down", "xz");
    String narInfo = sp(p).hashPart() + ".narinfo";
    cache.faults().failNext(narInfo, 429, 1, 7).failNext(narInfo, 503, 1, 3600);
    try (UpstreamClient client = clientBuilder().maxRetryAfter(Duration.ofSeconds(30)).build()) {
      client.narInfo(sp(p));
    } finally {
      cache.faults().clear();
    }
    assertEquals(List.of(Duration.ofSeconds(7), Duration.ofSeconds(30)), delays);
  }

  @Test
  void aStalledBodyTimesOutAndTheNextAttemptSucceeds() throws Exception {
    String p = path("stall", "xz");
    String nar = cache.narFile(p).getFileName().toString();
    cache.faults().stall(nar);
    try (UpstreamClient client = client()) {
      UpstreamNarInfo info = client.narInfo(sp(p));
      try (VerifiedNar stalled = client.openNar(info)) {
        FetchException e = fails(Reason.TIMEOUT, stalled::readAllBytes);
        assertTrue(e.retryable());
        assertTrue(stalled.compressedBytesRead() > 0);
      }
      try (VerifiedNar again = client.openNar(info)) {
        assertArrayEquals(RealNix.dump(Path.of(p)), again.readAllBytes());
      }
    } finally {
      cache.faults().clear();
    }
    assertEquals(2, cache.requestCount(nar));
  }

  @ParameterizedTest
  @ValueSource(strings = {"xz", "zstd", "none"})
  void closingFromAnotherThreadCancelsABlockedRead(String compression) throws Exception {
    String p = path("cancel-" + compression, compression);
    FetchException e = cancelWhileStalled(cache, p, clientBuilder());
    assertEquals(Reason.UPSTREAM_ERROR, e.reason(), e.getMessage());
    assertTrue(e.retryable());
  }

  /**
   * Reads {@code path}'s NAR on another thread while the upstream stalls halfway, closes the
   * stream once half of it has arrived, and returns what the reader got. The idle timeout is far
   * away: only the close can end the read.
   */
  static FetchException cancelWhileStalled(NixCacheFixture cache, String path, UpstreamClient.Builder builder)
      throws Exception {
    cache.faults().stall(cache.narFile(path).getFileName().toString());
    try (UpstreamClient client = builder.idleTimeout(Duration.ofMinutes(1)).build()) {
      VerifiedNar stalled = client.openNar(client.narInfo(sp(path)));
      CompletableFuture<Throwable> reader = CompletableFuture.supplyAsync(() -> {
        try {
          stalled.readAllBytes();
          return null;
        } catch (Throwable t) {
          return t;
        }
      });
      long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
      while (stalled.compressedBytesRead() < Files.size(cache.narFile(path)) / 2) {
        assertTrue(System.nanoTime() < deadline, "the first half of the body never arrived");
        Thread.sleep(5);
      }
      stalled.close();
      return assertInstanceOf(FetchException.class, reader.get(30, TimeUnit.SECONDS));
    } finally {
      cache.faults().clear();
    }
  }

  @Test
  void noResponseHeadersInTimeIsRetried() throws Exception {
    String p = path("no-headers", "xz");
    String narInfo = sp(p).hashPart() + ".narinfo";
    cache.faults().stallBeforeHeaders(narInfo, 1);
    try (UpstreamClient client = clientBuilder().firstByteTimeout(Duration.ofMillis(300)).build()) {
      client.narInfo(sp(p));
    } finally {
      cache.faults().clear();
    }
    assertEquals(2, cache.requestCount(narInfo));
  }

  @Test
  void aConnectionCutShortIsARetryableUpstreamError() throws Exception {
    String p = path("cut", "zstd");
    String nar = cache.narFile(p).getFileName().toString();
    cache.faults().truncate(nar, 1000);
    try (UpstreamClient client = client()) {
      UpstreamNarInfo info = client.narInfo(sp(p));
      try (VerifiedNar cut = client.openNar(info)) {
        FetchException e = fails(Reason.UPSTREAM_ERROR, cut::readAllBytes);
        assertTrue(e.retryable());
      }
      try (VerifiedNar again = client.openNar(info)) {
        assertArrayEquals(RealNix.dump(Path.of(p)), again.readAllBytes());
      }
    } finally {
      cache.faults().clear();
    }
  }

  // ---- several upstreams, and misconfigured ones

  @Test
  void upstreamsAreTriedInOrder() throws Exception {
    String p = path("second", "bzip2");
    try (NixCacheFixture empty = NixCacheFixture.create(Files.createDirectories(work.resolve("empty")));
        UpstreamClient client = client_(empty.url(), cache.url())) {
      UpstreamNarInfo info = client.narInfo(sp(p));
      assertEquals(cache.url(), info.upstream());
      assertArrayEquals(RealNix.dump(Path.of(p)), readAll(client, p));
      assertEquals(2, empty.requestCount(sp(p).hashPart() + ".narinfo"));

      StorePath nowhere = StorePath.parseBaseName("00000000000000000000000000000000-nowhere");
      FetchException e = fails(Reason.NOT_FOUND, () -> client.narInfo(nowhere));
      assertTrue(e.getMessage().contains(empty.url().toString()) && e.getMessage().contains(cache.url().toString()),
          e.getMessage());
    }
  }

  @Test
  void aFailingUpstreamIsSkippedWhileAnotherAnswers() throws Exception {
    List<String> paths = List.of(path("skip-a", "zstd"), path("skip-b", "zstd"), path("skip-c", "zstd"));
    try (NixCacheFixture down = NixCacheFixture.create(Files.createDirectories(work.resolve("down")))) {
      down.faults().failNext(".narinfo", 503, 1000);
      try (UpstreamClient client = client_(down.url(), cache.url())) {
        for (String p : paths) assertEquals(cache.url(), client.narInfo(sp(p)).upstream());
      }
      assertEquals(3, down.requestCount(".narinfo")); // the retries of the first path, then left alone
      try (UpstreamClient alone = client_(down.url())) {
        for (int i = 0; i < 2; i++) {
          String p = paths.get(i);
          assertTrue(fails(Reason.UPSTREAM_ERROR, () -> alone.narInfo(sp(p))).retryable());
        }
      }
      assertEquals(3 + 6, down.requestCount(".narinfo")); // a lone upstream is never skipped
    }
  }

  private UpstreamClient client_(URI... upstreams) {
    return clientBuilder(upstreams).build();
  }

  @Test
  void aCacheForAnotherStoreDirIsAConfigurationError() throws Exception {
    String p = path("gnu", "xz");
    try (NixCacheFixture gnu = NixCacheFixture.create(Files.createDirectories(work.resolve("gnu")))) {
      Files.writeString(gnu.dir().resolve("nix-cache-info"), "StoreDir: /gnu/store\n");
      try (UpstreamClient client = client_(gnu.url())) {
        FetchException e = fails(Reason.UPSTREAM_ERROR, client::checkUpstreams);
        assertFalse(e.retryable());
        assertTrue(e.getMessage().contains("/gnu/store"), e.getMessage());
        fails(Reason.UPSTREAM_ERROR, () -> client.narInfo(sp(p)));
      }
      assertEquals(1, gnu.requestCount("/nix-cache-info"));
      assertEquals(0, gnu.requestCount(".narinfo"));
    }
  }

  @Test
  void aUrlThatIsNoBinaryCacheIsAConfigurationError() throws Exception {
    try (UpstreamClient client = client_(URI.create(cache.url() + "/not-a-cache"))) {
      FetchException e = fails(Reason.UPSTREAM_ERROR, client::checkUpstreams);
      assertFalse(e.retryable());
      assertEquals(404, e.upstreamStatus());
      assertTrue(e.getMessage().contains("does not appear to be a Nix binary cache"), e.getMessage());
    }
  }

  @Test
  void anUnreachableUpstreamIsARetryableError() throws Exception {
    URI closed;
    try (java.net.ServerSocket s = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      closed = URI.create("http://127.0.0.1:" + s.getLocalPort());
    }
    try (UpstreamClient client = client_(closed)) {
      FetchException e = fails(Reason.UPSTREAM_ERROR, client::checkUpstreams);
      assertTrue(e.retryable());
      assertEquals(0, e.upstreamStatus());
    }
  }

  @Test
  void aTransientNixCacheInfoFailureIsNotRemembered() throws Exception {
    cache.faults().failNext("/nix-cache-info", 503, 3);
    try (UpstreamClient client = client()) {
      assertTrue(fails(Reason.UPSTREAM_ERROR, client::checkUpstreams).retryable());
      client.checkUpstreams(); // asks again, and now the cache answers
    } finally {
      cache.faults().clear();
    }
  }

  @Test
  void backoffDoublesWithJitterUpToItsCapAndRetryAfterWins() {
    try (UpstreamClient client = clientBuilder().initialBackoff(Duration.ofMillis(100))
        .maxBackoff(Duration.ofSeconds(1)).maxRetryAfter(Duration.ofSeconds(2)).build()) {
      FetchException plain = new FetchException(Reason.UPSTREAM_ERROR, 503, true, "x");
      long[][] expected = {{2, 50, 100}, {3, 100, 200}, {4, 200, 400}, {5, 400, 800}, {6, 500, 1000}, {30, 500, 1000}};
      for (long[] e : expected) {
        for (int i = 0; i < 200; i++) {
          long ms = client.delayBefore((int) e[0], plain).toMillis();
          assertTrue(ms >= e[1] && ms <= e[2], "attempt " + e[0] + ": " + ms + " ms");
        }
      }
      FetchException slowDown = new FetchException(Reason.UPSTREAM_ERROR, 429, true, "x", null, Duration.ofSeconds(60));
      assertEquals(Duration.ofSeconds(2), client.delayBefore(2, slowDown));
    }
  }

  @Test
  void retryAfterIsReadInItsSecondsForm() {
    java.util.function.Function<String, Duration> parse = v -> UpstreamClient.retryAfter(
        java.net.http.HttpHeaders.of(java.util.Map.of("Retry-After", List.of(v)), (a, b) -> true));
    assertEquals(Duration.ofSeconds(120), parse.apply("120"));
    assertEquals(Duration.ZERO, parse.apply("0"));
    assertEquals(null, parse.apply("Wed, 21 Oct 2015 07:28:00 GMT"));
    assertEquals(null, parse.apply("-1"));
    assertEquals(null, parse.apply("99999999999999999999"));
  }

  @Test
  void misconfigurationIsRefusedAtBuild() {
    assertThrows(IllegalStateException.class, () -> UpstreamClient.builder().build());
    assertThrows(IllegalStateException.class,
        () -> UpstreamClient.builder().upstreams(List.of(cache.url())).build()); // no trusted key
    assertThrows(IllegalArgumentException.class,
        () -> UpstreamClient.builder().upstreams(List.of(URI.create("file:///tmp/c"))).checkSignatures(false).build());
  }
}
