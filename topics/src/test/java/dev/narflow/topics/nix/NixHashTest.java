package dev.narflow.topics.nix;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Locale;
import org.junit.jupiter.api.Test;

class NixHashTest {
  private static final byte[] ABC = "abc".getBytes(StandardCharsets.US_ASCII);
  private static final String SHA256_HEX = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
  private static final String SHA256_NIX32 = "1b8m03r63zqhnjf7l5wnldhh7c134ap5vpj0850ymkq1iyzicy5s";
  private static final String SHA256_B64 = "ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0=";

  @Test
  void parsesEveryPrefixedForm() {
    NixHash expected = NixHash.compute(HashAlgorithm.SHA256, ABC);
    assertEquals(SHA256_HEX, expected.base16());
    assertEquals(SHA256_B64, expected.base64());
    for (String form : new String[] {
        "sha256:" + SHA256_HEX,
        "sha256:" + SHA256_HEX.toUpperCase(Locale.ROOT), // Nix accepts upper-case hex
        "sha256:" + SHA256_NIX32,
        "sha256:" + SHA256_B64,
        "sha256-" + SHA256_B64,
        "sha256-" + SHA256_B64.replace("=", ""), // SRI without padding
    }) {
      assertEquals(expected, NixHash.parse(form), form);
      assertEquals(expected, NixHash.parse(form, HashAlgorithm.SHA256), form);
    }
  }

  @Test
  void parsesBareWhenTheAlgorithmIsKnown() {
    NixHash expected = NixHash.compute(HashAlgorithm.SHA256, ABC);
    for (String bare : new String[] {SHA256_HEX, SHA256_NIX32, SHA256_B64}) {
      assertEquals(expected, NixHash.parse(bare, HashAlgorithm.SHA256));
      assertEquals(expected, NixHash.parseBare(bare, HashAlgorithm.SHA256));
    }
    NixFormatException e = assertThrows(NixFormatException.class, () -> NixHash.parse(SHA256_NIX32));
    assertTrue(e.getMessage().contains("does not name its algorithm"), e.getMessage());
  }

  @Test
  void rendersAllForms() {
    NixHash h = NixHash.compute(HashAlgorithm.SHA256, ABC);
    assertEquals("sha256:" + SHA256_NIX32, h.toString());
    assertEquals("sha256:" + SHA256_HEX, h.toBase16String());
    assertEquals("sha256-" + SHA256_B64, h.toSri());
    assertEquals(SHA256_NIX32, h.nixbase32());
  }

  @Test
  void everyAlgorithmRoundTripsEveryForm() {
    for (HashAlgorithm a : HashAlgorithm.values()) {
      NixHash h = NixHash.compute(a, ABC);
      assertEquals(a.size(), h.digest().length);
      assertEquals(a.base16Length(), h.base16().length());
      assertEquals(a.nixbase32Length(), h.nixbase32().length());
      assertEquals(a.base64Length(), h.base64().length());
      for (String form : new String[] {h.toString(), h.toBase16String(), h.toSri(), a + ":" + h.base64()}) {
        assertEquals(h, NixHash.parse(form), form);
      }
      for (String bare : new String[] {h.base16(), h.nixbase32(), h.base64()}) {
        assertEquals(h, NixHash.parseBare(bare, a), bare);
      }
    }
    // Known digests of "abc", to tie the algorithms to their names.
    assertEquals("900150983cd24fb0d6963f7d28e17f72", NixHash.compute(HashAlgorithm.MD5, ABC).base16());
    assertEquals("a9993e364706816aba3e25717850c26c9cd0d89d", NixHash.compute(HashAlgorithm.SHA1, ABC).base16());
    assertEquals("ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a"
        + "2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f",
        NixHash.compute(HashAlgorithm.SHA512, ABC).base16());
    // md5 base16 and sha1 nixbase32 are both 32 characters: the algorithm decides.
    NixHash md5 = NixHash.compute(HashAlgorithm.MD5, ABC);
    assertEquals(md5, NixHash.parse("md5:900150983cd24fb0d6963f7d28e17f72"));
    assertEquals(HashAlgorithm.SHA1, NixHash.parse("sha1:vw46m23bizj4n8afrc0fj19wrp7mj3c0").algorithm());
  }

  @Test
  void errors() {
    String[][] cases = {
        {"sha256:" + SHA256_HEX.substring(1), "wrong length 63"},
        {"sha256:" + SHA256_HEX + "0", "wrong length 65"},
        {"sha256:", "wrong length 0"},
        {"sha256:" + SHA256_HEX.substring(1) + "g", "invalid base16"},
        {"sha256:" + SHA256_NIX32.substring(1) + "e", "invalid nixbase32"},
        {"sha256:8" + SHA256_NIX32.substring(1), "non-zero bits"},
        {"sha256:" + SHA256_B64.replace('u', '!'), "invalid base64"},
        {"sha256-" + Base64.getEncoder().encodeToString(new byte[31]), "decodes to 31 bytes"},
        {"sha256-" + SHA256_HEX, "invalid SRI"}, // SRI is base64 only, even at base16 length
        {"sha257:" + SHA256_HEX, "unknown hash algorithm 'sha257'"},
        {"SHA256:" + SHA256_HEX, "unknown hash algorithm 'SHA256'"},
        {"md5:" + SHA256_HEX, "wrong length 64 for md5"},
    };
    for (String[] c : cases) {
      NixFormatException e = assertThrows(NixFormatException.class, () -> NixHash.parse(c[0]), c[0]);
      assertTrue(e.getMessage().contains(c[1]), c[0] + " -> " + e.getMessage());
      assertTrue(e.getMessage().contains(c[0]), "names the input: " + e.getMessage());
    }
    NixFormatException e = assertThrows(NixFormatException.class,
        () -> NixHash.parse("sha1:vw46m23bizj4n8afrc0fj19wrp7mj3c0", HashAlgorithm.SHA256));
    assertTrue(e.getMessage().contains("should be sha256 but is sha1"), e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> NixHash.of(HashAlgorithm.SHA256, new byte[20]));
  }
}
