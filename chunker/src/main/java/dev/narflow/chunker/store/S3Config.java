package dev.narflow.chunker.store;

import java.net.URI;
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
 */
public record S3Config(
    URI endpoint,
    String region,
    String bucket,
    String accessKey,
    String secretKey,
    String prefix,
    boolean createBucket) {

  public S3Config {
    Objects.requireNonNull(endpoint, "endpoint");
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
    return new S3Config(endpoint, region, bucket, accessKey, secretKey, prefix, createBucket);
  }

  public S3Config withPrefix(String prefix) {
    return new S3Config(endpoint, region, bucket, accessKey, secretKey, prefix, createBucket);
  }

  public S3Config withCreateBucket(boolean createBucket) {
    return new S3Config(endpoint, region, bucket, accessKey, secretKey, prefix, createBucket);
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
        + ", prefix=" + prefix + ", createBucket=" + createBucket + "]";
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
