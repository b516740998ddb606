package dev.narflow.topics.castore;

import com.google.protobuf.ByteString;

/** Printing names and targets, which are arbitrary bytes, safely inside error messages. */
final class Names {
  private static final int MAX_PRINTED = 80;

  private Names() {}

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
