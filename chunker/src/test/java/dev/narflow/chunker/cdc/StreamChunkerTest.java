package dev.narflow.chunker.cdc;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class StreamChunkerTest {
  static List<Vectors.Case> sekienCases() {
    return Vectors.sekienCases();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("sekienCases")
  void streamsSekienAkashitaLikeTheReferenceWhateverTheReadSizes(Vectors.Case c) throws IOException {
    byte[] data = Vectors.sekien();
    FastCdc cdc = FastCdc.of(c.params());
    for (long seed = 1; seed <= 20; seed++) {
      ShortReads in = new ShortReads(data, new Random(seed));
      int readSize = seed % 2 == 0 ? c.params().maxSize() : 1 + new Random(seed).nextInt(5000);
      assertEquals(c.expected(), cuts(new StreamChunker(cdc, in, readSize)), "read seed " + seed);
    }
    assertEquals(c.expected(), cuts(cdc.chunker(new ByteArrayInputStream(data))));
  }

  @Test
  void emptyInputHasNoChunks() throws IOException {
    StreamChunker chunker = FastCdc.withDefaults().chunker(new ByteArrayInputStream(new byte[0]));
    assertNull(chunker.next());
    assertNull(chunker.next());
  }

  @Test
  void inputShorterThanMinSizeIsOneChunk() throws IOException {
    byte[] data = new byte[1000];
    new Random(3).nextBytes(data);
    StreamChunker chunker = FastCdc.withDefaults().chunker(new ShortReads(data, new Random(4)));
    ChunkView chunk = chunker.next();
    assertEquals(1000, chunk.length());
    assertEquals(0, chunk.hash());
    assertEquals(0, chunk.streamOffset());
    assertArrayEquals(data, chunk.toByteArray());
    assertNull(chunker.next());
  }

  @Test
  void zeroBytesStreamInMaxSizeChunks() throws IOException {
    FastCdc cdc = FastCdc.of(FastCdc.Params.of(64, 256, 1024));
    StreamChunker chunker = cdc.chunker(new ShortReads(new byte[10240], new Random(5)));
    for (int i = 0; i < 10; i++) {
      ChunkView chunk = chunker.next();
      assertEquals(1024, chunk.length());
      assertEquals(1024L * i, chunk.streamOffset());
      assertEquals(Long.parseUnsignedLong("14169102344523991076"), chunk.hash());
    }
    assertNull(chunker.next());
  }

  @Test
  void aStreamThatReadsNothingIsAnError() {
    InputStream broken = new InputStream() {
      @Override
      public int read() {
        return 0;
      }

      @Override
      public int read(byte[] b, int off, int len) {
        return 0;
      }
    };
    IOException e = assertThrows(IOException.class, () -> FastCdc.withDefaults().chunker(broken).next());
    assertTrue(e.getMessage().contains("returned 0 bytes"), e.getMessage());
  }

  @Test
  void readErrorsPropagate() {
    InputStream failing = new InputStream() {
      @Override
      public int read() throws IOException {
        throw new IOException("disk on fire");
      }
    };
    IOException e = assertThrows(IOException.class, () -> FastCdc.withDefaults().chunker(failing).next());
    assertEquals("disk on fire", e.getMessage());
  }

  /**
   * Random inputs, parameters and read patterns: the stream gives the array function's chunks,
   * which give back the input, sized within [min, max] except the last (min rounded down to even), and agree with a plain
   * byte-at-a-time Gear implementation written from the description; the chunker never runs more
   * than its buffer ahead of what it has returned.
   */
  @Test
  void propertyStreamEqualsArrayEqualsByteAtATime() throws IOException {
    long master = System.nanoTime();
    Random seeds = new Random(master);
    for (int round = 0; round < 1000; round++) {
      long seed = seeds.nextLong();
      try {
        checkOneRandomCase(seed);
      } catch (AssertionError | RuntimeException e) {
        throw new AssertionError("failed for case seed " + seed + " (master seed " + master + ")", e);
      }
    }
  }

  private static void checkOneRandomCase(long seed) throws IOException {
    Random random = new Random(seed);
    int avg = 256 << random.nextInt(6); // 256 B .. 8 KiB, so that inputs hold many chunks
    avg += random.nextInt(avg / 2 + 1) - avg / 4; // not always a power of two
    avg = Math.max(FastCdc.AVERAGE_MIN, avg);
    int min = Math.max(FastCdc.MINIMUM_MIN, avg / (1 + random.nextInt(8)) - random.nextInt(3));
    min = Math.min(min, avg);
    int max = Math.max(FastCdc.MAXIMUM_MIN, avg * (1 + random.nextInt(8)) + random.nextInt(3));
    FastCdc.Params params = new FastCdc.Params(min, avg, max, random.nextInt(4), random.nextBoolean() ? 0 : random.nextLong());
    FastCdc cdc = FastCdc.of(params);

    byte[] data = new byte[random.nextInt(5) == 0 ? random.nextInt(max + 2) : random.nextInt(200_000)];
    randomContent(random, data);

    List<FastCdc.Cut> fromArray = Vectors.cutAll(cdc, data);
    assertEquals(byteAtATime(params, data), fromArray, "byte-at-a-time reference for " + params);

    int readSize = 1 + random.nextInt(2 * max);
    ShortReads in = new ShortReads(data, random);
    StreamChunker chunker = new StreamChunker(cdc, in, readSize);
    ByteArrayOutputStream concatenation = new ByteArrayOutputStream();
    List<FastCdc.Cut> fromStream = new ArrayList<>();
    for (ChunkView chunk; (chunk = chunker.next()) != null; ) {
      assertEquals(concatenation.size(), chunk.streamOffset());
      assertTrue(in.position - chunk.streamOffset() <= (long) max + readSize, "read ahead beyond the buffer");
      concatenation.write(chunk.array(), chunk.offset(), chunk.length());
      fromStream.add(new FastCdc.Cut(chunk.length(), chunk.hash()));
    }
    assertEquals(fromArray, fromStream, "stream vs array for " + params + ", readSize " + readSize);
    assertArrayEquals(data, concatenation.toByteArray());
    for (int i = 0; i < fromStream.size(); i++) {
      int length = fromStream.get(i).length();
      assertTrue(length <= max, "chunk " + i + " longer than max: " + length);
      // The reference scans from min rounded down to even, so an odd min allows one byte less.
      int shortest = min & ~1;
      if (i < fromStream.size() - 1) assertTrue(length >= shortest, "chunk " + i + " shorter than min: " + length);
      else assertTrue(length > 0);
    }
  }

  /** Mostly random bytes, sometimes with runs and repeats, which force cuts and dedup. */
  private static void randomContent(Random random, byte[] data) {
    random.nextBytes(data);
    int patches = random.nextInt(4);
    for (int p = 0; p < patches && data.length > 0; p++) {
      int from = random.nextInt(data.length);
      int length = random.nextInt(data.length - from + 1);
      if (random.nextBoolean()) {
        java.util.Arrays.fill(data, from, from + length, (byte) random.nextInt(256));
      } else {
        int source = random.nextInt(data.length - length + 1);
        System.arraycopy(data, source, data, from, length);
      }
    }
  }

  /**
   * FastCDC 2020 as the plain Gear rolling hash, one byte at a time: {@code h = (h << 1) + GEAR[b]},
   * tested against the mask after every byte, and the chunk ends just before the byte that met it.
   * The reference's two-byte step tests {@code h << 1} against {@code mask << 1} after the even
   * byte, so it reports that shifted hash there, and {@code h} after the odd byte. Scanning stops
   * at an even distance, so a forced cut reports {@code h} as of an odd byte.
   */
  private static List<FastCdc.Cut> byteAtATime(FastCdc.Params params, byte[] data) {
    FastCdc cdc = FastCdc.of(params); // only for its gear table and masks
    List<FastCdc.Cut> out = new ArrayList<>();
    int position = 0;
    while (position < data.length) {
      int remaining = data.length - position;
      FastCdc.Cut cut;
      if (remaining <= params.minSize()) {
        cut = new FastCdc.Cut(remaining, 0);
      } else {
        int limit = Math.min(remaining, params.maxSize());
        int center = Math.min(limit, params.avgSize());
        long h = 0;
        cut = null;
        for (int i = params.minSize() / 2 * 2; i < limit / 2 * 2; i++) {
          h = (h << 1) + cdc.gear(data[position + i] & 0xff);
          long mask = i < center / 2 * 2 ? cdc.maskSmall() : cdc.maskLarge();
          if ((h & mask) == 0) {
            cut = new FastCdc.Cut(i, i % 2 == 0 ? h << 1 : h);
            break;
          }
        }
        if (cut == null) cut = new FastCdc.Cut(limit, h);
      }
      out.add(cut);
      position += cut.length();
    }
    return out;
  }

  private static List<FastCdc.Cut> cuts(StreamChunker chunker) throws IOException {
    List<FastCdc.Cut> out = new ArrayList<>();
    for (ChunkView chunk; (chunk = chunker.next()) != null; ) out.add(new FastCdc.Cut(chunk.length(), chunk.hash()));
    return out;
  }

  /** Returns random short reads (often 1 byte, sometimes large), as networks and decompressors do. */
  static final class ShortReads extends InputStream {
    private final byte[] data;
    private final Random random;
    int position;

    ShortReads(byte[] data, Random random) {
      this.data = data;
      this.random = random;
    }

    @Override
    public int read() {
      return position < data.length ? data[position++] & 0xff : -1;
    }

    @Override
    public int read(byte[] b, int off, int len) {
      if (len == 0) return 0;
      if (position >= data.length) return -1;
      int cap = switch (random.nextInt(4)) {
        case 0 -> 1;
        case 1 -> 1 + random.nextInt(64);
        case 2 -> 1 + random.nextInt(8192);
        default -> len;
      };
      int n = Math.min(Math.min(len, cap), data.length - position);
      System.arraycopy(data, position, b, off, n);
      position += n;
      return n;
    }
  }
}
