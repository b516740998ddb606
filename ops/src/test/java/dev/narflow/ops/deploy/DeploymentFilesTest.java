package dev.narflow.ops.deploy;

import static dev.narflow.ops.deploy.Yamls.at;
import static dev.narflow.ops.deploy.Yamls.list;
import static dev.narflow.ops.deploy.Yamls.map;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.narflow.ops.Narflow;
import dev.narflow.ops.Repository;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The deployment files (ops/compose, ops/k8s, ops/docker/Dockerfile) parse, and reference only
 * images, commands, options, variables and ports that exist: every narflow command line in them is
 * checked against the CLI's own model and parser. No Docker is needed. Each check is also shown to
 * fail on a file broken on purpose (the {@code rejects…} tests), so that a passing check means
 * something.
 */
class DeploymentFilesTest {
  static final Path ROOT = Repository.root();
  static final Path COMPOSE = ROOT.resolve("ops/compose");
  static final Path K8S = ROOT.resolve("ops/k8s");

  @TempDir Path tmp;

  // ---- the real files ----

  @Test
  void composeFileIsValid() throws IOException {
    List<String> problems = new ArrayList<>();
    Map<String, Object> compose = ComposeCheck.read(COMPOSE, problems);
    problems.addAll(ComposeCheck.problems(compose, COMPOSE, composeImages()));
    assertEquals(List.of(), problems);
  }

  /** What ClusterContainersIT (testcontainers profile) starts: the very images compose runs. */
  @Test
  void theContainerTestsTakeTheirImagesFromCompose() throws IOException {
    assertEquals("apache/kafka:" + kafkaVersion(), ComposeImages.of("kafka"));
    assertTrue(ComposeImages.of("minio").startsWith("quay.io/minio/minio:RELEASE."), ComposeImages.of("minio"));
    assertThrows(IllegalStateException.class, () -> ComposeImages.of("no-such-service"));
  }

  @Test
  void kubernetesFilesAreValid() throws IOException {
    List<String> problems = new ArrayList<>();
    Map<String, List<Object>> files = KubernetesCheck.read(K8S, problems);
    assertTrue(files.containsKey("kustomization.yaml"), files.keySet().toString());
    problems.addAll(KubernetesCheck.problems(files, kubernetesImages()));
    assertEquals(List.of(), problems);
  }

  @Test
  void dockerfileIsValid() throws IOException {
    assertEquals(List.of(), DockerfileCheck.problems(dockerfile(), launcher(), dockerignore()));
  }

  @Test
  void theNarflowServicesAreThereWithTheirCommands() throws IOException {
    Map<String, Object> services = map(ComposeCheck.read(COMPOSE, new ArrayList<>()).get("services"));
    for (String service : List.of("kafka", "minio", "minio-setup", "topics", "worker", "indexer", "exporter", "prometheus", "grafana")) {
      assertTrue(services.containsKey(service), "compose has no " + service);
    }
    assertEquals("worker", Yamls.strings(at(services, "worker", "command")).get(0));
    assertEquals(List.of("topics", "create"), Yamls.strings(at(services, "topics", "command")).subList(0, 2));
    assertTrue(Yamls.strings(at(services, "indexer", "command")).contains("--state-dir"));
    assertTrue(String.valueOf(at(services, "worker", "deploy", "replicas")).matches("\\d+"));
    Map<String, List<Object>> k8s = KubernetesCheck.read(K8S, new ArrayList<>());
    List<String> kinds = k8s.values().stream().flatMap(List::stream).map(d -> at(d, "kind") + "/" + at(d, "metadata", "name")).toList();
    for (String resource : List.of("Deployment/narflow-worker", "Deployment/narflow-exporter", "Service/narflow-exporter",
        "StatefulSet/narflow-indexer", "ConfigMap/narflow-config", "Secret/narflow-s3", "Job/narflow-topics-create")) {
      assertTrue(kinds.contains(resource), "ops/k8s has no " + resource + ": " + kinds);
    }
  }

  // ---- the checks fail where they should ----

  @Test
  void rejectsCommandsAndOptionsNarflowDoesNotHave() {
    assertProblem(invocation(List.of("servee")), "'servee' is not a narflow command");
    assertProblem(invocation(List.of("serve", "--no-such-option")), "narflow serve has no option --no-such-option");
    assertProblem(invocation(List.of("serve", "--verify-chunks")), "has no option --verify-chunks"); // rebuild-index's
    assertProblem(invocation(List.of("rebuild-index", "extra")), "takes no arguments");
    assertProblem(invocation(List.of("serve", "--listen")), "--listen needs a value");
    assertProblem(invocation(List.of()), "no narflow command");
    assertEquals(List.of(), invocation(List.of("serve", "--listen", "0.0.0.0:8080")));
  }

