package dev.narflow.chunker.store;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.github.luben.zstd.Zstd;
import com.github.luben.zstd.ZstdCompressCtx;
import dev.narflow.chunker.hash.Blake3;
import dev.narflow.topics.castore.B3Digest;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * What every {@link ObjectBackend} must give a {@link LayoutChunkStore}. Subclasses supply a fresh,
 * empty backend per test and a way to write a stored object behind the store's back.
 */
abstract class ChunkStoreContract {
  private final Random random = new Random(42);
  private final List<AutoCloseable> toClose = new ArrayList<>();
  protected CountingBackend backend;
  protected LayoutChunkStore store;

  /** A fresh, empty backend; called once per test. */
  protected abstract ObjectBackend newBackend() throws Exception;

  /** Replaces the stored object under {@code key} without going through the backend's rules. */
  protected abstract void overwriteStoredObject(String key, byte[] content) throws Exception;

  /** Whether concurrent writers of one key always see exactly one success. */
  protected boolean exclusiveCreate() {
    return true;
  }

  @BeforeEach
  void openStore() throws Exception {
    backend = new CountingBackend(newBackend());
    store = LayoutChunkStore.builder(backend).build();
  }

  @AfterEach
  void closeStores() throws Exception {
    for (AutoCloseable c : toClose) {
      c.close();
    }
    store.close();
  }

  private LayoutChunkStore anotherStoreOnSameBackend(int knownChunks) {
    LayoutChunkStore other = LayoutChunkStore.builder(backend).knownChunks(knownChunks).build();
    toClose.add(other::close); // closes the backend too, which tolerates it
    return other;
  }

  private byte[] chunk(int size) {
    byte[] data = new byte[size];
    random.nextBytes(data);
    // Half of each chunk repetitive, so that compression has work to do.
    for (int i = 0; i < size / 2; i++) {
      data[i] = (byte) (i % 7);
    }
    return data;
  }

  @Test
  void putThenGetRoundTrips() throws Exception {
    byte[] data = chunk(300_000);
    B3Digest digest = Blake3.hash(data);

    assertTrue(store.putChunk(digest, data));

    assertArrayEquals(data, store.getChunk(digest, data.length));
    assertTrue(store.hasChunk(digest));
    // The object is a compressed zstd frame under snix's key, readable without us.
    String key = StoreLayout.chunkKey(digest);
    assertTrue(key.startsWith("chunks/b3/" + digest.hex().substring(0, 4) + "/"), key);
    byte[] stored = backend.delegate.get(key, Integer.MAX_VALUE - 8).orElseThrow();
    assertTrue(stored.length < data.length * 3 / 4, "compressed to " + stored.length);
    assertArrayEquals(data, Zstd.decompress(stored, data.length));
    ObjectStat stat = store.statChunk(digest).orElseThrow();
    assertEquals(stored.length, stat.size());
    assertEquals(key, stat.key());
  }

  @Test
  void putByContentHashesOnceAndReportsWhatItWrote() throws Exception {
    byte[] data = chunk(200_000);
    byte[] padded = new byte[data.length + 20];
    System.arraycopy(data, 0, padded, 7, data.length);

    PutChunkResult first = store.putChunk(padded, 7, data.length);
    assertEquals(Blake3.hash(data), first.digest());
    assertTrue(first.written());
    assertEquals(store.statChunk(first.digest()).orElseThrow().size(), first.storedSize());
    assertTrue(first.storedSize() < data.length, "compressed: " + first.storedSize());
    assertArrayEquals(data, store.getChunk(first.digest(), data.length));

    PutChunkResult again = store.putChunk(data, 0, data.length);
    assertEquals(new PutChunkResult(first.digest(), false, 0), again);
    LayoutChunkStore cold = anotherStoreOnSameBackend(0);
    assertEquals(new PutChunkResult(first.digest(), false, 0), cold.putChunk(data, 0, data.length));
    assertEquals(1, backend.puts.get());
    // The digest-checked put agrees that it is there.
    assertFalse(store.putChunk(first.digest(), data));
  }

  @Test
  void putsManyChunksOfManySizes() throws Exception {
    List<byte[]> chunks = new ArrayList<>();
    for (int size : new int[] {0, 1, 2, 100, 4096, 65_537, 1 << 20}) {
      chunks.add(chunk(size));
    }
    for (byte[] c : chunks) {
      assertTrue(store.putChunk(Blake3.hash(c), c), "size " + c.length);
    }
    LayoutChunkStore cold = anotherStoreOnSameBackend(0);
    for (byte[] c : chunks) {
      assertArrayEquals(c, cold.getChunk(Blake3.hash(c), c.length), "size " + c.length);
    }
  }

