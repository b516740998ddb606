package dev.narflow.ingest.upstream;

import java.io.IOException;
import java.io.InputStream;

/**
 * The decompressed NAR of one path, checked against its narinfo while it is read. {@code read}
 * throws {@link FetchException} (NAR_SIZE_MISMATCH) as soon as more than NarSize bytes would be
 * decoded; a network failure is a retryable {@link FetchException} (UPSTREAM_ERROR or TIMEOUT).
 * {@link #finish()} reads to the end and checks NarSize and NarHash, and FileSize/FileHash of the
 * compressed bytes when the narinfo gives them.
 */
public final class VerifiedNar extends InputStream {
  VerifiedNar() {}

  @Override
  public int read() throws IOException {
    throw new UnsupportedOperationException("not yet");
  }

  /** Reads to the end (discarding what is left) and checks every size and hash. */
  public void finish() throws FetchException {
    throw new UnsupportedOperationException("not yet");
  }

  /** Decompressed NAR bytes delivered so far. */
  public long narBytesRead() {
    return 0;
  }

  /** Compressed bytes received from the upstream so far. */
  public long compressedBytesRead() {
    return 0;
  }
}
