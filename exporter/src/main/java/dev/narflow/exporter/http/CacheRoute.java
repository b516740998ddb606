package dev.narflow.exporter.http;

import dev.narflow.exporter.NarInfos.NarCompression;
import dev.narflow.topics.kafka.StorePathKey;
import dev.narflow.topics.nix.Nixbase32;
import dev.narflow.topics.nix.StorePath;

/**
 * What a request path asks for, read from the raw (still percent-encoded) path, so that only
 * the exact forms of a binary cache match: anything with an escape, a dot segment or a byte
 * outside nixbase32 is refused before any lookup.
 */
sealed interface CacheRoute {
  /** Longer paths are refused unread: the longest real one is the NAR URL (64 characters). */
  int MAX_PATH = 256;

  record CacheInfo() implements CacheRoute {}

  /** {@code /metrics}: Prometheus. */
  record Metrics() implements CacheRoute {}

  /** {@code /healthz}: 200 once the views answer. */
  record Health() implements CacheRoute {}

  record NarInfoOf(StorePathKey path) implements CacheRoute {}

  record Nar(byte[] narSha256, NarCompression compression) implements CacheRoute {}

  /** A malformed request for a route that exists: 400. */
  record Malformed(String why) implements CacheRoute {}

  /** No such route: 404. */
  record Unknown() implements CacheRoute {}

  /** The route's name in metrics: a fixed set, never the path itself. */
  static String name(CacheRoute route) {
    if (route instanceof CacheInfo) return "nix-cache-info";
    if (route instanceof Metrics) return "metrics";
    if (route instanceof Health) return "healthz";
    if (route instanceof NarInfoOf) return "narinfo";
    if (route instanceof Nar n) return n.compression() == NarCompression.ZSTD ? "nar.zst" : "nar";
    if (route instanceof Malformed) return "malformed";
    return "unknown";
  }

  /** The route of a raw request path. */
  static CacheRoute of(String rawPath) {
    if (rawPath == null || rawPath.length() > MAX_PATH) return new Malformed("request path too long");
    if (rawPath.equals("/nix-cache-info")) return new CacheInfo();
    if (rawPath.equals("/metrics")) return new Metrics();
    if (rawPath.equals("/healthz")) return new Health();
    if (rawPath.startsWith("/nar/")) {
      String file = rawPath.substring("/nar/".length());
      NarCompression compression = file.endsWith(NarCompression.ZSTD.suffix()) ? NarCompression.ZSTD
          : file.endsWith(NarCompression.NONE.suffix()) ? NarCompression.NONE : null;
      if (compression == null) return new Unknown();
      String hash = file.substring(0, file.length() - compression.suffix().length());
      if (hash.length() != Nixbase32.encodedLength(32) || !isNixbase32(hash)) {
        return new Malformed("not a NAR hash: a NAR URL is nar/<52 nixbase32 characters>" + compression.suffix());
      }
      return new Nar(Nixbase32.decode(hash, 32), compression);
    }
    if (rawPath.endsWith(".narinfo") && rawPath.lastIndexOf('/') == 0) {
      String hash = rawPath.substring(1, rawPath.length() - ".narinfo".length());
      if (hash.length() != StorePath.HASH_PART_LENGTH || !isNixbase32(hash)) {
        return new Malformed("not a store path hash: a narinfo URL is /<32 nixbase32 characters>.narinfo");
      }
      return new NarInfoOf(StorePathKey.of(Nixbase32.decode(hash, StorePath.DIGEST_SIZE)));
    }
    return new Unknown();
  }

  private static boolean isNixbase32(String s) {
    for (int i = 0; i < s.length(); i++) {
      if (!Nixbase32.isDigit(s.charAt(i))) return false;
    }
    return true;
  }
}
