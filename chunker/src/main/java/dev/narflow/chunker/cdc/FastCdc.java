package dev.narflow.chunker.cdc;

import java.io.InputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.Objects;

/**
 * FastCDC 2020 content-defined chunking, cut for cut identical to the reference crate fastcdc-rs
 * ({@code v2020}), so our chunk boundaries equal those of snix and every other user of that crate.
 *
 * <p>The algorithm rolls a Gear hash ({@code h = (h << 1) + GEAR[byte]}, two bytes per step) from
 * {@code minSize} on and cuts where the hash has zero bits under a mask: a stricter mask (more bits)
 * before {@code avgSize}, a looser one after it ("normalized chunking"), and unconditionally at
 * {@code maxSize}. A chunk depends only on its own bytes (plus at most one byte after it), which is
 * what makes identical content chunk identically wherever it appears.
 *
 * <p>Instances are immutable and thread-safe; build one per {@link Params} and reuse it.
 */
public final class FastCdc {
  /** Smallest accepted {@link Params#minSize()} (the reference's {@code MINIMUM_MIN}). */
  public static final int MINIMUM_MIN = 64;
  /** Largest accepted {@link Params#minSize()} ({@code MINIMUM_MAX}). */
  public static final int MINIMUM_MAX = 1 << 20;
  /** Smallest accepted {@link Params#avgSize()} ({@code AVERAGE_MIN}). */
  public static final int AVERAGE_MIN = 256;
  /** Largest accepted {@link Params#avgSize()} ({@code AVERAGE_MAX}). */
  public static final int AVERAGE_MAX = 4 << 20;
  /** Smallest accepted {@link Params#maxSize()} ({@code MAXIMUM_MIN}). */
  public static final int MAXIMUM_MIN = 1024;
  /** Largest accepted {@link Params#maxSize()} ({@code MAXIMUM_MAX}). */
  public static final int MAXIMUM_MAX = 16 << 20;

  /**
   * Cut masks by number of bits: index {@code b} is the mask for an expected chunk size of
   * {@code 2^b}; its one bits are spread out, which the FastCDC paper found to dedup slightly
   * better. Indices 0..4 are unused padding, 5 and 25 only serve normalization level 3.
   */
  static final long[] MASKS = {
    0, 0, 0, 0, 0,
    0x1804110L, 0x1803110L, 0x18035100L, 0x1800035300L,
    0x19000353000L, 0x590003530000L, 0xd90003530000L, 0xd90103530000L, 0xd90303530000L,
    0xd90313530000L, 0xd90f03530000L, 0xd90303537000L, 0xd90703537000L, 0xd90707537000L,
    0xd91707537000L, 0xd91747537000L, 0xd91767537000L, 0xd93767537000L, 0xd93777537000L,
    0xd93777577000L, 0xdb3777577000L,
  };

  /** The unseeded Gear table: entry {@code i} is the first 8 bytes (big-endian) of MD5(64 × i). */
  private static final long[] GEAR = gearTable();

  private final Params params;
  private final long[] gear;
  /** {@code gear[i] << 1}: lets the first byte of each two-byte step skip one shift. */
  private final long[] gearShifted;
  /** Mask before {@code avgSize} (more bits, so cuts are rarer there). */
  private final long maskSmall;
  /** Mask after {@code avgSize} (fewer bits, so a cut comes soon). */
  private final long maskLarge;
  private final long maskSmallShifted;
  private final long maskLargeShifted;

  private FastCdc(Params params) {
    this.params = params;
    int bits = log2Rounded(params.avgSize());
    this.maskSmall = MASKS[bits + params.normalization()];
    this.maskLarge = MASKS[bits - params.normalization()];
    this.maskSmallShifted = maskSmall << 1;
    this.maskLargeShifted = maskLarge << 1;
    this.gear = new long[256];
    this.gearShifted = new long[256];
    for (int i = 0; i < 256; i++) {
      // The reference XORs the seed in (and seed << 1 into the shifted table), which is the same
      // as shifting the seeded entry; a zero seed leaves the table unchanged.
      gear[i] = GEAR[i] ^ params.seed();
      gearShifted[i] = gear[i] << 1;
    }
  }

