package dev.narflow.chunker.bench;

import dev.narflow.chunker.nar.DirectoryLookup;
import dev.narflow.chunker.nar.ImportResult;
import dev.narflow.chunker.nar.NarImporter;
import dev.narflow.chunker.nar.NarRenderer;
import dev.narflow.chunker.store.ChunkStore;
import dev.narflow.chunker.store.LayoutChunkStore;
import dev.narflow.chunker.store.LocalDirectoryBackend;
import dev.narflow.chunker.testing.SyntheticNar;
import java.io.FileInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
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
 * Import of a NAR into a fresh local store in a temporary directory, and rendering it back. Single
 * shot: one op is one whole NAR, so MB/s = NAR size / (s per op); the setup prints each corpus's
 * NAR size. The store is on the same disk as everything else.
 *
 * <p>Corpora ({@code corpus} param):
 *
 * <ul>
 *   <li>{@code synthetic}: four incompressible pseudo-random files, {@code size} bytes in all
 *       (1 GiB by default), generated while read (about 1-2 GB/s, part of the cost). The best case:
 *       big files, few chunks per MB of metadata, nothing for zstd to do.
 *   <li>{@code jdk}: this machine's JDK 17 tree ({@code /usr/lib/jvm/java-17-openjdk-amd64}, about
 *       260 MB in 400 entries: the modules image, jmods, shared libraries, legal texts), dumped by
 *       real {@code nix-store --dump} once per trial and read from a file.
 *   <li>{@code python}: the Python 3.11 standard library ({@code /usr/lib/python3.11}, about 50 MB
 *       in 1,400 mostly small files): many small blobs, the shape of most store paths.
 * </ul>
 *
 * <p>{@code size} only applies to {@code synthetic}.
 *
 * <p>Run: {@code ops/bench/jmh chunker ImportBenchmark -f 1 -wi 1 -i 3}; one corpus with {@code -p
 * corpus=python}; smaller with {@code -p size=268435456}; fsync's cost with {@code -p
 * fsync=true,false}.
 */
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 1)
@Measurement(iterations = 3)
@Fork(value = 1, jvmArgsAppend = {"-Xmx1g", "--add-modules", "jdk.incubator.vector"})
public class ImportBenchmark {

  /** Real trees of this machine, by corpus name. */
  static final Map<String, Path> TREES = Map.of(
      "jdk", Path.of("/usr/lib/jvm/java-17-openjdk-amd64"),
      "python", Path.of("/usr/lib/python3.11"));

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
    @Param({"synthetic", "jdk", "python"})
    String corpus;

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

    /** The dumped NAR of a real tree, or null for {@code synthetic}. */
    Path dumped;

    /** A fresh stream of the corpus's NAR. */
    InputStream nar() throws IOException {
      return dumped == null ? ImportBenchmark.nar(size) : new FileInputStream(dumped.toFile());
    }

    void dump() throws IOException {
      if (corpus.equals("synthetic")) {
        System.out.printf("%ncorpus synthetic: %d bytes of NAR in 4 files%n", ImportBenchmark.nar(size).size());
        return;
      }
      Path tree = TREES.get(corpus);
      if (tree == null || !Files.isDirectory(tree)) {
        throw new IllegalStateException("corpus " + corpus + ": no tree at " + tree + " on this machine");
      }
      dumped = Files.createTempFile("import-bench-", ".nar");
      Process p = new ProcessBuilder("nix-store", "--dump", tree.toString())
          .redirectOutput(dumped.toFile()).redirectError(ProcessBuilder.Redirect.INHERIT).start();
      try {
        if (p.waitFor() != 0) throw new IOException("nix-store --dump " + tree + " failed");
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new InterruptedIOException();
      }
      long files;
      try (Stream<Path> walk = Files.walk(tree)) {
        files = walk.filter(Files::isRegularFile).count();
      }
      System.out.printf("%ncorpus %s: %d bytes of NAR from %s, %d files%n", corpus, Files.size(dumped), tree, files);
    }

    void open() throws IOException {
      if (dumped == null) dump();
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

    void deleteDump() throws IOException {
      if (dumped != null) Files.deleteIfExists(dumped);
      dumped = null;
    }
  }

  /** An empty store for every iteration, so that every chunk is new; the NAR dumped once. */
  public static class EmptyStore extends Store {
    @Setup(Level.Iteration)
    public void setUp() throws IOException {
      open();
    }

    @TearDown(Level.Iteration)
    public void tearDown() throws IOException {
      delete();
    }

    @TearDown(Level.Trial)
    public void deleteNar() throws IOException {
      deleteDump();
    }
  }

  /** One store holding the NAR, imported before the measurements. */
  public static class FilledStore extends Store {
    ImportResult imported;

    @Setup(Level.Trial)
    public void setUp() throws IOException {
      open();
      try (InputStream in = nar()) {
        imported = importer.importNar(in);
      }
    }

    @TearDown(Level.Trial)
    public void tearDown() throws IOException {
      delete();
      deleteDump();
    }
  }

  @Benchmark
  public ImportResult importNar(EmptyStore s) throws IOException {
    try (InputStream in = s.nar()) {
      return s.importer.importNar(in);
    }
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