  @Test
  void secondPutIsSkippedWithoutRewriting() throws Exception {
    byte[] data = chunk(10_000);
    B3Digest digest = Blake3.hash(data);
    String key = StoreLayout.chunkKey(digest);
    assertTrue(store.putChunk(digest, data));
    ObjectStat before = backend.stat(key).orElseThrow();
    assertEquals(1, backend.puts.get());

    // Same store: the known-chunks cache answers without any backend call.
    int lookups = backend.lookups.get();
    assertFalse(store.putChunk(digest, data));
    assertTrue(store.hasChunk(digest));
    assertEquals(1, backend.puts.get());
    assertEquals(lookups, backend.lookups.get());

    // A store with a cold cache asks the backend once, and does not upload.
    LayoutChunkStore cold = anotherStoreOnSameBackend(LayoutChunkStore.DEFAULT_KNOWN_CHUNKS);
    assertFalse(cold.putChunk(digest, data));
    assertEquals(1, backend.puts.get());
    assertEquals(lookups + 1, backend.lookups.get());
    assertFalse(cold.putChunk(digest, data));
    assertEquals(lookups + 1, backend.lookups.get());

    // The backend itself refuses to replace the object, even with other bytes.
    assertFalse(backend.delegate.putIfAbsent(key, new byte[] {1, 2, 3}, 0, 3));
    assertArrayEquals(data, store.getChunk(digest, data.length));
    assertEquals(before, backend.stat(key).orElseThrow());
  }

  @Test
  void missingChunkIsNotFound() throws Exception {
    B3Digest digest = Blake3.hash(new byte[] {9});
    assertFalse(store.hasChunk(digest));
    assertEquals(Optional.empty(), store.statChunk(digest));
    ChunkNotFoundException e =
        assertThrows(ChunkNotFoundException.class, () -> store.getChunk(digest, 1));
    assertEquals(digest, e.digest());
    assertTrue(e.getMessage().contains(digest.hex()), e.getMessage());
    assertTrue(e.getMessage().contains(backend.location()), e.getMessage());
  }

