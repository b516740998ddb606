package dev.narflow.ops.serve;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.narflow.ops.Narflow;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.concurrent.TimeUnit;

/**
 * {@code narflow serve} of a mirror in a child JVM with a small heap that ends at its first
 * OutOfMemoryError, started from the test classpath: the memory tests' server.
 */
final class SmallHeapServe implements AutoCloseable {
  private static final int TAIL_LINES = 40;

  private final Process process;
  private final String url;
  /** The last lines serve wrote to stderr after it started: what a failing test reports. */
  private final Deque<String> tail = new ArrayDeque<>();

  private SmallHeapServe(Process process, String url) {
    this.process = process;
    this.url = url;
  }

  /** Starts it and returns once it serves. */
  static SmallHeapServe start(Path data, String maxHeap) throws IOException {
    int port;
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      port = s.getLocalPort();
    }
    ProcessBuilder child = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-Xmx" + maxHeap, "-XX:+ExitOnOutOfMemoryError", "--add-modules", "jdk.incubator.vector",
        "-cp", System.getProperty("java.class.path"), Narflow.class.getName(),
        "serve", "--data", data.toString(), "--listen", "127.0.0.1:" + port)
        .redirectOutput(ProcessBuilder.Redirect.DISCARD);
    child.environment().keySet().removeIf(k -> k.startsWith("NARFLOW_"));
    Process p = child.start();
    SmallHeapServe serve = new SmallHeapServe(p, "http://127.0.0.1:" + port);
    // Not closed here: a reader being drained by another thread blocks close() until the child ends.
    BufferedReader err = new BufferedReader(new InputStreamReader(p.getErrorStream(), StandardCharsets.UTF_8));
    try {
      String line;
      while ((line = err.readLine()) != null && !line.startsWith("serving ")) {
        // start-up lines
      }
      assertTrue(line != null, "serve did not start");
    } catch (IOException | RuntimeException | Error e) {
      serve.close();
      throw e;
    }
    Thread drain = new Thread(() -> {
      try {
        for (String l; (l = err.readLine()) != null; ) serve.keep(l);
      } catch (IOException ignored) {
        // the child ended
      }
    });
    drain.setDaemon(true);
    drain.start();
    return serve;
  }

  String url() {
    return url;
  }

  /** Whether it still runs: it ends at an OutOfMemoryError. */
  boolean alive() {
    return process.isAlive();
  }

  String exit() {
    return process.isAlive() ? "running" : "exit " + process.exitValue();
  }

  private void keep(String line) {
    synchronized (tail) {
      tail.addLast(line);
      if (tail.size() > TAIL_LINES) tail.removeFirst();
    }
  }

  /** Whether it runs, and its last lines on stderr: for the message of a failed assertion. */
  String state() {
    synchronized (tail) {
      return "serve " + exit() + (tail.isEmpty() ? ", nothing on stderr" : ", its stderr ends:\n" + String.join("\n", tail));
    }
  }

  @Override
  public void close() {
    process.destroy();
    try {
      process.waitFor(60, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    process.destroyForcibly();
  }
}