  @Test
  void rejectsVariablesThatAreNotTheCommandsOptions() {
    assertProblem(invocation(List.of("serve", "--listen", "0.0.0.0:8080"), Map.of("NARFLOW_VERIFY_CHUNKS", "1"), Map.of()),
        "NARFLOW_VERIFY_CHUNKS is not the variable of any option of narflow serve");
    assertProblem(invocation(List.of("serve", "--listen", "0.0.0.0:8080"), Map.of("NARFLOW_PRIORITY", "high"), Map.of()),
        "narflow rejects");
    assertProblem(invocation(List.of("serve"), Map.of("NARFLOW_CONFIG", "/etc/narflow/narflow.conf"), Map.of()),
        "/etc/narflow/narflow.conf is not mounted");
    assertProblem(invocation(List.of("serve"), Map.of("NARFLOW_CONFIG", "/etc/narflow/narflow.conf"),
        Map.of("/etc/narflow/narflow.conf", "listen = 0.0.0.0:8080\nno-such-option = 1\n")), "no-such-option");
    assertEquals(List.of(), invocation(List.of("serve"), Map.of("NARFLOW_CONFIG", "/etc/narflow/narflow.conf"),
        Map.of("/etc/narflow/narflow.conf", "listen = 0.0.0.0:8080\nverify-chunks = true\n")));
    // The logging variables are every command's, and their values are checked too.
    assertEquals(List.of(), invocation(List.of("serve", "--listen", "0.0.0.0:8080"),
        Map.of("NARFLOW_LOG_FORMAT", "json", "NARFLOW_LOG_LEVEL", "debug"), Map.of()));
    assertProblem(invocation(List.of("serve", "--listen", "0.0.0.0:8080"), Map.of("NARFLOW_LOG_FORMAT", "yaml"), Map.of()),
        "NARFLOW_LOG_FORMAT=yaml is neither text nor json");
  }

  @Test
  void rejectsAServiceListeningOnLoopback() {
    assertProblem(invocation(List.of("serve", "--listen", "127.0.0.1:8080")), "listens on 127.0.0.1 only");
    assertProblem(invocation(List.of("serve")), "the default of --listen"); // 127.0.0.1:8080
  }

  @Test
  void rejectsBrokenComposeFiles() throws IOException {
    assertComposeProblem(c -> command(c, "worker").add("--no-such-option"), "has no option --no-such-option");
    assertComposeProblem(c -> env(c, "indexer").put("NARFLOW_CHUNK_STORE", "file:///x"),
        "NARFLOW_CHUNK_STORE is not the variable of any option of narflow indexer");
    assertComposeProblem(c -> service(c, "exporter").put("ports", new ArrayList<>(List.of("8080:9999"))),
        "publishes or exposes ports [9999] but listens on [8080]");
    assertComposeProblem(c -> service(c, "worker").remove("expose"), "publishes or exposes ports [] but listens on [9400]");
    assertComposeProblem(c -> service(c, "kafka").put("image", "apache/kafka:4.0.0"), "must be apache/kafka:");
    assertComposeProblem(c -> service(c, "grafana").put("image", "grafana/grafana:latest"), "is not pinned to a version");
    assertComposeProblem(c -> service(c, "grafana").put("image", "busybox:1.36"), "is not one of the expected");
    assertComposeProblem(c -> service(c, "worker").put("image", "narflow:0.0.1"), "must be narflow:" + Narflow.VERSION);
    assertComposeProblem(c -> env(c, "worker").put("NARFLOW_BOOTSTRAP_SERVERS", "kafka:9093"), "is not a listener that kafka advertises");
    assertComposeProblem(c -> env(c, "worker").put("NARFLOW_CHUNK_STORE", "s3://other?endpoint=http://minio:9000&region=us-east-1"),
        "no service creates the bucket other");
    assertComposeProblem(c -> map(service(c, "worker").get("depends_on")).put("nothing", Map.of()), "depends on nothing");
    assertComposeProblem(c -> service(c, "indexer").put("volumes", new ArrayList<>(List.of("undeclared:/x"))), "volume undeclared is not declared");
    assertComposeProblem(c -> service(c, "topics").put("restart", "unless-stopped"), "waits for topics to complete, but topics restarts");
    assertComposeProblem(c -> env(c, "worker").put("NARFLOW_STOP_TIMEOUT", "120"),
        "stop_grace_period 60s does not leave it the NARFLOW_STOP_TIMEOUT=120 seconds");
    assertComposeProblem(c -> service(c, "worker").remove("stop_grace_period"), "stop_grace_period 10s (the default) does not leave it");
  }

