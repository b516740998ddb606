package dev.narflow.chunker.cdc;

import java.io.IOException;
import java.io.InputStream;
import java.util.Objects;

/**
 * Cuts an {@link InputStream} into FastCDC chunks, the same chunks {@link FastCdc#cut} gives over
 * the whole input in memory, whatever sizes the stream's reads return.
 *
 * <p>Memory is bounded: one buffer of {@code maxSize + readSize} bytes, allocated once. A cut needs
 * {@code maxSize} bytes ahead (or the end of the input); the extra {@code readSize} lets bulk reads
 * run ahead so that moving the unread tail to the front of the buffer happens at most once per
 * {@code readSize} bytes consumed, and moves less than {@code maxSize} bytes.
 *
 * <pre>{@code
 * StreamChunker chunker = FastCdc.withDefaults().chunker(in);
 * for (ChunkView chunk; (chunk = chunker.next()) != null; ) {
 *   store(chunk.array(), chunk.offset(), chunk.length()); // valid until the next next()
 * }
 * }</pre>
 *
 * <p>Not thread-safe. Does not close the stream; the caller owns it.
 */
public final class StreamChunker {
  private final FastCdc cdc;
  private final InputStream in;
  private final int maxSize;
  private final byte[] buffer;
  private final long[] hashOut = new long[1];
  private final ChunkView view = new ChunkView();
  /** Unconsumed bytes are {@code buffer[start, end)}. */
  private int start;
  private int end;
  private boolean eof;
  private long streamOffset;

  /** A chunker whose read-ahead is {@code maxSize} (a buffer of twice the maximum chunk size). */
  StreamChunker(FastCdc cdc, InputStream in) {
    this(cdc, in, cdc.params().maxSize());
  }

  /**
   * A chunker with a buffer of {@code maxSize + readSize} bytes. A larger {@code readSize} means
   * fewer, larger reads and less copying (under {@code maxSize / readSize} bytes copied per byte
   * consumed); {@code maxSize}, the default, copies well under one byte per byte.
   */
  public StreamChunker(FastCdc cdc, InputStream in, int readSize) {
    this.cdc = Objects.requireNonNull(cdc, "cdc");
    this.in = Objects.requireNonNull(in, "in");
    if (readSize < 1) throw new IllegalArgumentException("readSize must be positive, got " + readSize);
    this.maxSize = cdc.params().maxSize();
    if ((long) maxSize + readSize > Integer.MAX_VALUE - 16) {
      throw new IllegalArgumentException("maxSize + readSize too large for one buffer: " + maxSize + " + " + readSize);
    }
    this.buffer = new byte[maxSize + readSize];
  }

  /**
   * The next chunk, or null at the end of the input (an empty input has no chunks). The returned
   * view is this chunker's single {@link ChunkView}, valid until the next call.
   *
   * @throws IOException from the stream, or when it breaks the {@link InputStream} contract
   */
  public ChunkView next() throws IOException {
    fill();
    int available = end - start;
    if (available == 0) return null;
    int length = cdc.findCut(buffer, start, available, hashOut);
    view.set(buffer, start, length, hashOut[0], streamOffset);
    start += length;
    streamOffset += length;
    return view;
  }

  /** Bytes read from the stream and not yet returned in a chunk; at most the buffer's size. */
  public int buffered() {
    return end - start;
  }

  /** Reads until {@code maxSize} bytes are buffered or the stream ends. */
  private void fill() throws IOException {
    if (eof || end - start >= maxSize) return;
    if (buffer.length - start < maxSize) {
      // Not enough room behind start for a full cut window: move the tail to the front.
      System.arraycopy(buffer, start, buffer, 0, end - start);
      end -= start;
      start = 0;
    }
    while (end - start < maxSize) {
      int n = in.read(buffer, end, buffer.length - end);
      if (n < 0) {
        eof = true;
        return;
      }
      if (n == 0) {
        // InputStream.read blocks until it has at least one byte; 0 would make us spin forever.
        throw new IOException("InputStream " + in.getClass().getName()
            + " returned 0 bytes for a read of " + (buffer.length - end) + " at stream offset "
            + (streamOffset + end - start));
      }
      end += n;
    }
  }
}
