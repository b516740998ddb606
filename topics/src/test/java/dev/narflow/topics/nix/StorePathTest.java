package dev.narflow.topics.nix;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class StorePathTest {
  private static final String HASH = "syd87l2rxw8cbsxmxl853h0r6pdwhwjr";

  @Test
  void parsesAbsoluteAndBaseName() {
    StorePath p = StorePath.parseAbsolute("/nix/store/" + HASH + "-curl-7.82.0-bin");
    assertEquals(HASH, p.hashPart());
    assertEquals("curl-7.82.0-bin", p.name());
    assertEquals(HASH + "-curl-7.82.0-bin", p.baseName());
    assertEquals("/nix/store/" + HASH + "-curl-7.82.0-bin", p.absolute());
    assertArrayEquals(Nixbase32.decode(HASH), p.digest());
    assertEquals(20, p.digest().length);
    assertEquals(p, StorePath.parseBaseName(HASH + "-curl-7.82.0-bin"));
    assertEquals(p, StorePath.parse(p.absolute()));
    assertEquals(p, StorePath.parse(p.baseName()));
    assertEquals(p, StorePath.of(p.digest(), "curl-7.82.0-bin"));
    assertEquals(p.hashCode(), StorePath.of(p.digest(), "curl-7.82.0-bin").hashCode());
    assertNotEquals(p, StorePath.of(p.digest(), "curl-7.82.0"));
  }

  @Test
  void digestIsACopy() {
    StorePath p = StorePath.parseBaseName(HASH + "-x");
    p.digest()[0] ^= 1;
    assertArrayEquals(Nixbase32.decode(HASH), p.digest());
  }

  @Test
  void configurableStoreDir() {
    StoreDir dir = StoreDir.of("/tmp/store");
    StorePath p = dir.parsePath("/tmp/store/" + HASH + "-hello");
    assertEquals("/tmp/store/" + HASH + "-hello", p.absolute(dir));
    assertEquals("/nix/store/" + HASH + "-hello", p.absolute());
    NixFormatException e = assertThrows(NixFormatException.class,
        () -> StorePath.parseAbsolute("/tmp/store/" + HASH + "-hello"));
    assertTrue(e.getMessage().contains("not in the Nix store /nix/store"), e.getMessage());
    assertThrows(NixFormatException.class, () -> StoreDir.of("relative/store"));
    assertThrows(NixFormatException.class, () -> StoreDir.of("/nix/store/"));
  }

  @Test
  void acceptsEveryAllowedCharacterAndMaxLength() {
    String all = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ+-._?=";
    assertEquals(all, StorePath.parseBaseName(HASH + "-" + all).name());
    String longest = "a".repeat(211);
    assertEquals(longest, StorePath.parseBaseName(HASH + "-" + longest).name());
    for (String ok : new String[] {"...", ".a", "..a", "a.-", "-", "=", "?x", ".hidden"}) {
      assertEquals(ok, StorePath.parseBaseName(HASH + "-" + ok).name());
    }
  }

  @Test
  void rejects() {
    String[][] cases = {
        // input, fragment of the expected message
        {"/nix/store/" + HASH + "-" + "a".repeat(212), "212 characters"},
        {"/nix/store/" + HASH + "-", "too short"},
        {"/nix/store/" + HASH, "too short"},
        {"/nix/store/" + HASH + "-.", "must not be '.'"},
        {"/nix/store/" + HASH + "-..", "must not be '..'"},
        {"/nix/store/" + HASH + "-.-foo", "'.-' or '..-'"},
        {"/nix/store/" + HASH + "-..-foo", "'.-' or '..-'"},
        {"/nix/store/" + HASH + "-foo bar", "illegal character ' ' at offset 3"},
        {"/nix/store/" + HASH + "-foo/bar", "inside a store path"},
        {"/nix/store/" + HASH + "-f\u00f6o", "illegal character"},
        {"/nix/store/" + HASH + "-a,b", "illegal character ','"},
        {"/nix/store/" + HASH + "-a@b", "illegal character '@'"},
        {"/nix/store/" + HASH.substring(0, 31) + "e-hello", "illegal character 'e' at offset 31"},
        {"/nix/store/" + HASH.substring(0, 31) + "-hello", "hash part of 31 characters, expected 32"},
        {"/nix/store/" + "S" + HASH.substring(1) + "-hello", "illegal character 'S' at offset 0"},
        {"/nix/store/" + HASH + "_hello", "lacks the '-'"},
        {"/nix/stor/" + HASH + "-hello", "not in the Nix store"},
        {"/nix/store", "not in the Nix store"},
        {"/nix/store/", "too short"},
        {"/nix/storex/" + HASH + "-hello", "not in the Nix store"},
    };
    for (String[] c : cases) {
      NixFormatException e = assertThrows(NixFormatException.class, () -> StorePath.parseAbsolute(c[0]), c[0]);
      assertTrue(e.getMessage().contains(c[1]), c[0] + " -> " + e.getMessage());
      assertTrue(e.getMessage().contains("'" + c[0] + "'"), "message names the input: " + e.getMessage());
    }
    assertThrows(NixFormatException.class, () -> StorePath.of(new byte[20], ""));
    assertThrows(IllegalArgumentException.class, () -> StorePath.of(new byte[19], "x"));
  }

  @Test
  void ordersByBaseName() {
    StorePath a = StorePath.parseBaseName("0" + HASH.substring(1) + "-z");
    StorePath b = StorePath.parseBaseName(HASH + "-a");
    assertTrue(a.compareTo(b) < 0);
    assertTrue(b.compareTo(a) > 0);
  }
}
