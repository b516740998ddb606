package dev.narflow.chunker.nar;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.narflow.chunker.blob.ChunkFetcher;
import dev.narflow.chunker.blob.ChunkPrefetcher;
import dev.narflow.chunker.cdc.FastCdc;
import dev.narflow.chunker.store.LayoutChunkStore;
import dev.narflow.chunker.store.LocalDirectoryBackend;
import dev.narflow.chunker.testing.CountingChunkStore;
import dev.narflow.chunker.testing.SyntheticNar;
import dev.narflow.topics.castore.B3Digest;
import dev.narflow.topics.castore.v1.StatBlobResponse;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Renders sharing one {@link ChunkFetcher}, over a real local store behind a decorator that
 * records (and where a test needs it, slows or holds) every chunk fetch.
 */
class SharedFetcherTest {
  /** Small chunks, so that NARs of a few MiB have hundreds of them. */
  private static final FastCdc.Params PARAMS = FastCdc.Params.of(8 * 1024, 16 * 1024, 32 * 1024);
  private static final ChunkPrefetcher.Window WINDOW = new ChunkPrefetcher.Window(64, 4 << 20, 64, PARAMS.minSize());

  @TempDir Path dir;
  private Store store;
  private final List<AutoCloseable> toClose = new ArrayList<>();

  /** The real store, with hooks. */
  static class Store extends CountingChunkStore {
    final AtomicLong delayNanos = new AtomicLong();
    final AtomicReference<ChunkFetcher> watched = new AtomicReference<>();
    final AtomicLong mostReserved = new AtomicLong();
    final AtomicInteger running = new AtomicInteger();
    final AtomicInteger done = new AtomicInteger();
    final List<String> calls = new CopyOnWriteArrayList<>(); // "index" or "chunk", as they start
    volatile Set<B3Digest> held = Set.of();
    final CountDownLatch holding = new CountDownLatch(1);
    final CountDownLatch release = new CountDownLatch(1);

    Store(Path dir) throws IOException {
      super(LayoutChunkStore.builder(LocalDirectoryBackend.open(dir, false)).build());
    }

    @Override
    public java.util.Optional<byte[]> getBlobIndex(B3Digest blob) throws IOException {
      calls.add("index");
      long delay = delayNanos.get();
      if (delay > 0) {
        try {
          TimeUnit.NANOSECONDS.sleep(delay);
        } catch (InterruptedException e) {
          throw new InterruptedIOException("interrupted fetching blob index " + blob.hex());
        }
      }
      return super.getBlobIndex(blob);
    }

    @Override
    public byte[] getChunk(B3Digest digest, int size) throws IOException {
      calls.add("chunk");
      running.incrementAndGet();
      try {
        ChunkFetcher f = watched.get();
        if (f != null) mostReserved.accumulateAndGet(f.bytesReserved(), Math::max);
        if (held.contains(digest)) {
          holding.countDown();
          release.await();
        }
        long delay = delayNanos.get();
        if (delay > 0) TimeUnit.NANOSECONDS.sleep(delay);
        return super.getChunk(digest, size);
      } catch (InterruptedException e) {
        throw new InterruptedIOException("interrupted fetching " + digest.hex());
      } finally {
        running.decrementAndGet();
        done.incrementAndGet();
      }
    }
  }

  @BeforeEach
  void open() throws IOException {
    store = new Store(dir);
  }

  @AfterEach
  void close() throws Exception {
    store.release.countDown();
    for (AutoCloseable c : toClose) c.close();
    store.close();
  }

  private ImportResult importNar(SyntheticNar nar) throws IOException {
    try (NarImporter importer = NarImporter.builder(store).params(PARAMS).build()) {
      return importer.importNar(nar);
    }
  }

  /** A directory of {@code files} files of {@code size} bytes each, contents from {@code seed} on. */
  private ImportResult directory(int files, long size, long seed) throws IOException {
    List<SyntheticNar.File> list = new ArrayList<>();
    for (int i = 0; i < files; i++) list.add(new SyntheticNar.File(String.format("f%04d", i), size, seed + i, false));
    return importNar(SyntheticNar.directory(list));
  }

