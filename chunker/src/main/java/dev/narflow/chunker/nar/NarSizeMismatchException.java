package dev.narflow.chunker.nar;

/** The NAR is longer or shorter than its expected NarSize. */
public final class NarSizeMismatchException extends NarMismatchException {
  private final long expected;
  private final long actual;
  private final boolean longer;

  NarSizeMismatchException(long expected, long actual, boolean longer) {
    super(longer
        ? "NAR is longer than its NarSize " + expected + " (read " + actual + " bytes, stopped there)"
        : "NAR has " + actual + " bytes, its NarSize is " + expected);
    this.expected = expected;
    this.actual = actual;
    this.longer = longer;
  }

  public long expected() {
    return expected;
  }

  /** The bytes read: the NAR's size if it is shorter, a lower bound of it if it is longer. */
  public long actual() {
    return actual;
  }

  public boolean longer() {
    return longer;
  }
}
