package dev.narflow.indexer;

import dev.narflow.topics.castore.B3Digest;
import dev.narflow.topics.castore.v1.Directory;
import dev.narflow.topics.castore.v1.DirectoryNode;
import dev.narflow.topics.kafka.IndexKey;
import dev.narflow.topics.kafka.IndexRecords;
import dev.narflow.topics.kafka.StorePathKey;
import dev.narflow.topics.store.v1.PathInfo;
import dev.narflow.topics.v1.IndexRecord;
import java.util.LinkedHashSet;
import java.util.Set;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads narflow.index: every Directory and PathInfo becomes the arrival of its completion nodes,
 * and every new PathInfo is passed on, keyed by store path, to the router.
 */
final class IndexReader implements Processor<IndexKey, IndexRecord, Object, Object> {
  static final String PATH_INFOS = "path-infos";
  static final String TO_INDEXED_PATHS = "to-indexed-paths";
  static final String TO_COMPLETION = "to-completion";
  private static final Logger LOG = LoggerFactory.getLogger(IndexReader.class);

  private final int partitions;
  private ProcessorContext<Object, Object> context;
  private KeyValueStore<StorePathKey, PathInfo> pathInfos;
  private CompletionResolver resolver;

  /** {@code partitions}: of the index and completion topics (0: every notification goes through the topic). */
  IndexReader(int partitions) {
    this.partitions = partitions;
  }

  @Override
  public void init(ProcessorContext<Object, Object> context) {
    this.context = context;
    this.pathInfos = context.getStateStore(PATH_INFOS);
    this.resolver = new CompletionResolver(context, TO_COMPLETION, partitions);
  }

  @Override
  public void process(Record<IndexKey, IndexRecord> record) {
    if (record.key() == null) return;
    try {
      IndexRecords.verify(record.key(), record.value());
    } catch (IllegalArgumentException e) {
      // Workers verify before they write, so this is a foreign or corrupt record: skip, say so.
      LOG.warn("skipping index record: {}", e.getMessage());
      return;
    }
    switch (record.value().getRecordCase()) {
      case DIRECTORY -> directory(record.key().b3Digest(), record.value().getDirectory(), record.timestamp());
      case PATH_INFO -> pathInfo(record.key().storePath(), record.value().getPathInfo(), record.timestamp());
      default -> { } // blobs do not decide completeness: chunks are durable before any record is written
    }
  }

  private void directory(B3Digest digest, Directory directory, long timestamp) {
    Set<Bytes> children = new LinkedHashSet<>();
    for (DirectoryNode child : directory.getDirectoriesList()) children.add(CompletionNode.directory(B3Digest.of(child.getDigest())));
    resolver.arrived(CompletionNode.directory(digest), children, timestamp);
  }

  private void pathInfo(StorePathKey path, PathInfo info, long timestamp) {
    if (pathInfos.get(path) != null) return; // a duplicate record
    pathInfos.put(path, info);
    context.forward(new Record<>(path, info, timestamp), TO_INDEXED_PATHS);

    Set<Bytes> tree = info.getNode().hasDirectory()
        ? Set.of(CompletionNode.directory(B3Digest.of(info.getNode().getDirectory().getDigest())))
        : Set.of();
    resolver.arrived(CompletionNode.tree(path), tree, timestamp);

    Set<Bytes> closure = new LinkedHashSet<>();
    closure.add(CompletionNode.tree(path));
    for (var reference : info.getReferencesList()) {
      StorePathKey ref = StorePathKey.of(reference.toByteArray());
      if (!ref.equals(path)) closure.add(CompletionNode.closure(ref)); // Nix allows self-references
    }
    resolver.arrived(CompletionNode.closure(path), closure, timestamp);
  }

  /** Reads the completion topic: notifications between nodes of different partitions. */
  static final class Notifications implements Processor<Bytes, Notification, Object, Object> {
    private final int partitions;
    private CompletionResolver resolver;

    Notifications(int partitions) {
      this.partitions = partitions;
    }

    @Override
    public void init(ProcessorContext<Object, Object> context) {
      resolver = new CompletionResolver(context, TO_COMPLETION, partitions);
    }

    @Override
    public void process(Record<Bytes, Notification> record) {
      if (record.key() == null || record.value() == null) return;
      resolver.received(record.key(), record.value(), record.timestamp());
    }
  }
}
