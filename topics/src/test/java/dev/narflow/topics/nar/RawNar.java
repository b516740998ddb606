package dev.narflow.topics.nar;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/** Builds NAR bytes token by token, valid or not, for tests. */
final class RawNar {
  private final ByteArrayOutputStream out = new ByteArrayOutputStream();

  static RawNar start() {
    return new RawNar().str("nix-archive-1");
  }

  /** Strings, each length-prefixed and zero-padded. */
  RawNar str(String... strings) {
    for (String s : strings) bytes(s.getBytes(StandardCharsets.UTF_8));
    return this;
  }

  /** One string of raw bytes. */
  RawNar bytes(byte[] b) {
    word(b.length);
    out.writeBytes(b);
    out.writeBytes(new byte[(int) (Nar.padded(b.length) - b.length)]);
    return this;
  }

  /** A bare u64 little-endian. */
  RawNar word(long v) {
    byte[] b = new byte[8];
    Nar.putLong(b, 0, v);
    out.writeBytes(b);
    return this;
  }

  /** Bytes as they are, no length or padding. */
  RawNar raw(byte... b) {
    out.writeBytes(b);
    return this;
  }

  RawNar file(String contents) {
    return str("(", "type", "regular", "contents", contents, ")");
  }

  RawNar symlink(String target) {
    return str("(", "type", "symlink", "target", target, ")");
  }

  RawNar entry(String name) {
    return str("entry", "(", "name", name, "node");
  }

  RawNar entryEnd() {
    return str(")");
  }

  RawNar directory() {
    return str("(", "type", "directory");
  }

  RawNar directoryEnd() {
    return str(")");
  }

  int size() {
    return out.size();
  }

  byte[] build() {
    return out.toByteArray();
  }
}