  @Test
  void rejectsPrometheusAndGrafanaFilesThatDoNotFitCompose() throws IOException {
    String scrapeAll = """
        scrape_configs:
          - job_name: worker
            dns_sd_configs: [{names: [worker], type: A, port: 9400}]
          - job_name: services
            static_configs: [{targets: ["indexer:9401", "exporter:8080"]}]
        """;
    String dashboard = "{\"panels\": [{\"datasource\": {\"type\": \"prometheus\", \"uid\": \"prometheus\"}}]}";
    assertEquals(List.of(), composeProblemsIn(sandbox(scrapeAll, dashboard), c -> {}));
    assertProblem(composeProblemsIn(sandbox(scrapeAll.replace("9401", "9402"), dashboard), c -> {}),
        "target indexer:9402, but indexer listens on [9401]");
    assertProblem(composeProblemsIn(sandbox(scrapeAll.replace("\"exporter:8080\"", "\"nowhere:8080\""), dashboard), c -> {}),
        "target nowhere:8080 is not a compose service");
    assertProblem(composeProblemsIn(sandbox(scrapeAll.replace("\"exporter:8080\"", "\"indexer:9401\""), dashboard), c -> {}),
        "does not scrape compose service exporter on port 8080");
    assertProblem(composeProblemsIn(sandbox("""
        scrape_configs:
          - job_name: narflow
            static_configs: [{targets: ["worker:9400", "indexer:9401", "exporter:8080"]}]
        """, dashboard), c -> {}), "use dns_sd_configs (type A) for it");
    assertProblem(composeProblemsIn(sandbox(scrapeAll, dashboard.replace("\"uid\": \"prometheus\"", "\"uid\": \"PBFA97CFB590B2093\"")), c -> {}),
        "uses data sources [PBFA97CFB590B2093]");
    assertProblem(composeProblemsIn(sandbox(scrapeAll, null), c -> {}), "mounts ../grafana/narflow.json, which does not exist");
  }

  @Test
  void rejectsBrokenKubernetesFiles() throws IOException {
    assertK8sProblem(k -> containerArgs(k, "worker.yaml").add("--no-such-option"), "has no option --no-such-option");
    assertK8sProblem(k -> configMap(k).put("narflow.conf", "bootstrap-servers = kafka:9092\nno-such-option = 1\n"),
        "narflow rejects");
    assertK8sProblem(k -> env(container(k, "indexer.yaml")).add(Map.of("name", "NARFLOW_CHUNK_STORE", "value", "file:///x")),
        "NARFLOW_CHUNK_STORE is not the variable of any option of narflow indexer");
    assertK8sProblem(k -> map(list(container(k, "exporter.yaml").get("ports")).get(0)).put("containerPort", 9999),
        "containerPorts [9999] but it listens on [8080]");
    assertK8sProblem(k -> map(at(container(k, "worker.yaml"), "readinessProbe", "httpGet")).put("port", "http"),
        "readinessProbe on port http");
    assertK8sProblem(k -> map(list(at(doc(k, "exporter.yaml", "Service"), "spec", "ports")).get(0)).put("targetPort", "metrics"),
        "targetPort metrics is not a port of the pods it selects");
    assertK8sProblem(k -> map(at(doc(k, "worker.yaml", "Deployment"), "spec", "selector", "matchLabels")).put("app.kubernetes.io/name", "x"),
        "does not match the pod labels");
    assertK8sProblem(k -> list(map(doc(k, "kustomization.yaml", "Kustomization")).get("resources")).remove("secret.yaml"),
        "secret.yaml is not among its resources");
    assertK8sProblem(k -> map(list(map(doc(k, "kustomization.yaml", "Kustomization")).get("images")).get(0)).put("newTag", "latest"),
        "must be narflow:" + Narflow.VERSION);
    assertK8sProblem(k -> container(k, "worker.yaml").put("command", List.of("sh")), "command: replaces the image's entrypoint");
    assertK8sProblem(k -> map(at(doc(k, "worker.yaml", "Deployment"), "spec", "template", "spec", "securityContext")).remove("runAsNonRoot"),
        "runAsNonRoot is not set");
    assertK8sProblem(k -> map(at(doc(k, "worker.yaml", "Deployment"), "spec", "template", "metadata", "annotations")).put("prometheus.io/port", "9401"),
        "prometheus.io/port 9401 is not a port it listens on");
    assertK8sProblem(k -> k.remove("secret.yaml"), "needs Secret narflow-s3, which these files do not define");
    assertK8sProblem(k -> containerArgs(k, "worker.yaml").addAll(List.of("--stop-timeout", "120")),
        "terminationGracePeriodSeconds 90 does not leave it the --stop-timeout 120 seconds");
    assertK8sProblem(k -> map(at(doc(k, "indexer.yaml", "StatefulSet"), "spec")).put("serviceName", "nothing"),
        "serviceName nothing is not a headless Service");
  }

