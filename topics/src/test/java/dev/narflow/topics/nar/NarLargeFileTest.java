package dev.narflow.topics.nar;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Memory stays bounded whatever the file size: a NAR with a file larger than any Java array
 * (2 GiB + 5 bytes) is read and written through streams synthesized on the fly.
 */
class NarLargeFileTest {
  private static final long BIG = (1L << 31) + 5;
  private static final long SKIPPED = (64L << 20) + 3;
  /** Generous: the reader's own buffers are a few KiB; buffering the file would be gigabytes. */
  private static final long MAX_ALLOCATED = 8L << 20;

  @Test
  void readsAFileLargerThanAnyArrayInBoundedMemory() throws Exception {
    long allocatedBefore = allocatedBytes();
    long started = System.nanoTime();

    NarReader r = new NarReader(nar());
    assertEquals(NarReader.Event.DIRECTORY_START, r.next());
    assertEquals(NarReader.Event.FILE, r.next());
    assertEquals("big", r.name().toStringUtf8());
    assertEquals(BIG, r.size());
    long contentsStart = r.offset();
    InputStream contents = r.contents();
    byte[] buffer = new byte[64 * 1024];
    long position = 0;
    for (int n; (n = contents.read(buffer)) > 0; ) {
      for (int i = 0; i < n; i += 4093) { // spot-check the pattern without slowing the read down
        if (buffer[i] != Pattern.at(position + i)) throw new AssertionError("wrong byte at " + (position + i));
      }
      position += n;
    }
    assertEquals(BIG, position);
    assertEquals(contentsStart + BIG, r.offset());

    assertEquals(NarReader.Event.FILE, r.next()); // the previous file's padding is checked on the way
    assertEquals("skipped", r.name().toStringUtf8());
    assertEquals(NarReader.Event.FILE, r.next()); // left unread: the reader consumes it
    assertEquals("z", r.name().toStringUtf8());
    assertEquals("end", new String(r.contents().readAllBytes(), java.nio.charset.StandardCharsets.US_ASCII));
    assertEquals(NarReader.Event.DIRECTORY_END, r.next());
    assertEquals(NarReader.Event.END, r.next());
    assertEquals(narSize(), r.offset());

    long seconds = (System.nanoTime() - started) / 1_000_000_000;
    long allocated = allocatedBytes() - allocatedBefore;
    assertTrue(allocated < MAX_ALLOCATED, "allocated " + allocated + " bytes to read a " + narSize() + "-byte NAR");
    assertTrue(seconds < 20, "took " + seconds + " s");
  }

  @Test
  void writesAFileLargerThanAnyArrayInBoundedMemory() throws Exception {
    long allocatedBefore = allocatedBytes();
    SameAs out = new SameAs(nar());
    NarWriter w = new NarWriter(out);
    w.directoryStart(ByteString.EMPTY);
    w.file(ByteString.copyFromUtf8("big"), false, BIG, new Pattern(BIG));
    w.file(ByteString.copyFromUtf8("skipped"), true, SKIPPED, new Pattern(SKIPPED));
    w.file(ByteString.copyFromUtf8("z"), false, 3, new java.io.ByteArrayInputStream(new byte[] {'e', 'n', 'd'}));
    w.directoryEnd();
    assertEquals(narSize(), out.compared);
    assertEquals(-1, out.expected.read(), "the whole synthetic NAR was written");
    long allocated = allocatedBytes() - allocatedBefore;
    assertTrue(allocated < MAX_ALLOCATED, "allocated " + allocated + " bytes to write a " + narSize() + "-byte NAR");
  }

