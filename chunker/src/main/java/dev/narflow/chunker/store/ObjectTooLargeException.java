package dev.narflow.chunker.store;

import java.io.IOException;

/** A stored object is longer than the reader allowed; it was not read. */
public final class ObjectTooLargeException extends IOException {
  private final String key;
  private final long size;
  private final long limit;

  /** {@code size} is -1 when the backend only learned that the object exceeds the limit. */
  public ObjectTooLargeException(String location, String key, long size, long limit) {
    super(
        "object " + key + " in " + location + " is "
            + (size >= 0 ? size + " bytes" : "longer than that")
            + ", more than the limit of " + limit + " bytes");
    this.key = key;
    this.size = size;
    this.limit = limit;
  }

  public String key() {
    return key;
  }

  public long size() {
    return size;
  }

  public long limit() {
    return limit;
  }
}
