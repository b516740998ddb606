package dev.narflow.chunker.store;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link LocalDirectoryBackend#flush()} as the durability point: objects are published only by a
 * flush, after their data is synced; link(2) errors other than "no hard links here" stay errors.
 * The failing file systems are real: a tmpfs of 1 MiB (full) and one remounted read-only, which
 * needs root, as the rest of the suite does for Nix.
 */
class LocalDirectoryDurabilityTest {
  @TempDir Path dir;

  private static List<Path> temporaryFiles(Path root) throws IOException {
    try (Stream<Path> files = Files.walk(root)) {
      return files.filter(p -> p.getFileName().toString().contains(".tmp-")).toList();
    }
  }

  @Test
  void anObjectIsPublishedByTheFlushAndServedToItsWriterBefore() throws Exception {
    Path root = dir.resolve("store");
    try (LocalDirectoryBackend backend = LocalDirectoryBackend.open(root)) {
      assertTrue(backend.putIfAbsent("chunks/b3/ab12/ab12cd", new byte[] {1, 2, 3}, 0, 3));
      Path published = backend.pathOf("chunks/b3/ab12/ab12cd");
      assertFalse(Files.exists(published), "not published before the flush");
      assertEquals(1, temporaryFiles(root).size());
      // The writer's own backend sees it at once, and a second put of it is a no-op.
      assertTrue(backend.exists("chunks/b3/ab12/ab12cd"));
      assertArrayEquals(new byte[] {1, 2, 3}, backend.get("chunks/b3/ab12/ab12cd", 10).orElseThrow());
      assertEquals(3, backend.stat("chunks/b3/ab12/ab12cd").orElseThrow().size());
      assertFalse(backend.putIfAbsent("chunks/b3/ab12/ab12cd", new byte[] {9}, 0, 1));
      // Another process (another backend on the same directory) sees only published objects.
      try (LocalDirectoryBackend other = LocalDirectoryBackend.open(root, false)) {
        assertFalse(other.exists("chunks/b3/ab12/ab12cd"));
        backend.flush();
        assertArrayEquals(new byte[] {1, 2, 3}, other.get("chunks/b3/ab12/ab12cd", 10).orElseThrow());
      }
      assertEquals(List.of(), temporaryFiles(root));
      assertFalse(backend.putIfAbsent("chunks/b3/ab12/ab12cd", new byte[] {9}, 0, 1));
    }
  }

  @Test
  void closingFlushes() throws Exception {
    Path root = dir.resolve("store");
    try (LocalDirectoryBackend backend = LocalDirectoryBackend.open(root)) {
      assertTrue(backend.putIfAbsent("a/b", new byte[] {7}, 0, 1));
    }
    assertArrayEquals(new byte[] {7}, Files.readAllBytes(root.resolve("a/b")));
    assertEquals(List.of(), temporaryFiles(root));
  }

  @Test
  void theRenameFallbackAlsoPublishesOnFlush() throws Exception {
    Path root = dir.resolve("store");
    try (LocalDirectoryBackend backend = LocalDirectoryBackend.open(root, true, false)) {
      assertTrue(backend.putIfAbsent("a/b", new byte[] {7}, 0, 1));
      assertFalse(Files.exists(root.resolve("a/b")));
      backend.flush();
      assertArrayEquals(new byte[] {7}, Files.readAllBytes(root.resolve("a/b")));
      assertEquals(List.of(), temporaryFiles(root));
    }
  }

  @Test
  void onlyNoHardLinksErrorsMeanNoHardLinks() {
    for (String reason : List.of("Operation not permitted", "Operation not supported", "Function not implemented")) {
      assertTrue(LocalDirectoryBackend.meansNoHardLinks(new FileSystemException("a", "b", reason)), reason);
    }
    for (String reason : List.of("No space left on device", "Input/output error", "Read-only file system",
        "Disk quota exceeded", "Too many links")) {
      assertFalse(LocalDirectoryBackend.meansNoHardLinks(new FileSystemException("a", "b", reason)), reason);
    }
    assertFalse(LocalDirectoryBackend.meansNoHardLinks(new AccessDeniedException("a", "b", "Operation not permitted")));
  }

  @Test
  void aReadOnlyFileSystemFailsTheFlushAndTheNextFlushPublishesWithLinks() throws Exception {
    try (Tmpfs fs = Tmpfs.mount(dir.resolve("mnt"), "4m")) {
      Path root = fs.path.resolve("store");
      try (LocalDirectoryBackend backend = LocalDirectoryBackend.open(root)) {
        assertTrue(backend.putIfAbsent("chunks/b3/0001/0001aa", new byte[] {1}, 0, 1));
        fs.remount("ro");
        IOException e = assertThrows(IOException.class, backend::flush);
        assertTrue(String.valueOf(e.getMessage()).contains("Read-only file system"), e.toString());
        assertTrue(backend.usesHardLinks(), "EROFS is an error, not a file system without links");
        assertFalse(Files.exists(root.resolve("chunks/b3/0001/0001aa")));
        assertTrue(backend.exists("chunks/b3/0001/0001aa"), "still pending, still served");

        fs.remount("rw");
        backend.flush();
        assertArrayEquals(new byte[] {1}, Files.readAllBytes(root.resolve("chunks/b3/0001/0001aa")));
        assertEquals(List.of(), temporaryFiles(root));
        assertTrue(backend.usesHardLinks());
      }
    }
  }

  @Test
  void aFullFileSystemFailsThePutAndLeavesNothing() throws Exception {
    try (Tmpfs fs = Tmpfs.mount(dir.resolve("mnt"), "1m")) {
      Path root = fs.path.resolve("store");
      try (LocalDirectoryBackend backend = LocalDirectoryBackend.open(root)) {
        byte[] big = new byte[2 << 20];
        IOException e = assertThrows(IOException.class, () -> backend.putIfAbsent("a/big", big, 0, big.length));
        assertTrue(String.valueOf(e.getMessage()).contains("No space left on device"), e.toString());
        assertFalse(backend.exists("a/big"));
        assertEquals(List.of(), temporaryFiles(root), "the partial temporary file is removed");
        // The store goes on working (and keeps using links) once there is room.
        assertTrue(backend.putIfAbsent("a/small", new byte[] {5}, 0, 1));
        backend.flush();
        assertTrue(Files.isRegularFile(root.resolve("a/small")));
        assertTrue(backend.usesHardLinks());
      }
    }
  }

  /** A real tmpfs of a given size, mounted for one test. */
  private record Tmpfs(Path path) implements AutoCloseable {
    static Tmpfs mount(Path path, String size) throws Exception {
      Files.createDirectories(path);
      run("mount", "-t", "tmpfs", "-o", "size=" + size, "tmpfs", path.toString());
      return new Tmpfs(path);
    }

    void remount(String mode) throws Exception {
      run("mount", "-o", "remount," + mode, path.toString());
    }

    @Override
    public void close() throws Exception {
      run("umount", path.toString());
    }

    private static void run(String... command) throws Exception {
      Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
      String output = new String(p.getInputStream().readAllBytes());
      assertTrue(p.waitFor(30, TimeUnit.SECONDS), String.join(" ", command));
      assertEquals(0, p.exitValue(), String.join(" ", command) + " (needs root): " + output);
    }
  }
}
