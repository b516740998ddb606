package dev.narflow.indexer;

import dev.narflow.topics.kafka.StorePathKey;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * What the indexer knows about one store path.
 *
 * @param path the path's key
 * @param baseName {@code <hash>-<name>} when a request or PathInfo named it, else empty
 * @param state where it stands
 * @param closureWanted some request asked for its closure
 * @param narSize NarSize once indexed, else 0
 * @param references its references once indexed (may include itself)
 * @param failure the failure while {@link PathState#FAILED}
 * @param waitsOn while indexed but not closure-complete: the references not yet closure-complete,
 *     and the path itself while its own tree is incomplete
 */
public record PathStatus(StorePathKey path, String baseName, PathState state, boolean closureWanted, long narSize,
    List<StorePathKey> references, Optional<PathFailure> failure, Set<StorePathKey> waitsOn) {
  public PathStatus {
    references = List.copyOf(references);
    waitsOn = Set.copyOf(waitsOn);
  }

}
