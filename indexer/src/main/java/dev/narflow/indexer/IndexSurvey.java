package dev.narflow.indexer;

import dev.narflow.topics.kafka.StorePathKey;
import dev.narflow.topics.store.v1.PathInfo;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.common.serialization.BytesSerializer;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;

/**
 * What the indexer's stores say about every indexed path at once: how many there are, how many
 * are closure-complete, and what some of the others wait on. One pass over the stored PathInfos,
 * holding no more than {@code maxListed} waiting paths, whatever the index's size.
 *
 * @param paths PathInfos indexed
 * @param closureComplete of those, the closure-complete ones
 * @param waiting up to {@code maxListed} incomplete paths → what each waits on (references not
 *     closure-complete yet, or the path itself while its tree is incomplete), as store paths
 */
public record IndexSurvey(long paths, long closureComplete, Map<String, Set<String>> waiting) {
  private static final BytesSerializer PREFIX = new BytesSerializer();

  public IndexSurvey {
    waiting = Map.copyOf(waiting);
  }

  public long incomplete() {
    return paths - closureComplete;
  }

  static IndexSurvey of(ReadOnlyKeyValueStore<StorePathKey, PathInfo> pathInfos,
      ReadOnlyKeyValueStore<Bytes, Integer> progress, ReadOnlyKeyValueStore<Bytes, byte[]> pending, int maxListed) {
    long paths = 0;
    long complete = 0;
    Map<String, Set<String>> waiting = new LinkedHashMap<>();
    try (KeyValueIterator<StorePathKey, PathInfo> all = pathInfos.all()) {
      while (all.hasNext()) {
        KeyValue<StorePathKey, PathInfo> entry = all.next();
        StorePathKey path = entry.key;
        paths++;
        Bytes closure = CompletionNode.closure(path);
        Integer remaining = progress.get(closure);
        if (remaining != null && remaining == 0) {
          complete++;
        } else if (waiting.size() < maxListed) {
          Set<String> on = new LinkedHashSet<>();
          try (KeyValueIterator<Bytes, byte[]> it = pending.prefixScan(closure, PREFIX)) {
            while (it.hasNext()) on.add(name(entry.value, CompletionNode.path(CompletionNode.second(it.next().key))));
          }
          waiting.put(name(entry.value, path), on);
        }
      }
    }
    return new IndexSurvey(paths, complete, waiting);
  }

  /** {@code path} as a store path, named by {@code info} (itself or one of its references), else its hash. */
  private static String name(PathInfo info, StorePathKey path) {
    if (java.util.Arrays.equals(path.toBytes(), dev.narflow.topics.nix.StorePath.parseBaseName(Router.baseNameOf(info)).digest())) {
      return "/nix/store/" + Router.baseNameOf(info);
    }
    for (int i = 0; i < info.getReferencesCount() && i < info.getNarinfo().getReferenceNamesCount(); i++) {
      if (java.util.Arrays.equals(path.toBytes(), info.getReferences(i).toByteArray())) {
        return "/nix/store/" + info.getNarinfo().getReferenceNames(i);
      }
    }
    return path.hashPart();
  }
}
