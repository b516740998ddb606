package dev.narflow.indexer;

import static dev.narflow.indexer.IndexerHarness.await;
import static dev.narflow.topics.testing.TestTrees.dir;
import static dev.narflow.topics.testing.TestTrees.key;
import static dev.narflow.topics.testing.TestTrees.path;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.narflow.indexer.v1.Route;
import dev.narflow.topics.castore.v1.Directory;
import dev.narflow.topics.kafka.StorePathKey;
import dev.narflow.topics.nix.StorePath;
import dev.narflow.topics.testing.TestTrees;
import dev.narflow.topics.v1.FetchFailure;
import dev.narflow.topics.v1.FetchRequest;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.utils.Utils;
import org.junit.jupiter.api.Test;

/** The router against a real broker: what reaches narflow.work, and when. */
class RoutingTest extends BrokerTest {
  @Test
  void duplicateRequestsAreForwardedOnce() throws Exception {
    harness.startIndexer(stateDir, Duration.ofHours(1));
    StorePath hello = path("hello-2.12.1");
    StorePath marker = samePartition(hello, "marker");
    harness.request(hello, true);
    harness.request(hello, true);
    harness.request(hello, false);
    harness.request(marker, true);
    // The marker follows the duplicates in their partition: once it is forwarded, they were seen.
    await("marker forwarded", () -> harness.workFor(marker) == 1);
    assertEquals(1, harness.workFor(hello));
    assertEquals(PathState.IN_FLIGHT, harnessIndexer().pathStatus(key(hello)).state());
  }

  @Test
  void requestForAnIndexedPathIsDropped() throws Exception {
    Indexer indexer = harness.startIndexer(stateDir, Duration.ofHours(1));
    StorePath hello = path("hello-2.12.1");
    Directory root = dir(Map.of("bin-hello", "ELF hello"), Map.of());
    harness.index(TestTrees.Entry.of(root), TestTrees.Entry.of(TestTrees.pathInfo(hello, root, 1234, List.of()), hello));
    await("router sees hello indexed", () -> indexer.routeState(key(hello)) == Route.State.INDEXED);
    StorePath marker = samePartition(hello, "marker");
    harness.request(hello, false);
    harness.request(marker, false);
    await("marker forwarded", () -> harness.workFor(marker) == 1);
    assertEquals(0, harness.workFor(hello));
  }

  @Test
  void failedPathIsRememberedAndRetriedWhenRequestedAgain() throws Exception {
    Indexer indexer = harness.startIndexer(stateDir, Duration.ofHours(1));
    StorePath broken = path("broken-1.0");
    harness.request(broken, true);
    await("first forward", () -> harness.workFor(broken) == 1);
    harness.fail(broken, FetchFailure.Reason.NOT_FOUND, "upstream has no narinfo", 404);
    await("failure remembered", () -> indexer.pathStatus(key(broken)).state() == PathState.FAILED);
    MirrorStatus failed = indexer.status(List.of(key(broken)));
    assertEquals(List.of(new PathFailure(broken.absolute(), FetchFailure.Reason.NOT_FOUND, "upstream has no narinfo", 404)),
        failed.failures());
    assertTrue(!failed.complete());

    harness.request(broken, true);
    await("forwarded again", () -> harness.workFor(broken) == 2);
    assertEquals(PathState.IN_FLIGHT, indexer.pathStatus(key(broken)).state());
    assertEquals(List.of(), indexer.status(List.of(key(broken))).failures());

    Directory root = dir(Map.of("README", "fixed now"), Map.of());
    harness.index(TestTrees.Entry.of(root), TestTrees.Entry.of(TestTrees.pathInfo(broken, root, 99, List.of()), broken));
    await("router sees it indexed", () -> indexer.routeState(key(broken)) == Route.State.INDEXED);
    MirrorStatus done = IndexerHarness.awaitValue("complete", () -> indexer.status(List.of(key(broken))), MirrorStatus::complete);
    assertEquals(List.of(), done.failures());
  }

