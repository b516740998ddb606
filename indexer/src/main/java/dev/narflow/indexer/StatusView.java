package dev.narflow.indexer;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.narflow.indexer.v1.Route;
import dev.narflow.topics.kafka.IndexRecords;
import dev.narflow.topics.kafka.StorePathKey;
import dev.narflow.topics.nix.StorePath;
import dev.narflow.topics.store.v1.PathInfo;
import dev.narflow.topics.v1.FetchFailure;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import dev.narflow.topics.kafka.IndexKey;
import java.util.function.Function;
import org.apache.kafka.common.serialization.BytesSerializer;
import org.apache.kafka.common.serialization.Serializer;
import org.apache.kafka.common.utils.Utils;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;

/**
 * Answers status questions from the indexer's stores: one path, or the closures of some roots,
 * walked through the stored PathInfos' references (a read, not a recomputation: completeness
 * itself comes from the completion nodes).
 */
final class StatusView {
  private static final BytesSerializer PREFIX = new BytesSerializer();

  private final ReadOnlyKeyValueStore<StorePathKey, Route> routes;
  private final ReadOnlyKeyValueStore<StorePathKey, PathInfo> pathInfos;
  private final ReadOnlyKeyValueStore<Bytes, Integer> progress;
  private final ReadOnlyKeyValueStore<Bytes, byte[]> pending;

  StatusView(ReadOnlyKeyValueStore<StorePathKey, Route> routes, ReadOnlyKeyValueStore<StorePathKey, PathInfo> pathInfos,
      ReadOnlyKeyValueStore<Bytes, Integer> progress, ReadOnlyKeyValueStore<Bytes, byte[]> pending) {
    this.routes = routes;
    this.pathInfos = pathInfos;
    this.progress = progress;
    this.pending = pending;
  }

  /** One store's instances by partition (index = partition number). */
  interface Partitions<K, V> {
    ReadOnlyKeyValueStore<K, V> of(int partition);
  }

  /**
   * A view that asks each key's own partition only. A store spanning every partition answers
   * {@code get} by asking each partition's RocksDB in turn and {@code prefixScan} by opening an
   * iterator in each: with 12 partitions the mirror's status poll (the closure of 1,500 paths
   * every 250 ms) spent 10 % of the process's CPU there (async-profiler, ops/bench/mirror many,
   * 2026-12-06). Keys land where the producers' default partitioner puts them (murmur2 of the
   * key bytes): routes by the serialized StorePathKey (the requests' key), everything of the
   * index side by the index key of the record the entry is about ({@link CompletionNode#partitionKey}).
   */
  static StatusView partitioned(int partitions, Partitions<StorePathKey, Route> routes,
      Partitions<StorePathKey, PathInfo> pathInfos, Partitions<Bytes, Integer> progress,
      Partitions<Bytes, byte[]> pending) {
    return new StatusView(
        new ByPartition<>(routes, partitions, key -> key.toBytes()),
        new ByPartition<>(pathInfos, partitions, key -> IndexKey.pathInfo(key).toBytes()),
        new ByPartition<>(progress, partitions, CompletionNode::partitionKey),
        new ByPartition<>(pending, partitions, CompletionNode::partitionKey));
  }

  /** Reads and prefix scans go to the one partition that can hold the key; nothing else is asked. */
  private static final class ByPartition<K, V> implements ReadOnlyKeyValueStore<K, V> {
    private final Partitions<K, V> stores;
    private final int partitions;
    private final Function<K, byte[]> partitionKey;
    @SuppressWarnings("unchecked")
    private final ReadOnlyKeyValueStore<K, V>[] opened;

    @SuppressWarnings("unchecked")
    ByPartition(Partitions<K, V> stores, int partitions, Function<K, byte[]> partitionKey) {
      this.stores = stores;
      this.partitions = partitions;
      this.partitionKey = partitionKey;
      this.opened = new ReadOnlyKeyValueStore[partitions];
    }

    private ReadOnlyKeyValueStore<K, V> storeFor(K key) {
      int p = Utils.toPositive(Utils.murmur2(partitionKey.apply(key))) % partitions;
      ReadOnlyKeyValueStore<K, V> store = opened[p];
      if (store == null) opened[p] = store = stores.of(p);
      return store;
    }

    @Override
    public V get(K key) {
      return storeFor(key).get(key);
    }

    @Override
    public <PS extends Serializer<P>, P> KeyValueIterator<K, V> prefixScan(P prefix, PS serializer) {
      @SuppressWarnings("unchecked")
      K key = (K) prefix; // the view scans by a whole node id, which decides the partition
      return storeFor(key).prefixScan(prefix, serializer);
    }

    @Override
    public KeyValueIterator<K, V> range(K from, K to) {
      throw new UnsupportedOperationException("a partitioned view reads keys, not ranges");
    }

    @Override
    public KeyValueIterator<K, V> all() {
      throw new UnsupportedOperationException("a partitioned view reads keys, not ranges");
    }

    @Override
    public long approximateNumEntries() {
      throw new UnsupportedOperationException("a partitioned view reads keys, not ranges");
    }
  }

  Route.State routeState(StorePathKey path) {
    Route route = routes.get(path);
    return route == null ? null : route.getState();
  }

