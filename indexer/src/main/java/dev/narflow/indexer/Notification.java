package dev.narflow.indexer;

import java.util.Arrays;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.utils.Bytes;

/**
 * A message of the completion topic, keyed by the node it is addressed to: either
 * "{@code subject} waits on you" or "{@code subject}, which you wait on, is complete". Encoded
 * as one kind byte followed by the subject's id.
 */
record Notification(Kind kind, Bytes subject) {
  enum Kind {
    /** The addressee is a dependency of {@code subject}: answer when complete. */
    WAITS_ON_YOU('W'),
    /** {@code subject}, a dependency of the addressee, is complete. */
    COMPLETED('N');

    final byte tag;

    Kind(char tag) {
      this.tag = (byte) tag;
    }
  }

  static Notification waitsOnYou(Bytes waiter) {
    return new Notification(Kind.WAITS_ON_YOU, waiter);
  }

  static Notification completed(Bytes dependency) {
    return new Notification(Kind.COMPLETED, dependency);
  }

  static final Serde<Notification> SERDE = Serdes.serdeFrom(
      (topic, n) -> {
        byte[] s = n.subject.get();
        byte[] bytes = new byte[1 + s.length];
        bytes[0] = n.kind.tag;
        System.arraycopy(s, 0, bytes, 1, s.length);
        return bytes;
      },
      (topic, bytes) -> {
        Kind kind = bytes[0] == Kind.WAITS_ON_YOU.tag ? Kind.WAITS_ON_YOU : Kind.COMPLETED;
        return new Notification(kind, Bytes.wrap(Arrays.copyOfRange(bytes, 1, bytes.length)));
      });
}
