package dev.narflow.chunker.nar;

import java.io.InterruptedIOException;

/**
 * An import stopped because it was cancelled or its thread interrupted; no chunk write of it is
 * still running when this is thrown. An interrupt stays set on the thread.
 */
public final class ImportCancelledException extends InterruptedIOException {
  ImportCancelledException(String message, long bytesRead) {
    super(message + " after " + bytesRead + " NAR bytes");
    this.bytesTransferred = (int) Math.min(bytesRead, Integer.MAX_VALUE);
  }
}
