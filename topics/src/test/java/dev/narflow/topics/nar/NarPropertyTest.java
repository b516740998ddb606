package dev.narflow.topics.nar;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.google.protobuf.ByteString;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Random trees: write → read gives the tree back, and read → write gives the same bytes. */
class NarPropertyTest {
  private static final int CASES = 1000;

  @Test
  void randomTreesRoundTrip() throws Exception {
    long seed = Long.getLong("narflow.seed", 0x6e61725f73656564L); // -Dnarflow.seed=... to explore
    Random random = new Random(seed);
    int files = 0, executables = 0, empties = 0, symlinks = 0, directories = 0;
    for (int i = 0; i < CASES; i++) {
      long caseSeed = random.nextLong();
      try {
        Random r = new Random(caseSeed);
        NarTrees.Node tree = randomNode(r, 0, r.nextInt(5) == 0 ? 0 : 1 + r.nextInt(4));
        byte[] nar = NarTrees.write(tree);
        assertEquals(tree, NarTrees.read(nar));
        assertArrayEquals(nar, NarTrees.copy(nar));
        int[] counts = count(tree);
        files += counts[0];
        executables += counts[1];
        empties += counts[2];
        symlinks += counts[3];
        directories += counts[4];
      } catch (Throwable t) {
        throw new AssertionError("case " + i + " failed: seed " + seed + ", case seed " + caseSeed, t);
      }
    }
    // the generator really produced every kind of node
    String mix = files + " files, " + executables + " executable, " + empties + " empty, " + symlinks
        + " symlinks, " + directories + " directories";
    org.junit.jupiter.api.Assertions.assertTrue(
        files > 1000 && executables > 500 && empties > 100 && symlinks > 1000 && directories > 1000, mix);
  }

  private static NarTrees.Node randomNode(Random r, int depth, int maxDepth) {
    int kind = depth >= maxDepth ? r.nextInt(2) : r.nextInt(4);
    switch (kind) {
      case 0: {
        int size = switch (r.nextInt(6)) {
          case 0 -> 0;
          case 1 -> r.nextInt(9);
          case 2 -> 8 * r.nextInt(64);
          case 3 -> r.nextInt(300_000);
          default -> r.nextInt(3000);
        };
        byte[] contents = new byte[size];
        r.nextBytes(contents);
        return new NarTrees.File(r.nextBoolean(), contents);
      }
      case 1: {
        byte[] target = randomBytes(r, 1 + (r.nextInt(10) == 0 ? r.nextInt(4095) : r.nextInt(60)));
        for (int i = 0; i < target.length; i++) if (target[i] == 0) target[i] = '/';
        return new NarTrees.Symlink(ByteString.copyFrom(target));
      }
      default: {
        NarTrees.Directory d = new NarTrees.Directory();
        int entries = r.nextInt(4) == 0 ? 0 : r.nextInt(8);
        for (int i = 0; i < entries; i++) d.entries().put(randomName(r), randomNode(r, depth + 1, maxDepth));
        return d;
      }
    }
  }

  /** Any bytes but '/' and NUL, not "." or "..", 1..255 long; often similar prefixes to test ordering. */
  private static ByteString randomName(Random r) {
    int length = r.nextInt(20) == 0 ? 1 + r.nextInt(255) : 1 + r.nextInt(6);
    byte[] name = randomBytes(r, length);
    for (int i = 0; i < name.length; i++) {
      if (r.nextBoolean()) name[i] = (byte) ("ab.\u00ff".charAt(r.nextInt(4)));
      if (name[i] == 0 || name[i] == '/') name[i] = (byte) 0x80;
    }
    ByteString s = ByteString.copyFrom(name);
    if (s.equals(ByteString.copyFromUtf8(".")) || s.equals(ByteString.copyFromUtf8(".."))) return randomName(r);
    return s;
  }

  private static byte[] randomBytes(Random r, int n) {
    byte[] b = new byte[n];
    r.nextBytes(b);
    return b;
  }

  /** files, executable files, empty files, symlinks, directories. */
  private static int[] count(NarTrees.Node node) {
    int[] c = new int[5];
    if (node instanceof NarTrees.File f) {
      c[0]++;
      if (f.executable()) c[1]++;
      if (f.contents().length == 0) c[2]++;
    } else if (node instanceof NarTrees.Symlink) {
      c[3]++;
    } else {
      c[4]++;
      for (NarTrees.Node child : ((NarTrees.Directory) node).entries().values()) {
        int[] d = count(child);
        for (int i = 0; i < 5; i++) c[i] += d[i];
      }
    }
    return c;
  }
}
