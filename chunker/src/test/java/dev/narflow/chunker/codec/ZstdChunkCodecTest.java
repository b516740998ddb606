package dev.narflow.chunker.codec;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.github.luben.zstd.ZstdCompressCtx;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class ZstdChunkCodecTest {
  private final ZstdChunkCodec codec = new ZstdChunkCodec();

  @AfterEach
  void close() {
    codec.close();
  }

  /** Random bytes with runs, so that the compressor has something to find. */
  static byte[] sample(Random random, int size) {
    byte[] data = new byte[size];
    int i = 0;
    while (i < size) {
      int run = Math.min(size - i, 1 + random.nextInt(64));
      if (random.nextBoolean()) {
        Arrays.fill(data, i, i + run, (byte) random.nextInt(4));
      } else {
        for (int j = 0; j < run; j++) {
          data[i + j] = (byte) random.nextInt();
        }
      }
      i += run;
    }
    return data;
  }

  @Test
  void roundTripsRandomChunksOfManySizes() throws Exception {
    long seed = new Random().nextLong();
    Random random = new Random(seed);
    for (int round = 0; round < 300; round++) {
      int size = round < 5 ? round : random.nextInt(round % 10 == 0 ? 300_000 : 5_000);
      int pad = random.nextInt(8);
      byte[] raw = sample(random, size + 2 * pad);
      byte[] frame = codec.compress(raw, pad, size);
      assertTrue(frame.length <= ZstdChunkCodec.maxCompressedSize(size), "seed " + seed);
      byte[] framed = new byte[frame.length + 3];
      System.arraycopy(frame, 0, framed, 1, frame.length);
      assertArrayEquals(
          Arrays.copyOfRange(raw, pad, pad + size),
          codec.decompress(framed, 1, frame.length, size),
          "seed " + seed + " round " + round);
    }
  }

  @Test
  void compressesRepetitiveData() throws Exception {
    byte[] raw = new byte[256 * 1024];
    byte[] frame = codec.compress(raw);
    assertTrue(frame.length < 1024, "zeros should compress, got " + frame.length);
    assertArrayEquals(raw, codec.decompress(frame, raw.length));
  }

  @Test
  void rejectsFrameThatDeclaresAnotherContentSize() {
    byte[] frame = codec.compress(new byte[1000]);
    CorruptFrameException e =
        assertThrows(CorruptFrameException.class, () -> codec.decompress(frame, 999));
    assertTrue(e.getMessage().contains("declares content size 1000, expected 999"), e.getMessage());
    e = assertThrows(CorruptFrameException.class, () -> codec.decompress(frame, 1001));
    assertTrue(e.getMessage().contains("expected 1001"), e.getMessage());
  }

  /** A frame without a declared size (as streaming writers make) that expands past the bound. */
  @Test
  void rejectsDecompressionBombWithoutDeclaredSize() {
    byte[] bomb;
    try (ZstdCompressCtx ctx = new ZstdCompressCtx().setContentSize(false)) {
      bomb = ctx.compress(new byte[64 * 1024 * 1024]);
    }
    assertTrue(bomb.length < 16 * 1024, "bomb is small: " + bomb.length);
    CorruptFrameException e =
        assertThrows(CorruptFrameException.class, () -> codec.decompress(bomb, 4096));
    assertTrue(e.getMessage().contains("more than the expected 4096 bytes"), e.getMessage());
  }

  @Test
  void acceptsFrameWithoutDeclaredSizeWhenItFits() throws Exception {
    byte[] raw = sample(new Random(7), 10_000);
    byte[] frame;
    try (ZstdCompressCtx ctx = new ZstdCompressCtx().setContentSize(false)) {
      frame = ctx.compress(raw);
    }
    assertArrayEquals(raw, codec.decompress(frame, raw.length));
    CorruptFrameException e =
        assertThrows(CorruptFrameException.class, () -> codec.decompress(frame, raw.length + 1));
    assertTrue(e.getMessage().contains("decodes to 10000 bytes, expected 10001"), e.getMessage());
  }

  @Test
  void rejectsTrailingSecondFrame() {
    byte[] one = codec.compress(new byte[100]);
    byte[] two = new byte[one.length * 2];
    System.arraycopy(one, 0, two, 0, one.length);
    System.arraycopy(one, 0, two, one.length, one.length);
    CorruptFrameException e =
        assertThrows(CorruptFrameException.class, () -> codec.decompress(two, 100));
    assertTrue(e.getMessage().contains("more than the expected 100"), e.getMessage());
  }

  @Test
  void rejectsGarbageTruncationAndBitFlips() {
    byte[] raw = sample(new Random(11), 50_000);
    byte[] frame = codec.compress(raw);
    CorruptFrameException e =
        assertThrows(CorruptFrameException.class, () -> codec.decompress(raw, 0, 100, 100));
    assertTrue(e.getMessage().contains("not a zstd frame"), e.getMessage());
    assertThrows(CorruptFrameException.class, () -> codec.decompress(new byte[0], 0));
    assertThrows(
        CorruptFrameException.class, () -> codec.decompress(frame, 0, frame.length - 1, raw.length));
    assertThrows(CorruptFrameException.class, () -> codec.decompress(frame, 0, 3, raw.length));
    // Flipping bits in the body either fails to decode or decodes to other bytes (BLAKE3 above
    // this layer catches the latter); it never yields a different length.
    Random random = new Random(13);
    for (int i = 0; i < 200; i++) {
      byte[] flipped = frame.clone();
      int at = 6 + random.nextInt(flipped.length - 6);
      flipped[at] ^= (byte) (1 << random.nextInt(8));
      try {
        assertEquals(raw.length, codec.decompress(flipped, raw.length).length);
      } catch (CorruptFrameException expected) {
        // fine
      }
    }
  }

  @Test
  void emptyChunkRoundTrips() throws Exception {
    byte[] frame = codec.compress(new byte[0]);
    assertEquals(0, codec.decompress(frame, 0).length);
    assertThrows(CorruptFrameException.class, () -> codec.decompress(frame, 1));
  }

  @Test
  void validatesLevel() {
    assertThrows(IllegalArgumentException.class, () -> new ZstdChunkCodec(23));
    try (ZstdChunkCodec fast = new ZstdChunkCodec(1); ZstdChunkCodec strong = new ZstdChunkCodec(19)) {
      byte[] raw = sample(new Random(3), 200_000);
      assertTrue(strong.compress(raw).length <= fast.compress(raw).length);
      assertEquals(1, fast.level());
    }
  }

  @Test
  void isSafeToShareBetweenThreads() throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(8);
    try (ZstdChunkCodec shared = new ZstdChunkCodec(3, 2)) {
      List<Future<?>> results = new ArrayList<>();
      for (int t = 0; t < 8; t++) {
        int seed = t;
        results.add(
            pool.submit(
                () -> {
                  Random random = new Random(seed);
                  for (int i = 0; i < 50; i++) {
                    byte[] raw = sample(random, random.nextInt(40_000));
                    assertArrayEquals(raw, shared.decompress(shared.compress(raw), raw.length));
                  }
                  return null;
                }));
      }
      for (Future<?> f : results) {
        f.get();
      }
    } finally {
      pool.shutdown();
    }
  }
}
