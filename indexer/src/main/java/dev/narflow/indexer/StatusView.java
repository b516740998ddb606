package dev.narflow.indexer;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.narflow.indexer.v1.Route;
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
import org.apache.kafka.common.serialization.BytesSerializer;
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
        : info != null ? Router.baseNameOf(info) : "";
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