  @Test
  void rejectsBrokenDockerfiles() throws IOException {
    String d = dockerfile();
    assertProblem(dockerfileProblems(d.replace("\"--add-modules\", \"jdk.incubator.vector\", ", "")), "--add-modules jdk.incubator.vector");
    assertProblem(dockerfileProblems(d.replace("USER 10001:10001", "USER root")), "USER root is root");
    assertProblem(dockerfileProblems(d.replace("USER 10001:10001", "")), "no USER in the runtime stage");
    assertProblem(dockerfileProblems(d.replace("\"-XX:CompileThresholdScaling=4\", ", "")), "the launcher passes -XX:CompileThresholdScaling=4");
    assertProblem(dockerfileProblems(d.replace("JDK_JAVA_OPTIONS=\"-Xmx512m\"", "JDK_JAVA_OPTIONS=\"\"")), "the launcher passes -Xmx512m");
    assertProblem(dockerfileProblems(d.replaceFirst("FROM eclipse-temurin:\\S+", "FROM eclipse-temurin:latest")), "is not pinned");
    assertProblem(dockerfileProblems(d.replace("-pl ops -am", "-pl ops")), "does not build ops/target/narflow.jar");
    assertProblem(dockerfileProblems(d.replace("/opt/narflow/narflow.jar\"]", "/narflow.jar\"]")), "which the runtime stage does not COPY");
    assertProblem(DockerfileCheck.problems(d, launcher(), dockerignore().replace("**/target/", "")), "does not leave out **/target/");
  }

  @Test
  void readsComposeDurations() {
    assertEquals(90, ComposeCheck.durationSeconds("1m30s"));
    assertEquals(60, ComposeCheck.durationSeconds("60s"));
    assertEquals(3600, ComposeCheck.durationSeconds("1h"));
    assertThrows(IllegalArgumentException.class, () -> ComposeCheck.durationSeconds("soon"));
  }

  @Test
  void interpolatesAsComposeDoes() {
    List<String> problems = new ArrayList<>();
    Map<String, String> vars = Map.of("A", "1", "EMPTY", "");
    assertEquals("1 2 -x 1 $B", Yamls.interpolate("${A} ${B:-2} ${C:--x} $A $$B", vars, problems));
    assertEquals(" d", Yamls.interpolate("${EMPTY-d} ${EMPTY:-d}", vars, problems));
    assertEquals(List.of(), problems);
    Yamls.interpolate("${NOPE} ${NEEDED:?set it}", vars, problems);
    assertEquals(List.of("compose: variable NOPE is not set in .env", "compose: variable NEEDED is not set in .env (set it)"), problems);
  }

  // ---- helpers ----

  static String kafkaVersion() throws IOException {
    Matcher m = Pattern.compile("<kafka\\.version>([^<]+)</kafka\\.version>").matcher(Files.readString(ROOT.resolve("pom.xml")));
    if (!m.find()) throw new IllegalStateException("no kafka.version in the root pom");
    return m.group(1);
  }

  static Images.Rules composeImages() throws IOException {
    return new Images.Rules(Map.of("narflow", Narflow.VERSION, "apache/kafka", kafkaVersion()),
        List.of("narflow", "apache/kafka", "quay.io/minio/minio", "quay.io/minio/mc", "prom/prometheus", "grafana/grafana"));
  }

  static Images.Rules kubernetesImages() {
    return new Images.Rules(Map.of("narflow", Narflow.VERSION), List.of("narflow"));
  }

  private static String dockerfile() throws IOException {
    return Files.readString(ROOT.resolve("ops/docker/Dockerfile"), StandardCharsets.UTF_8);
  }

