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
import java.util.Comparator;
import java.util.List;
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
 * Import of a synthesized, incompressible NAR (four files, 1 GiB in all by default) into a fresh
 * local store in a temporary directory, and rendering it back. Single shot: one op is one whole
 * NAR, so MB/s = size / (s per op). Generating the NAR's bytes is part of the import's cost (about
 * 1-2 GB/s); the store is on the same disk as everything else.
 *
 * <p>Run: {@code ops/bench/jmh chunker ImportBenchmark -f 1 -wi 1 -i 3}; smaller with {@code -p
 * size=268435456}; fsync's cost with {@code -p fsync=true,false}.
 */
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 1)
@Measurement(iterations = 3)
@Fork(value = 1, jvmArgsAppend = {"-Xmx1g", "--add-modules", "jdk.incubator.vector"})
public class ImportBenchmark {

  static SyntheticNar nar(long size) {
    long quarter = size / 4;
    return SyntheticNar.directory(List.of(
        new SyntheticNar.File("a", quarter, 1, false),
        new SyntheticNar.File("b", quarter, 2, true),
        new SyntheticNar.File("c", quarter, 3, false),
        new SyntheticNar.File("d", size - 3 * quarter, 4, false)));
  }

  /** A store in a temporary directory, with an importer and a renderer over it. */
  @State(Scope.Benchmark)
  public abstract static class Store {
    @Param({"1073741824"})
    long size;

    @Param({"1", "2"})
    int parallelism;

    @Param({"true"})
    boolean fsync;

    Path dir;
    ChunkStore store;
    NarImporter importer;
    NarRenderer renderer;

    void open() throws IOException {
      dir = Files.createTempDirectory("import-bench-");
      store = LayoutChunkStore.builder(LocalDirectoryBackend.open(dir, fsync)).build();
      importer = NarImporter.builder(store).parallelism(parallelism).build();
      renderer = NarRenderer.builder(store).parallelism(parallelism).build();
    }

    void delete() throws IOException {
      importer.close();
      renderer.close();
      store.close();
      try (Stream<Path> files = Files.walk(dir)) {
        for (Path p : files.sorted(Comparator.reverseOrder()).toList()) Files.delete(p);
      }
    }
  }

  /** An empty store for every iteration, so that every chunk is new. */
  public static class EmptyStore extends Store {
    @Setup(Level.Iteration)
    public void setUp() throws IOException {
      open();
    }

    @TearDown(Level.Iteration)
    public void tearDown() throws IOException {
      delete();
    }
  }

  /** One store holding the NAR, imported before the measurements. */
  public static class FilledStore extends Store {
    ImportResult imported;

    @Setup(Level.Trial)
    public void setUp() throws IOException {
      open();
      imported = importer.importNar(nar(size));
    }

    @TearDown(Level.Trial)
    public void tearDown() throws IOException {
      delete();
    }
  }

  @Benchmark
  public ImportResult importNar(EmptyStore s) throws IOException {
    return s.importer.importNar(nar(s.size));
  }

  @Benchmark
  public long render(FilledStore s) throws IOException {
    long[] count = {0};
    s.renderer.render(s.imported.root(), DirectoryLookup.of(s.imported.directories()), new OutputStream() {
      @Override
      public void write(int b) {
        count[0]++;
      }

      @Override
      public void write(byte[] b, int off, int len) {
        count[0] += len;
      }
    });
    if (count[0] != s.imported.narSize()) throw new IllegalStateException("rendered " + count[0] + " bytes");
    return count[0];
  }
}
