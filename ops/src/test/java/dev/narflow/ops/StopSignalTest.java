package dev.narflow.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class StopSignalTest {
  @Test
  void theHookAsksActionsToStopAndHoldsTheJvmUntilTheCommandHasClosed() throws Exception {
    StopSignal signal = new StopSignal(Duration.ofHours(1));
    AtomicInteger woken = new AtomicInteger();
    signal.onStop(woken::incrementAndGet);
    signal.onStop(() -> {
      throw new IllegalStateException("a failing action does not stop the others");
    });
    signal.onStop(woken::incrementAndGet);
    assertFalse(signal.requested());
    assertFalse(signal.await(Duration.ZERO));

    Thread hook = signal.hook();
    hook.start();
    assertTrue(signal.await(Duration.ofMinutes(1)), "the hook asks for the stop");
    assertTrue(signal.requested());
    long deadline = System.nanoTime() + Duration.ofMinutes(1).toNanos();
    while (woken.get() < 2 && System.nanoTime() < deadline) Thread.onSpinWait();
    assertEquals(2, woken.get());
    assertTrue(hook.isAlive(), "the hook waits for the command to finish closing");

    AtomicInteger late = new AtomicInteger();
    signal.onStop(late::incrementAndGet);
    assertEquals(1, late.get(), "an action added after the request runs at once");

    signal.close();
    hook.join(Duration.ofMinutes(1).toMillis());
    assertFalse(hook.isAlive(), "released by close()");
  }

  @Test
  void anInstalledSignalIsRemovedOnClose() {
    StopSignal signal = StopSignal.install(Duration.ofSeconds(1));
    signal.close();
    // Removed: registering the same thread again is allowed only if it is no longer registered.
    Runtime.getRuntime().addShutdownHook(signal.hook());
    assertTrue(Runtime.getRuntime().removeShutdownHook(signal.hook()));
  }
}
