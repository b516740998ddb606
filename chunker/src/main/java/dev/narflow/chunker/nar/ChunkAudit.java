package dev.narflow.chunker.nar;

import dev.narflow.chunker.blob.BlobChunk;
import dev.narflow.chunker.blob.BlobNotFoundException;
import dev.narflow.chunker.blob.ChunkLists;
import dev.narflow.chunker.store.ChunkStore;
import dev.narflow.topics.castore.B3Digest;
import dev.narflow.topics.castore.v1.FileNode;
import dev.narflow.topics.castore.v1.Node;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * Which chunks a tree needs that a store does not have, asked of the store object by object
 * ({@link ChunkStore#hasChunk}: a HEAD on S3, a stat locally), never downloading a chunk. For a
 * rebuild's check that every servable path would render.
 */
public final class ChunkAudit {
  private ChunkAudit() {}

  /**
   * The chunks (or, for a multi-chunk blob whose index is gone, the blob) of {@code root}'s files
   * missing from {@code store}, at most {@code max} of them.
   *
   * @throws IOException if the store cannot be asked, or a Directory of the tree is missing
   */
  public static List<B3Digest> missing(Node root, DirectoryLookup lookup, ChunkStore store, int max)
      throws IOException {
    List<B3Digest> missing = new ArrayList<>();
    TreeWalk walk = new TreeWalk(root, lookup);
    while (missing.size() < max && walk.next()) {
      if (walk.kind() != TreeWalk.Kind.FILE) continue;
      FileNode file = walk.file();
      if (file.getSize() == 0) continue;
      B3Digest blob = B3Digest.of(file.getDigest());
      List<BlobChunk> chunks;
      try {
        chunks = ChunkLists.resolve(store, blob, file.getSize());
      } catch (BlobNotFoundException e) {
        missing.add(blob);
        continue;
      }
      for (BlobChunk chunk : chunks) {
        if (missing.size() >= max) break;
        if (!store.hasChunk(chunk.digest())) missing.add(chunk.digest());
      }
    }
    return missing;
  }
}
