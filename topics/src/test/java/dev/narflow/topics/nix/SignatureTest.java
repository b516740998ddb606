package dev.narflow.topics.nix;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** VECTORS.md "narinfo signatures (ed25519)". */
class SignatureTest {
  static final String CACHE_NIXOS_ORG = "cache.nixos.org-1:6NCHdD59X431o0gWypbMrAURkbJ16ZPMQFGspcDShjY=";
  static final String CURL_FINGERPRINT = "1;/nix/store/syd87l2rxw8cbsxmxl853h0r6pdwhwjr-curl-7.82.0-bin;"
      + "sha256:1b4sb93wp679q4zx9k1ignby1yna3z7c4c2ri3wphylbc2dwsys0;196040;"
      + "/nix/store/0jqd0rlxzra1rs38rdxl43yh6rxchgc6-curl-7.82.0,"
      + "/nix/store/6w8g7njm4mck5dmjxws0z1xnrxvl81xa-glibc-2.34-115,"
      + "/nix/store/j5jxw3iy7bbz4a57fh9g2xm2gxmyal8h-zlib-1.2.12,"
      + "/nix/store/yxvjs9drzsphm9pcf42a4byzj1kb9m7k-openssl-1.1.1n";
  static final String CURL_SIG = "cache.nixos.org-1:TsTTb3WGTZKphvYdBHXwo6weVILmTytUjLB+vcX89fOjjRicCHmKA4RCPMVLkj6TMJ4GMX3HPVWRdD1hkeKZBQ==";

  static final String TEST_SECRET = "cache.example.com-1:cCta2MEsRNuYCgWYyeRXLyfoFpKhQJKn8gLMeXWAb7vIpRKKo/3JoxJ24OYa3DxT2JVV38KjK/1ywHWuMe2JEw==";
  static final String TEST_PUBLIC = "cache.example.com-1:yKUSiqP9yaMSduDmGtw8U9iVVd/Coyv9csB1rjHtiRM=";
  static final String PERL_FINGERPRINT = "1;/nix/store/0vpqfxbkx0ffrnhbws6g9qwhmliksz7f-perl-HTTP-Cookies-6.01;"
      + "sha256:0h1bm4sj1cnfkxgyhvgi8df1qavnnv94sd0v09wcrm971602shfg;22552;";
  static final String PERL_SIG = "cache.example.com-1:s0RTa24/7x5lstmy93KSUW/rD0LR8M0VqMd1t2otpglPhPtJerWS8UNGn+xRRSMOfo/5Kc7gy+mPSW++e4twAg==";

  @Test
  void curlSignatureByCacheNixosOrgVerifies() {
    NixPublicKey key = NixPublicKey.parse(CACHE_NIXOS_ORG);
    assertEquals("cache.nixos.org-1", key.name());
    assertEquals(CACHE_NIXOS_ORG, key.toString());
    NarSignature sig = NarSignature.parse(CURL_SIG);
    assertEquals("cache.nixos.org-1", sig.keyName());
    assertEquals(CURL_SIG, sig.toString());
    assertTrue(key.verify(CURL_FINGERPRINT, sig));
  }

  @Test
  void flippingAnyByteOfFingerprintOrSignatureFails() {
    NixPublicKey key = NixPublicKey.parse(CACHE_NIXOS_ORG);
    byte[] message = CURL_FINGERPRINT.getBytes(StandardCharsets.UTF_8);
    byte[] signature = NarSignature.parse(CURL_SIG).signature();
    assertTrue(key.verify(message, signature));
    for (int i = 0; i < message.length; i++) {
      for (int bit : new int[] {0x01, 0x80}) {
        byte[] m = message.clone();
        m[i] ^= (byte) bit;
        assertFalse(key.verify(m, signature), "fingerprint byte " + i + " bit " + bit);
      }
    }
    for (int i = 0; i < signature.length; i++) {
      for (int bit : new int[] {0x01, 0x80}) {
        byte[] s = signature.clone();
        s[i] ^= (byte) bit;
        assertFalse(key.verify(message, s), "signature byte " + i + " bit " + bit);
        assertFalse(key.verify(CURL_FINGERPRINT, NarSignature.of("cache.nixos.org-1", s)));
      }
    }
    // Truncated or extended messages fail too.
    assertFalse(key.verify(CURL_FINGERPRINT + ",", NarSignature.parse(CURL_SIG)));
    assertFalse(key.verify(CURL_FINGERPRINT.substring(1), NarSignature.parse(CURL_SIG)));
  }

  @Test
  void signatureByAnotherKeyNameDoesNotVerify() {
    NixPublicKey key = NixPublicKey.parse(CACHE_NIXOS_ORG);
    NarSignature renamed = NarSignature.of("cache.nixos.org-2", NarSignature.parse(CURL_SIG).signature());
    assertFalse(key.verify(CURL_FINGERPRINT, renamed));
  }

  @Test
  void testKeyPairSignsThePerlFingerprintExactly() {
    NixSecretKey secret = NixSecretKey.parse(TEST_SECRET);
    assertEquals("cache.example.com-1", secret.name());
    assertEquals(TEST_PUBLIC, secret.publicKey().toString());
    assertEquals(TEST_SECRET, secret.toKeyText());
    NarSignature sig = secret.sign(PERL_FINGERPRINT);
    assertEquals(PERL_SIG, sig.toString());
    assertTrue(NixPublicKey.parse(TEST_PUBLIC).verify(PERL_FINGERPRINT, sig));
    assertFalse(NixPublicKey.parse(CACHE_NIXOS_ORG).verify(PERL_FINGERPRINT, sig));
    assertFalse(secret.toString().contains("cCta2"), "toString must not leak the key");
  }

