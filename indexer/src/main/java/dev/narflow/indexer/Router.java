package dev.narflow.indexer;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.narflow.indexer.v1.Route;
import dev.narflow.topics.kafka.IndexRecords;
import dev.narflow.topics.kafka.StorePathKey;
import dev.narflow.topics.kafka.StorePathMessages;
import dev.narflow.topics.nix.StorePath;
import dev.narflow.topics.store.v1.PathInfo;
import dev.narflow.topics.v1.FetchFailure;
import dev.narflow.topics.v1.FetchRequest;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The request router: decides, per store path and in its requests' partition, whether a request
 * goes to the workers. Three inputs share its stores: requests, failures, and the PathInfos of
 * the index re-keyed by store path ({@code indexed-paths}).
 */
final class Router {
  /** The origin of a request for a reference, as the router and the workers write it. */
  static final String CLOSURE_ORIGIN = "closure:";

  static final String ROUTES = "routes";
  static final String IN_FLIGHT_BY_TIME = "in-flight-by-time";
  static final String TO_WORK = "to-work";
  static final String TO_REQUESTS = "to-requests";
  private static final byte[] PRESENT = new byte[0];
  private static final Logger LOG = LoggerFactory.getLogger(Router.class);

  private final ProcessorContext<StorePathKey, FetchRequest> context;
  private final KeyValueStore<StorePathKey, Route> routes;
  /** forwarded_at_ms (8 bytes, big-endian) ++ store path digest, for every path in flight: oldest first. */
  private final KeyValueStore<Bytes, byte[]> inFlight;

  private Router(ProcessorContext<StorePathKey, FetchRequest> context) {
    this.context = context;
    this.routes = context.getStateStore(ROUTES);
    this.inFlight = context.getStateStore(IN_FLIGHT_BY_TIME);
  }

  /** narflow.requests: forward unless indexed or in flight; re-send what is in flight too long. */
  static final class Requests implements Processor<StorePathKey, FetchRequest, StorePathKey, FetchRequest> {
    private final Duration inFlightTimeout;
    private Router router;

    Requests(Duration inFlightTimeout) {
      this.inFlightTimeout = inFlightTimeout;
    }

    @Override
    public void init(ProcessorContext<StorePathKey, FetchRequest> context) {
      router = new Router(context);
      // Wall-clock: a lost request must be retried even when no new input arrives.
      Duration every = clamp(inFlightTimeout.dividedBy(4), Duration.ofMillis(50), Duration.ofMinutes(1));
      context.schedule(every, PunctuationType.WALL_CLOCK_TIME, now -> router.resendOlderThan(now - inFlightTimeout.toMillis()));
    }

    @Override
    public void process(Record<StorePathKey, FetchRequest> record) {
      if (record.key() == null || record.value() == null) return;
      try {
        router.requested(record.key(), record.value());
      } catch (IllegalArgumentException e) {
        // A malformed request (a bad store path name) is dropped; the rest of the stream goes on.
        LOG.warn("dropping request for {}: {}", record.key(), e.getMessage());
      }
    }
  }

  /** What the router does with one record of an input other than requests. */
  interface Handler<V> {
    void handle(Router router, StorePathKey path, V value);
  }

  /**
   * An input that only updates the routes: narflow.failures ({@link #failed}: a new request
   * retries the path) and the re-keyed PathInfos ({@link #indexed}: nothing more to fetch).
   */
  static final class Input<V> implements Processor<StorePathKey, V, StorePathKey, FetchRequest> {
    private final Handler<V> handler;
    private Router router;

    Input(Handler<V> handler) {
      this.handler = handler;
    }

    @Override
    public void init(ProcessorContext<StorePathKey, FetchRequest> context) {
      router = new Router(context);
    }

    @Override
    public void process(Record<StorePathKey, V> record) {
      if (record.key() == null || record.value() == null) return;
      handler.handle(router, record.key(), record.value());
    }
  }

  private void requested(StorePathKey path, FetchRequest request) {
    // A worker can do nothing with a request that names no path, or another path than its key.
    if (!request.hasStorePath()) throw new IllegalArgumentException("the request names no store path");
    if (!StorePathKey.of(request.getStorePath().getDigest().toByteArray()).equals(path)) {
      throw new IllegalArgumentException("the request names " + baseName(request) + ", not the path of its key");
    }
    Route route = routes.get(path);
    Route.State state = route == null ? Route.State.STATE_UNSPECIFIED : route.getState();
    if (route != null && !route.getRequested()) {
      route = route.toBuilder().setRequested(true).build();
      routes.put(path, route);
    }
    switch (state) {
      case INDEXED -> {
        if (request.getClosure() && !route.getReferencesRequested()) {
          // Indexed by a request without closure: its references were never asked for.
          Route.Builder updated = route.toBuilder().setClosureWanted(true).setUpstreamUrl(request.getUpstreamUrl());
          requestReferences(updated);
          routes.put(path, updated.build());
        }
      }
      case IN_FLIGHT -> {
        if (request.getClosure() && !route.getClosureWanted()) {
          routes.put(path, route.toBuilder().setClosureWanted(true).setUpstreamUrl(request.getUpstreamUrl()).build());
        }
      }
      case FAILED -> {
        // Only a request from outside the pipeline (an operator's rerun) retries a failed path;
        // a reference request does not, or one missing path named by hundreds of referrers
        // would be fetched (with all its retries) once per referrer.
        if (!request.getOrigin().startsWith(CLOSURE_ORIGIN)) forwardAgain(path, route, request);
      }
      default -> forwardAgain(path, route, request);
    }
  }

