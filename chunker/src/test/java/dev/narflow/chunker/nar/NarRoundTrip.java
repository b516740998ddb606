package dev.narflow.chunker.nar;

import java.io.ByteArrayOutputStream;
import java.io.IOException;

/** Test shorthands. */
final class NarRoundTrip {
  private NarRoundTrip() {}

  static byte[] render(NarRenderer renderer, ImportResult result) throws IOException {
    return render(renderer, result, 0, Long.MAX_VALUE);
  }

  static byte[] render(NarRenderer renderer, ImportResult result, long offset, long length)
      throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    renderer.render(result.root(), DirectoryLookup.of(result.directories()), offset, length, out);
    return out.toByteArray();
  }
}
