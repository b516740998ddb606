package dev.narflow.topics.nix;

import java.util.Objects;

/**
 * The directory a Nix store lives in ({@code /nix/store} unless configured otherwise): turns
 * absolute paths into {@link StorePath}s and back.
 */
public final class StoreDir {
  public static final StoreDir DEFAULT = new StoreDir("/nix/store");

  private final String path;

  private StoreDir(String path) {
    this.path = path;
  }

  /** {@code path} must be absolute and without a trailing slash, as Nix canonicalises it. */
  public static StoreDir of(String path) {
    Objects.requireNonNull(path, "path");
    if (path.equals(DEFAULT.path)) return DEFAULT;
    if (!path.startsWith("/") || path.length() < 2 || path.endsWith("/") || path.contains("//")) {
      throw new NixFormatException("store directory '" + path
          + "' must be an absolute path without a trailing or doubled slash");
    }
    return new StoreDir(path);
  }

  /** The directory, e.g. {@code /nix/store}. */
  public String path() {
    return path;
  }

  /** Parses {@code <dir>/<hash>-<name>}; anything else (subpaths, other directories) is an error. */
  public StorePath parsePath(String absolute) {
    Objects.requireNonNull(absolute, "absolute");
    if (!absolute.startsWith(path) || absolute.length() <= path.length()
        || absolute.charAt(path.length()) != '/') {
      throw new NixFormatException("path '" + absolute + "' is not in the Nix store " + path);
    }
    String baseName = absolute.substring(path.length() + 1);
    if (baseName.indexOf('/') >= 0) {
      throw new NixFormatException("path '" + absolute + "' is inside a store path, not a store path itself");
    }
    try {
      return StorePath.parseBaseName(baseName);
    } catch (NixFormatException e) {
      throw new NixFormatException("store path '" + absolute + "': " + e.getMessage());
    }
  }

  /** {@code <dir>/<hash>-<name>}. */
  public String print(StorePath storePath) {
    return path + "/" + storePath.baseName();
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof StoreDir other && path.equals(other.path);
  }

  @Override
  public int hashCode() {
    return path.hashCode();
  }

  @Override
  public String toString() {
    return path;
  }
}
