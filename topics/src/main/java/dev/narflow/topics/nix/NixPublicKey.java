package dev.narflow.topics.nix;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.bouncycastle.crypto.params.Ed25519PublicKeyParameters;
import org.bouncycastle.crypto.signers.Ed25519Signer;

/** A binary cache's public key, {@code <name>:<base64 of 32 bytes>} (e.g. {@code cache.nixos.org-1:…}). Immutable. */
public final class NixPublicKey {
  public static final int SIZE = 32;

  private final String name;
  private final byte[] key;
  private final Ed25519PublicKeyParameters params;

  private NixPublicKey(String name, byte[] key) {
    this.name = name;
    this.key = key;
    try {
      this.params = new Ed25519PublicKeyParameters(key, 0);
    } catch (IllegalArgumentException e) {
      throw new NixFormatException("public key '" + KeyText.format(name, key) + "' is not a valid ed25519 point", e);
    }
  }

  public static NixPublicKey of(String name, byte[] key) {
    KeyText.checkName(name);
    if (key.length != SIZE) throw new IllegalArgumentException("ed25519 public key must be 32 bytes, got " + key.length);
    return new NixPublicKey(name, key.clone());
  }

  /** Parses {@code <name>:<base64 of 32 bytes>}; surrounding whitespace (a file's newline) is ignored. */
  public static NixPublicKey parse(String text) {
    KeyText k = KeyText.parse(text.strip(), SIZE, "public key");
    return new NixPublicKey(k.name, k.bytes);
  }

  public String name() {
    return name;
  }

  public byte[] key() {
    return key.clone();
  }

  /**
   * True when {@code signature} is by this key (same name) and verifies over {@code fingerprint}.
   * A signature by another key name is not ours to judge and yields false.
   */
  public boolean verify(String fingerprint, NarSignature signature) {
    return signature.keyName().equals(name) && verify(fingerprint.getBytes(StandardCharsets.UTF_8), signature.signatureUnsafe());
  }

  /** Plain ed25519 verification of a 64-byte signature over {@code message}. */
  public boolean verify(byte[] message, byte[] signature) {
    if (signature.length != NarSignature.SIZE) return false;
    Ed25519Signer verifier = new Ed25519Signer();
    verifier.init(false, params);
    verifier.update(message, 0, message.length);
    return verifier.verifySignature(signature);
  }

  /** {@code <name>:<base64>}, the form Nix reads in {@code trusted-public-keys}. */
  @Override
  public String toString() {
    return KeyText.format(name, key);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof NixPublicKey other && name.equals(other.name) && Arrays.equals(key, other.key);
  }

  @Override
  public int hashCode() {
    return name.hashCode() * 31 + Arrays.hashCode(key);
  }
}
