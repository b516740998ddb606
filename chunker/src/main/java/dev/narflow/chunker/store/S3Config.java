package dev.narflow.chunker.store;

import java.net.URI;
import java.time.Duration;
import java.util.Objects;

/**
 * Where and how to reach an S3 bucket (AWS, MinIO, Ceph RGW, …).
 *
 * @param endpoint e.g. {@code https://s3.eu-central-1.amazonaws.com} or {@code http://minio:9000}
 * @param region the bucket's region, or null to let the client ask the server once
 * @param bucket an existing bucket, unless {@code createBucket}
 * @param accessKey null (with a null secret key) for anonymous access
 * @param prefix key prefix inside the bucket ("" for none), so several stores can share a bucket
 * @param createBucket create the bucket if it does not exist; off by default because a missing
 *     bucket usually means a typo or wrong account, which should fail loudly rather than silently
 *     start an empty store somewhere else
 * @param transport retries, timeouts and connection pool of the HTTP client; {@link
 *     Transport#DEFAULT} unless set
 */
public record S3Config(
    URI endpoint,
    String region,
    String bucket,
    String accessKey,
    String secretKey,
    String prefix,
    boolean createBucket,
    Transport transport) {

  /**
   * How requests are sent: retries of transient failures (5xx, 429, SlowDown, resets, timeouts)
   * with exponential backoff and jitter, the HTTP client's timeouts, and its connection pool.
   * Backends with equal transports share one HTTP client in a process (see {@link
   * S3Backend#open(S3Config)}).
   *
   * @param maxAttempts attempts per request, the first included (1: no retries)
   * @param initialBackoff the pause before the first retry; each further retry at most doubles it
   * @param maxBackoff the longest pause between two attempts
   * @param connectTimeout to open a TCP (and TLS) connection
   * @param readTimeout the longest silence while waiting for or reading a response
   * @param writeTimeout the longest stall while sending a request
   * @param maxConnections concurrent requests (and idle connections kept) per S3 endpoint; upload
   *     threads beyond this wait. OkHttp's own default is 5, too few for parallel chunk uploads
   * @param keepAlive how long an idle connection is kept for reuse
   */
  public record Transport(
      int maxAttempts,
      Duration initialBackoff,
      Duration maxBackoff,
      Duration connectTimeout,
      Duration readTimeout,
      Duration writeTimeout,
      int maxConnections,
      Duration keepAlive) {

    /**
     * Six attempts over about 6 s of backoff (100 ms doubling, capped at 5 s): long enough to ride
     * out an S3 SlowDown burst or a load balancer restart, short enough that a dead endpoint fails
     * the NAR within seconds. Timeouts allow a 16 MiB object over a slow link.
     */
    public static final Transport DEFAULT = new Transport(6, Duration.ofMillis(100),
        Duration.ofSeconds(5), Duration.ofSeconds(10), Duration.ofSeconds(60),
        Duration.ofSeconds(60), 64, Duration.ofMinutes(5));

    public Transport {
      if (maxAttempts < 1) throw new IllegalArgumentException("maxAttempts must be at least 1, got " + maxAttempts);
      if (maxConnections < 1) throw new IllegalArgumentException("maxConnections must be at least 1, got " + maxConnections);
      for (Duration d : new Duration[] {initialBackoff, maxBackoff, connectTimeout, readTimeout, writeTimeout, keepAlive}) {
        Objects.requireNonNull(d, "durations must not be null");
        if (d.isNegative()) throw new IllegalArgumentException("durations must not be negative, got " + d);
      }
    }

    public Transport withRetries(int maxAttempts, Duration initialBackoff, Duration maxBackoff) {
      return new Transport(maxAttempts, initialBackoff, maxBackoff, connectTimeout, readTimeout,
          writeTimeout, maxConnections, keepAlive);
    }

    public Transport withTimeouts(Duration connect, Duration read, Duration write) {
      return new Transport(maxAttempts, initialBackoff, maxBackoff, connect, read, write,
          maxConnections, keepAlive);
    }

    public Transport withConnectionPool(int maxConnections, Duration keepAlive) {
      return new Transport(maxAttempts, initialBackoff, maxBackoff, connectTimeout, readTimeout,
          writeTimeout, maxConnections, keepAlive);
    }
  }

  /** The configuration with the default {@link Transport}. */
  public S3Config(URI endpoint, String region, String bucket, String accessKey, String secretKey,
      String prefix, boolean createBucket) {
    this(endpoint, region, bucket, accessKey, secretKey, prefix, createBucket, Transport.DEFAULT);
  }

  public S3Config {
    Objects.requireNonNull(endpoint, "endpoint");
    transport = transport == null ? Transport.DEFAULT : transport;
    Objects.requireNonNull(bucket, "bucket");
    if (bucket.isEmpty()) {
      throw new IllegalArgumentException("bucket must not be empty");
    }
    if ((accessKey == null) != (secretKey == null)) {
      throw new IllegalArgumentException("give both the access key and the secret key, or neither");
    }
    prefix = prefix == null ? "" : trimSlashes(prefix);
  }

  public static S3Config of(URI endpoint, String bucket, String accessKey, String secretKey) {
    return new S3Config(endpoint, null, bucket, accessKey, secretKey, "", false);
  }

  public S3Config withRegion(String region) {
    return new S3Config(endpoint, region, bucket, accessKey, secretKey, prefix, createBucket, transport);
  }

  public S3Config withPrefix(String prefix) {
    return new S3Config(endpoint, region, bucket, accessKey, secretKey, prefix, createBucket, transport);
  }

  public S3Config withCreateBucket(boolean createBucket) {
    return new S3Config(endpoint, region, bucket, accessKey, secretKey, prefix, createBucket, transport);
  }

  public S3Config withTransport(Transport transport) {
    return new S3Config(endpoint, region, bucket, accessKey, secretKey, prefix, createBucket,
        Objects.requireNonNull(transport, "transport"));
  }

  /** The bucket key of a store key. */
  String objectName(String key) {
    return prefix.isEmpty() ? key : prefix + '/' + key;
  }

  /** {@code s3://bucket/prefix} at the endpoint, for messages. */
  String location() {
    return "s3://" + bucket + (prefix.isEmpty() ? "" : "/" + prefix) + " at " + endpoint;
  }

  /** Never prints the secret key. */
  @Override
  public String toString() {
    return "S3Config[endpoint=" + endpoint + ", region=" + region + ", bucket=" + bucket
        + ", accessKey=" + accessKey + ", secretKey=" + (secretKey == null ? null : "***")
        + ", prefix=" + prefix + ", createBucket=" + createBucket + ", transport=" + transport + "]";
  }

  private static String trimSlashes(String s) {
    int start = 0;
    int end = s.length();
    while (start < end && s.charAt(start) == '/') {
      start++;
    }
    while (end > start && s.charAt(end - 1) == '/') {
      end--;
    }
    return s.substring(start, end);
  }
}
