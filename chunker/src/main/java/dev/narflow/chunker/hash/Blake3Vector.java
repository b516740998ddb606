package dev.narflow.chunker.hash;

import static dev.narflow.chunker.hash.Blake3Scalar.BLOCK_LEN;
import static dev.narflow.chunker.hash.Blake3Scalar.CHUNK_END;
import static dev.narflow.chunker.hash.Blake3Scalar.CHUNK_LEN;
import static dev.narflow.chunker.hash.Blake3Scalar.CHUNK_START;
import static dev.narflow.chunker.hash.Blake3Scalar.IV0;
import static dev.narflow.chunker.hash.Blake3Scalar.IV1;
import static dev.narflow.chunker.hash.Blake3Scalar.IV2;
import static dev.narflow.chunker.hash.Blake3Scalar.IV3;
import static dev.narflow.chunker.hash.Blake3Scalar.IV4;
import static dev.narflow.chunker.hash.Blake3Scalar.IV5;
import static dev.narflow.chunker.hash.Blake3Scalar.IV6;
import static dev.narflow.chunker.hash.Blake3Scalar.IV7;
import static dev.narflow.chunker.hash.Blake3Scalar.PARENT;
import static jdk.incubator.vector.VectorOperators.ROR;
import static jdk.incubator.vector.VectorOperators.XOR;

import java.nio.ByteOrder;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * BLAKE3 on the Vector API: lane {@code i} of every vector belongs to chunk (or parent) {@code i},
 * so one pass of the compression function advances {@code lanes()} independent nodes.
 *
 * <p>Unlike the scalar kernel, the rounds are a loop reading the message words from a transposed
 * copy in memory at permuted offsets: fully unrolled, the method is so large that C2 takes
 * seconds to compile it (C1 gives up), and the hasher runs interpreted Vector API code meanwhile.
 * No vector crosses a method boundary, since that would box it.
 *
 * <p>Loaded only by name from {@link Blake3} after it checked that {@code jdk.incubator.vector} is
 * in the boot layer, so that nothing else in the package links against the incubator module.
 * Holds scratch buffers: one instance per hasher.
 */
final class Blake3Vector implements LaneKernel {
  private static final VectorSpecies<Integer> S = IntVector.SPECIES_PREFERRED;
  private static final int N = S.length();
  /** Gather map: lane i reads row i of a matrix with 16-word rows (a block or a parent's input). */
  private static final int[] ROWS = new int[N];
  /** Offset in {@link #message} of the word that slot k of round r uses, at [16 r + k]. */
  private static final int[] SCHEDULE = new int[7 * 16];