  private static byte[] expected(int files, long size, long seed) throws IOException {
    List<SyntheticNar.File> list = new ArrayList<>();
    for (int i = 0; i < files; i++) list.add(new SyntheticNar.File(String.format("f%04d", i), size, seed + i, false));
    return SyntheticNar.directory(list).readAllBytes();
  }

  private ChunkFetcher fetcher(int threads, long maxBytes) {
    ChunkFetcher f = ChunkFetcher.start(new ChunkFetcher.Limits(threads, maxBytes));
    toClose.add(f);
    return f;
  }

  private NarRenderer renderer(ChunkFetcher fetcher, ImportResult... results) {
    java.util.Map<B3Digest, StatBlobResponse> indexes = new java.util.HashMap<>();
    for (ImportResult r : results) indexes.putAll(r.blobIndexes());
    NarRenderer r = NarRenderer.builder(store).fetcher(fetcher).window(WINDOW)
        .blobIndexes(dev.narflow.chunker.blob.BlobIndexLookup.of(indexes)).build();
    toClose.add(r);
    return r;
  }

  @Test
  void manyRendersAtOnceNeverHoldMoreThanTheBudgetAndRenderTheSameBytes() throws Exception {
    // 24 renders of 4 NARs (small files, and large multi-chunk ones), whose windows add up to 96 MiB,
    // within a budget of 1 MiB.
    long budget = 1 << 20;
    ImportResult small = directory(200, 3000, 1);
    ImportResult large = directory(3, 2 << 20, 1000);
    ImportResult mixed = directory(20, 200_000, 2000);
    ImportResult single = importNar(SyntheticNar.singleFile(5 << 20, 3000));
    List<ImportResult> nars = List.of(small, large, mixed, single);
    List<byte[]> expected = List.of(expected(200, 3000, 1), expected(3, 2 << 20, 1000), expected(20, 200_000, 2000),
        SyntheticNar.singleFile(5 << 20, 3000).readAllBytes());
    ChunkFetcher fetcher = fetcher(4, budget);
    store.watched.set(fetcher);
    NarRenderer renderer = renderer(fetcher, small, large, mixed, single);
    ExecutorService clients = Executors.newFixedThreadPool(24);
    try {
      List<Future<byte[]>> renders = new ArrayList<>();
      for (int i = 0; i < 24; i++) {
        ImportResult nar = nars.get(i % 4);
        // Clients that read slowly now and then, so that renders hold their chunks for a while.
        renders.add(clients.submit(() -> {
          ByteArrayOutputStream out = new ByteArrayOutputStream();
          renderer.render(nar.root(), DirectoryLookup.of(nar.directories()), 0, Long.MAX_VALUE, new OutputStream() {
            long written;

            @Override
            public void write(int b) {
              out.write(b);
            }

            @Override
            public void write(byte[] b, int off, int len) {
              if ((written += len) % 7 == 0) Thread.yield();
              out.write(b, off, len);
            }
          });
          return out.toByteArray();
        }));
      }
      for (int i = 0; i < renders.size(); i++) {
        assertArrayEquals(expected.get(i % 4), renders.get(i).get(2, TimeUnit.MINUTES), "render " + i);
      }
    } finally {
      clients.shutdownNow();
    }
    // The single 5 MiB file alone has 300-odd chunks: every render fetched everything it needed.
    assertTrue(store.chunkGets.size() > 6 * 300, store.chunkGets.size() + " fetches");
    assertTrue(store.mostReserved.get() <= budget, "at most the budget reserved: " + store.mostReserved.get());
    assertTrue(store.mostReserved.get() > budget / 2, "and the budget used: " + store.mostReserved.get());
    assertEquals(0, fetcher.bytesReserved(), "every render released what it held");
    assertEquals(0, fetcher.sessions());
  }

