package dev.narflow.topics.nar;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.narflow.topics.testing.Fixtures;
import java.io.ByteArrayInputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** Each rule of the reader on a NAR built for it, next to its closest valid twin. */
class NarReaderRulesTest {

  @Test
  void entriesMustBeStrictlyAscendingByUnsignedBytes() throws Exception {
    accept(dir("a", "b"));
    accept(dir("Z", "a"));
    accept(dir("a", "\u00e9")); // 0xc3 sorts after 'a' only when bytes are unsigned
    reject(dir("b", "a"), "entries not sorted: 'a' after 'b'", "/", 312);
    reject(dir("\u00e9", "a"), "entries not sorted: 'a' after 'é'", "/", 312);
    reject(dir("a", "a"), "duplicate entry name 'a'", "/", 312);
  }

  @Test
  void namesAreAtMost255Bytes() throws Exception {
    accept(dir("x".repeat(255)));
    reject(dir("x".repeat(256)), "invalid entry name of 256 bytes (longer than 255)", "/", 128);
  }

  @Test
  void namesMustNotBeEmptyDotsOrContainSlashOrNul() throws Exception {
    accept(dir("..."));
    accept(dir(".a"));
    reject(dir(""), "invalid entry name '' (empty)", "/", 128);
    reject(dir("."), "invalid entry name '.'", "/", 128);
    reject(dir(".."), "invalid entry name '..'", "/", 128);
    reject(dir("a/"), "invalid entry name 'a/' (contains '/')", "/", 128);
    reject(dir("a\0"), "invalid entry name 'a\\x00' (contains NUL)", "/", 128);
  }

  @Test
  void symlinkTargetsAreNonEmptyWithoutNulAndAtMost4095Bytes() throws Exception {
    accept(RawNar.start().symlink("x".repeat(4095)).build());
    reject(RawNar.start().symlink("").build(), "invalid symlink target '' (empty)", "/", 88);
    reject(RawNar.start().symlink("a\0b").build(), "invalid symlink target 'a\\x00b' (contains NUL)", "/", 88);
    reject(RawNar.start().symlink("x".repeat(4096)).build(),
        "invalid symlink target of 4096 bytes (longer than 4095)", "/", 88);
  }

  @Test
  void nestingIsAtMost256Levels() throws Exception {
    byte[] deepest = nested(256);
    NarTrees.Node tree = NarTrees.read(deepest);
    for (int i = 0; i < 256; i++) tree = ((NarTrees.Directory) tree).entries().firstEntry().getValue();
    assertTrue(tree instanceof NarTrees.File, "a file 256 levels down");
    assertArrayEquals(deepest, NarTrees.copy(deepest));

    NarFormatException e = assertThrows(NarFormatException.class, () -> NarTrees.copy(nested(257)));
    assertTrue(e.problem().equals("nesting deeper than 256 levels"), e.getMessage());
    assertEquals(256, e.path().split("/", -1).length - 1, "reported in the 256th directory: " + e.path());
  }

  @Test
  void trailingBytesAfterTheRootAreRejected() throws Exception {
    byte[] nar = Fixtures.bytes("nar/valid/helloworld.nar");
    reject(concat(nar, new byte[1]), "trailing bytes after the NAR", "/", 128);
    reject(concat(nar, Fixtures.bytes("nar/valid/helloworld.nar")), "trailing bytes after the NAR", "/", 128);
  }

  @Test
  void everyTruncationIsDetected() throws Exception {
    for (String fixture : new String[] {"complicated.nar", "helloworld.nar", "symlink.nar"}) {
      byte[] nar = Fixtures.bytes("nar/valid/" + fixture);
      for (int n = 0; n < nar.length; n++) {
        byte[] prefix = Arrays.copyOf(nar, n);
        NarFormatException e = assertThrows(NarFormatException.class, () -> NarTrees.copy(prefix),
            fixture + " cut at " + n);
        assertEquals("truncated NAR (input ended)", e.problem(), fixture + " cut at " + n);
        assertEquals(n, e.offset(), fixture + " cut at " + n);
      }
    }
  }

