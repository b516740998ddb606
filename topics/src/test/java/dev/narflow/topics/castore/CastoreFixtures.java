package dev.narflow.topics.castore;

import com.google.protobuf.ByteString;
import dev.narflow.topics.castore.v1.Directory;
import dev.narflow.topics.castore.v1.DirectoryNode;
import dev.narflow.topics.castore.v1.FileNode;
import dev.narflow.topics.castore.v1.SymlinkNode;

/** The Directories of fixtures/VECTORS.md (as snix's fixtures), built field by field. */
public final class CastoreFixtures {
  /** BLAKE3 of no bytes: the empty blob (and the empty Directory). */
  public static final B3Digest EMPTY_BLOB =
      B3Digest.fromHex("af1349b9f5f9a1a6a0404dea36dcc9499bcb25c9adc112b7cc9a93cae41f3262");

  private CastoreFixtures() {}

  /** One empty, non-executable file {@code .keep}. */
  public static Directory directoryWithKeep() {
    return Directory.newBuilder()
        .addFiles(FileNode.newBuilder()
            .setName(utf8(".keep"))
            .setDigest(EMPTY_BLOB.toByteString())
            .setSize(0)
            .setExecutable(false))
        .build();
  }

  /** Directory {@code keep} (= directoryWithKeep), file {@code .keep}, symlink {@code aa}. */
  public static Directory directoryComplicated() {
    Directory keep = directoryWithKeep();
    return Directory.newBuilder()
        .addDirectories(DirectoryNode.newBuilder()
            .setName(utf8("keep"))
            .setDigest(Directories.digest(keep).toByteString())
            .setSize(Directories.size(keep)))
        .addFiles(FileNode.newBuilder()
            .setName(utf8(".keep"))
            .setDigest(EMPTY_BLOB.toByteString())
            .setSize(0))
        .addSymlinks(SymlinkNode.newBuilder()
            .setName(utf8("aa"))
            .setTarget(utf8("/nix/store/somewhereelse")))
        .build();
  }

  public static ByteString utf8(String s) {
    return ByteString.copyFromUtf8(s);
  }
}
