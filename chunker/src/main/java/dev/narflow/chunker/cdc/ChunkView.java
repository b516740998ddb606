package dev.narflow.chunker.cdc;

import java.util.Arrays;

/**
 * One chunk of a {@link StreamChunker}, as a window on the chunker's buffer: bytes
 * {@code array()[offset(), offset() + length())}.
 *
 * <p>A view, not a value: the chunker reuses this object and its buffer, so everything here is
 * valid only until the chunker's next {@link StreamChunker#next()} call. Copy what must outlive
 * that ({@link #toByteArray()}). Do not write into the array.
 */
public final class ChunkView {
  private byte[] array;
  private int offset;
  private int length;
  private long hash;
  private long streamOffset;

  ChunkView() {}

  void set(byte[] array, int offset, int length, long hash, long streamOffset) {
    this.array = array;
    this.offset = offset;
    this.length = length;
    this.hash = hash;
    this.streamOffset = streamOffset;
  }

  /** The chunker's buffer holding the chunk. */
  public byte[] array() {
    return array;
  }

  /** Where the chunk starts in {@link #array()}. */
  public int offset() {
    return offset;
  }

  /** The chunk's length in bytes; never 0. */
  public int length() {
    return length;
  }

  /** The Gear hash at the cut, as {@link FastCdc.Cut#hash()}. */
  public long hash() {
    return hash;
  }

  /** Where the chunk starts in the input stream. */
  public long streamOffset() {
    return streamOffset;
  }

  /** A copy of the chunk's bytes. */
  public byte[] toByteArray() {
    return Arrays.copyOfRange(array, offset, offset + length);
  }

  @Override
  public String toString() {
    return "ChunkView(streamOffset=" + streamOffset + ", length=" + length
        + ", hash=" + Long.toUnsignedString(hash) + ")";
  }
}
