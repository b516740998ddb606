package dev.narflow.ingest.worker;

import dev.narflow.chunker.nar.ImportStats;
import dev.narflow.topics.nix.StorePath;
import dev.narflow.topics.v1.FetchFailure;
import java.util.List;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Several listeners as one (see {@link IngestListener#all}). Forwards every method of
 * {@link IngestListener} and of its UpstreamObserver: a method added there must be added here.
 */
final class IngestListeners implements IngestListener {
  private static final Logger log = LoggerFactory.getLogger(IngestListeners.class);

  private final List<IngestListener> listeners;

  IngestListeners(List<IngestListener> listeners) {
    this.listeners = List.copyOf(listeners);
  }

  private void each(Consumer<IngestListener> call) {
    for (IngestListener l : listeners) {
      try {
        call.accept(l);
      } catch (RuntimeException e) {
        log.warn("ingest listener {} failed (ignored)", l.getClass().getName(), e);
      }
    }
  }

  @Override
  public void started(StorePath path, long narSize) {
    each(l -> l.started(path, narSize));
  }

  @Override
  public void bytesRead(long narBytes) {
    each(l -> l.bytesRead(narBytes));
  }

  @Override
  public void imported(StorePath path, ImportStats stats) {
    each(l -> l.imported(path, stats));
  }

  @Override
  public void indexed(StorePath path, ImportStats stats, long narSize, long fileSize) {
    each(l -> l.indexed(path, stats, narSize, fileSize));
  }

  @Override
  public void retrying(StorePath path, FetchFailure.Reason reason, int attempt) {
    each(l -> l.retrying(path, reason, attempt));
  }

  @Override
  public void failed(StorePath path, FetchFailure failure) {
    each(l -> l.failed(path, failure));
  }

  @Override
  public void transactionCommitted(int paths, long nanos) {
    each(l -> l.transactionCommitted(paths, nanos));
  }

  @Override
  public void transactionAborted(int paths) {
    each(l -> l.transactionAborted(paths));
  }

  @Override
  public void responded(Request request, int status, long nanos) {
    each(l -> l.responded(request, status, nanos));
  }

  @Override
  public void noResponse(Request request, FetchFailure.Reason reason, long nanos) {
    each(l -> l.noResponse(request, reason, nanos));
  }
}
