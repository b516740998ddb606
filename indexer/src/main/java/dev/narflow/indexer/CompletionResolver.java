package dev.narflow.indexer;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.apache.kafka.common.serialization.BytesSerializer;
import dev.narflow.topics.kafka.StorePathKey;
import dev.narflow.topics.store.v1.PathInfo;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * A dependency resolver over the completion graph (see {@link CompletionNode}): a node is
 * complete once it has arrived (its own record was seen) and every node it depends on is
 * complete. Nodes of other partitions are reached through the completion topic only, so each
 * partition's task owns its nodes' state outright:
 * <ul>
 *   <li>when X arrives it stores how many dependencies it still waits on and which, and tells
 *       each dependency Y "X waits on you" (at Y's partition);
 *   <li>Y answers "completed" at once if it is complete, else remembers X among its waiters;
 *   <li>when Y completes it tells all its waiters, which count down.
 * </ul>
 * Arrival order does not matter (a waiter may register before its dependency exists), and every
 * step is idempotent: a second arrival is ignored, a second "completed" finds no pending pair.
 */
final class CompletionResolver {
  static final String NODE_PROGRESS = "node-progress";
  static final String PENDING_DEPENDENCIES = "pending-dependencies";
  static final String WAITERS = "waiters";
  static final String TO_CLOSURE_COMPLETE = "to-closure-complete";
  private static final byte[] PRESENT = new byte[0];
  private static final BytesSerializer PREFIX = new BytesSerializer();

  private final ProcessorContext<Object, Object> context;
  private final String sink;
  /** The indexed PathInfos, passed on once their closure completes. */
  private final KeyValueStore<StorePathKey, PathInfo> pathInfos;
  /** Node id → dependencies not yet complete; 0 means complete. Absent: not arrived yet. */
  private final KeyValueStore<Bytes, Integer> progress;
  /** waiter ++ dependency, for every dependency not yet complete. */
  private final KeyValueStore<Bytes, byte[]> pending;
  /** dependency ++ waiter, at the dependency, for every waiter told nothing yet. */
  private final KeyValueStore<Bytes, byte[]> waiters;

  CompletionResolver(ProcessorContext<Object, Object> context, String sink) {
    this.context = context;
    this.sink = sink;
    this.progress = context.getStateStore(NODE_PROGRESS);
    this.pending = context.getStateStore(PENDING_DEPENDENCIES);
    this.waiters = context.getStateStore(WAITERS);
    this.pathInfos = context.getStateStore(IndexReader.PATH_INFOS);
  }

  /** Node {@code node}'s own record was seen; it depends on {@code dependencies}. */
  void arrived(Bytes node, Set<Bytes> dependencies, long timestamp) {
    if (progress.get(node) != null) return; // a duplicate record
    progress.put(node, dependencies.size());
    for (Bytes dependency : dependencies) {
      pending.put(CompletionNode.pair(node, dependency), PRESENT);
      send(dependency, Notification.waitsOnYou(node), timestamp);
    }
    if (dependencies.isEmpty()) complete(node, timestamp);
  }

  /** A notification addressed to {@code node}. */
  void received(Bytes node, Notification notification, long timestamp) {
    switch (notification.kind()) {
      case WAITS_ON_YOU -> {
        Integer remaining = progress.get(node);
        if (remaining != null && remaining == 0) {
          send(notification.subject(), Notification.completed(node), timestamp);
        } else {
          waiters.put(CompletionNode.pair(node, notification.subject()), PRESENT);
        }
      }
      case COMPLETED -> {
        Bytes pair = CompletionNode.pair(node, notification.subject());
        if (pending.get(pair) == null) return; // told twice
        pending.delete(pair);
        int remaining = progress.get(node) - 1;
        progress.put(node, remaining);
        if (remaining == 0) complete(node, timestamp);
      }
    }
  }

  private void complete(Bytes node, long timestamp) {
    progress.put(node, 0);
    List<Bytes> told = new ArrayList<>();
    try (KeyValueIterator<Bytes, byte[]> it = waiters.prefixScan(node, PREFIX)) {
      while (it.hasNext()) {
        KeyValue<Bytes, byte[]> entry = it.next();
        send(CompletionNode.second(entry.key), Notification.completed(node), timestamp);
        told.add(entry.key);
      }
    }
    told.forEach(waiters::delete);
    if (CompletionNode.isClosure(node)) {
      // Servable from now on: the exporters' view of what they may answer for.
      StorePathKey path = CompletionNode.path(node);
      PathInfo info = pathInfos.get(path);
      if (info != null) context.forward(new Record<>(path, info, timestamp), TO_CLOSURE_COMPLETE);
    }
  }

  private void send(Bytes to, Notification notification, long timestamp) {
    context.forward(new Record<>(to, notification, timestamp), sink);
  }
}
