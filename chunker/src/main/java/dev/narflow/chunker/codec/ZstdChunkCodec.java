package dev.narflow.chunker.codec;

import com.github.luben.zstd.Zstd;
import com.github.luben.zstd.ZstdCompressCtx;
import com.github.luben.zstd.ZstdDecompressCtx;
import com.github.luben.zstd.ZstdException;
import java.util.Arrays;
import java.util.Objects;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;

/**
 * Compresses chunks into single zstd frames and decompresses them back, refusing to produce more
 * bytes than the caller expects (the decompression-bomb guard).
 *
 * <p>Frames carry their content size and no zstd checksum: chunk integrity is checked by BLAKE3
 * above this layer, which makes the 32-bit frame checksum redundant.
 *
 * <p>Thread-safe. zstd contexts are not, so each call borrows one from a small pool (at most
 * {@code maxIdleContexts} idle contexts of each kind are kept; extra ones made under contention are
 * freed on return). Reusing a context spares the native allocation of its working tables, which is
 * a noticeable part of the cost for chunks of a few hundred KiB. {@link #close()} frees the idle
 * contexts; the codec must not be used afterwards.
 */
public final class ZstdChunkCodec implements AutoCloseable {
  public static final int DEFAULT_LEVEL = 3;

  private final int level;
  private final BlockingQueue<ZstdCompressCtx> compressors;
  private final BlockingQueue<ZstdDecompressCtx> decompressors;
  private volatile boolean closed;

  /** A codec at {@link #DEFAULT_LEVEL}. */
  public ZstdChunkCodec() {
    this(DEFAULT_LEVEL);
  }

  public ZstdChunkCodec(int level) {
    this(level, Runtime.getRuntime().availableProcessors());
  }

  public ZstdChunkCodec(int level, int maxIdleContexts) {
    if (level < Zstd.minCompressionLevel() || level > Zstd.maxCompressionLevel()) {
      throw new IllegalArgumentException(
          "zstd level must be in [" + Zstd.minCompressionLevel() + ", " + Zstd.maxCompressionLevel()
              + "], got " + level);
    }
    if (maxIdleContexts < 1) {
      throw new IllegalArgumentException("maxIdleContexts must be positive, got " + maxIdleContexts);
    }
    this.level = level;
    this.compressors = new ArrayBlockingQueue<>(maxIdleContexts);
    this.decompressors = new ArrayBlockingQueue<>(maxIdleContexts);
  }

  public int level() {
    return level;
  }

  /** The largest frame {@link #compress} can produce for {@code rawSize} bytes. */
  public static long maxCompressedSize(int rawSize) {
    return Zstd.compressBound(rawSize);
  }

  public byte[] compress(byte[] raw) {
    return compress(raw, 0, raw.length);
  }

  /** One zstd frame holding {@code raw[off, off+len)}, with its content size in the header. */
  public byte[] compress(byte[] raw, int off, int len) {
    Objects.checkFromIndexSize(off, len, raw.length);
    byte[] out = new byte[Math.toIntExact(Zstd.compressBound(len))];
    ZstdCompressCtx ctx = borrowCompressor();
    try {
      int written = ctx.compressByteArray(out, 0, out.length, raw, off, len);
      return written == out.length ? out : Arrays.copyOf(out, written);
    } finally {
      release(compressors, ctx);
    }
  }

  public byte[] decompress(byte[] frame, int expectedSize) throws CorruptFrameException {
    return decompress(frame, 0, frame.length, expectedSize);
  }

  /**
   * Decodes {@code frame[off, off+len)}, which must hold exactly {@code expectedSize} bytes of
   * content. Never allocates or writes more than {@code expectedSize} bytes, whatever the frame
   * claims.
   *
   * @throws CorruptFrameException if the input is not a zstd frame, declares a content size other
   *     than {@code expectedSize}, or decodes to more or fewer bytes
   */
  public byte[] decompress(byte[] frame, int off, int len, int expectedSize)
      throws CorruptFrameException {
    Objects.checkFromIndexSize(off, len, frame.length);
    if (expectedSize < 0) {
      throw new IllegalArgumentException("expected size must not be negative, got " + expectedSize);
    }
    // zstd-jni indexes frame[off] even for an empty range, hence the explicit check.
    long declared = len == 0 ? -2 : Zstd.getFrameContentSize(frame, off, len);
    if (declared == -2) { // ZSTD_CONTENTSIZE_ERROR: bad magic or truncated header
      throw new CorruptFrameException("not a zstd frame (" + len + " bytes)");
    }
    // -1 is ZSTD_CONTENTSIZE_UNKNOWN (streaming writers may omit it): the output bound still holds.
    if (declared != -1 && declared != expectedSize) {
      throw new CorruptFrameException(
          "zstd frame declares content size " + Long.toUnsignedString(declared) + ", expected "
              + expectedSize);
    }
    byte[] out = new byte[expectedSize];
    ZstdDecompressCtx ctx = borrowDecompressor();
    int produced;
    try {
      produced = ctx.decompressByteArray(out, 0, expectedSize, frame, off, len);
    } catch (ZstdException e) {
      if (e.getErrorCode() == Zstd.errDstSizeTooSmall()) {
        throw new CorruptFrameException(
            "zstd frame decodes to more than the expected " + expectedSize + " bytes", e);
      }
      throw new CorruptFrameException("malformed zstd frame: " + e.getMessage(), e);
    } finally {
      release(decompressors, ctx);
    }
    if (produced != expectedSize) {
      throw new CorruptFrameException(
          "zstd frame decodes to " + produced + " bytes, expected " + expectedSize);
    }
    return out;
  }

  private ZstdCompressCtx borrowCompressor() {
    ZstdCompressCtx ctx = compressors.poll();
    if (ctx == null) {
      ctx = new ZstdCompressCtx().setLevel(level).setContentSize(true).setChecksum(false);
    }
    return ctx;
  }

  private ZstdDecompressCtx borrowDecompressor() {
    ZstdDecompressCtx ctx = decompressors.poll();
    return ctx != null ? ctx : new ZstdDecompressCtx();
  }

  private <T extends AutoCloseable> void release(BlockingQueue<T> pool, T ctx) {
    if (closed || !pool.offer(ctx)) {
      closeQuietly(ctx);
    } else if (closed && pool.remove(ctx)) {
      closeQuietly(ctx); // close() ran while we were offering
    }
  }

  private static void closeQuietly(AutoCloseable ctx) {
    try {
      ctx.close();
    } catch (Exception e) {
      throw new IllegalStateException("closing a zstd context failed", e);
    }
  }

  @Override
  public void close() {
    closed = true;
    for (ZstdCompressCtx ctx; (ctx = compressors.poll()) != null; ) {
      ctx.close();
    }
    for (ZstdDecompressCtx ctx; (ctx = decompressors.poll()) != null; ) {
      ctx.close();
    }
  }

  @Override
  public String toString() {
    return "ZstdChunkCodec(level=" + level + ")";
  }
}
