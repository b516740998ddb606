package dev.narflow.topics.castore;

import com.google.protobuf.ByteString;
import com.google.protobuf.Message;
import dev.narflow.topics.castore.v1.Directory;
import dev.narflow.topics.castore.v1.DirectoryNode;
import dev.narflow.topics.castore.v1.FileNode;
import dev.narflow.topics.castore.v1.SymlinkNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Comparator;
import java.util.List;
import org.bouncycastle.crypto.digests.Blake3Digest;
import org.bouncycastle.crypto.io.DigestOutputStream;

/**
 * The castore rules for {@link Directory} messages, compatible with snix: the canonical digest,
 * the size, and validation.
 *
 * <p>Sizes are uint64 on the wire and held in a {@code long}; read them with
 * {@link Long#toUnsignedString(long)} and compare them with {@link Long#compareUnsigned}.
 */
public final class Directories {
  /** Longest entry name, in bytes (as Nix and snix). */
  public static final int MAX_NAME_BYTES = Names.MAX_NAME_BYTES;
  /** Longest symlink target, in bytes (as Nix and snix). */
  public static final int MAX_SYMLINK_TARGET_BYTES = Names.MAX_TARGET_BYTES;
  /** The order of entry names: bytewise, unsigned. */
  public static final Comparator<ByteString> NAME_ORDER = ByteString.unsignedLexicographicalComparator();


  private Directories() {}

  /**
   * BLAKE3-256 of the protobuf encoding of {@code directory}, the address snix gives it. This
   * hashes the message as it is: {@link #validate} input that was not built by
   * {@link DirectoryBuilder}, since an unsorted or otherwise invalid directory has a digest
   * that no conforming writer would produce.
   */
  public static B3Digest digest(Directory directory) {
    // Directory encodings are small; BouncyCastle's BLAKE3 keeps topics free of our own deps.
    Blake3Digest blake3 = new Blake3Digest();
    try (DigestOutputStream out = new DigestOutputStream(blake3)) {
      directory.writeTo(out);
    } catch (IOException e) {
      throw new UncheckedIOException("hashing into memory cannot fail", e);
    }
    byte[] digest = new byte[B3Digest.SIZE];
    blake3.doFinal(digest, 0);
    return B3Digest.wrap(digest);
  }

  /**
   * The size of {@code directory} as snix computes it:
   * {@code entries + Σ over entries (directory: 1 + its size; file or symlink: 1)}, with the
   * children's sizes taken from their DirectoryNodes.
   *
   * @throws InvalidDirectoryException if the sum overflows uint64
   */
  public static long size(Directory directory) {
    long size = 0;
    for (DirectoryNode child : directory.getDirectoriesList()) {
      size = addSize(size, 2, child.getName(), "directory");
      size = addSize(size, child.getSize(), child.getName(), "directory");
    }
    for (FileNode file : directory.getFilesList()) {
      size = addSize(size, 2, file.getName(), "file");
    }
    for (SymlinkNode symlink : directory.getSymlinksList()) {
      size = addSize(size, 2, symlink.getName(), "symlink");
    }
    return size;
  }

  /** Adds unsigned {@code b} to unsigned {@code a}, failing rather than wrapping past 2^64-1. */
  static long addSize(long a, long b, ByteString name, String kind) {
    long r = a + b;
    if (Long.compareUnsigned(r, a) < 0) {
      throw InvalidDirectoryException.forEntry(name, kind, "directory size overflows uint64");
    }
    return r;
  }

  /** The DirectoryNode that refers to {@code child} under {@code name}: its digest and size. */
  public static DirectoryNode directoryNode(ByteString name, Directory child) {
    checkName(name, "directory");
    return DirectoryNode.newBuilder()
        .setName(name)
        .setDigest(digest(child).toByteString())
        .setSize(size(child))
        .build();
  }

