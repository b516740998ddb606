package dev.narflow.ops;

import dev.narflow.ops.admin.EnqueueCommand;
import dev.narflow.ops.admin.StatusCommand;
import dev.narflow.ops.admin.TopicsCommand;
import dev.narflow.ops.inspect.InspectCommand;
import dev.narflow.ops.keygen.KeygenCommand;
import dev.narflow.ops.mirror.MirrorCommand;
import dev.narflow.ops.mirror.MirrorPipeline;
import dev.narflow.ops.mirror.MirrorRun;
import dev.narflow.ops.rebuild.RebuildIndexCommand;
import dev.narflow.ops.serve.ServeCommand;
import dev.narflow.ops.service.BrokerCommand;
import dev.narflow.ops.service.ExporterCommand;
import dev.narflow.ops.service.IndexerCommand;
import dev.narflow.ops.service.WorkerCommand;
import java.io.FileNotFoundException;
import java.nio.file.AccessDeniedException;
import java.nio.file.NoSuchFileException;
import java.util.Map;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.IParameterExceptionHandler;

/** The {@code narflow} executable: one entry point, one subcommand per job. */
@Command(
    name = "narflow",
    mixinStandardHelpOptions = true,
    version = "narflow " + Narflow.VERSION,
    description = "Mirror Nix binary caches into a chunk-deduplicated store, and serve them back.",
    subcommands = {InspectCommand.class, KeygenCommand.class, CommandLine.HelpCommand.class})
public final class Narflow implements Runnable {
  /** This narflow's version, as recorded in the data directories it makes. */
  public static final String VERSION = "0.1.0";

  /** Exit code of a command that failed on its input or environment (usage errors give 2). */
  public static final int EXIT_FAILURE = 1;
  /** Exit code of bad usage or configuration. */
  public static final int EXIT_USAGE = 2;

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  /** No command is a usage error: picocli prints the message and the usage to stderr, exit 2. */
  @Override
  public void run() {
    throw new CommandLine.ParameterException(spec.commandLine(), "Missing command");
  }

  public static CommandLine commandLine() {
    return commandLine(System.getenv(), new MirrorPipeline());
  }

  /** With an environment of its own (options read {@code NARFLOW_…} variables) and what mirrors. */
  public static CommandLine commandLine(Map<String, String> environment, MirrorRun mirrorRun) {
    CommandLine cli = new CommandLine(new Narflow());
    cli.addSubcommand("mirror", MirrorCommand.commandLine(environment, mirrorRun));
    cli.addSubcommand("serve", new CommandLine(new ServeCommand(environment)));
    cli.addSubcommand("rebuild-index", new CommandLine(new RebuildIndexCommand(environment)));
    // The distributed pieces (DESIGN §6): services, then the commands that drive them.
    cli.addSubcommand("broker", new CommandLine(new BrokerCommand()));
    cli.addSubcommand("worker", new CommandLine(new WorkerCommand(environment)));
    cli.addSubcommand("indexer", new CommandLine(new IndexerCommand()));
    cli.addSubcommand("exporter", new CommandLine(new ExporterCommand(environment)));
    cli.addSubcommand("enqueue", new CommandLine(new EnqueueCommand()));
    cli.addSubcommand("status", new CommandLine(new StatusCommand()));
    cli.addSubcommand("topics", new CommandLine(new TopicsCommand()));
    OptionDefaults.install(cli, environment);
    // An operator gets one clear line per problem, never a stack trace; bad configuration is a usage error.
    cli.setExecutionExceptionHandler((e, commandLine, parseResult) -> {
      commandLine.getErr().println(commandLine.getCommandSpec().qualifiedName() + ": " + describe(e));
      commandLine.getErr().flush();
      return e instanceof ConfigurationException ? EXIT_USAGE : EXIT_FAILURE;
    });
    IParameterExceptionHandler usual = cli.getParameterExceptionHandler();
    cli.setParameterExceptionHandler((e, args) -> {
      CommandLine failed = e.getCommandLine();
      if (!(failed.getCommandSpec().defaultValueProvider() instanceof OptionDefaults defaults)) {
        return usual.handleParseException(e, args);
      }
      // One line, naming the variable or file line when the bad value came from there.
      failed.getErr().println(failed.getCommandSpec().qualifiedName() + ": " + defaults.describe(e)
          + " (see " + failed.getCommandSpec().qualifiedName() + " --help)");
      failed.getErr().flush();
      return failed.getCommandSpec().exitCodeOnInvalidInput();
    });
    return cli;
  }

  /** One line for an operator: the exception's own message, with file errors spelled out. */
  public static String describe(Throwable e) {
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
