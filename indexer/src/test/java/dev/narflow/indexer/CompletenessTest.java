package dev.narflow.indexer;

import static dev.narflow.indexer.IndexerHarness.awaitValue;
import static dev.narflow.topics.testing.TestTrees.dir;
import static dev.narflow.topics.testing.TestTrees.key;
import static dev.narflow.topics.testing.TestTrees.path;
import static dev.narflow.topics.testing.TestTrees.pathInfo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.narflow.topics.castore.v1.Directory;
import dev.narflow.topics.kafka.StorePathKey;
import dev.narflow.topics.nix.StorePath;
import dev.narflow.topics.store.v1.PathInfo;
import dev.narflow.topics.testing.TestTrees;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * Tree- and closure-completeness over four partitions: a closure of three paths (app → hello →
 * glibc, hello referring to itself), whose trees share a nested directory, indexed in the order
 * workers write it, and in orders a compacted topic may replay it in.
 */
class CompletenessTest extends BrokerTest {
  // share/doc/{README,COPYING}: shared by hello and app.
  static final Directory DOC = dir(Map.of("README", "hello docs", "COPYING", "GPLv3"), Map.of());
  static final Directory SHARE = dir(Map.of(), Map.of("doc", DOC));
  static final Directory GLIBC_LIB = dir(Map.of("libc.so.6", "ELF libc", "ld-linux.so.2", "ELF ld"), Map.of());
  static final Directory GLIBC = dir(Map.of(), Map.of("lib", GLIBC_LIB));
  static final Directory HELLO = dir(Map.of("bin-hello", "ELF hello"), Map.of("share", SHARE));
  static final Directory APP = dir(Map.of("bin-app", "ELF app"), Map.of("share", SHARE));

  static final StorePath glibc = path("glibc-2.40-66");
  static final StorePath hello = path("hello-2.12.1");
  static final StorePath app = path("app-1.0");
  static final PathInfo GLIBC_INFO = pathInfo(glibc, GLIBC, 30_000_000, List.of(glibc));
  static final PathInfo HELLO_INFO = pathInfo(hello, HELLO, 200_000, List.of(glibc, hello));
  static final PathInfo APP_INFO = pathInfo(app, APP, 50_000, List.of(hello, glibc));

  /** Every record, children before parents and references before referrers: how workers write. */
  static List<TestTrees.Entry> inWriteOrder() {
    return List.of(
        TestTrees.Entry.of(GLIBC_LIB), TestTrees.Entry.of(GLIBC), TestTrees.Entry.of(GLIBC_INFO, glibc),
        TestTrees.Entry.of(DOC), TestTrees.Entry.of(SHARE), TestTrees.Entry.of(HELLO), TestTrees.Entry.of(HELLO_INFO, hello),
        TestTrees.Entry.of(DOC), TestTrees.Entry.of(SHARE), TestTrees.Entry.of(APP), TestTrees.Entry.of(APP_INFO, app));
  }

  @Test
  void closureCompletesInWriteOrder() throws Exception {
    Indexer indexer = harness.startIndexer(stateDir, Duration.ofHours(1));
    harness.request(app, true);
    harness.index(inWriteOrder());
    MirrorStatus status = awaitComplete(indexer, app);
    assertEquals(new MirrorStatus(3, 3, 3, 30_250_000, List.of(), Map.of(), true), status);
    assertEquals(PathState.CLOSURE_COMPLETE, indexer.pathStatus(key(hello)).state());
    assertEquals(List.of(key(glibc), key(hello)), indexer.pathStatus(key(hello)).references());
    // The stores show completion at once, the topic once the transaction commits.
    assertEquals(Map.of(key(glibc), 1, key(hello), 1, key(app), 1), IndexerHarness.awaitValue("all servable",
        () -> harness.closureComplete(indexer), m -> m.size() == 3), "every closure-complete path passed on once");
  }

  @Test
  void closureCompletesInReversedOrderWithDuplicates() throws Exception {
    Indexer indexer = harness.startIndexer(stateDir, Duration.ofHours(1));
    // Referrers before references, PathInfos before Directories, parents before children.
    List<TestTrees.Entry> reversed = new ArrayList<>(inWriteOrder());
    Collections.reverse(reversed);
    harness.index(reversed);
    harness.index(reversed.subList(0, 4)); // a worker wrote app twice; compaction has not run yet
    assertEquals(new MirrorStatus(3, 3, 3, 30_250_000, List.of(), Map.of(), true), awaitComplete(indexer, app));
  }

  @Test
  void closureCompletesInShuffledOrders() throws Exception {
    Indexer indexer = harness.startIndexer(stateDir, Duration.ofHours(1));
    // Three shuffles of one compacted index each under its own paths, so each is a fresh graph
    // (directories are shared across them, as content-addressed records are).
    Random random = new Random(6);
    List<StorePath> roots = new ArrayList<>();
    for (int round = 0; round < 3; round++) {
      StorePath g = path("glibc-2.40-" + round);
      StorePath h = path("hello-2.12." + round);
      StorePath a = path("app-1." + round);
      List<TestTrees.Entry> entries = new ArrayList<>(List.of(
          TestTrees.Entry.of(GLIBC_LIB), TestTrees.Entry.of(GLIBC), TestTrees.Entry.of(DOC), TestTrees.Entry.of(SHARE),
          TestTrees.Entry.of(HELLO), TestTrees.Entry.of(APP),
          TestTrees.Entry.of(pathInfo(g, GLIBC, 10, List.of()), g),
          TestTrees.Entry.of(pathInfo(h, HELLO, 20, List.of(g, h)), h),
          TestTrees.Entry.of(pathInfo(a, APP, 30, List.of(h)), a)));
      Collections.shuffle(entries, random);
      harness.index(entries);
      roots.add(a);
    }
    for (StorePath root : roots) {
      assertEquals(new MirrorStatus(3, 3, 3, 60, List.of(), Map.of(), true), awaitComplete(indexer, root));
    }
  }