  @Test
  void truncatedContentsAreDetectedWhileTheCallerReads() throws Exception {
    byte[] nar = Arrays.copyOf(RawNar.start().file("0123456789abcdef").build(), 96 + 5);
    NarReader r = new NarReader(new ByteArrayInputStream(nar));
    assertEquals(NarReader.Event.FILE, r.next());
    byte[] buffer = new byte[16];
    assertEquals(5, r.contents().read(buffer));
    NarFormatException e = assertThrows(NarFormatException.class, () -> r.contents().read(buffer));
    assertEquals("truncated NAR (input ended)", e.problem());
    assertEquals(101, e.offset());
    assertThrows(IllegalStateException.class, r::next, "a failed reader stays failed");
  }

  @Test
  void nonZeroPaddingIsRejectedInEveryKindOfString() throws Exception {
    byte[] nar = Fixtures.bytes("nar/valid/complicated.nar");
    // the padding of the name ".keep" of the root's first entry (string at 0x80, padding 0x8d..0x8f)
    byte[] name = nar.clone();
    name[0x8f] = 1;
    reject(name, "non-zero padding", "/", 0x8f);
    // the padding of the keyword "type" at 0x30 (padding 0x34..0x37)
    byte[] keyword = nar.clone();
    keyword[0x34] = ' ';
    reject(keyword, "non-zero padding", "/", 0x34);
    // the padding of the symlink target "/nix/store/somewhereelse" is empty (24 bytes); use symlink.nar's magic
    byte[] magic = Fixtures.bytes("nar/valid/symlink.nar");
    magic[0x15] = 1;
    reject(magic, "non-zero padding", "/", 0x15);
  }

  @Test
  void hostileLengthsAreRefusedBeforeAllocating() throws Exception {
    long huge = 1L << 63;
    reject(RawNar.start().str("(", "type", "directory", "entry", "(", "name").word(huge).build(),
        "invalid entry name of 9223372036854775808 bytes (longer than 255)", "/", 128);
    reject(RawNar.start().str("(", "type", "symlink", "target").word(huge).build(),
        "invalid symlink target of 9223372036854775808 bytes (longer than 4095)", "/", 88);
    reject(RawNar.start().str("(").word(-1).build(),
        "expected 'type', got a string of 18446744073709551615 bytes", "/", 40);
    reject(RawNar.start().str("(", "type", "regular", "contents").word(huge).build(),
        "file size 9223372036854775808 too large (over 2^63-1 bytes)", "/", 88);
  }

  @Test
  void structuralErrorsNameWhatWasExpected() throws Exception {
    reject(new RawNar().str("nix-archive-2").build(), "input doesn't look like a NAR", "/", 0);
    reject(new byte[8], "input doesn't look like a NAR", "/", 0);
    reject(RawNar.start().str("(", "type", "fifo").build(), "unknown node type 'fifo'", "/", 56);
    reject(RawNar.start().str("(", "type", "regular", "executable", "x").build(),
        "executable marker has non-empty value", "/", 96);
    reject(RawNar.start().str("(", "type", "directory", "entri").build(),
        "expected 'entry' or ')', got 'entri'", "/", 80);
    reject(RawNar.start().directory().entry("a").file("").str("(").build(),
        "expected ')', got '('", "/a", 248);
  }

  @Test
  void errorsInsideNestedEntriesNameTheirPath() throws Exception {
    byte[] nar = Fixtures.bytes("nar/valid/complicated.nar");
    nar[0x2e8 + 7] = 'z'; // "contents" of /keep/.keep becomes "contentz"
    reject(nar, "expected 'contents', got 'contentz'", "/keep/.keep", 0x2e0);
  }

  @Test
  void unreadContentsAreSkippedByReadingSoAHashingWrapperSeesEveryByte() throws Exception {
    byte[] nar = NarTrees.write(tree());
    MessageDigest digest = MessageDigest.getInstance("SHA-256");
    CountingInputStream counting = new CountingInputStream(new ByteArrayInputStream(nar));
    NarReader r = new NarReader(new DigestInputStream(counting, digest));
    int files = 0;
    for (NarReader.Event e; (e = r.next()) != NarReader.Event.END; ) {
      if (e != NarReader.Event.FILE) continue;
      InputStream contents = r.contents();
      switch (files++ % 3) {
        case 0 -> { } // leave it all
        case 1 -> contents.skip(r.size() / 2); // skip half
        default -> contents.read(new byte[3]); // read a little
      }
      assertEquals(counting.count, r.offset(), "the reader reads no further than it reports");
    }
    assertEquals(3, files);
    assertEquals(nar.length, r.offset());
    assertEquals(nar.length, counting.count);
    assertTrue(counting.sawEnd, "the reader read to the end of the input");
    assertArrayEquals(MessageDigest.getInstance("SHA-256").digest(nar), digest.digest());
  }

