package dev.narflow.chunker.nar;

import dev.narflow.topics.castore.B3Digest;
import dev.narflow.topics.castore.v1.Directory;
import dev.narflow.topics.castore.v1.Node;
import dev.narflow.topics.castore.v1.StatBlobResponse;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A NAR imported into castore. Every chunk of every file is stored (and, after the store's {@code
 * flush}, durable) when an ImportResult exists.
 *
 * @param root the tree's root; its name is empty (a PathInfo names it)
 * @param narSha256 SHA-256 of the NAR's bytes (32 bytes; the NarHash)
 * @param narSize length of the NAR (the NarSize)
 * @param directories every Directory of the tree once, children before parents, the root's last
 *     (none when the root is a file or symlink)
 * @param blobIndexes the {@code StatBlobResponse} of every blob of more than one chunk, by blob
 *     digest, each once
 * @param stats counts and sizes
 */
public record ImportResult(
    Node root,
    byte[] narSha256,
    long narSize,
    List<Directory> directories,
    Map<B3Digest, StatBlobResponse> blobIndexes,
    ImportStats stats) {

  public ImportResult {
    Objects.requireNonNull(root, "root");
    if (narSha256.length != 32) throw new IllegalArgumentException("SHA-256 is 32 bytes, got " + narSha256.length);
    narSha256 = narSha256.clone();
    directories = List.copyOf(directories);
    blobIndexes = Collections.unmodifiableMap(new LinkedHashMap<>(blobIndexes));
    Objects.requireNonNull(stats, "stats");
  }

  /** A copy: the array is not shared. */
  @Override
  public byte[] narSha256() {
    return narSha256.clone();
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof ImportResult r && root.equals(r.root) && java.util.Arrays.equals(narSha256, r.narSha256)
        && narSize == r.narSize && directories.equals(r.directories)
        && blobIndexes.equals(r.blobIndexes) && stats.equals(r.stats);
  }

  @Override
  public int hashCode() {
    return Objects.hash(root, java.util.Arrays.hashCode(narSha256), narSize, directories, blobIndexes, stats);
  }

  @Override
  public String toString() {
    return "ImportResult(root=" + root.getNodeCase() + ", narSha256=" + java.util.HexFormat.of().formatHex(narSha256)
        + ", narSize=" + narSize + ", " + directories.size() + " directories, " + blobIndexes.size()
        + " blob indexes, " + stats + ")";
  }
}
