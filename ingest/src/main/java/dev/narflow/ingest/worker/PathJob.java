package dev.narflow.ingest.worker;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import dev.narflow.chunker.nar.ImportOptions;
import dev.narflow.chunker.nar.ImportResult;
import dev.narflow.chunker.nar.NarImporter;
import dev.narflow.chunker.store.ChunkStore;
import dev.narflow.ingest.upstream.FetchException;
import dev.narflow.ingest.upstream.UpstreamClient;
import dev.narflow.ingest.upstream.UpstreamNarInfo;
import dev.narflow.ingest.upstream.VerifiedNar;
import dev.narflow.topics.castore.B3Digest;
import dev.narflow.topics.castore.v1.Directory;
import dev.narflow.topics.castore.v1.StatBlobResponse;
import dev.narflow.topics.kafka.IndexKey;
import dev.narflow.topics.kafka.IndexRecords;
import dev.narflow.topics.kafka.NarflowTopic;
import dev.narflow.topics.kafka.NarflowTopics;
import dev.narflow.topics.kafka.StorePathKey;
import dev.narflow.topics.kafka.StorePathMessages;
import dev.narflow.topics.nar.NarFormatException;
import dev.narflow.topics.nix.NarInfo;
import dev.narflow.topics.nix.StorePath;
import dev.narflow.topics.v1.FetchFailure;
import dev.narflow.topics.v1.FetchFailure.Reason;
import dev.narflow.topics.v1.FetchRequest;
import dev.narflow.topics.v1.IndexRecord;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The work for one consumed record of narflow.work: fetch and verify the narinfo, request the
 * references, import the NAR into the chunk store, make it durable, and build the records of the
 * path's transaction. Runs on one of the worker's path threads; the poll thread commits what it
 * returns. Retries transient failures itself, with backoff, up to the worker's attempt bound.
 * {@link #cancel()} abandons it (a rebalance took its partition away, or the worker stops).
 */
final class PathJob {
  private static final Logger log = LoggerFactory.getLogger(PathJob.class);

  /**
   * Room left in a record for the key, headers and Kafka's record and batch framing: the producer
   * refuses a record whose estimated size exceeds max.request.size, and the topic a batch larger
   * than max.message.bytes.
   */
  static final int RECORD_FRAMING = 1024;
  static final int MAX_RECORD_VALUE = NarflowTopics.INDEX_MAX_RECORD_BYTES - RECORD_FRAMING;

  /** What every job of one worker shares. */
  record Pipeline(UpstreamClients upstreams, NarImporter importer, ChunkStore store, ByteBudget budget,
      ReferenceRequests references, IngestListener listener, int maxAttempts, Duration initialBackoff,
      Duration maxBackoff, Duration referenceAckTimeout, NarflowTopic<?, ?> index,
      NarflowTopic<?, ?> failures) {}

  /** A failure classified for narflow.failures and the retry decision. */
  /** A Retry-After beyond this is not waited for in full: the path would hold a slot for ever. */
  private static final Duration MAX_RETRY_AFTER = Duration.ofMinutes(5);

  private static final class Failure extends Exception {
    private static final long serialVersionUID = 1L;
    final Reason reason;
    final int upstreamStatus;
    final boolean retryable;
    /** Logged already (with its stack trace, once), so the give-up line is not repeated. */
    boolean logged;

    Failure(Reason reason, int upstreamStatus, boolean retryable, String message, Throwable cause) {
      super(message, cause, false, false);
      this.reason = reason;
      this.upstreamStatus = upstreamStatus;
      this.retryable = retryable;
    }
  }

  /** The job was cancelled; whatever it was doing is dropped. */
  private static final class Abandoned extends Exception {
    private static final long serialVersionUID = 1L;

    Abandoned() {
      super(null, null, false, false);
    }
  }

  final TopicPartition partition;
  final long offset;
  private final ConsumerRecord<byte[], byte[]> record;
  private final Pipeline pipeline;

  private volatile boolean cancelled;
  private Thread thread; // guarded by this
  private volatile VerifiedNar openNar;
  private boolean referencesSent;
  private List<Future<RecordMetadata>> referenceSends = List.of();

  PathJob(ConsumerRecord<byte[], byte[]> record, Pipeline pipeline) {
    this.record = record;
    this.partition = new TopicPartition(record.topic(), record.partition());
    this.offset = record.offset();
    this.pipeline = pipeline;
  }

  /** The outcome to commit, or null when the job was cancelled. */
  Outcome run() {
    synchronized (this) {
      thread = Thread.currentThread();
    }
    try {
      if (cancelled) return null;
      return runChecked();
    } catch (Abandoned e) {
      return null;
    } finally {
      // Under the lock cancel() interrupts with, so no interrupt of ours reaches the thread's next job.
      synchronized (this) {
        thread = null;
        Thread.interrupted();
      }
    }
  }

  /**
   * Abandons the job: closing its NAR stream (which VerifiedNar allows from another thread) ends
   * a blocked download, an interrupt wakes it from any other wait, and it stops at the next
   * check. Idempotent; any thread.
   */
  void cancel() {
    cancelled = true;
    VerifiedNar nar = openNar;
    if (nar != null) nar.close();
    synchronized (this) {
      if (thread != null) thread.interrupt();
    }
  }

  boolean cancelled() {
    return cancelled;
  }

  private Outcome runChecked() throws Abandoned {
    StorePathKey key;
    try {
      key = StorePathKey.parse(record.key());
    } catch (IllegalArgumentException e) {
      log.warn("skipping {}@{}: its key is not a store path digest ({})", partition, offset, e.getMessage());
      return new Outcome.Skipped("key is not a store path digest");
    }
    FetchRequest request;
    StorePath path;
    try {
      if (record.value() == null) throw new IllegalArgumentException("the record has no value");
      request = FetchRequest.parseFrom(record.value());
      path = StorePathMessages.fromMessage(request.getStorePath());
      if (!StorePathKey.of(path).equals(key)) {
        throw new IllegalArgumentException("its store path " + path + " does not match its key " + key);
      }
    } catch (InvalidProtocolBufferException | RuntimeException e) {
      FetchRequest bare = FetchRequest.newBuilder()
          .setStorePath(dev.narflow.topics.store.v1.StorePath.newBuilder()
              .setDigest(ByteString.copyFrom(key.toBytes())))
          .build();
      return failed(null, bare, new Failure(Reason.INTERNAL, 0, false,
          "undecodable work request " + partition + "@" + offset + ": " + e.getMessage(), e), 1);
    }

    UpstreamClient client;
    try {
      client = pipeline.upstreams().forUrls(request.getUpstreamUrl());
    } catch (IllegalArgumentException e) {
      return failed(path, request, new Failure(Reason.UPSTREAM_ERROR, 0, false, e.getMessage(), e), 1);
    }

    for (int attempt = 1; ; attempt++) {
      try {
        return attempt(client, request, path);
      } catch (Failure f) {
        if (cancelled) throw new Abandoned();
        if (!f.retryable || attempt >= pipeline.maxAttempts()) return failed(path, request, f, attempt);
        log.atInfo().setMessage("attempt failed, retrying").addKeyValue("store_path", path.absolute())
            .addKeyValue("reason", f.reason).addKeyValue("attempt", attempt)
            .addKeyValue("max_attempts", pipeline.maxAttempts()).addKeyValue("error", f.getMessage()).log();
        int failedAttempt = attempt;
        notify(l -> l.retrying(path, f.reason, failedAttempt));
        sleep(delayBefore(attempt, f));
      }
    }
  }

  private Outcome.Indexed attempt(UpstreamClient client, FetchRequest request, StorePath path)
      throws Failure, Abandoned {
    try {
      UpstreamNarInfo info = client.narInfo(path);
      NarInfo narInfo = info.narInfo();
      if (!narInfo.storePath().equals(path)) {
        throw new Failure(Reason.MALFORMED_NARINFO, 0, false,
            "the narinfo for " + path + " describes " + narInfo.storePath(), null);
      }
      if (request.getClosure() && !referencesSent) {
        referenceSends = pipeline.references().send(path, request, narInfo.references());
        referencesSent = true;
      }
      notify(l -> l.started(path, narInfo.narSize()));
      ImportResult imported = importNar(client, info);
      List<ProducerRecord<byte[], byte[]>> records = records(path, narInfo, imported);
      awaitReferences(path);
      notify(l -> l.imported(path, imported.stats()));
      if (cancelled) throw new Abandoned();
      return new Outcome.Indexed(path, records, imported.stats(), narInfo.narSize(), narInfo.fileSize());
    } catch (Failure | Abandoned e) {
      throw e;
    } catch (Throwable e) {
      throw classify(path, e);
    }
  }

  /** Downloads and imports the NAR; returns once every chunk is durable and both hashes agree. */
  private ImportResult importNar(UpstreamClient client, UpstreamNarInfo info)
      throws IOException, InterruptedException, Failure, Abandoned {
    NarInfo narInfo = info.narInfo();
    long weight = pipeline.budget().acquireNar(narInfo.narSize());
    try {
      ImportResult imported;
      try (VerifiedNar nar = client.openNar(info)) {
        openNar = nar;
        if (cancelled) throw new Abandoned();
        try {
          // Cancelled between reads too, so an abandoned path (rebalance, close) stops at once.
          ImportOptions options = ImportOptions.none().withCancellation(() -> cancelled);
          // VerifiedNar hashes every byte and fails at its end on a mismatch; finish() below reads to it.
          if (narInfo.narHash().algorithm() == dev.narflow.topics.nix.HashAlgorithm.SHA256) {
            options = options.withNarHashCheckedBySource(narInfo.narHash());
          }
          imported = pipeline.importer().importNar(new Progress(nar, pipeline.listener()), options);
        } catch (NarFormatException e) {
          // A NAR cut short by the network also looks malformed; the stream's own checks tell
          // a broken transfer (retryable) from a NAR that really is malformed.
          nar.finish();
          throw new Failure(Reason.MALFORMED_NAR, 0, false, e.getMessage(), e);
        }
        nar.finish();
      } finally {
        openNar = null;
      }
      if (!Arrays.equals(imported.narSha256(), narInfo.narHash().digest())) {
        throw new Failure(Reason.NAR_HASH_MISMATCH, 0, false, "the NAR of " + narInfo.storePath()
            + " hashes to " + dev.narflow.topics.nix.NixHash.of(dev.narflow.topics.nix.HashAlgorithm.SHA256,
                imported.narSha256()) + ", its narinfo says " + narInfo.narHash(), null);
      }
      if (imported.narSize() != narInfo.narSize()) {
        throw new Failure(Reason.NAR_SIZE_MISMATCH, 0, false, "the NAR of " + narInfo.storePath() + " has "
            + imported.narSize() + " bytes, its narinfo says " + narInfo.narSize(), null);
      }
      // importNar returned after ChunkStore.flush(): every chunk named by these records is
      // durable, the point after which they may be produced (a second flush here would only sync
      // other paths' chunks early).
      return imported;
    } finally {
      pipeline.budget().release(weight);
    }
  }

  /** The path's index records, the PathInfo last, each checked to fit the index topic. */
  private List<ProducerRecord<byte[], byte[]>> records(StorePath path, NarInfo narInfo, ImportResult imported)
      throws Failure {
    String topic = pipeline.index().name();
    List<ProducerRecord<byte[], byte[]>> records = new ArrayList<>();
    for (Directory d : imported.directories()) {
      IndexKey key = IndexRecords.keyOf(d);
      byte[] value = IndexRecords.of(d).toByteArray();
      if (value.length > MAX_RECORD_VALUE) {
        throw new Failure(Reason.STORAGE_ERROR, 0, false, "directory " + key + " of " + path + " has "
            + (d.getDirectoriesCount() + d.getFilesCount() + d.getSymlinksCount()) + " entries and encodes to "
            + value.length + " bytes, more than the index topic's record limit of " + MAX_RECORD_VALUE
            + " bytes (NarflowTopics.INDEX_MAX_RECORD_BYTES less framing); snix directories cannot be split", null);
      }
      records.add(new ProducerRecord<>(topic, key.toBytes(), value));
    }
    for (Map.Entry<B3Digest, StatBlobResponse> blob : imported.blobIndexes().entrySet()) {
      IndexKey key = IndexKey.blob(blob.getKey());
      byte[] value = IndexRecords.of(blob.getValue()).toByteArray();
      if (value.length > MAX_RECORD_VALUE) {
        throw new Failure(Reason.STORAGE_ERROR, 0, false, "the chunk list of blob " + key + " in " + path
            + " encodes to " + value.length + " bytes, more than the index topic's record limit", null);
      }
      records.add(new ProducerRecord<>(topic, key.toBytes(), value));
    }
    PathInfos.Built built = PathInfos.of(narInfo, imported);
    if (!built.skippedSignatures().isEmpty()) {
      log.warn("{}: left out {} malformed Sig value(s) of its narinfo: {}", path,
          built.skippedSignatures().size(), built.skippedSignatures());
    }
    IndexRecord pathInfo = IndexRecords.of(built.pathInfo());
    byte[] value = pathInfo.toByteArray();
    if (value.length > MAX_RECORD_VALUE) {
      throw new Failure(Reason.STORAGE_ERROR, 0, false, "the PathInfo of " + path + " encodes to "
          + value.length + " bytes, more than the index topic's record limit", null);
    }
    records.add(new ProducerRecord<>(topic, IndexKey.pathInfo(path).toBytes(), value));
    return records;
  }

  /** A committed path never lacks its reference requests: they are acknowledged first. */
  private void awaitReferences(StorePath path) throws Failure, InterruptedException {
    long deadline = System.nanoTime() + pipeline.referenceAckTimeout().toNanos();
    for (Future<RecordMetadata> send : referenceSends) {
      try {
        send.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
      } catch (ExecutionException | TimeoutException e) {
        // Sent again on the next attempt.
        referencesSent = false;
        Throwable cause = e instanceof ExecutionException ? e.getCause() : e;
        throw new Failure(Reason.STORAGE_ERROR, 0, true,
            "requesting the references of " + path + " failed: " + cause, cause);
      }
    }
  }

  private Failure classify(StorePath path, Throwable e) throws Abandoned {
    if (cancelled) throw new Abandoned();
    if (e instanceof FetchException f) {
      return new Failure(f.reason(), f.upstreamStatus(), f.retryable(), f.getMessage(), f);
    }
    if (e instanceof NarFormatException) {
      return new Failure(Reason.MALFORMED_NAR, 0, false, e.getMessage(), e);
    }
    if (e instanceof InterruptedException || e instanceof InterruptedIOException
        || e instanceof org.apache.kafka.common.errors.InterruptException) {
      // Interrupted without being cancelled: only IngestWorker.kill() stops path threads so, and
      // nothing of a killed worker is committed.
      throw new Abandoned();
    }
    if (e instanceof IOException) {
      // Everything the NAR stream throws is a FetchException (see Progress), so this came from
      // the chunk store.
      return new Failure(Reason.STORAGE_ERROR, 0, true,
          "chunk store " + pipeline.store().location() + ": " + e.getMessage(), e);
    }
    if (e instanceof KafkaException) {
      return new Failure(Reason.STORAGE_ERROR, 0, true, "Kafka: " + e.getMessage(), e);
    }
    log.atError().setMessage("internal error while mirroring a path").addKeyValue("store_path", path.absolute())
        .addKeyValue("reason", Reason.INTERNAL).setCause(e).log();
    Failure f = new Failure(Reason.INTERNAL, 0, false, "internal error: " + e, e);
    f.logged = true;
    return f;
  }

  private Outcome.Failed failed(StorePath path, FetchRequest request, Failure f, int attempts) {
    if (!f.logged) {
      // One line per path given up on, its fields as keys, for whoever searches the logs.
      var line = log.atWarn().setMessage("gave up on a path");
      line = path != null ? line.addKeyValue("store_path", path.absolute())
          : line.addKeyValue("record", partition + "@" + offset);
      line.addKeyValue("reason", f.reason).addKeyValue("upstream_status", Math.max(0, f.upstreamStatus))
          .addKeyValue("attempts", attempts).addKeyValue("error", f.getMessage()).log();
    }
    FetchFailure failure = FetchFailure.newBuilder()
        .setRequest(request)
        .setReason(f.reason)
        .setMessage(String.valueOf(f.getMessage()))
        .setUpstreamStatus(Math.max(0, f.upstreamStatus))
        .setAttempts(attempts)
        .setFailedAtMs(System.currentTimeMillis())
        .build();
    String topic = pipeline.failures().name();
    return new Outcome.Failed(path, failure, new ProducerRecord<>(topic, record.key(), failure.toByteArray()));
  }

  /** The backoff, or longer where the upstream asked for it with Retry-After (capped). */
  private Duration delayBefore(int attempt, Failure f) {
    Duration delay = backoff(attempt);
    if (f.getCause() instanceof FetchException e && e.retryAfter() != null) {
      Duration asked = e.retryAfter().compareTo(MAX_RETRY_AFTER) > 0 ? MAX_RETRY_AFTER : e.retryAfter();
      if (asked.compareTo(delay) > 0) delay = asked;
    }
    return delay;
  }

  private Duration backoff(int attempt) {
    long initial = pipeline.initialBackoff().toMillis();
    long max = pipeline.maxBackoff().toMillis();
    long exponential = initial << Math.min(attempt - 1, 20);
    long capped = Math.min(max, exponential < 0 ? max : exponential);
    // Jitter (half to all of it) keeps many workers that failed together from retrying together.
    return Duration.ofMillis(capped / 2 + ThreadLocalRandom.current().nextLong(capped / 2 + 1));
  }

  private void sleep(Duration d) throws Abandoned {
    try {
      Thread.sleep(d.toMillis());
    } catch (InterruptedException e) {
      throw new Abandoned();
    }
    if (cancelled) throw new Abandoned();
  }

  private interface ListenerCall {
    void call(IngestListener listener);
  }

  private void notify(ListenerCall call) {
    try {
      call.call(pipeline.listener());
    } catch (RuntimeException e) {
      log.warn("ingest listener failed (ignored)", e);
    }
  }

  /**
   * Reports NAR bytes to the listener as they are read, and makes sure that whatever the NAR
   * stream throws is a FetchException, so an IOException from anywhere else is the store's.
   */
  private static final class Progress extends FilterInputStream {
    private final IngestListener listener;

    Progress(InputStream in, IngestListener listener) {
      super(in);
      this.listener = listener;
    }

    @Override
    public int read() throws IOException {
      int b;
      try {
        b = in.read();
      } catch (IOException e) {
        throw upstream(e);
      }
      if (b >= 0) report(1);
      return b;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      int n;
      try {
        n = in.read(b, off, len);
      } catch (IOException e) {
        throw upstream(e);
      }
      if (n > 0) report(n);
      return n;
    }

    @Override
    public long skip(long n) throws IOException {
      try {
        long skipped = in.skip(n);
        if (skipped > 0) report(skipped);
        return skipped;
      } catch (IOException e) {
        throw upstream(e);
      }
    }

    @Override
    public void close() {
      // the NAR is closed by its owner
    }

    private void report(long n) {
      try {
        listener.bytesRead(n);
      } catch (RuntimeException e) {
        log.warn("ingest listener failed (ignored)", e);
      }
    }

    private static IOException upstream(IOException e) {
      if (e instanceof FetchException || e instanceof InterruptedIOException) return e;
      return new FetchException(Reason.UPSTREAM_ERROR, 0, true, "reading the NAR failed: " + e.getMessage(), e);
    }
  }
}
