package dev.narflow.exporter.http;

import dev.narflow.chunker.nar.DirectoryLookup;
import dev.narflow.chunker.nar.NarLayout;
import dev.narflow.topics.castore.v1.Node;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * The layouts of the NARs most recently asked for by range, by NarHash, within a bound on their
 * heap: a client resuming or splitting a download asks for many ranges of one NAR, and each would
 * otherwise walk the tree (a Directory lookup and BLAKE3 check each) twice. A served NAR never
 * changes, so a layout never goes stale. A tree whose layout alone would take more than a quarter of
 * the bound is not kept (its ranges are rendered with a walk).
 */
final class NarLayouts {
  private final long maxBytes;
  private final LinkedHashMap<ByteBuffer, NarLayout> layouts = new LinkedHashMap<>(64, 0.75f, true);
  private long bytes;
  private long hits;
  private long misses;

  NarLayouts(long maxBytes) {
    if (maxBytes < 1) throw new IllegalArgumentException("maxBytes must be positive, got " + maxBytes);
    this.maxBytes = maxBytes;
  }

  /** The cached layout of the NAR whose SHA-256 is {@code narSha256}, if any. */
  synchronized Optional<NarLayout> cached(byte[] narSha256) {
    NarLayout layout = layouts.get(ByteBuffer.wrap(narSha256));
    if (layout != null) hits++;
    return Optional.ofNullable(layout);
  }

  /**
   * The layout of the NAR {@code narSha256} of tree {@code root}: cached, or walked now (outside the
   * lock) and kept; empty for a tree too large to keep.
   */
  Optional<NarLayout> get(byte[] narSha256, Node root, DirectoryLookup lookup) throws IOException {
    Optional<NarLayout> cached = cached(narSha256);
    if (cached.isPresent()) return cached;
    Optional<NarLayout> walked = NarLayout.of(root, lookup, maxBytes / 4);
    synchronized (this) {
      misses++;
      if (walked.isEmpty()) return walked;
      NarLayout previous = layouts.put(ByteBuffer.wrap(narSha256.clone()), walked.get());
      bytes += walked.get().bytes() - (previous == null ? 0 : previous.bytes());
      for (Iterator<Map.Entry<ByteBuffer, NarLayout>> it = layouts.entrySet().iterator(); bytes > maxBytes && it.hasNext(); ) {
        bytes -= it.next().getValue().bytes();
        it.remove();
      }
    }
    return walked;
  }

  /** Layouts found cached, and walked. */
  synchronized long hits() {
    return hits;
  }

  synchronized long misses() {
    return misses;
  }

  synchronized long bytes() {
    return bytes;
  }
}
