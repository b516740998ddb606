package dev.narflow.chunker.store;

import java.nio.file.Path;

/**
 * The contract, and the local backend's own checks, on the publishing fallback for file systems
 * without hard links.
 */
class LocalDirectoryRenameChunkStoreTest extends LocalDirectoryChunkStoreTest {
  @Override
  LocalDirectoryBackend openBackend(Path root) throws Exception {
    return LocalDirectoryBackend.open(root, false, false);
  }

  /** Renaming checks the name first; racing writers may both publish (identical content). */
  @Override
  protected boolean exclusiveCreate() {
    return false;
  }
}