  @Test
  void secretKeyWithWrongPublicHalfIsRejected() {
    byte[] both = Base64.getDecoder().decode(TEST_SECRET.substring(TEST_SECRET.indexOf(':') + 1));
    both[40] ^= 1;
    String corrupt = "cache.example.com-1:" + Base64.getEncoder().encodeToString(both);
    NixFormatException e = assertThrows(NixFormatException.class, () -> NixSecretKey.parse(corrupt));
    assertTrue(e.getMessage().contains("public half does not match"), e.getMessage());
    assertFalse(e.getMessage().contains(corrupt.substring(20, 30)), "must not leak the key: " + e.getMessage());
  }

  @Test
  void malformedKeysAndSignatures() {
    String[][] cases = {
        {"cache.nixos.org-1", "not of the form"},
        {":6NCHdD59X431o0gWypbMrAURkbJ16ZPMQFGspcDShjY=", "not of the form"},
        {"cache.nixos.org-1:", "not of the form"},
        {"cache.nixos.org-1:6NCHdD59X431o0gWypbMrAURkbJ16ZPMQFGspcDShj!=", "invalid base64"},
        {"cache.nixos.org-1:" + Base64.getEncoder().encodeToString(new byte[31]), "holds 31 bytes, expected 32"},
        {TEST_SECRET, "holds 64 bytes, expected 32"},
    };
    for (String[] c : cases) {
      NixFormatException e = assertThrows(NixFormatException.class, () -> NixPublicKey.parse(c[0]), c[0]);
      assertTrue(e.getMessage().contains(c[1]) && e.getMessage().contains(c[0]), e.getMessage());
    }
    NixFormatException e = assertThrows(NixFormatException.class, () -> NixSecretKey.parse(TEST_PUBLIC));
    assertTrue(e.getMessage().contains("holds 32 bytes, expected 64"), e.getMessage());
    e = assertThrows(NixFormatException.class, () -> NarSignature.parse(TEST_PUBLIC));
    assertTrue(e.getMessage().contains("holds 32 bytes, expected 64"), e.getMessage());
    // A key file's trailing newline is tolerated.
    assertEquals(TEST_PUBLIC, NixPublicKey.parse(TEST_PUBLIC + "\n").toString());
    assertEquals(TEST_PUBLIC, NixSecretKey.parse(TEST_SECRET + "\n").publicKey().toString());
  }

  @Test
  void generatedKeysSignAndVerifyAndRoundTrip() {
    NixSecretKey key = NixSecretKey.generate("narflow-test-1");
    NixSecretKey again = NixSecretKey.parse(key.toKeyText());
    assertEquals(key.publicKey(), again.publicKey());
    NarSignature sig = key.sign(PERL_FINGERPRINT);
    assertEquals(sig, again.sign(PERL_FINGERPRINT));
    assertTrue(NixPublicKey.parse(key.publicKey().toString()).verify(PERL_FINGERPRINT, sig));
    // Two generated keys differ.
    NixSecretKey other = NixSecretKey.generate("narflow-test-1", new SecureRandom());
    assertFalse(other.publicKey().equals(key.publicKey()));
    assertFalse(other.publicKey().verify(PERL_FINGERPRINT, sig));
    assertThrows(IllegalArgumentException.class, () -> NixSecretKey.generate("bad:name"));
  }

  @Test
  void trustedKeysReportWhichNamesMatched() {
    NarInfo curl = NarInfoTest.curl();
    NixSecretKey ours = NixSecretKey.parse(TEST_SECRET);
    NarInfo both = curl.withSignature(ours.sign(curl));
    NixPublicKey nixos = NixPublicKey.parse(CACHE_NIXOS_ORG);

    assertEquals(Set.of("cache.nixos.org-1"), TrustedKeys.of(nixos).verify(curl));
    assertEquals(Set.of("cache.nixos.org-1", "cache.example.com-1"),
        TrustedKeys.of(nixos, ours.publicKey()).verify(both));
    assertEquals(Set.of("cache.example.com-1"),
        TrustedKeys.parse(" " + TEST_PUBLIC + "\n").verify(both));
    assertEquals(Set.of(), TrustedKeys.of(ours.publicKey()).verify(curl));
    assertEquals(Set.of(), TrustedKeys.of(List.of()).verify(both));

    // Same name, another key: the signature does not verify.
    NixPublicKey impostor = NixPublicKey.of("cache.nixos.org-1", ours.publicKey().key());
    assertEquals(Set.of(), TrustedKeys.of(impostor).verify(curl));
    // Changing a signed field breaks the signature.
    NarInfo tampered = curl.toBuilder().narSize(curl.narSize() + 1).build();
    assertEquals(Set.of(), TrustedKeys.of(nixos).verify(tampered));
    // An unsigned field (URL) does not.
    assertEquals(Set.of("cache.nixos.org-1"),
        TrustedKeys.of(nixos).verify(curl.toBuilder().url("nar/other.nar").build()));

    // A malformed Sig by a trusted name is an error (Nix: "signature is not valid"); by an untrusted one, skipped.
    NarInfo garbage = curl.toBuilder().signatures(List.of("cache.nixos.org-1:AAAA", "someone-else:???")).build();
    assertThrows(NixFormatException.class, () -> TrustedKeys.of(nixos).verify(garbage));
    assertEquals(Set.of(), TrustedKeys.of(ours.publicKey()).verify(garbage));
    assertThrows(IllegalArgumentException.class, () -> TrustedKeys.of(nixos, impostor));
  }

  @Test
  void keyBytesAreCopies() {
    NixPublicKey key = NixPublicKey.parse(CACHE_NIXOS_ORG);
    byte[] bytes = key.key();
    bytes[0] ^= 1;
    assertArrayEquals(NixPublicKey.parse(CACHE_NIXOS_ORG).key(), key.key());
  }
}
