package dev.narflow.ops.mirror;

import dev.narflow.ops.ChunkStoreLocation;
import dev.narflow.ops.StopSignal;
import dev.narflow.ops.embedded.DataDir;
import dev.narflow.ops.embedded.EmbeddedKafka;
import java.io.PrintWriter;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * What {@link MirrorCommand} has prepared for a {@link MirrorRun}, and closes after it: the data
 * directory (opened, version checked), Kafka (embedded or not) with the narflow topics created,
 * where chunks go, and the progress reporter. The run owns nothing of it.
 *
 * @param kafka client config with at least {@code bootstrap.servers}; copy it with {@link #kafkaConfig()}
 * @param embeddedKafka the broker started for this run, when not {@code --bootstrap-servers}
 * @param chunkStore {@code --chunk-store}, or {@code DIR/chunks} by default
 * @param stop Ctrl-C: the run watches it, stops its workers and returns; the JVM waits for that
 */
public record MirrorEnvironment(
    DataDir dataDir,
    Map<String, Object> kafka,
    Optional<EmbeddedKafka> embeddedKafka,
    ChunkStoreLocation chunkStore,
    MirrorProgress progress,
    StopSignal stop,
    PrintWriter out,
    PrintWriter err) {

  public MirrorEnvironment {
    Objects.requireNonNull(dataDir, "dataDir");
    kafka = Map.copyOf(kafka);
    Objects.requireNonNull(embeddedKafka, "embeddedKafka");
    Objects.requireNonNull(chunkStore, "chunkStore");
    Objects.requireNonNull(progress, "progress");
    Objects.requireNonNull(stop, "stop");
    Objects.requireNonNull(out, "out");
    Objects.requireNonNull(err, "err");
  }

  /** A new mutable copy of the Kafka client config, for a client builder to add to. */
  public Map<String, Object> kafkaConfig() {
    return new HashMap<>(kafka);
  }
}
