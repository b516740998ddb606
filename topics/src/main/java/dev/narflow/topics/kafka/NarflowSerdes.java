package dev.narflow.topics.kafka;

import dev.narflow.topics.castore.v1.Directory;
import dev.narflow.topics.castore.v1.StatBlobResponse;
import dev.narflow.topics.store.v1.PathInfo;
import dev.narflow.topics.v1.FetchFailure;
import dev.narflow.topics.v1.FetchRequest;
import dev.narflow.topics.v1.IndexRecord;
import org.apache.kafka.common.serialization.Serde;

/** The serdes of every narflow record and key. All are stateless and may be shared. */
public final class NarflowSerdes {
  private static final Serde<StorePathKey> STORE_PATH_KEY =
      new KeySerde<>("store path", StorePathKey::toBytes, StorePathKey::parse);
  private static final Serde<IndexKey> INDEX_KEY = new KeySerde<>("index", IndexKey::toBytes, IndexKey::parse);
  private static final ProtobufSerde<FetchRequest> FETCH_REQUEST = ProtobufSerde.of(FetchRequest.getDefaultInstance());
  private static final ProtobufSerde<FetchFailure> FETCH_FAILURE = ProtobufSerde.of(FetchFailure.getDefaultInstance());
  private static final ProtobufSerde<IndexRecord> INDEX_RECORD =
      ProtobufSerde.refusingTombstones(IndexRecord.getDefaultInstance());
  private static final ProtobufSerde<Directory> DIRECTORY = ProtobufSerde.of(Directory.getDefaultInstance());
  private static final ProtobufSerde<StatBlobResponse> STAT_BLOB_RESPONSE =
      ProtobufSerde.of(StatBlobResponse.getDefaultInstance());
  private static final ProtobufSerde<PathInfo> PATH_INFO = ProtobufSerde.of(PathInfo.getDefaultInstance());

  private NarflowSerdes() {}

  /** Keys of narflow.requests, narflow.work and narflow.failures. */
  public static Serde<StorePathKey> storePathKey() {
    return STORE_PATH_KEY;
  }

  /** Keys of narflow.index. */
  public static Serde<IndexKey> indexKey() {
    return INDEX_KEY;
  }

  /** Values of narflow.requests and narflow.work. */
  public static ProtobufSerde<FetchRequest> fetchRequest() {
    return FETCH_REQUEST;
  }

  /** Values of narflow.failures. */
  public static ProtobufSerde<FetchFailure> fetchFailure() {
    return FETCH_FAILURE;
  }

  /**
   * Values of narflow.index. Serializing null fails: in the compacted index a tombstone would
   * delete an immutable record for good (see {@link NarflowTopics#INDEX}).
   */
  public static ProtobufSerde<IndexRecord> indexRecord() {
    return INDEX_RECORD;
  }

  /** A bare Directory (e.g. in a state store); its bytes are what its digest is taken of. */
  public static ProtobufSerde<Directory> directory() {
    return DIRECTORY;
  }

  /** A bare blob chunk list (e.g. in a state store). */
  public static ProtobufSerde<StatBlobResponse> statBlobResponse() {
    return STAT_BLOB_RESPONSE;
  }

  /** A bare PathInfo (e.g. in a state store). */
  public static ProtobufSerde<PathInfo> pathInfo() {
    return PATH_INFO;
  }
}
