package dev.narflow.ops;

import dev.narflow.ops.inspect.InspectCommand;
import java.io.FileNotFoundException;
import java.nio.file.AccessDeniedException;
import java.nio.file.NoSuchFileException;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code narflow} executable: one entry point, one subcommand per job. */
@Command(
    name = "narflow",
    mixinStandardHelpOptions = true,
    version = "narflow 0.1.0",
    description = "Mirror Nix binary caches into a chunk-deduplicated store, and serve them back.",
    subcommands = {InspectCommand.class, CommandLine.HelpCommand.class})
public final class Narflow implements Runnable {
  /** Exit code of a command that failed on its input or environment (usage errors give 2). */
  public static final int EXIT_FAILURE = 1;

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  /** No command is a usage error: picocli prints the message and the usage to stderr, exit 2. */
  @Override
  public void run() {
    throw new CommandLine.ParameterException(spec.commandLine(), "Missing command");
  }

  public static CommandLine commandLine() {
    CommandLine cli = new CommandLine(new Narflow());
    // An operator gets one clear line per problem, never a stack trace.
    cli.setExecutionExceptionHandler((e, commandLine, parseResult) -> {
      commandLine.getErr().println(commandLine.getCommandSpec().qualifiedName() + ": " + describe(e));
      commandLine.getErr().flush();
      return EXIT_FAILURE;
    });
    return cli;
  }

  /** One line for an operator: the exception's own message, with file errors spelled out. */
  static String describe(Throwable e) {
    if (e instanceof NoSuchFileException f) return "cannot read " + f.getFile() + ": no such file";
    if (e instanceof AccessDeniedException f) return "cannot read " + f.getFile() + ": permission denied";
    if (e instanceof FileNotFoundException) return e.getMessage();
    String message = e.getMessage();
    if (message == null || message.isBlank()) {
      return e.getCause() != null ? describe(e.getCause()) : e.getClass().getSimpleName();
    }
    return message.replace('\n', ' ');
  }

  public static int execute(String... args) {
    return commandLine().execute(args);
  }

  public static void main(String[] args) {
    System.exit(execute(args));
  }
}