  static {
    for (int i = 0; i < N; i++) ROWS[i] = 16 * i;
    int[] permutation = {2, 6, 3, 10, 7, 0, 4, 13, 1, 11, 12, 5, 9, 14, 15, 8};
    int[] words = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15};
    for (int r = 0; r < 7; r++) {
      for (int k = 0; k < 16; k++) SCHEDULE[16 * r + k] = words[k] * N;
      int[] next = new int[16];
      for (int k = 0; k < 16; k++) next[k] = words[permutation[k]];
      words = next;
    }
  }

  /** Row i holds block b of chunk i, or the input of parent i, as little-endian words. */
  private final int[] rows = new int[N * 16];
  /** The same words transposed: {@code message[w * N + i]} is word w of lane i. */
  private final int[] message = new int[N * 16];
  /** Chaining values, word-major like {@link #message}. */
  private final int[] cv = new int[N * 8];
  private final int[] counterLo = new int[N];
  private final int[] counterHi = new int[N];

  @Override
  public int lanes() {
    return N;
  }

  @Override
  public LaneKernel fresh() {
    return new Blake3Vector();
  }

  @Override
  public void chunks(byte[] data, int off, long counter, int count, int[] out, int outOff) {
    // Lanes past count recompute the last chunk; their results are dropped.
    for (int i = 0; i < N; i++) {
      long c = counter + Math.min(i, count - 1);
      counterLo[i] = (int) c;
      counterHi[i] = (int) (c >>> 32);
    }
    initIv();
    for (int b = 0; b < 16; b++) {
      for (int i = 0; i < N; i++) {
        int src = off + Math.min(i, count - 1) * CHUNK_LEN + b * BLOCK_LEN;
        for (int k = 0; k < 16; k += N) {
          IntVector.fromByteArray(S, data, src + 4 * k, ByteOrder.LITTLE_ENDIAN)
              .intoArray(rows, 16 * i + k);
        }
      }
      transpose(rows, 0);
      compress(b == 0 ? CHUNK_START : b == 15 ? CHUNK_END : 0);
    }
    store(count, out, outOff);
  }

  @Override
  public void parents(int[] in, int inOff, int count, int[] out, int outOff) {
    if (count < N) {
      // Gather from a padded copy so that no lane reads past the caller's input.
      System.arraycopy(in, inOff, rows, 0, 16 * count);
      transpose(rows, 0);
    } else {
      transpose(in, inOff);
    }
    java.util.Arrays.fill(counterLo, 0);
    java.util.Arrays.fill(counterHi, 0);
    initIv();
    compress(PARENT);
    store(count, out, outOff);
  }

  private void transpose(int[] src, int srcOff) {
    int[] m = message;
    for (int w = 0; w < 16; w++) {
      IntVector.fromArray(S, src, srcOff + w, ROWS, 0).intoArray(m, w * N);
    }
  }

  private void initIv() {
    int[] h = cv;
    IntVector.broadcast(S, IV0).intoArray(h, 0);
    IntVector.broadcast(S, IV1).intoArray(h, N);
    IntVector.broadcast(S, IV2).intoArray(h, 2 * N);
    IntVector.broadcast(S, IV3).intoArray(h, 3 * N);
    IntVector.broadcast(S, IV4).intoArray(h, 4 * N);
    IntVector.broadcast(S, IV5).intoArray(h, 5 * N);
    IntVector.broadcast(S, IV6).intoArray(h, 6 * N);
    IntVector.broadcast(S, IV7).intoArray(h, 7 * N);
  }

  /** One full-length block per lane: {@link #cv} ← compress({@link #cv}, {@link #message}). */
  private void compress(int flags) {
    int[] h = cv;
    int[] m = message;
    IntVector v0 = IntVector.fromArray(S, h, 0);
    IntVector v1 = IntVector.fromArray(S, h, N);
    IntVector v2 = IntVector.fromArray(S, h, 2 * N);
    IntVector v3 = IntVector.fromArray(S, h, 3 * N);
    IntVector v4 = IntVector.fromArray(S, h, 4 * N);
    IntVector v5 = IntVector.fromArray(S, h, 5 * N);
    IntVector v6 = IntVector.fromArray(S, h, 6 * N);
    IntVector v7 = IntVector.fromArray(S, h, 7 * N);
    IntVector v8 = IntVector.broadcast(S, IV0);
    IntVector v9 = IntVector.broadcast(S, IV1);
    IntVector v10 = IntVector.broadcast(S, IV2);
    IntVector v11 = IntVector.broadcast(S, IV3);
    IntVector v12 = IntVector.fromArray(S, counterLo, 0);
    IntVector v13 = IntVector.fromArray(S, counterHi, 0);
    IntVector v14 = IntVector.broadcast(S, BLOCK_LEN);
    IntVector v15 = IntVector.broadcast(S, flags);
    for (int r = 0; r < 7 * 16; r += 16) {
      // Columns.
      v0 = v0.add(v4).add(IntVector.fromArray(S, m, SCHEDULE[r + 0]));
      v12 = v12.lanewise(XOR, v0).lanewise(ROR, 16);
      v8 = v8.add(v12);
      v4 = v4.lanewise(XOR, v8).lanewise(ROR, 12);
      v0 = v0.add(v4).add(IntVector.fromArray(S, m, SCHEDULE[r + 1]));
      v12 = v12.lanewise(XOR, v0).lanewise(ROR, 8);
      v8 = v8.add(v12);
      v4 = v4.lanewise(XOR, v8).lanewise(ROR, 7);
      v1 = v1.add(v5).add(IntVector.fromArray(S, m, SCHEDULE[r + 2]));
      v13 = v13.lanewise(XOR, v1).lanewise(ROR, 16);
      v9 = v9.add(v13);
      v5 = v5.lanewise(XOR, v9).lanewise(ROR, 12);
      v1 = v1.add(v5).add(IntVector.fromArray(S, m, SCHEDULE[r + 3]));
      v13 = v13.lanewise(XOR, v1).lanewise(ROR, 8);
      v9 = v9.add(v13);
      v5 = v5.lanewise(XOR, v9).lanewise(ROR, 7);
      v2 = v2.add(v6).add(IntVector.fromArray(S, m, SCHEDULE[r + 4]));
      v14 = v14.lanewise(XOR, v2).lanewise(ROR, 16);
      v10 = v10.add(v14);
      v6 = v6.lanewise(XOR, v10).lanewise(ROR, 12);
      v2 = v2.add(v6).add(IntVector.fromArray(S, m, SCHEDULE[r + 5]));
      v14 = v14.lanewise(XOR, v2).lanewise(ROR, 8);
      v10 = v10.add(v14);
      v6 = v6.lanewise(XOR, v10).lanewise(ROR, 7);
      v3 = v3.add(v7).add(IntVector.fromArray(S, m, SCHEDULE[r + 6]));
      v15 = v15.lanewise(XOR, v3).lanewise(ROR, 16);
      v11 = v11.add(v15);
      v7 = v7.lanewise(XOR, v11).lanewise(ROR, 12);
      v3 = v3.add(v7).add(IntVector.fromArray(S, m, SCHEDULE[r + 7]));
      v15 = v15.lanewise(XOR, v3).lanewise(ROR, 8);
      v11 = v11.add(v15);
      v7 = v7.lanewise(XOR, v11).lanewise(ROR, 7);
      // Diagonals.
      v0 = v0.add(v5).add(IntVector.fromArray(S, m, SCHEDULE[r + 8]));
      v15 = v15.lanewise(XOR, v0).lanewise(ROR, 16);
      v10 = v10.add(v15);
      v5 = v5.lanewise(XOR, v10).lanewise(ROR, 12);
      v0 = v0.add(v5).add(IntVector.fromArray(S, m, SCHEDULE[r + 9]));
      v15 = v15.lanewise(XOR, v0).lanewise(ROR, 8);
      v10 = v10.add(v15);
      v5 = v5.lanewise(XOR, v10).lanewise(ROR, 7);
      v1 = v1.add(v6).add(IntVector.fromArray(S, m, SCHEDULE[r + 10]));
      v12 = v12.lanewise(XOR, v1).lanewise(ROR, 16);
      v11 = v11.add(v12);
      v6 = v6.lanewise(XOR, v11).lanewise(ROR, 12);
      v1 = v1.add(v6).add(IntVector.fromArray(S, m, SCHEDULE[r + 11]));
      v12 = v12.lanewise(XOR, v1).lanewise(ROR, 8);
      v11 = v11.add(v12);
      v6 = v6.lanewise(XOR, v11).lanewise(ROR, 7);
      v2 = v2.add(v7).add(IntVector.fromArray(S, m, SCHEDULE[r + 12]));
      v13 = v13.lanewise(XOR, v2).lanewise(ROR, 16);
      v8 = v8.add(v13);
      v7 = v7.lanewise(XOR, v8).lanewise(ROR, 12);
      v2 = v2.add(v7).add(IntVector.fromArray(S, m, SCHEDULE[r + 13]));
      v13 = v13.lanewise(XOR, v2).lanewise(ROR, 8);
      v8 = v8.add(v13);
      v7 = v7.lanewise(XOR, v8).lanewise(ROR, 7);
      v3 = v3.add(v4).add(IntVector.fromArray(S, m, SCHEDULE[r + 14]));
      v14 = v14.lanewise(XOR, v3).lanewise(ROR, 16);
      v9 = v9.add(v14);
      v4 = v4.lanewise(XOR, v9).lanewise(ROR, 12);
      v3 = v3.add(v4).add(IntVector.fromArray(S, m, SCHEDULE[r + 15]));
      v14 = v14.lanewise(XOR, v3).lanewise(ROR, 8);
      v9 = v9.add(v14);
      v4 = v4.lanewise(XOR, v9).lanewise(ROR, 7);
    }
    v0.lanewise(XOR, v8).intoArray(h, 0);
    v1.lanewise(XOR, v9).intoArray(h, N);
    v2.lanewise(XOR, v10).intoArray(h, 2 * N);
    v3.lanewise(XOR, v11).intoArray(h, 3 * N);
    v4.lanewise(XOR, v12).intoArray(h, 4 * N);
    v5.lanewise(XOR, v13).intoArray(h, 5 * N);
    v6.lanewise(XOR, v14).intoArray(h, 6 * N);
    v7.lanewise(XOR, v15).intoArray(h, 7 * N);
  }

  /** Writes word k of lane i to {@code out[outOff + 8 * i + k]} for the first {@code count} lanes. */
  private void store(int count, int[] out, int outOff) {
    int[] h = cv;
    for (int i = 0; i < count; i++) {
      int o = outOff + 8 * i;
      for (int k = 0; k < 8; k++) out[o + k] = h[k * N + i];
    }
  }
}
