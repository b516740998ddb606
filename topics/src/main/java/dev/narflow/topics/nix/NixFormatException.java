package dev.narflow.topics.nix;

/**
 * Text in one of Nix's formats (base32, store path, hash, narinfo, key, signature) that does not
 * parse. The message names the offending input and, for multi-line formats, the line. Messages
 * quote the input, so an over-long one keeps its start and end and omits the middle: a hostile
 * megabyte-long value must not flood a log.
 */
public final class NixFormatException extends IllegalArgumentException {
  private static final long serialVersionUID = 1L;
  private static final int MAX_MESSAGE = 800;
  private static final int HEAD = 400;
  private static final int TAIL = 300;

  public NixFormatException(String message) {
    super(bounded(message));
  }

  public NixFormatException(String message, Throwable cause) {
    super(bounded(message), cause);
  }

  private static String bounded(String message) {
    if (message == null || message.length() <= MAX_MESSAGE) return message;
    return message.substring(0, HEAD) + "…[" + (message.length() - HEAD - TAIL) + " characters omitted]…"
        + message.substring(message.length() - TAIL);
  }
}
