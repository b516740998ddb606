package dev.narflow.topics.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/** The real {@code zstd} tool, to check that what we send decodes as zstd itself decodes it. */
public final class ZstdTool {
  private ZstdTool() {}

  /** {@code zstd -d -c} of {@code in}. */
  public static byte[] decompress(byte[] in) throws Exception {
    Process p = new ProcessBuilder("zstd", "-d", "-c").start();
    CompletableFuture<byte[]> out = CompletableFuture.supplyAsync(() -> {
      try {
        return p.getInputStream().readAllBytes();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    });
    CompletableFuture<byte[]> err = CompletableFuture.supplyAsync(() -> {
      try {
        return p.getErrorStream().readAllBytes();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    });
    try (var stdin = p.getOutputStream()) {
      stdin.write(in);
    }
    byte[] result = out.get(60, TimeUnit.SECONDS);
    if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
      throw new AssertionError("zstd -d failed: " + new String(err.get(), java.nio.charset.StandardCharsets.UTF_8));
    }
    return result;
  }
}
