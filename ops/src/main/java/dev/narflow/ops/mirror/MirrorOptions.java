package dev.narflow.ops.mirror;

import dev.narflow.ops.ChunkStoreLocation;
import dev.narflow.topics.nix.StorePath;
import dev.narflow.topics.nix.TrustedKeys;
import java.net.URI;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * A {@code narflow mirror} invocation, parsed and validated: everything {@link MirrorRun} needs
 * to know about what the operator asked for. Immutable.
 *
 * @param dataDir the {@code --data} directory (Kafka's log when embedded, chunks by default, view state)
 * @param upstreams binary caches tried in order
 * @param trustedKeys keys whose signatures are accepted (ignored when not {@code checkSignatures})
 * @param closure whether the closures of {@code paths} are mirrored ({@code --no-closure}: just the paths)
 * @param workers NARs in flight in this process
 * @param chunkStore {@code --chunk-store}; empty means the local directory {@code DIR/chunks}
 * @param bootstrapServers {@code --bootstrap-servers}; empty means the embedded broker in {@code DIR/kafka}
 * @param topicPrefix prefix of every topic name, "" for none
 * @param paths the requested store paths, each once, in the order given
 * @param terminal whether progress is one live line (a terminal) rather than log lines
 */
public record MirrorOptions(
    Path dataDir,
    List<URI> upstreams,
    TrustedKeys trustedKeys,
    boolean checkSignatures,
    boolean closure,
    int workers,
    Optional<ChunkStoreLocation> chunkStore,
    Optional<String> bootstrapServers,
    String topicPrefix,
    List<StorePath> paths,
    boolean terminal) {

  public MirrorOptions {
    Objects.requireNonNull(dataDir, "dataDir");
    upstreams = List.copyOf(upstreams);
    Objects.requireNonNull(trustedKeys, "trustedKeys");
    Objects.requireNonNull(chunkStore, "chunkStore");
    Objects.requireNonNull(bootstrapServers, "bootstrapServers");
    Objects.requireNonNull(topicPrefix, "topicPrefix");
    paths = List.copyOf(paths);
    if (upstreams.isEmpty()) throw new IllegalArgumentException("at least one upstream");
    if (paths.isEmpty()) throw new IllegalArgumentException("at least one store path");
    if (workers < 1) throw new IllegalArgumentException("workers must be at least 1, got " + workers);
  }

  /** Whether this run starts its own broker (no {@code --bootstrap-servers}). */
  public boolean embeddedKafka() {
    return bootstrapServers.isEmpty();
  }
}
