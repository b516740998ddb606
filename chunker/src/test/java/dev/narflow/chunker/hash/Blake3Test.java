package dev.narflow.chunker.hash;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.narflow.topics.castore.B3Digest;
import dev.narflow.topics.testing.Fixtures;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.bouncycastle.crypto.digests.Blake3Digest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class Blake3Test {
  private static final Pattern CASE =
      Pattern.compile("\"input_len\"\\s*:\\s*(\\d+)\\s*,\\s*\"hash\"\\s*:\\s*\"([0-9a-f]+)\"");

  record Vector(int length, String hash) {}

  /** The official vectors; a tiny parse of the one shape of object the file has. */
  static List<Vector> vectors() throws IOException {
    String json = Files.readString(Fixtures.path("blake3/test_vectors.json"));
    List<Vector> vectors = new ArrayList<>();
    Matcher m = CASE.matcher(json);
    while (m.find()) {
      vectors.add(new Vector(Integer.parseInt(m.group(1)), m.group(2).substring(0, 64)));
    }
    assertTrue(vectors.size() >= 30, "parsed only " + vectors.size() + " vectors");
    return vectors;
  }

  static Stream<Arguments> kernels() {
    return Stream.of(
        Arguments.of("vector", (Supplier<Blake3>) Blake3::newHasher),
        Arguments.of("scalar", (Supplier<Blake3>) Blake3::newScalarHasher));
  }

  static byte[] vectorInput(int length) {
    byte[] input = new byte[length];
    for (int i = 0; i < length; i++) input[i] = (byte) (i % 251);
    return input;
  }

  @Test
  void vectorKernelIsActiveInTests() {
    // Surefire runs with --add-modules jdk.incubator.vector; without it the "vector" cases below
    // would silently test the scalar path twice.
    assertTrue(Blake3.vectorKernelAvailable());
    assertTrue(Blake3.vectorLanes() >= 4, "lanes " + Blake3.vectorLanes());
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("kernels")
  void officialVectorsOneShot(String kernel, Supplier<Blake3> hasher) throws IOException {
    for (Vector v : vectors()) {
      byte[] input = vectorInput(v.length());
      assertEquals(v.hash(), hasher.get().update(input).finish().hex(), "length " + v.length());
      // An offset into a larger array must not leak neighbouring bytes.
      byte[] padded = new byte[input.length + 7];
      System.arraycopy(input, 0, padded, 3, input.length);
      assertEquals(v.hash(), hasher.get().update(padded, 3, input.length).finish().hex(),
          "length " + v.length() + " at offset 3");
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("kernels")
  void officialVectorsWithRandomSplits(String kernel, Supplier<Blake3> hasher) throws IOException {
    long seed = 0xB1A4E3L;
    Random random = new Random(seed);
    Blake3 h = hasher.get(); // reused across cases: finish() must reset it
    for (Vector v : vectors()) {
      byte[] input = vectorInput(v.length());
      for (int round = 0; round < 4; round++) {
        feedInRandomPieces(h, input, random, round);
        assertEquals(v.hash(), h.finish().hex(),
            "length " + v.length() + ", round " + round + ", seed " + seed);
      }
    }
  }

  @Test
  void fixtureDigestsFromVectorsMd() {
    assertEquals("af1349b9f5f9a1a6a0404dea36dcc9499bcb25c9adc112b7cc9a93cae41f3262",
        Blake3.hash(new byte[0]).hex());
    assertEquals("5ca7815adcb484e9a136c11efe69c1d530176d549b5d18d038eb5280b4b3470c",
        Blake3.hash("Hello World!".getBytes(StandardCharsets.US_ASCII)).hex());
    byte[] blob = new byte[255 * 4096];
    for (int i = 0; i < blob.length; i++) blob[i] = (byte) (i % 255);
    assertEquals("a82c5154a7a0c262c6fdb929a317585646f8fbcf80326d0a7b8747edaf2d99d2",
        Blake3.hash(blob).hex());
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("kernels")
  void matchesBouncyCastleOnRandomInputs(String kernel, Supplier<Blake3> hasher) {
    long seed = System.nanoTime();
    Random random = new Random(seed);
    byte[] data = new byte[3 * 1024 * 1024 + 4096];
    random.nextBytes(data);
    Blake3 h = hasher.get();
    for (int i = 0; i < 24; i++) {
      // Mostly chunk- and group-sized neighbourhoods, some anywhere up to ~3 MiB.
      int len = switch (i % 4) {
        case 0 -> random.nextInt(4 * 1024);
        case 1 -> (1 + random.nextInt(64)) * 1024 + random.nextInt(3) - 1;
        case 2 -> random.nextInt(300 * 1024);
        default -> random.nextInt(data.length - 4096);
      };
      len = Math.max(0, len);
      int off = random.nextInt(4096);
      String expected = bouncyCastle(data, off, len);
      String context = "length " + len + " offset " + off + ", seed " + seed;
      assertEquals(expected, hasher.get().update(data, off, len).finish().hex(), context);
      byte[] slice = java.util.Arrays.copyOfRange(data, off, off + len);
      feedInRandomPieces(h, slice, random, i);
      assertEquals(expected, h.finish().hex(), "split, " + context);
    }
  }

  /** Chunk counts around every lane, group and subtree boundary, one-shot and chunk by chunk. */
  @ParameterizedTest(name = "{0}")
  @MethodSource("kernels")
  void matchesBouncyCastleAroundTreeBoundaries(String kernel, Supplier<Blake3> hasher) {
    Random random = new Random(7);
    byte[] data = new byte[1025 * 1024];
    random.nextBytes(data);
    Blake3 byChunk = hasher.get();
    for (int chunks : new int[] {1, 2, 3, 4, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 64, 65, 127, 128,
        255, 256, 257, 511, 512, 513, 1024}) {
      for (int delta = -1; delta <= 1; delta++) {
        int len = chunks * 1024 + delta;
        String expected = bouncyCastle(data, 0, len);
        assertEquals(expected, hasher.get().update(data, 0, len).finish().hex(), "length " + len);
        for (int off = 0; off < len; off += 1024) byChunk.update(data, off, Math.min(1024, len - off));
        assertEquals(expected, byChunk.finish().hex(), "1 KiB updates, length " + len);
      }
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("kernels")
  void byteBuffersHeapReadOnlyAndDirect(String kernel, Supplier<Blake3> hasher) {
    long seed = 42;
    Random random = new Random(seed);
    byte[] data = new byte[200_000 + random.nextInt(100_000)];
    random.nextBytes(data);
    String expected = bouncyCastle(data, 0, data.length);
    ByteBuffer heap = ByteBuffer.wrap(data, 5, data.length - 5).slice();
    ByteBuffer direct = ByteBuffer.allocateDirect(data.length).put(data).flip();
    Blake3 h = hasher.get();
    h.update(data, 0, 5).update(heap);
    assertEquals(0, heap.remaining());
    assertEquals(expected, h.finish().hex());
    assertEquals(expected, h.update(ByteBuffer.wrap(data).asReadOnlyBuffer()).finish().hex());
    assertEquals(expected, h.update(direct).finish().hex());
  }

  @Test
  void rejectsOutOfRangeSlices() {
    Blake3 h = Blake3.newHasher();
    byte[] data = new byte[10];
    assertThrows(IndexOutOfBoundsException.class, () -> h.update(data, 5, 6));
    assertThrows(IndexOutOfBoundsException.class, () -> h.update(data, -1, 2));
    assertThrows(IndexOutOfBoundsException.class, () -> h.update(data, 0, -1));
  }

  /** Without the incubator module the facade must load, fall back quietly and stay correct. */
  @Test
  void scalarFallbackWithoutIncubatorModule() throws Exception {
    Path java = Path.of(System.getProperty("java.home"), "bin", "java");
    Process p = new ProcessBuilder(java.toString(), "-cp", System.getProperty("java.class.path"),
        "-Dnarflow.fixtures=" + Fixtures.root(), ScalarFallbackMain.class.getName())
        .redirectErrorStream(true)
        .start();
    assertTrue(p.waitFor(60, TimeUnit.SECONDS), "child JVM timed out");
    String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertEquals(0, p.exitValue(), output);
    // Logging on the test class path may add lines of its own; only the result line counts.
    assertTrue(output.lines().anyMatch(line -> line.equals("result vector=false "
            + "bc3e3d41a1146b069abffad3c0d44860cf664390afce4d9661f7902e7943e085")), output);
  }

  /** Entry point of the child JVM above. */
  static final class ScalarFallbackMain {
    public static void main(String[] args) {
      System.out.println("result vector=" + Blake3.vectorKernelAvailable() + " "
          + Blake3.hash(vectorInput(102400)).hex());
    }
  }

  private static void feedInRandomPieces(Blake3 h, byte[] input, Random random, int style) {
    int maxPiece = switch (style % 4) {
      case 0 -> 70;
      case 1 -> 3000;
      case 2 -> 70_000;
      default -> 1 + input.length;
    };
    int off = 0;
    while (off < input.length) {
      int n = Math.min(input.length - off, random.nextInt(maxPiece + 1));
      if (random.nextInt(8) == 0) n = Math.min(input.length - off, 1024 * (1 + random.nextInt(20)));
      h.update(input, off, n);
      off += n;
    }
  }

  private static String bouncyCastle(byte[] data, int off, int len) {
    Blake3Digest d = new Blake3Digest(256);
    d.update(data, off, len);
    byte[] out = new byte[32];
    d.doFinal(out, 0);
    return B3Digest.wrap(out).hex();
  }
}
