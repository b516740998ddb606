package dev.narflow.ops;

import dev.narflow.topics.nix.NixFormatException;
import dev.narflow.topics.nix.StorePath;
import java.io.BufferedInputStream;
import java.io.BufferedReader;
import java.io.EOFException;
import java.io.FileInputStream;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.function.Consumer;
import org.tukaani.xz.XZFormatException;
import org.tukaani.xz.XZInputStream;

/**
 * A list of store paths in a file, as {@code --paths-from FILE} reads it: one path a line (full
 * {@code /nix/store/…} or a base name), blank lines and {@code #} comments ignored, plain text or
 * xz (by its magic bytes, whatever the name), like nixpkgs' {@code store-paths.xz}. Read as a
 * stream, one line at a time.
 */
public final class StorePathFile {
  private static final byte[] XZ_MAGIC = {(byte) 0xFD, '7', 'z', 'X', 'Z', 0};

  private StorePathFile() {}

  /** A file that cannot be read as a path list; the message is one line naming the file. */
  public static final class UnreadableException extends IOException {
    public UnreadableException(String message, Throwable cause) {
      super(message, cause);
    }
  }

  /** Gives every path of {@code file} to {@code paths}, in order. */
  public static void read(Path file, Consumer<StorePath> paths) throws UnreadableException {
    if (Files.isDirectory(file)) throw new UnreadableException("cannot read " + file + ": it is a directory", null);
    try (InputStream raw = new BufferedInputStream(open(file), 1 << 16);
        BufferedReader lines = new BufferedReader(new InputStreamReader(decompressed(raw),
            StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT)))) {
      int number = 0;
      for (String line = readLine(lines, file, number + 1); line != null; line = readLine(lines, file, number + 1)) {
        number++;
        String text = line.strip();
        if (text.isEmpty() || text.startsWith("#")) continue;
        try {
          paths.accept(StorePath.parse(text));
        } catch (NixFormatException e) {
          throw new UnreadableException(file + ":" + number + ": " + e.getMessage(), e);
        }
      }
    } catch (NoSuchFileException e) {
      throw new UnreadableException("cannot read " + file + ": no such file", e);
    } catch (AccessDeniedException e) {
      throw new UnreadableException("cannot read " + file + ": permission denied", e);
    } catch (UnreadableException e) {
      throw e;
    } catch (IOException e) {
      throw new UnreadableException("cannot read " + file + ": " + describe(e), e);
    }
  }

  private static String readLine(BufferedReader lines, Path file, int number) throws IOException {
    try {
      return lines.readLine();
    } catch (CharacterCodingException e) {
      throw new UnreadableException(file + ":" + number + ": not UTF-8 text", e);
    } catch (EOFException e) {
      throw new UnreadableException(file + ": xz data is truncated", e);
    } catch (XZFormatException e) {
      throw new UnreadableException(file + ": not xz data", e);
    } catch (IOException e) {
      throw new UnreadableException(file + ": " + describe(e), e);
    }
  }

  /**
   * A FileInputStream rather than Files.newInputStream, whose available() seeks in Java 17 and so
   * fails on pipes such as a process substitution ({@code --paths-from <(…)}).
   */
  private static InputStream open(Path file) throws IOException {
    if (!Files.exists(file)) throw new NoSuchFileException(file.toString());
    try {
      return new FileInputStream(file.toFile());
    } catch (FileNotFoundException e) {
      String m = String.valueOf(e.getMessage());
      if (m.contains("Permission denied")) throw new AccessDeniedException(file.toString());
      throw e;
    }
  }

  private static InputStream decompressed(InputStream raw) throws IOException {
    raw.mark(XZ_MAGIC.length);
    byte[] head = raw.readNBytes(XZ_MAGIC.length);
    raw.reset();
    return Arrays.equals(head, XZ_MAGIC) ? new XZInputStream(raw) : raw;
  }

  /** xz-java's exceptions are terse ("Compressed data is corrupt"); say what it was. */
  private static String describe(IOException e) {
    String message = e.getMessage();
    if (message == null || message.isBlank()) return e.getClass().getSimpleName();
    return (e.getClass().getPackageName().equals("org.tukaani.xz") ? "xz data: " : "") + message;
  }
}
