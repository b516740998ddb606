package dev.narflow.topics.nix;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

class NarInfoTest {
  /**
   * The curl-7.82.0-bin narinfo of cache.nixos.org. StorePath, NarHash, NarSize, References and
   * Sig are real (VECTORS.md); URL, FileHash, FileSize and Deriver are illustrative (unsigned).
   */
  static final String CURL = """
      StorePath: /nix/store/syd87l2rxw8cbsxmxl853h0r6pdwhwjr-curl-7.82.0-bin
      URL: nar/0krjapsbmiarx45hbl40ws72crrljm0i9f30qx7kayxn1v7z6k08.nar.xz
      Compression: xz
      FileHash: sha256:0krjapsbmiarx45hbl40ws72crrljm0i9f30qx7kayxn1v7z6k08
      FileSize: 52192
      NarHash: sha256:1b4sb93wp679q4zx9k1ignby1yna3z7c4c2ri3wphylbc2dwsys0
      NarSize: 196040
      References: 0jqd0rlxzra1rs38rdxl43yh6rxchgc6-curl-7.82.0 6w8g7njm4mck5dmjxws0z1xnrxvl81xa-glibc-2.34-115 j5jxw3iy7bbz4a57fh9g2xm2gxmyal8h-zlib-1.2.12 yxvjs9drzsphm9pcf42a4byzj1kb9m7k-openssl-1.1.1n
      Deriver: q6m3ks4xyg0c8x8bg5lqadwrcp3mlh5d-curl-7.82.0.drv
      Sig: cache.nixos.org-1:TsTTb3WGTZKphvYdBHXwo6weVILmTytUjLB+vcX89fOjjRicCHmKA4RCPMVLkj6TMJ4GMX3HPVWRdD1hkeKZBQ==
      """;

  /** A fixed-output path with no references and no deriver, as Nix writes it (note "References: "). */
  static final String FIXED_OUTPUT = """
      StorePath: /nix/store/0vpqfxbkx0ffrnhbws6g9qwhmliksz7f-perl-HTTP-Cookies-6.01
      URL: nar/0h1bm4sj1cnfkxgyhvgi8df1qavnnv94sd0v09wcrm971602shfg.nar
      Compression: none
      FileHash: sha256:0h1bm4sj1cnfkxgyhvgi8df1qavnnv94sd0v09wcrm971602shfg
      FileSize: 22552
      NarHash: sha256:0h1bm4sj1cnfkxgyhvgi8df1qavnnv94sd0v09wcrm971602shfg
      NarSize: 22552
      References:\s
      Sig: cache.example.com-1:s0RTa24/7x5lstmy93KSUW/rD0LR8M0VqMd1t2otpglPhPtJerWS8UNGn+xRRSMOfo/5Kc7gy+mPSW++e4twAg==
      CA: fixed:r:sha256:09hilccn2lvdwhkcq8i9ixjhyhk1vfwbvh2lgnn021fi05q0jnb9
      """;

  static NarInfo curl() {
    return NarInfo.parse(CURL);
  }

  @Test
  void parsesARealisticNarinfo() {
    NarInfo info = curl();
    assertEquals("syd87l2rxw8cbsxmxl853h0r6pdwhwjr-curl-7.82.0-bin", info.storePath().baseName());
    assertEquals("nar/0krjapsbmiarx45hbl40ws72crrljm0i9f30qx7kayxn1v7z6k08.nar.xz", info.url());
    assertEquals("xz", info.compression());
    assertEquals("sha256:0krjapsbmiarx45hbl40ws72crrljm0i9f30qx7kayxn1v7z6k08", info.fileHash().toString());
    assertEquals(52192, info.fileSize());
    assertEquals(HashAlgorithm.SHA256, info.narHash().algorithm());
    assertEquals(196040, info.narSize());
    assertEquals(4, info.references().size());
    assertEquals("curl-7.82.0", info.references().first().name());
    assertEquals("curl-7.82.0.drv", info.deriver().name());
    assertEquals("", info.system());
    assertEquals(1, info.signatures().size());
    assertNull(info.ca());
    assertEquals(CURL, info.format());
    assertEquals(SignatureTest.CURL_FINGERPRINT, info.fingerprint());
    assertEquals(Set.of("cache.nixos.org-1"),
        TrustedKeys.of(NixPublicKey.parse(SignatureTest.CACHE_NIXOS_ORG)).verify(info));
  }

