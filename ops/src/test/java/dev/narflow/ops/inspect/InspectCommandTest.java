package dev.narflow.ops.inspect;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.narflow.ops.Narflow;
import dev.narflow.topics.testing.Fixtures;
import dev.narflow.topics.testing.RealNix;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

class InspectCommandTest {
  @TempDir Path tmp;

  record Run(int exit, String out, String err) {
    List<String> lines() {
      return out.lines().toList();
    }

    String field(String name) {
      return lines().stream().filter(l -> l.startsWith(name + ": ")).findFirst()
          .map(l -> l.substring(name.length() + 2))
          .orElseThrow(() -> new AssertionError("no '" + name + "' line in:\n" + out + err));
    }
  }

  static Run inspect(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    var cli = Narflow.commandLine();
    cli.setOut(new PrintWriter(out));
    cli.setErr(new PrintWriter(err));
    String[] all = Stream.concat(Stream.of("inspect"), Arrays.stream(args)).toArray(String[]::new);
    int exit = cli.execute(all);
    return new Run(exit, out.toString(), err.toString());
  }

  @Test
  void complicatedNarGivesTheCastoreVectorAndNixsHash() {
    Run r = inspect(Fixtures.path("nar/valid/complicated.nar").toString());
    assertEquals(0, r.exit(), r.err());
    List<String> lines = r.lines();
    assertEquals("nar-sha256: sha256:06li2smqgskxxr291x1cgzf61rzm7c8f93bisnglq0nzm1wj5mgb", lines.get(0));
    assertEquals("nar-size: 840", lines.get(1));
    assertEquals("root: directory 424a7f6ce08d805d15b428062faae96299a1675d708c3a39261afe38cdd04feb size 8", lines.get(2));
    assertEquals("2", r.field("files"));
    assertEquals("2", r.field("directories"));
    assertEquals("1", r.field("symlinks"));
    assertEquals("", r.err());
  }

  @Test
  void fileAndSymlinkRoots() {
    Run file = inspect(Fixtures.path("nar/valid/helloworld.nar").toString());
    assertEquals(0, file.exit(), file.err());
    assertEquals("sha256:0h40zg6hakjv951nyhdad7mv9za56m3za5gnpiw5s1hbwcxzdrq3", file.field("nar-sha256"));
    assertEquals("file 5ca7815adcb484e9a136c11efe69c1d530176d549b5d18d038eb5280b4b3470c size 12", file.field("root"));
    assertEquals("1", file.field("chunks"));
    assertEquals("12", file.field("content-bytes"));

    Run link = inspect(Fixtures.path("nar/valid/symlink.nar").toString());
    assertEquals(0, link.exit(), link.err());
    assertEquals("symlink /nix/store/somewhereelse", link.field("root"));
    assertEquals("sha256:1wcwacrb5q36hpsx1shk0dkm26hwbmqmgi0nm973h9jqkdz3jz89", link.field("nar-sha256"));
  }

  @ParameterizedTest
  @ValueSource(strings = {"xz", "zstd", "bzip2"})
  void compressedNarsByExtensionAndByMagic(String tool) throws Exception {
    Path plain = Fixtures.path("nar/valid/complicated.nar");
    String ext = switch (tool) {
      case "xz" -> ".xz";
      case "zstd" -> ".zst";
      default -> ".bz2";
    };
    Path named = tmp.resolve("c.nar" + ext);
    Process p = new ProcessBuilder(tool, "-c", plain.toString()).redirectOutput(named.toFile()).start();
    assertEquals(0, p.waitFor());
    Path unnamed = Files.copy(named, tmp.resolve("c.bin"));

    String expected = inspect(plain.toString()).out();
    assertEquals(expected, inspect(named.toString()).out());
    assertEquals(expected, inspect(unnamed.toString()).out());
  }

  static Stream<Path> invalidNars() throws IOException {
    return Files.list(Fixtures.path("nar/invalid")).sorted();
  }

  @ParameterizedTest
  @MethodSource("invalidNars")
  void invalidNarIsOneClearLineAndAFailure(Path nar) {
    Run r = inspect(nar.toString());
    assertEquals(Narflow.EXIT_FAILURE, r.exit());
    assertEquals("", r.out());
    List<String> err = r.err().lines().toList();
    assertEquals(1, err.size(), r.err());
    assertTrue(err.get(0).startsWith("narflow inspect: bad NAR: "), err.get(0));
  }

  @Test
  void truncatedCompressedNarNamesTheCompression() throws Exception {
    Path xz = tmp.resolve("t.nar.xz");
    Process p = new ProcessBuilder("xz", "-c", Fixtures.path("nar/valid/complicated.nar").toString())
        .redirectOutput(xz.toFile()).start();
    assertEquals(0, p.waitFor());
    byte[] all = Files.readAllBytes(xz);
    Files.write(xz, Arrays.copyOf(all, all.length - 20));
    Run r = inspect(xz.toString());
    assertEquals(Narflow.EXIT_FAILURE, r.exit());
    assertEquals(1, r.err().lines().count(), r.err());
    assertEquals("narflow inspect: xz data is corrupt or truncated: unexpected end of data\n", r.err());
  }

  @Test
  void missingFile() {
    Run r = inspect(tmp.resolve("nope.nar").toString());
    assertEquals(Narflow.EXIT_FAILURE, r.exit());
    assertEquals("narflow inspect: cannot read " + tmp.resolve("nope.nar") + ": no such file\n", r.err());
  }

