package dev.narflow.topics.nar;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import dev.narflow.topics.testing.Fixtures;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.OutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/** The writer refuses everything the reader would reject, and writes nothing when it refuses. */
class NarWriterRulesTest {
  private final ByteArrayOutputStream out = new ByteArrayOutputStream();
  private final NarWriter writer = new NarWriter(out);

  @Test
  void writesComplicatedExactlyAsNixDoes() throws Exception {
    writer.directoryStart(ByteString.EMPTY);
    writer.file(bs(".keep"), false, 0, new ByteArrayInputStream(new byte[0]));
    writer.symlink(bs("aa"), bs("/nix/store/somewhereelse"));
    writer.directoryStart(bs("keep"));
    try (OutputStream keep = writer.openFile(bs(".keep"), false, 0)) {
      assertFalse(writer.complete());
    }
    writer.directoryEnd();
    assertEquals(0, out.size(), "buffered until the root completes");
    writer.directoryEnd();
    assertTrue(writer.complete());
    assertArrayEquals(Fixtures.bytes("nar/valid/complicated.nar"), out.toByteArray());
    assertEquals(840, writer.offset());
  }

  @Test
  void openFileStreamsContentsOfTheDeclaredSize() throws Exception {
    try (OutputStream contents = writer.openFile(ByteString.EMPTY, false, 12)) {
      contents.write("Hello ".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
      contents.write('W');
      contents.write("orld!".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
      assertThrows(IOException.class, () -> contents.write('!'), "more than declared");
    }
    assertArrayEquals(Fixtures.bytes("nar/valid/helloworld.nar"), out.toByteArray());
  }

  @Test
  void contentsMustMatchTheDeclaredSize() throws Exception {
    writer.directoryStart(ByteString.EMPTY);
    EOFException shorter = assertThrows(EOFException.class,
        () -> writer.file(bs("f"), false, 10, new ByteArrayInputStream(new byte[9])));
    assertEquals("contents of /f ended after 9 of the declared 10 bytes", shorter.getMessage());

    NarWriter other = new NarWriter(new ByteArrayOutputStream());
    other.directoryStart(ByteString.EMPTY);
    IOException longer = assertThrows(IOException.class,
        () -> other.file(bs("g"), true, 10, new ByteArrayInputStream(new byte[11])));
    assertEquals("contents of /g are longer than the declared 10 bytes", longer.getMessage());

    NarWriter third = new NarWriter(new ByteArrayOutputStream());
    OutputStream early = third.openFile(ByteString.EMPTY, false, 3);
    early.write(1);
    assertThrows(EOFException.class, early::close);
    assertThrows(IllegalStateException.class, () -> third.symlink(ByteString.EMPTY, bs("x")),
        "nothing else until the file is complete");
  }

  @Test
  void refusesInvalidNamesAndTargetsAndStaysUsable() throws Exception {
    writer.directoryStart(ByteString.EMPTY);
    writer.symlink(bs("b"), bs("x"));
    long before = writer.offset();
    refuse(() -> writer.symlink(bs("a"), bs("x")), "entries not sorted: 'a' after 'b' in /");
    refuse(() -> writer.symlink(bs("b"), bs("x")), "duplicate entry name 'b' in /");
    refuse(() -> writer.symlink(bs(""), bs("x")), "invalid entry name '' (empty) in /");
    refuse(() -> writer.symlink(bs("."), bs("x")), "invalid entry name '.' in /");
    refuse(() -> writer.symlink(bs(".."), bs("x")), "invalid entry name '..' in /");
    refuse(() -> writer.symlink(bs("c/d"), bs("x")), "invalid entry name 'c/d' (contains '/') in /");
    refuse(() -> writer.symlink(bs("c\0"), bs("x")), "invalid entry name 'c\\x00' (contains NUL) in /");
    refuse(() -> writer.symlink(bs("c".repeat(256)), bs("x")), "invalid entry name of 256 bytes");
    refuse(() -> writer.symlink(bs("c"), bs("")), "invalid symlink target '' (empty) at /c");
    refuse(() -> writer.symlink(bs("c"), bs("a\0")), "invalid symlink target 'a\\x00' (contains NUL) at /c");
    refuse(() -> writer.symlink(bs("c"), bs("t".repeat(4096))), "invalid symlink target of 4096 bytes");
    refuse(() -> writer.file(bs("c"), false, -1, new ByteArrayInputStream(new byte[0])), "negative file size -1");
    assertEquals(before, writer.offset(), "refused calls write nothing");

    writer.symlink(bs("c".repeat(255)), bs("t".repeat(4095)));
    writer.directoryStart(bs("d"));
    writer.directoryEnd();
    writer.directoryEnd();
    assertThrows(IllegalStateException.class, writer::directoryEnd, "nothing after the root");
    assertThrows(IllegalStateException.class, () -> writer.symlink(ByteString.EMPTY, bs("x")));

    NarTrees.Directory tree = (NarTrees.Directory) NarTrees.read(out.toByteArray());
    assertEquals(3, tree.entries().size());
  }

  @Test
  void theRootHasNoNameAndDirectoriesMustBeOpenToEnd() throws Exception {
    refuse(() -> writer.directoryStart(bs("root")), "the root node has no name");
    assertThrows(IllegalStateException.class, writer::directoryEnd);
    assertEquals(0, writer.offset());
  }

  @Test
  void nestingIsAtMost256Levels() throws Exception {
    writer.directoryStart(ByteString.EMPTY);
    for (int i = 1; i <= 256; i++) writer.directoryStart(bs("d")); // the deepest is 256 levels down
    refuse(() -> writer.symlink(bs("f"), bs("x")), "nesting deeper than 256 levels in /d/d/d/");
    for (int i = 0; i <= 256; i++) writer.directoryEnd();
    assertTrue(writer.complete());
    NarTrees.Node node = NarTrees.read(out.toByteArray());
    for (int i = 0; i < 256; i++) node = ((NarTrees.Directory) node).entries().get(bs("d"));
    assertEquals(new NarTrees.Directory(), node);
  }

  private static void refuse(Executable call, String message) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call);
    assertTrue(e.getMessage().startsWith(message), e.getMessage());
  }

  private static ByteString bs(String s) {
    return ByteString.copyFromUtf8(s);
  }
}
