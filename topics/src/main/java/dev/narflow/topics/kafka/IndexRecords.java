package dev.narflow.topics.kafka;

import com.google.protobuf.ByteString;
import dev.narflow.topics.castore.B3Digest;
import dev.narflow.topics.castore.BlobStats;
import dev.narflow.topics.castore.Directories;
import dev.narflow.topics.castore.v1.Directory;
import dev.narflow.topics.castore.v1.StatBlobResponse;
import dev.narflow.topics.castore.v1.Node;
import dev.narflow.topics.nix.StorePath;
import dev.narflow.topics.store.v1.NARInfo;
import dev.narflow.topics.store.v1.PathInfo;
import dev.narflow.topics.v1.IndexRecord;

/** Building narflow.index records and checking that a key and its value belong together. */
public final class IndexRecords {
  private IndexRecords() {}

  public static IndexRecord of(Directory directory) {
    return IndexRecord.newBuilder().setDirectory(directory).build();
  }

  public static IndexRecord of(StatBlobResponse blob) {
    return IndexRecord.newBuilder().setBlob(blob).build();
  }

  public static IndexRecord of(PathInfo pathInfo) {
    return IndexRecord.newBuilder().setPathInfo(pathInfo).build();
  }

  /** The key a Directory is stored under: {@code D} + its digest. */
  public static IndexKey keyOf(Directory directory) {
    return IndexKey.directory(Directories.digest(directory));
  }

  /** The record kind an index key calls for. */
  public static IndexRecord.RecordCase recordCaseOf(IndexKey.Type type) {
    return switch (type) {
      case DIRECTORY -> IndexRecord.RecordCase.DIRECTORY;
      case BLOB -> IndexRecord.RecordCase.BLOB;
      case PATH_INFO -> IndexRecord.RecordCase.PATH_INFO;
    };
  }

  /**
   * Checks that {@code record} is what {@code key} says: the matching kind; for a Directory also
   * that it is valid and hashes to the key's digest; for a blob that its chunk list is well
   * formed; for a PathInfo that it has a root node named by the store path of the key (its base
   * name, as snix names it), 20-byte references each named by a matching store path base name,
   * and a NARInfo with a 32-byte NAR hash. Returns {@code record}.
   *
   * @throws IllegalArgumentException naming the key and what does not match
   */
  public static IndexRecord verify(IndexKey key, IndexRecord record) {
    if (record == null) throw new IllegalArgumentException("index record " + key + " has no value");
    IndexRecord.RecordCase expected = recordCaseOf(key.type());
    if (record.getRecordCase() != expected) {
      throw new IllegalArgumentException("index record " + key + " holds " + record.getRecordCase()
          + ", but its key calls for " + expected);
    }
    try {
      switch (record.getRecordCase()) {
        case DIRECTORY -> {
          Directory d = Directories.validate(record.getDirectory());
          B3Digest actual = Directories.digest(d);
          if (!actual.equals(key.b3Digest())) {
            throw new IllegalArgumentException("Directory hashes to " + actual.hex());
          }
        }
        case BLOB -> BlobStats.validate(record.getBlob());
        default -> checkPathInfo(key.storePath(), record.getPathInfo());
      }
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("index record " + key + ": " + e.getMessage(), e);
    }
    return record;
  }

  /**
   * The store path base name a PathInfo's root node carries ({@code <hash>-<name>}, as snix names
   * it); checked against the key by {@link #verify}.
   *
   * @throws IllegalArgumentException if the PathInfo has no root node
   */
  public static String baseNameOf(PathInfo info) {
    return rootName(info.getNode()).toStringUtf8();
  }

  private static ByteString rootName(Node root) {
    return switch (root.getNodeCase()) {
      case DIRECTORY -> root.getDirectory().getName();
      case FILE -> root.getFile().getName();
      case SYMLINK -> root.getSymlink().getName();
      case NODE_NOT_SET -> throw new IllegalArgumentException("PathInfo has no root node");
    };
  }

  private static void checkPathInfo(StorePathKey key, PathInfo info) {
    StorePath path = storePath(rootName(info.getNode()), "root node name");
    if (!StorePathKey.of(path).equals(key)) {
      throw new IllegalArgumentException("PathInfo root node is named " + path.baseName()
          + ", not a path with hash part " + key.hashPart());
    }
    for (int i = 0; i < info.getReferencesCount(); i++) {
      int length = info.getReferences(i).size();
      if (length != StorePathKey.SIZE) {
        throw new IllegalArgumentException(
            "PathInfo reference #" + i + " must be " + StorePathKey.SIZE + " bytes, got " + length);
      }
    }
    if (!info.hasNarinfo()) throw new IllegalArgumentException("PathInfo has no narinfo");
    NARInfo narinfo = info.getNarinfo();
    if (narinfo.getNarSha256().size() != 32) {
      throw new IllegalArgumentException("PathInfo nar_sha256 must be 32 bytes, got " + narinfo.getNarSha256().size());
    }
    if (narinfo.getReferenceNamesCount() != info.getReferencesCount()) {
      throw new IllegalArgumentException("PathInfo has " + info.getReferencesCount() + " references but "
          + narinfo.getReferenceNamesCount() + " reference names");
    }
    for (int i = 0; i < info.getReferencesCount(); i++) {
      String name = narinfo.getReferenceNames(i);
      StorePath reference = storePath(ByteString.copyFromUtf8(name), "reference name #" + i);
      if (!StorePathKey.of(reference).equals(StorePathKey.of(info.getReferences(i).toByteArray()))) {
        throw new IllegalArgumentException("PathInfo reference name #" + i + " " + name
            + " does not match its reference digest");
      }
    }
  }

  private static StorePath storePath(ByteString baseName, String what) {
    try {
      return StorePath.parseBaseName(baseName.toStringUtf8());
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("PathInfo " + what + " is not a store path base name: " + e.getMessage(), e);
    }
  }
}
