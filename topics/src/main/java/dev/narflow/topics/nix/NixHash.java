package dev.narflow.topics.nix;

import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Objects;

/**
 * A hash as Nix writes it: an algorithm and its digest. Parses every form Nix accepts
 * ({@code algo:} followed by base16, nixbase32 or base64, told apart by length; SRI
 * {@code algo-<base64>}; a bare digest when the caller knows the algorithm) and renders the
 * narinfo form {@code sha256:<nixbase32>}, base16 and SRI. Immutable.
 */
public final class NixHash {
  private static final HexFormat HEX = HexFormat.of();

  private final HashAlgorithm algorithm;
  private final byte[] digest;

  private NixHash(HashAlgorithm algorithm, byte[] digest) {
    this.algorithm = algorithm;
    this.digest = digest;
  }

  /** Copies {@code digest}, which must have the algorithm's size. */
  public static NixHash of(HashAlgorithm algorithm, byte[] digest) {
    Objects.requireNonNull(algorithm, "algorithm");
    if (digest.length != algorithm.size()) {
      throw new IllegalArgumentException(algorithm + " digest must be " + algorithm.size()
          + " bytes, got " + digest.length);
    }
    return new NixHash(algorithm, digest.clone());
  }

  /** Hashes {@code data} with {@code algorithm}. */
  public static NixHash compute(HashAlgorithm algorithm, byte[] data) {
    return new NixHash(algorithm, algorithm.newDigest().digest(data));
  }

  /**
   * Parses a hash that names its algorithm: {@code algo:<base16|nixbase32|base64>} or SRI
   * {@code algo-<base64>} (Nix's {@code Hash::parseAnyPrefixed}, used for narinfo fields).
   */
  public static NixHash parse(String text) {
    return parse(text, null);
  }

  /**
   * Parses a hash whose algorithm is known from context: {@code text} may name it (then the two
   * must agree) or be a bare digest of {@code algorithm} (Nix's {@code Hash::parseAny}).
   * {@code algorithm} may be null, then the text must name it.
   */
  public static NixHash parse(String text, HashAlgorithm algorithm) {
    Objects.requireNonNull(text, "text");
    int colon = text.indexOf(':');
    int dash = colon < 0 ? text.indexOf('-') : -1;
    int separator = colon >= 0 ? colon : dash;
    HashAlgorithm named = null;
    String rest = text;
    if (separator >= 0) {
      try {
        named = HashAlgorithm.ofNixName(text.substring(0, separator));
      } catch (NixFormatException e) {
        throw new NixFormatException("hash '" + text + "': " + e.getMessage());
      }
      rest = text.substring(separator + 1);
    }
    if (named == null && algorithm == null) {
      throw new NixFormatException("hash '" + text + "' does not name its algorithm");
    }
    if (named != null && algorithm != null && named != algorithm) {
      throw new NixFormatException("hash '" + text + "' should be " + algorithm + " but is " + named);
    }
    HashAlgorithm algo = named != null ? named : algorithm;
    return decode(algo, rest, dash >= 0, text);
  }

  /** Parses a bare, non-SRI digest of {@code algorithm} (base16, nixbase32 or base64 by length). */
  public static NixHash parseBare(String digest, HashAlgorithm algorithm) {
    Objects.requireNonNull(algorithm, "algorithm");
    return decode(algorithm, digest, false, digest);
  }

  private static NixHash decode(HashAlgorithm algo, String rest, boolean sri, String original) {
    int length = rest.length();
    if (!sri && length == algo.base16Length()) {
      byte[] out = new byte[algo.size()];
      for (int i = 0; i < out.length; i++) {
        int hi = hexDigit(rest.charAt(2 * i));
        int lo = hexDigit(rest.charAt(2 * i + 1));
        if (hi < 0 || lo < 0) {
          throw new NixFormatException("invalid base16 " + algo + " hash '" + original + "'");
        }
        out[i] = (byte) (hi << 4 | lo);
      }
      return new NixHash(algo, out);
    }
    if (!sri && length == algo.nixbase32Length()) {
      try {
        return new NixHash(algo, Nixbase32.decode(rest, algo.size()));
      } catch (NixFormatException e) {
        throw new NixFormatException("invalid nixbase32 " + algo + " hash '" + original + "': " + e.getMessage());
      }
    }
    if (sri || length == algo.base64Length()) {
      byte[] out;
      try {
        out = Base64.getDecoder().decode(rest);
      } catch (IllegalArgumentException e) {
        throw new NixFormatException("invalid " + (sri ? "SRI" : "base64") + " " + algo + " hash '"
            + original + "': " + e.getMessage());
      }
      if (out.length != algo.size()) {
        throw new NixFormatException("invalid " + (sri ? "SRI" : "base64") + " " + algo + " hash '"
            + original + "': decodes to " + out.length + " bytes, expected " + algo.size());
      }
      return new NixHash(algo, out);
    }
    throw new NixFormatException("hash '" + original + "' has wrong length " + length + " for " + algo
        + " (expected " + algo.base16Length() + " base16, " + algo.nixbase32Length() + " nixbase32 or "
        + algo.base64Length() + " base64 characters)");
  }

  // Nix accepts both cases of hex digits.
  private static int hexDigit(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  }

  public HashAlgorithm algorithm() {
    return algorithm;
  }

  public byte[] digest() {
    return digest.clone();
  }

  /** The bare digest in lower-case base16. */
  public String base16() {
    return HEX.formatHex(digest);
  }

  /** The bare digest in nixbase32. */
  public String nixbase32() {
    return Nixbase32.encode(digest);
  }

  /** The bare digest in padded standard base64. */
  public String base64() {
    return Base64.getEncoder().encodeToString(digest);
  }

  /** {@code algo:<base16>}. */
  public String toBase16String() {
    return algorithm.nixName() + ":" + base16();
  }

  /** SRI form {@code algo-<base64>}. */
  public String toSri() {
    return algorithm.nixName() + "-" + base64();
  }

  /** {@code algo:<nixbase32>}, the form narinfo files and fingerprints use. */
  @Override
  public String toString() {
    return algorithm.nixName() + ":" + nixbase32();
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof NixHash other && algorithm == other.algorithm && Arrays.equals(digest, other.digest);
  }

  @Override
  public int hashCode() {
    return algorithm.hashCode() * 31 + Arrays.hashCode(digest);
  }
}
