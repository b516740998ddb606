package dev.narflow.chunker.cdc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.narflow.chunker.hash.Blake3;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class FastCdcTest {
  @Test
  void gearTableIsTheFirstEightBytesOfMd5() {
    FastCdc cdc = FastCdc.withDefaults();
    assertEquals(0x3b5d3c7d207e37dcL, cdc.gear(0));
    assertEquals(0x784d68ba91123086L, cdc.gear(1));
    assertEquals(0xaabd2b2a451504e1L, cdc.gear(255));
  }

  @Test
  void seedIsXoredIntoTheGearTable() {
    FastCdc seeded = FastCdc.of(FastCdc.Params.DEFAULT.withSeed(666));
    assertEquals(0x3b5d3c7d207e37dcL ^ 666, seeded.gear(0));
    assertEquals(0xaabd2b2a451504e1L ^ 666, seeded.gear(255));
  }

  @Test
  void log2IsRoundedLikeTheReference() {
    int[][] cases = {
      {1, 0}, {2, 1}, {3, 2}, {5, 2}, {6, 3}, {11, 3}, {12, 4}, {19, 4}, {64, 6}, {128, 7}, {256, 8},
      {512, 9}, {1024, 10}, {16383, 14}, {16384, 14}, {16385, 14}, {32767, 15}, {32768, 15}, {32769, 15},
      {65535, 16}, {65536, 16}, {65537, 16}, {1_048_575, 20}, {1_048_576, 20}, {1_048_577, 20},
      {4_194_303, 22}, {4_194_304, 22}, {4_194_305, 22}, {16_777_215, 24}, {16_777_216, 24}, {16_777_217, 24},
      {181, 7}, {182, 8}, {Integer.MAX_VALUE, 31},
    };
    for (int[] c : cases) assertEquals(c[1], FastCdc.log2Rounded(c[0]), "log2(" + c[0] + ")");
    // And against floating point over the whole accepted average range (the reference's way).
    for (int v = FastCdc.AVERAGE_MIN; v <= FastCdc.AVERAGE_MAX; v += 97) {
      assertEquals(Math.round(Math.log(v) / Math.log(2)), FastCdc.log2Rounded(v), "log2(" + v + ")");
    }
  }

  @Test
  void masksFollowTheAverageAndLevel() {
    FastCdc small = FastCdc.of(FastCdc.Params.of(64, 256, 1024));
    assertEquals(FastCdc.MASKS[7], small.maskLarge());
    assertEquals(FastCdc.MASKS[9], small.maskSmall());
    FastCdc mid = FastCdc.of(FastCdc.Params.of(8192, 16384, 32768));
    assertEquals(FastCdc.MASKS[13], mid.maskLarge());
    assertEquals(FastCdc.MASKS[15], mid.maskSmall());
    FastCdc big = FastCdc.of(FastCdc.Params.of(1_048_576, 4_194_304, 16_777_216));
    assertEquals(FastCdc.MASKS[21], big.maskLarge());
    assertEquals(FastCdc.MASKS[23], big.maskSmall());
    FastCdc level3 = FastCdc.of(FastCdc.Params.of(64, 256, 1024).withNormalization(3));
    assertEquals(FastCdc.MASKS[5], level3.maskLarge());
    assertEquals(FastCdc.MASKS[11], level3.maskSmall());
    FastCdc level0 = FastCdc.of(FastCdc.Params.of(64, 256, 1024).withNormalization(0));
    assertEquals(FastCdc.MASKS[8], level0.maskLarge());
    assertEquals(FastCdc.MASKS[8], level0.maskSmall());
    assertEquals(0xdb3777577000L, FastCdc.of(FastCdc.Params.of(1 << 20, 4 << 20, 16 << 20).withNormalization(3)).maskSmall());
  }

  @Test
  void defaultsAreSnixs() {
    FastCdc.Params p = FastCdc.Params.DEFAULT;
    assertEquals(128 * 1024, p.minSize());
    assertEquals(256 * 1024, p.avgSize());
    assertEquals(512 * 1024, p.maxSize());
    assertEquals(1, p.normalization());
    assertEquals(0, p.seed());
    assertEquals(p, FastCdc.withDefaults().params());
  }

  @Test
  void badParamsAreRejectedByName() {
    assertBad("minSize must be in 64..1048576, got 63", () -> FastCdc.Params.of(63, 256, 1024));
    assertBad("minSize must be in 64..1048576, got 1048577", () -> FastCdc.Params.of(1_048_577, 4 << 20, 16 << 20));
    assertBad("avgSize must be in 256..4194304, got 255", () -> FastCdc.Params.of(64, 255, 1024));
    assertBad("avgSize must be in 256..4194304, got 4194305", () -> FastCdc.Params.of(64, 4_194_305, 16 << 20));
    assertBad("maxSize must be in 1024..16777216, got 1023", () -> FastCdc.Params.of(64, 256, 1023));
    assertBad("maxSize must be in 1024..16777216, got 16777217", () -> FastCdc.Params.of(64, 256, 16_777_217));
    assertBad("minSize <= avgSize <= maxSize, got 4096 / 2048 / 8192", () -> FastCdc.Params.of(4096, 2048, 8192));
    assertBad("minSize <= avgSize <= maxSize, got 64 / 4096 / 2048", () -> FastCdc.Params.of(64, 4096, 2048));
    assertBad("normalization level must be 0..3, got 4", () -> FastCdc.Params.DEFAULT.withNormalization(4));
    assertBad("normalization level must be 0..3, got -1", () -> FastCdc.Params.DEFAULT.withNormalization(-1));
    assertBad("avgSize must be in 256..4194304, got 2147483647", () -> FastCdc.Params.ofAverage(Integer.MAX_VALUE));
  }

  private static void assertBad(String message, Runnable construct) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, construct::run);
    assertTrue(e.getMessage().contains(message), e.getMessage());
  }

  static List<Vectors.Case> sekienCases() {
    return Vectors.sekienCases();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("sekienCases")
  void cutsSekienAkashitaLikeTheReference(Vectors.Case c) {
    byte[] data = Vectors.sekien();
    assertEquals(c.expected(), Vectors.cutAll(FastCdc.of(c.params()), data));
  }

  @Test
  void blake3OfEachChunkOfTheFirstSet() {
    byte[] data = Vectors.sekien();
    FastCdc cdc = FastCdc.of(FastCdc.Params.of(4096, 16384, 65535));
    List<String> digests = new ArrayList<>();
    int position = 0;
    for (FastCdc.Cut cut : Vectors.cutAll(cdc, data)) {
      digests.add(Blake3.hash(data, position, cut.length()).hex());
      position += cut.length();
    }
    assertEquals(List.of(
        "261930e84e14c240210ae8c459acc4bb85dd52f1b91c868f2106dbc1ceb3acca",
        "a01747cf21202f0068b8897d2be92aa4479b7ac7207b3baa5057b8ec75fa1c10",
        "01e5305fb8f54d214ed2946843ea360fb9bb3f5df66ef3e34fb024d32ebcaee1",
        "fc28c67b6ef846a841452a215bf704058f65cba5c1d78160398d3c2e046642f9",
        "f6996300fce24d3da56c81ea52e5f4f461ce6adb4496f65252996e1082471aac"), digests);
  }

  @Test
  void allZerosAreCutAtMaxSize() {
    byte[] zeros = new byte[10240];
    FastCdc cdc = FastCdc.of(FastCdc.Params.of(64, 256, 1024));
    List<FastCdc.Cut> cuts = Vectors.cutAll(cdc, zeros);
    assertEquals(10, cuts.size());
    for (FastCdc.Cut cut : cuts) assertEquals(new FastCdc.Cut(1024, Long.parseUnsignedLong("14169102344523991076")), cut);
    assertEquals(new FastCdc.Cut(0, 0), cdc.cut(zeros, 10240, 0));
  }

  @Test
  void regionsNoLongerThanMinSizeAreOneChunkWithHashZero() {
    FastCdc cdc = FastCdc.of(FastCdc.Params.of(4096, 16384, 65535));
    byte[] data = Vectors.sekien();
    assertEquals(new FastCdc.Cut(4096, 0), cdc.cut(data, 100, 4096));
    assertEquals(new FastCdc.Cut(1, 0), cdc.cut(data, 5, 1));
    assertEquals(new FastCdc.Cut(0, 0), cdc.cut(new byte[0]));
  }

  @Test
  void cutIsTheSameAtAnyOffset() {
    byte[] data = Vectors.sekien();
    FastCdc cdc = FastCdc.of(FastCdc.Params.of(4096, 16384, 65535));
    byte[] shifted = new byte[data.length + 7];
    System.arraycopy(data, 0, shifted, 7, data.length);
    assertEquals(cdc.cut(data), cdc.cut(shifted, 7, data.length));
    assertEquals(new FastCdc.Cut(21325, Long.parseUnsignedLong("17968276318003433923")), cdc.cut(shifted, 7, data.length));
  }

  @Test
  void cutChecksItsBounds() {
    FastCdc cdc = FastCdc.withDefaults();
    assertThrows(IndexOutOfBoundsException.class, () -> cdc.cut(new byte[10], 5, 6));
    assertThrows(IndexOutOfBoundsException.class, () -> cdc.cut(new byte[10], -1, 2));
  }
}
