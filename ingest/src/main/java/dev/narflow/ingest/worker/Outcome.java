package dev.narflow.ingest.worker;

import dev.narflow.chunker.nar.ImportStats;
import dev.narflow.topics.nix.StorePath;
import dev.narflow.topics.v1.FetchFailure;
import java.util.List;
import org.apache.kafka.clients.producer.ProducerRecord;

/** What became of one consumed work record; what its transaction carries. */
sealed interface Outcome {
  /** The records to produce in the record's transaction (none: only its offset). */
  List<ProducerRecord<byte[], byte[]>> records();

  /** What the records hold in memory, roughly: their keys and values. */
  default long recordBytes() {
    long n = 0;
    for (ProducerRecord<byte[], byte[]> r : records()) {
      n += (r.key() == null ? 0 : r.key().length) + (r.value() == null ? 0 : r.value().length);
    }
    return n;
  }

  /** Imported: every Directory and Blob record, then the PathInfo last. */
  record Indexed(StorePath path, List<ProducerRecord<byte[], byte[]>> records, ImportStats stats,
      long narSize, long fileSize) implements Outcome {
    public Indexed {
      records = List.copyOf(records);
    }
  }

  /** Given up on: one record to narflow.failures. */
  record Failed(StorePath path, FetchFailure failure, ProducerRecord<byte[], byte[]> record) implements Outcome {
    @Override
    public List<ProducerRecord<byte[], byte[]>> records() {
      return List.of(record);
    }
  }

  /** Nothing to produce: a record that names no store path (its key is not a store path digest). */
  record Skipped(String why) implements Outcome {
    @Override
    public List<ProducerRecord<byte[], byte[]>> records() {
      return List.of();
    }
  }
}
