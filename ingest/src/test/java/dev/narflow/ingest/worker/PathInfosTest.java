package dev.narflow.ingest.worker;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.google.protobuf.ByteString;
import dev.narflow.chunker.nar.ImportResult;
import dev.narflow.chunker.nar.ImportStats;
import dev.narflow.topics.castore.v1.FileNode;
import dev.narflow.topics.castore.v1.Node;
import dev.narflow.topics.nix.HashAlgorithm;
import dev.narflow.topics.nix.NarInfo;
import dev.narflow.topics.nix.NixHash;
import dev.narflow.topics.nix.NixSecretKey;
import dev.narflow.topics.nix.StorePath;
import dev.narflow.topics.store.v1.NARInfo;
import dev.narflow.topics.store.v1.PathInfo;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class PathInfosTest {
  static final StorePath PATH = StorePath.parseBaseName("syd87l2rxw8cbsxmxl853h0r6pdwhwjr-curl-7.82.0-bin");
  static final StorePath DEP = StorePath.parseBaseName("0i6vphc3vnr8mg0gxjr61564hnp0s2md-glibc-2.34-210");
  static final StorePath DRV = StorePath.parseBaseName("r2lb9d3q1n5l6hfj9fz5sc6d6lp2gmhk-curl-7.82.0.drv");
  static final byte[] SHA = new byte[32];

  static ImportResult fileImport() {
    Node root = Node.newBuilder().setFile(FileNode.newBuilder()
        .setDigest(ByteString.copyFrom(new byte[32])).setSize(3)).build();
    return new ImportResult(root, SHA, 120, List.of(), Map.of(), new ImportStats(1, 0, 0, 1, 1, 1, 1, 3, 3, 12, 3));
  }

  static NarInfo.Builder narInfo() {
    return NarInfo.builder().storePath(PATH).url("nar/x.nar.xz").compression("xz")
        .narHash(NixHash.of(HashAlgorithm.SHA256, SHA)).narSize(120)
        .references(List.of(DEP, PATH)).deriver(DRV);
  }

  @Test
  void aPathInfoHasTheNarinfosHashSizeReferencesSignaturesDeriverAndCa() {
    NarInfo unsigned = narInfo().ca("fixed:r:sha256:" + "1".repeat(52)).build();
    NixSecretKey k1 = NixSecretKey.generate("cache-a-1");
    NixSecretKey k2 = NixSecretKey.generate("cache-b-1");
    NarInfo info = unsigned.withSignature(k1.sign(unsigned)).withSignature(k2.sign(unsigned));
    PathInfo p = PathInfos.of(info, fileImport()).pathInfo();

    assertEquals(PATH.baseName(), p.getNode().getFile().getName().toStringUtf8());
    assertEquals(List.of(DEP.baseName(), PATH.baseName()), p.getNarinfo().getReferenceNamesList());
    assertArrayEquals(DEP.digest(), p.getReferences(0).toByteArray());
    assertEquals(120, p.getNarinfo().getNarSize());
    assertEquals(2, p.getNarinfo().getSignaturesCount());
    for (NARInfo.Signature s : p.getNarinfo().getSignaturesList()) assertEquals(64, s.getData().size());
    assertEquals(List.of("cache-a-1", "cache-b-1"),
        p.getNarinfo().getSignaturesList().stream().map(NARInfo.Signature::getName).sorted().toList());
    assertEquals("curl-7.82.0", p.getNarinfo().getDeriver().getName(), "snix keeps the deriver without .drv");
    assertArrayEquals(DRV.digest(), p.getNarinfo().getDeriver().getDigest().toByteArray());
    assertEquals(NARInfo.CA.Hash.NAR_SHA256, p.getNarinfo().getCa().getType());
    assertEquals(32, p.getNarinfo().getCa().getDigest().size());
  }

  @Test
  void everyContentAddressKindIsParsed() {
    String h256 = "1".repeat(52);
    assertEquals(NARInfo.CA.Hash.TEXT_SHA256, PathInfos.contentAddress("text:sha256:" + h256).getType());
    assertEquals(NARInfo.CA.Hash.FLAT_SHA256, PathInfos.contentAddress("fixed:sha256:" + h256).getType());
    assertEquals(NARInfo.CA.Hash.NAR_SHA1, PathInfos.contentAddress("fixed:r:sha1:" + "1".repeat(32)).getType());
    assertEquals(NARInfo.CA.Hash.FLAT_MD5, PathInfos.contentAddress("fixed:md5:" + "1".repeat(26)).getType());
    assertEquals(20, PathInfos.contentAddress("fixed:r:sha1:" + "1".repeat(32)).getDigest().size());
    assertThrows(IllegalArgumentException.class, () -> PathInfos.contentAddress("git:sha1:" + "1".repeat(32)));
  }

  @Test
  void aMalformedSigIsLeftOutAndNamed() {
    NarInfo info = narInfo().signatures(List.of("cache-a-1:bm90IDY0IGJ5dGVz")).build();
    PathInfos.Built built = PathInfos.of(info, fileImport());
    assertEquals(0, built.pathInfo().getNarinfo().getSignaturesCount());
    assertEquals(List.of("cache-a-1:bm90IDY0IGJ5dGVz"), built.skippedSignatures());
    assertFalse(built.pathInfo().getNarinfo().hasCa());
  }
}