  public static FastCdc of(Params params) {
    return new FastCdc(Objects.requireNonNull(params, "params"));
  }

  /** FastCDC with {@link Params#DEFAULT} (snix's settings). */
  public static FastCdc withDefaults() {
    return of(Params.DEFAULT);
  }

  public Params params() {
    return params;
  }

  /**
   * The first chunk of {@code data[offset, offset + length)}: its length and the Gear hash at the
   * cut. Calling it again on the rest of the region gives the next chunk, and so on; the chunks
   * are those of the reference's {@code cut()}/iterator. The whole region is one chunk when it is
   * no longer than {@code minSize} (its hash is then 0, as in the reference), and never more than
   * {@code maxSize} bytes are taken. A region of length 0 gives a cut of length 0.
   *
   * <p>For a chunk to be the one the whole input would give, the region must extend to the end of
   * the input or be at least {@code maxSize} long; {@link StreamChunker} takes care of that.
   */
  public Cut cut(byte[] data, int offset, int length) {
    Objects.checkFromIndexSize(offset, length, data.length);
    long[] hash = new long[1];
    int cutLength = findCut(data, offset, length, hash);
    return new Cut(cutLength, hash[0]);
  }

  /** {@link #cut(byte[], int, int)} over a whole array. */
  public Cut cut(byte[] data) {
    return cut(data, 0, data.length);
  }

  /** A streaming chunker over {@code in}, with a read buffer of {@code maxSize} bytes. */
  public StreamChunker chunker(InputStream in) {
    return new StreamChunker(this, in);
  }

  /**
   * The cut kernel: returns the chunk length and stores the hash in {@code hashOut[0]} (two results
   * without an allocation, for the streaming chunker's hot path). Bounds must be checked already.
   */
  int findCut(byte[] data, int offset, int length, long[] hashOut) {
    int minSize = params.minSize();
    if (length <= minSize) {
      hashOut[0] = 0;
      return length;
    }
    int remaining = Math.min(length, params.maxSize());
    int center = Math.min(remaining, params.avgSize());
    // Positions advance two bytes a step from an even distance to the start, exactly as the
    // reference's index * 2; an odd end leaves its last byte unscanned (then the cut is forced).
    int a = offset + (minSize & ~1);
    int centerEnd = offset + (center & ~1);
    int end = offset + (remaining & ~1);
    long[] gear = this.gear;
    long[] gearShifted = this.gearShifted;
    long h = 0;
    long mask = maskSmall;
    long maskShifted = maskSmallShifted;
    for (; a < centerEnd; a += 2) {
      h = (h << 2) + gearShifted[data[a] & 0xff];
      // The chunk ends *before* the byte whose hash met the mask (the reference's quirk, which
      // is part of the format), so it depends on one byte past its end.
      if ((h & maskShifted) == 0) return found(hashOut, h, a - offset);
      h += gear[data[a + 1] & 0xff];
      if ((h & mask) == 0) return found(hashOut, h, a + 1 - offset);
    }
    mask = maskLarge;
    maskShifted = maskLargeShifted;
    for (; a < end; a += 2) {
      h = (h << 2) + gearShifted[data[a] & 0xff];
      if ((h & maskShifted) == 0) return found(hashOut, h, a - offset);
      h += gear[data[a + 1] & 0xff];
      if ((h & mask) == 0) return found(hashOut, h, a + 1 - offset);
    }
    // No cut point before maxSize (or the end): a forced cut, common for runs like all zeros.
    hashOut[0] = h;
    return remaining;
  }

  private static int found(long[] hashOut, long hash, int length) {
    hashOut[0] = hash;
    return length;
  }

  /** The mask used before {@code avgSize}. */
  long maskSmall() {
    return maskSmall;
  }

  /** The mask used after {@code avgSize}. */
  long maskLarge() {
    return maskLarge;
  }

  /** Entry {@code i} of the (seeded) Gear table. */
  long gear(int i) {
    return gear[i];
  }

  /** {@code round(log2(value))} for value ≥ 1, computed exactly (the reference rounds an f64). */
  static int log2Rounded(int value) {
    if (value < 1) throw new IllegalArgumentException("log2 of " + value);
    int floor = 31 - Integer.numberOfLeadingZeros(value);
    // Round up when value > 2^(floor + 1/2), i.e. value² > 2^(2·floor + 1); never equal for integers.
    long square = (long) value * value;
    return square > (1L << (2 * floor + 1)) ? floor + 1 : floor;
  }

