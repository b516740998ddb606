package dev.narflow.ops;

import dev.narflow.ops.mirror.MirrorPipeline;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import picocli.CommandLine;
import picocli.CommandLine.Help;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Model.PositionalParamSpec;

/**
 * The configuration reference, {@code docs/configuration.md}, rendered from picocli's model of
 * {@link Narflow#commandLine()}: every command with its description and synopsis, and every option
 * with the environment variable it reads ({@link OptionDefaults#variableOf}), its default and its
 * description. Generated, so it cannot drift from the CLI; {@code ConfigReferenceTest} fails when
 * the file in the repository differs from what this renders.
 *
 * <p>Rendered with an empty environment: the defaults shown are the CLI's own, whatever the
 * machine that renders it has set.
 */
public final class ConfigReference {
  /** The generated file, relative to the repository's root. */
  public static final String FILE = "docs/configuration.md";

  /** How to write the file again, named in the file and in the test's failure. */
  public static final String REGENERATE =
      "mvn -B -o test -pl ops -am -Dtest=ConfigReferenceTest -Dsurefire.failIfNoSpecifiedTests=false"
          + " -Dnarflow.configReference.write=true";

  private static final String EXAMPLE = "Example: ";

  private ConfigReference() {}

  /** The Markdown reference of every command of {@code narflow}. */
  public static String render() {
    return render(Narflow.commandLine(Map.of(), new MirrorPipeline()));
  }

  /** The Markdown reference of {@code root} and all its subcommands, depth first, in declaration order. */
  public static String render(CommandLine root) {
    StringBuilder md = new StringBuilder();
    md.append("# Configuration reference\n\n");
    md.append("<!-- Generated from the CLI's own definitions by dev.narflow.ops.ConfigReference; do not edit.\n");
    md.append("     Regenerate: ").append(REGENERATE).append(" -->\n\n");
    md.append("Every option of every `narflow` command, generated from the command line's own definitions\n")
        .append("(so it cannot drift from them). An option not given on the command line is read from its\n")
        .append("environment variable, and then from the configuration file named by `--config FILE` (or\n")
        .append("`NARFLOW_CONFIG`): one `option = value` a line, named as on the command line without `--`, `#`\n")
        .append("comments; list options take their values separated by spaces or commas, flags `true` or\n")
        .append("`false`. The command line wins over the environment, which wins over the file; one file may\n")
        .append("hold the options of several commands. S3 credentials are read from `AWS_ACCESS_KEY_ID` and\n")
        .append("`AWS_SECRET_ACCESS_KEY`, as every S3 tool reads them.\n\n");
    md.append("Commands:\n\n");
    for (CommandLine command : commands(root)) {
      CommandSpec spec = command.getCommandSpec();
      md.append("- [`").append(spec.qualifiedName()).append("`](#").append(anchor(spec.qualifiedName())).append(")");
      String first = firstLine(spec);
      if (!first.isEmpty()) md.append(": ").append(first);
      md.append('\n');
    }
    for (CommandLine command : commands(root)) {
      md.append('\n');
      renderCommand(command, md);
    }
    return md.toString();
  }

  /** {@code root}'s subcommands and theirs, depth first; help commands left out. */
  static List<CommandLine> commands(CommandLine root) {
    List<CommandLine> all = new ArrayList<>();
    collect(root, all, true);
    return all;
  }

  private static void collect(CommandLine command, List<CommandLine> into, boolean isRoot) {
    CommandSpec spec = command.getCommandSpec();
    if (spec.helpCommand()) return;
    if (!isRoot) into.add(command);
    // getSubcommands() holds aliases too; a command is listed once, under its own name.
    for (Map.Entry<String, CommandLine> e : command.getSubcommands().entrySet()) {
      if (e.getKey().equals(e.getValue().getCommandName())) collect(e.getValue(), into, false);
    }
  }