  @Test
  void aContentsStreamIsBoundedAndGoesStaleWhenTheReaderMovesOn() throws Exception {
    byte[] nar = RawNar.start().directory()
        .entry("a").file("hello").entryEnd()
        .entry("b").file("world!").entryEnd()
        .directoryEnd().build();
    NarReader r = new NarReader(new ByteArrayInputStream(nar));
    assertEquals(NarReader.Event.DIRECTORY_START, r.next());
    assertEquals(NarReader.Event.FILE, r.next());
    InputStream a = r.contents();
    byte[] big = new byte[100];
    assertEquals(5, a.read(big, 0, 100), "a bulk read stops at the file's end");
    assertEquals(-1, a.read(big, 0, 100));
    assertEquals(-1, a.read());
    assertEquals(NarReader.Event.FILE, r.next());
    assertThrows(IllegalStateException.class, a::read);
    assertThrows(IllegalStateException.class, r::target, "not a symlink");
    assertEquals('w', r.contents().read());
    assertEquals("orld!", new String(r.contents().readAllBytes(), java.nio.charset.StandardCharsets.US_ASCII));
    assertEquals(NarReader.Event.DIRECTORY_END, r.next());
    assertEquals(NarReader.Event.END, r.next());
    assertThrows(IllegalStateException.class, r::name, "no node at END");
  }

  // --- helpers ---------------------------------------------------------------------------------

  private static NarTrees.Node tree() {
    NarTrees.Directory root = new NarTrees.Directory();
    byte[] big = new byte[200_000];
    new java.util.Random(7).nextBytes(big);
    root.entries().put(bs("a"), new NarTrees.File(false, big));
    root.entries().put(bs("b"), new NarTrees.File(true, Arrays.copyOf(big, 100_001)));
    root.entries().put(bs("c"), new NarTrees.File(false, Arrays.copyOf(big, 13)));
    root.entries().put(bs("d"), new NarTrees.Symlink(bs("a")));
    return root;
  }

  private static com.google.protobuf.ByteString bs(String s) {
    return com.google.protobuf.ByteString.copyFromUtf8(s);
  }

  /** A root directory of empty files with these names, in the given order. */
  private static byte[] dir(String... names) {
    RawNar nar = RawNar.start().directory();
    for (String name : names) nar.entry(name).file("").entryEnd();
    return nar.directoryEnd().build();
  }

  /** {@code levels - 1} nested directories "d" holding a file "f": the file is {@code levels} deep. */
  private static byte[] nested(int levels) {
    RawNar nar = RawNar.start();
    for (int i = 0; i < levels - 1; i++) nar.directory().entry("d");
    nar.directory().entry("f").file("x").entryEnd().directoryEnd();
    for (int i = 0; i < levels - 1; i++) nar.entryEnd().directoryEnd();
    return nar.build();
  }

  private static void accept(byte[] nar) throws IOException {
    assertArrayEquals(nar, NarTrees.copy(nar));
  }

  private static void reject(byte[] nar, String problem, String path, long offset) {
    NarFormatException e = assertThrows(NarFormatException.class, () -> NarTrees.copy(nar));
    assertTrue(e.problem().startsWith(problem), "expected '" + problem + "', got: " + e.getMessage());
    assertEquals(path, e.path(), e.getMessage());
    assertEquals(offset, e.offset(), e.getMessage());
  }

  private static byte[] concat(byte[] a, byte[] b) {
    byte[] c = Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, c, a.length, b.length);
    return c;
  }

  /** Counts the bytes read and notes end of input; skip() would bypass nothing here, it is not used. */
  private static final class CountingInputStream extends FilterInputStream {
    long count;
    boolean sawEnd;

    CountingInputStream(InputStream in) {
      super(in);
    }

    @Override
    public int read() throws IOException {
      int b = super.read();
      if (b < 0) sawEnd = true; else count++;
      return b;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      int n = super.read(b, off, len);
      if (n < 0) sawEnd = true; else count += n;
      return n;
    }

    @Override
    public long skip(long n) {
      throw new AssertionError("the reader must read, not skip");
    }
  }
}
