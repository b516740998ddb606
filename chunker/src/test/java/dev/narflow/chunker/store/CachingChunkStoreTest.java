package dev.narflow.chunker.store;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.github.luben.zstd.Zstd;
import dev.narflow.topics.castore.B3Digest;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The verified-chunk cache over a real local-directory store (its backend counted by a decorator
 * that passes every call on, and can hold a read or fail one): repeated reads cost no store read, raw chunks and frames are kept
 * apart, a failed read (missing or corrupt chunk) is never cached, the bound holds, and readers
 * of a chunk being read wait for that read instead of making their own (when it finds the chunk
 * missing or corrupt, they all get that answer; when it fails otherwise, one of them reads again
 * for the rest).
 */
class CachingChunkStoreTest {
  @TempDir Path dir;
  LocalDirectoryBackend local;
  CountingBackend backend;
  LayoutChunkStore store;
  final Random random = new Random(7);

  @BeforeEach
  void open() throws IOException {
    local = LocalDirectoryBackend.open(dir.resolve("chunks"));
    backend = new CountingBackend(local);
    store = LayoutChunkStore.builder(backend).build();
  }

  @AfterEach
  void close() throws IOException {
    store.close();
  }

  byte[] bytes(int n) {
    byte[] b = new byte[n];
    random.nextBytes(b);
    return b;
  }

  B3Digest put(byte[] data) throws IOException {
    B3Digest digest = store.putChunk(data, 0, data.length).digest();
    store.flush();
    return digest;
  }

  @Test
  void aSecondReadIsServedFromMemory() throws IOException {
    byte[] data = bytes(100_000);
    B3Digest digest = put(data);
    CachingChunkStore cache = CachingChunkStore.over(store, 1 << 20);
    byte[] first = cache.getChunk(digest, data.length);
    assertArrayEquals(data, first);
    assertEquals(1, backend.gets.get());
    assertSame(first, cache.getChunk(digest, data.length), "the cached array itself");
    assertEquals(1, backend.gets.get(), "no second store read");
    CachingChunkStore.Stats stats = cache.stats();
    assertEquals(1, stats.hits());
    assertEquals(1, stats.misses());
    assertTrue(stats.bytes() >= data.length, "holds the chunk: " + stats.bytes());
  }

  @Test
  void framesAreCachedApartFromRawChunks() throws IOException {
    byte[] data = bytes(50_000);
    B3Digest digest = put(data);
    CachingChunkStore cache = CachingChunkStore.over(store, 1 << 20);
    byte[] raw = cache.getChunk(digest, data.length);
    byte[] frame = cache.getChunkFrame(digest, data.length);
    assertEquals(2, backend.gets.get(), "a frame is not made from a cached raw chunk");
    assertArrayEquals(data, raw);
    assertArrayEquals(data, Zstd.decompress(frame, data.length));
    assertSame(frame, cache.getChunkFrame(digest, data.length));
    assertEquals(2, backend.gets.get());
  }

  /** A chunk put in the store, then overwritten there with a valid frame of other bytes. */
  record Corrupted(byte[] data, B3Digest digest, Path file, byte[] good) {
    void repair() throws IOException {
      Files.write(file, good);
    }
  }

  Corrupted corruptChunk() throws IOException {
    byte[] data = bytes(20_000);
    B3Digest digest = put(data);
    Path file = local.pathOf(StoreLayout.chunkKey(digest));
    byte[] good = Files.readAllBytes(file);
    Files.write(file, Zstd.compress(bytes(20_000)));
    return new Corrupted(data, digest, file, good);
  }

  @Test
  void aCorruptChunkIsNotCachedAndIsReadAgainOnceRepaired() throws Exception {
    Corrupted c = corruptChunk();
    CachingChunkStore cache = CachingChunkStore.over(store, 1 << 20);
    assertThrows(CorruptChunkException.class, () -> cache.getChunk(c.digest(), c.data().length));
    assertThrows(CorruptChunkException.class, () -> cache.getChunk(c.digest(), c.data().length), "read again, not cached");
    assertEquals(2, backend.gets.get());
    c.repair();
    assertArrayEquals(c.data(), cache.getChunk(c.digest(), c.data().length));
    assertEquals(0, cache.stats().hits());
  }

  @Test
  void aMissingChunkIsNotCached() throws IOException {
    B3Digest absent = B3Digest.wrap(new byte[32]);
    CachingChunkStore cache = CachingChunkStore.over(store, 1 << 20);
    assertThrows(ChunkNotFoundException.class, () -> cache.getChunk(absent, 10));
    assertThrows(ChunkNotFoundException.class, () -> cache.getChunkFrame(absent, 10));
    assertThrows(ChunkNotFoundException.class, () -> cache.getChunk(absent, 10));
    assertEquals(3, backend.gets.get());
  }

  @Test
  void theCacheStaysWithinItsBound() throws IOException {
    long bound = 1 << 20;
    CachingChunkStore cache = CachingChunkStore.over(store, bound);
    List<B3Digest> digests = new ArrayList<>();
    for (int i = 0; i < 24; i++) digests.add(put(bytes(128 * 1024)));
    for (B3Digest d : digests) {
      cache.getChunk(d, 128 * 1024);
      assertTrue(cache.stats().bytes() <= bound, "holds " + cache.stats().bytes() + " of " + bound);
    }
    assertTrue(cache.stats().bytes() > bound / 2, "but is used: " + cache.stats().bytes());
    // A chunk larger than the whole cache is read and returned, just not kept.
    byte[] large = bytes(2 << 20);
    B3Digest d = put(large);
    assertArrayEquals(large, cache.getChunk(d, large.length));
    assertTrue(cache.stats().bytes() <= bound);
  }