  @Test
  void fixedOutputWithoutReferencesRoundTrips() throws IOException {
    NarInfo info = NarInfo.read(new ByteArrayInputStream(FIXED_OUTPUT.getBytes(StandardCharsets.UTF_8)), StoreDir.DEFAULT);
    assertTrue(info.references().isEmpty());
    assertNull(info.deriver());
    assertEquals("fixed:r:sha256:09hilccn2lvdwhkcq8i9ixjhyhk1vfwbvh2lgnn021fi05q0jnb9", info.ca());
    assertEquals(FIXED_OUTPUT, info.format());
    assertTrue(info.format().contains("\nReferences: \n"));
    assertEquals(SignatureTest.PERL_FINGERPRINT, info.fingerprint());
    assertEquals(Set.of("cache.example.com-1"),
        TrustedKeys.of(NixPublicKey.parse(SignatureTest.TEST_PUBLIC)).verify(info));
  }

  @Test
  void otherStoreDir() {
    StoreDir dir = StoreDir.of("/gnu/store");
    String text = CURL.replace("StorePath: /nix/store/", "StorePath: /gnu/store/");
    NarInfo info = NarInfo.parse(text, dir);
    assertEquals(text, info.format(dir));
    assertTrue(info.fingerprint(dir).startsWith("1;/gnu/store/syd87"));
    assertTrue(info.fingerprint(dir).contains(";/gnu/store/0jqd0"));
    NixFormatException e = assertThrows(NixFormatException.class, () -> NarInfo.parse(text));
    assertTrue(e.getMessage().contains("line 1") && e.getMessage().contains("not in the Nix store"), e.getMessage());
  }

  @Test
  void normalisesAsNixDoes() {
    String text = """
        URL: nar/first.nar
        NarSize: 1
        Unknown-Key: ignored: really
        StorePath: /nix/store/syd87l2rxw8cbsxmxl853h0r6pdwhwjr-curl-7.82.0-bin
        URL: nar/second.nar
        NarHash: sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad
        NarSize: 196040
        References:\s
        References:  yxvjs9drzsphm9pcf42a4byzj1kb9m7k-openssl-1.1.1n  0jqd0rlxzra1rs38rdxl43yh6rxchgc6-curl-7.82.0 0jqd0rlxzra1rs38rdxl43yh6rxchgc6-curl-7.82.0
        Deriver: unknown-deriver
        System: x86_64-linux
        Sig: z:AAAA
        Sig: a:AAAA
        Sig: z:AAAA
        CA:\s
        CA: fixed:sha256:6959097001d10501ac7d54c0bdb8db61420f658f2922cc26e46d536119a31126
        """;
    NarInfo info = NarInfo.parse(text);
    assertEquals("nar/second.nar", info.url()); // last wins
    assertEquals(196040, info.narSize());
    assertEquals(NarInfo.DEFAULT_COMPRESSION, info.compression()); // absent -> bzip2
    assertNull(info.fileHash());
    assertEquals(0, info.fileSize());
    assertNull(info.deriver());
    assertEquals("x86_64-linux", info.system());
    assertEquals(List.of("a:AAAA", "z:AAAA"), new ArrayList<>(info.signatures()));
    assertEquals("""
        StorePath: /nix/store/syd87l2rxw8cbsxmxl853h0r6pdwhwjr-curl-7.82.0-bin
        URL: nar/second.nar
        Compression: bzip2
        NarHash: sha256:1b8m03r63zqhnjf7l5wnldhh7c134ap5vpj0850ymkq1iyzicy5s
        NarSize: 196040
        References: 0jqd0rlxzra1rs38rdxl43yh6rxchgc6-curl-7.82.0 yxvjs9drzsphm9pcf42a4byzj1kb9m7k-openssl-1.1.1n
        System: x86_64-linux
        Sig: a:AAAA
        Sig: z:AAAA
        CA: fixed:sha256:09hilccn2lvdwhkcq8i9ixjhyhk1vfwbvh2lgnn021fi05q0jnb9
        """, info.format());
    assertEquals("bzip2", NarInfo.parse(text.replace("System:", "Compression: \nSystem:")).compression());
    // A later Deriver line is not undone by unknown-deriver, as in Nix.
    String derivers = text.replace("Deriver: unknown-deriver\n",
        "Deriver: q6m3ks4xyg0c8x8bg5lqadwrcp3mlh5d-curl-7.82.0.drv\nDeriver: unknown-deriver\n");
    assertEquals("curl-7.82.0.drv", NarInfo.parse(derivers).deriver().name());
  }

