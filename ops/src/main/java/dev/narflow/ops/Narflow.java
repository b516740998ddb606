package dev.narflow.ops;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code narflow} executable: one entry point, one subcommand per job. */
@Command(
    name = "narflow",
    mixinStandardHelpOptions = true,
    version = "narflow 0.1.0",
    description = "Mirror Nix binary caches into a chunk-deduplicated store, and serve them back.",
    subcommands = {CommandLine.HelpCommand.class})
public final class Narflow implements Runnable {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(System.err);
  }

  public static int execute(String... args) {
    return new CommandLine(new Narflow()).execute(args);
  }

  public static void main(String[] args) {
    System.exit(execute(args));
  }
}
