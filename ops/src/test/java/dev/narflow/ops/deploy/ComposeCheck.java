package dev.narflow.ops.deploy;

import static dev.narflow.ops.deploy.Yamls.at;
import static dev.narflow.ops.deploy.Yamls.list;
import static dev.narflow.ops.deploy.Yamls.map;
import static dev.narflow.ops.deploy.Yamls.string;
import static dev.narflow.ops.deploy.Yamls.strings;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The checks of {@code ops/compose/compose.yaml} (after interpolation with {@code .env}): every
 * problem found is one line of {@link #problems}. Reads the files the compose file mounts, from
 * {@code dir} (the compose file's directory).
 */
final class ComposeCheck {
  static final String NARFLOW_REPOSITORY = "narflow";
  static final String DOCKERFILE = "ops/docker/Dockerfile";

  private final Map<String, Object> compose;
  private final Path dir;
  private final Images.Rules images;
  private final List<String> problems = new ArrayList<>();
  /** Per narflow service: the ports its listen options take. */
  private final Map<String, Set<Integer>> listenPorts = new LinkedHashMap<>();

  private ComposeCheck(Map<String, Object> compose, Path dir, Images.Rules images) {
    this.compose = compose;
    this.dir = dir;
    this.images = images;
  }

  /** Reads {@code compose.yaml} and {@code .env} from {@code dir}, interpolates and parses. */
  static Map<String, Object> read(Path dir, List<String> problems) throws IOException {
    Map<String, String> vars = Yamls.dotEnv(Files.readString(dir.resolve(".env"), StandardCharsets.UTF_8));
    String text = Yamls.interpolate(Files.readString(dir.resolve("compose.yaml"), StandardCharsets.UTF_8), vars, problems);
    return map(Yamls.load(text));
  }

  static List<String> problems(Map<String, Object> compose, Path dir, Images.Rules images) {
    ComposeCheck check = new ComposeCheck(compose, dir, images);
    check.run();
    return check.problems;
  }

  private Map<String, Object> services() {
    return map(compose.get("services"));
  }

  private void run() {
    if (services().isEmpty()) {
      problems.add("compose: no services");
      return;
    }
    Set<String> repositories = new TreeSet<>();
    services().forEach((name, node) -> {
      Map<String, Object> service = map(node);
      String image = string(service.get("image"));
      images.check("compose service " + name, image, problems);
      if (image != null) repositories.add(Images.Ref.parse(image).repository());
      dependencies(name, service);
      volumes(name, service);
      if (image != null && Images.Ref.parse(image).repository().equals(NARFLOW_REPOSITORY)) narflowService(name, service);
    });
    for (String expected : images.expectedRepositories()) {
      if (!repositories.contains(expected)) problems.add("compose: no service runs " + expected);
    }
    prometheus();
    grafana();
  }

  private void dependencies(String name, Map<String, Object> service) {
    Object dependsOn = service.get("depends_on");
    Iterable<?> targets = dependsOn instanceof Map<?, ?> m ? m.keySet() : list(dependsOn);
    for (Object target : targets) {
      if (!services().containsKey(String.valueOf(target))) {
        problems.add("compose service " + name + ": depends on " + target + ", which is not a service");
      } else if ("service_completed_successfully".equals(at(dependsOn, String.valueOf(target), "condition"))
          && !"no".equals(string(map(services().get(String.valueOf(target))).get("restart")))) {
        problems.add("compose service " + name + ": waits for " + target + " to complete, but " + target
            + " restarts (a one-shot job needs restart: \"no\")");
      }
    }
  }

  private void volumes(String name, Map<String, Object> service) {
    Map<String, Object> declared = map(compose.get("volumes"));
    for (Object volume : list(service.get("volumes"))) {
      String source;
      if (volume instanceof Map<?, ?> m) {
        source = string(m.get("source"));
      } else {
        String[] parts = String.valueOf(volume).split(":");
        source = parts.length > 1 ? parts[0] : null;
      }
      if (source == null) continue;
      if (source.startsWith(".") || source.startsWith("/") || source.startsWith("~")) {
        if (!Files.exists(dir.resolve(source).normalize())) {
          problems.add("compose service " + name + ": mounts " + source + ", which does not exist ("
              + dir.resolve(source).normalize() + ")");
        }
      } else if (!compose.containsKey("volumes") || !declared.containsKey(source)) {
        problems.add("compose service " + name + ": volume " + source + " is not declared under volumes:");
      }
    }
  }

  private void narflowService(String name, Map<String, Object> service) {
    String where = "compose service " + name;
    Object build = service.get("build");
    if (build != null) {
      String context = build instanceof String s ? s : string(at(build, "context"));
      String dockerfile = string(at(build, "dockerfile"));
      Path contextDir = dir.resolve(context == null ? "." : context).normalize();
      if (!Files.isRegularFile(contextDir.resolve("ops/pom.xml"))) {
        problems.add(where + ": build context " + context + " is not the repository's root");
      }
      if (!DOCKERFILE.equals(dockerfile)) problems.add(where + ": builds with " + dockerfile + ", not " + DOCKERFILE);
    }
    Map<String, String> env = Yamls.environment(service.get("environment"));
    NarflowInvocation.Result result =
        new NarflowInvocation(where, strings(service.get("command")), env, Map.of()).check(problems);
    Set<Integer> wanted = new TreeSet<>();
    result.listens().values().forEach(a -> wanted.add(a.port()));
    listenPorts.put(name, wanted);

    Set<Integer> published = new TreeSet<>();
    for (Object port : list(service.get("ports"))) published.add(containerPort(port));
    for (Object port : list(service.get("expose"))) published.add(containerPort(port));
    if (!published.equals(wanted)) {
      problems.add(where + ": publishes or exposes ports " + published + " but listens on " + wanted
          + " (" + result.listens().values().stream().map(NarflowInvocation.Address::source).toList() + ")");
    }

    result.stopTimeout().ifPresent(t -> {
      Object grace = service.get("stop_grace_period");
      long graceSeconds = grace == null ? 10 : durationSeconds(String.valueOf(grace));
      if (graceSeconds <= Long.parseLong(t.value().strip())) {
        problems.add(where + ": stop_grace_period " + (grace == null ? "10s (the default)" : grace)
            + " does not leave it the " + t.source() + " seconds it takes to stop: it would be killed mid-work");
      }
    });

    if (result.command() != null) {
      String servers = valueOf(service, result, "--bootstrap-servers", env);
      if (servers != null) bootstrapServers(where, servers);
      String chunkStore = valueOf(service, result, "--chunk-store", env);
      if (chunkStore != null) chunkStore(where, chunkStore);
    }
  }

  /** The raw value of {@code option} from the command line or the environment, or null. */
  private static String valueOf(Map<String, Object> service, NarflowInvocation.Result result, String option,
      Map<String, String> env) {
    if (result.command().findOption(option) == null) return null;
    List<String> args = strings(service.get("command"));
    for (int i = 0; i < args.size(); i++) {
      if (args.get(i).equals(option) && i + 1 < args.size()) return args.get(i + 1);
      if (args.get(i).startsWith(option + "=")) return args.get(i).substring(option.length() + 1);
    }
    return env.get(dev.narflow.ops.OptionDefaults.variableOf(option));
  }

  /** Every host:port names a service of this file that advertises that listener. */
  private void bootstrapServers(String where, String servers) {
    for (String server : servers.split(",")) {
      String s = server.strip();
      String host = s.contains(":") ? s.substring(0, s.lastIndexOf(':')) : s;
      Map<String, Object> kafka = map(services().get(host));
      String advertised = Yamls.environment(kafka.get("environment")).get("KAFKA_ADVERTISED_LISTENERS");
      if (kafka.isEmpty()) {
        problems.add(where + ": bootstrap server " + s + " is not a service of this file");
      } else if (advertised == null || Stream.of(advertised.split(",")).noneMatch(l -> l.strip().endsWith("://" + s))) {
        problems.add(where + ": bootstrap server " + s + " is not a listener that " + host + " advertises (" + advertised + ")");
      }
    }
  }

  /** An s3:// chunk store's endpoint is a service of this file, and some service creates its bucket. */
  private void chunkStore(String where, String url) {
    if (!url.startsWith("s3://")) return;
    URI uri = URI.create(url.replace(" ", "%20"));
    String bucket = uri.getHost();
    Matcher endpoint = Pattern.compile("(?:^|&)endpoint=([^&]+)").matcher(uri.getRawQuery() == null ? "" : uri.getRawQuery());
    if (endpoint.find()) {
      URI e = URI.create(endpoint.group(1));
      if (!services().containsKey(e.getHost())) problems.add(where + ": the chunk store's endpoint " + e + " is not a service of this file");
    }
    boolean created = services().values().stream()
        .anyMatch(s -> strings(map(s).get("command")).stream().anyMatch(a -> a.endsWith("/" + bucket)));
    if (!created) problems.add(where + ": no service creates the bucket " + bucket + " of the chunk store");
  }

  /** compose's durations: {@code 90s}, {@code 1m30s}, {@code 2m}, {@code 1h}. */
  static long durationSeconds(String duration) {
    Matcher m = Pattern.compile("(\\d+)(h|ms|m|s)").matcher(duration.strip());
    long seconds = 0;
    int end = 0;
    while (m.find()) {
      if (m.start() != end) throw new IllegalArgumentException("not a duration: " + duration);
      long n = Long.parseLong(m.group(1));
      seconds += switch (m.group(2)) {
        case "h" -> n * 3600;
        case "m" -> n * 60;
        case "s" -> n;
        default -> n / 1000;
      };
      end = m.end();
    }
    if (end != duration.strip().length() || end == 0) throw new IllegalArgumentException("not a duration: " + duration);
    return seconds;
  }

  private static int containerPort(Object spec) {
    if (spec instanceof Map<?, ?> m) return Integer.parseInt(String.valueOf(m.get("target")));
    String s = String.valueOf(spec);
    int slash = s.indexOf('/');
    if (slash >= 0) s = s.substring(0, slash);
    return Integer.parseInt(s.substring(s.lastIndexOf(':') + 1));
  }

  /** The mounted Prometheus configuration scrapes every narflow service on the port it listens on. */
  private void prometheus() {
    Map.Entry<String, Map<String, Object>> prometheus = serviceOf("prom/prometheus");
    if (prometheus == null) return;
    Path config = mountedFile(prometheus.getValue(), "/etc/prometheus/prometheus.yml");
    if (config == null) {
      problems.add("compose service " + prometheus.getKey() + ": no prometheus.yml mounted at /etc/prometheus/prometheus.yml");
      return;
    }
    if (!Files.isRegularFile(config)) return; // reported as a missing mount
    Map<String, Set<Integer>> scraped = new LinkedHashMap<>(); // service -> ports
    Set<String> discovered = new LinkedHashSet<>(); // scraped through DNS: every replica
    Object doc;
    try {
      doc = Yamls.load(Files.readString(config, StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (RuntimeException e) {
      problems.add(config + " does not parse: " + e.getMessage());
      return;
    }
    for (Object job : list(at(doc, "scrape_configs"))) {
      for (Object staticConfig : list(at(job, "static_configs"))) {
        for (Object target : list(at(staticConfig, "targets"))) {
          scrapeTarget(config, String.valueOf(target), scraped);
        }
      }
      for (Object dnsConfig : list(at(job, "dns_sd_configs"))) {
        Object port = at(dnsConfig, "port");
        for (Object name : list(at(dnsConfig, "names"))) {
          String target = port == null ? String.valueOf(name) : name + ":" + port;
          if (scrapeTarget(config, target, scraped)) discovered.add(String.valueOf(name));
        }
      }
    }
    listenPorts.forEach((service, ports) -> {
      for (int port : ports) {
        if (!scraped.getOrDefault(service, Set.of()).contains(port)) {
          problems.add(config.getFileName() + ": does not scrape compose service " + service + " on port " + port);
        }
      }
      Object replicas = at(services().get(service), "deploy", "replicas");
      boolean several = replicas != null && !String.valueOf(replicas).equals("1");
      if (several && scraped.containsKey(service) && !discovered.contains(service)) {
        problems.add(config.getFileName() + ": compose service " + service + " runs " + replicas
            + " replicas, but a static target scrapes one of them at random; use dns_sd_configs (type A) for it");
      }
    });
  }

  /** Records {@code host:port}; false (and a problem) when it names no service or a port it does not listen on. */
  private boolean scrapeTarget(Path config, String target, Map<String, Set<Integer>> scraped) {
    int colon = target.lastIndexOf(':');
    String host = colon < 0 ? target : target.substring(0, colon);
    if (host.equals("localhost") || host.equals("127.0.0.1")) return false; // Prometheus itself
    if (!services().containsKey(host)) {
      problems.add(config.getFileName() + ": target " + target + " is not a compose service");
      return false;
    }
    if (colon < 0) return false;
    int port = Integer.parseInt(target.substring(colon + 1));
    Set<Integer> listening = listenPorts.get(host);
    if (listening != null && !listening.contains(port)) {
      problems.add(config.getFileName() + ": target " + target + ", but " + host + " listens on " + listening);
      return false;
    }
    scraped.computeIfAbsent(host, h -> new TreeSet<>()).add(port);
    return true;
  }

  /**
   * Grafana's provisioned data source points at the Prometheus service, the dashboard provider reads
   * the directory the dashboard is mounted into, and the dashboard's data sources are provisioned.
   */
  private void grafana() {
    Map.Entry<String, Map<String, Object>> grafana = serviceOf("grafana/grafana");
    Map.Entry<String, Map<String, Object>> prometheus = serviceOf("prom/prometheus");
    if (grafana == null) return;
    String where = "compose service " + grafana.getKey();
    Path provisioning = mountedFile(grafana.getValue(), "/etc/grafana/provisioning");
    if (provisioning == null || !Files.isDirectory(provisioning)) {
      problems.add(where + ": no provisioning directory mounted at /etc/grafana/provisioning");
      return;
    }
    Set<String> uids = new TreeSet<>();
    boolean pointsAtPrometheus = false;
    for (Object doc : yamlFiles(provisioning.resolve("datasources"))) {
      for (Object source : list(at(doc, "datasources"))) {
        if (at(source, "uid") != null) uids.add(String.valueOf(at(source, "uid")));
        URI url = URI.create(String.valueOf(at(source, "url")));
        if (prometheus != null && url.getHost().equals(prometheus.getKey()) && url.getPort() == 9090) pointsAtPrometheus = true;
      }
    }
    if (!pointsAtPrometheus) problems.add(where + ": no provisioned data source is http://<the prometheus service>:9090");
    Set<String> providerPaths = new TreeSet<>();
    for (Object doc : yamlFiles(provisioning.resolve("dashboards"))) {
      for (Object provider : list(at(doc, "providers"))) providerPaths.add(String.valueOf(at(provider, "options", "path")));
    }
    boolean dashboardMounted = false;
    for (Object volume : list(grafana.getValue().get("volumes"))) {
      String[] parts = String.valueOf(volume).split(":");
      if (parts.length < 2 || !parts[0].endsWith(".json")) continue;
      String target = parts[1];
      if (!providerPaths.contains(target.substring(0, target.lastIndexOf('/')))) {
        problems.add(where + ": dashboard mounted at " + target + ", outside every provider's path " + providerPaths);
      }
      dashboardMounted = true;
      Path dashboard = dir.resolve(parts[0]).normalize();
      if (Files.isRegularFile(dashboard)) dashboardDataSources(where, dashboard, uids);
    }
    if (!dashboardMounted) problems.add(where + ": no dashboard (.json) mounted");
  }

  private void dashboardDataSources(String where, Path dashboard, Set<String> uids) {
    JsonNode json;
    try {
      json = new ObjectMapper().readTree(dashboard.toFile());
    } catch (IOException e) {
      problems.add(where + ": " + dashboard.getFileName() + " does not parse: " + e.getMessage());
      return;
    }
    Set<String> used = new TreeSet<>();
    for (JsonNode ds : json.findValues("datasource")) {
      JsonNode uid = ds.isObject() ? ds.get("uid") : ds;
      if (uid != null && uid.isTextual() && !uid.asText().contains("$") && !uid.asText().startsWith("-- ")) used.add(uid.asText());
    }
    used.removeAll(uids);
    if (!used.isEmpty()) problems.add(where + ": " + dashboard.getFileName() + " uses data sources " + used + ", provisioned are " + uids);
  }

  private static List<Object> yamlFiles(Path dir) {
    if (!Files.isDirectory(dir)) return List.of();
    try (Stream<Path> files = Files.list(dir)) {
      List<Object> docs = new ArrayList<>();
      for (Path f : files.filter(p -> p.toString().endsWith(".yaml") || p.toString().endsWith(".yml")).sorted().toList()) {
        docs.addAll(Yamls.loadAll(Files.readString(f, StandardCharsets.UTF_8)));
      }
      return docs;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private Map.Entry<String, Map<String, Object>> serviceOf(String repository) {
    for (Map.Entry<String, Object> e : services().entrySet()) {
      String image = string(map(e.getValue()).get("image"));
      if (image != null && Images.Ref.parse(image).repository().equals(repository)) return Map.entry(e.getKey(), map(e.getValue()));
    }
    return null;
  }

  /** The host path bind-mounted at {@code target} in {@code service}, or null. */
  private Path mountedFile(Map<String, Object> service, String target) {
    for (Object volume : list(service.get("volumes"))) {
      String[] parts = String.valueOf(volume).split(":");
      if (parts.length >= 2 && parts[1].equals(target) && (parts[0].startsWith(".") || parts[0].startsWith("/"))) {
        return dir.resolve(parts[0]).normalize();
      }
    }
    return null;
  }
}
