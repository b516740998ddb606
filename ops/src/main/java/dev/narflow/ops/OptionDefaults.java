package dev.narflow.ops;

import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import org.apache.kafka.common.utils.Utils;
import picocli.CommandLine;
import picocli.CommandLine.IDefaultValueProvider;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.ParameterException;

/**
 * Where an option's value comes from when it is not on the command line (DESIGN §6): the
 * environment variable named after it ({@code --chunk-store} → {@code NARFLOW_CHUNK_STORE}), else
 * the configuration file ({@code --config FILE} or {@code NARFLOW_CONFIG}, see {@link ConfigFile}),
 * else the option's own default. So the command line wins over the environment, which wins over
 * the file: a container's variables can override a shared file. Boolean flags take
 * {@code 1/true/yes/on} and {@code 0/false/no/off}. A usage error in a value that came from the
 * environment or the file names the variable or the file and line ({@link #describe}).
 *
 * <p>One instance per command's {@link CommandLine}; it holds the file that command read.
 */
public final class OptionDefaults implements IDefaultValueProvider {
  public static final String CONFIG_OPTION = "--config";

  private final Map<String, String> environment;
  /** Every option name any narflow command takes: a file shared by several commands may set them all. */
  private final Set<String> knownOptions;
  private ConfigFile config;

  private OptionDefaults(Map<String, String> environment, Set<String> knownOptions) {
    this.environment = Map.copyOf(environment);
    this.knownOptions = Set.copyOf(knownOptions);
  }

  /** The defaults of {@code command}'s {@link CommandLine}, which {@code install} set up. */
  public static OptionDefaults of(CommandSpec command) {
    if (command.defaultValueProvider() instanceof OptionDefaults d) return d;
    throw new IllegalStateException(command.qualifiedName() + " has no OptionDefaults installed");
  }

  /**
   * Installs a provider on every subcommand of {@code root}; a configuration file may name any
   * option of any of them (the others ignore it), but nothing else.
   */
  public static void install(CommandLine root, Map<String, String> environment) {
    List<CommandLine> commands = new ArrayList<>();
    collect(root, commands);
    Set<String> known = new TreeSet<>();
    for (CommandLine sub : commands) {
      for (OptionSpec o : sub.getCommandSpec().options()) {
        if (readsVariable(o)) {
          known.add(o.longestName().substring(2));
        }
      }
    }
    known.remove(CONFIG_OPTION.substring(2));
    for (CommandLine sub : commands) {
      if (sub.getCommandSpec().findOption(CONFIG_OPTION) == null) continue; // help, command groups
      sub.setDefaultValueProvider(new OptionDefaults(environment, known));
    }
  }

  /** Every command below {@code command}, nested ones ({@code topics create}) included. */
  private static void collect(CommandLine command, List<CommandLine> into) {
    for (CommandLine sub : command.getSubcommands().values()) {
      into.add(sub);
      collect(sub, into);
    }
  }

  /** {@code --chunk-store} → {@code NARFLOW_CHUNK_STORE}. */
  public static String variableOf(String longOption) {
    String bare = longOption.startsWith("--") ? longOption.substring(2) : longOption;
    return "NARFLOW_" + bare.toUpperCase(Locale.ROOT).replace('-', '_');
  }

  /**
   * Reads {@code file} as this command's configuration; called by {@code --config} (or for
   * {@code NARFLOW_CONFIG}) while parsing.
   *
   * @throws ParameterException (exit 2) when it cannot be read, is malformed, or names an option
   *     that no narflow command has
   */
  public void useConfig(Path file, CommandLine command) {
    if (config != null && config.file().equals(file)) return;
    ConfigFile read;
    try {
      read = ConfigFile.read(file);
    } catch (ConfigFile.InvalidException e) {
      throw new ParameterException(command, CONFIG_OPTION + ": " + e.getMessage());
    }
    read.entries().forEach((name, entry) -> {
      if (!knownOptions.contains(name)) {
        throw new ParameterException(command, CONFIG_OPTION + ": " + read.where(entry) + ": no narflow command has an option --"
            + name + (name.equals("config") ? " (a configuration file cannot name another)" : ""));
      }
    });
    config = read;
  }

  /** The usage error for a required option not given anywhere: {@code --data DIR is required (or NARFLOW_DATA)}. */
  public static ParameterException required(CommandSpec spec, String option, String label) {
    return new ParameterException(spec.commandLine(), option + " " + label + " is required (or " + variableOf(option) + ")");
  }

  /** Whether an option has a variable (and a config-file line): every long option but help and version. */
  public static boolean readsVariable(OptionSpec option) {
    return option.longestName().startsWith("--") && !option.usageHelp() && !option.versionHelp();
  }

  /** The value for an option not on the command line: its variable's, else the file's. */
  public Optional<String> valueOf(OptionSpec option) {
    return source(option).map(Source::value);
  }

