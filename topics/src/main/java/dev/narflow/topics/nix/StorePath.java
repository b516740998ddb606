package dev.narflow.topics.nix;

import java.util.Arrays;
import java.util.Objects;

/**
 * A Nix store path: the 20-byte digest of its hash part and its name, e.g.
 * {@code syd87l2rxw8cbsxmxl853h0r6pdwhwjr-curl-7.82.0-bin}. Independent of the store directory
 * (see {@link StoreDir}). Ordered like Nix orders store paths: by base name. Immutable.
 */
public final class StorePath implements Comparable<StorePath> {
  public static final int DIGEST_SIZE = 20;
  public static final int HASH_PART_LENGTH = 32;
  public static final int MAX_NAME_LENGTH = 211;

  private final byte[] digest;
  private final String hashPart;
  private final String name;

  private StorePath(byte[] digest, String hashPart, String name) {
    this.digest = digest;
    this.hashPart = hashPart;
    this.name = name;
  }

  /** A store path from its 20-byte digest and its name; the name is validated. */
  public static StorePath of(byte[] digest, String name) {
    if (digest.length != DIGEST_SIZE) {
      throw new IllegalArgumentException("store path digest must be 20 bytes, got " + digest.length);
    }
    String problem = nameProblem(name);
    if (problem != null) throw new NixFormatException("store path name '" + name + "' " + problem);
    byte[] copy = digest.clone();
    return new StorePath(copy, Nixbase32.encode(copy), name);
  }

  /** Parses {@code <32 nixbase32 chars>-<name>}. */
  public static StorePath parseBaseName(String baseName) {
    Objects.requireNonNull(baseName, "baseName");
    if (baseName.length() < HASH_PART_LENGTH + 2) {
      throw new NixFormatException("store path base name '" + baseName
          + "' is too short (32-character hash, '-', then a name)");
    }
    for (int i = 0; i < HASH_PART_LENGTH; i++) {
      char c = baseName.charAt(i);
      if (c == '-') {
        throw new NixFormatException("store path '" + baseName + "' has a hash part of " + i
            + " characters, expected 32");
      }
      if (!Nixbase32.isDigit(c)) {
        throw new NixFormatException("store path '" + baseName + "' has illegal character '"
            + Nixbase32.printable(c) + "' at offset " + i + " of its hash part");
      }
    }
    if (baseName.charAt(HASH_PART_LENGTH) != '-') {
      throw new NixFormatException("store path '" + baseName + "' lacks the '-' after its 32-character hash part");
    }
    String name = baseName.substring(HASH_PART_LENGTH + 1);
    String problem = nameProblem(name);
    if (problem != null) throw new NixFormatException("store path '" + baseName + "': name " + problem);
    String hashPart = baseName.substring(0, HASH_PART_LENGTH);
    return new StorePath(Nixbase32.decode(hashPart, DIGEST_SIZE), hashPart, name);
  }

  /** Parses an absolute path in the default store directory {@code /nix/store}. */
  public static StorePath parseAbsolute(String absolute) {
    return StoreDir.DEFAULT.parsePath(absolute);
  }

  /** Parses either an absolute path in {@code /nix/store} or a base name. */
  public static StorePath parse(String text) {
    return text.startsWith("/") ? parseAbsolute(text) : parseBaseName(text);
  }

  /** Null when {@code name} is a valid store path name, else what is wrong with it. */
  static String nameProblem(String name) {
    if (name.isEmpty()) return "is empty";
    if (name.length() > MAX_NAME_LENGTH) {
      return "is " + name.length() + " characters long, more than " + MAX_NAME_LENGTH;
    }
    if (name.equals(".") || name.equals("..")) return "must not be '" + name + "'";
    if (name.startsWith(".-") || name.startsWith("..-")) return "must not start with '.-' or '..-'";
    for (int i = 0; i < name.length(); i++) {
      char c = name.charAt(i);
      boolean ok = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
          || c == '+' || c == '-' || c == '.' || c == '_' || c == '?' || c == '=';
      if (!ok) return "has illegal character '" + Nixbase32.printable(c) + "' at offset " + i;
    }
    return null;
  }

  /** The 20 bytes the hash part encodes; the Kafka key of everything about this path. */
  public byte[] digest() {
    return digest.clone();
  }

  /** The 32-character nixbase32 hash part, which names the path's narinfo. */
  public String hashPart() {
    return hashPart;
  }

  public String name() {
    return name;
  }

  /** {@code <hash part>-<name>}. */
  public String baseName() {
    return hashPart + "-" + name;
  }

  /** The absolute path in {@code /nix/store}. */
  public String absolute() {
    return StoreDir.DEFAULT.print(this);
  }

  public String absolute(StoreDir storeDir) {
    return storeDir.print(this);
  }

  @Override
  public int compareTo(StorePath o) {
    return baseName().compareTo(o.baseName());
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof StorePath other && Arrays.equals(digest, other.digest) && name.equals(other.name);
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(digest) * 31 + name.hashCode();
  }

  /** The base name. */
  @Override
  public String toString() {
    return baseName();
  }
}
