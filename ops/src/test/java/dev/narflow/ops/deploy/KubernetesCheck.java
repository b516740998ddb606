package dev.narflow.ops.deploy;

import static dev.narflow.ops.deploy.Yamls.at;
import static dev.narflow.ops.deploy.Yamls.list;
import static dev.narflow.ops.deploy.Yamls.map;
import static dev.narflow.ops.deploy.Yamls.string;
import static dev.narflow.ops.deploy.Yamls.strings;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Stream;

/**
 * The checks of the Kubernetes manifests under {@code ops/k8s} (a kustomization): every problem
 * found is one line of {@link #problems}.
 */
final class KubernetesCheck {
  static final Set<String> WORKLOADS = Set.of("Deployment", "StatefulSet", "Job");

  private final Map<String, List<Object>> files; // file name -> its documents
  private final Images.Rules images;
  private final List<String> problems = new ArrayList<>();
  private final Map<String, Map<String, Object>> byKindAndName = new LinkedHashMap<>(); // "Kind/name"
  private Map<String, Object> kustomization = Map.of();

  private KubernetesCheck(Map<String, List<Object>> files, Images.Rules images) {
    this.files = files;
    this.images = images;
  }

  /** Every {@code .yaml} under {@code dir}, parsed (a file that does not parse is a problem). */
  static Map<String, List<Object>> read(Path dir, List<String> problems) throws IOException {
    Map<String, List<Object>> files = new TreeMap<>();
    try (Stream<Path> paths = Files.list(dir)) {
      for (Path f : paths.filter(p -> p.toString().endsWith(".yaml") || p.toString().endsWith(".yml")).sorted().toList()) {
        try {
          files.put(f.getFileName().toString(), Yamls.loadAll(Files.readString(f, StandardCharsets.UTF_8)));
        } catch (RuntimeException e) {
          problems.add("k8s " + f.getFileName() + ": does not parse: " + e.getMessage());
        }
      }
    }
    return files;
  }

  static List<String> problems(Map<String, List<Object>> files, Images.Rules images) {
    KubernetesCheck check = new KubernetesCheck(files, images);
    check.run();
    return check.problems;
  }

  private void run() {
    files.forEach((file, docs) -> {
      if (docs.isEmpty()) problems.add("k8s " + file + ": no documents");
      for (Object doc : docs) {
        String kind = string(at(doc, "kind"));
        String name = string(at(doc, "metadata", "name"));
        if (string(at(doc, "apiVersion")) == null || kind == null) {
          problems.add("k8s " + file + ": a document without apiVersion or kind");
          continue;
        }
        if (kind.equals("Kustomization")) {
          kustomization = map(doc);
          continue;
        }
        if (name == null) problems.add("k8s " + file + ": a " + kind + " without metadata.name");
        if (byKindAndName.put(kind + "/" + name, map(doc)) != null) problems.add("k8s: two of " + kind + "/" + name);
      }
    });
    resources();
    Set<String> repositories = new TreeSet<>();
    for (Map<String, Object> resource : byKindAndName.values()) {
      if (WORKLOADS.contains(string(resource.get("kind")))) workload(resource, repositories);
    }
    for (String expected : images.expectedRepositories()) {
      if (!repositories.contains(expected)) problems.add("k8s: no container runs " + expected);
    }
    for (Map<String, Object> resource : byKindAndName.values()) {
      if ("Service".equals(resource.get("kind"))) service(resource);
    }
  }

  /** The kustomization lists every manifest, and only existing ones. */
  private void resources() {
    if (kustomization.isEmpty()) {
      problems.add("k8s: no kustomization.yaml");
      return;
    }
    Set<String> listed = new TreeSet<>(strings(kustomization.get("resources")));
    Set<String> present = new TreeSet<>(files.keySet());
    present.removeIf(f -> files.get(f).stream().anyMatch(d -> "Kustomization".equals(at(d, "kind"))));
    for (String f : listed) if (!present.contains(f)) problems.add("k8s kustomization: resource " + f + " does not exist");
    for (String f : present) if (!listed.contains(f)) problems.add("k8s kustomization: " + f + " is not among its resources");
  }

  /** An image as kustomize rewrites it ({@code images:} of the kustomization). */
  private String resolveImage(String image) {
    Images.Ref ref = Images.Ref.parse(image);
    for (Object rewrite : list(kustomization.get("images"))) {
      if (!ref.repository().equals(string(at(rewrite, "name")))) continue;
      String repository = at(rewrite, "newName") != null ? string(at(rewrite, "newName")) : ref.repository();
      String tag = at(rewrite, "newTag") != null ? string(at(rewrite, "newTag")) : ref.tag();
      return repository + (tag == null ? "" : ":" + tag);
    }
    return image;
  }

