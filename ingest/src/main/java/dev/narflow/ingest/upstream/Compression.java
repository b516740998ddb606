package dev.narflow.ingest.upstream;

import com.github.luben.zstd.ZstdInputStreamNoFinalizer;
import java.io.BufferedInputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.Arrays;
import java.util.Locale;
import org.apache.commons.compress.compressors.bzip2.BZip2CompressorInputStream;
import org.tukaani.xz.XZInputStream;

/**
 * The compressions a binary cache serves NARs in ({@code Compression:} of a narinfo), and how to
 * undo them as a stream. Every decoder error is reported as an {@link IOException} naming the
 * compression, so a truncated download never passes for a short NAR.
 */
public enum Compression {
  NONE("none", "", new byte[0]),
  XZ("xz", ".xz", new byte[] {(byte) 0xfd, '7', 'z', 'X', 'Z', 0}),
  ZSTD("zstd", ".zst", new byte[] {0x28, (byte) 0xb5, 0x2f, (byte) 0xfd}),
  BZIP2("bzip2", ".bz2", new byte[] {'B', 'Z', 'h'});

  /** xz dictionaries above this are refused: Nix writes at most preset 9 (64 MiB). */
  private static final int XZ_MEMORY_LIMIT_KIB = 256 * 1024;

  private static final int LONGEST_MAGIC = 6;

  private final String narInfoName;
  private final String extension;
  private final byte[] magic;

  Compression(String narInfoName, String extension, byte[] magic) {
    this.narInfoName = narInfoName;
    this.extension = extension;
    this.magic = magic;
  }

  /** The name used in a narinfo's {@code Compression:} field. */
  public String narInfoName() {
    return narInfoName;
  }

  /** The file name suffix after {@code .nar}, e.g. {@code .xz}; empty for none. */
  public String extension() {
    return extension;
  }

  /** Parses a narinfo {@code Compression:} value. */
  public static Compression fromNarInfo(String name) {
    for (Compression c : values()) {
      if (c.narInfoName.equals(name)) return c;
    }
    throw new IllegalArgumentException("unsupported NAR compression '" + name
        + "' (supported: none, xz, zstd, bzip2)");
  }

  /** By file name suffix ({@code .xz}, {@code .zst}, {@code .bz2}); anything else is none. */
  public static Compression fromFileName(String fileName) {
    String lower = fileName.toLowerCase(Locale.ROOT);
    for (Compression c : values()) {
      if (c != NONE && lower.endsWith(c.extension)) return c;
    }
    return NONE;
  }

  /** By the magic bytes at the start of the data; none when no known magic matches. */
  public static Compression detect(byte[] head, int length) {
    for (Compression c : values()) {
      if (c != NONE && length >= c.magic.length
          && Arrays.equals(head, 0, c.magic.length, c.magic, 0, c.magic.length)) {
        return c;
      }
    }
    return NONE;
  }

  /** Decompresses {@code in} as a stream, whatever its compression, judged by its magic bytes. */
  public static InputStream decompressDetected(InputStream in) throws IOException {
    BufferedInputStream buffered = new BufferedInputStream(in, 64 * 1024);
    buffered.mark(LONGEST_MAGIC);
    byte[] head = buffered.readNBytes(LONGEST_MAGIC);
    buffered.reset();
    return detect(head, head.length).decompress(buffered);
  }

  /** Wraps {@code in} so that reading gives the decompressed bytes. Closing closes {@code in}. */
  public InputStream decompress(InputStream in) throws IOException {
    return switch (this) {
      case NONE -> in;
      case XZ -> new Reporting(this, () -> new XZInputStream(in, XZ_MEMORY_LIMIT_KIB));
      case ZSTD -> new Reporting(this, () -> {
        ZstdInputStreamNoFinalizer z = new ZstdInputStreamNoFinalizer(in);
        // A frame cut short must be an error, not a quiet end of stream.
        z.setContinuous(false);
        return z;
      });
      case BZIP2 -> new Reporting(this, () -> new BZip2CompressorInputStream(in, true));
    };
  }

  private interface Opener {
    InputStream open() throws IOException;
  }

  /** Prefixes decoder errors with the compression's name so the operator knows which layer broke. */
  private static final class Reporting extends FilterInputStream {
    private final Compression compression;

    Reporting(Compression compression, Opener opener) throws IOException {
      super(open(compression, opener));
      this.compression = compression;
    }

    private static InputStream open(Compression compression, Opener opener) throws IOException {
      try {
        return opener.open();
      } catch (IOException | RuntimeException e) {
        throw failure(compression, e);
      }
    }

    private static IOException failure(Compression compression, Exception e) {
      // xz-java's EOFException at a truncation has no message; say what it means.
      String detail = e.getMessage() != null ? e.getMessage()
          : e instanceof java.io.EOFException ? "unexpected end of data" : e.getClass().getSimpleName();
      return new IOException(compression.narInfoName + " data is corrupt or truncated: " + detail, e);
    }

    @Override
    public int read() throws IOException {
      try {
        return super.read();
      } catch (IOException | RuntimeException e) {
        throw failure(compression, e);
      }
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      try {
        return super.read(b, off, len);
      } catch (IOException | RuntimeException e) {
        throw failure(compression, e);
      }
    }

    @Override
    public long skip(long n) throws IOException {
      try {
        return super.skip(n);
      } catch (IOException | RuntimeException e) {
        throw failure(compression, e);
      }
    }
  }
}