  private static void renderCommand(CommandLine command, StringBuilder md) {
    CommandSpec spec = command.getCommandSpec();
    md.append("## `").append(spec.qualifiedName()).append("`\n\n");
    // Description lines run together as one paragraph, as in --help; an example is a code block.
    boolean inParagraph = false;
    for (String line : spec.usageMessage().description()) {
      if (line.startsWith(EXAMPLE)) {
        if (inParagraph) md.append('\n');
        md.append("Example:\n\n    ").append(line.substring(EXAMPLE.length()).strip()).append("\n\n");
        inParagraph = false;
      } else {
        md.append(prose(line)).append('\n');
        inParagraph = true;
      }
    }
    if (inParagraph) md.append('\n');
    String synopsis = new Help(spec, Help.defaultColorScheme(Help.Ansi.OFF)).synopsis(0).stripTrailing();
    md.append("```\n").append(synopsis).append("\n```\n\n");

    List<PositionalParamSpec> positionals = spec.positionalParameters().stream().filter(p -> !p.hidden()).toList();
    if (!positionals.isEmpty()) {
      md.append("| argument | description |\n|---|---|\n");
      for (PositionalParamSpec p : positionals) {
        md.append("| `").append(cell(p.paramLabel())).append("` | ")
            .append(cell(prose(String.join(" ", p.description())))).append(" |\n");
      }
      md.append('\n');
    }

    boolean readsEnvironment = spec.defaultValueProvider() instanceof OptionDefaults;
    List<OptionSpec> options = spec.options().stream().filter(o -> !o.hidden()).toList();
    md.append("| option | environment variable | default | description |\n|---|---|---|---|\n");
    for (OptionSpec o : options) {
      md.append("| `").append(cell(optionSynopsis(o))).append("` | ")
          .append(readsEnvironment && OptionDefaults.readsVariable(o) ? "`" + OptionDefaults.variableOf(o.longestName()) + "`" : "")
          .append(" | ").append(cell(defaultOf(o))).append(" | ")
          .append(cell(prose(interpolate(String.join(" ", o.description()), o)))).append(" |\n");
    }
  }

  /** {@code --chunk-store URL}, or {@code -h, --help} for a flag with several names. */
  private static String optionSynopsis(OptionSpec o) {
    String names = String.join(", ", o.names());
    if (o.typeInfo().isBoolean() && o.arity().max() == 0) return names;
    return names + " " + o.paramLabel();
  }

  private static String defaultOf(OptionSpec o) {
    if (o.usageHelp() || o.versionHelp()) return "";
    String value = o.defaultValue();
    if (value == null) return o.typeInfo().isBoolean() && o.arity().max() == 0 ? "`false`" : "";
    if (value.isEmpty()) return "(empty)";
    return "`" + value + "`";
  }

  /** Text outside code: {@code <hash>} would otherwise be taken for an HTML tag. */
  private static String prose(String text) {
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
  }

  /** picocli's own variables in descriptions, which its help renderer replaces, replaced the same way. */
  private static String interpolate(String text, OptionSpec o) {
    String value = o.defaultValue() == null ? "" : o.defaultValue();
    return text.replace("${DEFAULT-VALUE}", value);
  }

  private static String firstLine(CommandSpec spec) {
    String all = String.join(" ", spec.usageMessage().description()).strip();
    int stop = all.indexOf(". ");
    return prose(stop > 0 ? all.substring(0, stop + 1) : all);
  }

  /** GitHub's heading anchor for {@code `narflow topics create`}: lower case, spaces to dashes. */
  static String anchor(String qualifiedName) {
    return qualifiedName.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9 -]", "").replace(' ', '-');
  }

  /** Text safe inside a Markdown table cell: pipes escaped, no line breaks. */
  private static String cell(String text) {
    return text.replace("|", "\\|").replace("\r", "").replace("\n", " ").strip();
  }

  /**
   * Writes the reference to {@code args[0]} (default {@value #FILE}, relative to the working
   * directory), e.g. {@code java -cp ops/target/narflow.jar dev.narflow.ops.ConfigReference}.
   */
  public static void main(String[] args) throws IOException {
    Path out = Path.of(args.length > 0 ? args[0] : FILE);
    Files.writeString(out, render(), StandardCharsets.UTF_8);
    System.out.println("wrote " + out);
  }
}
