package dev.narflow.ops.embedded;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ListTopicsOptions;
import org.apache.kafka.clients.admin.ListTransactionsOptions;
import org.apache.kafka.clients.admin.ProducerState;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.admin.TransactionDescription;
import org.apache.kafka.clients.admin.TransactionListing;
import org.apache.kafka.clients.admin.TransactionState;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.requests.AbstractResponse;
import org.apache.kafka.common.requests.RequestHeader;
import org.apache.kafka.common.requests.TransactionResult;
import org.apache.kafka.common.requests.WriteTxnMarkersRequest;
import org.apache.kafka.common.requests.WriteTxnMarkersResponse;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Finishes the transactions that Kafka 4.3 itself leaves open after the embedded broker was
 * killed (KAFKA-20734, apache/kafka#22680): on the restart the broker first acts on its old
 * metadata, its transaction coordinator loads a transaction the dead process had decided
 * (PrepareCommit) and queues its markers; when the controller then fences the dead incarnation,
 * every partition is briefly leaderless, the coordinator takes "no leader endpoint" for "topic
 * deleted", drops the markers and records the transaction as complete. The data partitions keep
 * the transaction open forever: their last stable offset stops there, so read_committed readers
 * (the indexer) see nothing after it and a consumer group with the transaction's offsets waits
 * forever on UNSTABLE_OFFSET_COMMIT (the ingest worker never fetches).
 *
 * <p>Runs once the broker is up and before any narflow client: a partition's open transaction
 * whose producer the coordinator no longer has in flight is hanging. It gets the marker the
 * coordinator decided: COMMIT when the coordinator completed a commit of exactly that transaction
 * (transaction version 2 bumps the epoch at every end, so its state carries the data's epoch + 1),
 * ABORT otherwise, as {@code kafka-transactions.sh abort} would. A commit is written as the
 * coordinator would have, with a WriteTxnMarkers request (allowed: the embedded broker has no
 * authorizer and listens on loopback only); aborting a transaction the coordinator committed
 * would undo half of it (its offsets, say, but not its records).
 */
final class HangingTransactions {
  private static final Logger LOG = LoggerFactory.getLogger(HangingTransactions.class);
  private static final Set<TransactionState> IN_FLIGHT = Set.of(TransactionState.ONGOING,
      TransactionState.PREPARE_COMMIT, TransactionState.PREPARE_ABORT);
  private static final Set<TransactionState> DECIDING = Set.of(TransactionState.PREPARE_COMMIT,
      TransactionState.PREPARE_ABORT, TransactionState.PREPARE_EPOCH_FENCE);

  /** A partition's transaction that nothing will ever end, and the marker it gets. */
  record Repair(TopicPartition partition, long producerId, int dataEpoch, TransactionResult result, int markerEpoch,
      int coordinatorEpoch) {}

  private HangingTransactions() {}

  /**
   * Waits (up to {@code timeout}) until every partition has a leader and the coordinator has
   * no decided transaction left to write markers for, then ends every hanging transaction.
   *
   * @return what was repaired (empty almost always)
   */
  static List<Repair> repair(String host, int port, Duration timeout) throws IOException {
    long deadline = System.nanoTime() + timeout.toNanos();
    Map<String, Object> config = new HashMap<>();
    config.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, host + ":" + port);
    config.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, (int) Math.max(1_000, timeout.toMillis()));
    try (Admin admin = Admin.create(config)) {
      List<TopicPartition> partitions = awaitSettled(admin, deadline);
      Findings found = find(admin, partitions);
      // The coordinator may still be loading its state (it then lists nothing): ask again.
      while (!found.undecided().isEmpty() && System.nanoTime() < deadline) {
        Thread.sleep(200);
        found = find(admin, partitions);
      }
      if (!found.undecided().isEmpty()) {
        LOG.warn("open transactions the broker's coordinator does not know, left as they are: {}", found.undecided());
      }
      List<Repair> done = new ArrayList<>();
      for (Repair r : found.repairs()) {
        if (!stillOpen(admin, r)) continue; // the coordinator's own marker came after all
        LOG.warn("ending a transaction the broker left open after an unclean stop (KAFKA-20734): {} producer {} "
            + "epoch {}: {}", r.partition(), r.producerId(), r.dataEpoch(), r.result());
        writeMarker(host, port, r);
        done.add(r);
      }
      return done;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while checking the broker's transactions", e);
    } catch (ExecutionException | TimeoutException e) {
      throw new IOException("checking the broker's transactions failed: " + EmbeddedKafka.oneLine(e), e);
    }
  }

  /** Hanging transactions with their markers, and open ones the coordinator cannot account for yet. */
  record Findings(List<Repair> repairs, List<String> undecided) {}

  /** Every partition, once each has a leader and no transaction is between decision and markers. */
  private static List<TopicPartition> awaitSettled(Admin admin, long deadline)
      throws InterruptedException, ExecutionException, TimeoutException {
    while (true) {
      Set<String> topics = admin.listTopics(new ListTopicsOptions().listInternal(true)).names()
          .get(remainingMs(deadline), TimeUnit.MILLISECONDS);
      Map<String, TopicDescription> described = admin.describeTopics(topics).allTopicNames()
          .get(remainingMs(deadline), TimeUnit.MILLISECONDS);
      List<TopicPartition> partitions = new ArrayList<>();
      boolean leaders = true;
      for (TopicDescription d : described.values()) {
        for (var p : d.partitions()) {
          partitions.add(new TopicPartition(d.name(), p.partition()));
          if (p.leader() == null || p.leader().isEmpty()) leaders = false;
        }
      }
      boolean deciding = !admin.listTransactions(new ListTransactionsOptions().filterStates(DECIDING)).all()
          .get(remainingMs(deadline), TimeUnit.MILLISECONDS).isEmpty();
      if (leaders && !deciding) return partitions;
      if (System.nanoTime() > deadline) {
        throw new TimeoutException(leaders ? "transactions still being completed" : "partitions without a leader");
      }
      Thread.sleep(100);
    }
  }

  static Findings find(Admin admin, Collection<TopicPartition> partitions)
      throws InterruptedException, ExecutionException {
    Map<TopicPartition, List<ProducerState>> open = openTransactions(admin, partitions);
    if (open.isEmpty()) return new Findings(List.of(), List.of());
    Set<Long> producerIds = new HashSet<>();
    open.values().forEach(list -> list.forEach(p -> producerIds.add(p.producerId())));
    Collection<TransactionListing> listings = admin.listTransactions(
        new ListTransactionsOptions().filterProducerIds(producerIds)).all().get();
    Map<Long, TransactionDescription> byProducer = new HashMap<>();
    if (!listings.isEmpty()) {
      admin.describeTransactions(listings.stream().map(TransactionListing::transactionalId).toList()).all().get()
          .values().forEach(d -> byProducer.put(d.producerId(), d));
    }
    List<Repair> repairs = new ArrayList<>();
    List<String> undecided = new ArrayList<>();
    open.forEach((tp, producers) -> {
      for (ProducerState p : producers) {
        TransactionDescription d = byProducer.get(p.producerId());
        if (d == null || d.producerEpoch() <= p.producerEpoch()) {
          // Not known (yet), or the very transaction still in the coordinator's hands.
          if (d == null || !IN_FLIGHT.contains(d.state())) undecided.add(tp + " producer " + p.producerId());
          continue;
        }
        if (IN_FLIGHT.contains(d.state()) && d.topicPartitions().contains(tp)
            && d.producerEpoch() == p.producerEpoch() + 1) {
          continue; // being ended by the coordinator (transaction version 2 ends with the epoch + 1)
        }
        int coordinatorEpoch = p.coordinatorEpoch().orElse(0);
        int markerEpoch = p.producerEpoch() + 1;
        boolean thisOne = d.producerEpoch() == markerEpoch;
        TransactionResult result = thisOne && d.state() == TransactionState.COMPLETE_COMMIT
            ? TransactionResult.COMMIT : TransactionResult.ABORT;
        // Ended long ago, how is no longer known (the producer went on): abort, as Kafka's tool does.
        repairs.add(new Repair(tp, p.producerId(), p.producerEpoch(), result, markerEpoch, coordinatorEpoch));
      }
    });
    return new Findings(repairs, undecided);
  }

  private static Map<TopicPartition, List<ProducerState>> openTransactions(Admin admin,
      Collection<TopicPartition> partitions) throws InterruptedException, ExecutionException {
    Map<TopicPartition, List<ProducerState>> open = new HashMap<>();
    admin.describeProducers(partitions).all().get().forEach((tp, state) -> {
      for (ProducerState p : state.activeProducers()) {
        if (p.currentTransactionStartOffset().isPresent()) open.computeIfAbsent(tp, k -> new ArrayList<>()).add(p);
      }
    });
    return open;
  }

  private static boolean stillOpen(Admin admin, Repair r) throws InterruptedException, ExecutionException {
    return openTransactions(admin, List.of(r.partition())).getOrDefault(r.partition(), List.of()).stream()
        .anyMatch(p -> p.producerId() == r.producerId() && p.producerEpoch() == r.dataEpoch());
  }

  /** The marker the coordinator would have written (transaction version 2: with the bumped epoch). */
  private static void writeMarker(String host, int port, Repair r) throws IOException {
    WriteTxnMarkersRequest.TxnMarkerEntry marker = new WriteTxnMarkersRequest.TxnMarkerEntry(r.producerId(),
        (short) r.markerEpoch(), r.coordinatorEpoch(), r.result(), List.of(r.partition()), (short) 2);
    short version = ApiKeys.WRITE_TXN_MARKERS.latestVersion();
    RequestHeader header = new RequestHeader(ApiKeys.WRITE_TXN_MARKERS, version, "narflow-txn-repair", 1);
    ByteBuffer request = new WriteTxnMarkersRequest.Builder(List.of(marker)).build(version).serializeWithHeader(header);
    try (Socket socket = new Socket()) {
      socket.connect(new InetSocketAddress(host, port), 10_000);
      socket.setSoTimeout(30_000);
      DataOutputStream out = new DataOutputStream(socket.getOutputStream());
      out.writeInt(request.remaining());
      out.write(request.array(), request.arrayOffset() + request.position(), request.remaining());
      out.flush();
      DataInputStream in = new DataInputStream(socket.getInputStream());
      byte[] body = new byte[in.readInt()];
      in.readFully(body);
      WriteTxnMarkersResponse response = (WriteTxnMarkersResponse) AbstractResponse.parseResponse(ByteBuffer.wrap(body), header);
      Errors error = response.errorsByProducerId().getOrDefault(r.producerId(), Map.of())
          .getOrDefault(r.partition(), Errors.UNKNOWN_SERVER_ERROR);
      if (error != Errors.NONE) {
        throw new IOException("writing the " + r.result() + " marker on " + r.partition() + " failed: " + error);
      }
    }
  }

  private static long remainingMs(long deadline) {
    return Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime()));
  }
}
