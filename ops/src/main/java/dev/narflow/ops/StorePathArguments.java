package dev.narflow.ops;

import dev.narflow.topics.nix.NixFormatException;
import dev.narflow.topics.nix.StorePath;
import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** The store paths a command is about: {@code STORE_PATH}… and {@code --paths-from FILE}…, as a mixin. */
public final class StorePathArguments {
  @Spec(Spec.Target.MIXEE) CommandSpec command;

  @Option(names = "--paths-from", paramLabel = "FILE",
      description = "Store paths, one a line; plain text or .xz (nixpkgs' store-paths.xz);"
          + " blank lines and # comments ignored; repeatable (env NARFLOW_PATHS_FROM, one file).")
  List<Path> pathsFrom;

  @Parameters(paramLabel = "STORE_PATH", arity = "0..*",
      description = "A store path: /nix/store/<hash>-<name> or <hash>-<name>.")
  List<String> storePaths;

  /** Every path named, each once, in order; none is a usage error when {@code required}. */
  public List<StorePath> paths(boolean required) {
    Set<StorePath> paths = new LinkedHashSet<>();
    for (String p : storePaths == null ? List.<String>of() : storePaths) {
      try {
        paths.add(StorePath.parse(p.strip()));
      } catch (NixFormatException e) {
        throw new ParameterException(command.commandLine(), "invalid STORE_PATH: " + e.getMessage());
      }
    }
    for (Path file : pathsFrom == null ? List.<Path>of() : pathsFrom) {
      try {
        StorePathFile.read(file, paths::add);
      } catch (StorePathFile.UnreadableException e) {
        Optional<String> variable = OptionDefaults.of(command)
            .sourceUsed(command.commandLine().getParseResult(), command.findOption("--paths-from"));
        throw new ParameterException(command.commandLine(),
            "--paths-from" + variable.map(v -> " (from " + v + ")").orElse("") + ": " + e.getMessage());
      }
    }
    if (required && paths.isEmpty()) {
      throw new ParameterException(command.commandLine(), "no store path given: name STORE_PATHs, or --paths-from FILE"
          + (pathsFrom == null || pathsFrom.isEmpty() ? "" : " (the files hold none)"));
    }
    return List.copyOf(paths);
  }
}
