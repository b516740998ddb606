package dev.narflow.exporter.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import dev.narflow.chunker.nar.DirectoryLookup;
import dev.narflow.chunker.nar.NarLayout;
import dev.narflow.topics.castore.B3Digest;
import dev.narflow.topics.castore.Directories;
import dev.narflow.topics.castore.DirectoryBuilder;
import dev.narflow.topics.castore.v1.Directory;
import dev.narflow.topics.castore.v1.Node;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The layout cache: a second range of a NAR looks no Directory up; the heap it holds is bounded. */
class NarLayoutsTest {
  static Node tree(int files, Directory[] out) {
    DirectoryBuilder lib = new DirectoryBuilder();
    for (int i = 0; i < files; i++) lib.addFile(ByteString.copyFromUtf8("f" + i), B3Digest.wrap(new byte[32]), i, false);
    Directory libDir = lib.build();
    Directory top = new DirectoryBuilder().addDirectory(ByteString.copyFromUtf8("lib"), libDir).build();
    out[0] = top;
    out[1] = libDir;
    return Node.newBuilder().setDirectory(Directories.directoryNode(ByteString.copyFromUtf8("root"), top)).build();
  }

  @Test
  void aSecondRangeOfANarLooksNothingUpAndTheCacheStaysWithinItsBound() throws Exception {
    Directory[] dirs = new Directory[2];
    Node root = tree(10, dirs);
    AtomicInteger lookups = new AtomicInteger();
    DirectoryLookup counting = digest -> {
      lookups.incrementAndGet();
      return DirectoryLookup.of(List.of(dirs)).get(digest);
    };
    long oneLayout = NarLayout.of(root, counting, Long.MAX_VALUE).orElseThrow().bytes();
    lookups.set(0);
    NarLayouts cache = new NarLayouts(oneLayout * 4 * 2); // one layout fits per-entry cap, a few in all
    byte[] nar1 = new byte[32];
    NarLayout first = cache.get(nar1, root, counting).orElseThrow();
    assertEquals(2, lookups.get(), "walked once: both Directories");
    assertSame(first, cache.get(nar1, root, counting).orElseThrow());
    assertEquals(2, lookups.get(), "the second range looked nothing up");
    assertEquals(1, cache.hits());

    for (int i = 1; i <= 20; i++) {
      byte[] nar = new byte[32];
      nar[0] = (byte) i;
      cache.get(nar, root, counting);
      assertTrue(cache.bytes() <= oneLayout * 8, "within the bound: " + cache.bytes());
    }
    assertTrue(cache.cached(nar1).isEmpty(), "the least recently used layout was dropped");

    // A tree whose layout alone exceeds a quarter of the bound is not kept.
    Node big = tree(1000, dirs);
    assertTrue(cache.get(new byte[] {9}, big, DirectoryLookup.of(List.of(dirs))).isEmpty());
  }
}
