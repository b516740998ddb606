package dev.narflow.indexer;

import dev.narflow.topics.kafka.IndexRecords;
import dev.narflow.topics.kafka.StorePathKey;
import dev.narflow.topics.nix.StoreDir;
import dev.narflow.topics.nix.StorePath;
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
            while (it.hasNext()) {
              StorePathKey dependency = CompletionNode.path(CompletionNode.second(it.next().key));
              // The path itself while its tree is incomplete, else one of its references.
              on.add(dependency.equals(path) ? absolute(IndexRecords.baseNameOf(entry.value))
                  : referenceName(entry.value, dependency));
            }
          }
          waiting.put(absolute(IndexRecords.baseNameOf(entry.value)), on);
        }
      }
    }
    return new IndexSurvey(paths, complete, waiting);
  }

  private static String absolute(String baseName) {
    return StoreDir.DEFAULT.print(StorePath.parseBaseName(baseName));
  }

  /** A reference of {@code info} as a store path, named as the PathInfo names it, else its hash part. */
  private static String referenceName(PathInfo info, StorePathKey reference) {
    for (int i = 0; i < info.getReferencesCount() && i < info.getNarinfo().getReferenceNamesCount(); i++) {
      if (StorePathKey.of(info.getReferences(i).toByteArray()).equals(reference)) {
        return absolute(info.getNarinfo().getReferenceNames(i));
      }
    }
    return reference.hashPart();
  }
}
