package dev.narflow.ingest.worker;

import dev.narflow.chunker.nar.ImportStats;
import dev.narflow.ingest.upstream.UpstreamObserver;
import dev.narflow.topics.nix.StorePath;
import dev.narflow.topics.v1.FetchFailure;
import java.util.List;

/**
 * Progress of an {@link IngestWorker}, for the CLI's progress line and for metrics
 * ({@link WorkerMetrics}); also told of every upstream request ({@link UpstreamObserver}). Called
 * from the worker's threads, concurrently for different paths: implementations must be
 * thread-safe and quick (a slow listener slows the worker; one that throws is logged and
 * otherwise ignored).
 */
public interface IngestListener extends UpstreamObserver {
  /** The narinfo of {@code path} is verified and its NAR is about to be fetched (once per attempt). */
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

  /**
   * Attempt {@code attempt} at {@code path} failed with {@code reason}, which may pass: the
   * path is tried again after a backoff.
   */
  default void retrying(StorePath path, FetchFailure.Reason reason, int attempt) {}

  /** {@code path} was given up on; {@code failure} is committed to narflow.failures. */
  default void failed(StorePath path, FetchFailure failure) {}

  /** A transaction of {@code paths} outcomes committed, {@code nanos} after it began. */
  default void transactionCommitted(int paths, long nanos) {}

  /** A transaction of {@code paths} outcomes failed and was aborted; their partitions are redone. */
  default void transactionAborted(int paths) {}

  /** A listener that does nothing. */
  IngestListener NONE = new IngestListener() {};

  /** One listener telling each of {@code listeners} in turn; one that throws does not keep the others from hearing. */
  static IngestListener all(List<IngestListener> listeners) {
    List<IngestListener> list = List.copyOf(listeners);
    if (list.isEmpty()) return NONE;
    if (list.size() == 1) return list.get(0);
    return new IngestListeners(list);
  }
}
