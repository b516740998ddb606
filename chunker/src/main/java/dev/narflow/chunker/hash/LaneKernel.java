package dev.narflow.chunker.hash;

/**
 * Compresses several BLAKE3 nodes side by side (one per SIMD lane). Implementations hold scratch
 * buffers and are not thread-safe: each hasher takes its own from {@link #fresh()}.
 *
 * <p>Chaining values are laid out as 8 consecutive ints per node; a parent's input is the 16
 * consecutive ints of its left and right child.
 */
interface LaneKernel {
  /** How many nodes one call handles at the cost of one. */
  int lanes();

  /** A new instance with its own scratch buffers. */
  LaneKernel fresh();

  /**
   * Chaining values of {@code count} (1..lanes) whole, non-root chunks at
   * {@code data[off + 1024 * i]} with chunk counters {@code counter + i}, to
   * {@code out[outOff + 8 * i ..]}.
   */
  void chunks(byte[] data, int off, long counter, int count, int[] out, int outOff);

  /**
   * Chaining values of {@code count} (1..lanes) non-root parents with inputs
   * {@code in[inOff + 16 * j ..]}, to {@code out[outOff + 8 * j ..]}; all input is read before any
   * output is written, so the two may overlap.
   */
  void parents(int[] in, int inOff, int count, int[] out, int outOff);
}