  private void workload(Map<String, Object> resource, Set<String> repositories) {
    String kind = string(resource.get("kind"));
    String where = "k8s " + kind + "/" + at(resource, "metadata", "name");
    Map<String, Object> template = map(at(resource, "spec", "template"));
    Map<String, Object> pod = map(template.get("spec"));
    Map<String, Object> labels = map(at(template, "metadata", "labels"));
    if (!kind.equals("Job")) {
      Map<String, Object> selector = map(at(resource, "spec", "selector", "matchLabels"));
      if (selector.isEmpty() || !labels.entrySet().containsAll(selector.entrySet())) {
        problems.add(where + ": selector " + selector + " does not match the pod labels " + labels);
      }
    } else if (!List.of("OnFailure", "Never").contains(string(pod.get("restartPolicy")))) {
      problems.add(where + ": a Job's pods need restartPolicy OnFailure or Never");
    }
    if (kind.equals("StatefulSet")) {
      Map<String, Object> headless = byKindAndName.get("Service/" + at(resource, "spec", "serviceName"));
      if (headless == null || !"None".equals(string(at(headless, "spec", "clusterIP")))) {
        problems.add(where + ": serviceName " + at(resource, "spec", "serviceName") + " is not a headless Service of these files");
      }
    }

    Map<String, Map<String, Object>> volumes = new LinkedHashMap<>();
    for (Object v : list(pod.get("volumes"))) volumes.put(string(at(v, "name")), map(v));
    Set<String> claims = new TreeSet<>();
    for (Object c : list(at(resource, "spec", "volumeClaimTemplates"))) claims.add(string(at(c, "metadata", "name")));
    volumes.forEach((name, v) -> {
      for (String type : List.of("configMap", "secret")) {
        if (!v.containsKey(type)) continue;
        String ref = string(at(v, type, type.equals("secret") ? "secretName" : "name"));
        boolean optional = Boolean.TRUE.equals(at(v, type, "optional"));
        String resourceKind = type.equals("secret") ? "Secret" : "ConfigMap";
        if (!optional && !byKindAndName.containsKey(resourceKind + "/" + ref)) {
          problems.add(where + ": volume " + name + " needs " + resourceKind + " " + ref + ", which these files do not define");
        }
      }
    });

    String podNonRoot = string(at(pod, "securityContext", "runAsNonRoot"));
    for (Object c : list(pod.get("containers"))) {
      Map<String, Object> container = map(c);
      String cwhere = where + " container " + container.get("name");
      String image = resolveImage(String.valueOf(container.get("image")));
      images.check(cwhere, image, problems);
      repositories.add(Images.Ref.parse(image).repository());
      for (Object mount : list(container.get("volumeMounts"))) {
        String name = string(at(mount, "name"));
        if (!volumes.containsKey(name) && !claims.contains(name)) problems.add(cwhere + ": mounts volume " + name + ", which the pod does not have");
      }
      if (Images.Ref.parse(image).repository().equals(ComposeCheck.NARFLOW_REPOSITORY)) {
        String nonRoot = string(at(container, "securityContext", "runAsNonRoot"));
        if (!"true".equals(nonRoot) && !"true".equals(podNonRoot)) problems.add(cwhere + ": runAsNonRoot is not set");
        narflowContainer(cwhere, container, volumes, template);
      }
    }
  }

