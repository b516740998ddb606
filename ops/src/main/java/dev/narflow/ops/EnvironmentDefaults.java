package dev.narflow.ops;

import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import picocli.CommandLine;
import picocli.CommandLine.IDefaultValueProvider;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.OptionSpec;

/**
 * Every long option {@code --foo-bar} reads the environment variable {@code NARFLOW_FOO_BAR}
 * when it is not on the command line (DESIGN §6); the option's own default applies when neither
 * is given. Boolean flags take {@code 1/true/yes/on} and {@code 0/false/no/off}. Errors in a value
 * that came from the environment name the variable ({@link #describe}), not only the option.
 */
public final class EnvironmentDefaults implements IDefaultValueProvider {
  private final Map<String, String> environment;

  public EnvironmentDefaults(Map<String, String> environment) {
    this.environment = Map.copyOf(environment);
  }

  /** {@code --chunk-store} → {@code NARFLOW_CHUNK_STORE}. */
  public static String variableOf(String longOption) {
    String bare = longOption.startsWith("--") ? longOption.substring(2) : longOption;
    return "NARFLOW_" + bare.toUpperCase(Locale.ROOT).replace('-', '_');
  }

  /** The environment's value for the option, when it has one and the option takes one. */
  public Optional<String> valueOf(OptionSpec option) {
    if (option.usageHelp() || option.versionHelp() || !option.longestName().startsWith("--")) return Optional.empty();
    String value = environment.get(variableOf(option.longestName()));
    if (value == null) return Optional.empty();
    if (option.typeInfo().isBoolean()) value = normalizeBoolean(value);
    return Optional.of(value);
  }

  @Override
  public String defaultValue(ArgSpec argSpec) {
    return argSpec instanceof OptionSpec option ? valueOf(option).orElse(null) : null;
  }

  /** The variable the option's value came from: set, and the option not on the command line. */
  public Optional<String> variableUsed(CommandLine.ParseResult parsed, OptionSpec option) {
    if (parsed != null && parsed.hasMatchedOption(option)) return Optional.empty();
    return valueOf(option).map(v -> variableOf(option.longestName()));
  }

  /**
   * A usage error in one line; when the offending option got its value from the environment,
   * the message says so ({@code invalid NARFLOW_WORKERS=abc (--workers): 'abc' is not an int}).
   */
  public String describe(CommandLine.ParameterException e) {
    if (e.getArgSpec() instanceof OptionSpec option) {
      Optional<String> variable = variableUsed(e.getCommandLine().getParseResult(), option);
      if (variable.isPresent()) {
        String message = e.getMessage();
        int detail = message.indexOf("': ");
        String why = detail >= 0 ? message.substring(detail + 3) : message;
        return "invalid " + variable.get() + "=" + environment.get(variable.get())
            + " (" + option.longestName() + "): " + why;
      }
    }
    return e.getMessage();
  }

  private static String normalizeBoolean(String value) {
    return switch (value.strip().toLowerCase(Locale.ROOT)) {
      case "1", "true", "yes", "on" -> "true";
      case "", "0", "false", "no", "off" -> "false";
      default -> value; // picocli rejects it, and describe() names the variable
    };
  }
}
