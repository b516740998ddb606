package dev.narflow.ops;

import java.io.PrintWriter;

/**
 * A status line on stderr: on a terminal one line redrawn in place, with permanent lines printed
 * above it; otherwise every status is a plain line, so logs stay readable. Not thread-safe.
 */
public final class StatusLine implements AutoCloseable {
  /** How often a terminal line may be redrawn, and a log line printed. */
  public static final long TTY_INTERVAL_NANOS = 250_000_000L;
  public static final long LOG_INTERVAL_NANOS = 10_000_000_000L;

  private static final String CLEAR = "\r\033[K";

  private final PrintWriter err;
  private final boolean terminal;
  private String shown;

  public StatusLine(PrintWriter err, boolean terminal) {
    this.err = err;
    this.terminal = terminal;
  }

  public boolean terminal() {
    return terminal;
  }

  /** How long to wait between two {@link #show}s. */
  public long intervalNanos() {
    return terminal ? TTY_INTERVAL_NANOS : LOG_INTERVAL_NANOS;
  }

  /** Shows the current status: replaces the line on a terminal, prints a line otherwise. */
  public void show(String status) {
    if (terminal) {
      err.print(CLEAR + status);
      shown = status;
    } else {
      err.println(status);
    }
    err.flush();
  }

  /** A line that stays (a problem, a result): printed above the status line, which is redrawn. */
  public void println(String line) {
    if (terminal && shown != null) {
      err.print(CLEAR + line + System.lineSeparator() + shown);
    } else {
      err.println(line);
    }
    err.flush();
  }

  /** Removes the status line from a terminal, so what follows starts on a clean line. */
  @Override
  public void close() {
    if (shown != null) {
      err.print(CLEAR);
      err.flush();
      shown = null;
    }
  }
}
