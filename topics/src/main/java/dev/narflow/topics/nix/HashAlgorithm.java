package dev.narflow.topics.nix;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/** The hash algorithms Nix names in hashes: {@code md5}, {@code sha1}, {@code sha256}, {@code sha512}. */
public enum HashAlgorithm {
  MD5("md5", 16, "MD5"),
  SHA1("sha1", 20, "SHA-1"),
  SHA256("sha256", 32, "SHA-256"),
  SHA512("sha512", 64, "SHA-512");

  private final String nixName;
  private final int size;
  private final String jcaName;

  HashAlgorithm(String nixName, int size, String jcaName) {
    this.nixName = nixName;
    this.size = size;
    this.jcaName = jcaName;
  }

  /** The name Nix prints, e.g. {@code sha256}. */
  public String nixName() {
    return nixName;
  }

  /** Digest size in bytes. */
  public int size() {
    return size;
  }

  public int base16Length() {
    return size * 2;
  }

  public int nixbase32Length() {
    return Nixbase32.encodedLength(size);
  }

  /** Length of the padded base64 form, the only base64 length Nix accepts without SRI. */
  public int base64Length() {
    return (size + 2) / 3 * 4;
  }

  public MessageDigest newDigest() {
    try {
      return MessageDigest.getInstance(jcaName);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("JCA lacks " + jcaName, e); // every JRE ships all four
    }
  }

  /** The algorithm Nix calls {@code name}; names are case-sensitive in Nix. */
  public static HashAlgorithm ofNixName(String name) {
    for (HashAlgorithm a : values()) {
      if (a.nixName.equals(name)) return a;
    }
    throw new NixFormatException("unknown hash algorithm '" + name + "' (expected md5, sha1, sha256 or sha512)");
  }

  @Override
  public String toString() {
    return nixName;
  }
}
