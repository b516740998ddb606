package dev.narflow.topics.kafka;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import dev.narflow.topics.castore.B3Digest;
import dev.narflow.topics.castore.CastoreFixtures;
import dev.narflow.topics.castore.Directories;
import dev.narflow.topics.castore.v1.Directory;
import dev.narflow.topics.castore.v1.StatBlobResponse;
import dev.narflow.topics.store.v1.PathInfo;
import dev.narflow.topics.store.v1.StorePath;
import dev.narflow.topics.v1.FetchFailure;
import dev.narflow.topics.v1.FetchRequest;
import dev.narflow.topics.v1.IndexRecord;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.HexFormat;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.Serde;
import org.junit.jupiter.api.Test;

class KeysAndSerdesTest {
  private static final byte[] PATH_DIGEST = HexFormat.of().parseHex("800d59cfcd3c05e900cb4e214be48f6b886a08df");

  @Test
  void indexKeyLayout() {
    B3Digest d = CastoreFixtures.EMPTY_BLOB;
    byte[] dir = IndexKey.directory(d).toBytes();
    assertEquals(33, dir.length);
    assertEquals('D', dir[0]);
    assertArrayEquals(d.toByteArray(), Arrays.copyOfRange(dir, 1, 33));
    assertEquals('B', IndexKey.blob(d).toBytes()[0]);
    byte[] path = IndexKey.pathInfo(PATH_DIGEST).toBytes();
    assertEquals(21, path.length);
    assertEquals('P', path[0]);

    for (IndexKey k : new IndexKey[] {IndexKey.directory(d), IndexKey.blob(d), IndexKey.pathInfo(StorePathKey.of(PATH_DIGEST))}) {
      assertEquals(k, IndexKey.parse(k.toBytes()));
    }
    assertEquals(IndexKey.Type.BLOB, IndexKey.parse(IndexKey.blob(d).toBytes()).type());
    assertEquals(d, IndexKey.parse(dir).b3Digest());
    assertEquals(StorePathKey.of(PATH_DIGEST), IndexKey.parse(path).storePath());
    assertEquals("P:800d59cfcd3c05e900cb4e214be48f6b886a08df", IndexKey.parse(path).toString());
    assertThrows(IllegalStateException.class, () -> IndexKey.parse(path).b3Digest());
    assertThrows(IllegalStateException.class, () -> IndexKey.parse(dir).storePath());
  }

  @Test
  void malformedIndexKeysAreRejected() {
    assertEquals("index key is empty",
        assertThrows(IllegalArgumentException.class, () -> IndexKey.parse(new byte[0])).getMessage());
    assertEquals("index key has unknown type byte 0x58 (expected 'D', 'B' or 'P')",
        assertThrows(IllegalArgumentException.class, () -> IndexKey.parse(new byte[] {'X', 1})).getMessage());
    assertEquals("index key of type 'P' must be 21 bytes, got 33", assertThrows(IllegalArgumentException.class,
        () -> IndexKey.parse(withTag('P', IndexKey.directory(CastoreFixtures.EMPTY_BLOB).toBytes()))).getMessage());
    assertEquals("index key of type 'D' must be 33 bytes, got 21", assertThrows(IllegalArgumentException.class,
        () -> IndexKey.parse(withTag('D', IndexKey.pathInfo(PATH_DIGEST).toBytes()))).getMessage());
    assertThrows(IllegalArgumentException.class, () -> IndexKey.pathInfo(new byte[32]));
    assertThrows(IllegalArgumentException.class, () -> StorePathKey.of(new byte[19]));

    SerializationException e = assertThrows(SerializationException.class,
        () -> NarflowSerdes.indexKey().deserializer().deserialize("narflow.index", new byte[] {'Q'}));
    assertTrue(e.getMessage().startsWith("malformed index key in topic narflow.index: index key has unknown type"),
        e.getMessage());
    SerializationException s = assertThrows(SerializationException.class,
        () -> NarflowSerdes.storePathKey().deserializer().deserialize("narflow.work", new byte[3]));
    assertEquals("malformed store path key in topic narflow.work: store path digest must be 20 bytes, got 3",
        s.getMessage());
  }

  private static byte[] withTag(char tag, byte[] key) {
    key[0] = (byte) tag;
    return key;
  }

