package dev.narflow.ops.keygen;

import dev.narflow.ops.ConfigOption;
import dev.narflow.ops.ConfigurationException;
import dev.narflow.topics.nix.NixSecretKey;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.regex.Pattern;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code narflow keygen NAME}: an ed25519 key pair in Nix's text format, as
 * {@code nix-store --generate-binary-cache-key} writes it: {@code NAME.sec} (readable by its owner
 * only) and {@code NAME.pub}. The exporter signs narinfos with the secret key; clients trust the
 * public one.
 */
@Command(
    name = "keygen",
    mixinStandardHelpOptions = true,
    description = {
      "Writes an ed25519 key pair in Nix's format: NAME.sec (mode 600; give it to narflow serve"
          + " --signing-key) and NAME.pub (for the clients' trusted-public-keys), and prints the public key.",
      "Existing files are never overwritten.",
      "Example: narflow keygen cache.example.org-1"
    })
public final class KeygenCommand implements Callable<Integer> {
  /** Nix allows any name without ':'; this one also names files, so it is kept to a safe set. */
  private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._+-]*");

  @Spec CommandSpec spec;

  @CommandLine.Mixin ConfigOption config;

  @Parameters(paramLabel = "NAME",
      description = "The key's name, conventionally the cache's host name and a number: cache.example.org-1.")
  String name;

  @Option(names = "--out-dir", paramLabel = "DIR", defaultValue = ".",
      description = "Where NAME.sec and NAME.pub go (env NARFLOW_OUT_DIR, default the current directory).")
  Path outDir;

  @Override
  public Integer call() throws Exception {
    if (!NAME.matcher(name).matches()) {
      throw new CommandLine.ParameterException(spec.commandLine(), "invalid NAME '" + name
          + "': use letters, digits and . _ + - (not starting with one of those), e.g. cache.example.org-1");
    }
    Path secret = outDir.resolve(name + ".sec");
    Path pub = outDir.resolve(name + ".pub");
    for (Path p : new Path[] {secret, pub}) {
      if (Files.exists(p)) throw new ConfigurationException(p + " exists; narflow keygen never overwrites a key");
    }
    if (!Files.isDirectory(outDir)) throw new ConfigurationException(outDir + " is not a directory");
    NixSecretKey key = NixSecretKey.generate(name);
    // The secret first, so that a public key on disk always has its secret beside it.
    write(secret, key.toKeyText(), true);
    write(pub, key.publicKey().toString(), false);
    PrintWriter out = spec.commandLine().getOut();
    out.println(key.publicKey());
    out.flush();
    PrintWriter err = spec.commandLine().getErr();
    err.println("wrote " + secret + " (secret: keep it private) and " + pub);
    err.flush();
    return 0;
  }

  /** Created exclusively (mode 600 for the secret from the start), synced, with no trailing newline as Nix writes them. */
  private static void write(Path file, String text, boolean secret) throws IOException {
    Set<StandardOpenOption> options = Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
    try (FileChannel out = secret
        ? FileChannel.open(file, options, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")))
        : FileChannel.open(file, options)) {
      out.write(ByteBuffer.wrap(text.getBytes(StandardCharsets.US_ASCII)));
      out.force(true);
    } catch (FileAlreadyExistsException e) {
      throw new IOException(file + " appeared while writing; narflow keygen never overwrites a key", e);
    }
  }
}
