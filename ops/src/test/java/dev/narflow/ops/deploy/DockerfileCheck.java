package dev.narflow.ops.deploy;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The checks of {@code ops/docker/Dockerfile} against the launcher ({@code ops/bin/narflow}) and
 * of the build context's {@code .dockerignore}: every problem found is one line.
 */
final class DockerfileCheck {
  private DockerfileCheck() {}

  record Instruction(String keyword, String arguments) {}

  /** The instructions of a Dockerfile: comments dropped, continuation lines joined. */
  static List<Instruction> instructions(String dockerfile) {
    List<Instruction> out = new ArrayList<>();
    StringBuilder current = new StringBuilder();
    for (String line : dockerfile.split("\r?\n")) {
      String l = line.strip();
      if (current.isEmpty() && (l.isEmpty() || l.startsWith("#"))) continue;
      if (!current.isEmpty() && l.startsWith("#")) continue;
      if (l.endsWith("\\")) {
        current.append(l, 0, l.length() - 1).append(' ');
        continue;
      }
      current.append(l);
      String s = current.toString().strip();
      current.setLength(0);
      int space = s.indexOf(' ');
      out.add(new Instruction(s.substring(0, space < 0 ? s.length() : space).toUpperCase(),
          space < 0 ? "" : s.substring(space + 1).strip()));
    }
    return out;
  }

  static List<String> problems(String dockerfile, String launcher, String dockerignore) {
    List<String> problems = new ArrayList<>();
    List<Instruction> all = instructions(dockerfile);
    List<List<Instruction>> stages = new ArrayList<>();
    for (Instruction i : all) {
      if (i.keyword().equals("FROM")) stages.add(new ArrayList<>());
      if (stages.isEmpty()) continue; // ARG before FROM
      stages.get(stages.size() - 1).add(i);
    }
    if (stages.size() < 2) {
      problems.add("Dockerfile: not multi-stage (a build stage and a runtime stage)");
      return problems;
    }
    for (List<Instruction> stage : stages) {
      String image = stage.get(0).arguments().split("\\s+")[0];
      Images.Ref ref = Images.Ref.parse(image);
      if (ref.digest() == null && (ref.tag() == null || ref.tag().equals("latest") || !ref.tag().matches(".*\\d.*"))) {
        problems.add("Dockerfile: FROM " + image + " is not pinned to a version");
      }
    }
    List<Instruction> build = stages.get(0);
    List<Instruction> runtime = stages.get(stages.size() - 1);
    String buildImage = build.get(0).arguments();
    if (!buildImage.startsWith("maven:") || !buildImage.contains("temurin-17")) {
      problems.add("Dockerfile: the build stage is not Maven on a JDK 17 (" + buildImage + ")");
    }
    boolean builds = build.stream().anyMatch(i -> i.keyword().equals("RUN") && i.arguments().contains("mvn ")
        && i.arguments().contains("-pl ops -am") && i.arguments().contains(" package") && i.arguments().contains("ops/target/narflow.jar"));
    if (!builds) problems.add("Dockerfile: the build stage does not build ops/target/narflow.jar as the launcher does (mvn … -pl ops -am package)");
    String runtimeImage = runtime.get(0).arguments().split("\\s+")[0];
    if (!runtimeImage.startsWith("eclipse-temurin:17") || !runtimeImage.contains("jre")) {
      problems.add("Dockerfile: the runtime stage is not a Temurin JRE 17 (" + runtimeImage + ")");
    }

    String user = null;
    for (Instruction i : runtime) if (i.keyword().equals("USER")) user = i.arguments();
    if (user == null) {
      problems.add("Dockerfile: no USER in the runtime stage: it would run as root");
    } else {
      String name = user.split(":")[0];
      if (name.equals("root") || name.equals("0")) problems.add("Dockerfile: USER " + user + " is root");
    }

    Instruction entrypoint = null;
    for (Instruction i : runtime) if (i.keyword().equals("ENTRYPOINT")) entrypoint = i;
    List<String> argv;
    try {
      argv = entrypoint == null ? null : new ObjectMapper().readValue(entrypoint.arguments(), new TypeReference<List<String>>() {});
    } catch (Exception e) {
      argv = null;
    }
    if (argv == null || argv.isEmpty()) {
      problems.add("Dockerfile: no ENTRYPOINT in exec form (a JSON array), so signals would not reach the JVM");
      return problems;
    }
    if (!argv.get(0).equals("java")) problems.add("Dockerfile: ENTRYPOINT does not run java: " + argv);
    int modules = argv.indexOf("--add-modules");
    if (!(modules >= 0 && modules + 1 < argv.size() && argv.get(modules + 1).equals("jdk.incubator.vector"))
        && !argv.contains("--add-modules=jdk.incubator.vector")) {
      problems.add("Dockerfile: ENTRYPOINT does not pass --add-modules jdk.incubator.vector (BLAKE3 would run scalar)");
    }
    int jar = argv.indexOf("-jar");
    if (jar < 0 || jar + 1 >= argv.size()) {
      problems.add("Dockerfile: ENTRYPOINT has no -jar");
    } else {
      String path = argv.get(jar + 1);
      boolean copied = runtime.stream().anyMatch(i -> (i.keyword().equals("COPY") || i.keyword().equals("ADD"))
          && i.arguments().endsWith(" " + path));
      if (!copied) problems.add("Dockerfile: ENTRYPOINT runs " + path + ", which the runtime stage does not COPY");
    }
    // The launcher's JVM options: in the entrypoint, or (the heap, so that it can be replaced) in JDK_JAVA_OPTIONS.
    String javaOptions = "";
    for (Instruction i : runtime) {
      if (i.keyword().equals("ENV")) {
        Matcher m = Pattern.compile("JDK_JAVA_OPTIONS=\"?([^\"]*)\"?").matcher(i.arguments());
        if (m.find()) javaOptions = m.group(1);
      }
    }
    for (String variable : List.of("heap", "jit")) {
      Matcher m = Pattern.compile("(?m)^" + variable + "=(\\S+)$").matcher(launcher);
      if (!m.find()) {
        problems.add("ops/bin/narflow: no " + variable + "=… line to compare the image with");
        continue;
      }
      String option = m.group(1);
      if (!argv.contains(option) && !List.of(javaOptions.split("\\s+")).contains(option)) {
        problems.add("Dockerfile: the launcher passes " + option + " and the image does not");
      }
    }
    if (!launcher.contains("--add-modules jdk.incubator.vector")) {
      problems.add("ops/bin/narflow no longer passes --add-modules jdk.incubator.vector: check the image's flags");
    }

    List<String> ignored = dockerignore.lines().map(String::strip).filter(l -> !l.isEmpty() && !l.startsWith("#")).toList();
    if (ignored.stream().noneMatch(l -> l.matches("\\*\\*/target/?"))) problems.add(".dockerignore: does not leave out **/target/");
    if (ignored.stream().noneMatch(l -> l.matches("/?\\.git/?"))) problems.add(".dockerignore: does not leave out .git");
    return problems;
  }
}
