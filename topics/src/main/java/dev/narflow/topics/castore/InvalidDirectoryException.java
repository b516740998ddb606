package dev.narflow.topics.castore;

import com.google.protobuf.ByteString;

/**
 * A Directory (or one of its entries) breaks a castore rule. The message names the entry and
 * the rule, e.g. {@code directory entry "a/b" (symlink): name contains '/'}.
 */
public final class InvalidDirectoryException extends IllegalArgumentException {
  private final String entry;

  InvalidDirectoryException(String entry, String rule) {
    super(entry == null ? "invalid directory: " + rule : "directory entry " + entry + ": " + rule);
    this.entry = entry;
  }

  static InvalidDirectoryException forEntry(ByteString name, String kind, String rule) {
    return new InvalidDirectoryException(Names.printable(name) + " (" + kind + ")", rule);
  }

  static InvalidDirectoryException forDirectory(String rule) {
    return new InvalidDirectoryException(null, rule);
  }

  /** The offending entry as printed in the message (quoted name and kind), or null if none. */
  public String entry() {
    return entry;
  }
}
