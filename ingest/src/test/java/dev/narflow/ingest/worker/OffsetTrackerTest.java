package dev.narflow.ingest.worker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;

class OffsetTrackerTest {
  static final TopicPartition P0 = new TopicPartition("work", 0);
  static final TopicPartition P1 = new TopicPartition("work", 1);

  static long offset(Map<TopicPartition, OffsetAndMetadata> offsets, TopicPartition tp) {
    return offsets.get(tp).offset();
  }

  @Test
  void commitsOnlyUpToTheFirstUnfinishedRecordOfEachPartition() {
    OffsetTracker t = new OffsetTracker();
    for (long o = 10; o < 15; o++) t.consumed(P0, o);
    t.consumed(P1, 3);
    t.finished(P0, 12);
    t.finished(P0, 13);
    t.finished(P1, 3);
    Map<TopicPartition, OffsetAndMetadata> offsets = t.offsetsToCommit();
    assertEquals(10, offset(offsets, P0), "record 10 is unfinished: 12 and 13 are redone after a crash");
    assertEquals(4, offset(offsets, P1), "all of partition 1 is done");
    t.committed(offsets);

    t.finished(P0, 10);
    offsets = t.offsetsToCommit();
    assertEquals(11, offset(offsets, P0));
    assertTrue(!offsets.containsKey(P1), "partition 1 did not move");
    t.committed(offsets);

    t.finished(P0, 11);
    t.finished(P0, 14);
    assertEquals(15, offset(t.offsetsToCommit(), P0));
  }

  @Test
  void forgottenPartitionsAreNotCommittedAndUnknownRecordsAreRefused() {
    OffsetTracker t = new OffsetTracker();
    t.consumed(P0, 0);
    t.consumed(P1, 0);
    t.finished(P1, 0);
    t.forget(List.of(P1));
    assertEquals(Map.of(P0, new OffsetAndMetadata(0)), t.offsetsToCommit());
    assertThrows(IllegalStateException.class, () -> t.finished(P1, 0));
    assertEquals(1, t.unfinishedCount());
  }

  @Test
  void finishedRecordsAboveTheCommitGoInTheMetadataAndAreSkippedAfterARestore() {
    OffsetTracker t = new OffsetTracker();
    for (long o = 100; o < 110; o++) assertTrue(t.consumed(P0, o));
    for (long o : new long[] {101, 102, 103, 105, 109}) t.finished(P0, o);
    Map<TopicPartition, OffsetAndMetadata> offsets = t.offsetsToCommit();
    assertEquals(new OffsetAndMetadata(100, "done:1-3,5,9"), offsets.get(P0), "100 is a large NAR still running");
    t.committed(offsets);
    assertTrue(t.offsetsToCommit().isEmpty(), "nothing moved");
    t.finished(P0, 104);
    assertEquals(new OffsetAndMetadata(100, "done:1-5,9"), t.offsetsToCommit().get(P0), "the done set moved");

    // A crash: the next owner reads the committed offset back.
    OffsetTracker next = new OffsetTracker();
    next.restore(P0, new OffsetAndMetadata(100, "done:1-3,5,9"));
    List<Long> toDo = new java.util.ArrayList<>();
    for (long o = 100; o < 112; o++) if (next.consumed(P0, o)) toDo.add(o);
    assertEquals(List.of(100L, 104L, 106L, 107L, 108L, 110L, 111L), toDo);
    next.finished(P0, 104);
    assertEquals(new OffsetAndMetadata(100, "done:1-5,9"), next.offsetsToCommit().get(P0));
    next.finished(P0, 100);
    assertEquals(new OffsetAndMetadata(106, "done:3"), next.offsetsToCommit().get(P0),
        "106 to 108 still run; 109 stays done");
    for (long o : new long[] {106, 107, 108, 110, 111}) next.finished(P0, o);
    assertEquals(new OffsetAndMetadata(112, ""), next.offsetsToCommit().get(P0));
  }

  @Test
  void metadataStaysWithinKafkasLimitAndForeignMetadataIsIgnored() {
    OffsetTracker t = new OffsetTracker();
    for (long o = 0; o < 10_000; o++) t.consumed(P0, o);
    for (long o = 2; o < 10_000; o += 2) t.finished(P0, o); // no two adjacent: the longest form
    String metadata = t.offsetsToCommit().get(P0).metadata();
    assertTrue(metadata.length() <= OffsetTracker.MAX_METADATA, metadata.length() + " characters");
    assertTrue(metadata.startsWith("done:2,4,6,"), metadata);

    OffsetTracker restored = new OffsetTracker();
    restored.restore(P0, new OffsetAndMetadata(5, "someone else's note"));
    assertTrue(restored.consumed(P0, 6), "unknown metadata skips nothing");
    restored.restore(P1, new OffsetAndMetadata(5, "done:0-3,x"));
    assertTrue(restored.consumed(P1, 5), "malformed: nothing is skipped that was not named");
    restored.restore(P1, null);
    assertTrue(restored.consumed(P1, 0));
  }
}
