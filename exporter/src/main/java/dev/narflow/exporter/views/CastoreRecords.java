package dev.narflow.exporter.views;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.narflow.topics.kafka.IndexKey;
import dev.narflow.topics.kafka.IndexRecords;
import dev.narflow.topics.v1.IndexRecord;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps the index's Directory and Blob records by their index keys, each checked against its
 * digest before it is stored (a Directory that does not hash to its key is never rendered).
 * PathInfos are left to {@link ServablePaths}: only closure-complete ones are served.
 */
final class CastoreRecords implements Processor<byte[], byte[], Void, Void> {
  private static final Logger LOG = LoggerFactory.getLogger(CastoreRecords.class);

  private KeyValueStore<Bytes, byte[]> store;

  @Override
  public void init(ProcessorContext<Void, Void> context) {
    store = context.getStateStore(ExporterViews.CASTORE_RECORDS);
  }

  @Override
  public void process(Record<byte[], byte[]> record) {
    if (record.key() == null || record.value() == null) return;
    IndexKey key;
    try {
      key = IndexKey.parse(record.key());
      if (key.type() == IndexKey.Type.PATH_INFO) return;
      Bytes storeKey = Bytes.wrap(record.key());
      if (store.get(storeKey) != null) return; // content-addressed: a duplicate
      IndexRecord indexRecord = IndexRecords.verify(key, IndexRecord.parseFrom(record.value()));
      byte[] inner = key.type() == IndexKey.Type.DIRECTORY
          ? indexRecord.getDirectory().toByteArray()
          : indexRecord.getBlob().toByteArray();
      store.put(storeKey, inner);
    } catch (IllegalArgumentException | InvalidProtocolBufferException e) {
      LOG.warn("skipping an index record that does not check out: {}", e.getMessage());
    }
  }
}
