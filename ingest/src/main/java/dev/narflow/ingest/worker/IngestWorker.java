package dev.narflow.ingest.worker;

import dev.narflow.chunker.nar.NarImporter;
import dev.narflow.chunker.store.ChunkStore;
import dev.narflow.topics.kafka.NarflowTopic;
import dev.narflow.topics.kafka.NarflowTopics;
import dev.narflow.topics.kafka.StorePathKey;
import dev.narflow.topics.nix.TrustedKeys;
import dev.narflow.topics.v1.FetchRequest;
import java.io.Closeable;
import java.io.IOException;
import java.net.InetAddress;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.CooperativeStickyAssignor;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.AuthorizationException;
import org.apache.kafka.common.errors.OutOfOrderSequenceException;
import org.apache.kafka.common.errors.ProducerFencedException;
import org.apache.kafka.common.errors.UnsupportedVersionException;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An ingest worker: consumes narflow.work in a consumer group and, for each request, fetches and
 * verifies the path from its upstream, imports the NAR into the chunk store and, once every chunk
 * is durable, commits the path's Directory and Blob records, its PathInfo last, together with the
 * consumed offset in one Kafka transaction (or, when the path cannot be mirrored, a FetchFailure
 * and the offset). Stateless: several workers share the work by the group's partitions.
 *
 * <p><b>Threads.</b> One poll thread owns the consumer and the transactional producer: it polls
 * without pause (so {@code max.poll.interval.ms} never trips on a long download), hands records to
 * up to {@code maxInFlightNars} path threads ({@link PathJob}), and commits what they finish,
 * several paths per transaction when they finish within {@code batchLinger}. Chunk hashing,
 * compression and uploads run on one shared {@link NarImporter} thread pool under one memory
 * bound. While all path threads are busy the assigned partitions are paused, not left unpolled.
 *
 * <p><b>Offsets</b> are committed per partition up to the first record whose work is not done
 * ({@link OffsetTracker}), with the records finished above it named in the offset's metadata, so
 * that after a crash or a rebalance only the unfinished ones are redone. Redoing is harmless
 * anyway: index records are content-addressed and idempotent, and known chunks are skipped.
 *
 * <p><b>Rebalances.</b> Before partitions are revoked the finished work is committed; the work in
 * flight for them is abandoned (never committed) and redone by the new owner. A transaction that
 * fails is aborted and the worker restarts all its partitions from their committed offsets. The
 * group generation goes with every offset commit ({@code sendOffsetsToTransaction} with the
 * consumer's group metadata), so a zombie that lost its partitions cannot commit.
 */
public final class IngestWorker implements Closeable {
  private static final Logger log = LoggerFactory.getLogger(IngestWorker.class);
  private static final AtomicInteger INSTANCES = new AtomicInteger();

  private final Builder settings;
  private final String workerId;
  private final NarflowTopic<StorePathKey, FetchRequest> work;
  private final IngestListener listener;

  private final Object lifecycle = new Object();
  private volatile boolean started;
  private volatile boolean closing;
  private volatile boolean killed;
  private volatile Throwable fatal;

  private KafkaConsumer<byte[], byte[]> consumer;
  private KafkaProducer<byte[], byte[]> producer;
  private KafkaProducer<byte[], byte[]> referenceProducer;
  private NarImporter importer;
  private UpstreamClients upstreams;
  private ExecutorService pathThreads;
  private PathJob.Pipeline pipeline;
  /** NAR bytes being imported, and the index records of finished paths until they commit. */
  private ByteBudget budget;
  private Thread pollThread;

  // Owned by the poll thread.
  private final OffsetTracker offsets = new OffsetTracker();
  private final Set<PathJob> jobs = new LinkedHashSet<>(); // consumed, not yet in a transaction
  private final ArrayDeque<PathJob> waiting = new ArrayDeque<>(); // consumed, not yet started
  private final List<Completion> batch = new ArrayList<>();
  private long batchStartedNanos;
  private int running;
  private final ConcurrentLinkedQueue<Completion> completions = new ConcurrentLinkedQueue<>();

  private static final Runnable NO_HOOK = () -> {};
  /** Test hook: runs on the poll thread inside the transaction, just before it commits. */
  volatile Runnable beforeCommit = NO_HOOK;
  private final AtomicLong transactions = new AtomicLong();
  /** Paths on a path thread now (downloading, importing, waiting for budget or a retry). */
  private final AtomicInteger pathsInFlight = new AtomicInteger();
  /** The partitions assigned now, for tests and logs. */
  private volatile Set<TopicPartition> assignment = Set.of();

  /** A finished path waiting for its transaction; its records are charged to the byte budget until then. */
  private record Completion(PathJob job, Outcome outcome, long heldBytes) {
    Completion(PathJob job, Outcome outcome) {
      this(job, outcome, outcome == null ? 0 : outcome.recordBytes());
    }
  }

  private IngestWorker(Builder b) {
    this.settings = b;
    this.workerId = b.workerId != null ? b.workerId : defaultWorkerId();
    this.work = NarflowTopics.WORK.withPrefix(b.topicPrefix);
    this.listener = IngestListener.all(b.listeners);
  }

  public static Builder builder() {
    return new Builder();
  }

  /** The consumer group of every worker of a deployment: {@code <topic prefix>narflow-workers}. */
  public static String defaultGroupId(String topicPrefix) {
    return topicPrefix + "narflow-workers";
  }

  /** The transactional id and client id base of this worker's Kafka clients. */
  public String workerId() {
    return workerId;
  }

  /**
   * Connects to Kafka (registering the transactional id, which fences and aborts the open
   * transaction of an earlier instance with the same id) and starts the worker's threads.
   *
   * @throws KafkaException if Kafka cannot be reached within the clients' {@code max.block.ms}
   */
  public void start() {
    synchronized (lifecycle) {
      if (started) throw new IllegalStateException("worker " + workerId + " was started already");
      started = true;
      try {
        producer = new KafkaProducer<>(transactionalConfig(), new ByteArraySerializer(), new ByteArraySerializer());
        producer.initTransactions();
        referenceProducer = new KafkaProducer<>(referenceConfig(), new ByteArraySerializer(), new ByteArraySerializer());
        consumer = new KafkaConsumer<>(consumerConfig(), new ByteArrayDeserializer(), new ByteArrayDeserializer());
        NarImporter.Builder imports = NarImporter.builder(settings.chunkStore).parallelism(settings.importThreads);
        if (settings.importBufferBytes > 0) imports.maxInFlightBytes(settings.importBufferBytes);
        importer = imports.build();
        upstreams = new UpstreamClients(new UpstreamClients.Settings(settings.trustedKeys,
            settings.checkSignatures, settings.connectTimeout, settings.firstByteTimeout, settings.idleTimeout,
            listener));
        AtomicInteger threadNumber = new AtomicInteger();
        pathThreads = new ThreadPoolExecutor(settings.maxInFlightNars, settings.maxInFlightNars, 0,
            TimeUnit.MILLISECONDS, new LinkedBlockingQueue<>(), r -> {
              Thread t = new Thread(r, workerId + "-path-" + threadNumber.incrementAndGet());
              t.setDaemon(true);
              return t;
            });
        budget = new ByteBudget(settings.maxInFlightBytes);
        pipeline = new PathJob.Pipeline(upstreams, importer, settings.chunkStore, budget,
            new ReferenceRequests(referenceProducer, NarflowTopics.REQUESTS.withPrefix(settings.topicPrefix)),
            listener, settings.maxAttempts, settings.initialBackoff, settings.maxBackoff,
            settings.referenceAckTimeout, NarflowTopics.INDEX.withPrefix(settings.topicPrefix),
            NarflowTopics.FAILURES.withPrefix(settings.topicPrefix));
      } catch (RuntimeException e) {
        closeClients(Duration.ZERO);
        throw e;
      }
      consumer.subscribe(List.of(work.name()), new Rebalance());
      pollThread = new Thread(this::pollLoop, workerId + "-poll");
      pollThread.setDaemon(true);
      pollThread.start();
      log.info("ingest worker {} consuming {} in group {} ({} NARs / {} MiB in flight, {} import threads)",
          workerId, work.name(), settings.groupId, settings.maxInFlightNars,
          settings.maxInFlightBytes >> 20, settings.importThreads);
    }
  }

  /** False once the worker stopped: closed, or stopped by an error it cannot go on after. */
  public boolean isRunning() {
    Thread t = pollThread;
    return t != null && t.isAlive();
  }

  /** The error that stopped the worker, if one did (e.g. another worker took its transactional id). */
  public Optional<Throwable> failure() {
    return Optional.ofNullable(fatal);
  }

  /**
   * Stops cleanly: takes no new work, lets the paths in flight finish and commits them for up to
   * {@code closeTimeout}, then abandons the rest (uncommitted, so the next owner of the
   * partitions redoes them), leaves the group and closes the Kafka clients. Does not close the
   * chunk store.
   */
  @Override
  public void close() {
    synchronized (lifecycle) {
      if (!started || pollThread == null) return;
      closing = true;
      join(settings.closeTimeout.plusSeconds(30));
    }
  }

  /**
   * Test hook: dies as a crashed process would, between any two steps: nothing more is sent or
   * committed, and the open transaction (if any) is left for the next instance with the same
   * worker id to abort. The consumer is closed at once, so the group need not wait for a session
   * timeout to reassign the partitions.
   */
  void kill() {
    synchronized (lifecycle) {
      killed = true;
      if (producer != null) producer.close(Duration.ZERO);
      if (referenceProducer != null) referenceProducer.close(Duration.ZERO);
      if (pathThreads != null) pathThreads.shutdownNow();
      if (consumer != null) consumer.wakeup();
      if (pollThread != null) {
        pollThread.interrupt(); // out of any wait, a test hook's included
        join(Duration.ofSeconds(30));
      }
    }
  }

  /** Paths being fetched and imported now, each on a path thread (at most {@code maxInFlightNars}). */
  public int pathsInFlight() {
    return pathsInFlight.get();
  }

  /** How many transactions this worker committed. */
  long transactionsCommitted() {
    return transactions.get();
  }

  /** The partitions of narflow.work this worker owns now. */
  Set<TopicPartition> assignment() {
    return assignment;
  }

  private void join(Duration timeout) {
    try {
      pollThread.join(timeout.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    if (pollThread.isAlive()) log.warn("ingest worker {} did not stop within {}", workerId, timeout);
  }

  // ---- the poll thread

  private void pollLoop() {
    try {
      while (!killed && fatal == null && !(closing && running == 0)) {
        ConsumerRecords<byte[], byte[]> records;
        try {
          records = consumer.poll(batch.isEmpty() ? Duration.ofMillis(100) : Duration.ofMillis(10));
        } catch (WakeupException e) {
          continue;
        }
        for (ConsumerRecord<byte[], byte[]> r : records) {
          if (!offsets.consumed(new TopicPartition(r.topic(), r.partition()), r.offset())) {
            log.debug("ingest worker {}: {}-{}@{} was finished before a restart; skipped", workerId, r.topic(),
                r.partition(), r.offset());
            continue;
          }
          PathJob job = new PathJob(r, pipeline);
          jobs.add(job);
          waiting.add(job);
        }
        collectCompletions();
        if (closing) {
          dropWaiting();
          if (System.nanoTime() - closeStartedNanos() > settings.closeTimeout.toNanos()) abandonRunning();
        } else {
          dispatch();
        }
        if (!batch.isEmpty() && (running == 0 || closing
            || System.nanoTime() - batchStartedNanos >= settings.batchLinger.toNanos())) {
          commit();
        }
        if (!killed) updatePause();
      }
      if (!killed && fatal == null) {
        collectCompletions();
        commit();
      }
    } catch (WakeupException e) {
      // kill()
    } catch (RuntimeException | Error e) {
      if (!killed) {
        fatal = e;
        log.error("ingest worker {} stopped: {}", workerId, e.toString(), e);
      }
    } finally {
      shutdown();
    }
  }

  private long closeStarted = -1;

  private long closeStartedNanos() {
    if (closeStarted < 0) closeStarted = System.nanoTime();
    return closeStarted;
  }

  /** Starts waiting jobs while path threads are free. */
  private void dispatch() {
    while (running < settings.maxInFlightNars && !waiting.isEmpty()) {
      PathJob job = waiting.poll();
      running++;
      pathThreads.execute(() -> {
        Outcome outcome = null;
        pathsInFlight.incrementAndGet();
        try {
          outcome = job.run();
        } finally {
          pathsInFlight.decrementAndGet();
          completions.add(new Completion(job, outcome));
        }
      });
    }
  }

  private void collectCompletions() {
    for (Completion c; (c = completions.poll()) != null; ) {
      running--;
      // A job abandoned on a rebalance is no longer in jobs; what it finished is dropped.
      if (c.outcome() == null || !jobs.remove(c.job())) continue;
      offsets.finished(c.job().partition, c.job().offset);
      if (batch.isEmpty()) batchStartedNanos = System.nanoTime();
      // Directories of huge trees are large: held until the commit, they count against the
      // budget, so a stalled commit stops new imports instead of piling up records.
      budget.charge(c.heldBytes());
      batch.add(c);
    }
  }

  /** Commits the finished outcomes and the offsets they allow in one transaction. */
  private void commit() {
    if (batch.isEmpty() || killed) return;
    Map<TopicPartition, OffsetAndMetadata> commitOffsets = offsets.offsetsToCommit();
    long began = System.nanoTime();
    try {
      producer.beginTransaction();
      for (Completion c : batch) {
        for (ProducerRecord<byte[], byte[]> r : c.outcome().records()) producer.send(r);
      }
      if (!commitOffsets.isEmpty()) producer.sendOffsetsToTransaction(commitOffsets, consumer.groupMetadata());
      Runnable hook = beforeCommit;
      if (hook != NO_HOOK) {
        producer.flush(); // so that a test killing us here leaves the records in the open transaction
        hook.run();
      }
      if (killed) return;
      producer.commitTransaction();
    } catch (ProducerFencedException | OutOfOrderSequenceException | AuthorizationException
        | UnsupportedVersionException e) {
      if (killed) return;
      // Another instance took this transactional id, or the cluster refuses us: nothing this
      // producer sends can commit any more.
      fatal = e;
      log.error("ingest worker {} stopped: its transactions cannot commit ({})", workerId, e.toString());
      return;
    } catch (KafkaException | IllegalStateException e) {
      if (killed) return;
      log.warn("ingest worker {}: transaction of {} path(s) failed ({}); redoing its partitions from their "
          + "committed offsets", workerId, batch.size(), e.toString());
      tell(l -> l.transactionAborted(batch.size()));
      try {
        producer.abortTransaction();
      } catch (KafkaException | IllegalStateException abortFailed) {
        fatal = abortFailed;
        log.error("ingest worker {} stopped: aborting a failed transaction failed too ({})", workerId,
            abortFailed.toString());
        return;
      }
      restartFromCommitted();
      return;
    }
    long tookNanos = System.nanoTime() - began;
    offsets.committed(commitOffsets);
    transactions.incrementAndGet();
    int paths = batch.size();
    tell(l -> l.transactionCommitted(paths, tookNanos));
    List<Completion> committed = new ArrayList<>(batch);
    clearBatch(null);
    for (Completion c : committed) report(c.outcome());
  }

  private void report(Outcome outcome) {
    if (outcome instanceof Outcome.Indexed i) {
      tell(l -> l.indexed(i.path(), i.stats(), i.narSize(), i.fileSize()));
    } else if (outcome instanceof Outcome.Failed f && f.path() != null) {
      tell(l -> l.failed(f.path(), f.failure()));
    }
  }

  private void tell(java.util.function.Consumer<IngestListener> call) {
    try {
      call.accept(listener);
    } catch (RuntimeException e) {
      log.warn("ingest listener failed (ignored)", e);
    }
  }

  /** After a failed transaction: all work is dropped and every partition re-read from its commit. */
  private void restartFromCommitted() {
    abandon(null);
    Set<TopicPartition> assigned = consumer.assignment();
    if (assigned.isEmpty()) return;
    Map<TopicPartition, OffsetAndMetadata> committed = consumer.committed(assigned);
    List<TopicPartition> fromStart = new ArrayList<>();
    for (TopicPartition tp : assigned) {
      OffsetAndMetadata o = committed.get(tp);
      offsets.restore(tp, o);
      if (o != null) {
        consumer.seek(tp, o.offset());
      } else {
        fromStart.add(tp);
      }
    }
    if (!fromStart.isEmpty()) consumer.seekToBeginning(fromStart);
  }

  /** Cancels and forgets the work of {@code partitions} (all when null); commits none of it. */
  private void abandon(Collection<TopicPartition> partitions) {
    for (Iterator<PathJob> it = jobs.iterator(); it.hasNext(); ) {
      PathJob job = it.next();
      if (partitions == null || partitions.contains(job.partition)) {
        job.cancel();
        it.remove();
      }
    }
    waiting.removeIf(job -> partitions == null || partitions.contains(job.partition));
    clearBatch(partitions);
    if (partitions == null) {
      offsets.clear();
    } else {
      offsets.forget(partitions);
    }
  }

  /** Drops the batch's completions of {@code partitions} (all when null), giving back what they held. */
  private void clearBatch(Collection<TopicPartition> partitions) {
    for (Iterator<Completion> it = batch.iterator(); it.hasNext(); ) {
      Completion c = it.next();
      if (partitions == null || partitions.contains(c.job().partition)) {
        budget.release(c.heldBytes());
        it.remove();
      }
    }
  }

  /** Bytes of the budget taken now (tests: 0 once everything has committed). */
  long budgetUsed() {
    return budget == null ? 0 : budget.used();
  }

  private void dropWaiting() {
    for (PathJob job : waiting) jobs.remove(job);
    waiting.clear();
  }

  private void abandonRunning() {
    for (Iterator<PathJob> it = jobs.iterator(); it.hasNext(); ) {
      PathJob job = it.next();
      if (!job.cancelled()) {
        log.info("ingest worker {} stopping: abandoning {}@{} (its next owner redoes it)",
            workerId, job.partition, job.offset);
        job.cancel();
      }
    }
  }

  /** Partitions stay polled but paused while there is a backlog, so the group keeps us alive. */
  private void updatePause() {
    Set<TopicPartition> assigned = consumer.assignment();
    if (!waiting.isEmpty() || closing) {
      consumer.pause(assigned);
    } else if (!consumer.paused().isEmpty()) {
      consumer.resume(consumer.paused());
    }
  }

  private final class Rebalance implements ConsumerRebalanceListener {
    @Override
    public void onPartitionsRevoked(Collection<TopicPartition> revoked) {
      assignment = Set.copyOf(consumer.assignment().stream().filter(tp -> !revoked.contains(tp)).toList());
      if (revoked.isEmpty() || killed) return;
      // What is finished goes out now, while this generation may still commit it.
      collectCompletions();
      commit();
      Set<TopicPartition> gone = new HashSet<>(revoked);
      long inFlight = jobs.stream().filter(j -> gone.contains(j.partition)).count();
      if (inFlight > 0) {
        log.info("ingest worker {}: partitions {} revoked; abandoning {} path(s) in flight (the next owner "
            + "redoes them)", workerId, gone, inFlight);
      }
      abandon(gone);
    }

    @Override
    public void onPartitionsLost(Collection<TopicPartition> lost) {
      assignment = Set.of();
      if (lost.isEmpty() || killed) return;
      log.warn("ingest worker {}: partitions {} lost; abandoning their work", workerId, lost);
      abandon(new HashSet<>(lost));
    }

    @Override
    public void onPartitionsAssigned(Collection<TopicPartition> assigned) {
      assignment = Set.copyOf(consumer.assignment());
      if (assigned.isEmpty() || killed) return;
      log.info("ingest worker {}: assigned {}", workerId, assigned);
      // The records a previous owner finished above its committed offset are not fetched again.
      Map<TopicPartition, OffsetAndMetadata> committed = consumer.committed(Set.copyOf(assigned));
      for (TopicPartition tp : assigned) offsets.restore(tp, committed.get(tp));
    }
  }

  private void shutdown() {
    for (PathJob job : jobs) job.cancel();
    jobs.clear();
    waiting.clear();
    if (killed) {
      Thread.interrupted(); // kill()'s interrupt has done its work; closing must not trip on it
      try {
        consumer.close(Duration.ZERO);
      } catch (RuntimeException ignored) {
        // dying
      }
      closeRest(Duration.ZERO);
      return;
    }
    try {
      consumer.close(Duration.ofSeconds(10));
    } catch (RuntimeException e) {
      log.warn("ingest worker {}: closing the consumer failed: {}", workerId, e.toString());
    }
    closeClients(Duration.ofSeconds(10));
    log.info("ingest worker {} stopped", workerId);
  }

  private void closeClients(Duration timeout) {
    if (producer != null) {
      try {
        producer.close(timeout);
      } catch (RuntimeException e) {
        log.warn("ingest worker {}: closing the producer failed: {}", workerId, e.toString());
      }
    }
    if (consumer != null && pollThread == null) consumer.close(Duration.ZERO);
    closeRest(timeout);
  }

  private void closeRest(Duration timeout) {
    if (referenceProducer != null) {
      try {
        referenceProducer.close(timeout);
      } catch (RuntimeException e) {
        log.warn("ingest worker {}: closing the request producer failed: {}", workerId, e.toString());
      }
    }
    if (pathThreads != null) pathThreads.shutdownNow();
    if (importer != null) {
      try {
        importer.close();
      } catch (IOException e) {
        log.warn("ingest worker {}: stopping the import threads failed: {}", workerId, e.toString());
      }
    }
    if (upstreams != null) upstreams.close();
  }

  // ---- Kafka client configs

  private Map<String, Object> transactionalConfig() {
    Map<String, Object> c = new HashMap<>(settings.kafka);
    c.put(ProducerConfig.CLIENT_ID_CONFIG, workerId + "-tx");
    c.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, workerId);
    c.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
    c.put(ProducerConfig.ACKS_CONFIG, "all");
    // Directory records of big directories reach the index topic's limit (see NarflowTopics).
    c.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, NarflowTopics.INDEX_MAX_RECORD_BYTES);
    c.putIfAbsent(ProducerConfig.BUFFER_MEMORY_CONFIG, 4L * NarflowTopics.INDEX_MAX_RECORD_BYTES);
    c.putIfAbsent(ProducerConfig.COMPRESSION_TYPE_CONFIG, "zstd");
    return c;
  }

  private Map<String, Object> referenceConfig() {
    Map<String, Object> c = new HashMap<>(settings.kafka);
    c.put(ProducerConfig.CLIENT_ID_CONFIG, workerId + "-requests");
    c.remove(ProducerConfig.TRANSACTIONAL_ID_CONFIG);
    c.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
    c.put(ProducerConfig.ACKS_CONFIG, "all");
    return c;
  }

  private Map<String, Object> consumerConfig() {
    Map<String, Object> c = new HashMap<>(settings.kafka);
    c.put(ConsumerConfig.CLIENT_ID_CONFIG, workerId + "-work");
    c.put(ConsumerConfig.GROUP_ID_CONFIG, settings.groupId);
    c.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    c.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    c.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    // Records beyond the path threads wait, polled but unstarted; few are enough.
    c.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, settings.maxInFlightNars);
    if (settings.sessionTimeout != null) {
      c.put(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG, (int) settings.sessionTimeout.toMillis());
      c.put(ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG, (int) Math.max(1, settings.sessionTimeout.toMillis() / 3));
    }
    // Only the partitions that move are revoked, so the others' downloads go on.
    c.putIfAbsent(ConsumerConfig.PARTITION_ASSIGNMENT_STRATEGY_CONFIG, CooperativeStickyAssignor.class.getName());
    return c;
  }

  private static String defaultWorkerId() {
    String host;
    try {
      host = InetAddress.getLocalHost().getHostName();
    } catch (IOException e) {
      host = "localhost";
    }
    return "narflow-worker-" + host + "-" + ProcessHandle.current().pid() + "-" + INSTANCES.incrementAndGet();
  }

  /** Configures an {@link IngestWorker}; {@code kafka} and {@code chunkStore} are required. */
  public static final class Builder {
    private Map<String, Object> kafka;
    private String topicPrefix = "";
    private ChunkStore chunkStore;
    private TrustedKeys trustedKeys;
    private boolean checkSignatures = true;
    private int maxInFlightNars = 16;
    private long maxInFlightBytes = 1L << 30;
    private int importThreads = Runtime.getRuntime().availableProcessors();
    private long importBufferBytes;
    private int maxAttempts = 5;
    private Duration initialBackoff = Duration.ofSeconds(1);
    private Duration maxBackoff = Duration.ofMinutes(1);
    private Duration batchLinger = Duration.ofMillis(100);
    private Duration closeTimeout = Duration.ofSeconds(30);
    private Duration sessionTimeout;
    private Duration referenceAckTimeout = Duration.ofMinutes(2);
    private Duration connectTimeout;
    private Duration firstByteTimeout;
    private Duration idleTimeout;
    private String groupId = "narflow-workers";
    private String workerId;
    private final List<IngestListener> listeners = new ArrayList<>();

    private Builder() {}

    /** Kafka client settings shared by the worker's clients ({@code bootstrap.servers}, security, …). */
    public Builder kafka(Map<String, Object> clientConfig) {
      this.kafka = Map.copyOf(clientConfig);
      return this;
    }

    public Builder topicPrefix(String prefix) {
      NarflowTopics.WORK.withPrefix(prefix); // validates it
      this.topicPrefix = prefix;
      return this;
    }

    /** Where chunks go; shared, not closed by the worker. */
    public Builder chunkStore(ChunkStore store) {
      this.chunkStore = Objects.requireNonNull(store, "store");
      return this;
    }

    public Builder trustedKeys(TrustedKeys keys) {
      this.trustedKeys = keys;
      return this;
    }

    public Builder checkSignatures(boolean check) {
      this.checkSignatures = check;
      return this;
    }

    /** Paths downloaded and imported at once (one path thread each); default 16. */
    public Builder maxInFlightNars(int n) {
      if (n < 1) throw new IllegalArgumentException("maxInFlightNars must be positive, got " + n);
      this.maxInFlightNars = n;
      return this;
    }

    /**
     * Sum of the NarSizes of the paths downloaded at once, each counted for at most a quarter of
     * it (so up to four big NARs go side by side); default 1 GiB. Paths wait for room before their
     * NAR is opened. NARs stream, so this bounds work in progress, not memory (see {@link
     * #importBufferBytes}).
     */
    public Builder maxInFlightBytes(long bytes) {
      if (bytes < 1) throw new IllegalArgumentException("maxInFlightBytes must be positive, got " + bytes);
      this.maxInFlightBytes = bytes;
      return this;
    }

    /** Threads that hash, compress and store chunks, shared by all paths; default the core count. */
    public Builder importThreads(int n) {
      if (n < 1) throw new IllegalArgumentException("importThreads must be positive, got " + n);
      this.importThreads = n;
      return this;
    }

    /** The memory bound on chunk bytes waiting to be stored, for all paths together (BlobWriter's). */
    public Builder importBufferBytes(long bytes) {
      if (bytes < 1) throw new IllegalArgumentException("importBufferBytes must be positive, got " + bytes);
      this.importBufferBytes = bytes;
      return this;
    }

    /** Attempts per path for transient failures, the first included; default 5. */
    public Builder maxAttempts(int n) {
      if (n < 1) throw new IllegalArgumentException("maxAttempts must be positive, got " + n);
      this.maxAttempts = n;
      return this;
    }

    /** Backoff before the second attempt, doubling up to {@code max}, with jitter; default 1 s, 1 min. */
    public Builder retryBackoff(Duration initial, Duration max) {
      if (initial.isNegative() || max.compareTo(initial) < 0) {
        throw new IllegalArgumentException("retry backoff needs 0 <= initial <= max, got " + initial + ", " + max);
      }
      this.initialBackoff = initial;
      this.maxBackoff = max;
      return this;
    }

    /** How long a finished path may wait for others to share its transaction; default 100 ms. */
    public Builder batchLinger(Duration linger) {
      this.batchLinger = Objects.requireNonNull(linger);
      return this;
    }

    /**
     * The consumer group's session timeout (null: Kafka's 45 s): how long the partitions of a
     * worker that died without leaving stay with it. A single-process mirror that restarts after
     * a kill wants it short.
     */
    public Builder sessionTimeout(Duration timeout) {
      this.sessionTimeout = timeout;
      return this;
    }

    /** How long {@link #close()} lets paths in flight finish; default 30 s. */
    public Builder closeTimeout(Duration timeout) {
      this.closeTimeout = Objects.requireNonNull(timeout);
      return this;
    }

    /** Timeouts of the upstream HTTP client (null: the client's defaults). */
    public Builder upstreamTimeouts(Duration connect, Duration firstByte, Duration idle) {
      this.connectTimeout = connect;
      this.firstByteTimeout = firstByte;
      this.idleTimeout = idle;
      return this;
    }

    public Builder groupId(String groupId) {
      this.groupId = Objects.requireNonNull(groupId);
      return this;
    }

    /**
     * The worker's transactional id (and client id base). Give each worker process a stable one
     * (a restart then aborts its predecessor's open transaction at once, instead of leaving it to
     * block read_committed readers of the index until it times out); never two live workers the
     * same. Default: host, process id and a counter.
     */
    public Builder workerId(String workerId) {
      this.workerId = Objects.requireNonNull(workerId);
      return this;
    }

    /**
     * Adds a listener (the CLI's progress, {@link WorkerMetrics}, …); each is told everything,
     * in the order added.
     */
    public Builder listener(IngestListener listener) {
      this.listeners.add(Objects.requireNonNull(listener));
      return this;
    }

    public IngestWorker build() {
      if (kafka == null) throw new IllegalStateException("the worker needs kafka(...) settings");
      if (chunkStore == null) throw new IllegalStateException("the worker needs a chunkStore(...)");
      if (checkSignatures && (trustedKeys == null || trustedKeys.keys().isEmpty())) {
        throw new IllegalStateException("the worker checks signatures but has no trusted keys");
      }
      return new IngestWorker(this);
    }
  }
}
