package dev.narflow.ops.deploy;

import dev.narflow.ops.Narflow;
import dev.narflow.ops.OptionDefaults;
import dev.narflow.ops.logging.LogSettings;
import dev.narflow.ops.mirror.MirrorPipeline;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

/**
 * One {@code narflow} command line as a deployment file runs it (a compose service's
 * {@code command:}, a Kubernetes container's {@code args:}), with the container's environment and
 * the files mounted into it, checked against the CLI's own model ({@link Narflow#commandLine}):
 * the subcommand exists, every option is one it accepts, every {@code NARFLOW_…} variable is one
 * of its options', and narflow's own parser accepts the whole (values from the command line, the
 * environment and a {@code NARFLOW_CONFIG} file alike).
 *
 * @param where what to name in a problem ({@code compose service worker})
 * @param args the arguments after the image's entrypoint ({@code worker --metrics-listen …})
 * @param environment the container's environment variables
 * @param files contents of files mounted into the container, by their path there
 */
record NarflowInvocation(String where, List<String> args, Map<String, String> environment, Map<String, String> files) {
  /** The options a service listens on, whose ports a deployment must publish. */
  static final List<String> LISTEN_OPTIONS = List.of("--listen", "--metrics-listen");

  /** {@code NARFLOW_…} variables that are not options' (logging, read by every command). */
  static final List<String> LOG_VARIABLES = List.of(LogSettings.FORMAT_VARIABLE, LogSettings.LEVEL_VARIABLE);

  private static final Pattern HOST_PORT = Pattern.compile("^(.*):(\\d{1,5})$");

  /** Options whose values the deployment must agree with, besides the listen options. */
  static final String STOP_TIMEOUT = "--stop-timeout";

  /**
   * What the check found: the command (null if none), the address each listen option takes, and
   * the seconds a service may take to stop on SIGTERM ({@code --stop-timeout}), if it has the option.
   */
  record Result(CommandSpec command, Map<String, Address> listens, Optional<Setting> stopTimeout) {
    Result(CommandSpec command) {
      this(command, Map.of(), Optional.empty());
    }
  }

  /** An option's value as the container sets it, and where it comes from (for messages). */
  record Setting(String value, String source) {}

  /** A HOST:PORT an option is set to, and where it came from (for messages). */
  record Address(String host, int port, String source) {
    boolean allInterfaces() {
      return host.isEmpty() || host.equals("0.0.0.0") || host.equals("::") || host.equals("[::]") || host.equals("*");
    }
  }

  /** Checks this invocation, adding a line to {@code problems} per problem found. */
  Result check(List<String> problems) {
    CommandLine root = Narflow.commandLine(Map.of(), new MirrorPipeline());
    if (args.isEmpty()) {
      problems.add(where + ": no narflow command (the image's default is --help)");
      return new Result(null);
    }
    CommandLine command = root;
    int i = 0;
    while (i < args.size() && command.getSubcommands().containsKey(args.get(i))) {
      command = command.getSubcommands().get(args.get(i++));
    }
    if (command == root) {
      problems.add(where + ": '" + args.get(0) + "' is not a narflow command (commands: "
          + String.join(", ", root.getSubcommands().keySet()) + ")");
      return new Result(null);
    }
    CommandSpec spec = command.getCommandSpec();
    String name = spec.qualifiedName();
    List<String> subcommands = command.getSubcommands().values().stream()
        .filter(c -> !c.getCommandSpec().helpCommand()).map(CommandLine::getCommandName).toList();
    if (!subcommands.isEmpty()) {
      problems.add(where + ": " + name + " needs one of its commands: " + String.join(", ", subcommands));
      return new Result(spec);
    }

    int before = problems.size();
    Map<String, String> given = new LinkedHashMap<>(); // long option name -> value on the command line
    for (; i < args.size(); i++) {
      String arg = args.get(i);
      if (arg.equals("--")) break;
      if (arg.startsWith("-") && arg.length() > 1) {
        int eq = arg.indexOf('=');
        String optionName = eq > 0 ? arg.substring(0, eq) : arg;
        OptionSpec option = spec.findOption(optionName);
        if (option == null || !option.names()[0].startsWith("-") || !List.of(option.names()).contains(optionName)) {
          problems.add(where + ": " + name + " has no option " + optionName + " (its options: " + optionNames(spec) + ")");
          continue;
        }
        String value = null;
        if (eq > 0) {
          value = arg.substring(eq + 1);
        } else if (option.arity().max() > 0) {
          if (i + 1 >= args.size()) {
            problems.add(where + ": " + optionName + " needs a value");
            continue;
          }
          value = args.get(++i);
        }
        if (value != null) given.put(option.longestName(), value);
      } else if (spec.positionalParameters().isEmpty()) {
        problems.add(where + ": " + name + " takes no arguments, got '" + arg + "'");
      }
    }

    boolean readsEnvironment = spec.defaultValueProvider() instanceof OptionDefaults;
    // The two variables that are no option's: every command reads them, before its command line.
    LogSettings.fromEnvironment(environment).problems().forEach(p -> problems.add(where + ": " + p));
    for (String variable : environment.keySet()) {
      if (!variable.startsWith("NARFLOW_") || LOG_VARIABLES.contains(variable)) continue;
      if (!readsEnvironment) {
        problems.add(where + ": " + name + " reads no NARFLOW_ variables, yet " + variable + " is set");
      } else if (optionOfVariable(spec, variable).isEmpty()) {
        problems.add(where + ": " + variable + " is not the variable of any option of " + name
            + " (its variables: " + variables(spec) + ")");
      }
    }

    Map<String, String> configEntries = new LinkedHashMap<>();
    Map<String, String> parseEnvironment = new LinkedHashMap<>(environment);
    Path tmp = null;
    try {
      String config = given.containsKey(OptionDefaults.CONFIG_OPTION) ? given.get(OptionDefaults.CONFIG_OPTION)
          : environment.get(OptionDefaults.variableOf(OptionDefaults.CONFIG_OPTION));
      if (config != null && !config.isBlank()) {
        String content = files.get(config);
        if (content == null) {
          problems.add(where + ": the configuration file " + config + " is not mounted into the container");
        } else {
          tmp = Files.createTempDirectory("narflow-deploy-check");
          Path file = tmp.resolve(Path.of(config).getFileName().toString());
          Files.writeString(file, content, StandardCharsets.UTF_8);
          configEntries.putAll(configEntries(content));
          if (given.containsKey(OptionDefaults.CONFIG_OPTION)) {
            List<String> replaced = new ArrayList<>(args);
            String original = config;
            replaced.replaceAll(a -> a.equals(original) ? file.toString() : a.replace("=" + original, "=" + file));
            return parse(problems, before, spec, given, configEntries, parseEnvironment, replaced);
          }
          parseEnvironment.put(OptionDefaults.variableOf(OptionDefaults.CONFIG_OPTION), file.toString());
        }
      }
      return parse(problems, before, spec, given, configEntries, parseEnvironment, args);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } finally {
      if (tmp != null) deleteTree(tmp);
    }
  }

