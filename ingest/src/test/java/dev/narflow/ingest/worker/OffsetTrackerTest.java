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
}
