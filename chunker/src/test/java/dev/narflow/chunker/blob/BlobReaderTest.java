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
  void aStreamReadAfterItsReaderClosedFailsWithAnIOException() throws Exception {
    byte[] data = new byte[40_000];
    new Random(7).nextBytes(data);
    BlobResult blob = write(data);
    assertTrue(blob.chunkCount() > 4, "several chunks: " + blob.chunkCount());
    BlobReader reader = BlobReader.create(store, 1, new ChunkPrefetcher.Window(1, 1, 1, 0));
    InputStream in = reader.open(blob.digest(), data.length);
    byte[] first = in.readNBytes(10);
    assertArrayEquals(Arrays.copyOf(data, 10), first);
    reader.close();
    // Not RejectedExecutionException: a server reading this stream expects IOExceptions only.
    IOException e = assertThrows(IOException.class, in::readAllBytes);
    assertTrue(e.getMessage().contains("closed"), e.getMessage());
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
      // Larger than any FastCDC chunk: it must have had an index, and that is what is missing.
      BlobNotFoundException huge = assertThrows(BlobNotFoundException.class,
          () -> reader.open(nothing, (16 << 20) + 1).readAllBytes());
      assertTrue(huge.getMessage().contains(nothing.hex()), huge.getMessage());
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

  /**
   * Closing the reader while one stream's fetch is running and another's is queued behind it: the
   * waiting stream must get its bytes or an error, never wait forever for a fetch that close()
   * dropped. A decorator around the real store holds the first stream's fetch (a real store cannot
   * be made to stall on cue).
   */
  @Test
  void closeNeverStrandsAStreamWaitingForAQueuedFetch() throws Exception {
    byte[] first = new byte[1000];
    byte[] second = new byte[1000];
    new Random(6).nextBytes(first);
    new Random(7).nextBytes(second);
    BlobResult a = write(first);
    BlobResult b = write(second);
    java.util.concurrent.CountDownLatch fetchingA = new java.util.concurrent.CountDownLatch(1);
    java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
    CountingChunkStore held = new CountingChunkStore(store) {
      @Override
      public byte[] getChunk(B3Digest digest, int size) throws IOException {
        if (digest.equals(a.digest())) {
          fetchingA.countDown();
          try {
            release.await();
          } catch (InterruptedException e) {
            throw new java.io.InterruptedIOException("interrupted fetching " + digest.hex());
          }
        }
        return super.getChunk(digest, size);
      }
    };
    BlobReader reader = BlobReader.create(held, 1, ChunkPrefetcher.Window.DEFAULT);
    Thread readerA = new Thread(() -> {
      try (InputStream in = reader.open(a.digest(), first.length)) {
        in.readAllBytes();
      } catch (IOException | RuntimeException e) {
        // either outcome is fine for the stream whose fetch close() may interrupt
      }
    });
    readerA.start();
    fetchingA.await();
    java.util.concurrent.atomic.AtomicReference<Object> outcomeB = new java.util.concurrent.atomic.AtomicReference<>();
    Thread readerB = new Thread(() -> {
      try (InputStream in = reader.open(b.digest(), second.length)) {
        outcomeB.set(in.readAllBytes());
      } catch (IOException | RuntimeException e) {
        outcomeB.set(e);
      }
    });
    readerB.start();
    while (readerB.getState() != Thread.State.WAITING) { // its fetch is queued behind A's
      assertTrue(readerB.isAlive(), "B finished while the only fetch thread was held");
      Thread.sleep(1);
    }
    reader.close();
    release.countDown();
    readerB.join(10_000);
    readerA.join(10_000);
    assertTrue(!readerB.isAlive(), "a stream waiting for a fetch when the reader closed must not wait forever");
    if (outcomeB.get() instanceof byte[] bytes) assertArrayEquals(second, bytes);
  }
}
