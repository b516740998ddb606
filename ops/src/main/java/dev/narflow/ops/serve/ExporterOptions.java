package dev.narflow.ops.serve;

import dev.narflow.exporter.NarInfos.NarCompression;
import dev.narflow.ops.ByteSize;
import dev.narflow.ops.ConfigurationException;
import dev.narflow.ops.OptionDefaults;
import dev.narflow.topics.nix.NixSecretKey;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.Locale;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** How a binary cache is served ({@code narflow serve} and {@code narflow exporter}), as a mixin. */
public final class ExporterOptions {
  @Spec(Spec.Target.MIXEE) CommandSpec command;

  @Option(names = "--listen", paramLabel = "HOST:PORT", defaultValue = "127.0.0.1:8080",
      description = "Where to serve (env NARFLOW_LISTEN, default ${DEFAULT-VALUE}); 0.0.0.0:PORT for every interface.")
  String listen;

  @Option(names = "--signing-key", paramLabel = "FILE",
      description = "A secret key (narflow keygen) to sign every narinfo with, besides the upstream signatures"
          + " (env NARFLOW_SIGNING_KEY).")
  Path signingKey;

  @Option(names = "--compression", paramLabel = "zstd|none", defaultValue = "zstd",
      description = "Which NAR URL the narinfos name: zstd (.nar.zst, the stored chunks sent as they are) or none"
          + " (.nar); both are served (env NARFLOW_COMPRESSION, default ${DEFAULT-VALUE}).")
  String compression;

  @Option(names = "--priority", paramLabel = "N", defaultValue = "40",
      description = "nix-cache-info's Priority; clients try lower first (env NARFLOW_PRIORITY, default ${DEFAULT-VALUE}).")
  int priority;

  @Option(names = "--pull-through",
      description = "A narinfo asked for and not served requests the path (and its closure) for mirroring, from"
          + " --upstream, and answers 404 now (env NARFLOW_PULL_THROUGH=1).")
  boolean pullThrough;

  @Option(names = "--chunk-cache-size", paramLabel = "SIZE", converter = ByteSize.class,
      description = "Memory for verified chunks kept for the next download that needs them: clients of a popular NAR"
          + " are then not each sent it through a store read, decompression and hash; 0 turns it off"
          + " (env NARFLOW_CHUNK_CACHE_SIZE, default an eighth of the heap).")
  Long chunkCacheSize;

  /**
   * {@code --chunk-cache-size} in bytes, or -1 for the exporter's default; a usage error above half
   * the heap: the renders' fetch budget takes a quarter, and chunks a render still holds after the
   * cache dropped them count beside both.
   */
  public long chunkCacheBytes() {
    if (chunkCacheSize == null) return -1;
    long maxHeap = Runtime.getRuntime().maxMemory();
    if (chunkCacheSize > maxHeap / 2) {
      throw OptionDefaults.invalid(command, "--chunk-cache-size", null, ByteSize.format(chunkCacheSize)
          + " is more than half the heap (" + ByteSize.format(maxHeap) + "); give the JVM more"
          + " (NARFLOW_JAVA_OPTS=-Xmx…) or the cache less");
    }
    return chunkCacheSize;
  }

  public boolean pullThrough() {
    return pullThrough;
  }

  /** {@code --listen}, checked; a usage error otherwise. */
  public InetSocketAddress listen() {
    return OptionDefaults.hostAndPort(command, "--listen", listen, "127.0.0.1:8080");
  }

  public NarCompression compression() {
    return switch (compression == null ? "" : compression.strip().toLowerCase(Locale.ROOT)) {
      case "none" -> NarCompression.NONE;
      case "zstd" -> NarCompression.ZSTD;
      default -> throw OptionDefaults.invalid(command, "--compression", compression, "must be zstd or none");
    };
  }

  public int priority() {
    if (priority < 0 || priority > 1000) {
      throw OptionDefaults.invalid(command, "--priority", Integer.toString(priority), "must be between 0 and 1000");
    }
    return priority;
  }

  /** The key to sign with, or null for none. */
  public NixSecretKey signingKey() throws ConfigurationException {
    if (signingKey == null) return null;
    try {
      return NixSecretKey.read(signingKey);
    } catch (IOException | IllegalArgumentException e) {
      throw new ConfigurationException("--signing-key " + signingKey + ": " + e.getMessage(), e);
    }
  }
}
