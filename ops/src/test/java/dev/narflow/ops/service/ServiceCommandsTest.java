package dev.narflow.ops.service;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.narflow.chunker.testing.S3ProxyServer;
import dev.narflow.ops.Cli;
import dev.narflow.ops.Narflow;
import dev.narflow.ops.embedded.EmbeddedKafka;
import dev.narflow.ops.mirror.MirrorPipeline;
import dev.narflow.topics.kafka.NarflowTopics;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.config.ConfigResource;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The distributed commands' contract short of running them (ClusterIT does that): help, usage
 * errors naming the option or variable, and one clear line (exit 2) for a Kafka that cannot be
 * reached, topics that are missing or misconfigured, a bucket that does not exist, and an
 * exporter started before any indexer.
 */
class ServiceCommandsTest {
  static final List<String> SERVICES = List.of("broker", "worker", "indexer", "exporter", "enqueue", "status");
  @TempDir static Path tmp;
  static EmbeddedKafka kafka;

  @BeforeAll
  static void broker() throws Exception {
    kafka = EmbeddedKafka.start(tmp.resolve("kafka"));
  }

  @AfterAll
  static void stop() throws Exception {
    if (kafka != null) kafka.close();
  }

  @Test
  void everyCommandHasHelpNamingItsVariables() {
    for (String command : SERVICES) {
      Cli.Run r = Cli.run(Map.of(), command, "--help");
      assertEquals(0, r.exit(), command + ": " + r.err());
      assertTrue(r.out().contains("--config=FILE"), command + ": " + r.out());
      assertTrue(r.out().contains("env NARFLOW_"), command + ": " + r.out());
    }
    Cli.Run create = Cli.run(Map.of(), "topics", "create", "--help");
    assertEquals(0, create.exit(), create.err());
    assertTrue(create.out().contains("NARFLOW_PARTITIONS"), create.out());
  }

  @Test
  void requiredOptionsAndBadValuesAreUsageErrors() {
    Cli.Run noKafka = Cli.run(Map.of(), "worker", "--chunk-store", tmp.resolve("c").toUri().toString());
    assertEquals(2, noKafka.exit());
    assertTrue(noKafka.err().contains("--bootstrap-servers HOSTS is required (or NARFLOW_BOOTSTRAP_SERVERS)"), noKafka.err());

    Cli.Run noStore = Cli.run(Map.of("NARFLOW_BOOTSTRAP_SERVERS", kafka.bootstrapServers()), "worker");
    assertEquals(2, noStore.exit());
    assertTrue(noStore.err().contains("--chunk-store URL is required"), noStore.err());

    Cli.Run badWorkers = Cli.run(Map.of("NARFLOW_WORKERS", "0"), "worker", "--bootstrap-servers", "localhost:9");
    assertEquals(2, badWorkers.exit());
    assertTrue(badWorkers.err().contains("invalid --workers 0 (from NARFLOW_WORKERS): must be between 1 and 1024"),
        badWorkers.err());

    Cli.Run noState = Cli.run(Map.of(), "indexer", "--bootstrap-servers", kafka.bootstrapServers());
    assertEquals(2, noState.exit());
    assertTrue(noState.err().contains("--state-dir DIR is required"), noState.err());

    Cli.Run badListen = Cli.run(Map.of(), "broker", "--data", tmp.resolve("b").toString(), "--listen", "nowhere");
    assertEquals(2, badListen.exit());
    assertTrue(badListen.err().contains("invalid --listen nowhere: not HOST:PORT"), badListen.err());

    Cli.Run unknown = Cli.run(Map.of(), "exporter", "--frobnicate");
    assertEquals(2, unknown.exit());
    assertTrue(unknown.err().contains("--frobnicate"), unknown.err());

    Cli.Run waitForNothing = Cli.run(Map.of(), "status", "--bootstrap-servers", kafka.bootstrapServers(), "--wait");
    assertEquals(2, waitForNothing.exit());
    assertTrue(waitForNothing.err().contains("--wait needs STORE_PATHs"), waitForNothing.err());

    Cli.Run badPartitions = Cli.run(Map.of(), "topics", "create", "--bootstrap-servers", kafka.bootstrapServers(),
        "--partitions", "0");
    assertEquals(2, badPartitions.exit());
    assertTrue(badPartitions.err().contains("invalid --partitions 0"), badPartitions.err());
  }

  @Test
  void anUnreachableKafkaIsOneLine() throws Exception {
    Path quick = Files.writeString(tmp.resolve("quick.properties"), "default.api.timeout.ms=2000\nrequest.timeout.ms=1000\n");
    Cli.Run r = Cli.run(Map.of("NARFLOW_KAFKA_CONFIG", quick.toString()), "enqueue", "--bootstrap-servers",
        "127.0.0.1:9", "/nix/store/00000000000000000000000000000000-x");
    assertEquals(2, r.exit(), r.err());
    assertEquals(1, r.errLines().stream().filter(l -> l.startsWith("narflow enqueue: Kafka at 127.0.0.1:9")).count(), r.err());
  }

