package dev.narflow.ops.service;

import io.minio.MakeBucketArgs;
import io.minio.MinioClient;
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

  /** The image and version of ops/compose (one Kafka version everywhere: the root pom's). */
  @Container
  static final KafkaContainer KAFKA = new KafkaContainer("apache/kafka:4.3.1");

  @Container
  static final GenericContainer<?> MINIO = new GenericContainer<>("quay.io/minio/minio:RELEASE.2025-09-07T16-13-09Z")
      .withCommand("server", "/data")
      .withEnv("MINIO_ROOT_USER", ACCESS_KEY)
      .withEnv("MINIO_ROOT_PASSWORD", SECRET_KEY)
      .withExposedPorts(9000)
      .waitingFor(Wait.forHttp("/minio/health/ready").forPort(9000).withStartupTimeout(Duration.ofMinutes(2)));

  @Test
  void aClusterOnKafkaAndMinioInContainersSurvivesKills(@TempDir Path tmp) throws Exception {
    String endpoint = "http://" + MINIO.getHost() + ":" + MINIO.getMappedPort(9000);
    MinioClient.builder().endpoint(endpoint).credentials(ACCESS_KEY, SECRET_KEY).build()
        .makeBucket(MakeBucketArgs.builder().bucket("narflow").build());
    ClusterIT.scenario(tmp, KAFKA.getBootstrapServers(), "s3://narflow/chunks?endpoint=" + endpoint + "&region=us-east-1",
        Map.of("AWS_ACCESS_KEY_ID", ACCESS_KEY, "AWS_SECRET_ACCESS_KEY", SECRET_KEY));
  }
}
