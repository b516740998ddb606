package dev.narflow.ingest.worker;

import static dev.narflow.ingest.worker.WorkerKit.await;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import dev.narflow.chunker.store.ChunkStore;
import dev.narflow.chunker.store.S3Config;
import dev.narflow.chunker.testing.S3ProxyServer;
import dev.narflow.ingest.testing.NixCacheFixture;
import dev.narflow.topics.kafka.IndexKey;
import dev.narflow.topics.nix.HashAlgorithm;
import dev.narflow.topics.nix.NarInfo;
import dev.narflow.topics.nix.NixSecretKey;
import dev.narflow.topics.nix.TrustedKeys;
import dev.narflow.topics.store.v1.PathInfo;
import dev.narflow.topics.testing.KafkaTestBroker;
import dev.narflow.topics.v1.FetchRequest;
import dev.narflow.topics.v1.IndexRecord;
import java.io.ByteArrayInputStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The worker storing chunks in S3 (S3Proxy, spoken to through minio-java), and committing paths
 * that finish together in one transaction.
 */
class IngestWorkerS3Test {
  @TempDir Path work;

  @Test
  void pathsGoToS3AndThoseFinishedTogetherShareATransaction() throws Exception {
    NixSecretKey key = NixSecretKey.generate("synthetic-s3-1");
    try (KafkaTestBroker broker = KafkaTestBroker.start();
        NixCacheFixture cache = NixCacheFixture.create(work.resolve("cache"));
        S3ProxyServer s3 = S3ProxyServer.start(java.nio.file.Files.createDirectories(work.resolve("s3")))) {
      s3.createBucket("chunks");
      List<NarInfo> infos = new ArrayList<>();
      Random random = new Random(6);
      for (int i = 0; i < 10; i++) {
        // Small trees, and one file of several chunks (a Blob record, several S3 objects).
        byte[] data = new byte[i == 0 ? 1_200_000 : 1000 + i];
        random.nextBytes(data);
        infos.add(SyntheticPaths.put(cache.dir(), key, SyntheticPaths.newPath("s3-path-" + i), List.of(), nar -> {
          nar.directoryStart(ByteString.EMPTY);
          nar.file(ByteString.copyFromUtf8("data"), false, data.length, new ByteArrayInputStream(data));
          nar.symlink(ByteString.copyFromUtf8("link"), ByteString.copyFromUtf8("data"));
          nar.directoryEnd();
        }));
      }
      RecordingListener listener = new RecordingListener();
      try (WorkerKit kit = new WorkerKit(broker, 1);
          ChunkStore store = ChunkStore.s3(S3Config.of(s3.endpoint(), "chunks", s3.accessKey(), s3.secretKey()))) {
        for (NarInfo info : infos) {
          FetchRequest r = WorkerKit.request(info.storePath().absolute(), cache.url().toString(), false);
          kit.enqueue(r);
        }
        // All ten start at once; the transaction waits for the last (the linger is long here).
        IngestWorker w = kit.worker(store).trustedKeys(TrustedKeys.of(key.publicKey())).listener(listener)
            .maxInFlightNars(10).batchLinger(Duration.ofSeconds(20)).build();
        w.start();
        try {
          await("all ten indexed", Duration.ofSeconds(40), () -> listener.indexed.size() == 10);
          assertTrue(w.transactionsCommitted() < 10,
              "ten paths finished together went out in " + w.transactionsCommitted() + " transactions");
        } finally {
          w.close();
        }
        Map<IndexKey, IndexRecord> index = kit.index();
        assertTrue(index.keySet().stream().anyMatch(k -> k.type() == IndexKey.Type.BLOB));
        for (NarInfo info : infos) {
          PathInfo pathInfo = WorkerKit.pathInfo(index, info.storePath());
          assertNotNull(pathInfo, info.storePath() + " indexed");
          byte[] nar = WorkerKit.render(index, pathInfo, store);
          assertEquals(info.narSize(), nar.length);
          assertArrayEquals(info.narHash().digest(), HashAlgorithm.SHA256.newDigest().digest(nar));
        }
        assertTrue(listener.bytes.get() >= infos.stream().mapToLong(NarInfo::narSize).sum(),
            "the listener saw every NAR byte");
      }
    }
  }
}
