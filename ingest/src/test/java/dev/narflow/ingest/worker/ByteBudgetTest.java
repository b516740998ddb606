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
        b.acquireNar(n);
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
  void manySmallPathsFitAndABigOneWeighsAQuarterOfTheBudget() throws Exception {
    ByteBudget b = new ByteBudget(100);
    for (int i = 0; i < 10; i++) assertEquals(10, b.acquireNar(10));
    assertEquals(100, b.used());
    CompletableFuture<Void> big = acquireAsync(b, 500);
    awaitWaiting(b, 1, big);
    for (int i = 0; i < 2; i++) b.release(10);
    assertFalse(big.isDone(), "80 + 25 does not fit in 100");
    b.release(10);
    big.get(10, TimeUnit.SECONDS); // larger than the whole budget, yet it runs beside the others
    assertEquals(95, b.used());
  }

  @Test
  void bigNarsRunFourAtOnceNotOneAfterAnother() throws Exception {
    ByteBudget b = new ByteBudget(1000);
    for (int i = 0; i < ByteBudget.BIG_NARS_AT_ONCE; i++) assertEquals(250, b.acquireNar(900));
    CompletableFuture<Void> fifth = acquireAsync(b, 900);
    awaitWaiting(b, 1, fifth);
    b.release(250);
    fifth.get(10, TimeUnit.SECONDS);
    assertEquals(1000, b.used());
  }

  @Test
  void aWaitingBigPathIsNotOvertakenBySmallOnes() throws Exception {
    ByteBudget b = new ByteBudget(100);
    for (int i = 0; i < 4; i++) b.acquireNar(20);
    CompletableFuture<Void> big = acquireAsync(b, 80); // weighs 25: 105 > 100
    awaitWaiting(b, 1, big);
    CompletableFuture<Void> small = acquireAsync(b, 10); // would fit, but the big one came first
    awaitWaiting(b, 2, small);
    b.release(20);
    big.get(10, TimeUnit.SECONDS);
    small.get(10, TimeUnit.SECONDS);
    assertEquals(95, b.used());
  }

  @Test
  void whatFinishedPathsHoldIsChargedWithoutWaitingAndHoldsBackNewNars() throws Exception {
    ByteBudget b = new ByteBudget(100);
    long weight = b.acquireNar(20);
    b.charge(90); // the poll thread never waits, even past the limit
    assertEquals(110, b.used());
    b.release(weight);
    CompletableFuture<Void> next = acquireAsync(b, 60); // weighs 25: 115 > 100
    awaitWaiting(b, 1, next);
    b.release(90); // the commit
    next.get(10, TimeUnit.SECONDS);
    assertEquals(25, b.used());
  }
}
