package dev.narflow.ops.embedded;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.narflow.ops.Narflow;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DataDirTest {
  @TempDir Path tmp;

  @Test
  void firstUseLaysOutTheDirectoryAndRecordsTheVersion() throws Exception {
    Path dir = tmp.resolve("mirror");
    DataDir data = DataDir.open(dir);
    assertTrue(data.created());
    assertEquals(dir, data.root());
    assertEquals(List.of(dir.resolve("kafka"), dir.resolve("chunks"), dir.resolve("state")),
        List.of(data.kafka(), data.chunks(), data.state()));
    assertTrue(Files.isDirectory(data.kafka()) && Files.isDirectory(data.chunks()) && Files.isDirectory(data.state()));
    assertEquals("1\nnarflow " + Narflow.VERSION + "\n", Files.readString(dir.resolve(DataDir.VERSION_FILE)));

    DataDir again = DataDir.open(dir);
    assertFalse(again.created(), "a second open finds the recorded version");
    assertEquals("narflow " + Narflow.VERSION, again.madeBy());
  }

  @Test
  void anExistingEmptyDirectoryIsInitialized() throws Exception {
    Path dir = Files.createDirectory(tmp.resolve("empty"));
    assertTrue(DataDir.open(dir).created());
  }

  @Test
  void anIncompatibleFormatIsRefusedNamingBoth() throws Exception {
    Path dir = Files.createDirectory(tmp.resolve("future"));
    Files.writeString(dir.resolve(DataDir.VERSION_FILE), "2\nnarflow 9.0.0\n");
    DataDirException e = assertThrows(DataDirException.class, () -> DataDir.open(dir));
    assertEquals(dir + " was made by narflow 9.0.0 (data format 2); narflow " + Narflow.VERSION
        + " reads data format 1 only: use that narflow, or a new --data directory", e.getMessage());
    assertFalse(Files.exists(dir.resolve("kafka")), "nothing is added to a refused directory");
  }

  @Test
  void aVersionFileNotWrittenByNarflowIsRefused() throws Exception {
    Path dir = Files.createDirectory(tmp.resolve("garbage"));
    Files.writeString(dir.resolve(DataDir.VERSION_FILE), "hello\n");
    DataDirException e = assertThrows(DataDirException.class, () -> DataDir.open(dir));
    assertEquals(dir.resolve(DataDir.VERSION_FILE) + " does not start with a data format number;"
        + " it was not written by narflow", e.getMessage());
  }

  @Test
  void aDirectoryHoldingOtherThingsIsNotTakenOver() throws Exception {
    Path dir = Files.createDirectory(tmp.resolve("home"));
    Files.writeString(dir.resolve("notes.txt"), "mine");
    DataDirException e = assertThrows(DataDirException.class, () -> DataDir.open(dir));
    assertEquals(dir + " is not empty and has no narflow-version, so it is not a narflow data directory;"
        + " give a new or empty directory", e.getMessage());
    assertEquals(List.of(dir.resolve("notes.txt")), Files.list(dir).toList(), "nothing written");
  }

  @Test
  void aFileIsNotADataDirectory() throws Exception {
    Path file = Files.writeString(tmp.resolve("file"), "x");
    assertEquals(file + " is not a directory",
        assertThrows(DataDirException.class, () -> DataDir.open(file)).getMessage());
    Path below = file.resolve("sub");
    assertEquals("cannot create " + below + ": Not a directory",
        assertThrows(DataDirException.class, () -> DataDir.open(below)).getMessage());
  }

  @Test
  void aDirectoryThatCannotBeWrittenIsRefused() {
    // /sys is mounted read-only in containers and refuses even root, which chmod cannot show.
    Path dir = Path.of("/sys/narflow-data-dir-test");
    assertThrows(IOException.class, () -> Files.createDirectory(dir), "premise: /sys is not writable here");
    DataDirException e = assertThrows(DataDirException.class, () -> DataDir.open(dir));
    // The reason is the kernel's (EPERM, EACCES or EROFS, by how /sys is mounted).
    assertTrue(e.getMessage().startsWith("cannot create " + dir + ": "), e.getMessage());
    assertFalse(e.getMessage().contains("\n") || e.getMessage().contains("Exception"), e.getMessage());
  }
}
