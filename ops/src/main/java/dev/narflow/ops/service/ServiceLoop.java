package dev.narflow.ops.service;

import dev.narflow.ops.Narflow;
import dev.narflow.ops.StopSignal;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * The life of a long-running service after its start: until SIGTERM, or until what it runs fails
 * (exit 1). After SIGTERM the JVM's own exit status (143) stands: the shutdown hook has held the
 * JVM until the service closed what it opened, and halting with another status would cut short
 * the other hooks (Kafka's, logging's) that run beside it.
 */
final class ServiceLoop {
  private static final Duration CHECK = Duration.ofSeconds(1);

  private ServiceLoop() {}

  static int run(String name, StopSignal stop, Supplier<Optional<Throwable>> failure, PrintWriter err)
      throws InterruptedException {
    while (!stop.await(CHECK)) {
      Optional<Throwable> failed = failure.get();
      if (failed.isPresent()) {
        err.println("narflow " + name + ": stopped on an error: " + Narflow.describe(failed.get()));
        err.flush();
        return Narflow.EXIT_FAILURE;
      }
    }
    err.println("narflow " + name + ": stopping");
    err.flush();
    return 0;
  }
}