  @Test
  void pathWaitsOnAMissingReferenceUntilItArrives() throws Exception {
    Indexer indexer = harness.startIndexer(stateDir, Duration.ofHours(1));
    StorePath openssl = path("openssl-3.3.2");
    PathInfo appNeedingOpenssl = pathInfo(app, APP, 50_000, List.of(hello, openssl));
    harness.request(app, true);
    List<TestTrees.Entry> entries = new ArrayList<>(inWriteOrder());
    entries.set(entries.size() - 1, TestTrees.Entry.of(appNeedingOpenssl, app));
    harness.index(entries);

    // hello's closure completes; app's cannot, and says why.
    MirrorStatus waiting = awaitValue("hello complete, app waiting on openssl", () -> indexer.status(List.of(key(app))),
        s -> s.pathsClosureComplete() == 2 && s.waiting().equals(Map.of(key(app), Set.of(key(openssl)))));
    assertEquals(new MirrorStatus(4, 3, 2, 30_250_000, List.of(), Map.of(key(app), Set.of(key(openssl))), false), waiting);
    assertEquals(PathState.KNOWN, indexer.pathStatus(key(openssl)).state());
    assertEquals(PathState.TREE_COMPLETE, indexer.pathStatus(key(app)).state());
    assertEquals(Set.of(key(openssl)), indexer.pathStatus(key(app)).waitsOn());
    assertEquals(Map.of(key(glibc), 1, key(hello), 1), IndexerHarness.awaitValue("hello servable",
        () -> harness.closureComplete(indexer), m -> m.size() >= 2), "app is not servable while it waits");

    Directory opensslRoot = dir(Map.of("libssl.so.3", "ELF ssl"), Map.of());
    harness.index(TestTrees.Entry.of(opensslRoot), TestTrees.Entry.of(pathInfo(openssl, opensslRoot, 7_000, List.of()), openssl));
    assertEquals(new MirrorStatus(4, 4, 4, 30_257_000, List.of(), Map.of(), true), awaitComplete(indexer, app));
    Map<StorePathKey, Integer> servable = IndexerHarness.awaitValue("app servable", () -> harness.closureComplete(indexer),
        m -> m.containsKey(key(app)));
    assertEquals(Map.of(key(glibc), 1, key(hello), 1, key(openssl), 1, key(app), 1), servable);
  }

  @Test
  void treeIsIncompleteUntilEveryDirectoryBelowItArrives() throws Exception {
    Indexer indexer = harness.startIndexer(stateDir, Duration.ofHours(1));
    // hello's PathInfo and root Directory, but not share/ nor share/doc/ (say, not yet replayed).
    harness.index(TestTrees.Entry.of(GLIBC_LIB), TestTrees.Entry.of(GLIBC), TestTrees.Entry.of(GLIBC_INFO, glibc),
        TestTrees.Entry.of(HELLO), TestTrees.Entry.of(HELLO_INFO, hello));
    // Once glibc's completion has reached hello, hello waits on its own tree only.
    MirrorStatus partial = awaitValue("hello waiting on its own tree", () -> indexer.status(List.of(key(hello))),
        s -> s.waiting().equals(Map.of(key(hello), Set.of(key(hello)))));
    assertFalse(partial.complete());
    assertEquals(1, partial.pathsClosureComplete());
    assertEquals(PathState.INDEXED, indexer.pathStatus(key(hello)).state());

    harness.index(TestTrees.Entry.of(SHARE));
    harness.index(TestTrees.Entry.of(DOC));
    assertTrue(awaitComplete(indexer, hello).complete());
  }

  @Test
  void rootWithoutClosureIsDoneWhenItsTreeIs() throws Exception {
    Indexer indexer = harness.startIndexer(stateDir, Duration.ofHours(1));
    harness.request(hello, false);
    IndexerHarness.await("hello forwarded", () -> harness.workFor(hello) == 1);
    harness.index(TestTrees.Entry.of(DOC), TestTrees.Entry.of(SHARE), TestTrees.Entry.of(HELLO),
        TestTrees.Entry.of(HELLO_INFO, hello));
    // glibc is never indexed, and need not be.
    MirrorStatus status = awaitComplete(indexer, hello);
    assertEquals(new MirrorStatus(1, 1, 1, 200_000, List.of(), Map.of(), true), status);
    assertEquals(PathState.TREE_COMPLETE, indexer.pathStatus(key(hello)).state());
  }

  static MirrorStatus awaitComplete(Indexer indexer, StorePath root) throws InterruptedException {
    List<StorePathKey> roots = List.of(key(root));
    return awaitValue(root + " complete", () -> indexer.status(roots), MirrorStatus::complete);
  }
}