  @Test
  void keySerdesRoundTrip() {
    StorePathKey key = StorePathKey.of(PATH_DIGEST);
    Serde<StorePathKey> serde = NarflowSerdes.storePathKey();
    byte[] bytes = serde.serializer().serialize("narflow.work", key);
    assertArrayEquals(PATH_DIGEST, bytes);
    assertEquals(key, serde.deserializer().deserialize("narflow.work", bytes));
    IndexKey ik = IndexKey.pathInfo(key);
    assertEquals(ik, NarflowSerdes.indexKey().deserializer().deserialize("t", NarflowSerdes.indexKey().serializer().serialize("t", ik)));
  }

  @Test
  void protobufSerdesRoundTripEveryRecord() {
    FetchRequest request = FetchRequest.newBuilder()
        .setStorePath(StorePath.newBuilder().setName("hello-2.12").setDigest(ByteString.copyFrom(PATH_DIGEST)))
        .setUpstreamUrl("https://cache.nixos.org").setClosure(true).setOrigin("cli").setAttempt(1)
        .setEnqueuedAtMs(1_700_000_000_000L).build();
    FetchFailure failure = FetchFailure.newBuilder().setRequest(request).setReason(FetchFailure.Reason.NAR_HASH_MISMATCH)
        .setMessage("NarHash mismatch").setUpstreamStatus(200).setAttempts(3).setFailedAtMs(1_700_000_000_500L).build();
    Directory dir = CastoreFixtures.directoryComplicated();
    roundTrip(NarflowSerdes.fetchRequest(), request);
    roundTrip(NarflowSerdes.fetchFailure(), failure);
    roundTrip(NarflowSerdes.directory(), dir);
    roundTrip(NarflowSerdes.pathInfo(), PathInfo.newBuilder().addReferences(ByteString.copyFrom(PATH_DIGEST)).build());
    roundTrip(NarflowSerdes.statBlobResponse(), StatBlobResponse.newBuilder().setBao(ByteString.copyFromUtf8("x")).build());
    roundTrip(NarflowSerdes.indexRecord(), IndexRecords.of(dir));
    // A bare Directory's value bytes are exactly what its digest is taken of.
    assertEquals(Directories.digest(dir), B3Digest.wrap(hash(NarflowSerdes.directory().serializer().serialize("t", dir))));
  }

  private static byte[] hash(byte[] data) {
    org.bouncycastle.crypto.digests.Blake3Digest b = new org.bouncycastle.crypto.digests.Blake3Digest();
    b.update(data, 0, data.length);
    byte[] out = new byte[32];
    b.doFinal(out, 0);
    return out;
  }

  private static <T extends com.google.protobuf.Message> void roundTrip(ProtobufSerde<T> serde, T message) {
    byte[] bytes = serde.serializer().serialize("t", message);
    assertArrayEquals(message.toByteArray(), bytes);
    assertEquals(message, serde.deserializer().deserialize("t", bytes));
    // The ByteBuffer path reads from position to limit of a larger buffer.
    ByteBuffer framed = ByteBuffer.allocate(bytes.length + 6);
    framed.position(3);
    framed.put(bytes);
    framed.position(3).limit(3 + bytes.length);
    assertEquals(message, serde.deserializer().deserialize("t", new RecordHeaders(), framed.slice()));
    assertEquals(message, serde.deserializer().deserialize("t", new RecordHeaders(), framed));
  }

  @Test
  void tombstonesStayNull() {
    assertNull(NarflowSerdes.directory().serializer().serialize("t", null));
    assertNull(NarflowSerdes.pathInfo().serializer().serialize("t", null));
    assertNull(NarflowSerdes.indexRecord().deserializer().deserialize("t", (byte[]) null));
    assertNull(NarflowSerdes.indexRecord().deserializer().deserialize("t", new RecordHeaders(), (ByteBuffer) null));
  }

  @Test
  void indexRecordSerializerRefusesTombstones() {
    // A null value in the compacted index is a tombstone: compaction would then delete the only
    // copy of an immutable record that every view is rebuilt from.
    SerializationException e = assertThrows(SerializationException.class,
        () -> NarflowSerdes.indexRecord().serializer().serialize("narflow.index", null));
    assertTrue(e.getMessage().contains("null narflow.v1.IndexRecord for topic narflow.index"), e.getMessage());
  }

