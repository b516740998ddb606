package dev.narflow.ops;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;

/**
 * Progress of reading one stream on stderr, as a {@link StatusLine}: rewritten in place on a
 * terminal, a plain line every {@link StatusLine#LOG_INTERVAL_NANOS} otherwise. Fed from one thread.
 */
public final class Progress implements AutoCloseable {
  private final StatusLine line;
  private final String what;
  private final long total;
  private final long started = System.nanoTime();
  private long done;
  private long lastPrinted = started;

  /** {@code total} may be -1 when unknown. */
  public Progress(PrintWriter err, String what, long total, boolean terminal) {
    this.line = new StatusLine(err, terminal);
    this.what = what;
    this.total = total;
  }

  /** Counts what is read through the returned stream. */
  public InputStream count(InputStream in) {
    return new FilterInputStream(in) {
      @Override
      public int read() throws IOException {
        int b = super.read();
        if (b >= 0) advance(1);
        return b;
      }

      @Override
      public int read(byte[] b, int off, int len) throws IOException {
        int n = super.read(b, off, len);
        if (n > 0) advance(n);
        return n;
      }

      @Override
      public long skip(long n) throws IOException {
        long s = super.skip(n);
        if (s > 0) advance(s);
        return s;
      }
    };
  }

  public void advance(long bytes) {
    done += bytes;
    long now = done;
    long t = System.nanoTime();
    if (t - lastPrinted >= line.intervalNanos()) {
      lastPrinted = t;
      print(now, t);
    }
  }

  private void print(long now, long t) {
    double seconds = (t - started) / 1e9;
    String rate = ByteSize.format((long) (now / Math.max(seconds, 1e-3))) + "/s";
    line.show(total > 0
        ? String.format("%s: %s of %s (%d%%), %s", what, ByteSize.format(now), ByteSize.format(total),
            now * 100 / total, rate)
        : String.format("%s: %s, %s", what, ByteSize.format(now), rate));
  }

  @Override
  public void close() {
    line.close();
  }
}
