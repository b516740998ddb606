package dev.narflow.chunker.store;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.io.TempDir;

/** The contract on the publishing fallback for file systems without hard links. */
class LocalDirectoryRenameChunkStoreTest extends ChunkStoreContract {
  @TempDir Path dir;
  private LocalDirectoryBackend local;

  @Override
  protected ObjectBackend newBackend() throws Exception {
    local = LocalDirectoryBackend.open(dir, false, false);
    return local;
  }

  @Override
  protected void overwriteStoredObject(String key, byte[] content) throws Exception {
    Path file = local.pathOf(key);
    Files.createDirectories(file.getParent());
    Files.write(file, content);
  }

  /** Renaming checks the name first; racing writers may both publish (identical content). */
  @Override
  protected boolean exclusiveCreate() {
    return false;
  }
}
