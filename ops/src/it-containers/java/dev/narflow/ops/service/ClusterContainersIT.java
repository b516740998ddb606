package dev.narflow.ops.service;

import dev.narflow.ops.deploy.ComposeImages;
import io.minio.MakeBucketArgs;
import io.minio.MinioClient;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.wait.strategy.Wait;
import org.testcontainers.junit.jupiter.Container;
import org.testcontainers.junit.jupiter.Testcontainers;
import org.testcontainers.kafka.KafkaContainer;

/**
 * {@link ClusterIT}'s scenario (separate narflow JVMs, a worker killed mid-NAR, an indexer
 * killed and restarted, real Nix copying from two exporters) against Apache Kafka and MinIO in
 * containers: the images a deployment runs (ops/compose), not the in-process stand-ins. Only in
 * the testcontainers profile, where a Docker engine exists.
 */
@Testcontainers
class ClusterContainersIT {
  private static final String ACCESS_KEY = "narflow";
  private static final String SECRET_KEY = "narflow-secret";

  /** The images ops/compose runs (its Kafka is the root pom's version: DeploymentFilesTest). */
  @Container
  static final KafkaContainer KAFKA = new KafkaContainer(composeImage("kafka"));

  @Container
  static final GenericContainer<?> MINIO = new GenericContainer<>(composeImage("minio"))
      .withCommand("server", "/data")
      .withEnv("MINIO_ROOT_USER", ACCESS_KEY)
      .withEnv("MINIO_ROOT_PASSWORD", SECRET_KEY)
      .withExposedPorts(9000)
      .waitingFor(Wait.forHttp("/minio/health/ready").forPort(9000).withStartupTimeout(Duration.ofMinutes(2)));

  private static String composeImage(String service) {
    try {
      return ComposeImages.of(service);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Test
  void aClusterOnKafkaAndMinioInContainersSurvivesKills(@TempDir Path tmp) throws Exception {
    String endpoint = "http://" + MINIO.getHost() + ":" + MINIO.getMappedPort(9000);
    MinioClient.builder().endpoint(endpoint).credentials(ACCESS_KEY, SECRET_KEY).build()
        .makeBucket(MakeBucketArgs.builder().bucket("narflow").build());
    ClusterIT.scenario(tmp, KAFKA.getBootstrapServers(), "s3://narflow/chunks?endpoint=" + endpoint + "&region=us-east-1",
        Map.of("AWS_ACCESS_KEY_ID", ACCESS_KEY, "AWS_SECRET_ACCESS_KEY", SECRET_KEY));
  }
}
