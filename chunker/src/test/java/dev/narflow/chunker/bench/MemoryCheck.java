package dev.narflow.chunker.bench;

import dev.narflow.chunker.nar.DirectoryLookup;
import dev.narflow.chunker.nar.ImportOptions;
import dev.narflow.chunker.nar.ImportResult;
import dev.narflow.chunker.nar.NarImporter;
import dev.narflow.chunker.nar.NarRenderer;
import dev.narflow.chunker.store.ChunkStore;
import dev.narflow.chunker.store.LayoutChunkStore;
import dev.narflow.chunker.store.LocalDirectoryBackend;
import dev.narflow.chunker.testing.SyntheticNar;
import java.io.IOException;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * Imports and renders a synthesized, incompressible NAR (default 4 GiB: one file of 3 GiB and
 * some smaller ones) through a local store in a temporary directory, and checks that the render
 * has the imported NarHash and NarSize. Meant to run with a small heap ({@code -Xmx256m}) to show
 * that memory does not grow with the NAR.
 *
 * <p>Completing under a small {@code -Xmx} shows the bound only as far as the JVM would otherwise
 * fail; so eight times during the import it also collects garbage and measures the live heap
 * (MemoryMXBean after {@code System.gc()}), and fails if that exceeds {@code maxLiveMiB}: what the
 * import holds on to, not what the collector has not reclaimed yet. Prints the timings and that
 * peak; exits non-zero on a mismatch or a live heap above the bound.
 *
 * <p>{@code java -Xmx256m --add-modules jdk.incubator.vector -cp <chunker test classpath>
 * dev.narflow.chunker.bench.MemoryCheck [bytes [parallelism [maxLiveMiB]]]}
 */
public final class MemoryCheck {
  private MemoryCheck() {}

  public static void main(String[] args) throws Exception {
    long size = args.length > 0 ? Long.parseLong(args[0]) : 4L << 30;
    int parallelism = args.length > 1 ? Integer.parseInt(args[1]) : 2;
    long maxLive = (args.length > 2 ? Long.parseLong(args[2]) : 64) << 20;
    long big = size * 3 / 4;
    long rest = size - big;
    SyntheticNar nar = SyntheticNar.directory(List.of(
        new SyntheticNar.File("big", big, 1, false),
        new SyntheticNar.File("copy-of-small", rest / 4, 2, false),
        new SyntheticNar.File("medium", rest / 2, 3, true),
        new SyntheticNar.File("small", rest - rest / 4 - rest / 2, 2, false)));
    LiveHeap live = new LiveHeap();
    Path dir = Files.createTempDirectory("memory-check-");
    try (ChunkStore store = LayoutChunkStore.builder(LocalDirectoryBackend.open(dir, false)).build();
        NarImporter importer = NarImporter.builder(store).parallelism(parallelism).build();
        NarRenderer renderer = NarRenderer.builder(store).parallelism(parallelism).build()) {
      long started = System.nanoTime();
      ImportResult result = importer.importNar(nar,
          ImportOptions.none().withProgress(Math.max(1, size / 8), bytes -> live.measure()));
      double importSeconds = (System.nanoTime() - started) / 1e9;
      System.out.printf("imported %d bytes in %.1f s (%.0f MB/s): %s%n", result.narSize(), importSeconds,
          result.narSize() / 1e6 / importSeconds, result.stats());

      MessageDigest sha256 = MessageDigest.getInstance("SHA-256");
      long[] count = {0};
      started = System.nanoTime();
      renderer.render(result.root(), DirectoryLookup.of(result.directories()), new OutputStream() {
        @Override
        public void write(int b) {
          write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public void write(byte[] b, int off, int len) {
          sha256.update(b, off, len);
          count[0] += len;
        }
      });
      double renderSeconds = (System.nanoTime() - started) / 1e9;
      System.out.printf("rendered %d bytes in %.1f s (%.0f MB/s)%n", count[0], renderSeconds,
          count[0] / 1e6 / renderSeconds);
      System.out.printf("live heap during the import at most %d MiB (after GC, %d samples; bound %d MiB)"
              + " of max %d MiB%n", live.max >> 20, live.samples, maxLive >> 20,
          Runtime.getRuntime().maxMemory() >> 20);
      if (live.samples == 0 || live.max > maxLive) {
        System.out.println("TOO MUCH MEMORY: the import holds more live heap than the bound");
        System.exit(1);
      }
      if (count[0] != nar.size() || result.narSize() != nar.size()
          || !Arrays.equals(sha256.digest(), result.narSha256())) {
        System.out.println("MISMATCH: rendered NAR differs from the imported one");
        System.exit(1);
      }
      System.out.println("ok");
    } finally {
      try (Stream<Path> files = Files.walk(dir)) {
        for (Path p : files.sorted(Comparator.reverseOrder()).toList()) Files.delete(p);
      }
    }
  }

  /** The largest heap in use right after a full collection: what is really held. */
  private static final class LiveHeap {
    private final MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
    long max;
    int samples;

    /**
     * The least of three readings, each after {@code System.gc()}: a collection the JVM defers
     * (e.g. while zstd-jni holds a JNI critical region) would otherwise count garbage as held.
     */
    void measure() {
      long least = Long.MAX_VALUE;
      for (int i = 0; i < 3; i++) {
        System.gc();
        least = Math.min(least, memory.getHeapMemoryUsage().getUsed());
      }
      max = Math.max(max, least);
      samples++;
    }
  }
}
