package dev.narflow.ops;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Ctrl-C (or SIGTERM) as a request to stop cleanly. The JVM runs shutdown hooks and then halts,
 * whatever the main thread is doing; so the hook installed here marks the request, runs the
 * {@link #onStop} actions (to wake the command's loop), and then holds the JVM until the command
 * has closed what it opened ({@link #close}), for at most a grace period. Without it an embedded
 * broker would be cut off in the middle of its shutdown.
 */
public final class StopSignal implements AutoCloseable {
  private final CountDownLatch requested = new CountDownLatch(1);
  private final CountDownLatch finished = new CountDownLatch(1);
  private final List<Runnable> actions = new ArrayList<>();
  private boolean stopping;
  private final Duration grace;
  private final Thread hook;

  StopSignal(Duration grace) {
    this.grace = grace;
    this.hook = new Thread(this::stopAndWait, "narflow-stop");
  }

  /** Installs the shutdown hook; {@link #close} removes it. */
  public static StopSignal install(Duration grace) {
    StopSignal signal = new StopSignal(grace);
    Runtime.getRuntime().addShutdownHook(signal.hook);
    return signal;
  }

  /** Whether a stop was asked for. */
  public boolean requested() {
    return requested.getCount() == 0;
  }

  /** Waits until a stop is asked for, or the timeout passes; true when asked. */
  public boolean await(Duration timeout) throws InterruptedException {
    return requested.await(timeout.toNanos(), TimeUnit.NANOSECONDS);
  }

  /** Runs {@code action} when a stop is asked for (at once, if it already was). */
  public void onStop(Runnable action) {
    synchronized (actions) {
      if (!stopping) {
        actions.add(action);
        return;
      }
    }
    action.run();
  }

  /** The hook's body: ask, then hold the JVM until the command has finished closing. */
  void stopAndWait() {
    List<Runnable> toRun;
    synchronized (actions) {
      stopping = true;
      toRun = List.copyOf(actions);
    }
    requested.countDown();
    for (Runnable action : toRun) {
      try {
        action.run();
      } catch (RuntimeException e) {
        // A failing action must not keep the others, or the wait, from running.
      }
    }
    try {
      finished.await(grace.toNanos(), TimeUnit.NANOSECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  Thread hook() {
    return hook;
  }

  /** The command has closed everything: releases a waiting hook, or removes the unused one. */
  @Override
  public void close() {
    finished.countDown();
    try {
      Runtime.getRuntime().removeShutdownHook(hook);
    } catch (IllegalStateException shuttingDown) {
      // The hook is running (or ran): it has just been released.
    } catch (IllegalArgumentException notInstalled) {
      // Made without install(), in tests.
    }
  }
}