  /** The synthetic NAR: a directory with "big" (read), "skipped" (executable, left unread) and "z". */
  private static InputStream nar() {
    List<Object> parts = new ArrayList<>();
    parts.add(RawNar.start().directory().entry("big").str("(", "type", "regular", "contents").word(BIG).build());
    parts.add(BIG);
    parts.add(new RawNar().raw(new byte[(int) (Nar.padded(BIG) - BIG)]).str(")").entryEnd()
        .entry("skipped").str("(", "type", "regular", "executable", "", "contents").word(SKIPPED).build());
    parts.add(SKIPPED);
    parts.add(new RawNar().raw(new byte[(int) (Nar.padded(SKIPPED) - SKIPPED)]).str(")").entryEnd()
        .entry("z").file("end").entryEnd().directoryEnd().build());
    return new Concatenation(parts);
  }

  private static long narSize() throws IOException {
    long size = 0;
    InputStream in = nar();
    byte[] buffer = new byte[1 << 20];
    for (int n; (n = in.read(buffer)) > 0; ) size += n;
    return size;
  }

  private static long allocatedBytes() {
    return ((com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean()).getCurrentThreadAllocatedBytes();
  }

  /** Deterministic contents: byte {@code i} is {@code at(i)}, served from one small block. */
  static final class Pattern extends InputStream {
    private static final int PERIOD = 65521; // prime, so the pattern does not line up with buffers
    private static final byte[] BLOCK = new byte[2 * PERIOD];

    static {
      for (int i = 0; i < BLOCK.length; i++) BLOCK[i] = (byte) ((i % PERIOD) * 31 + ((i % PERIOD) >>> 8));
    }

    private final long size;
    private long position;

    Pattern(long size) {
      this.size = size;
    }

    static byte at(long i) {
      return BLOCK[(int) (i % PERIOD)];
    }

    @Override
    public int read() {
      return position < size ? at(position++) & 0xff : -1;
    }

    @Override
    public int read(byte[] b, int off, int len) {
      if (len == 0) return 0;
      if (position == size) return -1;
      int n = (int) Math.min(Math.min(len, size - position), PERIOD);
      System.arraycopy(BLOCK, (int) (position % PERIOD), b, off, n);
      position += n;
      return n;
    }
  }

  /** Byte arrays and pattern lengths, one after the other. */
  private static final class Concatenation extends InputStream {
    private final List<InputStream> parts = new ArrayList<>();
    private int current;

    Concatenation(List<Object> parts) {
      for (Object p : parts) {
        this.parts.add(p instanceof byte[] b ? new java.io.ByteArrayInputStream(b) : new Pattern((Long) p));
      }
    }

    @Override
    public int read() throws IOException {
      byte[] one = new byte[1];
      return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      if (len == 0) return 0;
      while (current < parts.size()) {
        int n = parts.get(current).read(b, off, len);
        if (n > 0) return n;
        current++;
      }
      return -1;
    }
  }

  /** Checks that what is written equals {@code expected}, byte for byte. */
  private static final class SameAs extends OutputStream {
    final InputStream expected;
    final byte[] buffer = new byte[128 * 1024];
    long compared;

    SameAs(InputStream expected) {
      this.expected = expected;
    }

    @Override
    public void write(int b) throws IOException {
      write(new byte[] {(byte) b}, 0, 1);
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
      while (len > 0) {
        int n = expected.readNBytes(buffer, 0, Math.min(len, buffer.length));
        if (n == 0 || !Arrays.equals(b, off, off + n, buffer, 0, n)) {
          throw new AssertionError("written bytes differ from the synthetic NAR near offset " + compared);
        }
        compared += n;
        off += n;
        len -= n;
      }
    }
  }

  @Test
  void thePatternIsWhatTheTestsAssume() {
    byte[] b = new byte[200_000];
    Pattern p = new Pattern(b.length);
    int filled = 0;
    for (int n; (n = p.read(b, filled, b.length - filled)) > 0; ) filled += n;
    assertEquals(b.length, filled);
    byte[] expected = new byte[b.length];
    for (int i = 0; i < b.length; i++) expected[i] = Pattern.at(i);
    assertArrayEquals(expected, b);
  }
}
