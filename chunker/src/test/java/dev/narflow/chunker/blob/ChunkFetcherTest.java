package dev.narflow.chunker.blob;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The fetcher's scheduling alone, with fetches that record when they run (the renders over a real
 * store are in {@code SharedFetcherTest}).
 */
class ChunkFetcherTest {
  @Test
  void aSessionsFetchesStartInTheOrderItNeedsThemNotTheOrderQueued() throws Exception {
    try (ChunkFetcher fetcher = ChunkFetcher.start(new ChunkFetcher.Limits(1, 1 << 20))) {
      CountDownLatch release = new CountDownLatch(1);
      ChunkFetcher.Session other = fetcher.open();
      ChunkFetcher.Pending<Integer> blocking = other.submit(0, 10, () -> {
        await(release);
        return 0;
      });
      // Queued while the only thread is busy: lookups of later blobs first, the chunk needed now last.
      ChunkFetcher.Session render = fetcher.open();
      List<Long> ran = new CopyOnWriteArrayList<>();
      List<ChunkFetcher.Pending<Long>> pending = new java.util.ArrayList<>();
      for (long order : new long[] {5L << 32, 3L << 32, 9L << 32, (2L << 32) + 1}) {
        pending.add(render.submit(order, 10, () -> {
          ran.add(order);
          return order;
        }));
      }
      release.countDown();
      for (ChunkFetcher.Pending<Long> p : pending) p.get();
      assertEquals(List.of((2L << 32) + 1, 3L << 32, 5L << 32, 9L << 32), ran);
      assertEquals(0, blocking.get());
      render.close();
      other.close();
      assertEquals(0, fetcher.bytesReserved());
    }
  }

  @Test
  void aFetchLargerThanTheBudgetRunsAloneAndOthersWaitForItsRelease() throws Exception {
    try (ChunkFetcher fetcher = ChunkFetcher.start(new ChunkFetcher.Limits(2, 100))) {
      ChunkFetcher.Session big = fetcher.open();
      ChunkFetcher.Pending<String> huge = big.submit(0, 500, () -> "huge");
      assertEquals("huge", huge.get());
      assertEquals(500, fetcher.bytesReserved());
      ChunkFetcher.Session small = fetcher.open();
      ChunkFetcher.Pending<String> next = small.submit(0, 10, () -> "small");
      Thread.sleep(100); // a free thread, but no budget: it must not start
      assertFalse(next.isDone(), "started beyond the budget");
      huge.release();
      assertEquals("small", next.get());
      assertEquals(10, fetcher.bytesReserved());
      small.close();
      big.close();
      assertEquals(0, fetcher.bytesReserved());
    }
  }

  @Test
  void aClosedFetcherRefusesWithAnIOException() throws Exception {
    ChunkFetcher fetcher = ChunkFetcher.start(new ChunkFetcher.Limits(1, 100));
    ChunkFetcher.Session session = fetcher.open();
    fetcher.close();
    assertThrows(IOException.class, () -> session.submit(0, 1, () -> "x"));
    assertThrows(IOException.class, fetcher::open);
  }

  private static void await(CountDownLatch latch) throws IOException {
    try {
      if (!latch.await(60, TimeUnit.SECONDS)) throw new IOException("never released");
    } catch (InterruptedException e) {
      throw new java.io.InterruptedIOException();
    }
  }
}
