package dev.narflow.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.narflow.ops.mirror.MirrorPipeline;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Option;

/**
 * docs/configuration.md is what the CLI's definitions render to ({@link ConfigReference}). With
 * {@code -Dnarflow.configReference.write=true} this test writes the file instead of failing.
 */
class ConfigReferenceTest {
  private static final String WRITE = "narflow.configReference.write";

  @Test
  void docsConfigurationMdIsWhatTheCliRenders() throws IOException {
    Path file = Repository.root().resolve(ConfigReference.FILE);
    String rendered = ConfigReference.render();
    if (Boolean.getBoolean(WRITE)) {
      Files.writeString(file, rendered, StandardCharsets.UTF_8);
      return;
    }
    String committed = Files.isRegularFile(file) ? Files.readString(file, StandardCharsets.UTF_8) : "";
    if (!committed.equals(rendered)) {
      fail(ConfigReference.FILE + " differs from what the CLI's definitions render"
          + firstDifference(committed, rendered) + ". Regenerate it with: " + ConfigReference.REGENERATE);
    }
  }

  @Test
  void everyOptionOfEveryCommandIsListedWithItsVariable() {
    CommandLine cli = Narflow.commandLine(Map.of(), new MirrorPipeline());
    String rendered = ConfigReference.render(cli);
    List<CommandLine> commands = ConfigReference.commands(cli);
    assertFalse(commands.isEmpty());
    for (CommandLine command : commands) {
      String name = command.getCommandSpec().qualifiedName();
      assertTrue(rendered.contains("## `" + name + "`"), name);
      for (OptionSpec o : command.getCommandSpec().options()) {
        if (o.hidden()) continue;
        assertTrue(rendered.contains("`" + String.join(", ", o.names())), name + " " + o.longestName());
        if (OptionDefaults.readsVariable(o)) {
          assertTrue(rendered.contains("`" + OptionDefaults.variableOf(o.longestName()) + "`"), o.longestName());
        }
      }
    }
    assertTrue(rendered.contains("| `--chunk-store URL` | `NARFLOW_CHUNK_STORE` |"), rendered);
  }

  @Test
  void aChangedOptionChangesTheReference() {
    // The comparison above can fail: a CLI whose option differs renders differently.
    assertFalse(ConfigReference.render(tiny("--listen")).equals(ConfigReference.render(tiny("--bind"))));
    String md = ConfigReference.render(tiny("--listen"));
    assertTrue(md.contains("| `--listen HOST:PORT` | `NARFLOW_LISTEN` | `127.0.0.1:1` | Where (default 127.0.0.1:1). |"), md);
    assertTrue(md.contains("| `--flag` | `NARFLOW_FLAG` | `false` | A \\| pipe. |"), md);
    assertTrue(md.contains("- [`tiny sub`](#tiny-sub): Does a thing."), md);
  }

  @Test
  void anchorsAreGitHubs() {
    assertEquals("narflow-topics-create", ConfigReference.anchor("narflow topics create"));
    assertEquals("narflow-rebuild-index", ConfigReference.anchor("narflow rebuild-index"));
  }

  @Command(name = "tiny", subcommands = CommandLine.HelpCommand.class)
  static final class Tiny implements Runnable {
    @Override
    public void run() {}
  }

  @Command(name = "sub", description = "Does a thing. And more.")
  static final class Sub implements Runnable {
    @CommandLine.Mixin ConfigOption config;

    @Option(names = "--flag", description = "A | pipe.")
    boolean flag;

    @Override
    public void run() {}
  }

  private static CommandLine tiny(String listenName) {
    CommandLine root = new CommandLine(new Tiny());
    CommandLine sub = new CommandLine(new Sub());
    sub.getCommandSpec().addOption(OptionSpec.builder(listenName).type(String.class).arity("1").paramLabel("HOST:PORT")
        .defaultValue("127.0.0.1:1").description("Where (default ${DEFAULT-VALUE}).").build());
    root.addSubcommand("sub", sub);
    OptionDefaults.install(root, Map.of());
    return root;
  }

  private static String firstDifference(String a, String b) {
    String[] x = a.split("\n", -1);
    String[] y = b.split("\n", -1);
    for (int i = 0; i < Math.max(x.length, y.length); i++) {
      String l = i < x.length ? x[i] : "<end of file>";
      String r = i < y.length ? y[i] : "<end of file>";
      if (!l.equals(r)) return " from line " + (i + 1) + " (file: '" + l + "', CLI: '" + r + "')";
    }
    return "";
  }
}
