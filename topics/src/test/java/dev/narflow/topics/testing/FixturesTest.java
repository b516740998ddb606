package dev.narflow.topics.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class FixturesTest {
  @Test
  void findsTheSharedVectors() {
    assertEquals(128, Fixtures.bytes("nar/valid/helloworld.nar").length);
  }
}
