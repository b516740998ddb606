package dev.narflow.exporter;

import dev.narflow.topics.kafka.IndexRecords;
import dev.narflow.topics.nix.HashAlgorithm;
import dev.narflow.topics.nix.NarInfo;
import dev.narflow.topics.nix.NarSignature;
import dev.narflow.topics.nix.NixHash;
import dev.narflow.topics.nix.NixSecretKey;
import dev.narflow.topics.nix.StorePath;
import dev.narflow.topics.store.v1.NARInfo;
import dev.narflow.topics.store.v1.PathInfo;

/**
 * The narinfo a client gets for a stored PathInfo: the fields the upstream signed (store path,
 * NarHash, NarSize, references) exactly as they were, so that every upstream signature still
 * verifies, with the URL and compression of our own NAR, the deriver and CA, and optionally our
 * own signature.
 */
public final class NarInfos {
  private NarInfos() {}

  /** How NARs are offered: which URL suffix and {@code Compression} the narinfo names. */
  public enum NarCompression {
    NONE("none", ".nar"),
    ZSTD("zstd", ".nar.zst");

    private final String nixName;
    private final String suffix;

    NarCompression(String nixName, String suffix) {
      this.nixName = nixName;
      this.suffix = suffix;
    }

    public String nixName() {
      return nixName;
    }

    public String suffix() {
      return suffix;
    }
  }

  /** {@code nar/<nixbase32 NarHash>.nar} (or {@code .nar.zst}): what the NAR route serves. */
  public static String narUrl(byte[] narSha256, NarCompression compression) {
    return "nar/" + NixHash.of(HashAlgorithm.SHA256, narSha256).nixbase32() + compression.suffix();
  }

  /**
   * The narinfo of {@code info}; signed with {@code key} too when it is not null.
   *
   * @throws IllegalArgumentException if the PathInfo does not make a narinfo (it was checked when
   *     indexed, so a corrupt store)
   */
  public static NarInfo of(PathInfo info, NarCompression compression, NixSecretKey key) {
    NARInfo nar = info.getNarinfo();
    StorePath path = StorePath.parseBaseName(IndexRecords.baseNameOf(info));
    byte[] narHash = nar.getNarSha256().toByteArray();
    NarInfo.Builder b = NarInfo.builder()
        .storePath(path)
        .url(narUrl(narHash, compression))
        .compression(compression.nixName())
        .narHash(NixHash.of(HashAlgorithm.SHA256, narHash))
        .narSize(nar.getNarSize());
    if (compression == NarCompression.NONE) {
      // The file is the NAR itself; Nix writes both fields, and checks them when present.
      b.fileHash(NixHash.of(HashAlgorithm.SHA256, narHash)).fileSize(nar.getNarSize());
    }
    for (String reference : nar.getReferenceNamesList()) b.addReference(StorePath.parseBaseName(reference));
    if (nar.hasDeriver()) {
      // snix keeps the deriver without its ".drv" (pathinfo.proto); the narinfo names the file.
      b.deriver(StorePath.of(nar.getDeriver().getDigest().toByteArray(), nar.getDeriver().getName() + ".drv"));
    }
    for (NARInfo.Signature sig : nar.getSignaturesList()) {
      b.addSignature(NarSignature.of(sig.getName(), sig.getData().toByteArray()));
    }
    if (nar.hasCa()) b.ca(contentAddress(nar.getCa()));
    NarInfo narInfo = b.build();
    return key == null ? narInfo : narInfo.withSignature(key.sign(narInfo));
  }

  /** The CA line as Nix writes it: {@code text:sha256:…}, {@code fixed:r:sha256:…}, {@code fixed:sha1:…}. */
  static String contentAddress(NARInfo.CA ca) {
    byte[] digest = ca.getDigest().toByteArray();
    return switch (ca.getType()) {
      case TEXT_SHA256 -> "text:" + NixHash.of(HashAlgorithm.SHA256, digest);
      case NAR_SHA256 -> "fixed:r:" + NixHash.of(HashAlgorithm.SHA256, digest);
      case NAR_SHA1 -> "fixed:r:" + NixHash.of(HashAlgorithm.SHA1, digest);
      case NAR_SHA512 -> "fixed:r:" + NixHash.of(HashAlgorithm.SHA512, digest);
      case NAR_MD5 -> "fixed:r:" + NixHash.of(HashAlgorithm.MD5, digest);
      case FLAT_SHA256 -> "fixed:" + NixHash.of(HashAlgorithm.SHA256, digest);
      case FLAT_SHA1 -> "fixed:" + NixHash.of(HashAlgorithm.SHA1, digest);
      case FLAT_SHA512 -> "fixed:" + NixHash.of(HashAlgorithm.SHA512, digest);
      case FLAT_MD5 -> "fixed:" + NixHash.of(HashAlgorithm.MD5, digest);
      case UNRECOGNIZED -> throw new IllegalArgumentException("unknown content address type " + ca.getTypeValue());
    };
  }
}
