package dev.narflow.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.narflow.topics.testing.Fixtures;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The real executable, as an operator runs it: ops/bin/narflow over the packaged shaded jar. */
class LauncherIT {
  private static final Path LAUNCHER = Path.of("bin", "narflow").toAbsolutePath();

  record Result(int exit, String out, String err) {}

  static Result narflow(String... args) throws Exception {
    assertTrue(Files.isExecutable(LAUNCHER), LAUNCHER + " must be executable");
    assertTrue(Files.isRegularFile(Path.of("target", "narflow.jar")), "package phase must have built the jar");
    List<String> command = new java.util.ArrayList<>(List.of(LAUNCHER.toString()));
    command.addAll(List.of(args));
    Process p = new ProcessBuilder(command).start();
    CompletableFuture<byte[]> err = CompletableFuture.supplyAsync(() -> {
      try {
        return p.getErrorStream().readAllBytes();
      } catch (Exception e) {
        throw new RuntimeException(e);
      }
    });
    byte[] out = p.getInputStream().readAllBytes();
    assertTrue(p.waitFor(2, TimeUnit.MINUTES), "narflow did not finish");
    return new Result(p.exitValue(), new String(out, StandardCharsets.UTF_8),
        new String(err.get(), StandardCharsets.UTF_8));
  }

  @Test
  void inspectPrintsTheContractLines() throws Exception {
    Result r = narflow("inspect", Fixtures.path("nar/valid/complicated.nar").toString());
    assertEquals(0, r.exit(), r.err());
    List<String> lines = r.out().lines().toList();
    assertEquals("nar-sha256: sha256:06li2smqgskxxr291x1cgzf61rzm7c8f93bisnglq0nzm1wj5mgb", lines.get(0));
    assertEquals("nar-size: 840", lines.get(1));
    assertEquals("root: directory 424a7f6ce08d805d15b428062faae96299a1675d708c3a39261afe38cdd04feb size 8", lines.get(2));
    assertEquals("", r.err(), "nothing but narflow's own messages on stderr");
  }

  @Test
  void readsANarFromAPipe() throws Exception {
    Path nar = Fixtures.path("nar/valid/complicated.nar");
    Process p = new ProcessBuilder(LAUNCHER.toString(), "inspect", "-")
        .redirectInput(ProcessBuilder.Redirect.from(nar.toFile())).start();
    // The launcher's stdin here is a file; through a shell pipe it is a pipe: test both.
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(2, TimeUnit.MINUTES));
    assertEquals(0, p.exitValue());
    assertTrue(out.startsWith("nar-sha256: sha256:06li2smqgskxxr291x1cgzf61rzm7c8f93bisnglq0nzm1wj5mgb\n"), out);

    Process piped = new ProcessBuilder("bash", "-c",
        "cat \"$1\" | \"$2\" inspect /dev/stdin", "inspect-pipe", nar.toString(), LAUNCHER.toString()).start();
    String pipedOut = new String(piped.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    String pipedErr = new String(piped.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(piped.waitFor(2, TimeUnit.MINUTES));
    assertEquals(0, piped.exitValue(), pipedErr);
    assertEquals(out, pipedOut);
  }

  @Test
  void invalidInputIsOneLineOnStderrAndNonZero() throws Exception {
    Result r = narflow("inspect", Fixtures.path("nar/invalid/dotdot.nar").toString());
    assertEquals(1, r.exit());
    assertEquals("", r.out());
    List<String> err = r.err().lines().toList();
    assertEquals(1, err.size(), r.err());
    assertTrue(err.get(0).startsWith("narflow inspect: bad NAR: "), err.get(0));
  }

  @Test
  void helpNamesEveryOptionWithItsEnvironmentVariable() throws Exception {
    Result r = narflow("inspect", "--help");
    assertEquals(0, r.exit(), r.err());
    for (String env : List.of("NARFLOW_CHUNK_SIZE", "NARFLOW_ZSTD_LEVEL", "NARFLOW_THREADS")) {
      assertTrue(r.out().contains(env), "help must name " + env + ":\n" + r.out());
    }
  }

  @Test
  void mirrorRunsTheEmbeddedBrokerFromTheJarAndOnlyNarflowSpeaks(@org.junit.jupiter.api.io.TempDir Path tmp)
      throws Exception {
    Path data = tmp.resolve("data");
    Result r = narflow("mirror", "--data", data.toString(), "/nix/store/0c4aff6w3sd2ryzjkfm5aqy3gz0w2lsy-hello-2.12");
    assertEquals(2, r.exit(), r.err());
    List<String> err = r.err().lines().toList();
    // The broker's and the clients' own logging stays out of the operator's way.
    assertEquals(2, err.size(), r.err());
    assertTrue(err.get(0).startsWith("embedded Kafka formatted and started in "), r.err());
    assertEquals("narflow mirror: not wired yet", err.get(1));
    assertTrue(Files.isRegularFile(data.resolve("kafka").resolve("meta.properties")));
  }
}