  @Test
  void aSmallRenderIsNotQueuedBehindALargeOnesReadAhead() throws Exception {
    ImportResult large = directory(4, 1 << 20, 1); // ~250 chunks
    ImportResult small = directory(10, 2000, 100); // 10 chunks
    Set<B3Digest> smallChunks = new HashSet<>();
    for (var d : small.directories()) for (var f : d.getFilesList()) smallChunks.add(B3Digest.of(f.getDigest()));
    assertEquals(10, smallChunks.size());
    // One thread: every fetch of both renders is a turn taken on it. Each fetch takes 3 ms, so the
    // large render takes about a second; the small one needs 10 turns.
    ChunkFetcher fetcher = fetcher(1, 64 << 20);
    NarRenderer renderer = renderer(fetcher, large, small);
    store.delayNanos.set(TimeUnit.MILLISECONDS.toNanos(3));
    java.util.concurrent.atomic.AtomicReference<Throwable> largeFailed = new java.util.concurrent.atomic.AtomicReference<>();
    Thread largeRender = new Thread(() -> {
      try {
        NarRoundTrip.render(renderer, large);
      } catch (IOException | RuntimeException e) {
        largeFailed.set(e);
      }
    });
    largeRender.start();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (store.chunkGets.size() < 5) { // it is well under way, its window queued
      assertTrue(System.nanoTime() < deadline && largeRender.isAlive(), "the large render did not get going");
      Thread.sleep(1);
    }
    int before = store.chunkGets.size();
    byte[] rendered = NarRoundTrip.render(renderer, small);
    List<B3Digest> during = new ArrayList<>(store.chunkGets.subList(before, store.chunkGets.size()));
    boolean largeStillGoing = largeRender.isAlive();
    largeRender.join(60_000);
    assertTrue(!largeRender.isAlive() && largeFailed.get() == null, "the large render: " + largeFailed.get());
    assertTrue(largeStillGoing, "the small render finished while the large one was still going");
    assertArrayEquals(expected(10, 2000, 100), rendered);
    int firstSmall = -1;
    int lastSmall = -1;
    for (int i = 0; i < during.size(); i++) {
      if (smallChunks.contains(during.get(i))) {
        if (firstSmall < 0) firstSmall = i;
        lastSmall = i;
      }
    }
    // The large render had 64 chunks queued: a shared queue in order would put all of them first.
    // At most two large fetches first: the one running when the small render began, and one that
    // may start while the small render walks its tree, before it asks for anything.
    assertTrue(firstSmall >= 0 && firstSmall <= 2, "the small render's first chunk came next: at "
        + firstSmall + " of " + during.size());
    int largeFetchesMeanwhile = lastSmall + 1 - 10;
    assertTrue(largeFetchesMeanwhile <= 10 + 2, "turns taken, not a queue: the large render fetched "
        + largeFetchesMeanwhile + " chunks while the small one fetched its 10");
  }

  @Test
  void theFirstChunkIsNotQueuedBehindTheLookupsOfLaterFiles() throws Exception {
    // 40 multi-chunk files and no index at hand: each needs its blob index from the store, and the
    // render asks for the next 64 ahead. One thread, so the order of calls is the order of need.
    ImportResult nar = directory(40, 100_000, 1);
    ChunkFetcher fetcher = fetcher(1, 16 << 20);
    NarRenderer renderer = NarRenderer.builder(store).fetcher(fetcher).window(WINDOW).build();
    toClose.add(renderer);
    // Store calls take time, as they do on S3 (1 ms here, 20 ms there): instant lookups would let
    // the one thread run through all 40 before the render has asked for its first chunk.
    store.delayNanos.set(TimeUnit.MILLISECONDS.toNanos(1));
    assertArrayEquals(expected(40, 100_000, 1), NarRoundTrip.render(renderer, nar));
    List<String> calls = store.calls;
    assertEquals(40, calls.stream().filter("index"::equals).count());
    // The first file's index, then its chunks; at most one more lookup may start while the render
    // reads the first index and asks for its chunks.
    assertTrue(calls.indexOf("chunk") <= 2, "first chunk after " + calls.indexOf("chunk") + " lookups: " + calls.subList(0, Math.min(50, calls.size())));
  }

