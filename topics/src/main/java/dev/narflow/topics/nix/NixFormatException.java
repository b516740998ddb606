package dev.narflow.topics.nix;

/**
 * Text in one of Nix's formats (base32, store path, hash, narinfo, key, signature) that does not
 * parse. The message names the offending input and, for multi-line formats, the line.
 */
public final class NixFormatException extends IllegalArgumentException {
  private static final long serialVersionUID = 1L;

  public NixFormatException(String message) {
    super(message);
  }

  public NixFormatException(String message, Throwable cause) {
    super(message, cause);
  }
}
