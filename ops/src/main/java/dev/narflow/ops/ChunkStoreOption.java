package dev.narflow.ops;

import java.util.Map;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code --chunk-store URL}, required, for the services that read or write chunks; a mixin. */
public final class ChunkStoreOption {
  @Spec(Spec.Target.MIXEE) CommandSpec command;

  @Option(names = "--chunk-store", paramLabel = "URL",
      description = "Required. Where the chunks are: file:///path, or s3://bucket[/prefix]?endpoint=URL&region=R with"
          + " credentials from AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (env NARFLOW_CHUNK_STORE).")
  String chunkStore;

  /** The store's location, parsed; a usage error names the option (never the URL: it may hold a secret). */
  public ChunkStoreLocation location(Map<String, String> environment) {
    if (chunkStore == null || chunkStore.isBlank()) {
      throw OptionDefaults.required(command, "--chunk-store", "URL");
    }
    try {
      return ChunkStoreLocation.parse(chunkStore, environment);
    } catch (IllegalArgumentException e) {
      throw OptionDefaults.invalid(command, "--chunk-store", null, e.getMessage());
    }
  }
}