  @Test
  void realNixDumpWithDuplicateContentDedupsChunks() throws Exception {
    Path tree = Files.createDirectories(tmp.resolve("tree"));
    byte[] big = new byte[3 << 20];
    new Random(42).nextBytes(big);
    Files.write(tree.resolve("big"), big);
    Files.createDirectories(tree.resolve("copy"));
    Files.write(tree.resolve("copy/big"), big);
    Files.writeString(tree.resolve("small"), "small file\n");
    Files.createSymbolicLink(tree.resolve("link"), Path.of("small"));
    Path nar = tmp.resolve("tree.nar");
    Files.write(nar, RealNix.dump(tree));

    Run r = inspect("--chunk-size", "64K", nar.toString());
    assertEquals(0, r.exit(), r.err());
    assertEquals(RealNix.hashPath(tree), r.field("nar-sha256"));
    assertEquals(String.valueOf(Files.size(nar)), r.field("nar-size"));
    assertEquals("3", r.field("files"));
    assertEquals("1", r.field("symlinks"));
    long chunks = Long.parseLong(r.field("chunks"));
    long unique = Long.parseLong(r.field("unique-chunks"));
    assertTrue(chunks > 2 * 16, "3 MiB at 64K average must give many chunks, got " + chunks);
    assertEquals(chunks - 1, 2 * (unique - 1), "the copy of big must add no unique chunk");
    assertEquals(2L * big.length + 11, Long.parseLong(r.field("content-bytes")));
    assertEquals(big.length + 11, Long.parseLong(r.field("unique-chunk-bytes")));
    // Random bytes do not compress: zstd adds a little framing, never much.
    long zstd = Long.parseLong(r.field("zstd-bytes"));
    assertTrue(zstd >= big.length && zstd < big.length * 1.01, "zstd-bytes " + zstd);
  }

  @Test
  void aDirectoryIsNotANar() {
    Run r = inspect(tmp.toString());
    assertEquals(Narflow.EXIT_FAILURE, r.exit());
    assertTrue(r.err().startsWith("narflow inspect: " + tmp + " is a directory, not a NAR file"), r.err());
  }

  @Test
  void badOptionIsAUsageError() {
    Run r = inspect("--chunk-size", "lots", Fixtures.path("nar/valid/helloworld.nar").toString());
    assertEquals(2, r.exit());
    assertTrue(r.err().contains("'lots' is not a byte size"), r.err());

    Run tiny = inspect("--chunk-size", "16", Fixtures.path("nar/valid/helloworld.nar").toString());
    assertEquals(2, tiny.exit());
    assertTrue(tiny.err().startsWith("narflow inspect: invalid --chunk-size 16: "), tiny.err());
    Run huge = inspect("--chunk-size", "8G", Fixtures.path("nar/valid/helloworld.nar").toString());
    assertEquals(2, huge.exit());
    assertTrue(huge.err().startsWith("narflow inspect: invalid --chunk-size 8589934592: too large"), huge.err());
  }

  @ParameterizedTest
  @ValueSource(strings = {"-3", "1025", "many", ""})
  void badThreadCountIsAUsageErrorNamingTheVariable(String threads) {
    Run r = inspect("--threads", threads, Fixtures.path("nar/valid/helloworld.nar").toString());
    assertEquals(2, r.exit(), r.err());
    assertEquals("", r.out());
    assertTrue(r.err().startsWith("narflow inspect: invalid --threads"), r.err());
  }

  @Test
  void optionsComeFromAConfigFileAndItsErrorsNameTheLine() throws IOException {
    String nar = Fixtures.path("nar/valid/helloworld.nar").toString();
    Path config = Files.writeString(tmp.resolve("narflow.conf"), "# shared with mirror\nworkers = 4\nzstd-level = 19\n");
    Run ok = inspect("--config", config.toString(), nar);
    assertEquals(0, ok.exit(), ok.err());
    Files.writeString(config, "zstd-level = 99\n");
    Run bad = inspect("--config", config.toString(), nar);
    assertEquals(2, bad.exit(), bad.err());
    assertEquals("narflow inspect: invalid --zstd-level 99 (from " + config + ":1): outside 1 to 22"
        + " (see narflow inspect --help)", bad.err().strip());
    Run cli = inspect("--config", config.toString(), "--zstd-level", "5", nar);
    assertEquals(0, cli.exit(), "the command line wins over the file: " + cli.err());
  }

  @Test
  void zeroThreadsMeansOnePerCore() {
    Run r = inspect("--threads", "0", Fixtures.path("nar/valid/helloworld.nar").toString());
    assertEquals(0, r.exit(), r.err());
  }

  @ParameterizedTest
  @ValueSource(strings = {"99", "0", "-5", "fast"})
  void badZstdLevelIsAUsageErrorLikeABadChunkSize(String level) {
    Run r = inspect("--zstd-level", level, Fixtures.path("nar/valid/helloworld.nar").toString());
    assertEquals(2, r.exit(), r.err());
    assertTrue(r.err().startsWith("narflow inspect: invalid --zstd-level"), r.err());
  }

  @Test
  void noCommandPrintsUsageAndIsAUsageError() {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    var cli = Narflow.commandLine();
    cli.setOut(new PrintWriter(out));
    cli.setErr(new PrintWriter(err));
    assertEquals(2, cli.execute());
    assertEquals("", out.toString());
    assertTrue(err.toString().startsWith("Missing command"), err.toString());
    assertTrue(err.toString().contains("Usage: narflow"), err.toString());
  }
}
