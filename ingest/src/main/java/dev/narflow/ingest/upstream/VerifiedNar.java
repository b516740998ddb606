package dev.narflow.ingest.upstream;

import dev.narflow.topics.nix.NarInfo;
import dev.narflow.topics.nix.NixHash;
import dev.narflow.topics.v1.FetchFailure.Reason;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.security.MessageDigest;

/**
 * The decompressed NAR of one path, checked against its narinfo while it is read.
 *
 * <ul>
 *   <li>{@code read} never decodes more than NarSize + 1 bytes: the read that would go past NarSize
 *       throws {@link FetchException} NAR_SIZE_MISMATCH at once (a decompression bomb costs at most
 *       one buffer). Compressed bytes past FileSize fail the same way.
 *   <li>At the end of the stream {@code read} checks NarSize and NarHash (and FileSize/FileHash of
 *       the compressed bytes when the narinfo gives them) before it returns -1, so a caller that
 *       reads to the end has verified data; NAR_HASH_MISMATCH / NAR_SIZE_MISMATCH are permanent.
 *       FileSize/FileHash mismatches use the same two reasons.
 *   <li>A network failure is a retryable FetchException (UPSTREAM_ERROR, or TIMEOUT when the idle
 *       timeout aborted the body); so is a connection that ends before its Content-Length. Data
 *       the decoder rejects (a truncated or corrupt file as served) is MALFORMED_NAR, permanent.
 * </ul>
 * Not thread-safe. Close it when done; closing early drops the connection.
 */
public final class VerifiedNar extends InputStream {
  /** With no FileSize to bound it, this much junk after the compressed NAR is tolerated and read. */
  private static final int MAX_UNSIZED_TRAILER = 64 * 1024;

  /** How the compressed bytes become NAR bytes (the Compression's decoder, or a native one). */
  interface Decoder {
    InputStream open(InputStream compressed) throws IOException;
  }

  private final NarInfo info;
  private final URI narUrl;
  private final CompressedSide compressed;
  private final Decoder decoder;
  private final MessageDigest narDigest;
  private volatile InputStream decoded;
  private long narRead;
  private FetchException failure;
  private boolean verified;
  /** Also set by another thread that cancels the download by closing. */
  private volatile boolean closed;

  VerifiedNar(NarInfo info, URI narUrl, WatchedBody body, Decoder decoder) {
    this.info = info;
    this.narUrl = narUrl;
    this.compressed = new CompressedSide(body, info, narUrl);
    this.decoder = decoder;
    this.narDigest = info.narHash().algorithm().newDigest();
  }

  @Override
  public int read() throws FetchException {
    byte[] one = new byte[1];
    int n = read(one, 0, 1);
    return n < 0 ? -1 : one[0] & 0xff;
  }

  @Override
  public int read(byte[] b, int off, int len) throws FetchException {
    java.util.Objects.checkFromIndexSize(off, len, b.length);
    if (failure != null) throw failure;
    if (verified) return -1;
    if (closed) throw fail(cancelled());
    if (len == 0) return 0;
    // At most one byte past NarSize is ever decoded: enough to tell that the NAR is too long.
    long allowed = info.narSize() + 1 - narRead;
    int n;
    try {
      if (decoded == null) decoded = decoder.open(compressed);
      n = decoded.read(b, off, (int) Math.min(len, allowed));
    } catch (IOException | RuntimeException e) {
      // Closed by another thread while decoding: whatever the decoder made of that, it is no verdict.
      throw fail(closed ? cancelled() : classify(e));
    }
    if (n < 0) {
      verifyAtEnd();
      return -1;
    }
    if (narRead + n > info.narSize()) {
      throw fail(new FetchException(Reason.NAR_SIZE_MISMATCH, 200, false, narUrl
          + ": NAR is longer than the narinfo's NarSize " + info.narSize() + " of " + info.storePath()));
    }
    narRead += n;
    narDigest.update(b, off, n);
    return n;
  }

  /** Reads to the end (discarding what is left) and checks every size and hash, then closes. */
  public void finish() throws FetchException {
    byte[] scratch = new byte[64 * 1024];
    while (read(scratch, 0, scratch.length) >= 0) {
      // discard: the caller has what it wanted, the check needs the rest
    }
  }

  /** Decompressed NAR bytes delivered so far (never more than NarSize). */
  public long narBytesRead() {
    return narRead;
  }

  /** Compressed bytes received from the upstream so far. */
  public long compressedBytesRead() {
    return compressed.count;
  }

  /**
   * Aborts the download if it is not finished; idempotent. May be called from another thread to
   * cancel: the reader then gets a retryable FetchException, never a verdict on the data.
   */
  @Override
  public void close() {
    if (closed) return;
    closed = true;
    compressed.body.close(); // first: wakes a reader blocked on the network (and a decoder holding its lock)
    closeDecoder();
  }

