package dev.narflow.topics.nix;

import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * A binary cache's {@code nix-cache-info}: StoreDir, WantMassQuery, Priority. Parsed as Nix's
 * {@code BinaryCacheStore::init} does: empty lines and lines without ':' are skipped, values are
 * trimmed, unknown keys ignored, the last of repeated keys wins, and WantMassQuery is true only
 * for {@code 1}. A Priority that is not an integer is an error (Nix's {@code stoi} throws too).
 * Immutable.
 */
public final class NixCacheInfo {
  private final String storeDir;
  private final Boolean wantMassQuery;
  private final Integer priority;

  private NixCacheInfo(String storeDir, Boolean wantMassQuery, Integer priority) {
    this.storeDir = storeDir;
    this.wantMassQuery = wantMassQuery;
    this.priority = priority;
  }

  /** What Nix writes for a new cache: only {@code StoreDir}. */
  public static NixCacheInfo of(StoreDir storeDir) {
    return new NixCacheInfo(storeDir.path(), null, null);
  }

  public static NixCacheInfo of(StoreDir storeDir, boolean wantMassQuery, int priority) {
    return new NixCacheInfo(storeDir.path(), wantMassQuery, priority);
  }

  public static NixCacheInfo parse(String text) {
    String storeDir = null;
    Boolean wantMassQuery = null;
    Integer priority = null;
    String[] lines = text.split("\n", -1);
    for (int i = 0; i < lines.length; i++) {
      String line = lines[i];
      int colon = line.indexOf(':');
      if (colon < 0) continue;
      String key = line.substring(0, colon);
      String value = line.substring(colon + 1).strip();
      switch (key) {
        case "StoreDir" -> storeDir = value;
        case "WantMassQuery" -> wantMassQuery = value.equals("1");
        case "Priority" -> {
          try {
            priority = Integer.parseInt(value);
          } catch (NumberFormatException e) {
            throw new NixFormatException("nix-cache-info line " + (i + 1) + ": invalid Priority '" + value + "'");
          }
        }
        default -> { }
      }
    }
    return new NixCacheInfo(storeDir, wantMassQuery, priority);
  }

  /** The StoreDir the cache declares, if any. */
  public Optional<String> storeDir() {
    return Optional.ofNullable(storeDir);
  }

  /** Fails unless the cache is for {@code expected} (a cache without StoreDir is accepted, as by Nix). */
  public void checkStoreDir(StoreDir expected) {
    if (storeDir != null && !storeDir.equals(expected.path())) {
      throw new NixFormatException("binary cache is for Nix stores with prefix '" + storeDir
          + "', not '" + expected.path() + "'");
    }
  }

  public Optional<Boolean> wantMassQuery() {
    return Optional.ofNullable(wantMassQuery);
  }

  public OptionalInt priority() {
    return priority == null ? OptionalInt.empty() : OptionalInt.of(priority);
  }

  /** The present fields in the order StoreDir, WantMassQuery, Priority, each line ending in {@code \n}. */
  public String format() {
    StringBuilder s = new StringBuilder();
    if (storeDir != null) s.append("StoreDir: ").append(storeDir).append('\n');
    if (wantMassQuery != null) s.append("WantMassQuery: ").append(wantMassQuery ? 1 : 0).append('\n');
    if (priority != null) s.append("Priority: ").append(priority).append('\n');
    return s.toString();
  }

  @Override
  public String toString() {
    return format();
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof NixCacheInfo other && Objects.equals(storeDir, other.storeDir)
        && Objects.equals(wantMassQuery, other.wantMassQuery) && Objects.equals(priority, other.priority);
  }

  @Override
  public int hashCode() {
    return Objects.hash(storeDir, wantMassQuery, priority);
  }
}
