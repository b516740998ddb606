package dev.narflow.chunker.testing;

import com.google.protobuf.ByteString;
import dev.narflow.topics.nar.NarWriter;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * A NAR generated on the fly, never held in memory: a directory of files whose contents are
 * incompressible pseudo-random bytes from a seed. The tokens come from {@link NarWriter} (contents
 * accounted for with {@code skipContents}); the contents are produced as the stream is read. Files
 * with the same seed and size have the same contents, for deduplication tests.
 */
public final class SyntheticNar extends InputStream {
  /** One file of the root directory: its name, size and contents seed. */
  public record File(String name, long size, long seed, boolean executable) {}

  private sealed interface Segment permits Tokens, Contents {}

  private record Tokens(byte[] bytes) implements Segment {}

  private record Contents(long size, long seed) implements Segment {}

  private static final java.lang.invoke.VarHandle LONGS =
      java.lang.invoke.MethodHandles.byteArrayViewVarHandle(long[].class, java.nio.ByteOrder.LITTLE_ENDIAN);

  private final List<Segment> segments;
  private final long size;
  private int segment;
  private long segmentPosition;
  private long state;
  private long word;
  private int wordBytesLeft;

  private SyntheticNar(List<Segment> segments, long size) {
    this.segments = segments;
    this.size = size;
  }

  /** A NAR of a single file at the root. */
  public static SyntheticNar singleFile(long size, long seed) {
    return of(null, List.of(new File("", size, seed, false)));
  }

  /** A NAR of a root directory holding {@code files} (names in ascending order). */
  public static SyntheticNar directory(List<File> files) {
    return of(ByteString.EMPTY, files);
  }

  private static SyntheticNar of(ByteString directory, List<File> files) {
    ByteArrayOutputStream tokens = new ByteArrayOutputStream();
    List<Segment> segments = new ArrayList<>();
    NarWriter writer = new NarWriter(tokens);
    try {
      if (directory != null) writer.directoryStart(directory);
      for (File f : files) {
        OutputStream contents = writer.openFile(ByteString.copyFromUtf8(f.name()), f.executable(), f.size());
        writer.flush();
        segments.add(new Tokens(tokens.toByteArray()));
        tokens.reset();
        segments.add(new Contents(f.size(), f.seed()));
        writer.skipContents(f.size());
        contents.close();
      }
      if (directory != null) writer.directoryEnd();
      writer.flush();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    segments.add(new Tokens(tokens.toByteArray()));
    Objects.requireNonNull(segments);
    return new SyntheticNar(segments, writer.offset());
  }

  /** The NAR's length. */
  public long size() {
    return size;
  }

  @Override
  public int read() throws IOException {
    byte[] one = new byte[1];
    return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
  }

  @Override
  public int read(byte[] b, int off, int len) {
    Objects.checkFromIndexSize(off, len, b.length);
    if (len == 0) return 0;
    while (segment < segments.size()) {
      Segment s = segments.get(segment);
      long segmentSize = s instanceof Tokens t ? t.bytes().length : ((Contents) s).size();
      long left = segmentSize - segmentPosition;
      if (left == 0) {
        segment++;
        segmentPosition = 0;
        if (segment < segments.size() && segments.get(segment) instanceof Contents c) {
          state = c.seed() * 0x9e3779b97f4a7c15L + 1;
          wordBytesLeft = 0;
        }
        continue;
      }
      int n = (int) Math.min(len, left);
      if (s instanceof Tokens t) {
        System.arraycopy(t.bytes(), (int) segmentPosition, b, off, n);
      } else {
        fill(b, off, n);
      }
      segmentPosition += n;
      return n;
    }
    return -1;
  }

  /** xorshift64* bytes: fast and incompressible. */
  private void fill(byte[] b, int off, int n) {
    int i = 0;
    while (wordBytesLeft > 0 && i < n) {
      b[off + i++] = (byte) word;
      word >>>= 8;
      wordBytesLeft--;
    }
    for (; i + 8 <= n; i += 8) {
      state ^= state >>> 12;
      state ^= state << 25;
      state ^= state >>> 27;
      LONGS.set(b, off + i, state * 0x2545f4914f6cdd1dL);
    }
    for (; i < n; i++) {
      if (wordBytesLeft == 0) {
        state ^= state >>> 12;
        state ^= state << 25;
        state ^= state >>> 27;
        word = state * 0x2545f4914f6cdd1dL;
        wordBytesLeft = 8;
      }
      b[off + i] = (byte) word;
      word >>>= 8;
      wordBytesLeft--;
    }
  }
}