  @Test
  void malformedValuesFailNamingTypeAndTopic() {
    // A length-delimited field claiming 100 bytes with 1 present; and a bad wire type.
    byte[] truncated = {0x0a, 100, 1};
    SerializationException e = assertThrows(SerializationException.class,
        () -> NarflowSerdes.indexRecord().deserializer().deserialize("narflow.index", truncated));
    assertTrue(e.getMessage().startsWith("malformed narflow.v1.IndexRecord record in topic narflow.index (3 bytes): "),
        e.getMessage());
    byte[] badWireType = {0x0f};
    SerializationException f = assertThrows(SerializationException.class, () -> NarflowSerdes.fetchRequest()
        .deserializer().deserialize("narflow.work", new RecordHeaders(), ByteBuffer.wrap(badWireType)));
    assertTrue(f.getMessage().startsWith("malformed narflow.v1.FetchRequest record in topic narflow.work (1 bytes): "),
        f.getMessage());
  }

  @Test
  void indexRecordsMustMatchTheirKeys() {
    Directory dir = CastoreFixtures.directoryWithKeep();
    IndexKey key = IndexRecords.keyOf(dir);
    assertEquals("D:8b5b5d642b646bb8ed504b0862c39413e87e57491497de7bd075953f7b83810e", key.toString());
    IndexRecords.verify(key, IndexRecords.of(dir));

    IllegalArgumentException wrongKind = assertThrows(IllegalArgumentException.class,
        () -> IndexRecords.verify(IndexKey.pathInfo(PATH_DIGEST), IndexRecords.of(dir)));
    assertTrue(wrongKind.getMessage().contains("holds DIRECTORY, but its key calls for PATH_INFO"), wrongKind.getMessage());
    IllegalArgumentException wrongDigest = assertThrows(IllegalArgumentException.class,
        () -> IndexRecords.verify(IndexKey.directory(CastoreFixtures.EMPTY_BLOB), IndexRecords.of(dir)));
    assertTrue(wrongDigest.getMessage().contains("Directory hashes to 8b5b5d64"), wrongDigest.getMessage());
    IllegalArgumentException empty = assertThrows(IllegalArgumentException.class,
        () -> IndexRecords.verify(key, IndexRecord.getDefaultInstance()));
    assertTrue(empty.getMessage().contains("holds RECORD_NOT_SET"), empty.getMessage());
    Directory unsorted = CastoreFixtures.directoryComplicated().toBuilder()
        .addFiles(CastoreFixtures.directoryWithKeep().getFiles(0)).build();
    IllegalArgumentException invalid = assertThrows(IllegalArgumentException.class,
        () -> IndexRecords.verify(IndexRecords.keyOf(unsorted), IndexRecords.of(unsorted)));
    assertTrue(invalid.getMessage().contains("\".keep\" (file): duplicate name"), invalid.getMessage());

    PathInfo info = PathInfo.newBuilder()
        .setNode(dev.narflow.topics.castore.v1.Node.newBuilder()
            .setDirectory(Directories.directoryNode(ByteString.copyFromUtf8("vw46m23bizj4n8afrc0fj19wrp7mj3c0-hello"), dir)))
        .addReferences(ByteString.copyFrom(PATH_DIGEST))
        .setNarinfo(dev.narflow.topics.store.v1.NARInfo.newBuilder()
            .setNarSize(120).setNarSha256(ByteString.copyFrom(new byte[32]))
            .addReferenceNames("vw46m23bizj4n8afrc0fj19wrp7mj3c0-hello"))
        .build();
    IndexKey pathKey = IndexKey.pathInfo(PATH_DIGEST);
    IndexRecords.verify(pathKey, IndexRecords.of(info));
    IllegalArgumentException names = assertThrows(IllegalArgumentException.class, () -> IndexRecords.verify(pathKey,
        IndexRecords.of(info.toBuilder().setNarinfo(info.getNarinfo().toBuilder().clearReferenceNames()).build())));
    assertEquals("index record P:800d59cfcd3c05e900cb4e214be48f6b886a08df: PathInfo has 1 references but 0 reference names",
        names.getMessage());
    IllegalArgumentException ref = assertThrows(IllegalArgumentException.class, () -> IndexRecords.verify(pathKey,
        IndexRecords.of(info.toBuilder().setReferences(0, ByteString.copyFrom(new byte[32])).build())));
    assertTrue(ref.getMessage().endsWith("PathInfo reference #0 must be 20 bytes, got 32"), ref.getMessage());
    assertThrows(IllegalArgumentException.class, () -> IndexRecords.verify(pathKey, IndexRecords.of(info.toBuilder().clearNode().build())));
    assertThrows(IllegalArgumentException.class, () -> IndexRecords.verify(pathKey, IndexRecords.of(info.toBuilder().clearNarinfo().build())));

    // The root node must be named by the key's store path, and each reference name by its digest.
    String other = "1b8m03r63zqhnjf7l5wnldhh7c134ap5-hello";
    IllegalArgumentException wrongRoot = assertThrows(IllegalArgumentException.class, () -> IndexRecords.verify(pathKey,
        IndexRecords.of(info.toBuilder().setNode(dev.narflow.topics.castore.v1.Node.newBuilder()
            .setDirectory(Directories.directoryNode(ByteString.copyFromUtf8(other), dir))).build())));
    assertTrue(wrongRoot.getMessage().endsWith("PathInfo root node is named " + other
        + ", not a path with hash part vw46m23bizj4n8afrc0fj19wrp7mj3c0"), wrongRoot.getMessage());
    IllegalArgumentException unnamed = assertThrows(IllegalArgumentException.class, () -> IndexRecords.verify(pathKey,
        IndexRecords.of(info.toBuilder().setNode(dev.narflow.topics.castore.v1.Node.newBuilder()
            .setDirectory(Directories.directoryNode(ByteString.copyFromUtf8("hello"), dir))).build())));
    assertTrue(unnamed.getMessage().contains("PathInfo root node name is not a store path base name"), unnamed.getMessage());
    IllegalArgumentException wrongRef = assertThrows(IllegalArgumentException.class, () -> IndexRecords.verify(pathKey,
        IndexRecords.of(info.toBuilder().setNarinfo(info.getNarinfo().toBuilder().setReferenceNames(0, other)).build())));
    assertTrue(wrongRef.getMessage().endsWith("PathInfo reference name #0 " + other + " does not match its reference digest"),
        wrongRef.getMessage());
  }

