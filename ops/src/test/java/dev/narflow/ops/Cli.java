package dev.narflow.ops;

import dev.narflow.ops.mirror.MirrorPipeline;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;
import java.util.Map;

/** Runs a {@code narflow} command in this JVM, with an environment of its own, and keeps what it printed. */
public final class Cli {
  private Cli() {}

  /** Exit code, stdout and stderr of one command. */
  public record Run(int exit, String out, String err) {
    public List<String> errLines() {
      return err.lines().toList();
    }
  }

  public static Run run(Map<String, String> environment, String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    var cli = Narflow.commandLine(environment, new MirrorPipeline());
    cli.setOut(new PrintWriter(out));
    cli.setErr(new PrintWriter(err));
    int exit = cli.execute(args);
    return new Run(exit, out.toString(), err.toString());
  }
}
