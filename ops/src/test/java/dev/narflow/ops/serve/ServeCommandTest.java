package dev.narflow.ops.serve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.narflow.ops.Cli;
import dev.narflow.ops.Narflow;
import dev.narflow.ops.OptionDefaults;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ServeCommandTest {
  @TempDir Path tmp;


  static Cli.Run serve(Map<String, String> env, String... args) {
    return Cli.run(env, Stream.concat(Stream.of("serve"), Stream.of(args)).toArray(String[]::new));
  }

  static void assertUsage(Cli.Run r, String message) {
    assertEquals(2, r.exit(), r.err());
    assertEquals(1, r.err().lines().count(), r.err());
    assertTrue(r.err().startsWith("narflow serve: " + message), r.err());
  }

  @Test
  void badOptionsAreExit2WithOneLine() throws Exception {
    String data = tmp.resolve("data").toString();
    assertUsage(serve(Map.of()), "--data DIR is required");
    assertUsage(serve(Map.of(), "--data", data, "--listen", "localhost"), "invalid --listen localhost: not HOST:PORT");
    assertUsage(serve(Map.of("NARFLOW_LISTEN", "h:99999"), "--data", data),
        "invalid --listen h:99999 (from NARFLOW_LISTEN): not HOST:PORT");
    assertUsage(serve(Map.of(), "--data", data, "--compression", "xz"), "invalid --compression xz: must be zstd or none");
    assertUsage(serve(Map.of(), "--data", data, "--priority", "-1"), "invalid --priority -1: must be between 0 and 1000");
    assertUsage(serve(Map.of(), "--data", data, "--chunk-cache-size", "lots"), "Invalid value for option '--chunk-cache-size'");
    assertUsage(serve(Map.of("NARFLOW_CHUNK_CACHE_SIZE", "64T"), "--data", data),
        "invalid --chunk-cache-size (from NARFLOW_CHUNK_CACHE_SIZE): 64.0 TiB is more than half the heap");
    Path missing = tmp.resolve("missing.sec");
    assertUsage(serve(Map.of(), "--data", data, "--signing-key", missing.toString()), "--signing-key " + missing + ": ");
    Path notAKey = Files.writeString(tmp.resolve("bad.sec"), "not a key");
    assertUsage(serve(Map.of(), "--data", data, "--signing-key", notAKey.toString()), "--signing-key " + notAKey + ": ");
    assertFalse(Files.exists(tmp.resolve("data")), "nothing is made before the options check out");
    try (ServerSocket taken = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      assertUsage(serve(Map.of(), "--data", data, "--listen", "127.0.0.1:" + taken.getLocalPort()),
          "cannot listen on 127.0.0.1:" + taken.getLocalPort());
    }
  }

  @Test
  void helpNamesEveryOptionAndItsVariable() {
    Cli.Run r = serve(Map.of(), "--help");
    assertEquals(0, r.exit());
    for (String option : List.of("--config", "--data", "--listen", "--signing-key", "--compression", "--priority",
        "--chunk-cache-size", "--chunk-store", "--bootstrap-servers", "--topic-prefix")) {
      assertTrue(r.out().contains(option), option);
      assertTrue(r.out().replaceAll("\\s+", " ").contains(OptionDefaults.variableOf(option)), option + " in " + r.out());
    }
  }

  /** The command as an operator runs it: answers until SIGTERM, then stops cleanly. */
  @Test
  void servesUntilSignalledThenStopsCleanly() throws Exception {
    int port;
    try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      port = s.getLocalPort();
    }
    Path dir = tmp.resolve("served");
    ProcessBuilder child = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-cp", System.getProperty("java.class.path"), Narflow.class.getName(),
        "serve", "--data", dir.toString(), "--listen", "127.0.0.1:" + port)
        .redirectOutput(ProcessBuilder.Redirect.DISCARD);
    child.environment().keySet().removeIf(k -> k.startsWith("NARFLOW_"));
    Process p = child.start();
    try (BufferedReader err = new BufferedReader(new InputStreamReader(p.getErrorStream(), StandardCharsets.UTF_8))) {
      String line;
      while ((line = err.readLine()) != null && !line.startsWith("serving ")) {
        // slf4j and JVM lines before it
      }
      assertTrue(line != null && line.contains("on http://127.0.0.1:" + port), "serving line: " + line);
      HttpResponse<String> info = HttpClient.newHttpClient().send(
          HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/nix-cache-info")).build(),
          HttpResponse.BodyHandlers.ofString());
      assertEquals(200, info.statusCode());
      assertTrue(info.body().startsWith("StoreDir: /nix/store\n"), info.body());
      p.toHandle().destroy(); // SIGTERM
      boolean stopping = false;
      while ((line = err.readLine()) != null) stopping |= line.equals("stopping");
      assertTrue(stopping, "the command saw the stop");
      assertTrue(p.waitFor(2, TimeUnit.MINUTES));
      assertEquals(143, p.exitValue(), "the JVM's status after SIGTERM (128 + 15), once the hooks have run");
      assertTrue(Files.exists(dir.resolve("kafka/.kafka_cleanshutdown")), "the broker stopped cleanly");
    } finally {
      p.destroyForcibly();
    }
  }
}
