package dev.narflow.topics.nar;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** {@link NarWriter#skipContents} and {@link NarWriter#flush}: the renderer's hooks. */
class NarWriterSkipTest {

  /**
   * Writing some files' contents with leading parts skipped gives the full NAR minus exactly those
   * ranges, with the same offsets throughout.
   */
  @Test
  void skippedContentsAreExactlyMissingFromTheOutput() throws Exception {
    long seed = 0x736b6970L;
    Random random = new Random(seed);
    for (int round = 0; round < 200; round++) {
      try {
        int files = 1 + random.nextInt(6);
        byte[][] contents = new byte[files][];
        boolean[] executable = new boolean[files];
        for (int i = 0; i < files; i++) {
          contents[i] = new byte[random.nextInt(4) == 0 ? random.nextInt(200_000) : random.nextInt(100)];
          random.nextBytes(contents[i]);
          executable[i] = random.nextBoolean();
        }
        ByteArrayOutputStream full = new ByteArrayOutputStream();
        write(new NarWriter(full), contents, executable, new long[files], null);

        long[] skips = new long[files];
        for (int i = 0; i < files; i++) {
          skips[i] = random.nextInt(3) == 0 ? 0 : (long) (random.nextDouble() * (contents[i].length + 1));
        }
        ByteArrayOutputStream gapped = new ByteArrayOutputStream();
        long[] starts = new long[files];
        NarWriter writer = new NarWriter(gapped);
        write(writer, contents, executable, skips, starts);
        assertEquals(full.size(), writer.offset(), "offset counts skipped bytes");

        ByteArrayOutputStream expected = new ByteArrayOutputStream();
        byte[] all = full.toByteArray();
        long at = 0;
        for (int i = 0; i < files; i++) {
          expected.write(all, (int) at, (int) (starts[i] - at));
          at = starts[i] + skips[i];
        }
        expected.write(all, (int) at, (int) (all.length - at));
        assertArrayEquals(expected.toByteArray(), gapped.toByteArray());
      } catch (Throwable t) {
        throw new AssertionError("round " + round + " failed, seed " + seed, t);
      }
    }
  }

  /** A directory of files f0, f1, …; skips[i] leading bytes of file i skipped, starts[i] its contents' offset. */
  private static void write(NarWriter w, byte[][] contents, boolean[] executable, long[] skips,
      long[] starts) throws IOException {
    w.directoryStart(ByteString.EMPTY);
    for (int i = 0; i < contents.length; i++) {
      try (OutputStream out = w.openFile(ByteString.copyFromUtf8("f" + i), executable[i], contents[i].length)) {
        if (starts != null) starts[i] = w.offset();
        // In two steps when possible, to check that skips add up.
        long half = skips[i] / 2;
        w.skipContents(half);
        w.skipContents(skips[i] - half);
        out.write(contents[i], (int) skips[i], contents[i].length - (int) skips[i]);
      }
    }
    w.directoryEnd();
    assertTrue(w.complete());
  }

  @Test
  void skipIsRefusedWithoutAnOpenFileOrBeyondItsSize() throws Exception {
    NarWriter w = new NarWriter(new ByteArrayOutputStream());
    assertThrows(IllegalStateException.class, () -> w.skipContents(0));
    w.directoryStart(ByteString.EMPTY);
    OutputStream out = w.openFile(ByteString.copyFromUtf8("a"), false, 10);
    assertThrows(IllegalArgumentException.class, () -> w.skipContents(-1));
    w.skipContents(4);
    IOException tooMuch = assertThrows(IOException.class, () -> w.skipContents(7));
    assertEquals("contents of /a are longer than the declared 10 bytes", tooMuch.getMessage());
    w.skipContents(6);
    out.close(); // complete: 10 of 10 accounted for
    w.directoryEnd();
    assertTrue(w.complete());
  }

  @Test
  void flushHandsOverWhatIsBuffered() throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    NarWriter w = new NarWriter(out);
    w.directoryStart(ByteString.EMPTY);
    w.symlink(ByteString.copyFromUtf8("l"), ByteString.copyFromUtf8("target"));
    assertEquals(0, out.size(), "buffered");
    w.flush();
    assertEquals(w.offset(), out.size());
  }
}
