package dev.narflow.ops.service;

import dev.narflow.ops.OptionDefaults;
import java.nio.file.Path;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code --state-dir DIR}, required, of the services that keep RocksDB state: the indexer and the exporter. */
final class StateDirOption {
  @Spec(Spec.Target.MIXEE) CommandSpec command;

  @Option(names = "--state-dir", paramLabel = "DIR",
      description = "Required. Where this instance keeps its state (RocksDB: the indexer's stores, the exporter's"
          + " views), one directory per instance; on a lasting volume, so that a restart need not read it back from"
          + " the topics (env NARFLOW_STATE_DIR).")
  Path stateDir;

  /** The directory; a usage error when none is given. */
  Path required() {
    if (stateDir == null) {
      throw OptionDefaults.required(command, "--state-dir", "DIR");
    }
    return stateDir;
  }
}
