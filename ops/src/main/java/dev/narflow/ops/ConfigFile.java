package dev.narflow.ops;

import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * A narflow configuration file ({@code --config FILE}): one option a line, named as on the
 * command line without its leading {@code --}, then {@code =}, then the value (the rest of the
 * line, white space around it dropped). Blank lines and lines starting with {@code #} are
 * ignored. A list option takes its values separated by spaces or commas, as its environment
 * variable does; a flag takes {@code true} or {@code false}. Each option at most once.
 *
 * <pre>
 * # /etc/narflow.conf
 * bootstrap-servers = kafka-1:9092,kafka-2:9092
 * chunk-store = s3://narflow-chunks?endpoint=http://minio:9000&amp;region=us-east-1
 * upstream = https://cache.nixos.org https://nix-community.cachix.org
 * no-closure = false
 * </pre>
 *
 * A plain line format rather than YAML or TOML: every value is the same string the command line
 * or the environment would give, so the three sources cannot differ in meaning. Immutable.
 */
public final class ConfigFile {
  private static final Pattern NAME = Pattern.compile("[a-z][a-z0-9]*(-[a-z0-9]+)*");

  /** One option's value and the line it is on, for error messages. */
  public record Entry(String value, int line) {}

  private final Path file;
  private final Map<String, Entry> entries;

  private ConfigFile(Path file, Map<String, Entry> entries) {
    this.file = file;
    this.entries = entries;
  }

  /**
   * Reads and checks the form of {@code file}; which names are options is for the caller.
   *
   * @throws InvalidException naming the file (and line) when it cannot be read or is malformed
   */
  public static ConfigFile read(Path file) throws InvalidException {
    List<String> lines;
    try {
      lines = List.of(StandardCharsets.UTF_8.newDecoder().decode(java.nio.ByteBuffer.wrap(Files.readAllBytes(file)))
          .toString().split("\r?\n", -1));
    } catch (NoSuchFileException e) {
      throw new InvalidException("cannot read " + file + ": no such file");
    } catch (AccessDeniedException e) {
      throw new InvalidException("cannot read " + file + ": permission denied");
    } catch (CharacterCodingException e) {
      throw new InvalidException(file + " is not UTF-8 text");
    } catch (IOException e) {
      throw new InvalidException("cannot read " + file + ": " + e.getMessage());
    }
    Map<String, Entry> entries = new LinkedHashMap<>();
    for (int i = 0; i < lines.size(); i++) {
      String line = lines.get(i).strip();
      int number = i + 1;
      if (line.isEmpty() || line.startsWith("#")) continue;
      int eq = line.indexOf('=');
      if (eq < 0) throw new InvalidException(file + ":" + number + ": expected 'option = value', found '" + line + "'");
      String name = line.substring(0, eq).strip();
      if (name.startsWith("--")) name = name.substring(2);
      if (!NAME.matcher(name).matches()) {
        throw new InvalidException(file + ":" + number + ": '" + name + "' is not an option name (such as chunk-store)");
      }
      Entry previous = entries.putIfAbsent(name, new Entry(line.substring(eq + 1).strip(), number));
      if (previous != null) {
        throw new InvalidException(file + ":" + number + ": " + name + " is already set on line " + previous.line()
            + " (a list option takes all its values on one line)");
      }
    }
    return new ConfigFile(file, Map.copyOf(entries));
  }

  public Path file() {
    return file;
  }

  /** The options set, by name without {@code --}. */
  public Map<String, Entry> entries() {
    return entries;
  }

  /** The entry for a long option ({@code --chunk-store} or {@code chunk-store}). */
  public Optional<Entry> get(String option) {
    return Optional.ofNullable(entries.get(option.startsWith("--") ? option.substring(2) : option));
  }

  /** {@code /etc/narflow.conf:3}, where the option's value came from. */
  public String where(Entry entry) {
    return file + ":" + entry.line();
  }

  /** A configuration file that cannot be used; the message names the file and the line. */
  public static final class InvalidException extends Exception {
    InvalidException(String message) {
      super(message);
    }
  }
}