  private void narflowContainer(String where, Map<String, Object> container, Map<String, Map<String, Object>> volumes,
      Map<String, Object> template) {
    if (container.containsKey("command")) problems.add(where + ": command: replaces the image's entrypoint (java … -jar narflow.jar); use args:");
    Map<String, String> env = new LinkedHashMap<>();
    for (Object from : list(container.get("envFrom"))) {
      Map<String, String> values = referencedData(where, at(from, "configMapRef") != null ? "ConfigMap" : "Secret",
          string(at(from, at(from, "configMapRef") != null ? "configMapRef" : "secretRef", "name")),
          Boolean.TRUE.equals(at(from, at(from, "configMapRef") != null ? "configMapRef" : "secretRef", "optional")));
      env.putAll(values);
    }
    for (Object e : list(container.get("env"))) {
      String name = string(at(e, "name"));
      if (at(e, "value") != null) {
        env.put(name, string(at(e, "value")));
      } else {
        for (String type : List.of("configMapKeyRef", "secretKeyRef")) {
          Object ref = at(e, "valueFrom", type);
          if (ref == null) continue;
          Map<String, String> data = referencedData(where, type.startsWith("secret") ? "Secret" : "ConfigMap",
              string(at(ref, "name")), Boolean.TRUE.equals(at(ref, "optional")));
          String key = string(at(ref, "key"));
          if (data.containsKey(key)) {
            env.put(name, data.get(key));
          } else if (!Boolean.TRUE.equals(at(ref, "optional"))) {
            problems.add(where + ": env " + name + " needs key " + key + " of " + at(ref, "name") + ", which it does not have");
          }
        }
      }
    }
    // Files mounted from ConfigMaps and Secrets of these files, by their path in the container.
    Map<String, String> mounted = new LinkedHashMap<>();
    for (Object mount : list(container.get("volumeMounts"))) {
      Map<String, Object> volume = volumes.get(string(at(mount, "name")));
      if (volume == null) continue;
      String path = string(at(mount, "mountPath"));
      for (String type : List.of("configMap", "secret")) {
        if (!volume.containsKey(type)) continue;
        Map<String, String> data = referencedData(where, type.equals("secret") ? "Secret" : "ConfigMap",
            string(at(volume, type, type.equals("secret") ? "secretName" : "name")), true);
        data.forEach((key, value) -> mounted.put(path + "/" + key, value));
      }
    }
    NarflowInvocation.Result result = new NarflowInvocation(where, strings(container.get("args")), env, mounted).check(problems);
    result.stopTimeout().ifPresent(t -> {
      Object grace = at(template, "spec", "terminationGracePeriodSeconds");
      long graceSeconds = grace == null ? 30 : Long.parseLong(String.valueOf(grace));
      if (graceSeconds <= Long.parseLong(t.value().strip())) {
        problems.add(where + ": terminationGracePeriodSeconds " + (grace == null ? "30 (the default)" : grace)
            + " does not leave it the " + t.source() + " seconds it takes to stop: it would be killed mid-work");
      }
    });

    Set<Integer> listening = new TreeSet<>();
    result.listens().values().forEach(a -> listening.add(a.port()));
    Map<String, Integer> named = new LinkedHashMap<>();
    Set<Integer> declared = new TreeSet<>();
    for (Object p : list(container.get("ports"))) {
      int port = Integer.parseInt(String.valueOf(at(p, "containerPort")));
      declared.add(port);
      if (at(p, "name") != null) named.put(string(at(p, "name")), port);
    }
    if (!declared.equals(listening)) {
      problems.add(where + ": containerPorts " + declared + " but it listens on " + listening
          + " (" + result.listens().values().stream().map(NarflowInvocation.Address::source).toList() + ")");
    }
    for (String probe : List.of("readinessProbe", "livenessProbe", "startupProbe")) {
      Object get = at(container, probe, "httpGet");
      if (get == null) continue;
      Object port = at(get, "port");
      Integer number = port instanceof Integer i ? i : named.get(String.valueOf(port));
      if (number == null || !listening.contains(number)) {
        problems.add(where + ": " + probe + " on port " + port + ", which it does not listen on " + listening);
      }
      if (!"/healthz".equals(string(at(get, "path")))) problems.add(where + ": " + probe + " is not on /healthz");
    }
    Object scrapePort = at(template, "metadata", "annotations", "prometheus.io/port");
    if (scrapePort != null && !listening.contains(Integer.parseInt(String.valueOf(scrapePort)))) {
      problems.add(where + ": prometheus.io/port " + scrapePort + " is not a port it listens on " + listening);
    }
    if (scrapePort == null && !listening.isEmpty()) problems.add(where + ": no prometheus.io/port annotation for its /metrics");
  }

  /** The data (or stringData) of a ConfigMap or Secret of these files; a missing one is a problem unless optional. */
  private Map<String, String> referencedData(String where, String kind, String name, boolean optional) {
    Map<String, Object> resource = byKindAndName.get(kind + "/" + name);
    if (resource == null) {
      if (!optional) problems.add(where + ": needs " + kind + " " + name + ", which these files do not define");
      return Map.of();
    }
    Map<String, String> data = new LinkedHashMap<>();
    map(resource.get("data")).forEach((k, v) -> data.put(k, kind.equals("Secret")
        ? new String(java.util.Base64.getDecoder().decode(String.valueOf(v)), StandardCharsets.UTF_8) : String.valueOf(v)));
    map(resource.get("stringData")).forEach((k, v) -> data.put(k, String.valueOf(v)));
    return data;
  }

  /** A Service selects one workload's pods and targets ports their containers declare. */
  private void service(Map<String, Object> service) {
    String where = "k8s Service/" + at(service, "metadata", "name");
    Map<String, Object> selector = map(at(service, "spec", "selector"));
    List<Map<String, Object>> selected = byKindAndName.values().stream()
        .filter(r -> WORKLOADS.contains(string(r.get("kind"))))
        .filter(r -> !selector.isEmpty() && map(at(r, "spec", "template", "metadata", "labels")).entrySet().containsAll(selector.entrySet()))
        .toList();
    if (selected.isEmpty()) {
      problems.add(where + ": its selector " + selector + " matches no workload of these files");
      return;
    }
    Map<String, Integer> named = new LinkedHashMap<>();
    Set<Integer> numbers = new TreeSet<>();
    for (Map<String, Object> workload : selected) {
      for (Object c : list(at(workload, "spec", "template", "spec", "containers"))) {
        for (Object p : list(at(c, "ports"))) {
          int port = Integer.parseInt(String.valueOf(at(p, "containerPort")));
          numbers.add(port);
          if (at(p, "name") != null) named.put(string(at(p, "name")), port);
        }
      }
    }
    for (Object p : list(at(service, "spec", "ports"))) {
      Object target = at(p, "targetPort") != null ? at(p, "targetPort") : at(p, "port");
      boolean found = target instanceof Integer i ? numbers.contains(i) : named.containsKey(String.valueOf(target));
      if (!found) problems.add(where + ": targetPort " + target + " is not a port of the pods it selects " + named);
    }
  }
}
