package dev.narflow.topics.nar;

import com.google.protobuf.ByteString;
import dev.narflow.topics.castore.Names;
import java.nio.charset.StandardCharsets;
import java.util.Comparator;

/**
 * The NAR (Nix ARchive) format's limits and shared rules, used alike by {@link NarReader} and
 * {@link NarWriter} so that what one accepts the other can emit.
 *
 * <p>Wire format: every string is a u64 little-endian length, the bytes, and zero padding to a
 * multiple of 8. A NAR is {@code "nix-archive-1"} followed by one node: {@code "(" "type"} then
 * {@code "regular" ["executable" ""] "contents" <bytes>}, {@code "symlink" "target" <target>}, or
 * {@code "directory" {"entry" "(" "name" <name> "node" <node> ")"}}, and a closing {@code ")"}.
 */
public final class Nar {
  /** Longest entry name, in bytes (NAME_MAX). */
  public static final int MAX_NAME_LENGTH = Names.MAX_NAME_BYTES;
  /** Longest symlink target, in bytes (PATH_MAX - 1). */
  public static final int MAX_TARGET_LENGTH = Names.MAX_TARGET_BYTES;
  /** Deepest node: the number of names in its path (the root has none). */
  public static final int MAX_DEPTH = 256;

  /** Entry names are ordered as unsigned bytes, which is Nix's (and castore's) order. */
  public static final Comparator<ByteString> NAME_ORDER = ByteString.unsignedLexicographicalComparator();

  private Nar() {}

  /** Why {@code name} cannot be a directory entry's name, or null when it can. */
  static String nameProblem(ByteString name) {
    Names.Violation violation = Names.checkName(name);
    if (violation == null) return null;
    return switch (violation) {
      case EMPTY -> "invalid entry name '' (empty)";
      case TOO_LONG -> "invalid entry name of " + name.size() + " bytes (longer than " + MAX_NAME_LENGTH + ")";
      case DOT -> "invalid entry name '" + render(name) + "'";
      case SLASH -> "invalid entry name '" + render(name) + "' (contains '/')";
      case NUL -> "invalid entry name '" + render(name) + "' (contains NUL)";
    };
  }

  /** Why {@code target} cannot be a symlink's target, or null when it can. */
  static String targetProblem(ByteString target) {
    Names.Violation violation = Names.checkTarget(target);
    if (violation == null) return null;
    return switch (violation) {
      case EMPTY -> "invalid symlink target '' (empty)";
      case TOO_LONG -> "invalid symlink target of " + target.size() + " bytes (longer than " + MAX_TARGET_LENGTH + ")";
      default -> "invalid symlink target '" + render(target) + "' (contains NUL)";
    };
  }

  /** Why {@code name} cannot follow {@code previous} in a directory, or null when it can. */
  static String orderProblem(ByteString previous, ByteString name) {
    if (previous == null) return null;
    int c = NAME_ORDER.compare(previous, name);
    if (c < 0) return null;
    if (c == 0) return "duplicate entry name '" + render(name) + "'";
    return "entries not sorted: '" + render(name) + "' after '" + render(previous) + "'";
  }

  /** Path of a node for messages: {@code /} for the root, else {@code /a/b}. */
  static String path(ByteString[] names, int depth) {
    if (depth == 0) return "/";
    StringBuilder s = new StringBuilder();
    for (int i = 1; i <= depth; i++) s.append('/').append(render(names[i]));
    return s.toString();
  }

  /**
   * Bytes as readable text for messages: valid UTF-8 shown as is, control characters and bytes of
   * invalid UTF-8 as {@code \xNN}, cut after 256 bytes so a hostile name cannot flood a log.
   */
  static String render(ByteString bytes) {
    ByteString shown = bytes.size() > 256 ? bytes.substring(0, 256) : bytes;
    StringBuilder s = new StringBuilder();
    if (shown.isValidUtf8()) {
      String text = shown.toStringUtf8();
      for (int i = 0; i < text.length(); i++) {
        char c = text.charAt(i);
        if (c < 0x20 || c == 0x7f || c == '\\') {
          hex(s, c);
        } else {
          s.append(c);
        }
      }
    } else {
      for (int i = 0; i < shown.size(); i++) {
        int b = shown.byteAt(i) & 0xff;
        if (b < 0x20 || b >= 0x7f || b == '\\') {
          hex(s, b);
        } else {
          s.append((char) b);
        }
      }
    }
    if (shown != bytes) s.append("…");
    return s.toString();
  }

  private static void hex(StringBuilder s, int b) {
    s.append("\\x").append(Character.forDigit(b >> 4, 16)).append(Character.forDigit(b & 0xf, 16));
  }

  /** The wire encoding of the given strings, one after the other. */
  static byte[] tokens(String... strings) {
    int size = 0;
    for (String t : strings) size += 8 + padded(t.length());
    byte[] out = new byte[size];
    int p = 0;
    for (String t : strings) {
      byte[] b = t.getBytes(StandardCharsets.US_ASCII);
      putLong(out, p, b.length);
      System.arraycopy(b, 0, out, p + 8, b.length);
      p += 8 + padded(b.length);
    }
    return out;
  }

  /** {@code n} rounded up to a multiple of 8. */
  static long padded(long n) {
    return (n + 7) & ~7L;
  }

  static int padded(int n) {
    return (n + 7) & ~7;
  }

  static void putLong(byte[] b, int off, long v) {
    for (int i = 0; i < 8; i++) b[off + i] = (byte) (v >>> (8 * i));
  }

  static long getLong(byte[] b, int off) {
    long v = 0;
    for (int i = 7; i >= 0; i--) v = (v << 8) | (b[off + i] & 0xffL);
    return v;
  }
}
