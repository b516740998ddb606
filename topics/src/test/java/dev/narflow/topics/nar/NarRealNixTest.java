package dev.narflow.topics.nar;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import dev.narflow.topics.testing.RealNix;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Against the reference implementation: NARs written by {@code nix-store --dump}, hashed by {@code nix hash path}. */
class NarRealNixTest {
  @TempDir Path dir;

  @Test
  void nixDumpsReadAndRewriteToTheSameBytesAndOurWriterMatchesNix() throws Exception {
    Path root = dir.resolve("tree");
    Files.createDirectories(root.resolve("nested/a/b/c"));
    Files.createDirectories(root.resolve("empty-dir"));
    Files.createDirectories(root.resolve("日本語"));
    Files.writeString(root.resolve("hello.txt"), "Hello World!");
    Files.write(root.resolve("empty"), new byte[0]);
    Files.writeString(root.resolve("nested/a/b/c/deep.txt"), "deep\n");
    Files.writeString(root.resolve("ünïcødé ☃.txt"), "snow");
    Files.writeString(root.resolve("日本語/ファイル"), "file");
    Files.writeString(root.resolve("Case"), "upper");
    Files.writeString(root.resolve("case"), "lower");
    Files.writeString(root.resolve("~tilde"), "~");
    Path script = Files.writeString(root.resolve("run.sh"), "#!/bin/sh\necho hi\n");
    Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwxr-xr-x"));
    Path emptyExecutable = Files.write(root.resolve("empty-exe"), new byte[0]);
    Files.setPosixFilePermissions(emptyExecutable, PosixFilePermissions.fromString("rwx------"));
    Files.createSymbolicLink(root.resolve("link"), Path.of("hello.txt"));
    Files.createSymbolicLink(root.resolve("abs-link"), Path.of("/nix/store/somewhereelse"));
    Files.createSymbolicLink(root.resolve("dangling"), Path.of("does/not/exist"));
    Files.createSymbolicLink(root.resolve("nested/up"), Path.of("../日本語"));
    byte[] big = new byte[3 * 1024 * 1024 + 3];
    new Random(42).nextBytes(big);
    Files.write(root.resolve("nested/big.bin"), big);

    byte[] nar = checkAgainstNix(root);

    NarTrees.Directory tree = (NarTrees.Directory) NarTrees.read(nar);
    assertEquals(new NarTrees.File(true, "#!/bin/sh\necho hi\n".getBytes(java.nio.charset.StandardCharsets.UTF_8)),
        tree.entries().get(bs("run.sh")));
    assertEquals(new NarTrees.File(true, new byte[0]), tree.entries().get(bs("empty-exe")));
    assertEquals(new NarTrees.Symlink(bs("../日本語")),
        ((NarTrees.Directory) tree.entries().get(bs("nested"))).entries().get(bs("up")));
    assertEquals(new NarTrees.File(false, big),
        ((NarTrees.Directory) tree.entries().get(bs("nested"))).entries().get(bs("big.bin")));
    assertEquals(new NarTrees.Directory(), tree.entries().get(bs("empty-dir")));
    assertEquals(List.of("Case", "abs-link", "case", "dangling", "empty", "empty-dir", "empty-exe", "hello.txt",
            "link", "nested", "run.sh", "~tilde", "ünïcødé ☃.txt", "日本語"),
        tree.entries().keySet().stream().map(ByteString::toStringUtf8).toList(), "Nix's order is byte order");
  }

  @Test
  void aFileOrASymlinkAsTheRoot() throws Exception {
    Path file = Files.writeString(dir.resolve("file"), "just a file");
    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("r-xr-xr-x"));
    assertEquals(new NarTrees.File(true, "just a file".getBytes(java.nio.charset.StandardCharsets.UTF_8)),
        NarTrees.read(checkAgainstNix(file)));
    Path link = Files.createSymbolicLink(dir.resolve("link"), Path.of("/nix/store/somewhereelse"));
    assertEquals(new NarTrees.Symlink(bs("/nix/store/somewhereelse")), NarTrees.read(checkAgainstNix(link)));
  }

  /** Nix's dump of {@code path}: re-serializes identically, equals our own dump, hashes as Nix says. */
  private static byte[] checkAgainstNix(Path path) throws Exception {
    byte[] nar = RealNix.dump(path);
    assertTrue(nar.length > 0, "nix-store --dump wrote nothing");
    assertArrayEquals(nar, NarTrees.copy(nar), "read → write of Nix's NAR");

    ByteArrayOutputStream ours = new ByteArrayOutputStream();
    NarWriter writer = new NarWriter(ours);
    dump(writer, ByteString.EMPTY, path);
    assertTrue(writer.complete());
    assertArrayEquals(nar, ours.toByteArray(), "our writer's dump of the same tree");

    String nixHash = RealNix.run("nix", "hash", "path", "--base16", "--type", "sha256", path.toString()).out();
    assertEquals(nixHash, HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(nar)));
    return nar;
  }

  /** Serializes a file-system tree with {@link NarWriter}, as {@code nix-store --dump} does. */
  private static void dump(NarWriter writer, ByteString name, Path path) throws IOException {
    if (Files.isSymbolicLink(path)) {
      writer.symlink(name, bs(Files.readSymbolicLink(path).toString()));
    } else if (Files.isDirectory(path, LinkOption.NOFOLLOW_LINKS)) {
      writer.directoryStart(name);
      List<Path> children;
      try (Stream<Path> list = Files.list(path)) {
        children = new ArrayList<>(list.toList());
      }
      children.sort((a, b) -> Nar.NAME_ORDER.compare(bs(a.getFileName().toString()), bs(b.getFileName().toString())));
      for (Path child : children) dump(writer, bs(child.getFileName().toString()), child);
      writer.directoryEnd();
    } else {
      boolean executable = Files.getPosixFilePermissions(path, LinkOption.NOFOLLOW_LINKS)
          .contains(PosixFilePermission.OWNER_EXECUTE);
      try (InputStream in = Files.newInputStream(path)) {
        writer.file(name, executable, Files.size(path), in);
      }
    }
  }

  private static ByteString bs(String s) {
    return ByteString.copyFromUtf8(s);
  }
}
