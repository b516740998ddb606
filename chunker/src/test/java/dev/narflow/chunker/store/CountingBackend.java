package dev.narflow.chunker.store;

import java.io.IOException;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Passes every call through to a real backend, counting them (not a mock: every call is served).
 * A test may also hold reads at a {@link #gate} or fail the next one ({@link #failNext}): a slow
 * store and a store timeout, which a local directory cannot be made to show.
 */
public final class CountingBackend implements ObjectBackend {
  public final ObjectBackend delegate;
  public final AtomicInteger puts = new AtomicInteger();
  public final AtomicInteger gets = new AtomicInteger();
  /** Of {@link #gets}, those of blob indexes ({@code blobs/…}); the rest read chunks. */
  public final AtomicInteger blobIndexGets = new AtomicInteger();
  public final AtomicInteger lookups = new AtomicInteger(); // exists and stat
  /** When set, every read counted waits for it before it goes on. */
  public volatile CountDownLatch gate;
  /** Fails the next read that passes the gate, once. */
  public volatile boolean failNext;

  public CountingBackend(ObjectBackend delegate) {
    this.delegate = delegate;
  }

  @Override
  public boolean putIfAbsent(String key, byte[] data, int off, int len) throws IOException {
    puts.incrementAndGet();
    return delegate.putIfAbsent(key, data, off, len);
  }

  @Override
  public Optional<byte[]> get(String key, int maxBytes) throws IOException {
    gets.incrementAndGet();
    if (key.startsWith("blobs/")) blobIndexGets.incrementAndGet();
    CountDownLatch g = gate;
    if (g != null) {
      try {
        g.await();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IOException("interrupted at the test's gate");
      }
    }
    if (failNext) {
      failNext = false;
      throw new IOException("injected: the store timed out");
    }
    return delegate.get(key, maxBytes);
  }

  @Override
  public Optional<ObjectStat> stat(String key) throws IOException {
    lookups.incrementAndGet();
    return delegate.stat(key);
  }

  @Override
  public boolean exists(String key) throws IOException {
    lookups.incrementAndGet();
    return delegate.exists(key);
  }

  @Override
  public void flush() throws IOException {
    delegate.flush();
  }

  @Override
  public String location() {
    return delegate.location();
  }

  @Override
  public void close() throws IOException {
    delegate.close();
  }
}
