package dev.narflow.topics.testing;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Runs Debian's {@code nix-bin} (the reference implementation) as root without a daemon. Tests
 * that need it fail, not skip, when it is missing: CI installs it.
 */
public final class RealNix {
  public static final String NIX_CONFIG =
      "experimental-features = nix-command\nsandbox = false\nbuild-users-group =\nsubstituters =";

  private RealNix() {}

  /** Result of one command: exit code, stdout bytes, stderr text. */
  public record Result(int exitCode, byte[] stdout, String stderr) {
    public String out() {
      return new String(stdout, StandardCharsets.UTF_8).strip();
    }

    public Result check(List<String> command) {
      if (exitCode != 0) {
        throw new AssertionError("`" + String.join(" ", command) + "` exited " + exitCode + ": " + stderr);
      }
      return this;
    }
  }

  /** Runs a command with the daemon-less Nix configuration; fails on a non-zero exit. */
  public static Result run(String... command) {
    return run(null, Map.of(), command).check(List.of(command));
  }

  /** Runs a command and returns its result whatever the exit code. */
  public static Result run(Path dir, Map<String, String> env, String... command) {
    ProcessBuilder pb = new ProcessBuilder(command);
    if (dir != null) pb.directory(dir.toFile());
    pb.environment().put("NIX_CONFIG", NIX_CONFIG);
    pb.environment().putAll(env);
    try {
      Process p = pb.start();
      p.getOutputStream().close();
      CompletableFuture<String> err = CompletableFuture.supplyAsync(() -> drain(p.getErrorStream()));
      byte[] out = p.getInputStream().readAllBytes();
      if (!p.waitFor(5, TimeUnit.MINUTES)) {
        p.destroyForcibly();
        throw new AssertionError("`" + String.join(" ", command) + "` timed out");
      }
      return new Result(p.exitValue(), out, err.join());
    } catch (IOException e) {
      throw new AssertionError("cannot run `" + String.join(" ", command)
          + "` (is Debian's nix-bin installed? apt-get install -y nix-bin)", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }

  /** {@code nix-store --dump PATH}: the NAR serialisation of a file tree, as real Nix writes it. */
  public static byte[] dump(Path path) {
    return run("nix-store", "--dump", path.toString()).stdout();
  }

  /** {@code nix hash path --base32 PATH}: the NarHash of a tree, as {@code sha256:<nixbase32>}. */
  public static String hashPath(Path path) {
    return "sha256:" + run("nix", "hash", "path", "--base32", path.toString()).out();
  }

  /**
   * Builds a store path with {@code nix-build} from a derivation whose builder is {@code /bin/sh
   * -c script}; {@code inputs} are other store paths the script may reference (they become
   * references of the output when it mentions them).
   */
  public static Path build(Path workDir, String name, String script, List<String> inputs) {
    StringBuilder expr = new StringBuilder("derivation { name = \"").append(name)
        .append("\"; system = builtins.currentSystem; builder = \"/bin/sh\"; args = [ \"-c\" ")
        .append(nixString(script)).append(" ];");
    List<String> deps = new ArrayList<>();
    for (int i = 0; i < inputs.size(); i++) {
      expr.append(" in").append(i).append(" = builtins.storePath ").append(nixString(inputs.get(i))).append(";");
      deps.add(inputs.get(i));
    }
    expr.append(" }");
    Path file = workDir.resolve(name + ".nix");
    try {
      java.nio.file.Files.writeString(file, expr.toString());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return Path.of(run("nix-build", "--no-out-link", file.toString()).out());
  }

  private static String nixString(String s) {
    return "\"" + s.replace("\\", "\\\\").replace("\"", "\\\"").replace("$", "\\$") + "\"";
  }

  private static String drain(InputStream in) {
    try {
      ByteArrayOutputStream b = new ByteArrayOutputStream();
      in.transferTo(b);
      return b.toString(StandardCharsets.UTF_8);
    } catch (IOException e) {
      return "(stderr unreadable: " + e + ")";
    }
  }
}
