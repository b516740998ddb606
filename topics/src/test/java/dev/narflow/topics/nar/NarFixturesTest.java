package dev.narflow.topics.nar;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import dev.narflow.topics.testing.Fixtures;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** The shared conformance vectors of {@code nar/valid} and {@code nar/invalid} (VECTORS.md). */
class NarFixturesTest {
  /** From VECTORS.md: file → {size, sha256 or null}. */
  private static final Map<String, Object[]> VALID = Map.of(
      "helloworld.nar", new Object[] {128, "03e7f63be30b065d78bcf615f5473545fdb4eb69aa416f43495b4e05cdfb8040"},
      "symlink.nar", new Object[] {136, "097d397e9b5826384eaa16c457715d1c1a51670313ead0f58566e0b232539cf1"},
      "complicated.nar", new Object[] {840, "ebd52279a8df024c9fd5718de4103bf5e760dc7f2cf49044ee7dea87ab16911a"},
      "regular-one-byte-zero-padding.nar", new Object[] {120, "2ca0b8ce996f865db37619bfe91023559305aad8158042fc6ddb0ef1d43c5b67"},
      "case-collision-functional.nar", new Object[] {1928, null});

  /** file → the problem the error must name. */
  private static final Map<String, String> INVALID = Map.ofEntries(
      Map.entry("dot.nar", "invalid entry name '.'"),
      Map.entry("dotdot.nar", "invalid entry name '..'"),
      Map.entry("empty.nar", "invalid entry name '' (empty)"),
      Map.entry("slash.nar", "invalid entry name 'x/y' (contains '/')"),
      Map.entry("nul-character.nar", "invalid entry name 'f\\x00o' (contains NUL)"),
      Map.entry("executable-after-contents.nar", "expected ')', got 'executable'"),
      Map.entry("name-after-node.nar", "expected 'name', got 'node'"),
      Map.entry("invalid-tag-instead-of-contents.nar", "expected 'contents', got 'AAAAAAAA'"),
      Map.entry("regular-one-byte-non-zero-padding.nar", "non-zero padding"),
      // a u64 size of 2^64-1 in a 97-byte file: refused before reading any contents
      Map.entry("regular-truncated-large-contents.nar", "file size 18446744073709551615 too large"),
      Map.entry("regular-truncated-padding.nar", "truncated NAR"));

  @Test
  void everyValidFixtureParsesAndReserializesToTheSameBytes() throws Exception {
    assertEquals(VALID.keySet(), names("nar/valid"), "every fixture has an expectation");
    for (Map.Entry<String, Object[]> e : VALID.entrySet()) {
      byte[] nar = Fixtures.bytes("nar/valid/" + e.getKey());
      assertEquals(e.getValue()[0], nar.length, e.getKey());
      if (e.getValue()[1] != null) {
        assertEquals(e.getValue()[1], HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(nar)),
            e.getKey());
      }
      assertArrayEquals(nar, NarTrees.copy(nar), e.getKey() + " copied");
      assertArrayEquals(nar, NarTrees.write(NarTrees.read(nar)), e.getKey() + " rebuilt from its tree");
    }
  }

  @Test
  void everyInvalidFixtureIsRejectedNamingTheProblem() throws Exception {
    assertEquals(INVALID.keySet(), names("nar/invalid"), "every fixture has an expectation");
    for (Map.Entry<String, String> e : INVALID.entrySet()) {
      byte[] nar = Fixtures.bytes("nar/invalid/" + e.getKey());
      NarFormatException error = assertThrows(NarFormatException.class, () -> NarTrees.copy(nar), e.getKey());
      assertTrue(error.getMessage().contains(e.getValue()), e.getKey() + ": " + error.getMessage());
    }
  }

  @Test
  void errorsNameThePathAndOffset() throws Exception {
    NarFormatException dot = reject("nar/invalid/dot.nar");
    assertEquals("/", dot.path());
    assertEquals(0x80, dot.offset(), "the name's string starts at 0x80");
    assertEquals("bad NAR: invalid entry name '.' at / (byte offset 128)", dot.getMessage());

    NarFormatException exec = reject("nar/invalid/executable-after-contents.nar");
    assertEquals("/foo", exec.path());
    assertEquals(0xf0, exec.offset());

    NarFormatException padding = reject("nar/invalid/regular-one-byte-non-zero-padding.nar");
    assertEquals(0x61, padding.offset(), "the first non-zero padding byte");

    NarFormatException truncated = reject("nar/invalid/regular-truncated-padding.nar");
    assertEquals(100, truncated.offset(), "where the input ended");
  }

  @Test
  void complicatedHasTheExpectedEvents() throws Exception {
    NarReader r = new NarReader(new ByteArrayInputStream(Fixtures.bytes("nar/valid/complicated.nar")));
    List<String> events = new ArrayList<>();
    for (NarReader.Event e; (e = r.next()) != NarReader.Event.END; ) {
      String s = e + " " + r.path();
      if (e == NarReader.Event.FILE) s += " " + r.executable() + " " + r.size() + " @" + r.offset();
      if (e == NarReader.Event.SYMLINK) s += " -> " + r.target().toStringUtf8();
      events.add(s);
    }
    assertEquals(List.of(
        "DIRECTORY_START /",
        "FILE /.keep false 0 @232",
        "SYMLINK /aa -> /nix/store/somewhereelse",
        "DIRECTORY_START /keep",
        "FILE /keep/.keep false 0 @760",
        "DIRECTORY_END /keep",
        "DIRECTORY_END /"), events);
    assertEquals(840, r.offset());
    assertEquals(NarReader.Event.END, r.next(), "END repeats");
  }

  @Test
  void helloWorldContentsAreStreamedFromTheRightOffset() throws Exception {
    NarReader r = new NarReader(new ByteArrayInputStream(Fixtures.bytes("nar/valid/helloworld.nar")));
    assertEquals(NarReader.Event.FILE, r.next());
    assertEquals(ByteString.EMPTY, r.name());
    assertEquals(96, r.offset());
    assertEquals(12, r.size());
    assertEquals("Hello World!", new String(r.contents().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8));
    assertEquals(NarReader.Event.END, r.next());
  }

  private static NarFormatException reject(String fixture) {
    byte[] nar = Fixtures.bytes(fixture);
    return assertThrows(NarFormatException.class, () -> NarTrees.copy(nar));
  }

  private static TreeSet<String> names(String dir) throws IOException {
    try (Stream<Path> files = Files.list(Fixtures.path(dir))) {
      return files.map(p -> p.getFileName().toString()).collect(java.util.stream.Collectors.toCollection(TreeSet::new));
    }
  }
}
