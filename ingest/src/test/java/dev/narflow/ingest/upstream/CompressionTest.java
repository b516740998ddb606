package dev.narflow.ingest.upstream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.api.Test;

/** Decompression is checked against the real command-line compressors, not our own encoders. */
class CompressionTest {
  private static final byte[] DATA = sample();

  private static byte[] sample() {
    // Half text-like, half random: compressible and incompressible runs both.
    byte[] b = new byte[3 * 1024 * 1024 + 17];
    Random r = new Random(7);
    for (int i = 0; i < b.length / 2; i++) b[i] = (byte) ("nix-archive-1 ".charAt(i % 14) + (i / 4096) % 3);
    byte[] tail = new byte[b.length - b.length / 2];
    r.nextBytes(tail);
    System.arraycopy(tail, 0, b, b.length / 2, tail.length);
    return b;
  }

  private static byte[] compressWithTool(Compression c) throws Exception {
    String tool = switch (c) {
      case XZ -> "xz";
      case ZSTD -> "zstd";
      case BZIP2 -> "bzip2";
      case NONE -> throw new IllegalArgumentException();
    };
    Process p = new ProcessBuilder(tool, "-c").start();
    Thread feeder = new Thread(() -> {
      try (var out = p.getOutputStream()) {
        out.write(DATA);
      } catch (IOException e) {
        throw new RuntimeException(e);
      }
    });
    feeder.start();
    byte[] compressed = p.getInputStream().readAllBytes();
    feeder.join();
    assertEquals(0, p.waitFor(), tool + " failed");
    return compressed;
  }

  @ParameterizedTest
  @EnumSource(value = Compression.class, names = {"XZ", "ZSTD", "BZIP2"})
  void decompressesWhatTheRealToolWrote(Compression c) throws Exception {
    byte[] compressed = compressWithTool(c);
    try (InputStream in = c.decompress(new ByteArrayInputStream(compressed))) {
      assertArrayEquals(DATA, in.readAllBytes());
    }
    try (InputStream in = Compression.decompressDetected(new ByteArrayInputStream(compressed))) {
      assertArrayEquals(DATA, in.readAllBytes());
    }
  }

  @ParameterizedTest
  @EnumSource(value = Compression.class, names = {"XZ", "ZSTD", "BZIP2"})
  void truncatedDataIsAnErrorNamingTheCompression(Compression c) throws Exception {
    byte[] compressed = compressWithTool(c);
    byte[] cut = Arrays.copyOf(compressed, compressed.length * 2 / 3);
    IOException e = assertThrows(IOException.class, () -> {
      try (InputStream in = c.decompress(new ByteArrayInputStream(cut))) {
        in.readAllBytes();
      }
    });
    assertTrue(e.getMessage().startsWith(c.narInfoName() + " data is corrupt or truncated"), e.getMessage());
    assertFalse(e.getMessage().endsWith("null"), e.getMessage());
  }

  @Test
  void plainDataPassesThroughDetection() throws Exception {
    try (InputStream in = Compression.decompressDetected(new ByteArrayInputStream(DATA))) {
      assertArrayEquals(DATA, in.readAllBytes());
    }
    try (InputStream in = Compression.decompressDetected(new ByteArrayInputStream(new byte[0]))) {
      assertEquals(0, in.readAllBytes().length);
    }
  }

  @Test
  void namesFromNarInfoAndFileNames() {
    assertEquals(Compression.XZ, Compression.fromNarInfo("xz"));
    assertEquals(Compression.NONE, Compression.fromNarInfo("none"));
    assertEquals(Compression.ZSTD, Compression.fromFileName("abc.nar.zst"));
    assertEquals(Compression.BZIP2, Compression.fromFileName("x.NAR.BZ2"));
    assertEquals(Compression.NONE, Compression.fromFileName("x.nar"));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Compression.fromNarInfo("lz4"));
    assertTrue(e.getMessage().contains("'lz4'"));
  }
}
