package dev.narflow.ingest.upstream;

import dev.narflow.topics.nix.StorePath;
import dev.narflow.topics.nix.TrustedKeys;
import java.io.Closeable;
import java.net.URI;
import java.net.http.HttpClient;
import java.time.Duration;
import java.util.List;

/** Fetches narinfos and NARs from Nix HTTP binary caches, verified. Thread-safe; share one. */
public final class UpstreamClient implements Closeable {
  private UpstreamClient(Builder b) {}

  public static Builder builder() {
    return new Builder();
  }

  /** GET {@code <hash>.narinfo} (after nix-cache-info once per upstream), signature verified. */
  public UpstreamNarInfo narInfo(StorePath path) throws FetchException {
    throw new UnsupportedOperationException("not yet");
  }

  /** The decompressed NAR, verified while it is read; see {@link VerifiedNar}. */
  public VerifiedNar openNar(UpstreamNarInfo info) throws FetchException {
    throw new UnsupportedOperationException("not yet");
  }

  @Override
  public void close() {}

  /** Configures an {@link UpstreamClient}; only {@link #upstreams} is required. */
  public static final class Builder {
    private Builder() {}

    public Builder upstreams(List<URI> upstreams) { return this; }
    public Builder trustedKeys(TrustedKeys trustedKeys) { return this; }
    public Builder checkSignatures(boolean checkSignatures) { return this; }
    public Builder connectTimeout(Duration timeout) { return this; }
    public Builder firstByteTimeout(Duration timeout) { return this; }
    public Builder idleTimeout(Duration timeout) { return this; }
    public Builder maxAttempts(int maxAttempts) { return this; }
    public Builder initialBackoff(Duration backoff) { return this; }
    public Builder maxBackoff(Duration backoff) { return this; }
    public Builder httpClient(HttpClient httpClient) { return this; }

    public UpstreamClient build() {
      return new UpstreamClient(this);
    }
  }
}
