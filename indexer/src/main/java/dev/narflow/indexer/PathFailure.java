package dev.narflow.indexer;

import dev.narflow.topics.v1.FetchFailure;

/**
 * A path given up on, as narflow.failures said.
 *
 * @param storePath the full {@code /nix/store/…} path
 * @param upstreamStatus the failing HTTP status, 0 when there was none
 */
public record PathFailure(String storePath, FetchFailure.Reason reason, String message, int upstreamStatus) {}
