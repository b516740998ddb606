package dev.narflow.topics.castore;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.google.protobuf.ByteString;
import dev.narflow.topics.castore.v1.Directory;
import dev.narflow.topics.castore.v1.DirectoryNode;
import dev.narflow.topics.castore.v1.FileNode;
import dev.narflow.topics.castore.v1.Node;
import dev.narflow.topics.castore.v1.SymlinkNode;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Random valid directories: canonical encoding, stable digest, order-independent building. */
class DirectoryPropertyTest {
  private static final int CASES = 2000;

  @Test
  void randomValidDirectoriesRoundTripAndHashStably() {
    long seed = new Random().nextLong();
    Random random = new Random(seed);
    for (int n = 0; n < CASES; n++) {
      try {
        List<Node> nodes = randomNodes(random);
        DirectoryBuilder builder = new DirectoryBuilder();
        nodes.forEach(builder::add);
        Directory d = Directories.validate(builder.build());

        byte[] encoded = d.toByteArray();
        Directory parsed = Directory.parseFrom(encoded);
        assertArrayEquals(encoded, Directories.validate(parsed).toByteArray());
        B3Digest digest = Directories.digest(d);
        assertEquals(digest, Directories.digest(parsed));
        assertEquals(builder.size(), Directories.size(parsed));

        // Any insertion order builds the same directory.
        Collections.shuffle(nodes, random);
        DirectoryBuilder again = new DirectoryBuilder();
        nodes.forEach(again::add);
        assertEquals(digest, Directories.digest(again.build()));

        // Swapping two entries of one list breaks the order, and validation notices.
        if (d.getFilesCount() >= 2) {
          int i = random.nextInt(d.getFilesCount() - 1);
          FileNode a = d.getFiles(i);
          Directory swapped = d.toBuilder().setFiles(i, d.getFiles(i + 1)).setFiles(i + 1, a).build();
          assertThrows(InvalidDirectoryException.class, () -> Directories.validate(swapped));
          assertNotEquals(digest, Directories.digest(swapped));
        }
      } catch (Throwable t) {
        throw new AssertionError("case " + n + " failed; seed " + seed, t);
      }
    }
  }

  private static List<Node> randomNodes(Random random) {
    int count = random.nextInt(12);
    Set<ByteString> names = new HashSet<>();
    List<Node> nodes = new ArrayList<>();
    while (nodes.size() < count) {
      ByteString name = randomName(random);
      if (!names.add(name)) continue;
      nodes.add(switch (random.nextInt(3)) {
        case 0 -> Node.newBuilder().setDirectory(DirectoryNode.newBuilder()
            .setName(name).setDigest(randomDigest(random)).setSize(random.nextInt(1 << 20))).build();
        case 1 -> Node.newBuilder().setFile(FileNode.newBuilder()
            .setName(name).setDigest(randomDigest(random))
            .setSize(random.nextBoolean() ? random.nextInt(100) : random.nextLong() >>> 1)
            .setExecutable(random.nextBoolean())).build();
        default -> Node.newBuilder().setSymlink(SymlinkNode.newBuilder()
            .setName(name).setTarget(randomBytes(random, 1 + random.nextInt(40), false))).build();
      });
    }
    return nodes;
  }

  /** Short names over a small alphabet (so prefixes and near-collisions are common), or raw bytes. */
  private static ByteString randomName(Random random) {
    if (random.nextInt(4) == 0) return randomBytes(random, 1 + random.nextInt(255), true);
    byte[] alphabet = {'a', 'b', '.', '-', 'A', (byte) 0x80, (byte) 0xff};
    byte[] name = new byte[1 + random.nextInt(3)];
    for (int i = 0; i < name.length; i++) name[i] = alphabet[random.nextInt(alphabet.length)];
    ByteString s = ByteString.copyFrom(name);
    return s.equals(ByteString.copyFromUtf8(".")) || s.equals(ByteString.copyFromUtf8("..")) ? randomName(random) : s;
  }

  private static ByteString randomBytes(Random random, int length, boolean forName) {
    byte[] b = new byte[length];
    for (int i = 0; i < length; i++) {
      int v;
      do {
        v = random.nextInt(256);
      } while (v == 0 || (forName && v == '/'));
      b[i] = (byte) v;
    }
    ByteString s = ByteString.copyFrom(b);
    return forName && (s.equals(ByteString.copyFromUtf8(".")) || s.equals(ByteString.copyFromUtf8("..")))
        ? randomBytes(random, length, true) : s;
  }

  private static ByteString randomDigest(Random random) {
    byte[] b = new byte[32];
    random.nextBytes(b);
    return ByteString.copyFrom(b);
  }
}
