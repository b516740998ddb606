package dev.narflow.ops.mirror;

/**
 * A snapshot of a mirror's counters, what {@link MirrorProgress} renders. Fed from the status
 * view (paths) and the ingest listener (bytes); every field is a total so far, never a delta.
 *
 * @param pathsKnown paths of the requested closures known so far (grows while they are discovered)
 * @param pathsDone of those, the complete ones (indexed, whether by this run or an earlier one)
 * @param pathsFailed of those, the failed ones
 * @param narBytesRead NAR bytes this run has read from upstreams, paths in flight included (speed)
 * @param narBytesTotal NAR bytes of all known paths, or -1 when not known (then the ETA counts paths)
 * @param narBytesIngested NAR bytes of the paths this run imported (what the dedup ratio compares)
 * @param storedBytes bytes this run added to the chunk store (new chunks, compressed)
 */
public record MirrorCounters(
    long pathsKnown,
    long pathsDone,
    long pathsFailed,
    long narBytesRead,
    long narBytesTotal,
    long narBytesIngested,
    long storedBytes) {

  public static final MirrorCounters ZERO = new MirrorCounters(0, 0, 0, 0, -1, 0, 0);

  /** NAR bytes imported per byte stored, deduplication and compression together; NaN before any. */
  public double dedupRatio() {
    return narBytesIngested > 0 && storedBytes > 0 ? (double) narBytesIngested / storedBytes : Double.NaN;
  }

  /** Paths done or failed: nothing more will happen to them. */
  public long pathsFinished() {
    return pathsDone + pathsFailed;
  }
}