  @Test
  void malformed() {
    String[][] cases = {
        {CURL.substring(0, CURL.length() - 1), "line 10: line does not end in '\\n'"},
        {CURL.replace("Compression: xz\n", "Compression xz\n"), "line 3: expected 'Key: value', found no ':'"},
        {CURL.replace("Compression: xz\n", "\n"), "line 3: expected 'Key: value'"},
        {CURL + "\n", "line 11: expected 'Key: value'"},
        {CURL.replace("Compression: xz", "Compression:xz"), "line 3: expected ': ' after key 'Compression'"},
        {CURL.replace("References: 0jqd", "References:\n0jqd"), "line 8: expected ': ' after key 'References'"},
        {CURL.replace("NarSize: 196040", "NarSize: 196040x"), "line 7: invalid NarSize '196040x'"},
        {CURL.replace("NarSize: 196040", "NarSize: -1"), "line 7: invalid NarSize '-1'"},
        {CURL.replace("NarSize: 196040", "NarSize: "), "line 7: invalid NarSize ''"},
        {CURL.replace("NarSize: 196040", "NarSize: 99999999999999999999"), "line 7: invalid NarSize"},
        // 19 digits, past what a long holds (Nix reads up to 2^64-1; we hold sizes in a long).
        {CURL.replace("NarSize: 196040", "NarSize: 9223372036854775808"), "line 7: invalid NarSize '9223372036854775808'"},
        {CURL.replace("FileSize: 52192", "FileSize: 9999999999999999999"), "line 5: invalid FileSize '9999999999999999999'"},
        {CURL.replace("NarSize: 196040\n", "NarSize: 196040\r\n"), "line 7: invalid NarSize '196040\r'"},
        {CURL.replace("FileSize: 52192", "FileSize: 5e3"), "line 5: invalid FileSize '5e3'"},
        {CURL.replace("NarSize: 196040", "NarSize: 0"), "NarSize missing or zero"},
        {CURL.replace("NarSize: 196040\n", ""), "NarSize missing or zero"},
        {CURL.replace("URL: nar/0krjapsbmiarx45hbl40ws72crrljm0i9f30qx7kayxn1v7z6k08.nar.xz\n", ""), "URL missing"},
        {CURL.replace("URL: nar/0krjapsbmiarx45hbl40ws72crrljm0i9f30qx7kayxn1v7z6k08.nar.xz", "URL: "), "URL missing"},
        {CURL.replace("StorePath: /nix/store/syd87l2rxw8cbsxmxl853h0r6pdwhwjr-curl-7.82.0-bin\n", ""), "StorePath missing"},
        {"", "StorePath missing"},
        {CURL.replace("NarHash: sha256:1b4sb93wp679q4zx9k1ignby1yna3z7c4c2ri3wphylbc2dwsys0\n", ""), "NarHash missing"},
        {CURL.replace("sha256:1b4sb93wp679q4zx9k1ignby1yna3z7c4c2ri3wphylbc2dwsys0", "sha256:1b4sb93wp679q4zx9k1ignby1yna3z7c4c2ri3wphylbc2dwsys"), "line 6: hash 'sha256:1b4sb93wp679q4zx9k1ignby1yna3z7c4c2ri3wphylbc2dwsys' has wrong length"},
        {CURL.replace("NarHash: sha256:", "NarHash: "), "line 6: hash '1b4sb93wp679q4zx9k1ignby1yna3z7c4c2ri3wphylbc2dwsys0' does not name its algorithm"},
        {CURL.replace("FileHash: sha256:0k", "FileHash: sha256:ek"), "line 4: invalid nixbase32"},
        {CURL.replace("StorePath: /nix/store/syd87l2rxw8cbsxmxl853h0r6pdwhwjr-curl", "StorePath: /nix/store/syd87l2rxw8cbsxmxl853h0r6pdwhwj-curl"), "line 1: store path '/nix/store/syd87l2rxw8cbsxmxl853h0r6pdwhwj-curl-7.82.0-bin'"},
        {CURL.replace("zlib-1.2.12", "zlib 1.2.12"), "line 8: store path base name '1.2.12' is too short"},
        {CURL.replace("zlib-1.2.12", "zlib-1.2.12,"), "line 8: store path 'j5jxw3iy7bbz4a57fh9g2xm2gxmyal8h-zlib-1.2.12,': name has illegal character ','"},
        {CURL.replace("Deriver: q6m3", "Deriver: /nix/store/q6m3"), "line 9: store path '/nix/store/q6m3ks4xyg0c8x8bg5lqadwrcp3mlh5d-curl-7.82.0.drv' has illegal character '/'"},
        {CURL + "References: 0jqd0rlxzra1rs38rdxl43yh6rxchgc6-curl-7.82.0\n", "line 11: extra References line"},
        {FIXED_OUTPUT + "CA: text:sha256:09hilccn2lvdwhkcq8i9ixjhyhk1vfwbvh2lgnn021fi05q0jnb9\n", "line 11: extra CA line"},
        {CURL + "CA: fixed:r:sha256:xyz\n", "line 11: hash 'xyz' has wrong length"},
        {CURL + "CA: flat:sha256:09hilccn2lvdwhkcq8i9ixjhyhk1vfwbvh2lgnn021fi05q0jnb9\n", "line 11: content address 'flat:sha256"},
        {CURL + "CA: text:sha1:vw46m23bizj4n8afrc0fj19wrp7mj3c0\n", "line 11: text content address"},
        {CURL + "CA: fixed:r:sha256\n", "line 11: content address 'fixed:r:sha256' lacks"},
    };
    for (String[] c : cases) {
      NixFormatException e = assertThrows(NixFormatException.class, () -> NarInfo.parse(c[0]), c[1]);
      assertTrue(e.getMessage().contains(c[1]), "expected '" + c[1] + "' in: " + e.getMessage());
      assertTrue(e.getMessage().startsWith("narinfo is corrupt"), e.getMessage());
    }
  }

