package dev.narflow.ingest.worker;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import dev.narflow.chunker.store.ChunkStore;
import dev.narflow.topics.castore.B3Digest;
import dev.narflow.topics.castore.v1.Directory;
import dev.narflow.topics.kafka.IndexKey;
import dev.narflow.topics.nix.NarInfo;
import dev.narflow.topics.nix.NixPublicKey;
import dev.narflow.topics.nix.NixSecretKey;
import dev.narflow.topics.nix.StorePath;
import dev.narflow.topics.nix.TrustedKeys;
import dev.narflow.topics.store.v1.PathInfo;
import dev.narflow.topics.v1.FetchFailure;
import dev.narflow.topics.v1.FetchFailure.Reason;
import dev.narflow.topics.v1.FetchRequest;
import dev.narflow.topics.v1.IndexRecord;
import java.io.ByteArrayInputStream;
import java.io.OutputStream;
import java.nio.file.Path;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Inputs at the edge of the index topic's limits: a directory of 200,000 entries (its Directory
 * record is ~10 MB, ten times Kafka's default record limit), one past the 16 MiB limit, and a
 * path with 1,000 references. The NARs are written with topics' NarWriter into the test cache.
 */
class IngestWorkerLargeInputTest extends NixCacheWorkerTest {
  static final int ENTRIES = 200_000;

  static NixSecretKey key;

  @BeforeAll
  static void makeKey() {
    key = NixSecretKey.generate("synthetic-1");
  }

  IngestWorker worker(WorkerKit kit, ChunkStore store, RecordingListener listener) {
    return kit.worker(store).trustedKeys(TrustedKeys.of(key.publicKey(), NixPublicKey.parse(cache.publicKey())))
        .listener(listener).maxAttempts(2).build();
  }

  /** A root directory of {@link #ENTRIES} empty files named {@code prefix + number}, and one with data. */
  static SyntheticPaths.Contents bigDirectory(String prefix) {
    return nar -> {
      nar.directoryStart(ByteString.EMPTY);
      for (int i = 0; i < ENTRIES; i++) {
        String name = prefix + String.format("%06d", i);
        byte[] data = i == 0 ? "the first file\n".getBytes() : new byte[0];
        nar.file(ByteString.copyFromUtf8(name), i % 7 == 0, data.length, new ByteArrayInputStream(data));
      }
      nar.directoryEnd();
    };
  }

  @Test
  void aDirectoryOf200000EntriesIsIndexedAndRendersToItsNarHash() throws Exception {
    StorePath path = SyntheticPaths.newPath("many-files");
    NarInfo info = SyntheticPaths.put(cache.dir(), key, path, List.of(), bigDirectory("f"));
    RecordingListener listener = new RecordingListener();
    try (WorkerKit kit = new WorkerKit(broker, 1);
        ChunkStore store = ChunkStore.localDirectory(work.resolve("chunks-big"))) {
      kit.runUntil(worker(kit, store, listener), "the path indexed", Duration.ofSeconds(50),
          () -> listener.count(listener.indexed, path) == 1 || !listener.failed.isEmpty(),
          WorkerKit.request(path.absolute(), cache.url().toString(), false));
      assertTrue(listener.failed.isEmpty(), () -> "failed: " + listener.failed);
      Map<IndexKey, IndexRecord> index = kit.index();
      PathInfo pathInfo = WorkerKit.pathInfo(index, path);
      assertNotNull(pathInfo);
      Directory root = index.get(IndexKey.directory(B3Digest.of(pathInfo.getNode().getDirectory().getDigest())))
          .getDirectory();
      assertEquals(ENTRIES, root.getFilesCount());
      assertTrue(root.getSerializedSize() > 8 * 1024 * 1024,
          "the Directory record is " + root.getSerializedSize() + " bytes, far past Kafka's 1 MiB default");

      MessageDigest sha256 = MessageDigest.getInstance("SHA-256");
      try (OutputStream out = new DigestOutputStream(OutputStream.nullOutputStream(), sha256)) {
        byte[] nar = WorkerKit.render(index, pathInfo, store);
        assertEquals(info.narSize(), nar.length);
        out.write(nar);
      }
      assertArrayEquals(info.narHash().digest(), sha256.digest());
    }
  }

  @Test
  void aDirectoryPastTheRecordLimitFailsWithAStorageErrorNamingItsSize() throws Exception {
    StorePath path = SyntheticPaths.newPath("too-many-long-names");
    // ~100-byte names: ~140 bytes an entry, 28 MB for the Directory, past the 16 MiB limit.
    SyntheticPaths.put(cache.dir(), key, path, List.of(), bigDirectory("x".repeat(94)));
    RecordingListener listener = new RecordingListener();
    try (WorkerKit kit = new WorkerKit(broker, 1);
        ChunkStore store = ChunkStore.localDirectory(work.resolve("chunks-too-big"))) {
      kit.runUntil(worker(kit, store, listener), "the failure", Duration.ofSeconds(50),
          () -> !listener.failed.isEmpty(),
          WorkerKit.request(path.absolute(), cache.url().toString(), false));
      List<FetchFailure> failures = kit.failuresProduced();
      assertEquals(1, failures.size());
      FetchFailure f = failures.get(0);
      assertEquals(Reason.STORAGE_ERROR, f.getReason());
      assertEquals(1, f.getAttempts(), "a record too large for the topic is not retried");
      assertTrue(f.getMessage().contains(ENTRIES + " entries"), f.getMessage());
      assertTrue(f.getMessage().matches(".*encodes to \\d{8} bytes.*"), f.getMessage());
      assertTrue(kit.index().isEmpty(), "nothing of the path in the index");
      assertNull(WorkerKit.pathInfo(kit.index(), path));
    }
  }

  @Test
  void aPathWith1000ReferencesGetsItsPathInfoAndEveryReferenceRequested() throws Exception {
    StorePath path = SyntheticPaths.newPath("many-references");
    Set<StorePath> references = new TreeSet<>();
    for (int i = 0; i < 1000; i++) references.add(SyntheticPaths.newPath("dep-" + i));
    List<StorePath> withSelf = new ArrayList<>(references);
    withSelf.add(path);
    SyntheticPaths.put(cache.dir(), key, path, withSelf, nar -> {
      byte[] text = String.join("\n", withSelf.stream().map(StorePath::absolute).toList()).getBytes();
      nar.file(ByteString.EMPTY, false, text.length, new ByteArrayInputStream(text));
    });
    RecordingListener listener = new RecordingListener();
    try (WorkerKit kit = new WorkerKit(broker, 3);
        ChunkStore store = ChunkStore.localDirectory(work.resolve("chunks-refs"))) {
      kit.runUntil(worker(kit, store, listener), "the path indexed", Duration.ofSeconds(30),
          () -> listener.count(listener.indexed, path) == 1,
          WorkerKit.request(path.absolute(), cache.url().toString(), true));
      PathInfo info = WorkerKit.pathInfo(kit.index(), path);
      assertNotNull(info);
      assertEquals(1001, info.getReferencesCount());
      assertEquals(new TreeSet<>(withSelf).stream().map(StorePath::baseName).toList(),
          info.getNarinfo().getReferenceNamesList());
      List<FetchRequest> requests = kit.requestsProduced();
      assertEquals(1000, requests.size(), "one request per reference, none for the self-reference");
      assertEquals(references, requests.stream().map(IngestWorkerNixTest::pathOf).collect(Collectors.toSet()));
    }
  }
}
