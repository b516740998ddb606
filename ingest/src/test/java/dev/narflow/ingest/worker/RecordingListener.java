package dev.narflow.ingest.worker;

import dev.narflow.chunker.nar.ImportStats;
import dev.narflow.topics.nix.StorePath;
import dev.narflow.topics.v1.FetchFailure;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/** Counts what a worker reports; can hold paths between import and commit (the crash tests). */
final class RecordingListener implements IngestListener {
  final Map<StorePath, AtomicInteger> started = new ConcurrentHashMap<>();
  final Map<StorePath, AtomicInteger> imported = new ConcurrentHashMap<>();
  final Map<StorePath, AtomicInteger> indexed = new ConcurrentHashMap<>();
  final List<FetchFailure> failed = new CopyOnWriteArrayList<>();
  final AtomicLong bytes = new AtomicLong();
  /** While set, imported() waits for it: the path's chunks are durable, its records not yet sent. */
  volatile CountDownLatch holdAfterImport;

  @Override
  public void started(StorePath path, long narSize) {
    started.computeIfAbsent(path, k -> new AtomicInteger()).incrementAndGet();
  }

  @Override
  public void bytesRead(long narBytes) {
    bytes.addAndGet(narBytes);
  }

  @Override
  public void imported(StorePath path, ImportStats stats) {
    imported.computeIfAbsent(path, k -> new AtomicInteger()).incrementAndGet();
    CountDownLatch hold = holdAfterImport;
    if (hold != null) {
      try {
        hold.await(2, TimeUnit.MINUTES);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  @Override
  public void indexed(StorePath path, ImportStats stats, long narSize, long fileSize) {
    indexed.computeIfAbsent(path, k -> new AtomicInteger()).incrementAndGet();
  }

  @Override
  public void failed(StorePath path, FetchFailure failure) {
    failed.add(failure);
  }

  int count(Map<StorePath, AtomicInteger> m, StorePath p) {
    AtomicInteger n = m.get(p);
    return n == null ? 0 : n.get();
  }
}
