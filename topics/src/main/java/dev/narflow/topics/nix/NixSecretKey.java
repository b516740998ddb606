package dev.narflow.topics.nix;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.Arrays;
import org.bouncycastle.crypto.params.Ed25519PrivateKeyParameters;
import org.bouncycastle.crypto.signers.Ed25519Signer;

/**
 * A binary cache signing key in Nix's (libsodium's) form {@code <name>:<base64 of 64 bytes>}: the
 * 32-byte ed25519 seed followed by the 32-byte public key. Parsing checks that the public half
 * is the one the seed derives, since libsodium would silently sign with a wrong one.
 */
public final class NixSecretKey {
  public static final int SIZE = 64;
  private static final int SEED_SIZE = 32;

  private final String name;
  private final Ed25519PrivateKeyParameters params;
  private final NixPublicKey publicKey;

  private NixSecretKey(String name, byte[] seed) {
    this.name = name;
    this.params = new Ed25519PrivateKeyParameters(seed, 0);
    this.publicKey = NixPublicKey.of(name, params.generatePublicKey().getEncoded());
  }

  /** A fresh key named {@code name} (as {@code nix-store --generate-binary-cache-key} makes). */
  public static NixSecretKey generate(String name) {
    return generate(name, new SecureRandom());
  }

  public static NixSecretKey generate(String name, SecureRandom random) {
    KeyText.checkName(name);
    byte[] seed = new byte[SEED_SIZE];
    random.nextBytes(seed);
    return new NixSecretKey(name, seed);
  }

  /** Parses {@code <name>:<base64 of seed ‖ public key>}; surrounding whitespace is ignored. */
  public static NixSecretKey parse(String text) {
    KeyText k = KeyText.parse(text.strip(), SIZE, "secret key");
    NixSecretKey key = new NixSecretKey(k.name, Arrays.copyOf(k.bytes, SEED_SIZE));
    if (!Arrays.equals(key.publicKey.key(), Arrays.copyOfRange(k.bytes, SEED_SIZE, SIZE))) {
      throw new NixFormatException("secret key '" + k.name
          + "' is corrupt: its public half does not match the one its seed derives");
    }
    return key;
  }

  /** Reads a key file as {@code nix-store --generate-binary-cache-key} writes it. */
  public static NixSecretKey read(Path file) throws IOException {
    try {
      return parse(Files.readString(file, StandardCharsets.UTF_8));
    } catch (NixFormatException e) {
      throw new NixFormatException(file + ": " + e.getMessage(), e);
    }
  }

  public String name() {
    return name;
  }

  public NixPublicKey publicKey() {
    return publicKey;
  }

  /** Signs {@code fingerprint} (see {@link NarInfo#fingerprint()}). ed25519 is deterministic. */
  public NarSignature sign(String fingerprint) {
    byte[] message = fingerprint.getBytes(StandardCharsets.UTF_8);
    Ed25519Signer signer = new Ed25519Signer();
    signer.init(true, params);
    signer.update(message, 0, message.length);
    return NarSignature.of(name, signer.generateSignature());
  }

  /** Signs the fingerprint of {@code info} in the default store directory. */
  public NarSignature sign(NarInfo info) {
    return sign(info.fingerprint());
  }

  /** The key file text {@code <name>:<base64 of seed ‖ public key>}. Handle with care. */
  public String toKeyText() {
    byte[] both = new byte[SIZE];
    System.arraycopy(params.getEncoded(), 0, both, 0, SEED_SIZE);
    System.arraycopy(publicKey.key(), 0, both, SEED_SIZE, NixPublicKey.SIZE);
    return KeyText.format(name, both);
  }

  /** Deliberately omits the key material, so logging a key cannot leak it. */
  @Override
  public String toString() {
    return "NixSecretKey[" + name + "]";
  }
}
