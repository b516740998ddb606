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
 * <p>Loaded only by name from {@link Blake3} after it checked that {@code jdk.incubator.vector} is
 * in the boot layer, so that nothing else in the package links against the incubator module.
 * Holds scratch buffers: one instance per hasher.
 */
final class Blake3Vector implements LaneKernel {
  private static final VectorSpecies<Integer> S = IntVector.SPECIES_PREFERRED;
  private static final int N = S.length();
  /** Gather map: lane i reads row i of a matrix with 16-word rows (a block or a parent's input). */
  private static final int[] ROWS = new int[N];

  static {
    for (int i = 0; i < N; i++) ROWS[i] = 16 * i;
  }

  /** Row i holds block b of chunk i, or the input of parent i, as little-endian words. */
  private final int[] rows = new int[N * 16];
  /** Output words, word-major: {@code words[k * N + i]} is word k of lane i. */
  private final int[] words = new int[N * 8];
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
    IntVector lo = IntVector.fromArray(S, counterLo, 0);
    IntVector hi = IntVector.fromArray(S, counterHi, 0);
    IntVector blockLen = IntVector.broadcast(S, BLOCK_LEN);
    IntVector h0 = IntVector.broadcast(S, IV0);
    IntVector h1 = IntVector.broadcast(S, IV1);
    IntVector h2 = IntVector.broadcast(S, IV2);
    IntVector h3 = IntVector.broadcast(S, IV3);
    IntVector h4 = IntVector.broadcast(S, IV4);
    IntVector h5 = IntVector.broadcast(S, IV5);
    IntVector h6 = IntVector.broadcast(S, IV6);
    IntVector h7 = IntVector.broadcast(S, IV7);
    int[] rows = this.rows;
    for (int b = 0; b < 16; b++) {
      for (int i = 0; i < N; i++) {
        int src = off + Math.min(i, count - 1) * CHUNK_LEN + b * BLOCK_LEN;
        for (int k = 0; k < 16; k += N) {
          IntVector.fromByteArray(S, data, src + 4 * k, ByteOrder.LITTLE_ENDIAN)
              .intoArray(rows, 16 * i + k);
        }
      }
      IntVector m0 = IntVector.fromArray(S, rows, 0, ROWS, 0);
      IntVector m1 = IntVector.fromArray(S, rows, 1, ROWS, 0);
      IntVector m2 = IntVector.fromArray(S, rows, 2, ROWS, 0);
      IntVector m3 = IntVector.fromArray(S, rows, 3, ROWS, 0);
      IntVector m4 = IntVector.fromArray(S, rows, 4, ROWS, 0);
      IntVector m5 = IntVector.fromArray(S, rows, 5, ROWS, 0);
      IntVector m6 = IntVector.fromArray(S, rows, 6, ROWS, 0);
      IntVector m7 = IntVector.fromArray(S, rows, 7, ROWS, 0);
      IntVector m8 = IntVector.fromArray(S, rows, 8, ROWS, 0);
      IntVector m9 = IntVector.fromArray(S, rows, 9, ROWS, 0);
      IntVector m10 = IntVector.fromArray(S, rows, 10, ROWS, 0);
      IntVector m11 = IntVector.fromArray(S, rows, 11, ROWS, 0);
      IntVector m12 = IntVector.fromArray(S, rows, 12, ROWS, 0);
      IntVector m13 = IntVector.fromArray(S, rows, 13, ROWS, 0);
      IntVector m14 = IntVector.fromArray(S, rows, 14, ROWS, 0);
      IntVector m15 = IntVector.fromArray(S, rows, 15, ROWS, 0);
      int flags = b == 0 ? CHUNK_START : b == 15 ? CHUNK_END : 0;
      IntVector v0 = h0, v1 = h1, v2 = h2, v3 = h3, v4 = h4, v5 = h5, v6 = h6, v7 = h7;
      IntVector v8 = IntVector.broadcast(S, IV0);
      IntVector v9 = IntVector.broadcast(S, IV1);
      IntVector v10 = IntVector.broadcast(S, IV2);
      IntVector v11 = IntVector.broadcast(S, IV3);
      IntVector v12 = lo, v13 = hi, v14 = blockLen;
      IntVector v15 = IntVector.broadcast(S, flags);
      // round 1: message words 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15
      v0 = v0.add(v4).add(m0); v12 = v12.lanewise(XOR, v0).lanewise(ROR, 16);
      v8 = v8.add(v12); v4 = v4.lanewise(XOR, v8).lanewise(ROR, 12);
      v0 = v0.add(v4).add(m1); v12 = v12.lanewise(XOR, v0).lanewise(ROR, 8);
      v8 = v8.add(v12); v4 = v4.lanewise(XOR, v8).lanewise(ROR, 7);
      v1 = v1.add(v5).add(m2); v13 = v13.lanewise(XOR, v1).lanewise(ROR, 16);
      v9 = v9.add(v13); v5 = v5.lanewise(XOR, v9).lanewise(ROR, 12);
      v1 = v1.add(v5).add(m3); v13 = v13.lanewise(XOR, v1).lanewise(ROR, 8);
      v9 = v9.add(v13); v5 = v5.lanewise(XOR, v9).lanewise(ROR, 7);
      v2 = v2.add(v6).add(m4); v14 = v14.lanewise(XOR, v2).lanewise(ROR, 16);
      v10 = v10.add(v14); v6 = v6.lanewise(XOR, v10).lanewise(ROR, 12);
      v2 = v2.add(v6).add(m5); v14 = v14.lanewise(XOR, v2).lanewise(ROR, 8);
      v10 = v10.add(v14); v6 = v6.lanewise(XOR, v10).lanewise(ROR, 7);
      v3 = v3.add(v7).add(m6); v15 = v15.lanewise(XOR, v3).lanewise(ROR, 16);
      v11 = v11.add(v15); v7 = v7.lanewise(XOR, v11).lanewise(ROR, 12);
      v3 = v3.add(v7).add(m7); v15 = v15.lanewise(XOR, v3).lanewise(ROR, 8);
      v11 = v11.add(v15); v7 = v7.lanewise(XOR, v11).lanewise(ROR, 7);
      v0 = v0.add(v5).add(m8); v15 = v15.lanewise(XOR, v0).lanewise(ROR, 16);
      v10 = v10.add(v15); v5 = v5.lanewise(XOR, v10).lanewise(ROR, 12);
      v0 = v0.add(v5).add(m9); v15 = v15.lanewise(XOR, v0).lanewise(ROR, 8);
      v10 = v10.add(v15); v5 = v5.lanewise(XOR, v10).lanewise(ROR, 7);
      v1 = v1.add(v6).add(m10); v12 = v12.lanewise(XOR, v1).lanewise(ROR, 16);
      v11 = v11.add(v12); v6 = v6.lanewise(XOR, v11).lanewise(ROR, 12);
      v1 = v1.add(v6).add(m11); v12 = v12.lanewise(XOR, v1).lanewise(ROR, 8);
      v11 = v11.add(v12); v6 = v6.lanewise(XOR, v11).lanewise(ROR, 7);
      v2 = v2.add(v7).add(m12); v13 = v13.lanewise(XOR, v2).lanewise(ROR, 16);
      v8 = v8.add(v13); v7 = v7.lanewise(XOR, v8).lanewise(ROR, 12);
      v2 = v2.add(v7).add(m13); v13 = v13.lanewise(XOR, v2).lanewise(ROR, 8);
      v8 = v8.add(v13); v7 = v7.lanewise(XOR, v8).lanewise(ROR, 7);
      v3 = v3.add(v4).add(m14); v14 = v14.lanewise(XOR, v3).lanewise(ROR, 16);
      v9 = v9.add(v14); v4 = v4.lanewise(XOR, v9).lanewise(ROR, 12);
      v3 = v3.add(v4).add(m15); v14 = v14.lanewise(XOR, v3).lanewise(ROR, 8);
      v9 = v9.add(v14); v4 = v4.lanewise(XOR, v9).lanewise(ROR, 7);
      // round 2: message words 2, 6, 3, 10, 7, 0, 4, 13, 1, 11, 12, 5, 9, 14, 15, 8
      v0 = v0.add(v4).add(m2); v12 = v12.lanewise(XOR, v0).lanewise(ROR, 16);
      v8 = v8.add(v12); v4 = v4.lanewise(XOR, v8).lanewise(ROR, 12);
      v0 = v0.add(v4).add(m6); v12 = v12.lanewise(XOR, v0).lanewise(ROR, 8);
      v8 = v8.add(v12); v4 = v4.lanewise(XOR, v8).lanewise(ROR, 7);
      v1 = v1.add(v5).add(m3); v13 = v13.lanewise(XOR, v1).lanewise(ROR, 16);
      v9 = v9.add(v13); v5 = v5.lanewise(XOR, v9).lanewise(ROR, 12);
      v1 = v1.add(v5).add(m10); v13 = v13.lanewise(XOR, v1).lanewise(ROR, 8);
      v9 = v9.add(v13); v5 = v5.lanewise(XOR, v9).lanewise(ROR, 7);
      v2 = v2.add(v6).add(m7); v14 = v14.lanewise(XOR, v2).lanewise(ROR, 16);
      v10 = v10.add(v14); v6 = v6.lanewise(XOR, v10).lanewise(ROR, 12);
      v2 = v2.add(v6).add(m0); v14 = v14.lanewise(XOR, v2).lanewise(ROR, 8);
      v10 = v10.add(v14); v6 = v6.lanewise(XOR, v10).lanewise(ROR, 7);
      v3 = v3.add(v7).add(m4); v15 = v15.lanewise(XOR, v3).lanewise(ROR, 16);
      v11 = v11.add(v15); v7 = v7.lanewise(XOR, v11).lanewise(ROR, 12);
      v3 = v3.add(v7).add(m13); v15 = v15.lanewise(XOR, v3).lanewise(ROR, 8);
      v11 = v11.add(v15); v7 = v7.lanewise(XOR, v11).lanewise(ROR, 7);
      v0 = v0.add(v5).add(m1); v15 = v15.lanewise(XOR, v0).lanewise(ROR, 16);
      v10 = v10.add(v15); v5 = v5.lanewise(XOR, v10).lanewise(ROR, 12);
      v0 = v0.add(v5).add(m11); v15 = v15.lanewise(XOR, v0).lanewise(ROR, 8);
      v10 = v10.add(v15); v5 = v5.lanewise(XOR, v10).lanewise(ROR, 7);
      v1 = v1.add(v6).add(m12); v12 = v12.lanewise(XOR, v1).lanewise(ROR, 16);
      v11 = v11.add(v12); v6 = v6.lanewise(XOR, v11).lanewise(ROR, 12);
      v1 = v1.add(v6).add(m5); v12 = v12.lanewise(XOR, v1).lanewise(ROR, 8);
      v11 = v11.add(v12); v6 = v6.lanewise(XOR, v11).lanewise(ROR, 7);
      v2 = v2.add(v7).add(m9); v13 = v13.lanewise(XOR, v2).lanewise(ROR, 16);
      v8 = v8.add(v13); v7 = v7.lanewise(XOR, v8).lanewise(ROR, 12);
      v2 = v2.add(v7).add(m14); v13 = v13.lanewise(XOR, v2).lanewise(ROR, 8);
      v8 = v8.add(v13); v7 = v7.lanewise(XOR, v8).lanewise(ROR, 7);
      v3 = v3.add(v4).add(m15); v14 = v14.lanewise(XOR, v3).lanewise(ROR, 16);
      v9 = v9.add(v14); v4 = v4.lanewise(XOR, v9).lanewise(ROR, 12);
      v3 = v3.add(v4).add(m8); v14 = v14.lanewise(XOR, v3).lanewise(ROR, 8);
      v9 = v9.add(v14); v4 = v4.lanewise(XOR, v9).lanewise(ROR, 7);
      // round 3: message words 3, 4, 10, 12, 13, 2, 7, 14, 6, 5, 9, 0, 11, 15, 8, 1
      v0 = v0.add(v4).add(m3); v12 = v12.lanewise(XOR, v0).lanewise(ROR, 16);
      v8 = v8.add(v12); v4 = v4.lanewise(XOR, v8).lanewise(ROR, 12);
      v0 = v0.add(v4).add(m4); v12 = v12.lanewise(XOR, v0).lanewise(ROR, 8);
      v8 = v8.add(v12); v4 = v4.lanewise(XOR, v8).lanewise(ROR, 7);
      v1 = v1.add(v5).add(m10); v13 = v13.lanewise(XOR, v1).lanewise(ROR, 16);
      v9 = v9.add(v13); v5 = v5.lanewise(XOR, v9).lanewise(ROR, 12);
      v1 = v1.add(v5).add(m12); v13 = v13.lanewise(XOR, v1).lanewise(ROR, 8);
      v9 = v9.add(v13); v5 = v5.lanewise(XOR, v9).lanewise(ROR, 7);
      v2 = v2.add(v6).add(m13); v14 = v14.lanewise(XOR, v2).lanewise(ROR, 16);
      v10 = v10.add(v14); v6 = v6.lanewise(XOR, v10).lanewise(ROR, 12);
      v2 = v2.add(v6).add(m2); v14 = v14.lanewise(XOR, v2).lanewise(ROR, 8);
      v10 = v10.add(v14); v6 = v6.lanewise(XOR, v10).lanewise(ROR, 7);
      v3 = v3.add(v7).add(m7); v15 = v15.lanewise(XOR, v3).lanewise(ROR, 16);
      v11 = v11.add(v15); v7 = v7.lanewise(XOR, v11).lanewise(ROR, 12);
      v3 = v3.add(v7).add(m14); v15 = v15.lanewise(XOR, v3).lanewise(ROR, 8);
      v11 = v11.add(v15); v7 = v7.lanewise(XOR, v11).lanewise(ROR, 7);
      v0 = v0.add(v5).add(m6); v15 = v15.lanewise(XOR, v0).lanewise(ROR, 16);
      v10 = v10.add(v15); v5 = v5.lanewise(XOR, v10).lanewise(ROR, 12);
      v0 = v0.add(v5).add(m5); v15 = v15.lanewise(XOR, v0).lanewise(ROR, 8);
      v10 = v10.add(v15); v5 = v5.lanewise(XOR, v10).lanewise(ROR, 7);
      v1 = v1.add(v6).add(m9); v12 = v12.lanewise(XOR, v1).lanewise(ROR, 16);
      v11 = v11.add(v12); v6 = v6.lanewise(XOR, v11).lanewise(ROR, 12);
      v1 = v1.add(v6).add(m0); v12 = v12.lanewise(XOR, v1).lanewise(ROR, 8);
      v11 = v11.add(v12); v6 = v6.lanewise(XOR, v11).lanewise(ROR, 7);
      v2 = v2.add(v7).add(m11); v13 = v13.lanewise(XOR, v2).lanewise(ROR, 16);
      v8 = v8.add(v13); v7 = v7.lanewise(XOR, v8).lanewise(ROR, 12);
      v2 = v2.add(v7).add(m15); v13 = v13.lanewise(XOR, v2).lanewise(ROR, 8);
      v8 = v8.add(v13); v7 = v7.lanewise(XOR, v8).lanewise(ROR, 7);
      v3 = v3.add(v4).add(m8); v14 = v14.lanewise(XOR, v3).lanewise(ROR, 16);
      v9 = v9.add(v14); v4 = v4.lanewise(XOR, v9).lanewise(ROR, 12);
      v3 = v3.add(v4).add(m1); v14 = v14.lanewise(XOR, v3).lanewise(ROR, 8);
      v9 = v9.add(v14); v4 = v4.lanewise(XOR, v9).lanewise(ROR, 7);
      // round 4: message words 10, 7, 12, 9, 14, 3, 13, 15, 4, 0, 11, 2, 5, 8, 1, 6
      v0 = v0.add(v4).add(m10); v12 = v12.lanewise(XOR, v0).lanewise(ROR, 16);
      v8 = v8.add(v12); v4 = v4.lanewise(XOR, v8).lanewise(ROR, 12);
      v0 = v0.add(v4).add(m7); v12 = v12.lanewise(XOR, v0).lanewise(ROR, 8);
      v8 = v8.add(v12); v4 = v4.lanewise(XOR, v8).lanewise(ROR, 7);
      v1 = v1.add(v5).add(m12); v13 = v13.lanewise(XOR, v1).lanewise(ROR, 16);
      v9 = v9.add(v13); v5 = v5.lanewise(XOR, v9).lanewise(ROR, 12);
      v1 = v1.add(v5).add(m9); v13 = v13.lanewise(XOR, v1).lanewise(ROR, 8);
      v9 = v9.add(v13); v5 = v5.lanewise(XOR, v9).lanewise(ROR, 7);
      v2 = v2.add(v6).add(m14); v14 = v14.lanewise(XOR, v2).lanewise(ROR, 16);
      v10 = v10.add(v14); v6 = v6.lanewise(XOR, v10).lanewise(ROR, 12);
      v2 = v2.add(v6).add(m3); v14 = v14.lanewise(XOR, v2).lanewise(ROR, 8);
      v10 = v10.add(v14); v6 = v6.lanewise(XOR, v10).lanewise(ROR, 7);
      v3 = v3.add(v7).add(m13); v15 = v15.lanewise(XOR, v3).lanewise(ROR, 16);
      v11 = v11.add(v15); v7 = v7.lanewise(XOR, v11).lanewise(ROR, 12);
      v3 = v3.add(v7).add(m15); v15 = v15.lanewise(XOR, v3).lanewise(ROR, 8);
      v11 = v11.add(v15); v7 = v7.lanewise(XOR, v11).lanewise(ROR, 7);
      v0 = v0.add(v5).add(m4); v15 = v15.lanewise(XOR, v0).lanewise(ROR, 16);
      v10 = v10.add(v15); v5 = v5.lanewise(XOR, v10).lanewise(ROR, 12);
      v0 = v0.add(v5).add(m0); v15 = v15.lanewise(XOR, v0).lanewise(ROR, 8);
      v10 = v10.add(v15); v5 = v5.lanewise(XOR, v10).lanewise(ROR, 7);
      v1 = v1.add(v6).add(m11); v12 = v12.lanewise(XOR, v1).lanewise(ROR, 16);
      v11 = v11.add(v12); v6 = v6.lanewise(XOR, v11).lanewise(ROR, 12);
      v1 = v1.add(v6).add(m2); v12 = v12.lanewise(XOR, v1).lanewise(ROR, 8);
      v11 = v11.add(v12); v6 = v6.lanewise(XOR, v11).lanewise(ROR, 7);
      v2 = v2.add(v7).add(m5); v13 = v13.lanewise(XOR, v2).lanewise(ROR, 16);
      v8 = v8.add(v13); v7 = v7.lanewise(XOR, v8).lanewise(ROR, 12);
      v2 = v2.add(v7).add(m8); v13 = v13.lanewise(XOR, v2).lanewise(ROR, 8);
      v8 = v8.add(v13); v7 = v7.lanewise(XOR, v8).lanewise(ROR, 7);
      v3 = v3.add(v4).add(m1); v14 = v14.lanewise(XOR, v3).lanewise(ROR, 16);
      v9 = v9.add(v14); v4 = v4.lanewise(XOR, v9).lanewise(ROR, 12);
      v3 = v3.add(v4).add(m6); v14 = v14.lanewise(XOR, v3).lanewise(ROR, 8);
      v9 = v9.add(v14); v4 = v4.lanewise(XOR, v9).lanewise(ROR, 7);
      // round 5: message words 12, 13, 9, 11, 15, 10, 14, 8, 7, 2, 5, 3, 0, 1, 6, 4
      v0 = v0.add(v4).add(m12); v12 = v12.lanewise(XOR, v0).lanewise(ROR, 16);
      v8 = v8.add(v12); v4 = v4.lanewise(XOR, v8).lanewise(ROR, 12);
      v0 = v0.add(v4).add(m13); v12 = v12.lanewise(XOR, v0).lanewise(ROR, 8);
      v8 = v8.add(v12); v4 = v4.lanewise(XOR, v8).lanewise(ROR, 7);
      v1 = v1.add(v5).add(m9); v13 = v13.lanewise(XOR, v1).lanewise(ROR, 16);
      v9 = v9.add(v13); v5 = v5.lanewise(XOR, v9).lanewise(ROR, 12);
      v1 = v1.add(v5).add(m11); v13 = v13.lanewise(XOR, v1).lanewise(ROR, 8);
      v9 = v9.add(v13); v5 = v5.lanewise(XOR, v9).lanewise(ROR, 7);
      v2 = v2.add(v6).add(m15); v14 = v14.lanewise(XOR, v2).lanewise(ROR, 16);
      v10 = v10.add(v14); v6 = v6.lanewise(XOR, v10).lanewise(ROR, 12);
      v2 = v2.add(v6).add(m10); v14 = v14.lanewise(XOR, v2).lanewise(ROR, 8);
      v10 = v10.add(v14); v6 = v6.lanewise(XOR, v10).lanewise(ROR, 7);
      v3 = v3.add(v7).add(m14); v15 = v15.lanewise(XOR, v3).lanewise(ROR, 16);
      v11 = v11.add(v15); v7 = v7.lanewise(XOR, v11).lanewise(ROR, 12);
      v3 = v3.add(v7).add(m8); v15 = v15.lanewise(XOR, v3).lanewise(ROR, 8);
      v11 = v11.add(v15); v7 = v7.lanewise(XOR, v11).lanewise(ROR, 7);
      v0 = v0.add(v5).add(m7); v15 = v15.lanewise(XOR, v0).lanewise(ROR, 16);
      v10 = v10.add(v15); v5 = v5.lanewise(XOR, v10).lanewise(ROR, 12);
      v0 = v0.add(v5).add(m2); v15 = v15.lanewise(XOR, v0).lanewise(ROR, 8);
      v10 = v10.add(v15); v5 = v5.lanewise(XOR, v10).lanewise(ROR, 7);
      v1 = v1.add(v6).add(m5); v12 = v12.lanewise(XOR, v1).lanewise(ROR, 16);
      v11 = v11.add(v12); v6 = v6.lanewise(XOR, v11).lanewise(ROR, 12);
      v1 = v1.add(v6).add(m3); v12 = v12.lanewise(XOR, v1).lanewise(ROR, 8);
      v11 = v11.add(v12); v6 = v6.lanewise(XOR, v11).lanewise(ROR, 7);
      v2 = v2.add(v7).add(m0); v13 = v13.lanewise(XOR, v2).lanewise(ROR, 16);
      v8 = v8.add(v13); v7 = v7.lanewise(XOR, v8).lanewise(ROR, 12);
      v2 = v2.add(v7).add(m1); v13 = v13.lanewise(XOR, v2).lanewise(ROR, 8);
      v8 = v8.add(v13); v7 = v7.lanewise(XOR, v8).lanewise(ROR, 7);
      v3 = v3.add(v4).add(m6); v14 = v14.lanewise(XOR, v3).lanewise(ROR, 16);
      v9 = v9.add(v14); v4 = v4.lanewise(XOR, v9).lanewise(ROR, 12);
      v3 = v3.add(v4).add(m4); v14 = v14.lanewise(XOR, v3).lanewise(ROR, 8);
      v9 = v9.add(v14); v4 = v4.lanewise(XOR, v9).lanewise(ROR, 7);
      // round 6: message words 9, 14, 11, 5, 8, 12, 15, 1, 13, 3, 0, 10, 2, 6, 4, 7
      v0 = v0.add(v4).add(m9); v12 = v12.lanewise(XOR, v0).lanewise(ROR, 16);
      v8 = v8.add(v12); v4 = v4.lanewise(XOR, v8).lanewise(ROR, 12);
      v0 = v0.add(v4).add(m14); v12 = v12.lanewise(XOR, v0).lanewise(ROR, 8);
      v8 = v8.add(v12); v4 = v4.lanewise(XOR, v8).lanewise(ROR, 7);
      v1 = v1.add(v5).add(m11); v13 = v13.lanewise(XOR, v1).lanewise(ROR, 16);
      v9 = v9.add(v13); v5 = v5.lanewise(XOR, v9).lanewise(ROR, 12);
      v1 = v1.add(v5).add(m5); v13 = v13.lanewise(XOR, v1).lanewise(ROR, 8);
      v9 = v9.add(v13); v5 = v5.lanewise(XOR, v9).lanewise(ROR, 7);
      v2 = v2.add(v6).add(m8); v14 = v14.lanewise(XOR, v2).lanewise(ROR, 16);
      v10 = v10.add(v14); v6 = v6.lanewise(XOR, v10).lanewise(ROR, 12);
      v2 = v2.add(v6).add(m12); v14 = v14.lanewise(XOR, v2).lanewise(ROR, 8);
      v10 = v10.add(v14); v6 = v6.lanewise(XOR, v10).lanewise(ROR, 7);
      v3 = v3.add(v7).add(m15); v15 = v15.lanewise(XOR, v3).lanewise(ROR, 16);
      v11 = v11.add(v15); v7 = v7.lanewise(XOR, v11).lanewise(ROR, 12);
      v3 = v3.add(v7).add(m1); v15 = v15.lanewise(XOR, v3).lanewise(ROR, 8);
      v11 = v11.add(v15); v7 = v7.lanewise(XOR, v11).lanewise(ROR, 7);
      v0 = v0.add(v5).add(m13); v15 = v15.lanewise(XOR, v0).lanewise(ROR, 16);
      v10 = v10.add(v15); v5 = v5.lanewise(XOR, v10).lanewise(ROR, 12);
      v0 = v0.add(v5).add(m3); v15 = v15.lanewise(XOR, v0).lanewise(ROR, 8);
      v10 = v10.add(v15); v5 = v5.lanewise(XOR, v10).lanewise(ROR, 7);
      v1 = v1.add(v6).add(m0); v12 = v12.lanewise(XOR, v1).lanewise(ROR, 16);
      v11 = v11.add(v12); v6 = v6.lanewise(XOR, v11).lanewise(ROR, 12);
      v1 = v1.add(v6).add(m10); v12 = v12.lanewise(XOR, v1).lanewise(ROR, 8);
      v11 = v11.add(v12); v6 = v6.lanewise(XOR, v11).lanewise(ROR, 7);
      v2 = v2.add(v7).add(m2); v13 = v13.lanewise(XOR, v2).lanewise(ROR, 16);
      v8 = v8.add(v13); v7 = v7.lanewise(XOR, v8).lanewise(ROR, 12);
      v2 = v2.add(v7).add(m6); v13 = v13.lanewise(XOR, v2).lanewise(ROR, 8);
      v8 = v8.add(v13); v7 = v7.lanewise(XOR, v8).lanewise(ROR, 7);
      v3 = v3.add(v4).add(m4); v14 = v14.lanewise(XOR, v3).lanewise(ROR, 16);
      v9 = v9.add(v14); v4 = v4.lanewise(XOR, v9).lanewise(ROR, 12);
      v3 = v3.add(v4).add(m7); v14 = v14.lanewise(XOR, v3).lanewise(ROR, 8);
      v9 = v9.add(v14); v4 = v4.lanewise(XOR, v9).lanewise(ROR, 7);
      // round 7: message words 11, 15, 5, 0, 1, 9, 8, 6, 14, 10, 2, 12, 3, 4, 7, 13
      v0 = v0.add(v4).add(m11); v12 = v12.lanewise(XOR, v0).lanewise(ROR, 16);
      v8 = v8.add(v12); v4 = v4.lanewise(XOR, v8).lanewise(ROR, 12);
      v0 = v0.add(v4).add(m15); v12 = v12.lanewise(XOR, v0).lanewise(ROR, 8);
      v8 = v8.add(v12); v4 = v4.lanewise(XOR, v8).lanewise(ROR, 7);
      v1 = v1.add(v5).add(m5); v13 = v13.lanewise(XOR, v1).lanewise(ROR, 16);
      v9 = v9.add(v13); v5 = v5.lanewise(XOR, v9).lanewise(ROR, 12);
      v1 = v1.add(v5).add(m0); v13 = v13.lanewise(XOR, v1).lanewise(ROR, 8);
      v9 = v9.add(v13); v5 = v5.lanewise(XOR, v9).lanewise(ROR, 7);
      v2 = v2.add(v6).add(m1); v14 = v14.lanewise(XOR, v2).lanewise(ROR, 16);
      v10 = v10.add(v14); v6 = v6.lanewise(XOR, v10).lanewise(ROR, 12);
      v2 = v2.add(v6).add(m9); v14 = v14.lanewise(XOR, v2).lanewise(ROR, 8);
      v10 = v10.add(v14); v6 = v6.lanewise(XOR, v10).lanewise(ROR, 7);
      v3 = v3.add(v7).add(m8); v15 = v15.lanewise(XOR, v3).lanewise(ROR, 16);
      v11 = v11.add(v15); v7 = v7.lanewise(XOR, v11).lanewise(ROR, 12);
      v3 = v3.add(v7).add(m6); v15 = v15.lanewise(XOR, v3).lanewise(ROR, 8);
      v11 = v11.add(v15); v7 = v7.lanewise(XOR, v11).lanewise(ROR, 7);
      v0 = v0.add(v5).add(m14); v15 = v15.lanewise(XOR, v0).lanewise(ROR, 16);
      v10 = v10.add(v15); v5 = v5.lanewise(XOR, v10).lanewise(ROR, 12);
      v0 = v0.add(v5).add(m10); v15 = v15.lanewise(XOR, v0).lanewise(ROR, 8);
      v10 = v10.add(v15); v5 = v5.lanewise(XOR, v10).lanewise(ROR, 7);
      v1 = v1.add(v6).add(m2); v12 = v12.lanewise(XOR, v1).lanewise(ROR, 16);
      v11 = v11.add(v12); v6 = v6.lanewise(XOR, v11).lanewise(ROR, 12);
      v1 = v1.add(v6).add(m12); v12 = v12.lanewise(XOR, v1).lanewise(ROR, 8);
      v11 = v11.add(v12); v6 = v6.lanewise(XOR, v11).lanewise(ROR, 7);
      v2 = v2.add(v7).add(m3); v13 = v13.lanewise(XOR, v2).lanewise(ROR, 16);
      v8 = v8.add(v13); v7 = v7.lanewise(XOR, v8).lanewise(ROR, 12);
      v2 = v2.add(v7).add(m4); v13 = v13.lanewise(XOR, v2).lanewise(ROR, 8);
      v8 = v8.add(v13); v7 = v7.lanewise(XOR, v8).lanewise(ROR, 7);
      v3 = v3.add(v4).add(m7); v14 = v14.lanewise(XOR, v3).lanewise(ROR, 16);
      v9 = v9.add(v14); v4 = v4.lanewise(XOR, v9).lanewise(ROR, 12);
      v3 = v3.add(v4).add(m13); v14 = v14.lanewise(XOR, v3).lanewise(ROR, 8);
      v9 = v9.add(v14); v4 = v4.lanewise(XOR, v9).lanewise(ROR, 7);
      h0 = v0.lanewise(XOR, v8);
      h1 = v1.lanewise(XOR, v9);
      h2 = v2.lanewise(XOR, v10);
      h3 = v3.lanewise(XOR, v11);
      h4 = v4.lanewise(XOR, v12);
      h5 = v5.lanewise(XOR, v13);
      h6 = v6.lanewise(XOR, v14);
      h7 = v7.lanewise(XOR, v15);
    }
    store(h0, h1, h2, h3, h4, h5, h6, h7, count, out, outOff);
  }

  @Override
  public void parents(int[] in, int inOff, int count, int[] out, int outOff) {
    int[] src = in;
    int srcOff = inOff;
    if (count < N) {
      // Gather from a padded copy so that no lane reads past the caller's input.
      System.arraycopy(in, inOff, rows, 0, 16 * count);
      src = rows;
      srcOff = 0;
    }
    IntVector m0 = IntVector.fromArray(S, src, srcOff, ROWS, 0);
    IntVector m1 = IntVector.fromArray(S, src, srcOff + 1, ROWS, 0);
    IntVector m2 = IntVector.fromArray(S, src, srcOff + 2, ROWS, 0);
    IntVector m3 = IntVector.fromArray(S, src, srcOff + 3, ROWS, 0);
    IntVector m4 = IntVector.fromArray(S, src, srcOff + 4, ROWS, 0);
    IntVector m5 = IntVector.fromArray(S, src, srcOff + 5, ROWS, 0);
    IntVector m6 = IntVector.fromArray(S, src, srcOff + 6, ROWS, 0);
    IntVector m7 = IntVector.fromArray(S, src, srcOff + 7, ROWS, 0);
    IntVector m8 = IntVector.fromArray(S, src, srcOff + 8, ROWS, 0);
    IntVector m9 = IntVector.fromArray(S, src, srcOff + 9, ROWS, 0);
    IntVector m10 = IntVector.fromArray(S, src, srcOff + 10, ROWS, 0);
    IntVector m11 = IntVector.fromArray(S, src, srcOff + 11, ROWS, 0);
    IntVector m12 = IntVector.fromArray(S, src, srcOff + 12, ROWS, 0);
    IntVector m13 = IntVector.fromArray(S, src, srcOff + 13, ROWS, 0);
    IntVector m14 = IntVector.fromArray(S, src, srcOff + 14, ROWS, 0);
    IntVector m15 = IntVector.fromArray(S, src, srcOff + 15, ROWS, 0);
    IntVector v0 = IntVector.broadcast(S, IV0);
    IntVector v1 = IntVector.broadcast(S, IV1);
    IntVector v2 = IntVector.broadcast(S, IV2);
    IntVector v3 = IntVector.broadcast(S, IV3);
    IntVector v4 = IntVector.broadcast(S, IV4);
    IntVector v5 = IntVector.broadcast(S, IV5);
    IntVector v6 = IntVector.broadcast(S, IV6);
    IntVector v7 = IntVector.broadcast(S, IV7);
    IntVector v8 = v0, v9 = v1, v10 = v2, v11 = v3;
    IntVector v12 = IntVector.zero(S), v13 = v12;
    IntVector v14 = IntVector.broadcast(S, BLOCK_LEN);
    IntVector v15 = IntVector.broadcast(S, PARENT);
    // round 1: message words 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15
    v0 = v0.add(v4).add(m0); v12 = v12.lanewise(XOR, v0).lanewise(ROR, 16);
    v8 = v8.add(v12); v4 = v4.lanewise(XOR, v8).lanewise(ROR, 12);
    v0 = v0.add(v4).add(m1); v12 = v12.lanewise(XOR, v0).lanewise(ROR, 8);
    v8 = v8.add(v12); v4 = v4.lanewise(XOR, v8).lanewise(ROR, 7);
    v1 = v1.add(v5).add(m2); v13 = v13.lanewise(XOR, v1).lanewise(ROR, 16);
    v9 = v9.add(v13); v5 = v5.lanewise(XOR, v9).lanewise(ROR, 12);
    v1 = v1.add(v5).add(m3); v13 = v13.lanewise(XOR, v1).lanewise(ROR, 8);
    v9 = v9.add(v13); v5 = v5.lanewise(XOR, v9).lanewise(ROR, 7);
    v2 = v2.add(v6).add(m4); v14 = v14.lanewise(XOR, v2).lanewise(ROR, 16);
    v10 = v10.add(v14); v6 = v6.lanewise(XOR, v10).lanewise(ROR, 12);
    v2 = v2.add(v6).add(m5); v14 = v14.lanewise(XOR, v2).lanewise(ROR, 8);
    v10 = v10.add(v14); v6 = v6.lanewise(XOR, v10).lanewise(ROR, 7);
    v3 = v3.add(v7).add(m6); v15 = v15.lanewise(XOR, v3).lanewise(ROR, 16);
    v11 = v11.add(v15); v7 = v7.lanewise(XOR, v11).lanewise(ROR, 12);
    v3 = v3.add(v7).add(m7); v15 = v15.lanewise(XOR, v3).lanewise(ROR, 8);
    v11 = v11.add(v15); v7 = v7.lanewise(XOR, v11).lanewise(ROR, 7);
    v0 = v0.add(v5).add(m8); v15 = v15.lanewise(XOR, v0).lanewise(ROR, 16);
    v10 = v10.add(v15); v5 = v5.lanewise(XOR, v10).lanewise(ROR, 12);
    v0 = v0.add(v5).add(m9); v15 = v15.lanewise(XOR, v0).lanewise(ROR, 8);
    v10 = v10.add(v15); v5 = v5.lanewise(XOR, v10).lanewise(ROR, 7);
    v1 = v1.add(v6).add(m10); v12 = v12.lanewise(XOR, v1).lanewise(ROR, 16);
    v11 = v11.add(v12); v6 = v6.lanewise(XOR, v11).lanewise(ROR, 12);
    v1 = v1.add(v6).add(m11); v12 = v12.lanewise(XOR, v1).lanewise(ROR, 8);
    v11 = v11.add(v12); v6 = v6.lanewise(XOR, v11).lanewise(ROR, 7);
    v2 = v2.add(v7).add(m12); v13 = v13.lanewise(XOR, v2).lanewise(ROR, 16);
    v8 = v8.add(v13); v7 = v7.lanewise(XOR, v8).lanewise(ROR, 12);
    v2 = v2.add(v7).add(m13); v13 = v13.lanewise(XOR, v2).lanewise(ROR, 8);
    v8 = v8.add(v13); v7 = v7.lanewise(XOR, v8).lanewise(ROR, 7);
    v3 = v3.add(v4).add(m14); v14 = v14.lanewise(XOR, v3).lanewise(ROR, 16);
    v9 = v9.add(v14); v4 = v4.lanewise(XOR, v9).lanewise(ROR, 12);
    v3 = v3.add(v4).add(m15); v14 = v14.lanewise(XOR, v3).lanewise(ROR, 8);
    v9 = v9.add(v14); v4 = v4.lanewise(XOR, v9).lanewise(ROR, 7);
    // round 2: message words 2, 6, 3, 10, 7, 0, 4, 13, 1, 11, 12, 5, 9, 14, 15, 8
    v0 = v0.add(v4).add(m2); v12 = v12.lanewise(XOR, v0).lanewise(ROR, 16);
    v8 = v8.add(v12); v4 = v4.lanewise(XOR, v8).lanewise(ROR, 12);
    v0 = v0.add(v4).add(m6); v12 = v12.lanewise(XOR, v0).lanewise(ROR, 8);
    v8 = v8.add(v12); v4 = v4.lanewise(XOR, v8).lanewise(ROR, 7);
    v1 = v1.add(v5).add(m3); v13 = v13.lanewise(XOR, v1).lanewise(ROR, 16);
    v9 = v9.add(v13); v5 = v5.lanewise(XOR, v9).lanewise(ROR, 12);
    v1 = v1.add(v5).add(m10); v13 = v13.lanewise(XOR, v1).lanewise(ROR, 8);
    v9 = v9.add(v13); v5 = v5.lanewise(XOR, v9).lanewise(ROR, 7);
    v2 = v2.add(v6).add(m7); v14 = v14.lanewise(XOR, v2).lanewise(ROR, 16);
    v10 = v10.add(v14); v6 = v6.lanewise(XOR, v10).lanewise(ROR, 12);
    v2 = v2.add(v6).add(m0); v14 = v14.lanewise(XOR, v2).lanewise(ROR, 8);
    v10 = v10.add(v14); v6 = v6.lanewise(XOR, v10).lanewise(ROR, 7);
    v3 = v3.add(v7).add(m4); v15 = v15.lanewise(XOR, v3).lanewise(ROR, 16);
    v11 = v11.add(v15); v7 = v7.lanewise(XOR, v11).lanewise(ROR, 12);
    v3 = v3.add(v7).add(m13); v15 = v15.lanewise(XOR, v3).lanewise(ROR, 8);
    v11 = v11.add(v15); v7 = v7.lanewise(XOR, v11).lanewise(ROR, 7);
    v0 = v0.add(v5).add(m1); v15 = v15.lanewise(XOR, v0).lanewise(ROR, 16);
    v10 = v10.add(v15); v5 = v5.lanewise(XOR, v10).lanewise(ROR, 12);
    v0 = v0.add(v5).add(m11); v15 = v15.lanewise(XOR, v0).lanewise(ROR, 8);
    v10 = v10.add(v15); v5 = v5.lanewise(XOR, v10).lanewise(ROR, 7);
    v1 = v1.add(v6).add(m12); v12 = v12.lanewise(XOR, v1).lanewise(ROR, 16);
    v11 = v11.add(v12); v6 = v6.lanewise(XOR, v11).lanewise(ROR, 12);
    v1 = v1.add(v6).add(m5); v12 = v12.lanewise(XOR, v1).lanewise(ROR, 8);
    v11 = v11.add(v12); v6 = v6.lanewise(XOR, v11).lanewise(ROR, 7);
    v2 = v2.add(v7).add(m9); v13 = v13.lanewise(XOR, v2).lanewise(ROR, 16);
    v8 = v8.add(v13); v7 = v7.lanewise(XOR, v8).lanewise(ROR, 12);
    v2 = v2.add(v7).add(m14); v13 = v13.lanewise(XOR, v2).lanewise(ROR, 8);
    v8 = v8.add(v13); v7 = v7.lanewise(XOR, v8).lanewise(ROR, 7);
    v3 = v3.add(v4).add(m15); v14 = v14.lanewise(XOR, v3).lanewise(ROR, 16);
    v9 = v9.add(v14); v4 = v4.lanewise(XOR, v9).lanewise(ROR, 12);
    v3 = v3.add(v4).add(m8); v14 = v14.lanewise(XOR, v3).lanewise(ROR, 8);
    v9 = v9.add(v14); v4 = v4.lanewise(XOR, v9).lanewise(ROR, 7);
    // round 3: message words 3, 4, 10, 12, 13, 2, 7, 14, 6, 5, 9, 0, 11, 15, 8, 1
    v0 = v0.add(v4).add(m3); v12 = v12.lanewise(XOR, v0).lanewise(ROR, 16);
    v8 = v8.add(v12); v4 = v4.lanewise(XOR, v8).lanewise(ROR, 12);
    v0 = v0.add(v4).add(m4); v12 = v12.lanewise(XOR, v0).lanewise(ROR, 8);
    v8 = v8.add(v12); v4 = v4.lanewise(XOR, v8).lanewise(ROR, 7);
    v1 = v1.add(v5).add(m10); v13 = v13.lanewise(XOR, v1).lanewise(ROR, 16);
    v9 = v9.add(v13); v5 = v5.lanewise(XOR, v9).lanewise(ROR, 12);
    v1 = v1.add(v5).add(m12); v13 = v13.lanewise(XOR, v1).lanewise(ROR, 8);
    v9 = v9.add(v13); v5 = v5.lanewise(XOR, v9).lanewise(ROR, 7);
    v2 = v2.add(v6).add(m13); v14 = v14.lanewise(XOR, v2).lanewise(ROR, 16);
    v10 = v10.add(v14); v6 = v6.lanewise(XOR, v10).lanewise(ROR, 12);
    v2 = v2.add(v6).add(m2); v14 = v14.lanewise(XOR, v2).lanewise(ROR, 8);
    v10 = v10.add(v14); v6 = v6.lanewise(XOR, v10).lanewise(ROR, 7);
    v3 = v3.add(v7).add(m7); v15 = v15.lanewise(XOR, v3).lanewise(ROR, 16);
    v11 = v11.add(v15); v7 = v7.lanewise(XOR, v11).lanewise(ROR, 12);
    v3 = v3.add(v7).add(m14); v15 = v15.lanewise(XOR, v3).lanewise(ROR, 8);
    v11 = v11.add(v15); v7 = v7.lanewise(XOR, v11).lanewise(ROR, 7);
    v0 = v0.add(v5).add(m6); v15 = v15.lanewise(XOR, v0).lanewise(ROR, 16);
    v10 = v10.add(v15); v5 = v5.lanewise(XOR, v10).lanewise(ROR, 12);
    v0 = v0.add(v5).add(m5); v15 = v15.lanewise(XOR, v0).lanewise(ROR, 8);
    v10 = v10.add(v15); v5 = v5.lanewise(XOR, v10).lanewise(ROR, 7);
    v1 = v1.add(v6).add(m9); v12 = v12.lanewise(XOR, v1).lanewise(ROR, 16);
    v11 = v11.add(v12); v6 = v6.lanewise(XOR, v11).lanewise(ROR, 12);
    v1 = v1.add(v6).add(m0); v12 = v12.lanewise(XOR, v1).lanewise(ROR, 8);
    v11 = v11.add(v12); v6 = v6.lanewise(XOR, v11).lanewise(ROR, 7);
    v2 = v2.add(v7).add(m11); v13 = v13.lanewise(XOR, v2).lanewise(ROR, 16);
    v8 = v8.add(v13); v7 = v7.lanewise(XOR, v8).lanewise(ROR, 12);
    v2 = v2.add(v7).add(m15); v13 = v13.lanewise(XOR, v2).lanewise(ROR, 8);
    v8 = v8.add(v13); v7 = v7.lanewise(XOR, v8).lanewise(ROR, 7);
    v3 = v3.add(v4).add(m8); v14 = v14.lanewise(XOR, v3).lanewise(ROR, 16);
    v9 = v9.add(v14); v4 = v4.lanewise(XOR, v9).lanewise(ROR, 12);
    v3 = v3.add(v4).add(m1); v14 = v14.lanewise(XOR, v3).lanewise(ROR, 8);
    v9 = v9.add(v14); v4 = v4.lanewise(XOR, v9).lanewise(ROR, 7);
    // round 4: message words 10, 7, 12, 9, 14, 3, 13, 15, 4, 0, 11, 2, 5, 8, 1, 6
    v0 = v0.add(v4).add(m10); v12 = v12.lanewise(XOR, v0).lanewise(ROR, 16);
    v8 = v8.add(v12); v4 = v4.lanewise(XOR, v8).lanewise(ROR, 12);
    v0 = v0.add(v4).add(m7); v12 = v12.lanewise(XOR, v0).lanewise(ROR, 8);
    v8 = v8.add(v12); v4 = v4.lanewise(XOR, v8).lanewise(ROR, 7);
    v1 = v1.add(v5).add(m12); v13 = v13.lanewise(XOR, v1).lanewise(ROR, 16);
    v9 = v9.add(v13); v5 = v5.lanewise(XOR, v9).lanewise(ROR, 12);
    v1 = v1.add(v5).add(m9); v13 = v13.lanewise(XOR, v1).lanewise(ROR, 8);
    v9 = v9.add(v13); v5 = v5.lanewise(XOR, v9).lanewise(ROR, 7);
    v2 = v2.add(v6).add(m14); v14 = v14.lanewise(XOR, v2).lanewise(ROR, 16);
    v10 = v10.add(v14); v6 = v6.lanewise(XOR, v10).lanewise(ROR, 12);
    v2 = v2.add(v6).add(m3); v14 = v14.lanewise(XOR, v2).lanewise(ROR, 8);
    v10 = v10.add(v14); v6 = v6.lanewise(XOR, v10).lanewise(ROR, 7);
    v3 = v3.add(v7).add(m13); v15 = v15.lanewise(XOR, v3).lanewise(ROR, 16);
    v11 = v11.add(v15); v7 = v7.lanewise(XOR, v11).lanewise(ROR, 12);
    v3 = v3.add(v7).add(m15); v15 = v15.lanewise(XOR, v3).lanewise(ROR, 8);
    v11 = v11.add(v15); v7 = v7.lanewise(XOR, v11).lanewise(ROR, 7);
    v0 = v0.add(v5).add(m4); v15 = v15.lanewise(XOR, v0).lanewise(ROR, 16);
    v10 = v10.add(v15); v5 = v5.lanewise(XOR, v10).lanewise(ROR, 12);
    v0 = v0.add(v5).add(m0); v15 = v15.lanewise(XOR, v0).lanewise(ROR, 8);
    v10 = v10.add(v15); v5 = v5.lanewise(XOR, v10).lanewise(ROR, 7);
    v1 = v1.add(v6).add(m11); v12 = v12.lanewise(XOR, v1).lanewise(ROR, 16);
    v11 = v11.add(v12); v6 = v6.lanewise(XOR, v11).lanewise(ROR, 12);
    v1 = v1.add(v6).add(m2); v12 = v12.lanewise(XOR, v1).lanewise(ROR, 8);
    v11 = v11.add(v12); v6 = v6.lanewise(XOR, v11).lanewise(ROR, 7);
    v2 = v2.add(v7).add(m5); v13 = v13.lanewise(XOR, v2).lanewise(ROR, 16);
    v8 = v8.add(v13); v7 = v7.lanewise(XOR, v8).lanewise(ROR, 12);
    v2 = v2.add(v7).add(m8); v13 = v13.lanewise(XOR, v2).lanewise(ROR, 8);
    v8 = v8.add(v13); v7 = v7.lanewise(XOR, v8).lanewise(ROR, 7);
    v3 = v3.add(v4).add(m1); v14 = v14.lanewise(XOR, v3).lanewise(ROR, 16);
    v9 = v9.add(v14); v4 = v4.lanewise(XOR, v9).lanewise(ROR, 12);
    v3 = v3.add(v4).add(m6); v14 = v14.lanewise(XOR, v3).lanewise(ROR, 8);
    v9 = v9.add(v14); v4 = v4.lanewise(XOR, v9).lanewise(ROR, 7);
    // round 5: message words 12, 13, 9, 11, 15, 10, 14, 8, 7, 2, 5, 3, 0, 1, 6, 4
    v0 = v0.add(v4).add(m12); v12 = v12.lanewise(XOR, v0).lanewise(ROR, 16);
    v8 = v8.add(v12); v4 = v4.lanewise(XOR, v8).lanewise(ROR, 12);
    v0 = v0.add(v4).add(m13); v12 = v12.lanewise(XOR, v0).lanewise(ROR, 8);
    v8 = v8.add(v12); v4 = v4.lanewise(XOR, v8).lanewise(ROR, 7);
    v1 = v1.add(v5).add(m9); v13 = v13.lanewise(XOR, v1).lanewise(ROR, 16);
    v9 = v9.add(v13); v5 = v5.lanewise(XOR, v9).lanewise(ROR, 12);
    v1 = v1.add(v5).add(m11); v13 = v13.lanewise(XOR, v1).lanewise(ROR, 8);
    v9 = v9.add(v13); v5 = v5.lanewise(XOR, v9).lanewise(ROR, 7);
    v2 = v2.add(v6).add(m15); v14 = v14.lanewise(XOR, v2).lanewise(ROR, 16);
    v10 = v10.add(v14); v6 = v6.lanewise(XOR, v10).lanewise(ROR, 12);
    v2 = v2.add(v6).add(m10); v14 = v14.lanewise(XOR, v2).lanewise(ROR, 8);
    v10 = v10.add(v14); v6 = v6.lanewise(XOR, v10).lanewise(ROR, 7);
    v3 = v3.add(v7).add(m14); v15 = v15.lanewise(XOR, v3).lanewise(ROR, 16);
    v11 = v11.add(v15); v7 = v7.lanewise(XOR, v11).lanewise(ROR, 12);
    v3 = v3.add(v7).add(m8); v15 = v15.lanewise(XOR, v3).lanewise(ROR, 8);
    v11 = v11.add(v15); v7 = v7.lanewise(XOR, v11).lanewise(ROR, 7);
    v0 = v0.add(v5).add(m7); v15 = v15.lanewise(XOR, v0).lanewise(ROR, 16);
    v10 = v10.add(v15); v5 = v5.lanewise(XOR, v10).lanewise(ROR, 12);
    v0 = v0.add(v5).add(m2); v15 = v15.lanewise(XOR, v0).lanewise(ROR, 8);
    v10 = v10.add(v15); v5 = v5.lanewise(XOR, v10).lanewise(ROR, 7);
    v1 = v1.add(v6).add(m5); v12 = v12.lanewise(XOR, v1).lanewise(ROR, 16);
    v11 = v11.add(v12); v6 = v6.lanewise(XOR, v11).lanewise(ROR, 12);
    v1 = v1.add(v6).add(m3); v12 = v12.lanewise(XOR, v1).lanewise(ROR, 8);
    v11 = v11.add(v12); v6 = v6.lanewise(XOR, v11).lanewise(ROR, 7);
    v2 = v2.add(v7).add(m0); v13 = v13.lanewise(XOR, v2).lanewise(ROR, 16);
    v8 = v8.add(v13); v7 = v7.lanewise(XOR, v8).lanewise(ROR, 12);
    v2 = v2.add(v7).add(m1); v13 = v13.lanewise(XOR, v2).lanewise(ROR, 8);
    v8 = v8.add(v13); v7 = v7.lanewise(XOR, v8).lanewise(ROR, 7);
    v3 = v3.add(v4).add(m6); v14 = v14.lanewise(XOR, v3).lanewise(ROR, 16);
    v9 = v9.add(v14); v4 = v4.lanewise(XOR, v9).lanewise(ROR, 12);
    v3 = v3.add(v4).add(m4); v14 = v14.lanewise(XOR, v3).lanewise(ROR, 8);
    v9 = v9.add(v14); v4 = v4.lanewise(XOR, v9).lanewise(ROR, 7);
    // round 6: message words 9, 14, 11, 5, 8, 12, 15, 1, 13, 3, 0, 10, 2, 6, 4, 7
    v0 = v0.add(v4).add(m9); v12 = v12.lanewise(XOR, v0).lanewise(ROR, 16);
    v8 = v8.add(v12); v4 = v4.lanewise(XOR, v8).lanewise(ROR, 12);
    v0 = v0.add(v4).add(m14); v12 = v12.lanewise(XOR, v0).lanewise(ROR, 8);
    v8 = v8.add(v12); v4 = v4.lanewise(XOR, v8).lanewise(ROR, 7);
    v1 = v1.add(v5).add(m11); v13 = v13.lanewise(XOR, v1).lanewise(ROR, 16);
    v9 = v9.add(v13); v5 = v5.lanewise(XOR, v9).lanewise(ROR, 12);
    v1 = v1.add(v5).add(m5); v13 = v13.lanewise(XOR, v1).lanewise(ROR, 8);
    v9 = v9.add(v13); v5 = v5.lanewise(XOR, v9).lanewise(ROR, 7);
    v2 = v2.add(v6).add(m8); v14 = v14.lanewise(XOR, v2).lanewise(ROR, 16);
    v10 = v10.add(v14); v6 = v6.lanewise(XOR, v10).lanewise(ROR, 12);
    v2 = v2.add(v6).add(m12); v14 = v14.lanewise(XOR, v2).lanewise(ROR, 8);
    v10 = v10.add(v14); v6 = v6.lanewise(XOR, v10).lanewise(ROR, 7);
    v3 = v3.add(v7).add(m15); v15 = v15.lanewise(XOR, v3).lanewise(ROR, 16);
    v11 = v11.add(v15); v7 = v7.lanewise(XOR, v11).lanewise(ROR, 12);
    v3 = v3.add(v7).add(m1); v15 = v15.lanewise(XOR, v3).lanewise(ROR, 8);
    v11 = v11.add(v15); v7 = v7.lanewise(XOR, v11).lanewise(ROR, 7);
    v0 = v0.add(v5).add(m13); v15 = v15.lanewise(XOR, v0).lanewise(ROR, 16);
    v10 = v10.add(v15); v5 = v5.lanewise(XOR, v10).lanewise(ROR, 12);
    v0 = v0.add(v5).add(m3); v15 = v15.lanewise(XOR, v0).lanewise(ROR, 8);
    v10 = v10.add(v15); v5 = v5.lanewise(XOR, v10).lanewise(ROR, 7);
    v1 = v1.add(v6).add(m0); v12 = v12.lanewise(XOR, v1).lanewise(ROR, 16);
    v11 = v11.add(v12); v6 = v6.lanewise(XOR, v11).lanewise(ROR, 12);
    v1 = v1.add(v6).add(m10); v12 = v12.lanewise(XOR, v1).lanewise(ROR, 8);
    v11 = v11.add(v12); v6 = v6.lanewise(XOR, v11).lanewise(ROR, 7);
    v2 = v2.add(v7).add(m2); v13 = v13.lanewise(XOR, v2).lanewise(ROR, 16);
    v8 = v8.add(v13); v7 = v7.lanewise(XOR, v8).lanewise(ROR, 12);
    v2 = v2.add(v7).add(m6); v13 = v13.lanewise(XOR, v2).lanewise(ROR, 8);
    v8 = v8.add(v13); v7 = v7.lanewise(XOR, v8).lanewise(ROR, 7);
    v3 = v3.add(v4).add(m4); v14 = v14.lanewise(XOR, v3).lanewise(ROR, 16);
    v9 = v9.add(v14); v4 = v4.lanewise(XOR, v9).lanewise(ROR, 12);
    v3 = v3.add(v4).add(m7); v14 = v14.lanewise(XOR, v3).lanewise(ROR, 8);
    v9 = v9.add(v14); v4 = v4.lanewise(XOR, v9).lanewise(ROR, 7);
    // round 7: message words 11, 15, 5, 0, 1, 9, 8, 6, 14, 10, 2, 12, 3, 4, 7, 13
    v0 = v0.add(v4).add(m11); v12 = v12.lanewise(XOR, v0).lanewise(ROR, 16);
    v8 = v8.add(v12); v4 = v4.lanewise(XOR, v8).lanewise(ROR, 12);
    v0 = v0.add(v4).add(m15); v12 = v12.lanewise(XOR, v0).lanewise(ROR, 8);
    v8 = v8.add(v12); v4 = v4.lanewise(XOR, v8).lanewise(ROR, 7);
    v1 = v1.add(v5).add(m5); v13 = v13.lanewise(XOR, v1).lanewise(ROR, 16);
    v9 = v9.add(v13); v5 = v5.lanewise(XOR, v9).lanewise(ROR, 12);
    v1 = v1.add(v5).add(m0); v13 = v13.lanewise(XOR, v1).lanewise(ROR, 8);
    v9 = v9.add(v13); v5 = v5.lanewise(XOR, v9).lanewise(ROR, 7);
    v2 = v2.add(v6).add(m1); v14 = v14.lanewise(XOR, v2).lanewise(ROR, 16);
    v10 = v10.add(v14); v6 = v6.lanewise(XOR, v10).lanewise(ROR, 12);
    v2 = v2.add(v6).add(m9); v14 = v14.lanewise(XOR, v2).lanewise(ROR, 8);
    v10 = v10.add(v14); v6 = v6.lanewise(XOR, v10).lanewise(ROR, 7);
    v3 = v3.add(v7).add(m8); v15 = v15.lanewise(XOR, v3).lanewise(ROR, 16);
    v11 = v11.add(v15); v7 = v7.lanewise(XOR, v11).lanewise(ROR, 12);
    v3 = v3.add(v7).add(m6); v15 = v15.lanewise(XOR, v3).lanewise(ROR, 8);
    v11 = v11.add(v15); v7 = v7.lanewise(XOR, v11).lanewise(ROR, 7);
    v0 = v0.add(v5).add(m14); v15 = v15.lanewise(XOR, v0).lanewise(ROR, 16);
    v10 = v10.add(v15); v5 = v5.lanewise(XOR, v10).lanewise(ROR, 12);
    v0 = v0.add(v5).add(m10); v15 = v15.lanewise(XOR, v0).lanewise(ROR, 8);
    v10 = v10.add(v15); v5 = v5.lanewise(XOR, v10).lanewise(ROR, 7);
    v1 = v1.add(v6).add(m2); v12 = v12.lanewise(XOR, v1).lanewise(ROR, 16);
    v11 = v11.add(v12); v6 = v6.lanewise(XOR, v11).lanewise(ROR, 12);
    v1 = v1.add(v6).add(m12); v12 = v12.lanewise(XOR, v1).lanewise(ROR, 8);
    v11 = v11.add(v12); v6 = v6.lanewise(XOR, v11).lanewise(ROR, 7);
    v2 = v2.add(v7).add(m3); v13 = v13.lanewise(XOR, v2).lanewise(ROR, 16);
    v8 = v8.add(v13); v7 = v7.lanewise(XOR, v8).lanewise(ROR, 12);
    v2 = v2.add(v7).add(m4); v13 = v13.lanewise(XOR, v2).lanewise(ROR, 8);
    v8 = v8.add(v13); v7 = v7.lanewise(XOR, v8).lanewise(ROR, 7);
    v3 = v3.add(v4).add(m7); v14 = v14.lanewise(XOR, v3).lanewise(ROR, 16);
    v9 = v9.add(v14); v4 = v4.lanewise(XOR, v9).lanewise(ROR, 12);
    v3 = v3.add(v4).add(m13); v14 = v14.lanewise(XOR, v3).lanewise(ROR, 8);
    v9 = v9.add(v14); v4 = v4.lanewise(XOR, v9).lanewise(ROR, 7);
    store(v0.lanewise(XOR, v8), v1.lanewise(XOR, v9), v2.lanewise(XOR, v10),
        v3.lanewise(XOR, v11), v4.lanewise(XOR, v12), v5.lanewise(XOR, v13),
        v6.lanewise(XOR, v14), v7.lanewise(XOR, v15), count, out, outOff);
  }

  /** Writes word k of lane i to {@code out[outOff + 8 * i + k]} for the first {@code count} lanes. */
  private void store(IntVector h0, IntVector h1, IntVector h2, IntVector h3, IntVector h4,
      IntVector h5, IntVector h6, IntVector h7, int count, int[] out, int outOff) {
    int[] w = words;
    h0.intoArray(w, 0);
    h1.intoArray(w, N);
    h2.intoArray(w, 2 * N);
    h3.intoArray(w, 3 * N);
    h4.intoArray(w, 4 * N);
    h5.intoArray(w, 5 * N);
    h6.intoArray(w, 6 * N);
    h7.intoArray(w, 7 * N);
    for (int i = 0; i < count; i++) {
      int o = outOff + 8 * i;
      for (int k = 0; k < 8; k++) out[o + k] = w[k * N + i];
    }
  }
}
