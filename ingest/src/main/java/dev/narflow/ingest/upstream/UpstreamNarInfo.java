package dev.narflow.ingest.upstream;

import dev.narflow.topics.nix.NarInfo;
import java.net.URI;
import java.util.Collections;
import java.util.Objects;
import java.util.SortedSet;
import java.util.TreeSet;

/**
 * A narinfo as served by one upstream, with its signature checked.
 *
 * @param upstream the cache it came from (base URL)
 * @param narInfo the parsed narinfo; its StorePath is the one asked for
 * @param narUrl the absolute URL of the (compressed) NAR, checked to be http(s) without {@code ..}
 * @param verifiedBy names of the trusted keys whose Sig verified; empty with signature checks off
 */
public record UpstreamNarInfo(URI upstream, NarInfo narInfo, URI narUrl, SortedSet<String> verifiedBy) {
  public UpstreamNarInfo {
    Objects.requireNonNull(upstream, "upstream");
    Objects.requireNonNull(narInfo, "narInfo");
    Objects.requireNonNull(narUrl, "narUrl");
    verifiedBy = Collections.unmodifiableSortedSet(new TreeSet<>(verifiedBy));
  }
}
