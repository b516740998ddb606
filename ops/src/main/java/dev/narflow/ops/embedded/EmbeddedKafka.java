package dev.narflow.ops.embedded;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.utils.Time;
import org.apache.kafka.metadata.storage.Formatter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The real Kafka broker ({@code kafka_2.13}'s {@link KafkaRaftServer}) inside this process: one
 * node in KRaft combined mode (broker and controller), both listeners on 127.0.0.1 only (the
 * clients' listener where {@code narflow broker} says), its log in one directory. The storage is
 * formatted on first use with a cluster id recorded in that directory; later starts reuse it.
 * Both ports are picked free at every start, so nothing about them is recorded: clients ask
 * {@link #bootstrapServers()}.
 *
 * <pre>{@code
 * try (EmbeddedKafka kafka = EmbeddedKafka.start(dataDir.kafka())) {
 *   props.put("bootstrap.servers", kafka.bootstrapServers());
 * }
 * }</pre>
 */
public final class EmbeddedKafka implements AutoCloseable {
  /** Held for the broker's lifetime; Kafka's own {@code .lock} is taken too late to report well. */
  static final String LOCK_FILE = "narflow.lock";
  /** Written before formatting, so a format interrupted half-way is redone with the same id. */
  static final String CLUSTER_ID_FILE = "cluster-id";
  /** Kafka writes it last when formatting: its presence means the storage is formatted. */
  static final String META_PROPERTIES = "meta.properties";

  private static final Logger LOG = LoggerFactory.getLogger(EmbeddedKafka.class);
  /** Leaders are re-elected and decided transactions completed within seconds of the start. */
  private static final Duration TRANSACTION_CHECK_TIMEOUT = Duration.ofSeconds(60);
  private static final int NODE_ID = 1;
  private static final String CONTROLLER_LISTENER = "CONTROLLER";
  private static final String BROKER_LISTENER = "PLAINTEXT";
  private static final String LOOPBACK = "127.0.0.1";

  /**
   * With one node every internal topic must have one replica, or transactions and consumer
   * groups wait forever for replicas that do not exist. Few partitions keep their creation (on
   * first use) fast; one process has little coordination load to spread.
   */
  private static final Map<String, String> SINGLE_NODE = Map.ofEntries(
      Map.entry("offsets.topic.replication.factor", "1"),
      Map.entry("offsets.topic.num.partitions", "1"),
      Map.entry("transaction.state.log.replication.factor", "1"),
      Map.entry("transaction.state.log.min.isr", "1"),
      Map.entry("transaction.state.log.num.partitions", "1"),
      Map.entry("share.coordinator.state.topic.replication.factor", "1"),
      Map.entry("share.coordinator.state.topic.min.isr", "1"),
      Map.entry("default.replication.factor", "1"),
      Map.entry("min.insync.replicas", "1"),
      // The workers and the router start together in one process: no late joiner to wait for.
      Map.entry("group.initial.rebalance.delay.ms", "0"),
      // narflow creates its topics explicitly; a typo in a topic name must not create one.
      Map.entry("auto.create.topics.enable", "false"),
      // The log cleaner (which compacts narflow.index) takes this buffer from the heap at start:
      // Kafka's 128 MiB default alone would not fit narflow serve in a 128 MiB heap. 16 MiB holds
      // the offset map of ~700,000 keys per cleaning pass; a larger index takes more passes.
      Map.entry("log.cleaner.dedupe.buffer.size", Integer.toString(16 << 20)));

  private final Path logDir;
  private final FileChannel lockChannel;
  private final FileLock lock;
  private final KafkaRaftServer server;
  private final String bootstrapServers;
  private final Duration startupTime;
  private final boolean formatted;
  private final int transactionsRepaired;
  private boolean closed;

  private EmbeddedKafka(Path logDir, FileChannel lockChannel, FileLock lock, KafkaRaftServer server,
      String bootstrapServers, Duration startupTime, boolean formatted, int transactionsRepaired) {
    this.transactionsRepaired = transactionsRepaired;
    this.logDir = logDir;
    this.lockChannel = lockChannel;
    this.lock = lock;
    this.server = server;
    this.bootstrapServers = bootstrapServers;
    this.startupTime = startupTime;
    this.formatted = formatted;
  }

  /** Starts a broker on {@code logDir} (created if missing), formatting it on first use. */
  public static EmbeddedKafka start(Path logDir) throws IOException {
    return start(logDir, Map.of());
  }

  /**
   * Starts a broker with extra server properties, which override the single-node defaults
   * (not the listeners, roles or log directory).
   *
   * @throws DirectoryInUseException when another broker (in this or another process) runs on it
   * @throws IOException when the directory cannot be used or the broker does not start
   */
  public static EmbeddedKafka start(Path logDir, Map<String, String> serverProperties) throws IOException {
    return start(logDir, serverProperties, null, null);
  }

  /**
   * As {@link #start(Path, Map)}, with the clients' listener on {@code listen} (host and port;
   * port 0 picks one) rather than a free loopback port: the broker of {@code narflow broker},
   * for other processes. Clients are told {@code advertised} ({@code host:port}); null advertises
   * the listen address, or this host's name when that is a wildcard. The controller stays on
   * loopback.
   */
  public static EmbeddedKafka start(Path logDir, Map<String, String> serverProperties, InetSocketAddress listen,
      String advertised) throws IOException {
    long started = System.nanoTime();
    Path dir = logDir.toAbsolutePath().normalize();
    Files.createDirectories(dir);
    FileChannel channel = FileChannel.open(dir.resolve(LOCK_FILE), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
    FileLock lock;
    try {
      lock = channel.tryLock();
    } catch (OverlappingFileLockException e) {
      lock = null; // held by another broker in this JVM
    } catch (IOException e) {
      channel.close();
      throw e;
    }
    if (lock == null) {
      channel.close();
      throw new DirectoryInUseException(dir);
    }
    try {
      int[] ports = freeLoopbackPorts(2);
      String brokerHost = listen == null ? LOOPBACK : listen.getHostString();
      int brokerPort = listen == null ? ports[0] : listen.getPort() == 0 ? freePort(listen) : listen.getPort();
      int controllerPort = ports[1];
      String advertisedAddress = advertised != null ? advertised
          : (listen == null || !listen.getAddress().isAnyLocalAddress() ? brokerHost
              : InetAddress.getLocalHost().getCanonicalHostName()) + ":" + brokerPort;
      // The transaction check below connects to the listener itself.
      String reachable = listen == null || listen.getAddress().isAnyLocalAddress() ? LOOPBACK : brokerHost;
      Map<String, String> props = new HashMap<>(SINGLE_NODE);
      props.putAll(serverProperties);
      props.put("process.roles", "broker,controller");
      props.put("node.id", Integer.toString(NODE_ID));
      // A static voter set (kraft.version 0) keeps the controller's address out of the log, so
      // the controller port may change at every start.
      props.put("controller.quorum.voters", NODE_ID + "@" + LOOPBACK + ":" + controllerPort);
      props.put("listeners", BROKER_LISTENER + "://" + brokerHost + ":" + brokerPort + ","
          + CONTROLLER_LISTENER + "://" + LOOPBACK + ":" + controllerPort);
      props.put("advertised.listeners", BROKER_LISTENER + "://" + advertisedAddress);
      props.put("listener.security.protocol.map", BROKER_LISTENER + ":PLAINTEXT," + CONTROLLER_LISTENER + ":PLAINTEXT");
      props.put("controller.listener.names", CONTROLLER_LISTENER);
      props.put("inter.broker.listener.name", BROKER_LISTENER);
      props.put("log.dirs", dir.toString());
      KafkaConfig config = new KafkaConfig(props, false);

      boolean format = !Files.exists(dir.resolve(META_PROPERTIES));
      if (format) format(dir, clusterId(dir));
      KafkaRaftServer server = new KafkaRaftServer(config, Time.SYSTEM);
      try {
        server.startup();
      } catch (RuntimeException | Error e) {
        shutDown(server, e);
        throw e;
      }
      int repaired = format ? 0 : endHangingTransactions(reachable, brokerPort);
      Duration startupTime = Duration.ofNanos(System.nanoTime() - started);
      return new EmbeddedKafka(dir, channel, lock, server, reachable + ":" + brokerPort, startupTime, format, repaired);
    } catch (IOException | RuntimeException | Error e) {
      try {
        lock.release();
        channel.close();
      } catch (IOException suppressed) {
        e.addSuppressed(suppressed);
      }
      if (e instanceof IOException io) throw io;
      if (isLockFailure(e)) throw new DirectoryInUseException(dir);
      throw new IOException("the embedded Kafka broker in " + dir + " did not start: " + oneLine(e), e);
    }
  }

  /**
   * After a kill the broker itself can leave a decided transaction open for good (see
   * {@link HangingTransactions}); no narflow client has connected yet, so the coordinator's state
   * still says how each one ended. A failed check is reported, not fatal: the broker may be fine.
   */
  private static int endHangingTransactions(String host, int brokerPort) {
    try {
      return HangingTransactions.repair(host, brokerPort, TRANSACTION_CHECK_TIMEOUT).size();
    } catch (IOException e) {
      LOG.warn("could not check the broker for transactions left open: {}", e.getMessage());
      return 0;
    }
  }

  /** The cluster id recorded in {@code dir}; a new one is recorded on first use. */
  private static String clusterId(Path dir) throws IOException {
    Path file = dir.resolve(CLUSTER_ID_FILE);
    if (Files.exists(file)) {
      String id = Files.readString(file, StandardCharsets.US_ASCII).strip();
      if (!id.isEmpty()) return id;
    }
    String id = Uuid.randomUuid().toString();
    Path tmp = dir.resolve(CLUSTER_ID_FILE + ".tmp");
    Files.writeString(tmp, id + "\n", StandardCharsets.US_ASCII);
    Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    return id;
  }

  /** What {@code kafka-storage.sh format} does, through Kafka's own formatter. */
  private static void format(Path dir, String clusterId) throws IOException {
    try {
      new Formatter()
          .setPrintStream(new PrintStream(OutputStream.nullOutputStream(), false, StandardCharsets.UTF_8))
          .setNodeId(NODE_ID)
          .setClusterId(clusterId)
          .setControllerListenerName(CONTROLLER_LISTENER)
          .setDirectories(List.of(dir.toString()))
          .setMetadataLogDirectory(dir.toString())
          // A format interrupted after meta.properties but before we noticed must not fail the next start.
          .setIgnoreFormatted(true)
          .run();
    } catch (Exception e) {
      throw new IOException("cannot format Kafka storage in " + dir + ": " + oneLine(e), e);
    }
  }

  private static int[] freeLoopbackPorts(int count) throws IOException {
    ServerSocket[] sockets = new ServerSocket[count];
    try {
      int[] ports = new int[count];
      for (int i = 0; i < count; i++) {
        // Held open together so the ports differ; closed just before Kafka binds them.
        sockets[i] = new ServerSocket(0, 1, InetAddress.getByName(LOOPBACK));
        ports[i] = sockets[i].getLocalPort();
      }
      return ports;
    } finally {
      for (ServerSocket s : sockets) {
        if (s != null) s.close();
      }
    }
  }

  private static int freePort(InetSocketAddress listen) throws IOException {
    try (ServerSocket socket = new ServerSocket(0, 1, listen.getAddress())) {
      return socket.getLocalPort();
    }
  }

  private static boolean isLockFailure(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof OverlappingFileLockException) return true;
      String m = t.getMessage();
      if (m != null && m.contains("Failed to acquire lock")) return true;
    }
    return false;
  }

  static String oneLine(Throwable e) {
    String m = e.getMessage();
    if ((m == null || m.isBlank()) && e.getCause() != null) return oneLine(e.getCause());
    return (m == null || m.isBlank() ? e.getClass().getSimpleName() : m).replace('\n', ' ');
  }

  private static void shutDown(KafkaRaftServer server, Throwable failure) {
    try {
      server.shutdown();
      server.awaitShutdown();
    } catch (RuntimeException | Error suppressed) {
      failure.addSuppressed(suppressed);
    }
  }

  /** {@code 127.0.0.1:PORT}, for clients' {@code bootstrap.servers}. */
  public String bootstrapServers() {
    return bootstrapServers;
  }

  /** A new mutable client config holding just {@code bootstrap.servers}. */
  public Map<String, Object> clientConfig() {
    Map<String, Object> config = new HashMap<>();
    config.put(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    return config;
  }

  /** From the call to {@link #start} until the broker accepted clients, formatting included. */
  public Duration startupTime() {
    return startupTime;
  }

  /** Transactions this start found left open by the broker after an unclean stop, and ended. */
  public int transactionsRepaired() {
    return transactionsRepaired;
  }

  /** Whether this start formatted the storage (the directory's first use). */
  public boolean formatted() {
    return formatted;
  }

  public Path logDir() {
    return logDir;
  }

  /** Stops the broker cleanly (its log stays) and releases the directory. Idempotent. */
  @Override
  public synchronized void close() throws IOException {
    if (closed) return;
    closed = true;
    try {
      server.shutdown();
      server.awaitShutdown();
    } finally {
      try {
        lock.release();
      } finally {
        lockChannel.close();
      }
    }
  }
}
