package dev.narflow.chunker.nar;

import dev.narflow.topics.testing.RealNix;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;

/** File trees dumped to NARs by real {@code nix-store --dump}, made once per test class. */
final class NixTrees {
  private NixTrees() {}

  /** Name → NAR bytes, as Nix writes them. */
  static Map<String, byte[]> dumps(Path dir) throws IOException {
    Map<String, byte[]> nars = new LinkedHashMap<>();
    nars.put("tree", RealNix.dump(tree(dir.resolve("tree"))));
    nars.put("many-small", RealNix.dump(manySmall(dir.resolve("many-small"))));
    Path exe = Files.writeString(dir.resolve("exe"), "#!/bin/sh\nexit 0\n");
    Files.setPosixFilePermissions(exe, PosixFilePermissions.fromString("r-xr-xr-x"));
    nars.put("executable-root", RealNix.dump(exe));
    nars.put("symlink-root", RealNix.dump(Files.createSymbolicLink(dir.resolve("link"), Path.of("/nix/store/x"))));
    Files.createDirectories(dir.resolve("empty-root"));
    nars.put("empty-root", RealNix.dump(dir.resolve("empty-root")));
    return nars;
  }

  /**
   * Executables, symlinks (relative, absolute, dangling), empty directories and files, unicode
   * names, a multi-MB random file and a copy of it, two identical subdirectories.
   */
  static Path tree(Path root) throws IOException {
    Files.createDirectories(root.resolve("share/empty"));
    Files.createDirectories(root.resolve("bin"));
    Files.createDirectories(root.resolve("日本語"));
    Path hello = Files.writeString(root.resolve("bin/hello"), "#!/bin/sh\necho hello\n");
    Files.setPosixFilePermissions(hello, PosixFilePermissions.fromString("rwxr-xr-x"));
    Files.write(root.resolve("share/empty-file"), new byte[0]);
    Files.writeString(root.resolve("ünïcødé ☃.txt"), "snow");
    Files.writeString(root.resolve("日本語/ファイル"), "file");
    Files.createSymbolicLink(root.resolve("link"), Path.of("bin/hello"));
    Files.createSymbolicLink(root.resolve("abs-link"), Path.of("/nix/store/somewhereelse"));
    Files.createSymbolicLink(root.resolve("dangling"), Path.of("does/not/exist"));
    byte[] big = new byte[3 * 1024 * 1024 + 17];
    new Random(42).nextBytes(big);
    Files.write(root.resolve("lib.bin"), big);
    Files.write(root.resolve("lib-copy.bin"), big);
    byte[] medium = new byte[700_000]; // more than the 512 KiB maximum chunk
    new Random(43).nextBytes(medium);
    for (String dup : new String[] {"dup1", "dup2"}) {
      Files.createDirectories(root.resolve(dup + "/sub"));
      Files.writeString(root.resolve(dup + "/a.txt"), "same\n");
      Files.write(root.resolve(dup + "/sub/medium"), medium);
      Files.createSymbolicLink(root.resolve(dup + "/sub/up"), Path.of(".."));
    }
    return root;
  }

  /** 300 small files in a few directories: the case for prefetching across files. */
  static Path manySmall(Path root) throws IOException {
    Random random = new Random(44);
    for (int d = 0; d < 3; d++) {
      Files.createDirectories(root.resolve("d" + d));
      for (int f = 0; f < 100; f++) {
        byte[] data = new byte[random.nextInt(3000)];
        random.nextBytes(data);
        Files.write(root.resolve("d" + d + "/f" + f), data);
      }
    }
    return root;
  }

  /** A small tree for rendering from every offset: small files, some of several small chunks. */
  static Path small(Path root) throws IOException {
    Random random = new Random(45);
    Files.createDirectories(root.resolve("a/b"));
    Files.createDirectories(root.resolve("empty"));
    for (int f = 0; f < 4; f++) {
      byte[] data = new byte[f == 0 ? 0 : random.nextInt(2500)];
      random.nextBytes(data);
      Files.write(root.resolve((f % 2 == 0 ? "a/" : "a/b/") + "f" + f), data);
    }
    Files.createSymbolicLink(root.resolve("a/l"), Path.of("b/f1"));
    Files.writeString(root.resolve("z"), "end\n");
    return root;
  }
}
