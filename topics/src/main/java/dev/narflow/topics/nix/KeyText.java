package dev.narflow.topics.nix;

import java.util.Base64;

/** The {@code <name>:<base64>} text shared by Nix keys and signatures. */
final class KeyText {
  final String name;
  final byte[] bytes;

  private KeyText(String name, byte[] bytes) {
    this.name = name;
    this.bytes = bytes;
  }

  /**
   * Splits at the first colon (as Nix does, so names cannot contain one) and decodes the base64,
   * which must hold exactly {@code size} bytes. {@code what} names the kind of text in errors.
   */
  static KeyText parse(String text, int size, String what) {
    int colon = text.indexOf(':');
    if (colon <= 0 || colon == text.length() - 1) {
      throw new NixFormatException(what + " '" + redact(text, what) + "' is not of the form <name>:<base64>");
    }
    String name = text.substring(0, colon);
    byte[] bytes;
    try {
      bytes = Base64.getDecoder().decode(text.substring(colon + 1));
    } catch (IllegalArgumentException e) {
      throw new NixFormatException(what + " '" + redact(text, what) + "' has invalid base64: " + e.getMessage());
    }
    if (bytes.length != size) {
      throw new NixFormatException(what + " '" + redact(text, what) + "' holds " + bytes.length
          + " bytes, expected " + size);
    }
    return new KeyText(name, bytes);
  }

  static String format(String name, byte[] bytes) {
    return name + ":" + Base64.getEncoder().encodeToString(bytes);
  }

  // Error messages end up in logs; never put secret key material there.
  private static String redact(String text, String what) {
    if (!what.startsWith("secret")) return text;
    int colon = text.indexOf(':');
    return (colon < 0 ? "" : text.substring(0, colon)) + ":<redacted>";
  }

  static void checkName(String name) {
    if (name == null || name.isEmpty() || name.indexOf(':') >= 0) {
      throw new IllegalArgumentException("key name must be non-empty and without ':', got '" + name + "'");
    }
  }
}