  @Test
  void requestInFlightTooLongIsSentAgain() throws Exception {
    harness.startIndexer(stateDir, Duration.ofMillis(500));
    StorePath lost = path("lost-0.1");
    harness.request(lost, true);
    await("sent again", () -> harness.workFor(lost) >= 2);
    List<Integer> attempts = harness.work().stream().filter(r -> r.key().equals(key(lost)))
        .map(r -> r.value().getAttempt()).toList();
    assertEquals(List.of(1, 2), attempts.subList(0, 2));
  }

  @Test
  void closureRequestForAPathIndexedWithoutClosureRequestsItsReferences() throws Exception {
    Indexer indexer = harness.startIndexer(stateDir, Duration.ofHours(1));
    StorePath glibc = path("glibc-2.40");
    StorePath hello = path("hello-2.12.1");
    harness.request(hello, false);
    await("hello forwarded", () -> harness.workFor(hello) == 1);
    Directory root = dir(Map.of("bin-hello", "ELF hello"), Map.of());
    harness.index(TestTrees.Entry.of(root),
        TestTrees.Entry.of(TestTrees.pathInfo(hello, root, 1234, List.of(glibc, hello)), hello));
    await("router sees hello indexed", () -> indexer.routeState(key(hello)) == Route.State.INDEXED);
    assertEquals(0, harness.workFor(glibc), "no closure asked for yet");

    harness.request(hello, true);
    await("reference requested", () -> harness.workFor(glibc) == 1);
    FetchRequest forwarded = harness.work().stream().filter(r -> r.key().equals(key(glibc))).findFirst().orElseThrow().value();
    assertEquals("closure:" + hello.baseName(), forwarded.getOrigin());
    assertTrue(forwarded.getClosure());
    assertEquals(1, harness.workFor(hello), "hello itself is not fetched again");
  }

  @Test
  void malformedInputIsSkippedAndTheRestGoesOn() throws Exception {
    Indexer indexer = harness.startIndexer(stateDir, Duration.ofHours(1));
    StorePath hello = path("hello-2.12.1");
    StorePath other = path("other-1.0");
    StorePath marker = samePartition(hello, "marker");
    harness.requestUnder(hello, IndexerHarness.fetchRequest(other, true)); // key and path disagree
    harness.requestUnder(hello, FetchRequest.newBuilder().setOrigin("cli").build()); // names no path
    harness.request(marker, true);
    await("marker forwarded", () -> harness.workFor(marker) == 1);
    assertEquals(0, harness.workFor(hello) + harness.workFor(other));

    // An undecodable index record and one that is not what its key says, then a good one.
    Directory root = dir(Map.of("bin-hello", "ELF hello"), Map.of());
    TestTrees.Entry info = TestTrees.Entry.of(TestTrees.pathInfo(hello, root, 1234, List.of()), hello);
    harness.indexRaw(info.key().toBytes(), new byte[] {(byte) 0xff, 0x01, 0x02});
    harness.indexRaw(TestTrees.Entry.of(root).key().toBytes(), info.value().toByteArray());
    harness.index(TestTrees.Entry.of(root), info);
    MirrorStatus done = IndexerHarness.awaitValue("hello complete", () -> indexer.status(List.of(key(hello))),
        MirrorStatus::complete);
    assertEquals(1, done.pathsIndexed());
  }

  private Indexer harnessIndexer() {
    return harness.indexers().get(0);
  }

  /** A path whose requests land in the same partition as {@code other}'s. */
  private static StorePath samePartition(StorePath other, String name) {
    for (int i = 0; ; i++) {
      StorePath p = path(name + "-" + i);
      if (partition(p) == partition(other)) return p;
    }
  }

  private static int partition(StorePath p) {
    return Utils.toPositive(Utils.murmur2(StorePathKey.of(p).toBytes())) % IndexerHarness.PARTITIONS;
  }
}