  private Result parse(List<String> problems, int before, CommandSpec spec, Map<String, String> given,
      Map<String, String> configEntries, Map<String, String> parseEnvironment, List<String> parseArgs) {
    // Only when the structure is right: picocli's own message for what the checks above name better.
    if (problems.size() == before) {
      try {
        Narflow.commandLine(parseEnvironment, new MirrorPipeline()).parseArgs(parseArgs.toArray(String[]::new));
      } catch (CommandLine.ParameterException e) {
        problems.add(where + ": narflow rejects '" + String.join(" ", args) + "': " + e.getMessage());
      } catch (RuntimeException e) {
        problems.add(where + ": narflow rejects '" + String.join(" ", args) + "': " + e);
      }
    }
    Map<String, Address> listens = new LinkedHashMap<>();
    for (String listen : LISTEN_OPTIONS) {
      Optional<Setting> setting = setting(spec, listen, given, configEntries);
      if (setting.isEmpty()) continue;
      String source = setting.get().source();
      Matcher m = HOST_PORT.matcher(setting.get().value().strip());
      if (!m.matches()) {
        problems.add(where + ": " + source + " is not HOST:PORT");
        continue;
      }
      Address address = new Address(m.group(1), Integer.parseInt(m.group(2)), source);
      if (!address.allInterfaces()) {
        problems.add(where + ": " + source + " listens on " + address.host()
            + " only, unreachable from other containers (use 0.0.0.0)");
      }
      listens.put(listen, address);
    }
    return new Result(spec, listens, setting(spec, STOP_TIMEOUT, given, configEntries));
  }

  /**
   * The value {@code option} takes in this container, as narflow resolves it: the command line,
   * else its variable, else the configuration file, else its default; empty when the command has no
   * such option or it has no value.
   */
  private Optional<Setting> setting(CommandSpec spec, String option, Map<String, String> given,
      Map<String, String> configEntries) {
    OptionSpec o = spec.findOption(option);
    if (o == null) return Optional.empty();
    String variable = OptionDefaults.variableOf(option);
    String name = option.substring(2);
    Setting setting;
    if (given.containsKey(option)) {
      setting = new Setting(given.get(option), option + " " + given.get(option));
    } else if (environment.containsKey(variable)) {
      setting = new Setting(environment.get(variable), variable + "=" + environment.get(variable));
    } else if (configEntries.containsKey(name)) {
      setting = new Setting(configEntries.get(name), name + " = " + configEntries.get(name) + " in the configuration file");
    } else {
      setting = new Setting(o.defaultValue(), "the default of " + option + ", " + o.defaultValue());
    }
    return setting.value() == null || setting.value().isBlank() ? Optional.empty() : Optional.of(setting);
  }

  /** The option whose variable {@code variable} is, in {@code spec}. */
  static Optional<OptionSpec> optionOfVariable(CommandSpec spec, String variable) {
    return spec.options().stream()
        .filter(o -> o.longestName().startsWith("--") && !o.usageHelp() && !o.versionHelp())
        .filter(o -> OptionDefaults.variableOf(o.longestName()).equals(variable))
        .findFirst();
  }

  private static String optionNames(CommandSpec spec) {
    return String.join(" ", new TreeSet<>(spec.options().stream().map(OptionSpec::longestName).toList()));
  }

  private static String variables(CommandSpec spec) {
    return String.join(" ", new TreeSet<>(spec.options().stream()
        .filter(o -> o.longestName().startsWith("--") && !o.usageHelp() && !o.versionHelp())
        .map(o -> OptionDefaults.variableOf(o.longestName())).toList()));
  }

  /** {@code name = value} lines of a narflow configuration file (the form only; narflow checks the rest). */
  static Map<String, String> configEntries(String content) {
    Map<String, String> entries = new LinkedHashMap<>();
    for (String line : content.split("\r?\n")) {
      String l = line.strip();
      if (l.isEmpty() || l.startsWith("#") || l.indexOf('=') < 0) continue;
      String key = l.substring(0, l.indexOf('=')).strip();
      entries.put(key.startsWith("--") ? key.substring(2) : key, l.substring(l.indexOf('=') + 1).strip());
    }
    return entries;
  }

  private static void deleteTree(Path dir) {
    try (Stream<Path> paths = Files.walk(dir)) {
      paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException ignored) {
      // a temporary directory left behind
    }
  }
}
