package dev.narflow.topics.castore;

import com.google.protobuf.ByteString;
import java.util.Arrays;
import java.util.HexFormat;

/** A BLAKE3-256 digest: the address of a blob, a chunk or a Directory. Immutable. */
public final class B3Digest implements Comparable<B3Digest> {
  public static final int SIZE = 32;
  private static final HexFormat HEX = HexFormat.of();

  private final byte[] bytes;

  private B3Digest(byte[] bytes) {
    this.bytes = bytes;
  }

  /** Copies {@code bytes}, which must be exactly 32 long. */
  public static B3Digest of(byte[] bytes) {
    if (bytes.length != SIZE) {
      throw new IllegalArgumentException("BLAKE3 digest must be 32 bytes, got " + bytes.length);
    }
    return new B3Digest(bytes.clone());
  }

  public static B3Digest of(ByteString bytes) {
    if (bytes.size() != SIZE) {
      throw new IllegalArgumentException("BLAKE3 digest must be 32 bytes, got " + bytes.size());
    }
    return new B3Digest(bytes.toByteArray());
  }

  public static B3Digest fromHex(String hex) {
    if (hex.length() != SIZE * 2) {
      throw new IllegalArgumentException("BLAKE3 digest must be 64 hex characters, got " + hex.length());
    }
    return new B3Digest(HEX.parseHex(hex));
  }

  /** Takes ownership of {@code bytes} without copying; for hashers that just produced them. */
  public static B3Digest wrap(byte[] bytes) {
    if (bytes.length != SIZE) {
      throw new IllegalArgumentException("BLAKE3 digest must be 32 bytes, got " + bytes.length);
    }
    return new B3Digest(bytes);
  }

  public byte[] toByteArray() {
    return bytes.clone();
  }

  public ByteString toByteString() {
    return ByteString.copyFrom(bytes);
  }

  public String hex() {
    return HEX.formatHex(bytes);
  }

  /** Byte {@code i} of the digest, for key layouts that fan out on a prefix. */
  public int byteAt(int i) {
    return bytes[i] & 0xff;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof B3Digest other && Arrays.equals(bytes, other.bytes);
  }

  @Override
  public int hashCode() {
    // The digest is uniformly distributed already.
    return (bytes[0] & 0xff) << 24 | (bytes[1] & 0xff) << 16 | (bytes[2] & 0xff) << 8 | (bytes[3] & 0xff);
  }

  @Override
  public int compareTo(B3Digest o) {
    return Arrays.compareUnsigned(bytes, o.bytes);
  }

  @Override
  public String toString() {
    return "b3:" + hex();
  }
}
