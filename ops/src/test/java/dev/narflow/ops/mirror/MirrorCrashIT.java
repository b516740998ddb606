package dev.narflow.ops.mirror;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.narflow.chunker.store.ChunkStore;
import dev.narflow.ingest.testing.NixCacheFixture;
import dev.narflow.ops.ChildJvm;
import dev.narflow.topics.kafka.IndexKey;
import dev.narflow.topics.nix.StorePath;
import dev.narflow.topics.testing.RealNix;
import dev.narflow.topics.v1.IndexRecord;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Crash safety of {@code narflow mirror} for real: the shaded jar runs in a child JVM, which is
 * killed with SIGKILL while a large NAR is half downloaded (the upstream holds the rest back), and
 * a second run on the same DIR must complete the closure, every path rendering to its NAR.
 */
class MirrorCrashIT {
  private static final Path JAR = Path.of("target", "narflow.jar").toAbsolutePath();
  private static final Duration RERUN_TIMEOUT = Duration.ofMinutes(3);

  /**
   * The kill lands at a different moment of the dead run every time (the broker's transaction
   * completion included), so one run proves little; {@code -Dnarflow.crashRuns=N} repeats it.
   */
  @Test
  void aMirrorKilledInTheMiddleOfALargeNarLosesNothing(@TempDir Path tmp) throws Exception {
    int runs = Integer.getInteger("narflow.crashRuns", 1);
    for (int i = 0; i < runs; i++) {
      long started = System.nanoTime();
      killAndRerun(Files.createDirectories(tmp.resolve("run" + i)));
      System.err.printf("MirrorCrashIT run %d passed in %.1f s%n", i, (System.nanoTime() - started) / 1e9);
    }
  }

  private void killAndRerun(Path tmp) throws Exception {
    assertTrue(Files.isRegularFile(JAR), "package phase must have built the jar");
    try (NixCacheFixture cache = NixCacheFixture.create(tmp.resolve("upstream"))) {
      String small = cache.build("mirror-crash-small", "echo small > $out", List.of());
      String large = cache.build("mirror-crash-large", "/bin/mkdir $out; echo $in0 > $out/ref;"
          + " /usr/bin/head -c 24000000 /dev/urandom > $out/big", List.of(small));
      cache.copy(small, "zstd", false);
      cache.copy(large, "none", false);
      String largeNar = cache.narFile(large).getFileName().toString();
      cache.faults().stallAfter(largeNar, 8_000_000, 1);

      Path data = tmp.resolve("mirror");
      List<String> command = List.of("java", "--add-modules", "jdk.incubator.vector", "-Xmx512m", "-jar", JAR.toString(),
          "mirror", "--data", data.toString(), "--upstream", cache.url().toString(),
          "--trusted-public-key", cache.publicKey(), "--progress", "log", large);

      ChildJvm first = ChildJvm.start("first run", Map.of(), command);
      try {
        await("the small path mirrored and the large NAR half sent",
            () -> first.err().contains("mirrored " + small) && cache.requestCount(largeNar) >= 1);
      } finally {
        first.process().destroyForcibly(); // SIGKILL: no shutdown hook runs
        assertTrue(first.process().waitFor(30, TimeUnit.SECONDS), "the killed JVM did not end");
      }
      assertEquals(137, first.process().exitValue(), "killed by SIGKILL:\n" + first.err());

      ChildJvm second = ChildJvm.start("second run", Map.of(), command);
      // After a SIGKILL the broker waits out its dead incarnation's session (about 10 s) and Kafka
      // Streams rebuilds every task from its changelog (EOS wipes stores without a checkpoint):
      // 20-40 s unloaded. A rerun that hangs says why: the broker's open transactions, last stable
      // offsets and groups, and the child's threads.
      boolean finished = second.process().waitFor(RERUN_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
      if (!finished) {
        String diagnostics = diagnostics(second);
        second.process().destroyForcibly();
        second.process().waitFor(30, TimeUnit.SECONDS);
        fail("the second run did not finish within " + RERUN_TIMEOUT.toSeconds() + " s:\n" + second.err()
            + "\n" + diagnostics);
      }
      assertEquals(0, second.process().exitValue(), second.err());
      assertTrue(second.out().startsWith("2 paths: 2 complete, 0 failed;"), second.out() + second.err());
      assertTrue(cache.requestCount(largeNar) >= 2, "the large NAR was fetched again");

      Map<IndexKey, IndexRecord> index = MirrorEndToEndTest.readIndex(data);
      try (ChunkStore store = ChunkStore.localDirectory(data.resolve("chunks"))) {
        for (String path : List.of(small, large)) {
          IndexRecord record = index.get(IndexKey.pathInfo(StorePath.parse(path)));
          assertNotNull(record, path + " is not indexed");
          assertArrayEquals(RealNix.dump(Path.of(path)), MirrorEndToEndTest.render(index, record.getPathInfo(), store),
              path + " renders to other bytes than nix-store --dump");
        }
      }
    }
  }

  private static final java.util.regex.Pattern BOOTSTRAP =
      java.util.regex.Pattern.compile("embedded Kafka [a-z ]*started in [0-9.]+ s \\(.*, (127\\.0\\.0\\.1:[0-9]+)\\)");

  /** The hung child's threads and its broker's transactions, offsets and groups. */
  static String diagnostics(ChildJvm child) {
    StringBuilder out = new StringBuilder();
    java.util.regex.Matcher m = BOOTSTRAP.matcher(child.err());
    if (m.find()) {
      out.append(BrokerDiagnostics.report(m.group(1)));
    } else {
      out.append("no broker address in the child's log\n");
    }
    try {
      Process jstack = new ProcessBuilder("jstack", Long.toString(child.process().pid())).redirectErrorStream(true).start();
      out.append("--- jstack\n").append(new String(jstack.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
    } catch (java.io.IOException e) {
      out.append("jstack failed: ").append(e).append('\n');
    }
    return out.toString();
  }

  private static void await(String what, BooleanSupplier condition) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofMinutes(2).toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) fail("timed out waiting for " + what);
      Thread.sleep(50);
    }
  }
}
