package dev.narflow.topics.castore;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static dev.narflow.topics.castore.CastoreFixtures.utf8;

import dev.narflow.topics.castore.v1.Directory;
import dev.narflow.topics.castore.v1.DirectoryNode;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import org.bouncycastle.crypto.digests.Blake3Digest;
import org.junit.jupiter.api.Test;

/** The castore section of fixtures/VECTORS.md, value for value. */
class CastoreVectorsTest {
  private static final HexFormat HEX = HexFormat.of();
  private static final String EMPTY_B3 = "af1349b9f5f9a1a6a0404dea36dcc9499bcb25c9adc112b7cc9a93cae41f3262";

  @Test
  void emptyDirectoryDigestIsBlake3OfNothing() {
    Directory empty = Directory.getDefaultInstance();
    assertEquals(0, empty.toByteArray().length);
    assertEquals(EMPTY_B3, Directories.digest(empty).hex());
    assertEquals(0, Directories.size(empty));
    Directories.validate(empty);
  }

  @Test
  void directoryWithKeep() {
    Directory d = Directories.validate(CastoreFixtures.directoryWithKeep());
    assertEquals("12290a052e6b6565701220af1349b9f5f9a1a6a0404dea36dcc9499bcb25c9adc112b7cc9a93cae41f3262",
        HEX.formatHex(d.toByteArray()));
    assertEquals("8b5b5d642b646bb8ed504b0862c39413e87e57491497de7bd075953f7b83810e", Directories.digest(d).hex());
    assertEquals(2, Directories.size(d));
  }

  @Test
  void directoryComplicated() {
    Directory d = Directories.validate(CastoreFixtures.directoryComplicated());
    // The child's size (2) is inside the encoding, so this digest also pins the size formula.
    assertEquals("424a7f6ce08d805d15b428062faae96299a1675d708c3a39261afe38cdd04feb", Directories.digest(d).hex());
    assertEquals(8, Directories.size(d));
  }

  @Test
  void builderReproducesComplicatedFromAnyOrder() {
    Directory built = new DirectoryBuilder()
        .addSymlink(utf8("aa"), utf8("/nix/store/somewhereelse"))
        .addFile(utf8(".keep"), CastoreFixtures.EMPTY_BLOB, 0, false)
        .addDirectory(utf8("keep"), CastoreFixtures.directoryWithKeep())
        .build();
    assertEquals(CastoreFixtures.directoryComplicated(), built);
    assertEquals("424a7f6ce08d805d15b428062faae96299a1675d708c3a39261afe38cdd04feb",
        Directories.digest(built).hex());
    DirectoryNode root = Directories.directoryNode(utf8("root"), built);
    assertEquals(8, root.getSize());
    assertEquals("424a7f6ce08d805d15b428062faae96299a1675d708c3a39261afe38cdd04feb",
        HEX.formatHex(root.getDigest().toByteArray()));
  }

  @Test
  void blobDigests() {
    assertEquals(EMPTY_B3, blake3(new byte[0]));
    assertEquals("5ca7815adcb484e9a136c11efe69c1d530176d549b5d18d038eb5280b4b3470c",
        blake3("Hello World!".getBytes(StandardCharsets.US_ASCII)));
    assertEquals("7b7015bb92cf0b318037702a6cdd81dee41224f734684c2c122cd6359cb1ee63", blake3(new byte[] {0, 1}));
    byte[] big = new byte[255 * 4096];
    for (int i = 0; i < big.length; i++) big[i] = (byte) (i % 255);
    assertEquals(1044480, big.length);
    assertEquals("a82c5154a7a0c262c6fdb929a317585646f8fbcf80326d0a7b8747edaf2d99d2", blake3(big));
  }

  @Test
  void encodingRoundTripsByteForByte() throws Exception {
    byte[] bytes = CastoreFixtures.directoryComplicated().toByteArray();
    assertArrayEquals(bytes, Directory.parseFrom(bytes).toByteArray());
  }

  private static String blake3(byte[] data) {
    Blake3Digest d = new Blake3Digest();
    d.update(data, 0, data.length);
    byte[] out = new byte[32];
    d.doFinal(out, 0);
    return HEX.formatHex(out);
  }
}
