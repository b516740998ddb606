package dev.narflow.ops.mirror;

import dev.narflow.ops.ConfigurationException;

/**
 * The part of {@code narflow mirror} that mirrors: given validated options and a prepared
 * environment (data directory, Kafka with the topics created, progress), it enqueues the paths,
 * runs the router and workers, follows the status and returns the exit code. {@link MirrorCommand}
 * owns everything around it (parsing, the environment, closing it).
 */
@FunctionalInterface
public interface MirrorRun {
  /**
   * @return 0 when every requested closure is complete (with {@code --no-closure}: every
   *     requested path is indexed), 1 when paths failed (after listing them)
   * @throws ConfigurationException for an unreachable Kafka, S3 or upstream: exit 2, one line
   */
  int run(MirrorOptions options, MirrorEnvironment environment) throws ConfigurationException, Exception;

  /** Until the router and the workers are wired in: says so, exit 2. */
  MirrorRun NOT_WIRED = (options, environment) -> {
    throw new ConfigurationException("not wired yet");
  };
}
