package dev.narflow.ops.serve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.github.luben.zstd.ZstdInputStream;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.narflow.chunker.testing.SyntheticNar;
import dev.narflow.ops.mirror.MirrorCommandTest;
import dev.narflow.ops.mirror.MirrorPipeline;
import dev.narflow.topics.nix.HashAlgorithm;
import dev.narflow.topics.nix.NarInfo;
import dev.narflow.topics.nix.NixHash;
import dev.narflow.topics.nix.NixSecretKey;
import dev.narflow.topics.nix.StorePath;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.zip.CRC32C;
import java.util.zip.CheckedOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Serving memory is bounded by the fetch budget, not by NAR sizes, at the size the serve issue
 * names: {@code narflow serve} in a child JVM with a 256 MiB heap streams 16 downloads at once of
 * a 4 GiB NAR (64 GiB in all; 12 as .nar, 4 as .nar.zst), every one whole and right. The NAR is
 * made on the fly by a synthetic binary cache (a seeded random file, signed narinfo), so nothing
 * but the chunks is written to disk.
 */
class ServeLargeNarMemoryIT {
  static final long FILE_SIZE = 4L << 30;
  static final int CLIENTS = 16;
  static final int ZSTD_CLIENTS = 4;
  static final NixSecretKey KEY = NixSecretKey.generate("serve-large-test-1");

  @TempDir Path work;

  @Test
  void sixteenConcurrentDownloadsOfAFourGibNarFitInA256MibHeap() throws Exception {
    long seed = ThreadLocalRandom.current().nextLong();
    byte[] digest = new byte[StorePath.DIGEST_SIZE];
    ThreadLocalRandom.current().nextBytes(digest);
    StorePath path = StorePath.of(digest, "serve-memory-4g");

    // One pass for NarHash, NarSize and the CRC32C each download is checked against.
    MessageDigest sha = HashAlgorithm.SHA256.newDigest();
    CRC32C crc = new CRC32C();
    long narSize;
    try (CheckedOutputStream out = new CheckedOutputStream(
        new DigestOutputStream(OutputStream.nullOutputStream(), sha), crc)) {
      narSize = writeNar(seed, out);
    }
    long expectedCrc = crc.getValue();
    NixHash narHash = NixHash.of(HashAlgorithm.SHA256, sha.digest());
    NarInfo unsigned = NarInfo.builder().storePath(path).url("nar/big.nar").compression("none")
        .narHash(narHash).narSize(narSize).references(List.of()).build();
    byte[] narinfo = unsigned.withSignature(KEY.sign(unsigned)).format().getBytes(StandardCharsets.UTF_8);

    HttpServer upstream = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    upstream.createContext("/", ex -> serve(ex, path, narinfo, seed, narSize));
    upstream.start();
    Path data = work.resolve("mirror");
    try {
      MirrorCommandTest.Run mirrored = MirrorCommandTest.execute(Map.of(), new MirrorPipeline(), "--data",
          data.toString(), "--upstream", "http://127.0.0.1:" + upstream.getAddress().getPort(),
          "--trusted-public-key", KEY.publicKey().toString(), "--progress", "log", path.absolute());
      assertEquals(0, mirrored.exit(), mirrored.err());
    } finally {
      upstream.stop(0);
    }

    try (SmallHeapServe serve = SmallHeapServe.start(data, "256m")) {
      String base = serve.url();
      HttpClient http = HttpClient.newHttpClient();
      NarInfo served = NarInfo.parse(http.send(HttpRequest.newBuilder(URI.create(base + "/" + path.hashPart()
          + ".narinfo")).build(), HttpResponse.BodyHandlers.ofString()).body());
      assertEquals(narHash, served.narHash());
      List<CompletableFuture<long[]>> downloads = new ArrayList<>();
      for (int i = 0; i < CLIENTS; i++) {
        boolean zstd = i < ZSTD_CLIENTS;
        String url = base + "/nar/" + narHash.nixbase32() + (zstd ? ".nar.zst" : ".nar");
        downloads.add(CompletableFuture.supplyAsync(() -> download(http, url, zstd)));
      }
      for (CompletableFuture<long[]> d : downloads) {
        long[] sizeAndCrc;
        try {
          sizeAndCrc = d.get(20, TimeUnit.MINUTES);
        } catch (ExecutionException e) {
          throw new AssertionError("a download failed (" + e.getCause() + "); " + serve.state(), e);
        }
        assertEquals(narSize, sizeAndCrc[0], "a download was cut short");
        assertEquals(expectedCrc, sizeAndCrc[1], "a download's bytes differ from the NAR's");
      }
      assertTrue(serve.alive(), "serve ran out of memory: " + serve.state());
    }
  }

  /** A NAR of one regular file of {@link #FILE_SIZE} seeded random bytes, made as it is read; its size. */
  private static long writeNar(long seed, OutputStream out) throws IOException {
    try (SyntheticNar nar = SyntheticNar.singleFile(FILE_SIZE, seed)) {
      return nar.transferTo(out);
    }
  }

  /** The synthetic cache: nix-cache-info, the narinfo, and the NAR, made again for every request. */
  private static void serve(HttpExchange ex, StorePath path, byte[] narinfo, long seed, long narSize) throws IOException {
    try (ex) {
      String p = ex.getRequestURI().getPath();
      if (p.equals("/nix-cache-info")) {
        byte[] body = "StoreDir: /nix/store\nWantMassQuery: 1\nPriority: 40\n".getBytes(StandardCharsets.UTF_8);
        ex.sendResponseHeaders(200, body.length);
        ex.getResponseBody().write(body);
      } else if (p.equals("/" + path.hashPart() + ".narinfo")) {
        ex.sendResponseHeaders(200, narinfo.length);
        ex.getResponseBody().write(narinfo);
      } else if (p.equals("/nar/big.nar")) {
        ex.sendResponseHeaders(200, narSize);
        writeNar(seed, ex.getResponseBody());
      } else {
        ex.sendResponseHeaders(404, -1);
      }
    }
  }

  /** Bytes and CRC32C of one download; a .nar.zst is decompressed first. */
  private static long[] download(HttpClient http, String url, boolean zstd) {
    try {
      HttpResponse<InputStream> r = http.send(HttpRequest.newBuilder(URI.create(url)).build(),
          HttpResponse.BodyHandlers.ofInputStream());
      assertEquals(200, r.statusCode(), url);
      CRC32C crc = new CRC32C();
      long size = 0;
      try (InputStream body = zstd ? new ZstdInputStream(r.body()) : r.body()) {
        byte[] buffer = new byte[1 << 16];
        for (int n; (n = body.read(buffer)) > 0; ) {
          crc.update(buffer, 0, n);
          size += n;
        }
      }
      return new long[] {size, crc.getValue()};
    } catch (Exception e) {
      throw new CompletionException(e);
    }
  }
}
