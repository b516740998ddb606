package dev.narflow.chunker.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.narflow.chunker.hash.Blake3;
import dev.narflow.topics.castore.B3Digest;
import org.junit.jupiter.api.Test;

class StoreLayoutTest {
  @Test
  void keysFollowSnixObjectStoreLayout() {
    // BLAKE3 of the empty string, a well-known value.
    B3Digest empty = Blake3.hash(new byte[0]);
    assertEquals("af1349b9f5f9a1a6a0404dea36dcc9499bcb25c9adc112b7cc9a93cae41f3262", empty.hex());
    assertEquals(
        "chunks/b3/af13/af1349b9f5f9a1a6a0404dea36dcc9499bcb25c9adc112b7cc9a93cae41f3262",
        StoreLayout.chunkKey(empty));
    assertEquals(
        "blobs/b3/af13/af1349b9f5f9a1a6a0404dea36dcc9499bcb25c9adc112b7cc9a93cae41f3262",
        StoreLayout.blobIndexKey(empty));
  }

  @Test
  void knownDigestsEvictsLeastRecentlyUsed() {
    KnownDigests known = new KnownDigests(2);
    B3Digest a = Blake3.hash(new byte[] {1});
    B3Digest b = Blake3.hash(new byte[] {2});
    B3Digest c = Blake3.hash(new byte[] {3});
    known.add(a);
    known.add(b);
    assertTrue(known.contains(a)); // a is now the most recent
    known.add(c);
    assertEquals(2, known.size());
    assertTrue(known.contains(a));
    assertFalse(known.contains(b));
    assertTrue(known.contains(c));

    KnownDigests off = new KnownDigests(0);
    off.add(a);
    assertFalse(off.contains(a));
  }

  @Test
  void s3ConfigNormalizesThePrefixAndHidesTheSecret() {
    S3Config config =
        S3Config.of(java.net.URI.create("http://s3:9000"), "bucket", "AK", "SECRET")
            .withPrefix("//mirror/a/");
    assertEquals("mirror/a", config.prefix());
    assertEquals("mirror/a/chunks/b3/x", config.objectName("chunks/b3/x"));
    assertEquals("chunks/b3/x", config.withPrefix("").objectName("chunks/b3/x"));
    assertFalse(config.toString().contains("SECRET"), config.toString());
    assertEquals("s3://bucket/mirror/a at http://s3:9000", config.location());
  }
}
