package dev.narflow.topics.castore;

import static dev.narflow.topics.castore.CastoreFixtures.utf8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import com.google.protobuf.UnknownFieldSet;
import dev.narflow.topics.castore.v1.Directory;
import dev.narflow.topics.castore.v1.DirectoryNode;
import dev.narflow.topics.castore.v1.FileNode;
import dev.narflow.topics.castore.v1.Node;
import dev.narflow.topics.castore.v1.StatBlobResponse;
import dev.narflow.topics.castore.v1.StatBlobResponse.ChunkMeta;
import dev.narflow.topics.castore.v1.SymlinkNode;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class DirectoriesValidationTest {
  private static final ByteString DIGEST = CastoreFixtures.EMPTY_BLOB.toByteString();

  private static DirectoryNode dir(String name, long size) {
    return DirectoryNode.newBuilder().setName(utf8(name)).setDigest(DIGEST).setSize(size).build();
  }

  private static FileNode file(ByteString name) {
    return FileNode.newBuilder().setName(name).setDigest(DIGEST).setSize(1).build();
  }

  private static FileNode file(String name) {
    return file(utf8(name));
  }

  private static SymlinkNode symlink(String name, ByteString target) {
    return SymlinkNode.newBuilder().setName(utf8(name)).setTarget(target).build();
  }

  /** Validation must fail with a message naming the entry and the rule. */
  private static void rejects(Directory d, String entry, String rule) {
    InvalidDirectoryException e = assertThrows(InvalidDirectoryException.class, () -> Directories.validate(d));
    assertTrue(e.getMessage().contains(entry), () -> "message names " + entry + ": " + e.getMessage());
    assertTrue(e.getMessage().contains(rule), () -> "message names rule " + rule + ": " + e.getMessage());
  }

  @Test
  void badNames() {
    rejects(Directory.newBuilder().addFiles(file("")).build(), "\"\" (file)", "name is empty");
    rejects(Directory.newBuilder().addDirectories(dir(".", 0)).build(), "\".\" (directory)", "'.' or '..'");
    rejects(Directory.newBuilder().addFiles(file("..")).build(), "\"..\" (file)", "'.' or '..'");
    rejects(Directory.newBuilder().addSymlinks(symlink("x/y", utf8("t"))).build(), "\"x/y\" (symlink)", "'/'");
    rejects(Directory.newBuilder().addFiles(file(ByteString.copyFrom(new byte[] {'a', 0}))).build(),
        "\"a\\x00\" (file)", "NUL");
    byte[] longName = new byte[256];
    Arrays.fill(longName, (byte) 'x');
    rejects(Directory.newBuilder().addFiles(file(ByteString.copyFrom(longName))).build(),
        "(256 bytes)", "more than 255");
    // 255 bytes is still fine; names are bytes, so non-UTF-8 is fine too.
    Directories.validate(Directory.newBuilder().addFiles(file(ByteString.copyFrom(longName, 0, 255))).build());
    Directories.validate(Directory.newBuilder().addFiles(file(ByteString.copyFrom(new byte[] {(byte) 0xff}))).build());
  }

  @Test
  void badDigests() {
    rejects(Directory.newBuilder()
        .addDirectories(DirectoryNode.newBuilder().setName(utf8("d")).setDigest(ByteString.copyFrom(new byte[] {0, 0x42})))
        .build(), "\"d\" (directory)", "digest must be 32 bytes, got 2");
    rejects(Directory.newBuilder().addFiles(FileNode.newBuilder().setName(utf8("f"))).build(),
        "\"f\" (file)", "got 0");
  }

  @Test
  void badSymlinkTargets() {
    rejects(Directory.newBuilder().addSymlinks(symlink("l", ByteString.EMPTY)).build(), "\"l\" (symlink)", "target is empty");
    rejects(Directory.newBuilder().addSymlinks(symlink("l", ByteString.copyFrom(new byte[] {'a', 0, 'b'}))).build(),
        "\"l\" (symlink)", "target contains NUL");
    byte[] target = new byte[4096];
    Arrays.fill(target, (byte) 'a');
    rejects(Directory.newBuilder().addSymlinks(symlink("l", ByteString.copyFrom(target))).build(),
        "\"l\" (symlink)", "target is 4096 bytes, more than 4095");
    Directories.validate(Directory.newBuilder().addSymlinks(symlink("l", ByteString.copyFrom(target, 0, 4095))).build());
  }

  @Test
  void ordering() {
    rejects(Directory.newBuilder().addDirectories(dir("b", 0)).addDirectories(dir("a", 0)).build(),
        "\"a\" (directory)", "not sorted: comes after \"b\"");
    rejects(Directory.newBuilder().addFiles(file("a")).addFiles(file("a")).build(), "\"a\" (file)", "duplicate name");
    rejects(Directory.newBuilder().addDirectories(dir("a", 0)).addSymlinks(symlink("a", utf8("b"))).build(),
        "\"a\"", "duplicate name (also a ");
    // Bytes compare unsigned: 0xff sorts after 'z'.
    Directories.validate(Directory.newBuilder()
        .addFiles(file("z")).addFiles(file(ByteString.copyFrom(new byte[] {(byte) 0xff}))).build());
    rejects(Directory.newBuilder()
            .addFiles(file(ByteString.copyFrom(new byte[] {(byte) 0xff}))).addFiles(file("z")).build(),
        "\"z\" (file)", "not sorted");
    // Lists are sorted each on its own: [b, c] and [a] is fine.
    Directories.validate(Directory.newBuilder()
        .addDirectories(dir("b", 0)).addDirectories(dir("c", 0)).addSymlinks(symlink("a", utf8("x"))).build());
  }

  @Test
  void sizeFormulaAndOverflow() {
    Directory d = Directory.newBuilder()
        .addDirectories(dir("a", 4)).addFiles(file("b")).addSymlinks(symlink("c", utf8("a"))).build();
    // 3 entries + (1 + 4) + 1 + 1
    assertEquals(10, Directories.size(d));
    Directory max = Directory.newBuilder().addDirectories(dir("a", -3)).build(); // 2^64 - 3
    assertEquals(-1L, Directories.size(max)); // 2^64 - 1, still representable
    rejects(Directory.newBuilder().addDirectories(dir("a", -2)).build(), "\"a\" (directory)", "overflows uint64");
    rejects(Directory.newBuilder().addDirectories(dir("a", Long.MIN_VALUE)).addDirectories(dir("b", Long.MIN_VALUE - 3)).build(),
        "\"b\" (directory)", "overflows uint64");
    InvalidDirectoryException e = assertThrows(InvalidDirectoryException.class,
        () -> new DirectoryBuilder().addDirectory(utf8("a"), CastoreFixtures.EMPTY_BLOB, -2L));
    assertTrue(e.getMessage().contains("overflows"), e.getMessage());
  }

  @Test
  void unknownFieldsAreNotCanonical() {
    UnknownFieldSet extra = UnknownFieldSet.newBuilder()
        .addField(9, UnknownFieldSet.Field.newBuilder().addVarint(1).build()).build();
    rejects(Directory.newBuilder().setUnknownFields(extra).build(), "invalid directory", "unknown fields [9]");
    rejects(Directory.newBuilder().addFiles(file("f").toBuilder().setUnknownFields(extra)).build(),
        "\"f\" (file)", "unknown fields [9]");
  }

  @Test
  void builderRejectsAsItGoes() {
    DirectoryBuilder b = new DirectoryBuilder().addFile(utf8("x"), CastoreFixtures.EMPTY_BLOB, 0, false);
    InvalidDirectoryException dup = assertThrows(InvalidDirectoryException.class,
        () -> b.addSymlink(utf8("x"), utf8("y")));
    assertTrue(dup.getMessage().contains("\"x\" (symlink): duplicate name (also a file)"), dup.getMessage());
    assertThrows(InvalidDirectoryException.class, () -> b.addSymlink(utf8("y"), ByteString.EMPTY));
    assertThrows(InvalidDirectoryException.class, () -> b.addDirectory(utf8(".."), Directory.getDefaultInstance()));
    assertThrows(IllegalArgumentException.class, () -> b.add(Node.getDefaultInstance()));
    // The failed adds left nothing behind.
    assertEquals(1, b.entryCount());
    assertEquals(2, b.size());
    assertEquals(Directories.size(b.build()), b.size());
  }

  @Test
  void blobStats() {
    ChunkMeta c1 = ChunkMeta.newBuilder().setDigest(DIGEST).setSize(10).build();
    ChunkMeta c2 = ChunkMeta.newBuilder().setDigest(DIGEST).setSize(-1).build();
    assertEquals(10, BlobStats.totalSize(StatBlobResponse.newBuilder().addChunks(c1).build()));
    IllegalArgumentException overflow = assertThrows(IllegalArgumentException.class,
        () -> BlobStats.validate(StatBlobResponse.newBuilder().addChunks(c1).addChunks(c2).build()));
    assertEquals("chunk #1: blob size overflows uint64", overflow.getMessage());
    IllegalArgumentException digest = assertThrows(IllegalArgumentException.class,
        () -> BlobStats.validate(StatBlobResponse.newBuilder().addChunks(c1.toBuilder().setDigest(ByteString.EMPTY)).build()));
    assertEquals("chunk #0: digest must be 32 bytes, got 0", digest.getMessage());
  }
}
