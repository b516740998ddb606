package dev.narflow.chunker.hash;

import dev.narflow.topics.castore.B3Digest;
import org.bouncycastle.crypto.digests.Blake3Digest;

/**
 * BLAKE3-256, incremental. Not thread-safe; one hasher per stream.
 *
 * <p>Baseline on BouncyCastle; to be replaced by the optimized kernel (same API).
 */
public final class Blake3 {
  private final Blake3Digest digest = new Blake3Digest(256);

  public static Blake3 newHasher() {
    return new Blake3();
  }

  public static B3Digest hash(byte[] data) {
    return hash(data, 0, data.length);
  }

  public static B3Digest hash(byte[] data, int off, int len) {
    Blake3 h = new Blake3();
    h.update(data, off, len);
    return h.finish();
  }

  public Blake3 update(byte[] data, int off, int len) {
    digest.update(data, off, len);
    return this;
  }

  public Blake3 update(byte[] data) {
    return update(data, 0, data.length);
  }

  /** The digest of everything given so far; the hasher is reset afterwards. */
  public B3Digest finish() {
    byte[] out = new byte[32];
    digest.doFinal(out, 0);
    return B3Digest.wrap(out);
  }

  public void reset() {
    digest.reset();
  }
}