  @Test
  void hostileLongValuesGiveShortMessages() {
    String huge = "a".repeat(200_000);
    String[][] cases = {
        {CURL.replace("Compression: xz", huge), "line 3: expected 'Key: value', found no ':'"},
        {CURL.replace("zlib-1.2.12", "zlib-" + huge), "characters long, more than 211"},
        {CURL.replace("NarSize: 196040", "NarSize: " + huge), "line 7: invalid NarSize"},
        {CURL.replace("sha256:1b4sb93wp679q4zx9k1ignby1yna3z7c4c2ri3wphylbc2dwsys0", "sha256:" + huge),
            "has wrong length 200000 for sha256"},
    };
    for (String[] c : cases) {
      NixFormatException e = assertThrows(NixFormatException.class, () -> NarInfo.parse(c[0]), c[1]);
      assertTrue(e.getMessage().contains(c[1]), "expected '" + c[1] + "' in: " + e.getMessage().substring(0, 300));
      assertTrue(e.getMessage().length() < 1000, c[1] + ": message of " + e.getMessage().length() + " characters");
    }
  }

  @Test
  void readRejectsOversizeAndInvalidUtf8() {
    byte[] big = new byte[NarInfo.MAX_SIZE + 1];
    NixFormatException e = assertThrows(NixFormatException.class,
        () -> NarInfo.read(new ByteArrayInputStream(big), StoreDir.DEFAULT));
    assertTrue(e.getMessage().contains("larger than"), e.getMessage());
    byte[] bad = CURL.replace("Compression: xz", "Compression: x\u00ff").getBytes(StandardCharsets.ISO_8859_1);
    e = assertThrows(NixFormatException.class, () -> NarInfo.read(new ByteArrayInputStream(bad), StoreDir.DEFAULT));
    assertTrue(e.getMessage().contains("UTF-8"), e.getMessage());
  }

