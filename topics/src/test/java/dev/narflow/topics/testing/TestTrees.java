package dev.narflow.topics.testing;

import com.google.protobuf.ByteString;
import dev.narflow.topics.castore.B3Digest;
import dev.narflow.topics.castore.Directories;
import dev.narflow.topics.castore.DirectoryBuilder;
import dev.narflow.topics.castore.v1.Directory;
import dev.narflow.topics.castore.v1.Node;
import dev.narflow.topics.kafka.IndexKey;
import dev.narflow.topics.kafka.IndexRecords;
import dev.narflow.topics.kafka.StorePathKey;
import dev.narflow.topics.nix.StorePath;
import dev.narflow.topics.store.v1.NARInfo;
import dev.narflow.topics.store.v1.PathInfo;
import dev.narflow.topics.v1.IndexRecord;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.List;
import java.util.Map;
import org.bouncycastle.crypto.digests.Blake3Digest;

/** Small real-looking index data: store paths whose trees share subdirectories. */
public final class TestTrees {
  private TestTrees() {}

  /** A store path named {@code name}, its digest derived from the name (stable across runs). */
  public static StorePath path(String name) {
    try {
      byte[] sha1 = MessageDigest.getInstance("SHA-1").digest(name.getBytes(StandardCharsets.UTF_8));
      return StorePath.of(sha1, name);
    } catch (NoSuchAlgorithmException e) {
      throw new AssertionError(e);
    }
  }

  public static StorePathKey key(StorePath path) {
    return StorePathKey.of(path);
  }

  /** The BLAKE3 digest of {@code contents}, as a file node would carry it. */
  public static B3Digest blob(String contents) {
    byte[] bytes = contents.getBytes(StandardCharsets.UTF_8);
    Blake3Digest b = new Blake3Digest();
    b.update(bytes, 0, bytes.length);
    byte[] out = new byte[32];
    b.doFinal(out, 0);
    return B3Digest.wrap(out);
  }

  public static Directory dir(Map<String, String> files, Map<String, Directory> subdirs) {
    DirectoryBuilder b = new DirectoryBuilder();
    files.forEach((name, contents) -> b.addFile(utf8(name), blob(contents), contents.length(), name.startsWith("bin")));
    subdirs.forEach((name, child) -> b.addDirectory(utf8(name), child));
    return b.build();
  }

  /** A PathInfo whose root is {@code root}, referring to {@code references}. */
  public static PathInfo pathInfo(StorePath path, Directory root, long narSize, List<StorePath> references) {
    Node node = Node.newBuilder().setDirectory(Directories.directoryNode(utf8(path.baseName()), root)).build();
    PathInfo.Builder info = PathInfo.newBuilder().setNode(node);
    NARInfo.Builder nar = NARInfo.newBuilder().setNarSize(narSize)
        .setNarSha256(ByteString.copyFrom(blob("nar of " + path).toByteArray()));
    for (StorePath r : references) {
      info.addReferences(ByteString.copyFrom(r.digest()));
      nar.addReferenceNames(r.baseName());
    }
    return info.setNarinfo(nar).build();
  }

  /** One index record, ready to produce. */
  public record Entry(IndexKey key, IndexRecord value) {
    public static Entry of(Directory d) {
      return new Entry(IndexRecords.keyOf(d), IndexRecords.of(d));
    }

    public static Entry of(PathInfo info, StorePath path) {
      return new Entry(IndexKey.pathInfo(path), IndexRecords.of(info));
    }
  }

  public static ByteString utf8(String s) {
    return ByteString.copyFromUtf8(s);
  }
}
