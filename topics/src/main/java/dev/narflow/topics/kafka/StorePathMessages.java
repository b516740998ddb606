package dev.narflow.topics.kafka;

import com.google.protobuf.ByteString;
import dev.narflow.topics.nix.StorePath;

/**
 * A store path as the {@code store.v1.StorePath} message that requests and failures carry (its
 * 20-byte digest and its name), and back.
 */
public final class StorePathMessages {
  private StorePathMessages() {}

  public static dev.narflow.topics.store.v1.StorePath toMessage(StorePath path) {
    return dev.narflow.topics.store.v1.StorePath.newBuilder()
        .setName(path.name()).setDigest(ByteString.copyFrom(path.digest())).build();
  }

  /**
   * The store path a message names.
   *
   * @throws IllegalArgumentException if its digest is not 20 bytes or its name is not a valid
   *     store path name (a record written by something other than narflow, or damaged)
   */
  public static StorePath fromMessage(dev.narflow.topics.store.v1.StorePath message) {
    return StorePath.of(message.getDigest().toByteArray(), message.getName());
  }
}