  @Test
  void putRefusesWrongDigestAndStoresNothing() throws Exception {
    byte[] data = chunk(1000);
    B3Digest wrong = Blake3.hash(new byte[] {1});
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> store.putChunk(wrong, data));
    assertTrue(e.getMessage().contains(Blake3.hash(data).hex()), e.getMessage());
    assertFalse(store.hasChunk(wrong));
    assertEquals(0, backend.puts.get());
  }

  @Test
  void corruptedChunkIsDetectedOnRead() throws Exception {
    byte[] data = chunk(50_000);
    B3Digest digest = Blake3.hash(data);
    String key = StoreLayout.chunkKey(digest);
    store.putChunk(digest, data);

    // A valid frame of the right size but other content: only BLAKE3 can tell.
    byte[] other = data.clone();
    other[12_345] ^= 1;
    overwriteStoredObject(key, Zstd.compress(other));
    LayoutChunkStore reader = anotherStoreOnSameBackend(0);
    CorruptChunkException e =
        assertThrows(CorruptChunkException.class, () -> reader.getChunk(digest, data.length));
    assertEquals(digest, e.digest());
    assertEquals(key, e.key());
    assertTrue(e.getMessage().contains(digest.hex()), e.getMessage());
    assertTrue(e.getMessage().contains("content hashes to " + Blake3.hash(other).hex()),
        e.getMessage());

    // Not zstd at all.
    overwriteStoredObject(key, "definitely not zstd".getBytes());
    e = assertThrows(CorruptChunkException.class, () -> reader.getChunk(digest, data.length));
    assertTrue(e.getMessage().contains(digest.hex()) && e.getMessage().contains("not a zstd frame"),
        e.getMessage());

    // Truncated frame.
    byte[] frame = Zstd.compress(data);
    overwriteStoredObject(key, java.util.Arrays.copyOf(frame, frame.length / 2));
    e = assertThrows(CorruptChunkException.class, () -> reader.getChunk(digest, data.length));
    assertTrue(e.getMessage().contains(digest.hex()), e.getMessage());

    // The right frame again reads fine: nothing is cached about corrupt objects.
    overwriteStoredObject(key, frame);
    assertArrayEquals(data, reader.getChunk(digest, data.length));
  }

  @Test
  void decompressionBombIsRejected() throws Exception {
    byte[] data = chunk(1000);
    B3Digest digest = Blake3.hash(data);
    String key = StoreLayout.chunkKey(digest);

    // 64 MiB of zeros in a few KiB, without a declared size: decoding must stop at 1000 bytes.
    byte[] bomb;
    try (ZstdCompressCtx ctx = new ZstdCompressCtx().setContentSize(false)) {
      bomb = ctx.compress(new byte[64 << 20]);
    }
    overwriteStoredObject(key, bomb);
    CorruptChunkException e =
        assertThrows(CorruptChunkException.class, () -> store.getChunk(digest, data.length));
    assertTrue(e.getMessage().contains(digest.hex()), e.getMessage());
    assertTrue(e.getMessage().contains("more than the expected 1000 bytes"), e.getMessage());

    // The same with a declared size: refused before decoding.
    overwriteStoredObject(key, Zstd.compress(new byte[64 << 20]));
    e = assertThrows(CorruptChunkException.class, () -> store.getChunk(digest, data.length));
    assertTrue(e.getMessage().contains("declares content size 67108864, expected 1000"),
        e.getMessage());

    // An object far larger than any frame of 1000 bytes is not even read.
    overwriteStoredObject(key, new byte[200_000]);
    e = assertThrows(CorruptChunkException.class, () -> store.getChunk(digest, data.length));
    assertTrue(e.getMessage().contains("larger than any zstd frame of 1000 bytes"), e.getMessage());
  }

  @Test
  void blobIndexRoundTripsAndIsNeverRewritten() throws Exception {
    B3Digest blob = Blake3.hash(chunk(100));
    byte[] index = chunk(5000);
    assertFalse(store.hasBlobIndex(blob));
    assertEquals(Optional.empty(), store.getBlobIndex(blob));

    assertTrue(store.putBlobIndex(blob, index));
    assertTrue(store.hasBlobIndex(blob));
    assertArrayEquals(index, store.getBlobIndex(blob).orElseThrow());
    String key = StoreLayout.blobIndexKey(blob);
    assertTrue(key.startsWith("blobs/b3/" + blob.hex().substring(0, 4) + "/"), key);
    assertArrayEquals(index, backend.delegate.get(key, 10_000).orElseThrow(), "stored verbatim");

    int puts = backend.puts.get();
    assertFalse(store.putBlobIndex(blob, new byte[] {1, 2}));
    assertEquals(puts, backend.puts.get());
    assertArrayEquals(index, store.getBlobIndex(blob).orElseThrow());
    // A blob index is not a chunk.
    assertFalse(store.hasChunk(blob));
  }

  @Test
  void concurrentPutsOfTheSameChunkAllSucceed() throws Exception {
    int threads = 8;
    byte[] data = chunk(200_000);
    B3Digest digest = Blake3.hash(data);
    CyclicBarrier start = new CyclicBarrier(threads);
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try {
      List<Future<Boolean>> results = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        // Each thread its own store (no shared cache), as separate workers would have.
        LayoutChunkStore worker = anotherStoreOnSameBackend(0);
        results.add(
            pool.submit(
                () -> {
                  start.await();
                  return worker.putChunk(digest, data);
                }));
      }
      int stored = 0;
      for (Future<Boolean> r : results) {
        stored += r.get() ? 1 : 0;
      }
      if (exclusiveCreate()) {
        assertEquals(1, stored, "exactly one writer publishes");
      } else {
        assertTrue(stored >= 1, "some writer publishes");
      }
      assertArrayEquals(data, anotherStoreOnSameBackend(0).getChunk(digest, data.length));
    } finally {
      pool.shutdown();
    }
  }

  @Test
  void concurrentPutsOfDifferentChunks() throws Exception {
    int threads = 4;
    List<byte[]> chunks = new ArrayList<>();
    for (int i = 0; i < 24; i++) {
      chunks.add(chunk(1000 + i * 397));
    }
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try {
      List<Future<?>> results = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        results.add(
            pool.submit(
                () -> {
                  for (byte[] c : chunks) {
                    store.putChunk(Blake3.hash(c), c);
                  }
                  return null;
                }));
      }
      for (Future<?> r : results) {
        r.get();
      }
      LayoutChunkStore cold = anotherStoreOnSameBackend(0);
      for (byte[] c : chunks) {
        assertArrayEquals(c, cold.getChunk(Blake3.hash(c), c.length));
      }
    } finally {
      pool.shutdown();
    }
  }

  @Test
  void refusesAbsurdSizes() {
    B3Digest digest = Blake3.hash(new byte[0]);
    assertThrows(IllegalArgumentException.class, () -> store.getChunk(digest, -1));
    assertThrows(IllegalArgumentException.class,
        () -> store.getChunk(digest, LayoutChunkStore.DEFAULT_MAX_CHUNK_SIZE + 1));
  }
}
