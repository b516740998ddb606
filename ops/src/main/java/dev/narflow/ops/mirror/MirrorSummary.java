package dev.narflow.ops.mirror;

import java.time.Duration;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * How a mirror ended, as printed at its end.
 *
 * @param waiting incomplete paths (full store paths) and the paths each still waits on
 */
public record MirrorSummary(
    MirrorCounters counters, Duration elapsed, List<FailedPath> failures, SortedMap<String, List<String>> waiting) {

  public MirrorSummary {
    Objects.requireNonNull(counters, "counters");
    Objects.requireNonNull(elapsed, "elapsed");
    failures = List.copyOf(failures);
    TreeMap<String, List<String>> copy = new TreeMap<>();
    waiting.forEach((path, on) -> copy.put(path, List.copyOf(on)));
    waiting = Collections.unmodifiableSortedMap(copy);
  }

  public static MirrorSummary of(MirrorCounters counters, Duration elapsed, List<FailedPath> failures,
      Map<String, ? extends List<String>> waiting) {
    return new MirrorSummary(counters, elapsed, failures, new TreeMap<>(waiting));
  }
}
