package dev.narflow.topics.nix;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.narflow.topics.testing.RealNix;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.SortedSet;
import java.util.TreeSet;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Our narinfo, key and signature code against what real Nix (2.8) writes and reads. */
class RealNixCrossCheckTest {
  @TempDir Path work;

  @Test
  void narinfosNixWritesRoundTripByteForByteAndSignaturesMatch() throws IOException {
    // Fresh paths per run: the store is shared, and signatures accumulate on a path.
    long nonce = ThreadLocalRandom.current().nextLong() & Long.MAX_VALUE;
    String keyName = "narflow-test-" + nonce + "-1";

    // A key made by Nix, loaded with our classes.
    Path secretFile = work.resolve("secret");
    Path publicFile = work.resolve("public");
    RealNix.run("nix-store", "--generate-binary-cache-key", keyName, secretFile.toString(), publicFile.toString());
    NixSecretKey nixKey = NixSecretKey.read(secretFile);
    NixPublicKey nixPublic = NixPublicKey.parse(Files.readString(publicFile));
    assertEquals(keyName, nixKey.name());
    assertEquals(nixPublic, nixKey.publicKey());
    assertEquals(Files.readString(secretFile).strip(), nixKey.toKeyText());

    // A key made by us, used by Nix: proves our key file format is Nix's.
    NixSecretKey ourKey = NixSecretKey.generate("narflow-ours-" + nonce + "-1");
    Path ourSecretFile = work.resolve("our-secret");
    Files.writeString(ourSecretFile, ourKey.toKeyText());

    Path a = RealNix.build(work, "nixfmt-a", "echo " + nonce + " > $out", List.of());
    Path b = RealNix.build(work, "nixfmt-b", "echo " + a + " > $out", List.of(a.toString()));
    RealNix.run("nix", "store", "sign", "--key-file", secretFile.toString(), a.toString(), b.toString());
    RealNix.run("nix", "store", "sign", "--key-file", ourSecretFile.toString(), a.toString());
    Path cache = work.resolve("cache");
    RealNix.run("nix", "copy", "--to", "file://" + cache + "?compression=none", b.toString());

    NixCacheInfo cacheInfo = NixCacheInfo.parse(Files.readString(cache.resolve("nix-cache-info")));
    cacheInfo.checkStoreDir(StoreDir.DEFAULT);
    assertEquals(Files.readString(cache.resolve("nix-cache-info")), cacheInfo.format());

    StorePath pathA = StorePath.parseAbsolute(a.toString());
    StorePath pathB = StorePath.parseAbsolute(b.toString());
    NarInfo infoA = checkNarinfo(cache, pathA, a, nixKey, ourKey);
    NarInfo infoB = checkNarinfo(cache, pathB, b, nixKey);

    assertEquals(Set.of(), infoA.references());
    assertEquals(Set.of(pathA), infoB.references());
    assertEquals("1;" + b + ";" + infoB.narHash() + ";" + infoB.narSize() + ";" + a, infoB.fingerprint());
    assertEquals(2, infoA.signatures().size());
    assertEquals(Set.of(keyName, ourKey.name()), TrustedKeys.of(nixPublic, ourKey.publicKey()).verify(infoA));
    assertEquals(Set.of(keyName), TrustedKeys.of(nixPublic, ourKey.publicKey()).verify(infoB));
  }

  private NarInfo checkNarinfo(Path cache, StorePath path, Path onDisk, NixSecretKey... signers) throws IOException {
    Path file = cache.resolve(path.hashPart() + ".narinfo");
    byte[] written = Files.readAllBytes(file);
    NarInfo info = NarInfo.parse(new String(written, StandardCharsets.UTF_8));
    assertArrayEquals(written, info.format().getBytes(StandardCharsets.UTF_8),
        () -> "our serialisation differs from Nix's:\n" + new String(written, StandardCharsets.UTF_8)
            + "---\n" + info.format());

    assertEquals(path, info.storePath());
    assertEquals(RealNix.hashPath(onDisk), info.narHash().toString());
    assertEquals(Files.size(cache.resolve(info.url())), info.narSize()); // compression=none: the file is the NAR
    assertEquals("none", info.compression());
    assertEquals(info.narHash(), info.fileHash());
    assertTrue(info.deriver().name().endsWith(".drv"));

    SortedSet<String> ours = new TreeSet<>();
    for (NixSecretKey signer : signers) {
      ours.add(signer.sign(info).toString()); // ed25519 is deterministic: must equal what Nix wrote
      assertEquals(Set.of(signer.name()), TrustedKeys.of(signer.publicKey()).verify(info));
    }
    assertEquals(ours, info.signatures());
    return info;
  }
}