  @Test
  void topicDefinitions() {
    assertEquals("compact", NarflowTopics.INDEX.configs().get("cleanup.policy"));
    assertEquals("delete", NarflowTopics.FAILURES.configs().get("cleanup.policy"));
    assertEquals(Long.toString(30L * 24 * 3600 * 1000), NarflowTopics.FAILURES.configs().get("retention.ms"));
    assertEquals(java.util.List.of("narflow.requests", "narflow.work", "narflow.index", "narflow.failures"),
        NarflowTopics.ALL.stream().map(NarflowTopic::name).toList());
    var topic = NarflowTopics.WORK.newTopic(TopicLayout.of(6, 3));
    assertEquals(6, topic.numPartitions());
    assertEquals(3, topic.replicationFactor());
    var defaults = NarflowTopics.WORK.newTopic(TopicLayout.defaults());
    assertEquals(TopicLayout.DEFAULT_PARTITIONS, defaults.numPartitions());
    assertEquals(-1, defaults.replicationFactor()); // the broker's default
    assertThrows(IllegalArgumentException.class, () -> TopicLayout.of(0, 1));
    assertThrows(IllegalArgumentException.class, () -> TopicLayout.of(1, 0));
  }

  @Test
  void storePathKeysComeFromStorePathsAndPrintTheirHashPart() {
    // VECTORS.md: nixbase32 of the 20 bytes 800d59cf…08df is vw46m23bizj4n8afrc0fj19wrp7mj3c0.
    dev.narflow.topics.nix.StorePath path =
        dev.narflow.topics.nix.StorePath.parse("/nix/store/vw46m23bizj4n8afrc0fj19wrp7mj3c0-hello-2.12");
    StorePathKey key = StorePathKey.of(path);
    assertArrayEquals(PATH_DIGEST, key.toBytes());
    assertEquals("vw46m23bizj4n8afrc0fj19wrp7mj3c0", key.hashPart());
    assertEquals("vw46m23bizj4n8afrc0fj19wrp7mj3c0", key.toString());
    assertEquals(IndexKey.pathInfo(PATH_DIGEST), IndexKey.pathInfo(path));
  }
}
