package dev.narflow.indexer;

import dev.narflow.topics.kafka.StorePathKey;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Progress of mirroring the closures of some roots, as far as the indexer knows them now.
 *
 * @param pathsKnown paths of the roots' closures known so far: the roots and every reference of
 *     an indexed path reached from them
 * @param pathsIndexed of those, the ones whose PathInfo is indexed
 * @param pathsClosureComplete of those, the ones that are done: closure-complete, or for a root
 *     requested without closure, tree-complete
 * @param narBytesIndexed sum of NarSize over the indexed ones
 * @param failures the known paths given up on and not requested again since
 * @param waiting indexed but incomplete paths → what each still waits on: references not yet
 *     closure-complete, or the path itself while its own tree is not complete
 * @param complete every root is done
 * @param pathsInFlight of the known paths, those forwarded to the workers and neither indexed nor
 *     failed since: while any is, a failure elsewhere in the closure is not the end of the run
 */
public record MirrorStatus(long pathsKnown, long pathsIndexed, long pathsClosureComplete, long narBytesIndexed,
    List<PathFailure> failures, Map<StorePathKey, Set<StorePathKey>> waiting, boolean complete, long pathsInFlight) {
  public MirrorStatus {
    failures = List.copyOf(failures);
    waiting = Map.copyOf(waiting);
  }

  /** A status with nothing in flight. */
  public MirrorStatus(long pathsKnown, long pathsIndexed, long pathsClosureComplete, long narBytesIndexed,
      List<PathFailure> failures, Map<StorePathKey, Set<StorePathKey>> waiting, boolean complete) {
    this(pathsKnown, pathsIndexed, pathsClosureComplete, narBytesIndexed, failures, waiting, complete, 0);
  }
}