  @Test
  void readersOfAChunkBeingReadWaitForThatRead() throws Exception {
    byte[] data = bytes(64_000);
    B3Digest digest = put(data);
    CachingChunkStore cache = CachingChunkStore.over(store, 1 << 20);
    backend.gate = new CountDownLatch(1);
    int readers = 8;
    ExecutorService pool = readers(readers);
    try {
      // Every reader is parked: one in the store read held at the gate, the rest on that read.
      List<Future<byte[]>> reads = readTogether(pool, readers, () -> cache.getChunk(digest, data.length));
      assertEquals(1, backend.gets.get(), "one store read for " + readers + " readers");
      backend.gate.countDown();
      for (Future<byte[]> r : reads) assertArrayEquals(data, r.get());
      assertEquals(1, backend.gets.get());
      assertEquals(readers - 1, cache.stats().hits());
    } finally {
      backend.gate.countDown();
      pool.shutdownNow();
    }
  }

  @Test
  void whenTheReadTheyJoinedFailsOneWaiterReadsAgainForTheOthers() throws Exception {
    byte[] data = bytes(30_000);
    B3Digest digest = put(data);
    CachingChunkStore cache = CachingChunkStore.over(store, 1 << 20);
    backend.gate = new CountDownLatch(1);
    backend.failNext = true; // the first read fails as a store timeout would
    int readers = 3;
    ExecutorService pool = readers(readers);
    try {
      List<Future<byte[]>> reads = readTogether(pool, readers, () -> cache.getChunk(digest, data.length));
      backend.gate.countDown();
      int failed = 0;
      for (Future<byte[]> r : reads) {
        try {
          assertArrayEquals(data, r.get());
        } catch (ExecutionException e) {
          assertTrue(e.getCause() instanceof IOException, e.toString());
          failed++;
        }
      }
      assertEquals(1, failed, "only the reader whose read failed sees the failure");
      assertEquals(2, backend.gets.get(), "the failed read, then one read again for both waiters");
      assertArrayEquals(data, cache.getChunk(digest, data.length));
      assertEquals(2, backend.gets.get(), "and that one is cached");
    } finally {
      backend.gate.countDown();
      pool.shutdownNow();
    }
  }

  @Test
  void aMissingChunkReachesEveryWaiterFromTheOneRead() throws Exception {
    B3Digest absent = B3Digest.wrap(new byte[32]);
    CachingChunkStore cache = CachingChunkStore.over(store, 1 << 20);
    everyWaiterGetsTheOneReadsFailure(cache, absent, 10, ChunkNotFoundException.class);
    assertThrows(ChunkNotFoundException.class, () -> cache.getChunk(absent, 10), "not cached");
    assertEquals(2, backend.gets.get());
  }

  @Test
  void aCorruptChunkReachesEveryWaiterFromTheOneRead() throws Exception {
    Corrupted c = corruptChunk();
    CachingChunkStore cache = CachingChunkStore.over(store, 1 << 20);
    everyWaiterGetsTheOneReadsFailure(cache, c.digest(), c.data().length, CorruptChunkException.class);
    c.repair();
    assertArrayEquals(c.data(), cache.getChunk(c.digest(), c.data().length), "repaired, and read again: not cached");
    assertEquals(2, backend.gets.get());
  }

  /** Three readers of one chunk, two of them waiting on the first one's read, which fails. */
  private void everyWaiterGetsTheOneReadsFailure(CachingChunkStore cache, B3Digest digest, int size,
      Class<? extends IOException> failure) throws Exception {
    backend.gate = new CountDownLatch(1);
    int readers = 3;
    ExecutorService pool = readers(readers);
    try {
      List<Future<byte[]>> reads = readTogether(pool, readers, () -> cache.getChunk(digest, size));
      backend.gate.countDown();
      Set<Throwable> failures = Collections.newSetFromMap(new IdentityHashMap<>());
      for (Future<byte[]> f : reads) {
        Exception e = assertThrows(Exception.class, f::get);
        assertTrue(failure.isInstance(e.getCause()), e.toString());
        failures.add(e.getCause());
      }
      assertEquals(readers, failures.size(), "each reader its own exception object");
      assertEquals(1, backend.gets.get(), "one store read: asking again at once would only repeat its answer");
      assertEquals(0, cache.stats().hits());
    } finally {
      backend.gate.countDown();
      pool.shutdownNow();
    }
  }

  /** {@code n} calls of {@code read} on {@code pool}, returned once all are parked in the cache. */
  private static List<Future<byte[]>> readTogether(ExecutorService pool, int n, Callable<byte[]> read)
      throws InterruptedException {
    List<Future<byte[]>> reads = new ArrayList<>();
    for (int i = 0; i < n; i++) reads.add(pool.submit(read));
    awaitParked(n);
    return reads;
  }

  private static ExecutorService readers(int n) {
    return Executors.newFixedThreadPool(n, r -> new Thread(r, "cache-reader"));
  }

  /** Waits until {@code n} reader threads are parked in the cache (at the gate, or on another read). */
  private static void awaitParked(int n) throws InterruptedException {
    for (int i = 0; i < 6000; i++) { // a minute, as the suite's other waits
      long parked = Thread.getAllStackTraces().keySet().stream()
          .filter(t -> t.getName().equals("cache-reader") && t.getState() == Thread.State.WAITING)
          .filter(t -> List.of(t.getStackTrace()).stream().anyMatch(f -> f.getClassName().endsWith("CachingChunkStore")))
          .count();
      if (parked >= n) return;
      Thread.sleep(10);
    }
    throw new AssertionError("readers did not all park");
  }
}
