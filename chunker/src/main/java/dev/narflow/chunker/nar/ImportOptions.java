package dev.narflow.chunker.nar;

import dev.narflow.topics.nix.HashAlgorithm;
import dev.narflow.topics.nix.NixHash;
import java.util.Objects;
import java.util.OptionalLong;
import java.util.function.BooleanSupplier;
import java.util.function.LongConsumer;

/**
 * What {@link NarImporter#importNar(java.io.InputStream, ImportOptions)} checks and reports while it
 * reads: the NarSize and NarHash the NAR must have (from its narinfo), a progress listener, and a
 * cancellation signal. Immutable; each {@code with…} returns a copy.
 */
public final class ImportOptions {
  private static final ImportOptions NONE = new ImportOptions(-1, null, 0, null, () -> false, null);

  private final long expectedNarSize;
  private final NixHash expectedNarHash;
  private final long progressInterval;
  private final LongConsumer progress;
  private final BooleanSupplier cancelled;
  private final NixHash hashedBySource;

  private ImportOptions(long expectedNarSize, NixHash expectedNarHash, long progressInterval,
      LongConsumer progress, BooleanSupplier cancelled, NixHash hashedBySource) {
    this.expectedNarSize = expectedNarSize;
    this.expectedNarHash = expectedNarHash;
    this.progressInterval = progressInterval;
    this.progress = progress;
    this.cancelled = cancelled;
    this.hashedBySource = hashedBySource;
  }

  /** No expectations, no progress, cancelled only by interrupting the importing thread. */
  public static ImportOptions none() {
    return NONE;
  }

  /**
   * The NAR must be exactly {@code narSize} bytes: reading fails with a {@link
   * NarSizeMismatchException} as soon as one byte more arrives (so a decompression bomb stops at
   * {@code narSize + 1} bytes), or at the end if it is shorter.
   */
  public ImportOptions withExpectedNarSize(long narSize) {
    if (narSize < 0) throw new IllegalArgumentException("NarSize must not be negative, got " + narSize);
    return new ImportOptions(narSize, expectedNarHash, progressInterval, progress, cancelled, hashedBySource);
  }

  /**
   * The NAR's SHA-256 must be {@code narHash}; checked once the NAR is read, before waiting for its
   * chunks to be stored, and reported as a {@link NarHashMismatchException}.
   */
  public ImportOptions withExpectedNarHash(NixHash narHash) {
    Objects.requireNonNull(narHash, "narHash");
    if (narHash.algorithm() != HashAlgorithm.SHA256) {
      throw new IllegalArgumentException("NarHash must be sha256, got " + narHash);
    }
    return new ImportOptions(expectedNarSize, narHash, progressInterval, progress, cancelled, hashedBySource);
  }

  /**
   * Calls {@code listener} with the NAR bytes read so far once at least {@code everyBytes} more
   * have been read since the last call (never more often), and once more with the total when
   * reading ends. It runs on the importing
   * thread, between reads, so it should be quick (e.g. update a counter).
   */
  public ImportOptions withProgress(long everyBytes, LongConsumer listener) {
    if (everyBytes < 1) throw new IllegalArgumentException("progress interval must be positive, got " + everyBytes);
    return new ImportOptions(expectedNarSize, expectedNarHash, everyBytes,
        Objects.requireNonNull(listener, "listener"), cancelled, hashedBySource);
  }

  /**
   * Checked before every read from the NAR (as is the thread's interrupt status); once it answers
   * true the import fails with an {@link ImportCancelledException}. An interrupt fails it with that
   * or another {@link java.io.InterruptedIOException} (e.g. while waiting for chunk writers).
   */
  public ImportOptions withCancellation(BooleanSupplier cancelled) {
    return new ImportOptions(expectedNarSize, expectedNarHash, progressInterval, progress,
        Objects.requireNonNull(cancelled, "cancelled"), hashedBySource);
  }

  /**
   * The NAR stream itself checks that its bytes hash to {@code narHash} and fails its reader
   * otherwise (as ingest's VerifiedNar does before it reports its end), so the import does not
   * hash them a second time: the result's {@code narSha256} is {@code narHash}, and the caller
   * must read the stream to its end (and see it succeed) before it uses the result. A second
   * SHA-256 pass over every NAR byte cost 2 % of a mirror's CPU on large NARs.
   */
  public ImportOptions withNarHashCheckedBySource(NixHash narHash) {
    Objects.requireNonNull(narHash, "narHash");
    if (narHash.algorithm() != HashAlgorithm.SHA256) {
      throw new IllegalArgumentException("NarHash must be sha256, got " + narHash);
    }
    return new ImportOptions(expectedNarSize, expectedNarHash, progressInterval, progress, cancelled, narHash);
  }

  public OptionalLong expectedNarSize() {
    return expectedNarSize < 0 ? OptionalLong.empty() : OptionalLong.of(expectedNarSize);
  }

  /** The expected NarHash, or null if none. */
  public NixHash expectedNarHash() {
    return expectedNarHash;
  }

  /** The NarHash the source checks itself, or null: the import hashes. */
  NixHash hashedBySource() {
    return hashedBySource;
  }

  long progressInterval() {
    return progressInterval;
  }

  LongConsumer progress() {
    return progress;
  }

  BooleanSupplier cancelled() {
    return cancelled;
  }
}
