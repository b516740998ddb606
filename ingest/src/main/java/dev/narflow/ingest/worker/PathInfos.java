package dev.narflow.ingest.worker;

import com.google.protobuf.ByteString;
import dev.narflow.chunker.nar.ImportResult;
import dev.narflow.topics.castore.v1.Node;
import dev.narflow.topics.kafka.IndexKey;
import dev.narflow.topics.kafka.IndexRecords;
import dev.narflow.topics.nix.HashAlgorithm;
import dev.narflow.topics.nix.NarInfo;
import dev.narflow.topics.nix.NarSignature;
import dev.narflow.topics.nix.NixHash;
import dev.narflow.topics.nix.StorePath;
import dev.narflow.topics.store.v1.NARInfo;
import dev.narflow.topics.store.v1.PathInfo;
import java.util.ArrayList;
import java.util.List;

/** Builds the snix {@code store.v1} PathInfo of an imported store path from its narinfo. */
final class PathInfos {
  private PathInfos() {}

  /** What {@link #of} built, with the Sig values it could not represent (malformed ones). */
  record Built(PathInfo pathInfo, List<String> skippedSignatures) {}

  /**
   * The PathInfo of {@code info}'s store path whose contents {@code imported} holds: the root node
   * named by the store path's base name, the references as digests and base names (sorted by base
   * name, as the narinfo lists them), and the narinfo's NarHash, NarSize, signatures, deriver and
   * CA. Checked with {@link IndexRecords#verify}.
   *
   * @throws IllegalArgumentException if the narinfo's NarHash is not SHA-256 or the result fails
   *     {@link IndexRecords#verify} (neither can happen for a narinfo Nix wrote)
   */
  static Built of(NarInfo info, ImportResult imported) {
    StorePath path = info.storePath();
    if (info.narHash().algorithm() != HashAlgorithm.SHA256) {
      throw new IllegalArgumentException("narinfo of " + path + " has a " + info.narHash().algorithm()
          + " NarHash; a PathInfo holds SHA-256");
    }
    PathInfo.Builder pathInfo = PathInfo.newBuilder().setNode(named(imported.root(), path.baseName()));
    NARInfo.Builder narInfo = NARInfo.newBuilder()
        .setNarSize(info.narSize())
        .setNarSha256(ByteString.copyFrom(info.narHash().digest()));
    for (StorePath reference : info.references()) {
      pathInfo.addReferences(ByteString.copyFrom(reference.digest()));
      narInfo.addReferenceNames(reference.baseName());
    }
    List<String> skipped = new ArrayList<>();
    for (String sig : info.signatures()) {
      NarSignature parsed;
      try {
        parsed = NarSignature.parse(sig);
      } catch (IllegalArgumentException e) { // NixFormatException included
        skipped.add(sig); // unverifiable by anyone; a PathInfo signature is a name and 64 bytes
        continue;
      }
      narInfo.addSignatures(NARInfo.Signature.newBuilder()
          .setName(parsed.keyName()).setData(ByteString.copyFrom(parsed.signature())));
    }
    if (info.deriver() != null) {
      String name = info.deriver().name();
      // snix keeps the deriver without its ".drv" suffix (see pathinfo.proto).
      if (name.endsWith(".drv")) name = name.substring(0, name.length() - 4);
      narInfo.setDeriver(dev.narflow.topics.store.v1.StorePath.newBuilder()
          .setName(name).setDigest(ByteString.copyFrom(info.deriver().digest())));
    }
    if (info.ca() != null) narInfo.setCa(contentAddress(info.ca()));
    PathInfo built = pathInfo.setNarinfo(narInfo).build();
    IndexRecords.verify(IndexKey.pathInfo(path), IndexRecords.of(built));
    return new Built(built, List.copyOf(skipped));
  }

  /** The root of an import (unnamed) named {@code name}. */
  static Node named(Node root, String name) {
    ByteString n = ByteString.copyFromUtf8(name);
    return switch (root.getNodeCase()) {
      case DIRECTORY -> Node.newBuilder().setDirectory(root.getDirectory().toBuilder().setName(n)).build();
      case FILE -> Node.newBuilder().setFile(root.getFile().toBuilder().setName(n)).build();
      case SYMLINK -> Node.newBuilder().setSymlink(root.getSymlink().toBuilder().setName(n)).build();
      case NODE_NOT_SET -> throw new IllegalArgumentException("import has no root node");
    };
  }

  /**
   * Parses a content address as {@link NarInfo#ca()} renders it ({@code text:sha256:<hash>},
   * {@code fixed:r:<algo>:<hash>}, {@code fixed:<algo>:<hash>}).
   */
  static NARInfo.CA contentAddress(String ca) {
    boolean text = ca.startsWith("text:");
    boolean recursive = ca.startsWith("fixed:r:");
    if (!text && !ca.startsWith("fixed:")) throw new IllegalArgumentException("unknown content address '" + ca + "'");
    String rest = ca.substring(text ? 5 : recursive ? 8 : 6);
    int colon = rest.indexOf(':');
    if (colon < 0) throw new IllegalArgumentException("content address '" + ca + "' lacks '<algo>:<hash>'");
    HashAlgorithm algorithm = HashAlgorithm.ofNixName(rest.substring(0, colon));
    NixHash hash = NixHash.parseBare(rest.substring(colon + 1), algorithm);
    NARInfo.CA.Hash type;
    if (text) {
      if (algorithm != HashAlgorithm.SHA256) throw new IllegalArgumentException("text content address '" + ca + "' must be sha256");
      type = NARInfo.CA.Hash.TEXT_SHA256;
    } else if (recursive) {
      type = switch (algorithm) {
        case SHA256 -> NARInfo.CA.Hash.NAR_SHA256;
        case SHA1 -> NARInfo.CA.Hash.NAR_SHA1;
        case SHA512 -> NARInfo.CA.Hash.NAR_SHA512;
        case MD5 -> NARInfo.CA.Hash.NAR_MD5;
      };
    } else {
      type = switch (algorithm) {
        case SHA256 -> NARInfo.CA.Hash.FLAT_SHA256;
        case SHA1 -> NARInfo.CA.Hash.FLAT_SHA1;
        case SHA512 -> NARInfo.CA.Hash.FLAT_SHA512;
        case MD5 -> NARInfo.CA.Hash.FLAT_MD5;
      };
    }
    return NARInfo.CA.newBuilder().setType(type).setDigest(ByteString.copyFrom(hash.digest())).build();
  }
}
