package dev.narflow.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.narflow.topics.testing.Fixtures;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The real executable, as an operator runs it: ops/bin/narflow over the packaged shaded jar. */
class LauncherIT {
  private static final Path LAUNCHER = Path.of("bin", "narflow").toAbsolutePath();
  private static final Path JAR = Path.of("target", "narflow.jar").toAbsolutePath();

  record Result(int exit, String out, String err) {}

  @TempDir Path tmp;

  static Result narflow(String... args) throws Exception {
    return run(LAUNCHER, Map.of(), args);
  }

  static Result run(Path launcher, Map<String, String> env, String... args) throws Exception {
    assertTrue(Files.isExecutable(launcher), launcher + " must be executable");
    assertTrue(Files.isRegularFile(JAR), "package phase must have built the jar");
    List<String> command = new java.util.ArrayList<>(List.of(launcher.toString()));
    command.addAll(List.of(args));
    ProcessBuilder builder = new ProcessBuilder(command);
    builder.environment().putAll(env);
    Process p = builder.start();
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
    // Nothing listens on port 1: the upstream check fails after the broker has started.
    Result r = narflow("mirror", "--data", data.toString(), "--upstream", "http://127.0.0.1:1",
        "/nix/store/0c4aff6w3sd2ryzjkfm5aqy3gz0w2lsy-hello-2.12");
    assertEquals(2, r.exit(), r.err());
    List<String> err = r.err().lines().toList();
    assertTrue(err.get(0).startsWith("embedded Kafka formatted and started in "), r.err());
    assertTrue(err.get(err.size() - 1).startsWith("narflow mirror: upstream: "), r.err());
    // The broker's and the clients' own logging stays out of the operator's way: no stack
    // trace, no Kafka logger, only narflow's lines.
    assertTrue(err.stream().noneMatch(l -> l.startsWith("\tat ") || l.contains("org.apache.kafka")), r.err());
    assertTrue(err.size() <= 4, r.err());
    assertTrue(Files.isRegularFile(data.resolve("kafka").resolve("meta.properties")));
  }

  @Test
  void noArgumentsPrintUsageToStderrAndExitTwo() throws Exception {
    Result r = narflow();
    assertEquals(2, r.exit(), r.err());
    assertEquals("", r.out());
    assertTrue(r.err().contains("Usage: narflow"), r.err());
  }

  @Test
  void aBadThreadsVariableIsAUsageErrorNamingIt() throws Exception {
    Result r = run(LAUNCHER, Map.of("NARFLOW_THREADS", "-3"), "inspect",
        Fixtures.path("nar/valid/helloworld.nar").toString());
    assertEquals(2, r.exit(), r.err());
    assertTrue(r.err().startsWith("narflow inspect: invalid --threads -3 (from NARFLOW_THREADS): outside 0 to 1024"), r.err());
  }

  /**
   * The rebuild decision, in a copy of the launcher over a small fake source tree. The build tool
   * is a stand-in script on PATH that records its call and touches the jar: a real Maven build of
   * the whole project inside this test would take minutes and rewrite the jar other tests use.
   */
  @Test
  void rebuildsTheJarOnlyWhenSourcesAreNewer() throws Exception {
    Path root = tmp.resolve("repo");
    Path launcher = Files.createDirectories(root.resolve("ops/bin")).resolve("narflow");
    Files.copy(LAUNCHER, launcher);
    Path jar = Files.createDirectories(root.resolve("ops/target")).resolve("narflow.jar");
    Files.copy(JAR, jar);
    Path source = Files.createDirectories(root.resolve("chunker/src/main/java")).resolve("A.java");
    Files.writeString(source, "class A {}");
    Files.writeString(root.resolve("pom.xml"), "<project/>");
    Path calls = tmp.resolve("mvn-calls");
    Path bin = Files.createDirectories(tmp.resolve("bin"));
    Path mvn = bin.resolve("mvn");
    Files.writeString(mvn, "#!/bin/sh\necho \"$*\" >> '" + calls + "'\ntouch '" + jar + "'\n");
    Files.setPosixFilePermissions(mvn, PosixFilePermissions.fromString("rwxr-xr-x"));
    Map<String, String> env = Map.of("PATH", bin + ":" + System.getenv("PATH"));

    Instant now = Instant.now();
    try (var tree = Files.walk(root)) {
      for (Path p : tree.toList()) Files.setLastModifiedTime(p, FileTime.from(now.minusSeconds(3600)));
    }
    Files.setLastModifiedTime(jar, FileTime.from(now.minusSeconds(60)));
    Result fresh = run(launcher, env, "--version");
    assertEquals(0, fresh.exit(), fresh.err());
    assertFalse(Files.exists(calls), "a jar newer than every source must not be rebuilt");

    Files.setLastModifiedTime(source, FileTime.from(now.minusSeconds(10)));
    Result stale = run(launcher, env, "--version");
    assertEquals(0, stale.exit(), stale.err());
    assertTrue(stale.err().contains("sources changed since it was built"), stale.err());
    assertEquals(List.of("-B -q -DskipTests -pl ops -am package"), Files.readAllLines(calls));

    Result again = run(launcher, env, "--version");
    assertEquals(0, again.exit(), again.err());
    assertEquals(1, Files.readAllLines(calls).size(), "the rebuilt jar is fresh: no second build");
  }
}
