package dev.narflow.chunker.bench;

import dev.narflow.chunker.nar.DirectoryLookup;
import dev.narflow.chunker.nar.ImportResult;
import dev.narflow.chunker.nar.NarImporter;
import dev.narflow.chunker.nar.NarRenderer;
import dev.narflow.chunker.store.ChunkStore;
import dev.narflow.chunker.store.LayoutChunkStore;
import dev.narflow.chunker.store.LocalDirectoryBackend;
import dev.narflow.chunker.testing.SyntheticNar;
import java.io.IOException;
import java.io.OutputStream;
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
 * that memory does not grow with the NAR. Prints the timings and the peak heap; exits non-zero
 * on any mismatch.
 *
 * <p>{@code java -Xmx256m --add-modules jdk.incubator.vector -cp <chunker test classpath>
 * dev.narflow.chunker.bench.MemoryCheck [bytes [parallelism]]}
 */
public final class MemoryCheck {
  private MemoryCheck() {}

  public static void main(String[] args) throws Exception {
    long size = args.length > 0 ? Long.parseLong(args[0]) : 4L << 30;
    int parallelism = args.length > 1 ? Integer.parseInt(args[1]) : 2;
    long big = size * 3 / 4;
    long rest = size - big;
    SyntheticNar nar = SyntheticNar.directory(List.of(
        new SyntheticNar.File("big", big, 1, false),
        new SyntheticNar.File("copy-of-small", rest / 4, 2, false),
        new SyntheticNar.File("medium", rest / 2, 3, true),
        new SyntheticNar.File("small", rest - rest / 4 - rest / 2, 2, false)));
    HeapSampler sampler = new HeapSampler();
    sampler.start();
    Path dir = Files.createTempDirectory("memory-check-");
    try (ChunkStore store = LayoutChunkStore.builder(LocalDirectoryBackend.open(dir, false)).build();
        NarImporter importer = NarImporter.builder(store).parallelism(parallelism).build();
        NarRenderer renderer = NarRenderer.builder(store).parallelism(parallelism).build()) {
      long started = System.nanoTime();
      ImportResult result = importer.importNar(nar);
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
      System.out.printf("heap in use at most %d MiB (sampled every 5 ms, garbage included) of max %d MiB%n",
          sampler.max >> 20, Runtime.getRuntime().maxMemory() >> 20);
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

  /** Samples the heap in use; the JVM's own pool peaks are per pool and do not add up. */
  private static final class HeapSampler extends Thread {
    volatile long max;

    HeapSampler() {
      setDaemon(true);
    }

    @Override
    public void run() {
      Runtime runtime = Runtime.getRuntime();
      while (true) {
        max = Math.max(max, runtime.totalMemory() - runtime.freeMemory());
        try {
          Thread.sleep(5);
        } catch (InterruptedException e) {
          return;
        }
      }
    }
  }
}
