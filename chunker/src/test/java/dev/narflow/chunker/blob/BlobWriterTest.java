package dev.narflow.chunker.blob;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.narflow.chunker.cdc.FastCdc;
import dev.narflow.chunker.hash.Blake3;
import dev.narflow.chunker.store.ChunkStore;
import dev.narflow.chunker.store.LayoutChunkStore;
import dev.narflow.chunker.store.LocalDirectoryBackend;
import dev.narflow.chunker.store.PutChunkResult;
import dev.narflow.chunker.testing.CountingChunkStore;
import dev.narflow.topics.castore.B3Digest;
import dev.narflow.topics.castore.v1.StatBlobResponse;
import dev.narflow.topics.castore.v1.StatBlobResponse.ChunkMeta;
import java.io.ByteArrayInputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BlobWriterTest {
  /** Small chunks so that multi-chunk blobs are cheap: 256 B .. 1 KiB .. 4 KiB. */
  static final FastCdc.Params SMALL = FastCdc.Params.of(256, 1024, 4096);

  @TempDir Path dir;

  private ChunkStore store(String name) throws IOException {
    return LayoutChunkStore.builder(LocalDirectoryBackend.open(dir.resolve(name), false)).build();
  }

  /** What the blob's chunks must be: FastCDC over the whole contents in memory. */
  private static List<ChunkMeta> expectedChunks(byte[] data, FastCdc.Params params) {
    FastCdc cdc = FastCdc.of(params);
    List<ChunkMeta> chunks = new ArrayList<>();
    for (int off = 0; off < data.length; ) {
      int n = cdc.cut(data, off, data.length - off).length();
      chunks.add(ChunkMeta.newBuilder().setDigest(Blake3.hash(data, off, n).toByteString()).setSize(n).build());
      off += n;
    }
    return chunks;
  }

  @Test
  void blobsOfEverySizeClassAreCutAsFastCdcCutsThemAndStoredOnce() throws Exception {
    try (ChunkStore s1 = store("p1"); ChunkStore s2 = store("p2");
        BlobWriter one = BlobWriter.builder(s1).params(SMALL).build();
        BlobWriter two = BlobWriter.builder(s2).params(SMALL).parallelism(2).maxInFlightBytes(10_000).build()) {
      int limit = one.smallBlobLimit();
      int[] sizes = {0, 1, 255, 256, 257, 4095, 4096, 4097, 20_000, limit - 1, limit, limit + 1,
          3 * limit + 12_345};
      Random random = new Random(1);
      for (int size : sizes) {
        byte[] data = new byte[size];
        random.nextBytes(data);
        List<ChunkMeta> expected = expectedChunks(data, SMALL);
        // Reads of odd sizes, as a NAR reader's stream might give them.
        BlobResult r1 = one.write(new TrickleStream(data, 777));
        BlobResult r2 = two.write(new ByteArrayInputStream(data));
        assertEquals(r1, r2, "parallelism 1 and 2 agree at size " + size);
        assertEquals(Blake3.hash(data), r1.digest(), "size " + size);
        assertEquals(size, r1.size());
        assertEquals(expected, r1.chunks(), "size " + size);
        assertEquals(expected.size(), r1.newChunks(), "all new at size " + size);
        assertEquals(size, r1.newRawBytes());
        if (expected.size() > 1) {
          StatBlobResponse index = r1.index().orElseThrow();
          assertEquals(expected, index.getChunksList());
          assertArrayEquals(index.toByteArray(), s1.getBlobIndex(r1.digest()).orElseThrow());
        } else {
          assertTrue(r1.index().isEmpty());
          assertFalse(s1.hasBlobIndex(r1.digest()), "no index for a blob of one chunk or none");
        }
        if (expected.size() == 1) {
          assertEquals(r1.digest(), B3Digest.of(expected.get(0).getDigest()), "chunk digest = blob digest");
        }
        long stored = 0;
        int at = 0;
        for (ChunkMeta c : expected) {
          B3Digest d = B3Digest.of(c.getDigest());
          stored += s1.statChunk(d).orElseThrow().size();
          byte[] bytes = java.util.Arrays.copyOfRange(data, at, at + (int) c.getSize());
          assertArrayEquals(bytes, s1.getChunk(d, bytes.length));
          assertArrayEquals(bytes, s2.getChunk(d, bytes.length));
          at += bytes.length;
        }
        assertEquals(stored, r1.storedBytes(), "stored bytes are the compressed objects' sizes");

        BlobResult again = one.write(new ByteArrayInputStream(data));
        assertEquals(0, again.newChunks());
        assertEquals(0, again.storedBytes());
        assertEquals(r1.chunks(), again.chunks());
      }
    }
  }

  @Test
  void defaultParamsCutAMultiMegabyteBlobLikeSnix() throws Exception {
    byte[] data = new byte[5 << 20];
    new Random(7).nextBytes(data);
    try (ChunkStore store = store("d"); BlobWriter writer = BlobWriter.builder(store).parallelism(2).build()) {
      BlobResult r = writer.write(new ByteArrayInputStream(data));
      assertEquals(expectedChunks(data, FastCdc.Params.DEFAULT), r.chunks());
      assertTrue(r.chunkCount() > 5, r.chunkCount() + " chunks");
      assertTrue(store.hasBlobIndex(r.digest()));
    }
  }

  @Test
  void inFlightBytesStayWithinTheBound() throws Exception {
    AtomicLong inStore = new AtomicLong();
    AtomicLong maxInStore = new AtomicLong();
    long bound = 3 * (4096 + 512);
    try (ChunkStore real = store("b");
        ChunkStore slow = new CountingChunkStore(real) {
          @Override
          public PutChunkResult putChunk(byte[] data, int off, int len) throws IOException {
            maxInStore.accumulateAndGet(inStore.addAndGet(len), Math::max);
            try {
              Thread.sleep(1);
              return super.putChunk(data, off, len);
            } catch (InterruptedException e) {
              throw new IOException(e);
            } finally {
              inStore.addAndGet(-len);
            }
          }
        };
        BlobWriter writer = BlobWriter.builder(slow).params(SMALL).parallelism(4).maxInFlightBytes(bound).build()) {
      byte[] data = new byte[400_000];
      new Random(3).nextBytes(data);
      BlobResult r = writer.write(new ByteArrayInputStream(data));
      assertEquals(Blake3.hash(data), r.digest());
      assertTrue(maxInStore.get() <= bound, "at most " + bound + " bytes at once, saw " + maxInStore.get());
      assertTrue(maxInStore.get() > 4096, "but more than one chunk at once: " + maxInStore.get());
    }
  }

  @Test
  void storeFailuresSurfaceFromTheBlob() throws Exception {
    try (ChunkStore real = store("f");
        ChunkStore failing = new CountingChunkStore(real) {
          @Override
          public PutChunkResult putChunk(byte[] data, int off, int len) throws IOException {
            throw new IOException("disk full");
          }
        }) {
      byte[] data = new byte[50_000];
      new Random(4).nextBytes(data);
      for (int parallelism : new int[] {1, 2}) {
        try (BlobWriter writer = BlobWriter.builder(failing).params(SMALL).parallelism(parallelism).build()) {
          IOException e = assertThrows(IOException.class, () -> writer.write(new ByteArrayInputStream(data)));
          assertEquals("disk full", e.getMessage());
        }
      }
    }
  }

  /**
   * A blob whose chunks are still being stored when the writer closes: close() promises to finish
   * the work already submitted, so the blob's index is stored and its future completes. The store
   * is a real one behind a decorator that holds every put until released (a real store cannot be
   * made to stall on cue).
   */
  @Test
  void closeFinishesABlobWhoseChunksAreStillBeingStored() throws Exception {
    java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
    try (ChunkStore real = store("c");
        ChunkStore held = new CountingChunkStore(real) {
          @Override
          public PutChunkResult putChunk(byte[] data, int off, int len) throws IOException {
            try {
              release.await();
            } catch (InterruptedException e) {
              throw new java.io.InterruptedIOException();
            }
            return super.putChunk(data, off, len);
          }
        }) {
      BlobWriter writer = BlobWriter.builder(held).params(SMALL).parallelism(2).maxInFlightBytes(1 << 20).build();
      byte[] data = new byte[50_000];
      new Random(5).nextBytes(data);
      java.util.concurrent.CompletableFuture<BlobResult> blob = writer.submit(new ByteArrayInputStream(data));
      Thread closer = new Thread(() -> {
        try {
          writer.close();
        } catch (IOException e) {
          throw new java.io.UncheckedIOException(e);
        }
      });
      closer.start();
      while (closer.getState() != Thread.State.TIMED_WAITING) { // in awaitTermination: shut down
        assertTrue(closer.isAlive(), "close() returned while chunks were held");
        Thread.sleep(1);
      }
      release.countDown();
      BlobResult result = blob.get(10, java.util.concurrent.TimeUnit.SECONDS);
      assertEquals(Blake3.hash(data), result.digest());
      assertTrue(result.chunkCount() > 1, result.chunkCount() + " chunks");
      assertTrue(real.hasBlobIndex(result.digest()), "the index is stored after its chunks");
      closer.join(10_000);
      assertFalse(closer.isAlive(), "close() returns once the work is done");
    }
  }

  /** Hands out at most {@code step} bytes per read. */
  static final class TrickleStream extends FilterInputStream {
    private final int step;

    TrickleStream(byte[] data, int step) {
      super(new ByteArrayInputStream(data));
      this.step = step;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      return in.read(b, off, Math.min(len, step));
    }
  }

  static InputStream stream(byte[] data) {
    return new ByteArrayInputStream(data);
  }
}
