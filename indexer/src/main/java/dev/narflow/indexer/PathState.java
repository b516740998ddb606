package dev.narflow.indexer;

/** Where one store path stands, from the indexer's view; later states imply the earlier ones. */
public enum PathState {
  /** Referenced by an indexed path (or asked about), but no request for it seen yet. */
  KNOWN,
  /** Forwarded to the workers, neither indexed nor failed since. */
  IN_FLIGHT,
  /** Given up on (narflow.failures), not requested again since. */
  FAILED,
  /** Its PathInfo is indexed, some Directory below it not yet. */
  INDEXED,
  /** Its PathInfo and every Directory below it are indexed. */
  TREE_COMPLETE,
  /** Tree-complete, and so is every path it references, transitively. */
  CLOSURE_COMPLETE
}