  private Optional<Source> source(OptionSpec option) {
    if (!readsVariable(option)) return Optional.empty();
    String variable = variableOf(option.longestName());
    String value = environment.get(variable);
    if (value != null) return Optional.of(new Source(normalize(option, value), variable, variable + "=" + value));
    if (option.longestName().equals(CONFIG_OPTION)) return Optional.empty();
    ConfigFile file = config(option);
    if (file == null) return Optional.empty();
    return file.get(option.longestName()).map(entry -> new Source(normalize(option, entry.value()), file.where(entry),
        option.longestName().substring(2) + " = " + entry.value() + " in " + file.where(entry)));
  }

  /** The file of {@code --config}, or else of {@code NARFLOW_CONFIG}, read on first need. */
  private ConfigFile config(OptionSpec asking) {
    if (config == null) {
      String fromEnvironment = environment.get(variableOf(CONFIG_OPTION));
      if (fromEnvironment != null && !fromEnvironment.isBlank()) {
        useConfig(Path.of(fromEnvironment.strip()), asking.command().commandLine());
      }
    }
    return config;
  }

  @Override
  public String defaultValue(ArgSpec argSpec) {
    return argSpec instanceof OptionSpec option ? valueOf(option).orElse(null) : null;
  }

  /**
   * Where the option's value came from, when not from the command line: {@code NARFLOW_WORKERS},
   * or {@code /etc/narflow.conf:3}.
   */
  public Optional<String> sourceUsed(CommandLine.ParseResult parsed, OptionSpec option) {
    if (parsed != null && parsed.hasMatchedOption(option)) return Optional.empty();
    return source(option).map(Source::where);
  }

  /**
   * A usage error in one line; when the offending option got its value from the environment or
   * the file, the message says so ({@code invalid NARFLOW_WORKERS=abc (--workers): 'abc' is not an
   * int}, {@code invalid workers = abc in /etc/narflow.conf:3 (--workers): …}).
   */
  public String describe(ParameterException e) {
    if (e.getArgSpec() instanceof OptionSpec option
        && !(e.getCommandLine().getParseResult() != null && e.getCommandLine().getParseResult().hasMatchedOption(option))) {
      Optional<Source> source = source(option);
      String message = e.getMessage();
      if (source.isPresent() && message.startsWith("Invalid value for option '")) {
        int detail = message.indexOf("': ");
        String why = detail >= 0 ? message.substring(detail + 3) : message;
        return "invalid " + source.get().setting() + " (" + option.longestName() + "): " + why;
      }
    }
    return e.getMessage();
  }

  /**
   * {@code invalid --workers 0: …}, with {@code (from NARFLOW_WORKERS)} or {@code (from FILE:3)}
   * when the value came from there; a null or empty {@code value} is not repeated.
   */
  public static ParameterException invalid(CommandSpec spec, String optionName, String value, String reason) {
    OptionSpec option = spec.findOption(optionName);
    // While parsing (a setter's check) there is no parse result yet: a value the source does
    // not hold came from the command line.
    Optional<String> source = option == null ? Optional.empty()
        : of(spec).source(option)
            .filter(s -> value == null || s.value().contains(value))
            .flatMap(s -> of(spec).sourceUsed(spec.commandLine().getParseResult(), option));
    String what = optionName + (value == null || value.isEmpty() ? "" : " " + value)
        + source.map(v -> " (from " + v + ")").orElse("");
    return new ParameterException(spec.commandLine(), "invalid " + what + ": " + reason);
  }

  /**
   * {@code HOST:PORT} of an option to listen on, checked and resolved; a usage error names the
   * option and the example.
   */
  public static InetSocketAddress hostAndPort(CommandSpec command, String option, String value, String example) {
    InetSocketAddress named = unresolvedHostAndPort(command, option, value, example);
    InetSocketAddress address = new InetSocketAddress(named.getHostString(), named.getPort());
    if (address.isUnresolved()) throw invalid(command, option, value.strip(), "unknown host " + named.getHostString());
    return address;
  }

  /**
   * {@code HOST:PORT} of an option that names an address for others to use (this host may not
   * resolve it: a name outside its DNS, behind NAT), checked for its form only.
   */
  public static InetSocketAddress unresolvedHostAndPort(CommandSpec command, String option, String value,
      String example) {
    String text = value == null ? "" : value.strip();
    String host = Utils.getHost(text);
    Integer port = Utils.getPort(text);
    if (host == null || host.isEmpty() || port == null || port < 0 || port > 65535) {
      throw invalid(command, option, text, "not HOST:PORT (e.g. " + example + ")");
    }
    return InetSocketAddress.createUnresolved(host, port);
  }

  private static String normalize(OptionSpec option, String value) {
    return option.typeInfo().isBoolean() ? normalizeBoolean(value) : value;
  }

  private static String normalizeBoolean(String value) {
    return switch (value.strip().toLowerCase(Locale.ROOT)) {
      case "1", "true", "yes", "on" -> "true";
      case "", "0", "false", "no", "off" -> "false";
      default -> value; // picocli rejects it, and describe() names the source
    };
  }

  /** A value, where it came from ({@code NARFLOW_X} or {@code FILE:line}) and how it was written. */
  private record Source(String value, String where, String setting) {}
}
