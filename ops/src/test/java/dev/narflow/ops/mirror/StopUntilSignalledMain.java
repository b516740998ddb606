package dev.narflow.ops.mirror;

import dev.narflow.ops.Narflow;
import java.time.Duration;

/**
 * {@code narflow mirror} with a run that only waits for Ctrl-C, in a process of its own, so that a
 * test can signal it for real and look at what the broker left behind.
 */
public final class StopUntilSignalledMain {
  private StopUntilSignalledMain() {}

  public static void main(String[] args) {
    MirrorRun waitForStop = (options, env) -> {
      env.out().println("running");
      env.out().flush();
      while (!env.stop().await(Duration.ofSeconds(1))) {
        // a real run would follow the status here
      }
      env.out().println("stopping");
      env.out().flush();
      return 0;
    };
    System.exit(Narflow.commandLine(System.getenv(), waitForStop).execute(args));
  }
}
