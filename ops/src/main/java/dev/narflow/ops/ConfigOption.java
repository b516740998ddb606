package dev.narflow.ops;

import java.nio.file.Path;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code --config FILE}, a mixin of every command: options not given elsewhere are read from FILE. */
public final class ConfigOption {
  @Spec(Spec.Target.MIXEE) CommandSpec command;

  @Option(names = OptionDefaults.CONFIG_OPTION, paramLabel = "FILE",
      description = "Read options not given on the command line or in the environment from FILE:"
          + " one 'option = value' a line, as on the command line without '--'; # comments"
          + " (env NARFLOW_CONFIG).")
  void config(Path file) {
    OptionDefaults.of(command).useConfig(file, command.commandLine());
  }
}