  @Test
  void missingTopicsNameTheCommandThatCreatesThemAndAWrongPolicyIsRefused() throws Exception {
    Map<String, String> env = Map.of("NARFLOW_BOOTSTRAP_SERVERS", kafka.bootstrapServers(), "NARFLOW_TOPIC_PREFIX", "missing.");
    Cli.Run r = Cli.run(env, "indexer", "--state-dir", tmp.resolve("state-missing").toString());
    assertEquals(2, r.exit(), r.err());
    assertTrue(r.err().contains("do not exist; create them with: narflow topics create --topic-prefix missing."), r.err());

    try (Admin admin = Admin.create(new HashMap<>(kafka.clientConfig()))) {
      admin.createTopics(List.of(new NewTopic("wrong." + NarflowTopics.INDEX.name(), 1, (short) 1)
          .configs(Map.of("cleanup.policy", "delete")))).all().get();
    }
    Map<String, String> wrong = Map.of("NARFLOW_BOOTSTRAP_SERVERS", kafka.bootstrapServers(), "NARFLOW_TOPIC_PREFIX", "wrong.");
    Cli.Run created = Cli.run(wrong, "topics", "create", "--partitions", "2");
    assertEquals(2, created.exit(), created.err());
    assertTrue(created.err().contains("topic wrong.narflow.index exists with cleanup.policy=delete"), created.err());
  }

  @Test
  void topicsCreateIsIdempotentAndTheServicesCheckWhatTheyNeed() throws Exception {
    Map<String, String> env = Map.of("NARFLOW_BOOTSTRAP_SERVERS", kafka.bootstrapServers(), "NARFLOW_TOPIC_PREFIX", "ok.");
    for (int i = 0; i < 2; i++) {
      Cli.Run created = Cli.run(env, "topics", "create", "--partitions", "2");
      assertEquals(0, created.exit(), created.err());
      assertEquals(Set.of("ok.narflow.requests", "ok.narflow.work", "ok.narflow.index", "ok.narflow.failures"),
          Set.copyOf(created.out().lines().toList()));
    }
    // An exporter before any indexer waits for one (services start in any order), saying so once.
    StringWriter exporterErr = new StringWriter();
    Thread exporter = new Thread(() -> {
      var cli = Narflow.commandLine(env, new MirrorPipeline());
      cli.setErr(new PrintWriter(exporterErr, true));
      cli.execute("exporter", "--chunk-store", tmp.resolve("chunks").toUri().toString(),
          "--state-dir", tmp.resolve("exporter").toString(), "--listen", "127.0.0.1:0");
    });
    exporter.start();
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    while (!exporterErr.toString().contains("waiting for an indexer to create ok.narflow-indexer.closure-complete")) {
      assertTrue(exporter.isAlive(), "the exporter did not wait: " + exporterErr);
      assertTrue(System.nanoTime() < deadline, "no word of waiting: " + exporterErr);
      Thread.sleep(50);
    }
    Thread.sleep(2500); // a poll later it still waits, not failed
    assertTrue(exporter.isAlive(), exporterErr.toString());
    exporter.interrupt(); // in place of SIGTERM, which would end this JVM
    exporter.join(30_000);
    assertTrue(!exporter.isAlive(), "the waiting exporter did not end");

    // A bucket that does not exist.
    try (S3ProxyServer s3 = S3ProxyServer.start(Files.createDirectory(tmp.resolve("s3")))) {
      Map<String, String> withS3 = new HashMap<>(env);
      withS3.put("AWS_ACCESS_KEY_ID", s3.accessKey());
      withS3.put("AWS_SECRET_ACCESS_KEY", s3.secretKey());
      Cli.Run worker = Cli.run(withS3, "worker", "--no-check-sigs", "--chunk-store",
          "s3://no-such-bucket?endpoint=" + s3.endpoint() + "&region=us-east-1");
      assertEquals(2, worker.exit(), worker.err());
      assertEquals(1, worker.errLines().stream().filter(l -> l.startsWith("narflow worker: chunk store s3://no-such-bucket"))
          .count(), worker.err());
    }

    // A request Kafka refuses (here: larger than its topic takes) is named, and the exit is 1.
    try (Admin admin = Admin.create(new HashMap<>(kafka.clientConfig()))) {
      alterRequestsTopic(admin, new ConfigEntry("max.message.bytes", "10"), AlterConfigOp.OpType.SET);
      try {
        String refusedPath = "/nix/store/" + "2".repeat(32) + "-refused";
        Cli.Run refused = Cli.run(env, "enqueue", refusedPath);
        assertEquals(1, refused.exit(), refused.err());
        assertTrue(refused.err().contains("narflow enqueue: not requested: " + refusedPath + ": "), refused.err());
      } finally {
        alterRequestsTopic(admin, new ConfigEntry("max.message.bytes", ""), AlterConfigOp.OpType.DELETE);
      }
    }

    // Requests go in; with no worker, status says what each path waits on, and exits 1.
    String path = "/nix/store/" + "1".repeat(32) + "-status-test";
    Cli.Run enqueue = Cli.run(env, "enqueue", path);
    assertEquals(0, enqueue.exit(), enqueue.err());
    assertTrue(enqueue.err().contains("1 path requested with their closures"), enqueue.err());
    Cli.Run status = Cli.run(env, "status", path);
    assertEquals(1, status.exit(), status.err());
    assertTrue(status.out().contains("paths: 0 indexed, 0 closure-complete, 0 waiting, 0 failed"), status.out());
    assertTrue(status.out().contains(path + ": waiting on " + path), status.out());
    assertTrue(status.out().contains("lag: ok.narflow-workers 0 records"), status.out());
  }

  private static void alterRequestsTopic(Admin admin, ConfigEntry entry, AlterConfigOp.OpType op) throws Exception {
    ConfigResource topic = new ConfigResource(ConfigResource.Type.TOPIC, "ok.narflow.requests");
    admin.incrementalAlterConfigs(Map.of(topic, List.of(new AlterConfigOp(entry, op)))).all().get();
  }
}
