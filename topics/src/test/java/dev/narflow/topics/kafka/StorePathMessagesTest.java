package dev.narflow.topics.kafka;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.google.protobuf.ByteString;
import dev.narflow.topics.nix.StorePath;
import org.junit.jupiter.api.Test;

class StorePathMessagesTest {
  private static final StorePath PATH =
      StorePath.parse("/nix/store/0c7dnq6dn2qn3hzmahdwp9k2dw8fyyvq-hello-2.12.1");

  @Test
  void aPathSurvivesTheRoundTrip() {
    dev.narflow.topics.store.v1.StorePath message = StorePathMessages.toMessage(PATH);
    assertEquals("hello-2.12.1", message.getName());
    assertEquals(ByteString.copyFrom(PATH.digest()), message.getDigest());
    assertEquals(PATH, StorePathMessages.fromMessage(message));
  }

  @Test
  void aMessageNamingNoValidPathIsRefused() {
    var shortDigest = StorePathMessages.toMessage(PATH).toBuilder().setDigest(ByteString.copyFrom(new byte[19])).build();
    assertThrows(IllegalArgumentException.class, () -> StorePathMessages.fromMessage(shortDigest));
    var badName = StorePathMessages.toMessage(PATH).toBuilder().setName("a/b").build();
    assertThrows(IllegalArgumentException.class, () -> StorePathMessages.fromMessage(badName));
    var bare = dev.narflow.topics.store.v1.StorePath.newBuilder().setDigest(ByteString.copyFrom(PATH.digest())).build();
    assertThrows(IllegalArgumentException.class, () -> StorePathMessages.fromMessage(bare));
  }
}
