package dev.narflow.ops;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * {@code narflow} in a JVM of its own, from the shaded jar that the package phase built (so ITs
 * only): its stdout and stderr collected as they come, stopped with SIGTERM or killed with SIGKILL.
 */
public final class ChildJvm implements AutoCloseable {
  public static final Path JAR = Path.of("target", "narflow.jar").toAbsolutePath();

  private final String name;
  private final Process process;
  private final ByteArrayOutputStream stdout = new ByteArrayOutputStream();
  private final ByteArrayOutputStream stderr = new ByteArrayOutputStream();
  private final List<Thread> drains = new ArrayList<>();

  private ChildJvm(String name, Process process) {
    this.name = name;
    this.process = process;
  }

  /** {@code java -jar narflow.jar ARGS…}, with {@code env} added to this process's environment. */
  public static ChildJvm narflow(String name, Map<String, String> env, List<String> args) throws IOException {
    if (!Files.isRegularFile(JAR)) throw new IllegalStateException("package phase must have built " + JAR);
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    List<String> command = new ArrayList<>(List.of(java, "--add-modules", "jdk.incubator.vector", "-Xmx384m",
        "-XX:TieredStopAtLevel=1", "-jar", JAR.toString()));
    command.addAll(args);
    return start(name, env, command);
  }

  /** Any command. */
  public static ChildJvm start(String name, Map<String, String> env, List<String> command) throws IOException {
    ProcessBuilder b = new ProcessBuilder(new ArrayList<>(command));
    b.environment().putAll(env);
    Process p = b.start();
    p.getOutputStream().close();
    ChildJvm c = new ChildJvm(name, p);
    c.drains.add(drain(p.getInputStream(), c.stdout));
    c.drains.add(drain(p.getErrorStream(), c.stderr));
    return c;
  }

  private static Thread drain(InputStream in, ByteArrayOutputStream to) {
    Thread t = new Thread(() -> {
      byte[] buffer = new byte[8192];
      try {
        for (int n; (n = in.read(buffer)) > 0; ) {
          synchronized (to) {
            to.write(buffer, 0, n);
          }
        }
      } catch (IOException ignored) {
        // the process ended
      }
    });
    t.setDaemon(true);
    t.start();
    return t;
  }

  public Process process() {
    return process;
  }

  public String out() {
    synchronized (stdout) {
      return stdout.toString(StandardCharsets.UTF_8);
    }
  }

  public String err() {
    synchronized (stderr) {
      return stderr.toString(StandardCharsets.UTF_8);
    }
  }

  /** Waits until {@code condition} holds; fails naming {@code what} with this child's output otherwise. */
  public void await(String what, Duration timeout, BooleanSupplier condition) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!condition.getAsBoolean()) {
      if (!process.isAlive() && !condition.getAsBoolean()) {
        throw new AssertionError(name + " ended (exit " + process.exitValue() + ") before " + what + ":\n" + err());
      }
      if (System.nanoTime() > deadline) throw new AssertionError("timed out waiting for " + what + " in " + name + ":\n" + err());
      Thread.sleep(100);
    }
  }

  /** Runs to its end; the exit code. */
  public int waitFor(Duration timeout) throws InterruptedException {
    if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
      process.destroyForcibly();
      throw new AssertionError(name + " did not end within " + timeout.toSeconds() + " s:\n" + out() + err());
    }
    for (Thread t : drains) t.join(10_000); // the last of its output
    return process.exitValue();
  }

  /** SIGKILL: no shutdown hook runs. */
  public void kill() throws InterruptedException {
    process.destroyForcibly();
    if (!process.waitFor(30, TimeUnit.SECONDS)) throw new AssertionError(name + " survived SIGKILL");
  }

  /** SIGTERM, and its exit code once it ended. */
  public int stop(Duration timeout) throws InterruptedException {
    // Process.destroy() would also close our ends of its pipes, and lose what it says while stopping.
    process.toHandle().destroy();
    return waitFor(timeout);
  }

  /** Whatever happened, nothing outlives the test. */
  @Override
  public void close() throws InterruptedException {
    if (process.isAlive()) {
      process.destroyForcibly();
      process.waitFor(30, TimeUnit.SECONDS);
    }
  }

  @Override
  public String toString() {
    return name;
  }
}
