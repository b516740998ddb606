package dev.narflow.ingest.worker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class ByteBudgetTest {
  static CompletableFuture<Void> acquireAsync(ByteBudget b, long n) {
    return CompletableFuture.runAsync(() -> {
      try {
        b.acquire(n);
      } catch (InterruptedException e) {
        throw new IllegalStateException(e);
      }
    });
  }

  /** Waits until {@code waiters} acquisitions are queued, then checks {@code f} is one that has not got its bytes. */
  static void awaitWaiting(ByteBudget b, int waiters, CompletableFuture<Void> f) throws Exception {
    WorkerKit.await(waiters + " waiting", Duration.ofSeconds(10), () -> b.waiting() == waiters);
    assertFalse(f.isDone(), "still waiting for room");
  }

  @Test
  void manySmallPathsFitWhereOneBigOneRunsAlone() throws Exception {
    ByteBudget b = new ByteBudget(100);
    for (int i = 0; i < 10; i++) b.acquire(10);
    assertEquals(100, b.used());
    CompletableFuture<Void> big = acquireAsync(b, 500);
    awaitWaiting(b, 1, big);
    for (int i = 0; i < 10; i++) b.release(10);
    big.get(10, TimeUnit.SECONDS); // larger than the budget, so it runs alone once nothing else does
    assertEquals(500, b.used());
    CompletableFuture<Void> small = acquireAsync(b, 1);
    awaitWaiting(b, 1, small);
    b.release(500);
    small.get(10, TimeUnit.SECONDS);
  }

  @Test
  void aWaitingBigPathIsNotOvertakenBySmallOnes() throws Exception {
    ByteBudget b = new ByteBudget(100);
    b.acquire(60);
    CompletableFuture<Void> big = acquireAsync(b, 80);
    awaitWaiting(b, 1, big);
    CompletableFuture<Void> small = acquireAsync(b, 10); // would fit, but the big one came first
    awaitWaiting(b, 2, small);
    b.release(60);
    big.get(10, TimeUnit.SECONDS);
    small.get(10, TimeUnit.SECONDS);
    assertEquals(90, b.used());
  }

  @Test
  void whatFinishedPathsHoldIsChargedWithoutWaitingAndHoldsBackNewNars() throws Exception {
    ByteBudget b = new ByteBudget(100);
    b.acquire(90);
    b.charge(50); // the poll thread never waits, even past the limit
    assertEquals(140, b.used());
    b.release(90);
    CompletableFuture<Void> next = acquireAsync(b, 60);
    awaitWaiting(b, 1, next);
    b.release(50); // the commit
    next.get(10, TimeUnit.SECONDS);
    assertEquals(60, b.used());
  }
}