  /**
   * Checks every castore rule and returns {@code directory}: names valid, each list sorted
   * strictly by name bytes and no name in two lists, digests of 32 bytes, symlink targets valid,
   * the size computable without overflow, and no unknown fields (which would change the
   * encoding, and so the digest, against what snix computes).
   *
   * @throws InvalidDirectoryException naming the first offending entry and the rule it breaks
   */
  public static Directory validate(Directory directory) {
    checkKnownFieldsOnly(directory, null, null);
    ByteString previous = null;
    for (DirectoryNode d : directory.getDirectoriesList()) {
      checkKnownFieldsOnly(d, d.getName(), "directory");
      checkName(d.getName(), "directory");
      checkDigest(d.getDigest(), d.getName(), "directory");
      checkOrder(previous, d.getName(), "directory");
      previous = d.getName();
    }
    previous = null;
    for (FileNode f : directory.getFilesList()) {
      checkKnownFieldsOnly(f, f.getName(), "file");
      checkName(f.getName(), "file");
      checkDigest(f.getDigest(), f.getName(), "file");
      checkOrder(previous, f.getName(), "file");
      previous = f.getName();
    }
    previous = null;
    for (SymlinkNode s : directory.getSymlinksList()) {
      checkKnownFieldsOnly(s, s.getName(), "symlink");
      checkName(s.getName(), "symlink");
      checkSymlinkTarget(s.getTarget(), s.getName());
      checkOrder(previous, s.getName(), "symlink");
      previous = s.getName();
    }
    checkUniqueAcrossLists(directory);
    size(directory);
    return directory;
  }

  /**
   * Checks an entry name: non-empty, not {@code .} or {@code ..}, no {@code /} or NUL, at most
   * 255 bytes.
   *
   * @param kind what the entry is (directory, file, symlink), for the message
   */
  public static void checkName(ByteString name, String kind) {
    Names.Violation violation = Names.checkName(name);
    if (violation == null) return;
    throw InvalidDirectoryException.forEntry(name, kind, switch (violation) {
      case EMPTY -> "name is empty";
      case DOT -> "name is '.' or '..'";
      case TOO_LONG -> "name is " + name.size() + " bytes, more than " + MAX_NAME_BYTES;
      case SLASH -> "name contains '/'";
      case NUL -> "name contains NUL";
    });
  }

  /** Checks a symlink target: non-empty, no NUL, at most 4095 bytes. */
  public static void checkSymlinkTarget(ByteString target, ByteString name) {
    Names.Violation violation = Names.checkTarget(target);
    if (violation == null) return;
    throw InvalidDirectoryException.forEntry(name, "symlink", switch (violation) {
      case EMPTY -> "target is empty";
      case TOO_LONG -> "target is " + target.size() + " bytes, more than " + MAX_SYMLINK_TARGET_BYTES;
      default -> "target contains NUL";
    });
  }

  static void checkDigest(ByteString digest, ByteString name, String kind) {
    if (digest.size() != B3Digest.SIZE) {
      throw InvalidDirectoryException.forEntry(
          name, kind, "digest must be " + B3Digest.SIZE + " bytes, got " + digest.size());
    }
  }

  private static void checkOrder(ByteString previous, ByteString name, String kind) {
    if (previous == null) return;
    int c = NAME_ORDER.compare(previous, name);
    if (c == 0) throw InvalidDirectoryException.forEntry(name, kind, "duplicate name");
    if (c > 0) {
      throw InvalidDirectoryException.forEntry(
          name, kind, "not sorted: comes after " + Names.printable(previous));
    }
  }

  private static void checkKnownFieldsOnly(Message m, ByteString name, String kind) {
    if (m.getUnknownFields().asMap().isEmpty()) return;
    String rule = "unknown fields " + m.getUnknownFields().asMap().keySet()
        + " (the encoding would not be canonical)";
    throw name == null
        ? InvalidDirectoryException.forDirectory(rule)
        : InvalidDirectoryException.forEntry(name, kind, rule);
  }

  /** Each list is sorted already; merging the three finds a name used twice in one pass. */
  private static void checkUniqueAcrossLists(Directory directory) {
    List<DirectoryNode> ds = directory.getDirectoriesList();
    List<FileNode> fs = directory.getFilesList();
    List<SymlinkNode> ss = directory.getSymlinksList();
    int i = 0, j = 0, k = 0;
    ByteString previous = null;
    String previousKind = null;
    while (i < ds.size() || j < fs.size() || k < ss.size()) {
      ByteString name = null;
      String kind = null;
      if (i < ds.size()) {
        name = ds.get(i).getName();
        kind = "directory";
      }
      if (j < fs.size() && (name == null || NAME_ORDER.compare(fs.get(j).getName(), name) < 0)) {
        name = fs.get(j).getName();
        kind = "file";
      }
      if (k < ss.size() && (name == null || NAME_ORDER.compare(ss.get(k).getName(), name) < 0)) {
        name = ss.get(k).getName();
        kind = "symlink";
      }
      switch (kind) {
        case "directory" -> i++;
        case "file" -> j++;
        default -> k++;
      }
      if (previous != null && previous.equals(name)) {
        throw InvalidDirectoryException.forEntry(
            name, kind, "duplicate name (also a " + previousKind + ")");
      }
      previous = name;
      previousKind = kind;
    }
  }
}
