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
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The serving render path as the exporter runs it: {@link NarRenderer} over a {@link
 * LayoutChunkStore} on a local directory ({@link LocalDirectoryBackend}), so every chunk is read
 * from a file, zstd-decompressed and BLAKE3-verified, with the renderer's prefetch threads and
 * window; Directories come from memory (the exporter's come from RocksDB). The store is filled once
 * per trial, so its files are in the page cache: this measures the renderer, not the disk. One op
 * renders the whole NAR to a counting sink; MB/s = NAR size / (s per op), the setup prints the size.
 *
 * <p>Corpora ({@code corpus}):
 * <ul>
 *   <li>{@code small}: 4,000 incompressible files of 1 to 16 KiB (~34 MB of NAR) in one
 *       directory: one chunk per file, the shape of most store paths.
 *   <li>{@code large}: 4 incompressible files of 64 MiB (256 MiB of NAR): ~256 KiB chunks, and a
 *       blob index per file (read from the store: no index lookup is given, as outside the
 *       exporter).
 * </ul>
 * {@code format=zst} renders {@code .nar.zst} (stored frames spliced, framing compressed).
 *
 * <p>Run: {@code ops/bench/jmh chunker RenderBenchmark} (about two minutes on 2 cores).
 */
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3)
@Measurement(iterations = 5)
@Fork(value = 1, jvmArgsAppend = {"-Xmx1g", "--add-modules", "jdk.incubator.vector"})
public class RenderBenchmark {

  @State(Scope.Benchmark)
  public static class Filled {
    @Param({"small", "large"})
    String corpus;

    @Param({"nar", "zst"})
    String format;

    /** The renderer's fetch threads; the exporter's default is 8, NarRenderer's 4. */
    @Param({"4"})
    int parallelism;

    Path dir;
    ChunkStore store;
    NarRenderer renderer;
    ImportResult imported;
    DirectoryLookup lookup;

    static SyntheticNar nar(String corpus) {
      List<SyntheticNar.File> files = new ArrayList<>();
      if (corpus.equals("large")) {
        for (int i = 0; i < 4; i++) files.add(new SyntheticNar.File("f" + i, 64L << 20, i + 1, i == 0));
        return SyntheticNar.directory(files);
      }
      Random random = new Random(0x736d616c6cL);
      for (int i = 0; i < 4000; i++) {
        files.add(new SyntheticNar.File(String.format("f%04d", i), 1024 + random.nextInt(15 * 1024), i + 1, false));
      }
      return SyntheticNar.directory(files);
    }

    @Setup(Level.Trial)
    public void setUp() throws IOException {
      dir = Files.createTempDirectory("render-bench-");
      store = LayoutChunkStore.builder(LocalDirectoryBackend.open(dir, false)).build();
      try (NarImporter importer = NarImporter.builder(store).parallelism(2).build()) {
        imported = importer.importNar(nar(corpus));
      }
      store.flush();
      lookup = DirectoryLookup.of(imported.directories());
      renderer = NarRenderer.builder(store).parallelism(parallelism).build();
      System.out.printf("%ncorpus %s: %d bytes of NAR, %d files, %d multi-chunk%n", corpus, imported.narSize(),
          imported.stats().files(), imported.blobIndexes().size());
    }

    @TearDown(Level.Trial)
    public void tearDown() throws IOException {
      renderer.close();
      store.close();
      try (Stream<Path> files = Files.walk(dir)) {
        for (Path p : files.sorted(Comparator.reverseOrder()).toList()) Files.delete(p);
      }
    }
  }

  /** Counts what it is given. */
  static final class Counter extends OutputStream {
    long count;

    @Override
    public void write(int b) {
      count++;
    }

    @Override
    public void write(byte[] b, int off, int len) {
      count += len;
    }
  }

  @Benchmark
  public long render(Filled s) throws IOException {
    Counter out = new Counter();
    if (s.format.equals("zst")) {
      s.renderer.renderZstd(s.imported.root(), s.lookup, out);
      if (out.count == 0) throw new IllegalStateException("nothing rendered");
    } else {
      s.renderer.render(s.imported.root(), s.lookup, out);
      if (out.count != s.imported.narSize()) throw new IllegalStateException("rendered " + out.count + " bytes");
    }
    return out.count;
  }
}
