package dev.narflow.exporter.http;

/**
 * One byte range of a {@code Range: bytes=…} header (RFC 9110 §14), resolved against the
 * representation's size: {@code [first, last]}, both inclusive. Several ranges in one request are
 * not served (416): no Nix client asks for them, and multipart responses would buy nothing.
 */
record ByteRange(long first, long last) {
  /** The header is not a byte range we understand: 400. */
  static final class Malformed extends Exception {
    Malformed(String message) {
      super(message);
    }
  }

  /** No byte of the range exists in the representation, or several ranges were asked: 416. */
  static final class Unsatisfiable extends Exception {
    Unsatisfiable(String message) {
      super(message);
    }
  }

  long length() {
    return last - first + 1;
  }

  /** {@code bytes 0-99/1000}. */
  String contentRange(long size) {
    return "bytes " + first + "-" + last + "/" + size;
  }

  static ByteRange parse(String header, long size) throws Malformed, Unsatisfiable {
    String h = header.strip();
    if (!h.startsWith("bytes=")) throw new Malformed("only byte ranges are served: " + h);
    String spec = h.substring("bytes=".length()).strip();
    if (spec.indexOf(',') >= 0) throw new Unsatisfiable("one range at a time");
    int dash = spec.indexOf('-');
    if (dash < 0) throw new Malformed("a byte range is FIRST-LAST, FIRST- or -SUFFIX: " + spec);
    String a = spec.substring(0, dash).strip();
    String b = spec.substring(dash + 1).strip();
    try {
      if (a.isEmpty()) {
        long suffix = number(b);
        if (suffix == 0 || size == 0) throw new Unsatisfiable("empty suffix range");
        return new ByteRange(Math.max(0, size - suffix), size - 1);
      }
      long first = number(a);
      long last = b.isEmpty() ? size - 1 : number(b);
      if (first >= size) throw new Unsatisfiable("range starts past the end (" + size + " bytes)");
      if (last < first) throw new Malformed("range ends before it starts: " + spec);
      return new ByteRange(first, Math.min(last, size - 1));
    } catch (NumberFormatException e) {
      throw new Malformed("not a byte range: " + spec);
    }
  }

  private static long number(String s) {
    if (s.isEmpty() || s.length() > 19 || !s.chars().allMatch(c -> c >= '0' && c <= '9')) {
      throw new NumberFormatException(s);
    }
    return Long.parseLong(s);
  }
}
