package dev.narflow.ops.deploy;

import static dev.narflow.ops.deploy.Yamls.at;
import static dev.narflow.ops.deploy.Yamls.string;

import dev.narflow.ops.Repository;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** The images ops/compose runs, for tests that start the same ones (with testcontainers). */
public final class ComposeImages {
  private ComposeImages() {}

  /** The image of {@code service} in ops/compose/compose.yaml, with its .env applied. */
  public static String of(String service) throws IOException {
    List<String> problems = new ArrayList<>();
    Map<String, Object> compose = ComposeCheck.read(Repository.root().resolve("ops/compose"), problems);
    if (!problems.isEmpty()) throw new IllegalStateException("ops/compose: " + problems);
    String image = string(at(compose, "services", service, "image"));
    if (image == null) throw new IllegalStateException("ops/compose has no image for the service " + service);
    return image;
  }
}
