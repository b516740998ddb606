package dev.narflow.topics.nix;

/**
 * Nix's own base32 ("nix32", {@code base-nix-32.cc}): alphabet without e, o, u, t, and the bytes
 * are read last-first, so the first character holds the high bits of the last byte. Not RFC 4648.
 */
public final class Nixbase32 {
  public static final String ALPHABET = "0123456789abcdfghijklmnpqrsvwxyz";
  private static final byte[] REVERSE = new byte[128];

  static {
    java.util.Arrays.fill(REVERSE, (byte) -1);
    for (int i = 0; i < ALPHABET.length(); i++) REVERSE[ALPHABET.charAt(i)] = (byte) i;
  }

  private Nixbase32() {}

  /** Characters needed for {@code bytes} bytes: ceil(8n / 5). */
  public static int encodedLength(int bytes) {
    if (bytes < 0) throw new IllegalArgumentException("negative length " + bytes);
    return bytes == 0 ? 0 : (bytes * 8 - 1) / 5 + 1;
  }

  /** Bytes encoded by a valid string of {@code chars} characters (floor(5n / 8)). */
  public static int decodedLength(int chars) {
    return (int) ((chars * 5L) / 8);
  }

  /** True when {@code c} is one of the 32 characters of the alphabet. */
  public static boolean isDigit(char c) {
    return c < 128 && REVERSE[c] >= 0;
  }

  public static String encode(byte[] bytes) {
    int length = encodedLength(bytes.length);
    char[] out = new char[length];
    for (int n = length - 1; n >= 0; n--) {
      int bit = n * 5;
      int i = bit / 8;
      int j = bit % 8;
      int c = (bytes[i] & 0xff) >>> j;
      if (i + 1 < bytes.length) c |= (bytes[i + 1] & 0xff) << (8 - j);
      out[length - 1 - n] = ALPHABET.charAt(c & 0x1f);
    }
    return new String(out);
  }

  /**
   * Decodes {@code text}; its length must be one that {@link #encode} produces, and the bits the
   * last character carries beyond the final byte must be zero (as Nix checks), so every byte
   * string has exactly one encoding.
   */
  public static byte[] decode(CharSequence text) {
    int size = decodedLength(text.length());
    if (encodedLength(size) != text.length()) {
      throw new NixFormatException("invalid nixbase32 length " + text.length() + " of '" + text
          + "' (no byte string encodes to that many characters)");
    }
    return decodeExactly(text, size);
  }

  /** Decodes {@code text}, which must encode exactly {@code size} bytes. */
  public static byte[] decode(CharSequence text, int size) {
    if (text.length() != encodedLength(size)) {
      throw new NixFormatException("nixbase32 '" + text + "' has " + text.length()
          + " characters, expected " + encodedLength(size) + " for " + size + " bytes");
    }
    return decodeExactly(text, size);
  }

  private static byte[] decodeExactly(CharSequence text, int size) {
    byte[] out = new byte[size];
    int length = text.length();
    for (int n = 0; n < length; n++) {
      char c = text.charAt(length - 1 - n);
      int digit = c < 128 ? REVERSE[c] : -1;
      if (digit < 0) {
        throw new NixFormatException("invalid character '" + printable(c) + "' at offset "
            + (length - 1 - n) + " of nixbase32 '" + text + "'");
      }
      int bit = n * 5;
      int i = bit / 8;
      int j = bit % 8;
      out[i] |= (byte) (digit << j);
      int carry = digit >>> (8 - j);
      if (i + 1 < size) {
        out[i + 1] |= (byte) carry;
      } else if (carry != 0) {
        throw new NixFormatException("nixbase32 '" + text
            + "' has non-zero bits beyond its last byte (first character '" + printable(c) + "')");
      }
    }
    return out;
  }

  static String printable(char c) {
    return c >= 0x20 && c < 0x7f ? String.valueOf(c) : String.format("\\u%04x", (int) c);
  }
}
