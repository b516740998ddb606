package dev.narflow.chunker.store;

import io.minio.BucketExistsArgs;
import io.minio.GetObjectArgs;
import io.minio.GetObjectResponse;
import io.minio.MakeBucketArgs;
import io.minio.MinioClient;
import io.minio.PutObjectArgs;
import io.minio.StatObjectArgs;
import io.minio.StatObjectResponse;
import io.minio.errors.ErrorResponseException;
import io.minio.errors.MinioException;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.util.Arrays;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import okhttp3.OkHttpClient;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Objects in an S3 bucket through minio-java, keyed {@code <prefix>/<key>}.
 *
 * <p><b>Atomicity.</b> Every object is written by one single-part PUT, which S3 makes visible
 * completely or not at all, so a failed call never leaves a partial object. Writes carry {@code
 * If-None-Match: *} (AWS since 2024, MinIO, recent Ceph RGW): the server refuses to replace an
 * existing object, and of concurrent writers of one key exactly one gets {@code true}. A server
 * that answers {@code NotImplemented} to it is remembered and written to without the condition;
 * there (and on servers that ignore the header) concurrent writers of one key may both see {@code
 * true}, the last one replacing the object with identical content — keys are content addresses.
 * Before writing, a HEAD request skips keys that exist.
 *
 * <p><b>Errors.</b> {@code NoSuchKey} means absent; every other failure becomes an {@link
 * IOException} naming the operation, the object and the S3 error code.
 *
 * <p><b>Bucket.</b> {@link #open} checks that the bucket exists and fails if not, unless {@link
 * S3Config#createBucket()} asks to create it. Nothing else is ever created.
 */
public final class S3Backend implements ObjectBackend {
  private static final Logger LOG = LoggerFactory.getLogger(S3Backend.class);
  private static final Map<String, String> IF_NONE_MATCH = Map.of("If-None-Match", "*");
  /** Retries of a conditional PUT that raced another one still in flight (409). */
  private static final int CONFLICT_RETRIES = 5;

  private final S3Config config;
  private final MinioClient client;
  private volatile boolean conditionalPuts = true;

  private S3Backend(S3Config config, MinioClient client) {
    this.config = config;
    this.client = client;
  }

  /**
   * Connects with an HTTP client of its own (closed with the backend), and checks (or, if
   * configured, creates) the bucket. Making a client costs a few hundred milliseconds (TLS
   * setup): open backends once, or share a client with {@link #open(S3Config, OkHttpClient)}.
   */
  public static S3Backend open(S3Config config) throws IOException {
    return open(config, builder(config).build());
  }

  /**
   * Like {@link #open(S3Config)}, but sends requests through {@code httpClient} (its connection
   * pool, timeouts, proxy), which is left open when the backend closes.
   */
  public static S3Backend open(S3Config config, OkHttpClient httpClient) throws IOException {
    return open(config, builder(config).httpClient(httpClient, false).build());
  }

  private static MinioClient.Builder builder(S3Config config) {
    MinioClient.Builder builder = MinioClient.builder().endpoint(config.endpoint().toString());
    if (config.region() != null) {
      builder.region(config.region());
    }
    if (config.accessKey() != null) {
      builder.credentials(config.accessKey(), config.secretKey());
    }
    return builder;
  }

  private static S3Backend open(S3Config config, MinioClient client) throws IOException {
    S3Backend backend = new S3Backend(config, client);
    try {
      backend.checkBucket();
    } catch (IOException | RuntimeException e) {
      backend.close();
      throw e;
    }
    return backend;
  }

  private void checkBucket() throws IOException {
    String bucket = config.bucket();
    try {
      if (client.bucketExists(BucketExistsArgs.builder().bucket(bucket).build())) {
        return;
      }
      if (!config.createBucket()) {
        throw new IOException("S3 bucket " + bucket + " does not exist at " + config.endpoint()
            + "; create it, or enable bucket creation");
      }
      MakeBucketArgs.Builder make = MakeBucketArgs.builder().bucket(bucket);
      if (config.region() != null) {
        make.region(config.region());
      }
      client.makeBucket(make.build());
      LOG.info("created S3 bucket {} at {}", bucket, config.endpoint());
    } catch (ErrorResponseException e) {
      if ("BucketAlreadyOwnedByYou".equals(e.errorResponse().code())) {
        return; // created concurrently by another process of ours
      }
      throw failure("bucket check of", bucket, e);
    } catch (MinioException e) {
      throw failure("bucket check of", bucket, e);
    } catch (IllegalStateException e) {
      throw transportFailure("bucket check of", bucket, e);
    }
  }

  @Override
  public boolean putIfAbsent(String key, byte[] data, int off, int len) throws IOException {
    Objects.checkFromIndexSize(off, len, data.length);
    // With If-None-Match the PUT itself refuses an existing object; a HEAD first would only add
    // a round trip per new chunk (the ChunkStore has already looked). Without it, look first.
    if (!conditionalPuts && exists(key)) {
      return false;
    }
    byte[] body = off == 0 && len == data.length ? data : Arrays.copyOfRange(data, off, off + len);
    String name = config.objectName(key);
    for (int attempt = 0; ; attempt++) {
      boolean conditional = conditionalPuts;
      PutObjectArgs.Builder put =
          PutObjectArgs.builder().bucket(config.bucket()).object(name).data(body, body.length)
              .contentType("application/octet-stream");
      if (conditional) {
        put.headers(IF_NONE_MATCH);
      }
      try {
        client.putObject(put.build());
        return true;
      } catch (ErrorResponseException e) {
        String code = e.errorResponse().code();
        if (conditional && "PreconditionFailed".equals(code)) {
          return false; // stored meanwhile by someone else
        }
        if (conditional && "NotImplemented".equals(code)) {
          LOG.warn("{} does not support conditional writes (If-None-Match); writing without",
              config.location());
          conditionalPuts = false;
          continue;
        }
        if (conditional && "ConditionalRequestConflict".equals(code) && attempt < CONFLICT_RETRIES) {
          pause(attempt);
          continue;
        }
        throw failure("PUT", name, e);
      } catch (MinioException e) {
        throw failure("PUT", name, e);
      } catch (IllegalStateException e) {
        throw transportFailure("PUT", name, e);
      }
    }
  }

  @Override
  public Optional<byte[]> get(String key, int maxBytes) throws IOException {
    String name = config.objectName(key);
    try (GetObjectResponse response =
        client.getObject(GetObjectArgs.builder().bucket(config.bucket()).object(name).build())) {
      String length = response.headers().get("Content-Length");
      if (length != null && Long.parseLong(length) > maxBytes) {
        throw new ObjectTooLargeException(location(), key, Long.parseLong(length), maxBytes);
      }
      byte[] body;
      try {
        body = readAtMost(response, maxBytes);
      } catch (IOException e) { // the body broke off: name the object
        throw new IOException(describe("GET", name) + e, e);
      }
      if (body == null) {
        throw new ObjectTooLargeException(location(), key, -1, maxBytes);
      }
      return Optional.of(body);
    } catch (ErrorResponseException e) {
      if (isNoSuchKey(e)) {
        return Optional.empty();
      }
      throw failure("GET", name, e);
    } catch (MinioException e) {
      throw failure("GET", name, e);
    } catch (IllegalStateException e) {
      throw transportFailure("GET", name, e);
    }
  }

  /** All of {@code in}, or null if it holds more than {@code max} bytes. */
  private static byte[] readAtMost(InputStream in, int max) throws IOException {
    byte[] body = in.readNBytes(max);
    return in.read() < 0 ? body : null;
  }

  @Override
  public Optional<ObjectStat> stat(String key) throws IOException {
    String name = config.objectName(key);
    try {
      StatObjectResponse stat =
          client.statObject(StatObjectArgs.builder().bucket(config.bucket()).object(name).build());
      return Optional.of(new ObjectStat(key, stat.size(), stat.lastModified().toInstant()));
    } catch (ErrorResponseException e) {
      if (isNoSuchKey(e)) {
        return Optional.empty();
      }
      throw failure("HEAD", name, e);
    } catch (MinioException e) {
      throw failure("HEAD", name, e);
    } catch (IllegalStateException e) {
      throw transportFailure("HEAD", name, e);
    }
  }

  private static boolean isNoSuchKey(ErrorResponseException e) {
    return "NoSuchKey".equals(e.errorResponse().code());
  }

  private String describe(String operation, String name) {
    return "S3 " + operation + " " + name + " in bucket " + config.bucket() + " at "
        + config.endpoint() + " failed: ";
  }

  /**
   * minio-java's blocking calls report a transport failure (refused, reset, timed out) as an
   * IllegalStateException around the IOException; it is an I/O failure like any other.
   */
  private IOException transportFailure(String operation, String name, IllegalStateException e) {
    if (!(e.getCause() instanceof IOException cause)) throw e;
    return new IOException(describe(operation, name) + cause, cause);
  }

  private IOException failure(String operation, String name, MinioException e) {
    String what = describe(operation, name);
    if (e instanceof ErrorResponseException response) {
      return new IOException(what + response.errorResponse().code() + " ("
          + response.errorResponse().message() + ")", e);
    }
    Throwable cause = e.getCause() != null ? e.getCause() : e;
    return new IOException(what + cause, e);
  }

  private static void pause(int attempt) throws InterruptedIOException {
    try {
      Thread.sleep(50L << attempt);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("interrupted while retrying a conflicting S3 PUT");
    }
  }

  @Override
  public String location() {
    return config.location();
  }

  public S3Config config() {
    return config;
  }

  @Override
  public void close() throws IOException {
    try {
      client.close();
    } catch (IOException | RuntimeException e) {
      throw e;
    } catch (Exception e) {
      throw new IOException("closing the S3 client for " + location() + " failed", e);
    }
  }

  @Override
  public String toString() {
    return "S3Backend(" + location() + ")";
  }
}
