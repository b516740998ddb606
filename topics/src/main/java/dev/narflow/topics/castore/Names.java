package dev.narflow.topics.castore;

import com.google.protobuf.ByteString;

/**
 * The rules for entry names and symlink targets, shared by castore and the NAR reader and writer
 * so that both accept exactly the same trees; and printing them, as arbitrary bytes, safely
 * inside error messages.
 */
public final class Names {
  /** Longest entry name, in bytes (NAME_MAX). */
  public static final int MAX_NAME_BYTES = 255;
  /** Longest symlink target, in bytes (PATH_MAX - 1). */
  public static final int MAX_TARGET_BYTES = 4095;

  private static final int MAX_PRINTED = 80;

  private Names() {}

  /** What makes a name or a symlink target invalid; each caller words it in its own messages. */
  public enum Violation {
    EMPTY,
    /** The name is {@code .} or {@code ..}. */
    DOT,
    TOO_LONG,
    /** The name contains {@code /}. */
    SLASH,
    NUL
  }

  /**
   * Why {@code name} cannot name a directory entry, or null when it can: non-empty, not {@code .}
   * or {@code ..}, at most {@link #MAX_NAME_BYTES}, no {@code /} or NUL.
   */
  public static Violation checkName(ByteString name) {
    int n = name.size();
    if (n == 0) return Violation.EMPTY;
    if (name.byteAt(0) == '.' && (n == 1 || (n == 2 && name.byteAt(1) == '.'))) return Violation.DOT;
    if (n > MAX_NAME_BYTES) return Violation.TOO_LONG;
    for (int i = 0; i < n; i++) {
      byte b = name.byteAt(i);
      if (b == '/') return Violation.SLASH;
      if (b == 0) return Violation.NUL;
    }
    return null;
  }

  /** Why {@code target} cannot be a symlink target, or null: non-empty, at most {@link #MAX_TARGET_BYTES}, no NUL. */
  public static Violation checkTarget(ByteString target) {
    int n = target.size();
    if (n == 0) return Violation.EMPTY;
    if (n > MAX_TARGET_BYTES) return Violation.TOO_LONG;
    for (int i = 0; i < n; i++) {
      if (target.byteAt(i) == 0) return Violation.NUL;
    }
    return null;
  }

  /** Quoted, printable ASCII kept, everything else as {@code \xNN}; long values cut short. */
  static String printable(ByteString bytes) {
    StringBuilder sb = new StringBuilder(Math.min(bytes.size(), MAX_PRINTED) + 16).append('"');
    int shown = Math.min(bytes.size(), MAX_PRINTED);
    for (int i = 0; i < shown; i++) {
      int b = bytes.byteAt(i) & 0xff;
      if (b >= 0x20 && b < 0x7f && b != '"' && b != '\\') {
        sb.append((char) b);
      } else {
        sb.append(String.format("\\x%02x", b));
      }
    }
    sb.append('"');
    if (shown < bytes.size()) sb.append("... (").append(bytes.size()).append(" bytes)");
    return sb.toString();
  }
}
