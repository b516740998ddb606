package dev.narflow.ops.mirror;

import dev.narflow.ops.ByteSize;
import dev.narflow.ops.StatusLine;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.LongSupplier;

/**
 * What {@code narflow mirror} tells the operator while it runs and when it ends. On a terminal,
 * one live line ({@code 12/40 paths, 1.2 GiB NAR, 85.3 MiB/s, dedup 2.1x, ETA 0:42}) redrawn on
 * stderr with problems printed above it; otherwise a plain line per finished path and per problem,
 * and the status every {@link StatusLine#LOG_INTERVAL_NANOS}. The summary goes to stdout.
 *
 * <p>Fed with {@link MirrorCounters} snapshots as often as the caller likes (redraws are
 * throttled) and with events, from any thread.
 */
public final class MirrorProgress implements AutoCloseable {
  /** Waited-on paths listed per incomplete path before "and N more". */
  static final int WAITING_LISTED = 3;

  private final PrintWriter out;
  private final StatusLine status;
  private final LongSupplier nanoClock;
  private final long started;
  private long lastShown;
  private MirrorCounters latest = MirrorCounters.ZERO;

  public MirrorProgress(PrintWriter out, PrintWriter err, boolean terminal) {
    this(out, err, terminal, System::nanoTime);
  }

  MirrorProgress(PrintWriter out, PrintWriter err, boolean terminal, LongSupplier nanoClock) {
    this.out = out;
    this.status = new StatusLine(err, terminal);
    this.nanoClock = nanoClock;
    this.started = nanoClock.getAsLong();
    this.lastShown = started;
  }

  /** The latest counters; the status line is redrawn if it is due. */
  public synchronized void update(MirrorCounters counters) {
    latest = counters;
    long now = nanoClock.getAsLong();
    if (now - lastShown >= status.intervalNanos()) {
      lastShown = now;
      status.show(statusLine(counters, now - started));
    }
  }

  /** A path this run imported; a log line when not on a terminal (the live line counts it there). */
  public synchronized void pathDone(String storePath, long narSize, long storedBytes) {
    if (!status.terminal()) {
      status.println("mirrored " + storePath + ": " + ByteSize.format(narSize) + " NAR, "
          + ByteSize.format(storedBytes) + " stored");
    }
  }

  /** A failed path: always a line of its own. */
  public synchronized void failed(FailedPath failure) {
    status.println("failed " + failure.describe());
  }

  /** Anything else the operator should read (a retry, a slow upstream, a start-up time). */
  public synchronized void note(String line) {
    status.println(line);
  }

  /** Ends the live line and prints the summary on stdout. */
  public synchronized void finish(MirrorSummary summary) {
    status.close();
    summaryLines(summary).forEach(out::println);
    out.flush();
  }

  /** Time since this progress was made, for {@link MirrorSummary#elapsed()}. */
  public Duration elapsed() {
    return Duration.ofNanos(nanoClock.getAsLong() - started);
  }

  /** The latest counters given to {@link #update}. */
  public synchronized MirrorCounters latest() {
    return latest;
  }

  @Override
  public synchronized void close() {
    status.close();
  }

  /** {@code 12/40 paths, 1 failed, 1.2 GiB NAR, 85.3 MiB/s, dedup 2.1x, ETA 0:42}. */
  static String statusLine(MirrorCounters c, long elapsedNanos) {
    StringBuilder line = new StringBuilder();
    line.append(c.pathsDone()).append('/').append(c.pathsKnown()).append(" paths");
    if (c.pathsFailed() > 0) line.append(", ").append(c.pathsFailed()).append(" failed");
    line.append(", ").append(ByteSize.format(c.narBytesRead())).append(" NAR, ")
        .append(ByteSize.format((long) rate(c.narBytesRead(), elapsedNanos))).append("/s, dedup ")
        .append(ratio(c.dedupRatio())).append(", ETA ").append(eta(c, elapsedNanos));
    return line.toString();
  }

  /**
   * Remaining NAR bytes at the average speed when the total is known, else remaining paths at
   * the average path rate; the closure may still grow, so this is a lower bound.
   */
  static String eta(MirrorCounters c, long elapsedNanos) {
    if (c.pathsKnown() > 0 && c.pathsFinished() >= c.pathsKnown()) return duration(0);
    double bytesPerSecond = rate(c.narBytesRead(), elapsedNanos);
    if (c.narBytesTotal() >= 0 && bytesPerSecond > 0) {
      return duration(Math.max(0, c.narBytesTotal() - c.narBytesRead()) / bytesPerSecond);
    }
    double pathsPerSecond = rate(c.pathsFinished(), elapsedNanos);
    if (pathsPerSecond > 0) return duration((c.pathsKnown() - c.pathsFinished()) / pathsPerSecond);
    return "?";
  }

  static List<String> summaryLines(MirrorSummary s) {
    MirrorCounters c = s.counters();
    List<String> lines = new ArrayList<>();
    lines.add(String.format(Locale.ROOT, "%d paths: %d complete, %d failed; %s NAR fetched, %s stored, dedup %s; %s",
        c.pathsKnown(), c.pathsDone(), c.pathsFailed(), ByteSize.format(c.narBytesIngested()),
        ByteSize.format(c.storedBytes()), ratio(c.dedupRatio()), duration(s.elapsed().toNanos() / 1e9)));
    for (FailedPath f : s.failures()) lines.add("failed " + f.describe());
    for (Map.Entry<String, List<String>> w : s.waiting().entrySet()) {
      List<String> on = w.getValue();
      String listed = String.join(", ", on.subList(0, Math.min(on.size(), WAITING_LISTED)));
      if (on.size() > WAITING_LISTED) listed += " and " + (on.size() - WAITING_LISTED) + " more";
      lines.add("incomplete " + w.getKey() + (on.isEmpty() ? "" : ": waits on " + listed));
    }
    return lines;
  }

  private static double rate(long amount, long elapsedNanos) {
    return elapsedNanos > 0 ? amount / (elapsedNanos / 1e9) : 0;
  }

  private static String ratio(double ratio) {
    return Double.isNaN(ratio) ? "-" : String.format(Locale.ROOT, "%.1fx", ratio);
  }

  /** {@code 0:42}, {@code 12:05}, {@code 3:07:09}. */
  static String duration(double seconds) {
    long s = Math.round(seconds);
    return s >= 3600
        ? String.format(Locale.ROOT, "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60)
        : String.format(Locale.ROOT, "%d:%02d", s / 60, s % 60);
  }
}
