package dev.narflow.ops.keygen;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.narflow.ops.Cli;
import dev.narflow.topics.nix.NarInfo;
import dev.narflow.topics.nix.NixPublicKey;
import dev.narflow.topics.nix.NixSecretKey;
import dev.narflow.topics.nix.TrustedKeys;
import dev.narflow.topics.testing.RealNix;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class KeygenCommandTest {
  @TempDir Path tmp;


  static Cli.Run keygen(String... args) {
    return Cli.run(Map.of(), Stream.concat(Stream.of("keygen"), Stream.of(args)).toArray(String[]::new));
  }

  @Test
  void writesAPairThatRealNixSignsAndVerifiesWith() throws Exception {
    Cli.Run r = keygen("--out-dir", tmp.toString(), "narflow-test-1");
    assertEquals(0, r.exit(), r.err());
    Path sec = tmp.resolve("narflow-test-1.sec");
    Path pub = tmp.resolve("narflow-test-1.pub");
    assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(sec)));
    NixSecretKey secret = NixSecretKey.read(sec);
    NixPublicKey key = NixPublicKey.parse(Files.readString(pub, StandardCharsets.US_ASCII));
    assertEquals(key, secret.publicKey());
    assertEquals(key.toString(), r.out().strip(), "the public key on stdout");

    // Real Nix signs with our secret key, and verifies with our public key.
    Path path = RealNix.build(Files.createDirectories(tmp.resolve("nix")), "keygen-signed", "echo " + System.nanoTime() + " > $out", List.of());
    Path cache = tmp.resolve("cache");
    RealNix.run("nix", "copy", "--to", "file://" + cache + "?compression=none&secret-key=" + sec, path.toString());
    String hash = path.getFileName().toString().substring(0, 32);
    NarInfo info = NarInfo.parse(Files.readString(cache.resolve(hash + ".narinfo")));
    assertFalse(info.signatures().isEmpty());
    assertTrue(TrustedKeys.of(List.of(key)).verify(info).contains(key.name()), "our check accepts Nix's signature");
    RealNix.Result verify = RealNix.run(null, Map.of(), "nix", "store", "verify", "--store", "file://" + cache,
        "--no-contents", "--trusted-public-keys", key.toString(), path.toString());
    assertEquals(0, verify.exitCode(), verify.stderr());
  }

  @Test
  void neverOverwritesAndRefusesUnsafeNames() throws Exception {
    assertEquals(0, keygen("--out-dir", tmp.toString(), "k-1").exit());
    String before = Files.readString(tmp.resolve("k-1.sec"));
    Cli.Run again = keygen("--out-dir", tmp.toString(), "k-1");
    assertEquals(2, again.exit());
    assertEquals("narflow keygen: " + tmp.resolve("k-1.sec") + " exists; narflow keygen never overwrites a key",
        again.err().strip());
    assertEquals(before, Files.readString(tmp.resolve("k-1.sec")));

    for (String bad : List.of("../escape", "a:b", ".hidden", "a/b", "")) {
      Cli.Run r = keygen("--out-dir", tmp.toString(), bad);
      assertEquals(2, r.exit(), bad + ": " + r.err());
      assertTrue(r.err().contains("invalid NAME"), r.err());
    }
    try (Stream<Path> files = Files.list(tmp)) {
      assertEquals(2, files.count(), "nothing else was written");
    }
    Cli.Run noDir = keygen("--out-dir", tmp.resolve("missing").toString(), "k-2");
    assertEquals(2, noDir.exit());
    assertEquals("narflow keygen: " + tmp.resolve("missing") + " is not a directory", noDir.err().strip());
  }
}
