package dev.narflow.topics.kafka;

import dev.narflow.topics.nix.Nixbase32;
import dev.narflow.topics.nix.StorePath;
import java.util.Arrays;

/**
 * The key of narflow.requests, narflow.work and narflow.failures: the raw 20-byte digest of a
 * store path (the part of {@code /nix/store/<digest>-<name>} before the dash, nixbase32-decoded).
 * Keying by it sends every request for one path to one partition, in order. Immutable.
 */
public final class StorePathKey implements Comparable<StorePathKey> {
  /** Length of a store path digest in bytes. */
  public static final int SIZE = 20;

  private final byte[] digest;

  private StorePathKey(byte[] digest) {
    this.digest = digest;
  }

  /** Copies {@code digest}, which must be exactly 20 bytes. */
  public static StorePathKey of(byte[] digest) {
    return new StorePathKey(checkLength(digest).clone());
  }

  /** The key of a store path. */
  public static StorePathKey of(StorePath path) {
    return new StorePathKey(path.digest());
  }

  /** Parses a record key; the same as {@link #of}, named for symmetry with {@link #toBytes}. */
  public static StorePathKey parse(byte[] key) {
    return of(key);
  }

  static byte[] checkLength(byte[] digest) {
    if (digest == null) throw new IllegalArgumentException("store path digest is null");
    if (digest.length != SIZE) {
      throw new IllegalArgumentException("store path digest must be " + SIZE + " bytes, got " + digest.length);
    }
    return digest;
  }

  /** The record key bytes (a copy of the digest). */
  public byte[] toBytes() {
    return digest.clone();
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof StorePathKey other && Arrays.equals(digest, other.digest);
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(digest);
  }

  @Override
  public int compareTo(StorePathKey o) {
    return Arrays.compareUnsigned(digest, o.digest);
  }

  /** The store path's hash part, as in {@code /nix/store/<hash part>-<name>}. */
  public String hashPart() {
    return Nixbase32.encode(digest);
  }

  /** The hash part, which is how operators recognize a store path. */
  @Override
  public String toString() {
    return hashPart();
  }
}
