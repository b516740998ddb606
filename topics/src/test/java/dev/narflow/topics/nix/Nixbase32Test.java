package dev.narflow.topics.nix;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import java.util.Random;
import org.junit.jupiter.api.Test;

class Nixbase32Test {
  private static final HexFormat HEX = HexFormat.of();

  // VECTORS.md "Nix base32 and store paths".
  @Test
  void vectors() {
    check("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
        "1b8m03r63zqhnjf7l5wnldhh7c134ap5vpj0850ymkq1iyzicy5s");
    check("800d59cfcd3c05e900cb4e214be48f6b886a08df", "vw46m23bizj4n8afrc0fj19wrp7mj3c0");
    check("13a8cf7ca57f68a9f1752acee36a72a55187d3a954443c112818926f26109d91",
        "14cx20k6z4hq508kqi2lm79qfld5f9mf7kiafpqsjs3zlmycza0k");
  }

  private static void check(String hex, String nix32) {
    assertEquals(nix32, Nixbase32.encode(HEX.parseHex(hex)));
    assertArrayEquals(HEX.parseHex(hex), Nixbase32.decode(nix32));
    assertArrayEquals(HEX.parseHex(hex), Nixbase32.decode(nix32, hex.length() / 2));
  }

  @Test
  void sha256OfAbcIsTheFirstVector() {
    // The first vector is sha256("abc"): ties the alphabet and byte order to a computed digest.
    NixHash h = NixHash.compute(HashAlgorithm.SHA256, "abc".getBytes(StandardCharsets.US_ASCII));
    assertEquals("sha256:1b8m03r63zqhnjf7l5wnldhh7c134ap5vpj0850ymkq1iyzicy5s", h.toString());
  }

  @Test
  void smallCases() {
    assertEquals("", Nixbase32.encode(new byte[0]));
    assertEquals(0, Nixbase32.decode("").length);
    assertEquals("00", Nixbase32.encode(new byte[] {0}));
    assertEquals("0z", Nixbase32.encode(new byte[] {0x1f}));
    assertEquals("7z", Nixbase32.encode(new byte[] {(byte) 0xff}));
    assertArrayEquals(new byte[] {(byte) 0xff}, Nixbase32.decode("7z"));
    assertEquals(32, Nixbase32.encodedLength(20));
    assertEquals(52, Nixbase32.encodedLength(32));
    assertEquals(103, Nixbase32.encodedLength(64));
    assertEquals(26, Nixbase32.encodedLength(16));
  }

  @Test
  void rejectsBadCharacters() {
    for (char c : new char[] {'e', 'o', 'u', 't', 'A', '-', ' ', '\u00e9'}) {
      String bad = "1b8m03r63zqhnjf7l5wnldhh7c134ap5vpj0850ymkq1iyzic" + c + "5s";
      NixFormatException e = assertThrows(NixFormatException.class, () -> Nixbase32.decode(bad));
      assertTrue(e.getMessage().contains("invalid character") && e.getMessage().contains("offset 49"), e.getMessage());
    }
  }

  @Test
  void rejectsWrongLengths() {
    // 1, 3, 6 characters encode no whole number of bytes.
    for (String bad : new String[] {"0", "000", "000000"}) {
      NixFormatException e = assertThrows(NixFormatException.class, () -> Nixbase32.decode(bad));
      assertTrue(e.getMessage().contains("length"), e.getMessage());
    }
    NixFormatException e = assertThrows(NixFormatException.class,
        () -> Nixbase32.decode("vw46m23bizj4n8afrc0fj19wrp7mj3c", 20));
    assertTrue(e.getMessage().contains("expected 32"), e.getMessage());
  }

  @Test
  void rejectsNonZeroExcessBits() {
    // 52 characters carry 260 bits for 256: the first character may only use its low 3 bits... of 5,
    // i.e. digits 0..7. '8' sets a bit beyond the last byte.
    String valid = "1b8m03r63zqhnjf7l5wnldhh7c134ap5vpj0850ymkq1iyzicy5s";
    Nixbase32.decode(valid);
    String excess = "8" + valid.substring(1);
    NixFormatException e = assertThrows(NixFormatException.class, () -> Nixbase32.decode(excess));
    assertTrue(e.getMessage().contains("non-zero bits"), e.getMessage());
    // One byte in two characters: 10 bits for 8, so the first may be 0..7 only.
    assertThrows(NixFormatException.class, () -> Nixbase32.decode("8z"));
  }

  @Test
  void propertyEncodeDecodeRoundTrip() {
    long seed = new Random().nextLong();
    Random random = new Random(seed);
    try {
      for (int i = 0; i < 5000; i++) {
        byte[] data = new byte[random.nextInt(80)];
        random.nextBytes(data);
        String text = Nixbase32.encode(data);
        assertEquals(Nixbase32.encodedLength(data.length), text.length());
        assertArrayEquals(data, Nixbase32.decode(text));
        assertArrayEquals(data, Nixbase32.decode(text, data.length));
      }
    } catch (AssertionError | RuntimeException e) {
      throw new AssertionError("failed with seed " + seed, e);
    }
  }
}