  PathStatus path(StorePathKey path) {
    Route route = routes.get(path);
    PathInfo info = pathInfos.get(path);
    boolean closureDone = isComplete(CompletionNode.closure(path));
    boolean treeDone = isComplete(CompletionNode.tree(path));
    PathState state;
    if (closureDone) state = PathState.CLOSURE_COMPLETE;
    else if (treeDone) state = PathState.TREE_COMPLETE;
    else if (info != null) state = PathState.INDEXED;
    else if (route != null && route.getState() == Route.State.FAILED) state = PathState.FAILED;
    else if (route != null && route.getState() == Route.State.IN_FLIGHT) state = PathState.IN_FLIGHT;
    else state = PathState.KNOWN;

    List<StorePathKey> references = new ArrayList<>();
    if (info != null) info.getReferencesList().forEach(r -> references.add(StorePathKey.of(r.toByteArray())));
    Set<StorePathKey> waitsOn = new LinkedHashSet<>();
    if (info != null && !closureDone) {
      try (KeyValueIterator<Bytes, byte[]> it = pending.prefixScan(CompletionNode.closure(path), PREFIX)) {
        while (it.hasNext()) waitsOn.add(CompletionNode.path(CompletionNode.second(it.next().key)));
      }
    }
    String baseName = route != null && !route.getBaseName().isEmpty() ? route.getBaseName()
        : info != null ? IndexRecords.baseNameOf(info) : "";
    Optional<PathFailure> failure = state == PathState.FAILED ? Optional.of(failure(route, baseName)) : Optional.empty();
    return new PathStatus(path, baseName, state, route != null && route.getClosureWanted(),
        info == null ? 0 : info.getNarinfo().getNarSize(), references, failure, waitsOn);
  }

  /**
   * The closures of {@code roots}: a root requested, but never with its closure, counts alone
   * and is done when tree-complete; every other root brings its references, transitively, and
   * each of those is done when closure-complete.
   */
  MirrorStatus mirror(Collection<StorePathKey> roots) {
    return mirror(roots, null);
  }

  /**
   * As {@link #mirror(Collection)}, with the roots' mode given by the caller ({@code closure}
   * true: every root brings its closure; false: every root counts alone), not inferred from what
   * the router has seen so far; null infers it.
   */
  MirrorStatus mirror(Collection<StorePathKey> roots, Boolean closure) {
    Set<StorePathKey> seen = new HashSet<>();
    long indexed = 0;
    long done = 0;
    long narBytes = 0;
    List<PathFailure> failures = new ArrayList<>();
    Map<StorePathKey, Set<StorePathKey>> waiting = new HashMap<>();
    boolean complete = true;
    long inFlight = 0;

    Deque<StorePathKey> closureQueue = new ArrayDeque<>();
    List<StorePathKey> aloneRoots = new ArrayList<>();
    for (StorePathKey root : roots) {
      Route route = routes.get(root);
      boolean alone = closure != null ? !closure : route != null && route.getRequested() && !route.getClosureWanted();
      if (alone) aloneRoots.add(root);
      else closureQueue.add(root);
    }
    Set<StorePathKey> rootSet = new HashSet<>(roots);
    // Closure roots first, so that a root also inside another root's closure is counted there.
    while (!closureQueue.isEmpty()) {
      StorePathKey next = closureQueue.poll();
      if (!seen.add(next)) continue;
      PathStatus status = path(next);
      if (status.state() == PathState.IN_FLIGHT) inFlight++;
      boolean isDone = status.state() == PathState.CLOSURE_COMPLETE;
      if (isIndexed(status)) {
        indexed++;
        narBytes += status.narSize();
        if (!isDone) waiting.put(next, status.waitsOn());
      }
      if (isDone) done++;
      else if (rootSet.contains(next)) complete = false;
      status.failure().ifPresent(failures::add);
      for (StorePathKey reference : status.references()) if (!seen.contains(reference)) closureQueue.add(reference);
    }
    for (StorePathKey root : aloneRoots) {
      if (!seen.add(root)) continue;
      PathStatus status = path(root);
      if (status.state() == PathState.IN_FLIGHT) inFlight++;
      boolean isDone = status.state() == PathState.TREE_COMPLETE || status.state() == PathState.CLOSURE_COMPLETE;
      if (isIndexed(status)) {
        indexed++;
        narBytes += status.narSize();
        if (!isDone) waiting.put(root, Set.of(root));
      }
      if (isDone) done++;
      else complete = false;
      status.failure().ifPresent(failures::add);
    }
    return new MirrorStatus(seen.size(), indexed, done, narBytes, failures, waiting, complete, inFlight);
  }

  /** Whether every root is done, as {@link #mirror(Collection, Boolean)} counts a root done. */
  boolean rootsDone(Collection<StorePathKey> roots, boolean closure) {
    for (StorePathKey root : roots) {
      if (isComplete(CompletionNode.closure(root))) continue;
      if (closure || !isComplete(CompletionNode.tree(root))) return false;
    }
    return true;
  }

  private static boolean isIndexed(PathStatus status) {
    return status.state().compareTo(PathState.INDEXED) >= 0;
  }

  private boolean isComplete(Bytes node) {
    Integer remaining = progress.get(node);
    return remaining != null && remaining == 0;
  }

  private static PathFailure failure(Route route, String baseName) {
    FetchFailure failure;
    try {
      failure = FetchFailure.parseFrom(route.getFailure());
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalStateException("route state holds an unreadable FetchFailure", e);
    }
    return new PathFailure(baseName.isEmpty() ? "" : StorePath.parseBaseName(baseName).absolute(),
        failure.getReason(), failure.getMessage(), failure.getUpstreamStatus());
  }
}