  /** Idempotent; also called by the reader, in case a concurrent close ran before the decoder existed. */
  private void closeDecoder() {
    InputStream d = decoded;
    if (d != null) {
      try {
        d.close(); // frees native decoder memory (zstd) or stops the xz process
      } catch (IOException | RuntimeException ignored) {
        // best effort: the body is closed already
      }
    }
  }

  private FetchException cancelled() {
    return new FetchException(Reason.UPSTREAM_ERROR, 0, true, narUrl + ": download cancelled (stream closed)");
  }

  private void verifyAtEnd() throws FetchException {
    if (narRead != info.narSize()) {
      throw fail(new FetchException(Reason.NAR_SIZE_MISMATCH, 200, false, narUrl + ": NAR of "
          + info.storePath() + " is " + narRead + " bytes, the narinfo's NarSize is " + info.narSize()));
    }
    NixHash actual = NixHash.of(info.narHash().algorithm(), narDigest.digest());
    if (!actual.equals(info.narHash())) {
      throw fail(new FetchException(Reason.NAR_HASH_MISMATCH, 200, false, narUrl + ": NAR of "
          + info.storePath() + " hashes to " + actual + ", the narinfo's NarHash is " + info.narHash()));
    }
    try {
      compressed.verifyAtEnd();
    } catch (FetchException e) {
      throw fail(e);
    }
    verified = true;
    close();
  }

  private FetchException fail(FetchException e) {
    failure = e;
    close();
    closeDecoder();
    return e;
  }

  /**
   * A FetchException anywhere in the cause chain came from the network or a size bound and says
   * what happened; anything else is the decoder rejecting the data as served.
   */
  private FetchException classify(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof FetchException f) return f;
    }
    if (compressed.failure != null) return compressed.failure;
    return new FetchException(Reason.MALFORMED_NAR, 200, false, narUrl + " (" + info.compression()
        + "): " + e.getMessage(), e);
  }

  /** The compressed bytes as received: counted, hashed when FileHash is given, bounded by FileSize. */
  private static final class CompressedSide extends BulkInputStream {
    private final WatchedBody body;
    private final NarInfo info;
    private final URI narUrl;
    private final MessageDigest fileDigest;
    // Written by the one thread that reads the body (a native decoder's feeder), read by others.
    private volatile long count;
    private volatile FetchException failure;

    CompressedSide(WatchedBody body, NarInfo info, URI narUrl) {
      this.body = body;
      this.info = info;
      this.narUrl = narUrl;
      this.fileDigest = info.fileHash() == null ? null : info.fileHash().algorithm().newDigest();
    }

    @Override
    public int read(byte[] b, int off, int len) throws FetchException {
      if (failure != null) throw failure;
      if (len == 0) return 0;
      if (info.fileSize() > 0) len = (int) Math.min(len, info.fileSize() + 1 - count);
      int n;
      try {
        n = body.read(b, off, len);
      } catch (FetchException e) {
        failure = e;
        throw e;
      }
      if (n < 0) return -1;
      count += n;
      if (info.fileSize() > 0 && count > info.fileSize()) {
        failure = new FetchException(Reason.NAR_SIZE_MISMATCH, 200, false, narUrl
            + ": compressed file is longer than the narinfo's FileSize " + info.fileSize());
        throw failure;
      }
      if (fileDigest != null) fileDigest.update(b, off, n);
      return n;
    }

    /** Reads what the decoder left (a bounded amount) and checks FileSize and FileHash. */
    void verifyAtEnd() throws FetchException {
      byte[] scratch = new byte[8192];
      long trailer = 0;
      for (int n; (n = read(scratch, 0, scratch.length)) >= 0; ) {
        trailer += n;
        if (info.fileSize() <= 0 && trailer > MAX_UNSIZED_TRAILER) {
          throw new FetchException(Reason.MALFORMED_NAR, 200, false, narUrl
              + ": more than " + MAX_UNSIZED_TRAILER + " bytes of data after the end of the compressed NAR");
        }
      }
      if (info.fileSize() > 0 && count != info.fileSize()) {
        throw new FetchException(Reason.NAR_SIZE_MISMATCH, 200, false, narUrl + ": compressed file is "
            + count + " bytes, the narinfo's FileSize is " + info.fileSize());
      }
      if (fileDigest != null) {
        NixHash actual = NixHash.of(info.fileHash().algorithm(), fileDigest.digest());
        if (!actual.equals(info.fileHash())) {
          throw new FetchException(Reason.NAR_HASH_MISMATCH, 200, false, narUrl + ": compressed file hashes to "
              + actual + ", the narinfo's FileHash is " + info.fileHash());
        }
      }
    }

    @Override
    public void close() {
      body.close();
    }
  }
}
