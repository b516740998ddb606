package dev.narflow.chunker.store;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.narflow.chunker.hash.Blake3;
import dev.narflow.topics.castore.B3Digest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LocalDirectoryChunkStoreTest extends ChunkStoreContract {
  @TempDir Path dir;
  LocalDirectoryBackend local;

  /** The backend under test; the rename-fallback test opens it in its other mode. */
  LocalDirectoryBackend openBackend(Path root) throws Exception {
    return LocalDirectoryBackend.open(root);
  }

  @Override
  protected ObjectBackend newBackend() throws Exception {
    local = openBackend(dir.resolve("store"));
    return local;
  }

  @Override
  protected void overwriteStoredObject(String key, byte[] content) throws Exception {
    Path file = local.pathOf(key);
    Files.createDirectories(file.getParent());
    Files.write(file, content);
  }

  @Test
  void objectsAreFilesInSnixLayoutAndNoTemporaryFileRemains() throws Exception {
    byte[] data = "hello chunk".getBytes();
    B3Digest digest = Blake3.hash(data);
    store.putChunk(digest, data);
    store.putBlobIndex(digest, new byte[] {1});
    store.flush();
    String hex = digest.hex();
    Path chunk = dir.resolve("store/chunks/b3/" + hex.substring(0, 4) + "/" + hex);
    assertTrue(Files.isRegularFile(chunk), chunk.toString());
    assertTrue(Files.isRegularFile(dir.resolve("store/blobs/b3/" + hex.substring(0, 4) + "/" + hex)));
    try (Stream<Path> files = Files.walk(dir)) {
      List<Path> temporary =
          files.filter(p -> p.getFileName().toString().startsWith(".")).toList();
      assertEquals(List.of(), temporary);
    }
  }

  @Test
  void rewriteAttemptKeepsTheSameFile() throws Exception {
    byte[] data = "same".getBytes();
    B3Digest digest = Blake3.hash(data);
    store.putChunk(digest, data);
    store.flush();
    Path file = local.pathOf(StoreLayout.chunkKey(digest));
    Object inode = Files.readAttributes(file, "unix:ino").get("ino");
    assertFalse(local.putIfAbsent(StoreLayout.chunkKey(digest), new byte[] {7}, 0, 1));
    assertEquals(inode, Files.readAttributes(file, "unix:ino").get("ino"));
    assertArrayEquals(data, store.getChunk(digest, data.length));
  }

  @Test
  void keysCannotLeaveTheRoot() {
    for (String bad : new String[] {"../x", "/etc/passwd", "a/../../b", "a//b", ".hidden", "a/.b", ""}) {
      assertThrows(IllegalArgumentException.class, () -> local.pathOf(bad), bad);
    }
  }

  @Test
  void worksWithoutFsync() throws Exception {
    try (LocalDirectoryBackend fast = LocalDirectoryBackend.open(dir.resolve("fast"), false)) {
      assertTrue(fast.putIfAbsent("a/b", new byte[] {1, 2}, 1, 1));
      assertArrayEquals(new byte[] {2}, fast.get("a/b", 1).orElseThrow());
      assertThrows(ObjectTooLargeException.class, () -> fast.get("a/b", 0));
    }
  }
}