  private static long[] gearTable() {
    MessageDigest md5;
    try {
      md5 = MessageDigest.getInstance("MD5");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("the JDK must provide MD5", e);
    }
    long[] table = new long[256];
    byte[] block = new byte[64];
    for (int i = 0; i < 256; i++) {
      Arrays.fill(block, (byte) i);
      byte[] digest = md5.digest(block);
      long v = 0;
      for (int j = 0; j < 8; j++) v = (v << 8) | (digest[j] & 0xff);
      table[i] = v;
    }
    return table;
  }

  /**
   * Where a chunk ends: {@code length} bytes from the start of the region, and {@code hash}, the
   * Gear hash at the cut (0 for a region no longer than {@code minSize}). The hash has little
   * entropy; the reference reports it and so do we, for conformance checks and size prediction.
   */
  public record Cut(int length, long hash) {
    @Override
    public String toString() {
      return "Cut(length=" + length + ", hash=" + Long.toUnsignedString(hash) + ")";
    }
  }

  /**
   * Chunking parameters.
   *
   * @param minSize no chunk but the last is shorter; the hash is not even looked at before it
   *     (64 B .. 1 MiB). Scanning starts at {@code minSize} rounded down to even, so with an odd
   *     value chunks can be one byte shorter, as in the reference.
   * @param avgSize the expected chunk size; picks the cut masks (256 B .. 4 MiB)
   * @param maxSize no chunk is longer; a cut is forced there (1 KiB .. 16 MiB)
   * @param normalization 0..3: how strongly chunk sizes are pulled towards {@code avgSize}; level
   *     {@code L} uses the mask of {@code avgSize·2^L} before the average and of {@code avgSize/2^L}
   *     after it. Level 1 is the reference's default and snix's.
   * @param seed XORed into the Gear table so that chunk boundaries cannot be predicted without it;
   *     0 (no seed) is the reference's default and snix's
   */
  public record Params(int minSize, int avgSize, int maxSize, int normalization, long seed) {
    /** snix's defaults: 128 KiB / 256 KiB / 512 KiB, normalization level 1, no seed. */
    public static final Params DEFAULT = ofAverage(256 * 1024);

    public Params {
      checkRange("minSize", minSize, MINIMUM_MIN, MINIMUM_MAX);
      checkRange("avgSize", avgSize, AVERAGE_MIN, AVERAGE_MAX);
      checkRange("maxSize", maxSize, MAXIMUM_MIN, MAXIMUM_MAX);
      // Stricter than the reference, which accepts any order; an unordered triple is a mistake.
      if (minSize > avgSize || avgSize > maxSize) {
        throw new IllegalArgumentException("FastCDC sizes must satisfy minSize <= avgSize <= maxSize, got "
            + minSize + " / " + avgSize + " / " + maxSize);
      }
      if (normalization < 0 || normalization > 3) {
        throw new IllegalArgumentException("FastCDC normalization level must be 0..3, got " + normalization);
      }
    }

    /** {@code avgSize} with min {@code avgSize/2}, max {@code avgSize×2}, level 1, no seed. */
    public static Params ofAverage(int avgSize) {
      checkRange("avgSize", avgSize, AVERAGE_MIN, AVERAGE_MAX); // before doubling it
      return new Params(avgSize / 2, avgSize, avgSize * 2, 1, 0);
    }

    /** The given sizes with normalization level 1 and no seed (the reference's {@code new}). */
    public static Params of(int minSize, int avgSize, int maxSize) {
      return new Params(minSize, avgSize, maxSize, 1, 0);
    }

    public Params withNormalization(int level) {
      return new Params(minSize, avgSize, maxSize, level, seed);
    }

    public Params withSeed(long seed) {
      return new Params(minSize, avgSize, maxSize, normalization, seed);
    }

    private static void checkRange(String name, int value, int min, int max) {
      if (value < min || value > max) {
        throw new IllegalArgumentException(
            "FastCDC " + name + " must be in " + min + ".." + max + ", got " + value);
      }
    }
  }
}
