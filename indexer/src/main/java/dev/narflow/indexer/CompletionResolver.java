package dev.narflow.indexer;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.apache.kafka.common.serialization.BytesSerializer;
import dev.narflow.topics.kafka.StorePathKey;
import dev.narflow.topics.store.v1.PathInfo;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.common.utils.Utils;
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
  /** Of the completion topic (the same as the index's), to tell this task's own nodes; 0 if unknown. */
  private final int partitions;
  /** Notifications for nodes of this task, delivered before the current input record is done. */
  private final ArrayDeque<Local> local = new ArrayDeque<>();
  private boolean delivering;

  private record Local(Bytes to, Notification notification, long timestamp) {}
  /** Node id → dependencies not yet complete; 0 means complete. Absent: not arrived yet. */
  private final KeyValueStore<Bytes, Integer> progress;
  /** waiter ++ dependency, for every dependency not yet complete. */
  private final KeyValueStore<Bytes, byte[]> pending;
  /** dependency ++ waiter, at the dependency, for every waiter told nothing yet. */
  private final KeyValueStore<Bytes, byte[]> waiters;

  CompletionResolver(ProcessorContext<Object, Object> context, String sink, int partitions) {
    this.context = context;
    this.sink = sink;
    this.partitions = partitions;
    this.progress = context.getStateStore(NODE_PROGRESS);
    this.pending = context.getStateStore(PENDING_DEPENDENCIES);
    this.waiters = context.getStateStore(WAITERS);
    this.pathInfos = context.getStateStore(IndexReader.PATH_INFOS);
  }

  /** Node {@code node}'s own record was seen; it depends on {@code dependencies}. */
  void arrived(Bytes node, Set<Bytes> dependencies, long timestamp) {
    arrive(node, dependencies, timestamp);
    deliverLocal();
  }

  /** A notification addressed to {@code node}. */
  void received(Bytes node, Notification notification, long timestamp) {
    receive(node, notification, timestamp);
    deliverLocal();
  }

  private void arrive(Bytes node, Set<Bytes> dependencies, long timestamp) {
    if (progress.get(node) != null) return; // a duplicate record
    progress.put(node, dependencies.size());
    for (Bytes dependency : dependencies) {
      pending.put(CompletionNode.pair(node, dependency), PRESENT);
      send(dependency, Notification.waitsOnYou(node), timestamp);
    }
    if (dependencies.isEmpty()) complete(node, timestamp);
  }

  private void receive(Bytes node, Notification notification, long timestamp) {
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

  /**
   * A notification for a node of this task's own partition is handled here, in the same
   * transaction as the record that caused it, instead of a round trip through the completion
   * topic: each such trip waits for a commit (exactly-once readers see only committed
   * notifications), so a chain of completions 23 paths deep took 23 commit intervals, about 5 s
   * at the end of a 1,500-path mirror (ops/bench/mirror many, 2026-12-06). Equivalent to
   * delivering the record at once: the resolver does not depend on arrival order.
   */
  private void send(Bytes to, Notification notification, long timestamp) {
    if (partitions > 0 && partitionOf(to) == context.taskId().partition()) {
      local.add(new Local(to, notification, timestamp));
    } else {
      context.forward(new Record<>(to, notification, timestamp), sink);
    }
  }

  /** Queued, not recursive: a chain of local completions may be long, and store iterators are open above. */
  private void deliverLocal() {
    if (delivering) return;
    delivering = true;
    try {
      for (Local l; (l = local.poll()) != null; ) receive(l.to(), l.notification(), l.timestamp());
    } finally {
      delivering = false;
      local.clear(); // after a failure nothing of this record may linger into the next
    }
  }

  /** The partition the completion sink sends a node's notifications to (see Indexer's topology). */
  int partitionOf(Bytes node) {
    return Utils.toPositive(Utils.murmur2(CompletionNode.partitionKey(node))) % partitions;
  }
}
