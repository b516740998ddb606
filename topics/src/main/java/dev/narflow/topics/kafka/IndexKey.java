package dev.narflow.topics.kafka;

import dev.narflow.topics.castore.B3Digest;
import dev.narflow.topics.nix.StorePath;
import java.util.Arrays;
import java.util.HexFormat;

/**
 * The key of a narflow.index record: one type byte, then the digest that addresses the record.
 * <ul>
 *   <li>{@code 'D'} + 32-byte BLAKE3 digest of a Directory,
 *   <li>{@code 'B'} + 32-byte BLAKE3 digest of a blob (its chunk list),
 *   <li>{@code 'P'} + 20-byte store path digest (its PathInfo).
 * </ul>
 * Immutable; equal keys have equal bytes.
 */
public final class IndexKey implements Comparable<IndexKey> {
  /** What an index record holds, with the type byte and digest length of its key. */
  public enum Type {
    DIRECTORY('D', B3Digest.SIZE),
    BLOB('B', B3Digest.SIZE),
    PATH_INFO('P', StorePathKey.SIZE);

    private final byte tag;
    private final int digestLength;

    Type(char tag, int digestLength) {
      this.tag = (byte) tag;
      this.digestLength = digestLength;
    }

    /** The key's first byte. */
    public byte tag() {
      return tag;
    }

    /** How many digest bytes follow the type byte. */
    public int digestLength() {
      return digestLength;
    }

    static Type ofTag(byte tag) {
      for (Type t : values()) {
        if (t.tag == tag) return t;
      }
      return null;
    }
  }

  private final byte[] bytes;

  private IndexKey(byte[] bytes) {
    this.bytes = bytes;
  }

  public static IndexKey directory(B3Digest digest) {
    return of(Type.DIRECTORY, digest.toByteArray());
  }

  public static IndexKey blob(B3Digest digest) {
    return of(Type.BLOB, digest.toByteArray());
  }

  public static IndexKey pathInfo(StorePath storePath) {
    return pathInfo(StorePathKey.of(storePath));
  }

  public static IndexKey pathInfo(StorePathKey storePath) {
    return of(Type.PATH_INFO, storePath.toBytes());
  }

  /** The key of a PathInfo, from the raw 20-byte store path digest. */
  public static IndexKey pathInfo(byte[] storePathDigest) {
    return of(Type.PATH_INFO, storePathDigest);
  }

  private static IndexKey of(Type type, byte[] digest) {
    if (digest.length != type.digestLength) {
      throw new IllegalArgumentException(
          type + " key digest must be " + type.digestLength + " bytes, got " + digest.length);
    }
    byte[] bytes = new byte[1 + digest.length];
    bytes[0] = type.tag;
    System.arraycopy(digest, 0, bytes, 1, digest.length);
    return new IndexKey(bytes);
  }

  /**
   * Parses record key bytes.
   *
   * @throws IllegalArgumentException if the type byte is unknown or the length is wrong for it
   */
  public static IndexKey parse(byte[] key) {
    if (key == null || key.length == 0) throw new IllegalArgumentException("index key is empty");
    Type type = Type.ofTag(key[0]);
    if (type == null) {
      throw new IllegalArgumentException(String.format(
          "index key has unknown type byte 0x%02x (expected 'D', 'B' or 'P')", key[0] & 0xff));
    }
    if (key.length != 1 + type.digestLength) {
      throw new IllegalArgumentException("index key of type '" + (char) type.tag + "' must be "
          + (1 + type.digestLength) + " bytes, got " + key.length);
    }
    return new IndexKey(key.clone());
  }

  public Type type() {
    return Type.ofTag(bytes[0]);
  }

  /** The digest bytes after the type byte (a copy). */
  public byte[] digest() {
    return Arrays.copyOfRange(bytes, 1, bytes.length);
  }

  /** The BLAKE3 digest of a {@code D} or {@code B} key. */
  public B3Digest b3Digest() {
    if (type() == Type.PATH_INFO) throw new IllegalStateException("a PathInfo key holds no BLAKE3 digest: " + this);
    return B3Digest.wrap(digest());
  }

  /** The store path digest of a {@code P} key. */
  public StorePathKey storePath() {
    if (type() != Type.PATH_INFO) throw new IllegalStateException("not a PathInfo key: " + this);
    return StorePathKey.of(digest());
  }

  /** The record key bytes (a copy). */
  public byte[] toBytes() {
    return bytes.clone();
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof IndexKey other && Arrays.equals(bytes, other.bytes);
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(bytes);
  }

  /** Orders by the key bytes, as a sorted store of the index would. */
  @Override
  public int compareTo(IndexKey o) {
    return Arrays.compareUnsigned(bytes, o.bytes);
  }

  /** {@code D:<hex>}, {@code B:<hex>} or {@code P:<hex>}. */
  @Override
  public String toString() {
    return (char) bytes[0] + ":" + HexFormat.of().formatHex(bytes, 1, bytes.length);
  }
}