  @Test
  void closingTheFetcherFailsRendersWaitingForItWithAnIOException() throws Exception {
    ImportResult a = importNar(SyntheticNar.singleFile(1000, 1));
    ImportResult b = importNar(SyntheticNar.singleFile(1000, 2));
    ImportResult c = importNar(SyntheticNar.singleFile(1000, 3));
    store.held = Set.of(B3Digest.of(a.root().getFile().getDigest()));
    ChunkFetcher fetcher = fetcher(1, 1 << 20);
    NarRenderer renderer = renderer(fetcher, a, b);
    AtomicReference<Throwable> outcomeA = new AtomicReference<>();
    AtomicReference<Throwable> outcomeB = new AtomicReference<>();
    AtomicReference<Throwable> outcomeC = new AtomicReference<>();
    Thread renderA = renderThread(renderer, a, outcomeA);
    renderA.start();
    assertTrue(store.holding.await(30, TimeUnit.SECONDS));
    Thread renderB = renderThread(renderer, b, outcomeB); // queued behind A's fetch on the only thread
    renderB.start();
    Thread renderC = renderThread(renderer, c, outcomeC); // interrupted while it waits
    renderC.start();
    waitUntilWaiting(renderB);
    waitUntilWaiting(renderC);
    renderC.interrupt();
    renderC.join(10_000);
    assertInstanceOf(InterruptedIOException.class, outcomeC.get());
    fetcher.close(); // the store call A waits on is still held
    renderA.join(10_000);
    renderB.join(10_000);
    assertFalse(renderA.isAlive() || renderB.isAlive(), "renders waiting on a closed fetcher do not wait on");
    assertInstanceOf(IOException.class, outcomeA.get());
    assertInstanceOf(IOException.class, outcomeB.get());
    IOException later = assertThrows(IOException.class, () -> NarRoundTrip.render(renderer, a));
    assertTrue(later.getMessage().contains("closed"), later.getMessage());
  }

  private static Thread renderThread(NarRenderer renderer, ImportResult nar, AtomicReference<Throwable> outcome) {
    return new Thread(() -> {
      try {
        NarRoundTrip.render(renderer, nar);
        outcome.set(new AssertionError("rendered"));
      } catch (Throwable t) {
        outcome.set(t);
      }
    });
  }

  private static void waitUntilWaiting(Thread t) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (t.getState() != Thread.State.WAITING) {
      assertTrue(t.isAlive(), "ended while the only fetch thread was held");
      assertTrue(System.nanoTime() < deadline, "never came to wait");
      Thread.sleep(1);
    }
  }

  @Test
  void aRenderWhoseClientIsGoneReleasesItsBudgetAtOnce() throws Exception {
    ImportResult nar = directory(2, 1 << 20, 1); // ~130 chunks: more than the window
    ChunkFetcher fetcher = fetcher(4, 16 << 20);
    NarRenderer renderer = renderer(fetcher, nar);
    CountDownLatch stalled = new CountDownLatch(1);
    CountDownLatch gone = new CountDownLatch(1);
    AtomicReference<Throwable> outcome = new AtomicReference<>();
    Thread render = new Thread(() -> {
      try {
        renderer.render(nar.root(), DirectoryLookup.of(nar.directories()), new OutputStream() {
          long written;

          @Override
          public void write(int b) throws IOException {
            write(new byte[] {(byte) b}, 0, 1);
          }

          @Override
          public void write(byte[] b, int off, int len) throws IOException {
            written += len;
            if (written < 100_000) return;
            stalled.countDown(); // a slow client: the render is stuck in a write
            try {
              gone.await();
            } catch (InterruptedException e) {
              throw new InterruptedIOException();
            }
            throw new IOException("connection reset by peer");
          }
        });
      } catch (Throwable t) {
        outcome.set(t);
      }
    });
    render.start();
    assertTrue(stalled.await(30, TimeUnit.SECONDS));
    // The render has its window of 64 chunks fetched ahead (and the one it writes) reserved.
    int fetched = quiet();
    assertTrue(fetcher.bytesReserved() >= 64 * PARAMS.minSize(), fetcher.bytesReserved() + " bytes reserved");
    assertEquals(1, fetcher.sessions());
    gone.countDown();
    render.join(10_000);
    assertInstanceOf(IOException.class, outcome.get());
    assertEquals(0, fetcher.bytesReserved(), "nothing held for a render that ended");
    assertEquals(0, fetcher.sessions());
    assertEquals(fetched, store.done.get(), "and nothing fetched for it after");
  }

  /** Waits until no fetch has run for a while; returns how many have run. */
  private int quiet() throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    int seen = -1;
    while (System.nanoTime() < deadline) {
      Thread.sleep(100);
      int now = store.done.get();
      if (now == seen && store.running.get() == 0 && now >= 65) return now;
      seen = now;
    }
    throw new AssertionError("fetches did not settle within 60 s: " + store.done.get() + " done, "
        + store.running.get() + " running");
  }
}
