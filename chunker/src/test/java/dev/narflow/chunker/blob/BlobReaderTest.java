package dev.narflow.chunker.blob;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.narflow.chunker.store.ChunkNotFoundException;
import dev.narflow.chunker.store.LayoutChunkStore;
import dev.narflow.chunker.store.LocalDirectoryBackend;
import dev.narflow.chunker.testing.CountingChunkStore;
import dev.narflow.topics.castore.B3Digest;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BlobReaderTest {
  @TempDir Path dir;
  private CountingChunkStore store;

  @BeforeEach
  void open() throws IOException {
    store = new CountingChunkStore(
        LayoutChunkStore.builder(LocalDirectoryBackend.open(dir, false)).build());
  }

  private BlobResult write(byte[] data) throws IOException {
    try (BlobWriter writer = BlobWriter.builder(store).params(BlobWriterTest.SMALL).build()) {
      return writer.write(new ByteArrayInputStream(data));
    }
  }

  @Test
  void readsFromEveryKindOfOffsetFetchingNoChunkBeforeIt() throws Exception {
    long seed = 0x72656164L;
    Random random = new Random(seed);
    ChunkPrefetcher.Window[] windows = {
        new ChunkPrefetcher.Window(1, 1, 1, 0),
        new ChunkPrefetcher.Window(4, 10_000, 2, 256),
        // Blobs up to the test params' minSize are one chunk: the guess is right, no extra fetch.
        new ChunkPrefetcher.Window(32, 16 << 20, 256, BlobWriterTest.SMALL.minSize())};
    for (int round = 0; round < 40; round++) {
      try {
        byte[] data = new byte[random.nextInt(4) == 0 ? random.nextInt(300) : random.nextInt(60_000)];
        random.nextBytes(data);
        BlobResult blob = write(data);
        List<BlobChunk> chunks;
        try (BlobReader reader = BlobReader.create(store, 1 + random.nextInt(3), windows[random.nextInt(3)])) {
          chunks = reader.chunks(blob.digest(), data.length);
          assertEquals(blob.chunkCount(), chunks.size());
          for (int i = 0; i < 5; i++) {
            int offset = i == 0 ? 0 : i == 1 ? data.length : random.nextInt(data.length + 1);
            store.reset();
            try (InputStream in = reader.open(blob.digest(), data.length, offset)) {
              byte[] read = random.nextBoolean() ? in.readAllBytes() : readByBytes(in);
              assertArrayEquals(Arrays.copyOfRange(data, offset, data.length), read, "from " + offset);
            }
            Set<B3Digest> needed = new HashSet<>();
            for (BlobChunk c : chunks) if (c.end() > offset) needed.add(c.digest());
            assertTrue(needed.containsAll(store.chunkGets), "fetched only chunks at or after " + offset);
            assertEquals(needed, new HashSet<>(store.chunkGets));
          }
        }
      } catch (Throwable t) {
        throw new AssertionError("round " + round + ", seed " + seed, t);
      }
    }
  }

  private static byte[] readByBytes(InputStream in) throws IOException {
    java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
    for (int b; (b = in.read()) >= 0; ) out.write(b);
    return out.toByteArray();
  }

  @Test
  void aSizeThatDisagreesWithTheChunksIsAnErrorNamingTheBlob() throws Exception {
    byte[] data = new byte[30_000];
    new Random(5).nextBytes(data);
    BlobResult blob = write(data);
    try (BlobReader reader = BlobReader.create(store)) {
      IOException e = assertThrows(IOException.class,
          () -> reader.open(blob.digest(), data.length + 1).readAllBytes());
      assertTrue(e.getMessage().contains(blob.digest().hex()), e.getMessage());
      assertTrue(e.getMessage().contains("add up to 30000"), e.getMessage());
    }
  }

  @Test
  void aMissingBlobIsNamed() throws Exception {
    B3Digest nothing = B3Digest.fromHex("00".repeat(32));
    try (BlobReader reader = BlobReader.create(store)) {
      // Small: guessed to be one chunk, then looked up in the index after all.
      BlobNotFoundException small = assertThrows(BlobNotFoundException.class,
          () -> reader.open(nothing, 100).readAllBytes());
      assertTrue(small.getMessage().contains(nothing.hex()), small.getMessage());
      // Large: no index, so a single chunk that is not there.
      ChunkNotFoundException large = assertThrows(ChunkNotFoundException.class,
          () -> reader.open(nothing, 1 << 20).readAllBytes());
      assertTrue(large.getMessage().contains(nothing.hex()), large.getMessage());
    }
  }

  @Test
  void aSmallBlobCutIntoSeveralChunksIsFoundThroughItsIndex() throws Exception {
    byte[] data = new byte[20_000];
    new Random(6).nextBytes(data);
    BlobResult blob = write(data); // several chunks at the small test params
    assertTrue(blob.chunkCount() > 1);
    // A window that takes every blob up to 128 KiB for one chunk: wrong here, and recovered from.
    try (BlobReader reader = BlobReader.create(store, 2, ChunkPrefetcher.Window.DEFAULT)) {
      assertArrayEquals(data, reader.open(blob.digest(), data.length).readAllBytes());
      assertArrayEquals(Arrays.copyOfRange(data, 12_345, data.length),
          reader.open(blob.digest(), data.length, 12_345).readAllBytes());
    }
  }
}
