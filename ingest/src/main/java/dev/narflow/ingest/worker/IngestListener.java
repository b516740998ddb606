package dev.narflow.ingest.worker;

import dev.narflow.chunker.nar.ImportStats;
import dev.narflow.topics.nix.StorePath;
import dev.narflow.topics.v1.FetchFailure;

/**
 * Progress of an {@link IngestWorker}, for the CLI's progress line and for metrics. Called from
 * the worker's threads, concurrently for different paths: implementations must be thread-safe
 * and quick (a slow listener slows the worker; one that throws is logged and otherwise ignored).
 */
public interface IngestListener {
  /** The narinfo of {@code path} is verified and its NAR is about to be fetched. */
  default void started(StorePath path, long narSize) {}

  /** Another {@code narBytes} decompressed NAR bytes were read (a delta, from any path). */
  default void bytesRead(long narBytes) {}

  /**
   * Every chunk of {@code path} is durable in the chunk store; its records are about to be
   * committed. A path may get here more than once (a retry, a rebalance, a crash before commit).
   */
  default void imported(StorePath path, ImportStats stats) {}

  /** The PathInfo of {@code path} and everything it needs are committed to the index. */
  default void indexed(StorePath path, ImportStats stats, long narSize, long fileSize) {}

  /** {@code path} was given up on; {@code failure} is committed to narflow.failures. */
  default void failed(StorePath path, FetchFailure failure) {}

  /** A listener that does nothing. */
  IngestListener NONE = new IngestListener() {};
}
