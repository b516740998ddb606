package dev.narflow.exporter.views;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.narflow.topics.kafka.IndexKey;
import dev.narflow.topics.kafka.IndexRecords;
import dev.narflow.topics.kafka.StorePathKey;
import dev.narflow.topics.store.v1.PathInfo;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps the closure-complete PathInfos by store path and by NarHash. A PathInfo that does not
 * check out (as the index demands of it) is skipped and logged: never served.
 */
final class ServablePaths implements Processor<byte[], byte[], Void, Void> {
  private static final Logger LOG = LoggerFactory.getLogger(ServablePaths.class);
  private static final byte BY_PATH = 'P';
  private static final byte BY_NAR_HASH = 'N';
  /** The prefix of every by-path key, to walk them all. */
  static final Bytes BY_PATH_PREFIX = Bytes.wrap(new byte[] {BY_PATH});

  private KeyValueStore<Bytes, byte[]> store;

  static Bytes byPath(StorePathKey path) {
    return Bytes.wrap(ExporterViews.concat(BY_PATH, path.toBytes()));
  }

  static Bytes byNarHash(byte[] narSha256) {
    return Bytes.wrap(ExporterViews.concat(BY_NAR_HASH, narSha256));
  }

  @Override
  public void init(ProcessorContext<Void, Void> context) {
    store = context.getStateStore(ExporterViews.SERVABLE_PATHS);
  }

  @Override
  public void process(Record<byte[], byte[]> record) {
    if (record.key() == null || record.value() == null) return; // nothing is ever withdrawn
    StorePathKey path;
    PathInfo info;
    try {
      path = StorePathKey.parse(record.key());
      info = PathInfo.parseFrom(record.value());
      IndexRecords.verify(IndexKey.pathInfo(path), IndexRecords.of(info));
    } catch (IllegalArgumentException | InvalidProtocolBufferException e) {
      LOG.warn("skipping a closure-complete record that does not check out: {}", e.getMessage());
      return;
    }
    store.put(byPath(path), record.value());
    store.put(byNarHash(info.getNarinfo().getNarSha256().toByteArray()), path.toBytes());
  }
}
