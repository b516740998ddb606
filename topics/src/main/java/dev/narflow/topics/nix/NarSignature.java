package dev.narflow.topics.nix;

import java.util.Arrays;

/** One narinfo {@code Sig:} value: the signing key's name and a 64-byte ed25519 signature. Immutable. */
public final class NarSignature {
  public static final int SIZE = 64;

  private final String keyName;
  private final byte[] signature;

  private NarSignature(String keyName, byte[] signature) {
    this.keyName = keyName;
    this.signature = signature;
  }

  public static NarSignature of(String keyName, byte[] signature) {
    KeyText.checkName(keyName);
    if (signature.length != SIZE) {
      throw new IllegalArgumentException("ed25519 signature must be 64 bytes, got " + signature.length);
    }
    return new NarSignature(keyName, signature.clone());
  }

  /** Parses {@code <key name>:<base64 of 64 bytes>}. */
  public static NarSignature parse(String text) {
    KeyText k = KeyText.parse(text, SIZE, "signature");
    return new NarSignature(k.name, k.bytes);
  }

  public String keyName() {
    return keyName;
  }

  public byte[] signature() {
    return signature.clone();
  }

  byte[] signatureUnsafe() {
    return signature;
  }

  /** {@code <key name>:<base64>}, as on a {@code Sig:} line. */
  @Override
  public String toString() {
    return KeyText.format(keyName, signature);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof NarSignature other && keyName.equals(other.keyName)
        && Arrays.equals(signature, other.signature);
  }

  @Override
  public int hashCode() {
    return keyName.hashCode() * 31 + Arrays.hashCode(signature);
  }
}
