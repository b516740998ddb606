package dev.narflow.ops.inspect;

import dev.narflow.chunker.cdc.FastCdc;
import dev.narflow.chunker.nar.ImportResult;
import dev.narflow.chunker.nar.ImportStats;
import dev.narflow.chunker.nar.NarImporter;
import dev.narflow.chunker.store.ChunkStore;
import dev.narflow.chunker.store.LayoutChunkStore;
import dev.narflow.ingest.upstream.Compression;
import dev.narflow.ops.ByteSize;
import dev.narflow.ops.ConfigOption;
import dev.narflow.ops.OptionDefaults;
import dev.narflow.ops.Progress;
import dev.narflow.topics.castore.B3Digest;
import dev.narflow.topics.castore.v1.Node;
import dev.narflow.topics.nix.HashAlgorithm;
import dev.narflow.topics.nix.NixHash;
import java.io.BufferedInputStream;
import java.io.FileInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code narflow inspect FILE}: takes a NAR apart exactly as ingestion would (FastCDC, BLAKE3,
 * zstd), storing nothing, and prints its NarHash, castore root and chunk statistics.
 */
@Command(
    name = "inspect",
    mixinStandardHelpOptions = true,
    description = {
      "Reads a NAR (plain, .xz, .zst or .bz2, by extension or else by its magic bytes) and prints",
      "its NarHash, size, castore root and chunk statistics. Nothing is stored.",
      "Example: nix-store --dump /nix/store/...-hello | narflow inspect -"
    })
public final class InspectCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @CommandLine.Mixin ConfigOption config;

  @Parameters(paramLabel = "FILE", description = "The NAR file to inspect; - for standard input.")
  Path file;

  @Option(
      names = "--chunk-size",
      paramLabel = "SIZE",
      converter = ByteSize.class,
      defaultValue = "256K",
      description = "Average FastCDC chunk size; minimum is half, maximum twice"
          + " (env NARFLOW_CHUNK_SIZE, default ${DEFAULT-VALUE}).")
  long chunkSize;

  /** zstd's highest level (its {@code --ultra} maximum), unchanged since zstd 1.0. */
  private static final int MAX_ZSTD_LEVEL = 22;

  private int zstdLevel;
  private int threads;

  @Option(
      names = "--zstd-level",
      paramLabel = "N",
      defaultValue = "3",
      description = "zstd level the chunks are compressed with, 1 to 22"
          + " (env NARFLOW_ZSTD_LEVEL, default ${DEFAULT-VALUE}).")
  void zstdLevel(String value) {
    // Negative (fast) levels exist in zstd but are not worth a store's space; 1..22 is what
    // operators know from the zstd tool.
    zstdLevel = wholeNumber("--zstd-level", value, 1, MAX_ZSTD_LEVEL);
  }

  @Option(
      names = "--threads",
      paramLabel = "N",
      defaultValue = "0",
      description = "Threads that hash and compress chunks, 1 to 1024; 0 means one per core"
          + " (env NARFLOW_THREADS, default ${DEFAULT-VALUE}).")
  void threads(String value) {
    threads = wholeNumber("--threads", value, 0, 1024);
  }

  /**
   * Parses an option's value, which may come from the command line, its environment variable or
   * the configuration file; the message names the source. Picocli reports the exception as a
   * usage error (exit 2).
   */
  private int wholeNumber(String option, String value, int min, int max) {
    int n;
    try {
      n = Integer.parseInt(value.strip());
    } catch (NumberFormatException e) {
      throw OptionDefaults.invalid(spec, option, value, "not a whole number");
    }
    if (n < min || n > max) throw OptionDefaults.invalid(spec, option, value, "outside " + min + " to " + max);
    return n;
  }

  @Override
  public Integer call() throws Exception {
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    FastCdc.Params params = chunking();
    int parallelism = threads > 0 ? threads : Runtime.getRuntime().availableProcessors();
    boolean stdin = file.toString().equals("-");
    if (Files.isDirectory(file) && !stdin) {
      throw new IllegalArgumentException(file + " is a directory, not a NAR file (to inspect a tree, `nix-store --dump` it)");
    }
    long total = !stdin && Files.isRegularFile(file) ? Files.size(file) : -1;

    ImportResult result;
    try (InputStream raw = stdin ? System.in : open(file);
        Progress progress = new Progress(err, "inspect " + file.getFileName(), total, System.console() != null);
        ChunkStore store = LayoutChunkStore.builder(new DiscardingBackend()).compressionLevel(zstdLevel).build();
        NarImporter importer = NarImporter.builder(store).params(params).parallelism(parallelism).build()) {
      InputStream counted = new BufferedInputStream(progress.count(raw), 1 << 16);
      Compression byName = Compression.fromFileName(file.getFileName().toString());
      InputStream nar = byName == Compression.NONE
          ? Compression.decompressDetected(counted)
          : byName.decompress(counted);
      result = importer.importNar(nar);
    }
    print(out, result);
    out.flush();
    return 0;
  }

  private FastCdc.Params chunking() {
    try {
      if (chunkSize > Integer.MAX_VALUE) throw new IllegalArgumentException("too large");
      return FastCdc.Params.ofAverage((int) chunkSize);
    } catch (IllegalArgumentException e) {
      throw OptionDefaults.invalid(spec, "--chunk-size", Long.toString(chunkSize), e.getMessage());
    }
  }

  /**
   * A FileInputStream rather than Files.newInputStream: in Java 17 the latter's available() seeks,
   * which fails on pipes such as /dev/stdin or a process substitution.
   */
  private static InputStream open(Path file) throws IOException {
    if (!Files.exists(file)) throw new NoSuchFileException(file.toString());
    return new FileInputStream(file.toFile());
  }

  static void print(PrintWriter out, ImportResult r) {
    ImportStats s = r.stats();
    out.println("nar-sha256: " + NixHash.of(HashAlgorithm.SHA256, r.narSha256()));
    out.println("nar-size: " + r.narSize());
    out.println("root: " + describe(r.root()));
    out.println("files: " + s.files());
    out.println("directories: " + s.directories());
    out.println("symlinks: " + s.symlinks());
    out.println("blobs: " + s.blobs());
    out.println("chunks: " + s.chunks());
    out.println("unique-chunks: " + s.uniqueChunks());
    out.println("content-bytes: " + s.contentBytes());
    out.println("unique-chunk-bytes: " + s.uniqueChunkBytes());
    out.println("zstd-bytes: " + s.storedBytes());
  }

  static String describe(Node root) {
    return switch (root.getNodeCase()) {
      case DIRECTORY -> "directory " + B3Digest.of(root.getDirectory().getDigest()).hex()
          + " size " + Long.toUnsignedString(root.getDirectory().getSize());
      case FILE -> "file " + B3Digest.of(root.getFile().getDigest()).hex()
          + " size " + Long.toUnsignedString(root.getFile().getSize())
          + (root.getFile().getExecutable() ? " executable" : "");
      case SYMLINK -> "symlink " + root.getSymlink().getTarget().toStringUtf8();
      case NODE_NOT_SET -> throw new IllegalStateException("import produced no root node");
    };
  }
}