  private void forwardAgain(StorePathKey path, Route route, FetchRequest request) {
    Route.Builder updated = route == null ? Route.newBuilder() : route.toBuilder();
    updated.setRequested(true);
    if (request.getClosure()) updated.setClosureWanted(true).setReferencesRequested(true);
    updated.setUpstreamUrl(request.getUpstreamUrl());
    updated.setBaseName(baseName(request));
    forward(path, updated, request);
  }

  void failed(StorePathKey path, FetchFailure failure) {
    Route route = routes.get(path);
    // A duplicate fetch that failed after another indexed the path changes nothing.
    if (route != null && route.getState() == Route.State.INDEXED) return;
    Route.Builder updated = route == null ? Route.newBuilder() : route.toBuilder();
    if (route != null && route.getState() == Route.State.IN_FLIGHT) inFlight.delete(inFlightKey(route.getForwardedAtMs(), path));
    updated.setState(Route.State.FAILED).setFailure(failure.toByteString())
        // Perhaps never requested before it failed; asked for again if the closure is still wanted.
        .setReferencesRequested(false);
    if (updated.getBaseName().isEmpty() && failure.getRequest().hasStorePath()) {
      try {
        updated.setBaseName(baseName(failure.getRequest()));
      } catch (RuntimeException e) {
        // A failure for a request that could not be decoded names no path; the key still does.
      }
    }
    routes.put(path, updated.build());
  }

  void indexed(StorePathKey path, PathInfo info) {
    Route route = routes.get(path);
    Route.Builder updated = route == null ? Route.newBuilder() : route.toBuilder();
    if (route != null && route.getState() == Route.State.IN_FLIGHT) inFlight.delete(inFlightKey(route.getForwardedAtMs(), path));
    updated.setState(Route.State.INDEXED).clearFailure()
        .setNarSize(info.getNarinfo().getNarSize())
        .clearReferenceNames().addAllReferenceNames(info.getNarinfo().getReferenceNamesList())
        .setBaseName(IndexRecords.baseNameOf(info));
    if (updated.getClosureWanted() && !updated.getReferencesRequested()) requestReferences(updated);
    routes.put(path, updated.build());
  }

  private void resendOlderThan(long cutoffMs) {
    List<KeyValue<Bytes, byte[]>> expired = new ArrayList<>();
    try (KeyValueIterator<Bytes, byte[]> it = inFlight.all()) {
      while (it.hasNext()) {
        KeyValue<Bytes, byte[]> entry = it.next();
        if (ByteBuffer.wrap(entry.key.get()).getLong() > cutoffMs) break; // oldest first
        expired.add(entry);
      }
    }
    for (KeyValue<Bytes, byte[]> entry : expired) {
      inFlight.delete(entry.key);
      byte[] key = entry.key.get();
      StorePathKey path = StorePathKey.of(Arrays.copyOfRange(key, Long.BYTES, key.length));
      Route route = routes.get(path);
      if (route == null || route.getState() != Route.State.IN_FLIGHT) continue;
      FetchRequest previous = parseRequest(route);
      forward(path, route.toBuilder(), previous.toBuilder().setAttempt(previous.getAttempt() + 1).build());
    }
  }

  private void forward(StorePathKey path, Route.Builder route, FetchRequest request) {
    long now = context.currentSystemTimeMs();
    route.setState(Route.State.IN_FLIGHT).setRequest(request.toByteString()).setForwardedAtMs(now);
    inFlight.put(inFlightKey(now, path), PRESENT);
    routes.put(path, route.build());
    context.forward(new Record<>(path, request, now), TO_WORK);
  }

  /** Asks for the references' closures (except the path itself: Nix allows self-references). */
  private void requestReferences(Route.Builder route) {
    long now = context.currentSystemTimeMs();
    String self = route.getBaseName();
    for (String name : route.getReferenceNamesList()) {
      if (name.equals(self)) continue;
      StorePath reference = StorePath.parseBaseName(name);
      FetchRequest request = FetchRequest.newBuilder()
          .setStorePath(StorePathMessages.toMessage(reference))
          .setUpstreamUrl(route.getUpstreamUrl()).setClosure(true).setOrigin(CLOSURE_ORIGIN + self)
          .setAttempt(1).setEnqueuedAtMs(now).build();
      context.forward(new Record<>(StorePathKey.of(reference), request, now), TO_REQUESTS);
    }
    route.setReferencesRequested(true);
  }

  private static String baseName(FetchRequest request) {
    return StorePathMessages.fromMessage(request.getStorePath()).baseName();
  }

  private static FetchRequest parseRequest(Route route) {
    try {
      return FetchRequest.parseFrom(route.getRequest());
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalStateException("route state holds an unreadable FetchRequest", e);
    }
  }

  static Bytes inFlightKey(long forwardedAtMs, StorePathKey path) {
    return Bytes.wrap(ByteBuffer.allocate(Long.BYTES + StorePathKey.SIZE).putLong(forwardedAtMs).put(path.toBytes()).array());
  }

  private static Duration clamp(Duration d, Duration min, Duration max) {
    return d.compareTo(min) < 0 ? min : d.compareTo(max) > 0 ? max : d;
  }
}