  @Test
  void builderChecksRequiredFields() {
    NarInfo info = curl();
    assertThrows(IllegalStateException.class, () -> info.toBuilder().narSize(0).build());
    assertThrows(IllegalStateException.class, () -> info.toBuilder().url("").build());
    assertThrows(IllegalStateException.class, () -> info.toBuilder().storePath(null).build());
    assertThrows(IllegalStateException.class, () -> info.toBuilder().narHash(null).build());
    assertThrows(IllegalArgumentException.class, () -> info.toBuilder().url("a\nb").build());
    assertEquals(info, info.toBuilder().build());
    assertEquals("bzip2", info.toBuilder().compression(null).build().compression());
  }

  @Test
  void propertySerializeParseSerializeRoundTrip() {
    long seed = new Random().nextLong();
    Random random = new Random(seed);
    try {
      for (int i = 0; i < 2000; i++) {
        NarInfo info = randomNarInfo(random);
        String text = info.format();
        NarInfo parsed = NarInfo.parse(text);
        assertEquals(info, parsed);
        assertEquals(text, parsed.format());
        assertEquals(info.fingerprint(), parsed.fingerprint());
      }
    } catch (AssertionError | RuntimeException e) {
      throw new AssertionError("failed with seed " + seed, e);
    }
  }

  private static final String NAME_CHARS =
      "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ+-._?=";

  static StorePath randomStorePath(Random random) {
    byte[] digest = new byte[20];
    random.nextBytes(digest);
    while (true) {
      StringBuilder name = new StringBuilder();
      int length = 1 + (random.nextBoolean() ? random.nextInt(20) : random.nextInt(211));
      for (int i = 0; i < length; i++) name.append(NAME_CHARS.charAt(random.nextInt(NAME_CHARS.length())));
      if (StorePath.nameProblem(name.toString()) == null) return StorePath.of(digest, name.toString());
    }
  }

  private static NixHash randomHash(Random random, HashAlgorithm algo) {
    byte[] d = new byte[algo.size()];
    random.nextBytes(d);
    return NixHash.of(algo, d);
  }

  static NarInfo randomNarInfo(Random random) {
    HashAlgorithm[] algos = HashAlgorithm.values();
    NarInfo.Builder b = NarInfo.builder()
        .storePath(randomStorePath(random))
        .url("nar/" + randomHash(random, HashAlgorithm.SHA256).nixbase32() + ".nar" + (random.nextBoolean() ? ".xz" : ""))
        .compression(new String[] {"none", "xz", "zstd", "bzip2", "br"}[random.nextInt(5)])
        .narHash(randomHash(random, HashAlgorithm.SHA256))
        .narSize(1 + (random.nextBoolean() ? random.nextInt(1000) : random.nextLong() & Long.MAX_VALUE >>> 1));
    if (random.nextInt(4) > 0) {
      b.fileHash(randomHash(random, random.nextInt(4) == 0 ? algos[random.nextInt(4)] : HashAlgorithm.SHA256));
      b.fileSize(random.nextInt(4) == 0 ? 0 : random.nextInt(Integer.MAX_VALUE));
    } else if (random.nextBoolean()) {
      b.fileSize(1 + random.nextInt(1000));
    }
    int refs = random.nextInt(4) == 0 ? 0 : random.nextInt(30);
    for (int r = 0; r < refs; r++) b.addReference(randomStorePath(random));
    if (random.nextBoolean()) b.deriver(randomStorePath(random));
    if (random.nextInt(4) == 0) b.system(random.nextBoolean() ? "x86_64-linux" : "aarch64-darwin");
    int sigs = random.nextInt(4);
    for (int s = 0; s < sigs; s++) {
      byte[] sig = new byte[64];
      random.nextBytes(sig);
      b.addSignature(NarSignature.of("key-" + random.nextInt(5) + ".example", sig));
    }
    if (random.nextInt(4) == 0) {
      HashAlgorithm algo = algos[random.nextInt(4)];
      NixHash h = randomHash(random, algo);
      String method = random.nextBoolean() ? "fixed:r:" : "fixed:";
      b.ca(switch (random.nextInt(3)) {
        case 0 -> "text:" + randomHash(random, HashAlgorithm.SHA256).toBase16String();
        case 1 -> method + h.toBase16String();
        default -> method + h;
      });
    }
    return b.build();
  }
}