  private static String launcher() throws IOException {
    return Files.readString(ROOT.resolve("ops/bin/narflow"), StandardCharsets.UTF_8);
  }

  private static String dockerignore() throws IOException {
    return Files.readString(ROOT.resolve(".dockerignore"), StandardCharsets.UTF_8);
  }

  private static List<String> dockerfileProblems(String dockerfile) throws IOException {
    return DockerfileCheck.problems(dockerfile, launcher(), dockerignore());
  }

  private static List<String> invocation(List<String> args) {
    return invocation(args, Map.of(), Map.of());
  }

  private static List<String> invocation(List<String> args, Map<String, String> env, Map<String, String> files) {
    List<String> problems = new ArrayList<>();
    new NarflowInvocation("test", args, env, files).check(problems);
    return problems;
  }

  private static void assertProblem(List<String> problems, String expected) {
    assertTrue(problems.stream().anyMatch(p -> p.contains(expected)), "expected a problem with '" + expected + "', got " + problems);
  }

  private void assertComposeProblem(Consumer<Map<String, Object>> breakIt, String expected) throws IOException {
    assertProblem(composeProblemsIn(COMPOSE, breakIt), expected);
  }

  private static List<String> composeProblemsIn(Path dir, Consumer<Map<String, Object>> breakIt) throws IOException {
    List<String> problems = new ArrayList<>();
    Map<String, Object> compose = ComposeCheck.read(dir, problems);
    breakIt.accept(compose);
    problems.addAll(ComposeCheck.problems(compose, dir, composeImages()));
    return problems;
  }

  /**
   * A copy of ops/compose in a repository-shaped directory of its own, with the given
   * prometheus.yml and dashboard (none when null), so that those checks run whatever the real
   * files hold.
   */
  private Path sandbox(String prometheusYml, String dashboard) throws IOException {
    Path root = Files.createTempDirectory(tmp, "repo");
    Path compose = root.resolve("ops/compose");
    try (Stream<Path> files = Files.walk(COMPOSE)) {
      for (Path f : files.toList()) {
        Path target = compose.resolve(COMPOSE.relativize(f).toString());
        if (Files.isDirectory(f)) Files.createDirectories(target);
        else Files.copy(f, target);
      }
    }
    Files.writeString(root.resolve("ops/pom.xml"), "<project/>");
    Files.createDirectories(root.resolve("ops/prometheus"));
    Files.writeString(root.resolve("ops/prometheus/prometheus.yml"), prometheusYml);
    Files.createDirectories(root.resolve("ops/grafana"));
    if (dashboard != null) Files.writeString(root.resolve("ops/grafana/narflow.json"), dashboard);
    return compose;
  }

  private static Map<String, Object> service(Map<String, Object> compose, String name) {
    return map(map(compose.get("services")).get(name));
  }

  private static List<Object> command(Map<String, Object> compose, String name) {
    return list(service(compose, name).get("command"));
  }

  private static Map<String, Object> env(Map<String, Object> compose, String name) {
    return map(service(compose, name).get("environment"));
  }

  private void assertK8sProblem(Consumer<Map<String, List<Object>>> breakIt, String expected) throws IOException {
    List<String> problems = new ArrayList<>();
    Map<String, List<Object>> files = KubernetesCheck.read(K8S, problems);
    breakIt.accept(files);
    problems.addAll(KubernetesCheck.problems(files, kubernetesImages()));
    assertProblem(problems, expected);
  }

  private static Object doc(Map<String, List<Object>> files, String file, String kind) {
    return files.get(file).stream().filter(d -> kind.equals(at(d, "kind"))).findFirst().orElseThrow();
  }

  private static Map<String, Object> container(Map<String, List<Object>> files, String file) {
    Object workload = files.get(file).stream().filter(d -> KubernetesCheck.WORKLOADS.contains(String.valueOf(at(d, "kind"))))
        .findFirst().orElseThrow();
    return map(list(at(workload, "spec", "template", "spec", "containers")).get(0));
  }

  private static List<Object> containerArgs(Map<String, List<Object>> files, String file) {
    return list(container(files, file).get("args"));
  }

  private static List<Object> env(Map<String, Object> container) {
    return list(container.get("env"));
  }

  private static Map<String, Object> configMap(Map<String, List<Object>> files) {
    return map(at(doc(files, "configmap.yaml", "ConfigMap"), "data"));
  }
}
