package dev.narflow.ingest.worker;

import dev.narflow.topics.nar.NarWriter;
import dev.narflow.topics.nix.HashAlgorithm;
import dev.narflow.topics.nix.NarInfo;
import dev.narflow.topics.nix.NixHash;
import dev.narflow.topics.nix.NixSecretKey;
import dev.narflow.topics.nix.StorePath;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.util.Collection;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Store paths of shapes real Nix makes slowly or not at all (a directory of 200,000 entries, a
 * narinfo with 1,000 references), written with topics' NarWriter straight into a binary cache
 * directory (uncompressed, signed with {@code key}) that a test HTTP server serves.
 */
final class SyntheticPaths {
  private SyntheticPaths() {}

  interface Contents {
    void write(NarWriter nar) throws IOException;
  }

  /** A fresh store path name with a random digest. */
  static StorePath newPath(String name) {
    byte[] digest = new byte[StorePath.DIGEST_SIZE];
    ThreadLocalRandom.current().nextBytes(digest);
    return StorePath.of(digest, name);
  }

  /** Writes the NAR and the signed narinfo of {@code path} into {@code cacheDir}; returns the narinfo. */
  static NarInfo put(Path cacheDir, NixSecretKey key, StorePath path, Collection<StorePath> references,
      Contents contents) throws IOException {
    Path narDir = Files.createDirectories(cacheDir.resolve("nar"));
    Path tmp = Files.createTempFile(narDir, "synthetic", ".tmp");
    MessageDigest sha256 = HashAlgorithm.SHA256.newDigest();
    long size;
    try (OutputStream file = new BufferedOutputStream(Files.newOutputStream(tmp), 1 << 16);
        DigestOutputStream out = new DigestOutputStream(file, sha256)) {
      NarWriter nar = new NarWriter(out);
      contents.write(nar);
      nar.flush();
      size = nar.offset();
    }
    NixHash narHash = NixHash.of(HashAlgorithm.SHA256, sha256.digest());
    String url = "nar/" + narHash.nixbase32() + ".nar";
    Files.move(tmp, cacheDir.resolve(url));
    NarInfo unsigned = NarInfo.builder()
        .storePath(path)
        .url(url)
        .compression("none")
        .narHash(narHash)
        .narSize(size)
        .references(references)
        .build();
    NarInfo info = unsigned.withSignature(key.sign(unsigned));
    Files.writeString(cacheDir.resolve(path.hashPart() + ".narinfo"), info.format());
    return info;
  }
}
