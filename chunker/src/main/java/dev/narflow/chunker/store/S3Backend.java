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
import io.minio.errors.InvalidResponseException;
import io.minio.errors.MinioException;
import io.minio.errors.ServerException;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.util.Arrays;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import okhttp3.ConnectionPool;
import okhttp3.Dispatcher;
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
 * <p><b>Errors and retries.</b> {@code NoSuchKey} means absent. Transient failures — HTTP 5xx,
 * 429, 408, {@code SlowDown}, {@code InternalError}, a conflicting concurrent conditional write, a
 * reset, refused or timed-out connection — are retried up to {@link
 * S3Config.Transport#maxAttempts()} times in all, with exponential backoff and jitter, so one 503
 * does not fail a NAR. A PUT whose response was lost is retried too: if the first attempt had
 * landed, the retry finds the object and reports {@code false}, which is harmless for content
 * addresses. Every other failure, and a transient one that outlasts the attempts, becomes an
 * {@link IOException} naming the operation, the object, the S3 error code and the attempts.
 *
 * <p><b>HTTP client.</b> Building an OkHttpClient (and minio's first client with it) costs about
 * 300 ms, and each has its own connection pool and dispatcher threads; so every backend opened
 * with {@link #open(S3Config)} in a process uses one client per {@link S3Config.Transport}, shared
 * by all threads and never closed. Its dispatcher admits {@link
 * S3Config.Transport#maxConnections()} concurrent requests per endpoint (OkHttp's default is 5,
 * because minio runs every call through the asynchronous dispatcher, which would silently cap
 * parallel uploads at 5), its threads are daemons, and retries are ours alone: the client carries
 * no minio retry interceptor, so attempts do not multiply.
 *
 * <p><b>Bucket.</b> {@link #open} checks that the bucket exists and fails if not, unless {@link
 * S3Config#createBucket()} asks to create it. Nothing else is ever created.
 */
public final class S3Backend implements ObjectBackend {
  private static final Logger LOG = LoggerFactory.getLogger(S3Backend.class);
  private static final Map<String, String> IF_NONE_MATCH = Map.of("If-None-Match", "*");
  /** S3 error codes that say "try again later", whatever the HTTP status. */
  private static final Set<String> TRANSIENT_CODES = Set.of("SlowDown", "InternalError",
      "ServiceUnavailable", "RequestTimeout", "ThrottlingException", "ConditionalRequestConflict");
  private static final Map<S3Config.Transport, OkHttpClient> SHARED_CLIENTS = new ConcurrentHashMap<>();

  private final S3Config config;
  private final MinioClient client;
  private volatile boolean conditionalPuts = true;

  private S3Backend(S3Config config, MinioClient client) {
    this.config = config;
    this.client = client;
  }

  /**
   * Connects through the process's shared HTTP client for {@code config.transport()}, and checks
   * (or, if configured, creates) the bucket. Cheap after the first call in a process.
   */
  public static S3Backend open(S3Config config) throws IOException {
    return open(config, sharedHttpClient(config.transport()));
  }

  /**
   * Like {@link #open(S3Config)}, but sends requests through {@code httpClient} (its connection
   * pool, timeouts, proxy), which is left open when the backend closes. Retries still follow
   * {@code config.transport()}.
   */
  public static S3Backend open(S3Config config, OkHttpClient httpClient) throws IOException {
    return open(config, builder(config).httpClient(httpClient, false).build());
  }

  /** The process-wide HTTP client for {@code transport}: one per distinct transport, never closed. */
  public static OkHttpClient sharedHttpClient(S3Config.Transport transport) {
    return SHARED_CLIENTS.computeIfAbsent(transport, S3Backend::newHttpClient);
  }

  private static OkHttpClient newHttpClient(S3Config.Transport transport) {
    AtomicInteger threads = new AtomicInteger();
    ThreadPoolExecutor executor = new ThreadPoolExecutor(0, Integer.MAX_VALUE, 60, TimeUnit.SECONDS,
        new SynchronousQueue<>(), runnable -> {
          Thread t = new Thread(runnable, "s3-http-" + threads.incrementAndGet());
          t.setDaemon(true); // an idle pool must not keep a finished process alive
          return t;
        });
    Dispatcher dispatcher = new Dispatcher(executor);
    dispatcher.setMaxRequests(transport.maxConnections());
    dispatcher.setMaxRequestsPerHost(transport.maxConnections());
    return new OkHttpClient.Builder()
        .dispatcher(dispatcher)
        .connectionPool(new ConnectionPool(transport.maxConnections(),
            transport.keepAlive().toMillis(), TimeUnit.MILLISECONDS))
        .connectTimeout(transport.connectTimeout())
        .readTimeout(transport.readTimeout())
        .writeTimeout(transport.writeTimeout())
        .build();
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
    boolean exists = call("bucket check of", bucket, () -> {
      if (client.bucketExists(BucketExistsArgs.builder().bucket(bucket).build())) {
        return true;
      }
      if (!config.createBucket()) {
        return false;
      }
      MakeBucketArgs.Builder make = MakeBucketArgs.builder().bucket(bucket);
      if (config.region() != null) {
        make.region(config.region());
      }
      try {
        client.makeBucket(make.build());
        LOG.info("created S3 bucket {} at {}", bucket, config.endpoint());
      } catch (ErrorResponseException e) {
        if (!"BucketAlreadyOwnedByYou".equals(e.errorResponse().code())) throw e;
        // created concurrently by another process of ours
      }
      return true;
    });
    if (!exists) {
      throw new IOException("S3 bucket " + bucket + " does not exist at " + config.endpoint()
          + "; create it, or enable bucket creation");
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
    return call("PUT", name, () -> {
      while (true) {
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
            return false; // stored meanwhile by someone else (or by our own lost attempt)
          }
          if (conditional && "NotImplemented".equals(code)) {
            LOG.warn("{} does not support conditional writes (If-None-Match); writing without",
                config.location());
            conditionalPuts = false;
            continue;
          }
          throw e;
        }
      }
    });
  }

  @Override
  public Optional<byte[]> get(String key, int maxBytes) throws IOException {
    String name = config.objectName(key);
    return call("GET", name, () -> {
      try (GetObjectResponse response =
          client.getObject(GetObjectArgs.builder().bucket(config.bucket()).object(name).build())) {
        String length = response.headers().get("Content-Length");
        if (length != null && Long.parseLong(length) > maxBytes) {
          throw new ObjectTooLargeException(location(), key, Long.parseLong(length), maxBytes);
        }
        byte[] body = readAtMost(response, maxBytes); // a body that breaks off is retried
        if (body == null) {
          throw new ObjectTooLargeException(location(), key, -1, maxBytes);
        }
        return Optional.of(body);
      } catch (ErrorResponseException e) {
        if (isNoSuchKey(e)) {
          return Optional.empty();
        }
        throw e;
      }
    });
  }

  /** All of {@code in}, or null if it holds more than {@code max} bytes. */
  private static byte[] readAtMost(InputStream in, int max) throws IOException {
    byte[] body = in.readNBytes(max);
    return in.read() < 0 ? body : null;
  }

  @Override
  public Optional<ObjectStat> stat(String key) throws IOException {
    String name = config.objectName(key);
    return call("HEAD", name, () -> {
      try {
        StatObjectResponse stat =
            client.statObject(StatObjectArgs.builder().bucket(config.bucket()).object(name).build());
        return Optional.of(new ObjectStat(key, stat.size(), stat.lastModified().toInstant()));
      } catch (ErrorResponseException e) {
        if (isNoSuchKey(e)) {
          return Optional.empty();
        }
        throw e;
      }
    });
  }

  private static boolean isNoSuchKey(ErrorResponseException e) {
    return "NoSuchKey".equals(e.errorResponse().code());
  }

  /** One S3 request (or a few that belong together), repeatable as a whole. */
  private interface Request<T> {
    T send() throws MinioException, IOException;
  }

  /**
   * Sends {@code request}, retrying transient failures with backoff, and turns what finally fails
   * into an IOException naming the operation and the object.
   */
  private <T> T call(String operation, String name, Request<T> request) throws IOException {
    int maxAttempts = config.transport().maxAttempts();
    for (int attempt = 1; ; attempt++) {
      Exception failure;
      try {
        return request.send();
      } catch (ErrorResponseException e) {
        if (!isTransient(e)) throw failure(operation, name, e, attempt);
        failure = e;
      } catch (ServerException e) { // a 5xx (or other) answer whose body is not S3's XML
        if (e.statusCode() < 500 && e.statusCode() != 429) throw failure(operation, name, e, attempt);
        failure = e;
      } catch (InvalidResponseException e) { // e.g. a load balancer's own 503 page
        int status = statusOf(e);
        if (status < 500 && status != 429) throw failure(operation, name, e, attempt);
        failure = e;
      } catch (MinioException e) {
        throw failure(operation, name, e, attempt);
      } catch (ObjectTooLargeException | InterruptedIOException e) {
        throw e;
      } catch (IOException e) { // the response body broke off
        failure = e;
      } catch (IllegalStateException e) {
        // minio-java's blocking calls report a transport failure (refused, reset, timed out) as an
        // IllegalStateException around the IOException; it is an I/O failure like any other.
        if (!(e.getCause() instanceof IOException)) throw e;
        failure = e;
      }
      if (attempt >= maxAttempts) {
        throw failure(operation, name, failure, attempt);
      }
      LOG.debug("S3 {} {} failed (attempt {} of {}), retrying: {}", operation, name, attempt,
          maxAttempts, failure.toString());
      pause(attempt);
    }
  }

  private static final Pattern RESPONSE_CODE = Pattern.compile("Response code: (\\d{3})");

  /** minio-java puts the HTTP status of a non-XML answer only into the message; 0 if absent. */
  private static int statusOf(InvalidResponseException e) {
    Matcher m = RESPONSE_CODE.matcher(String.valueOf(e.getMessage()));
    return m.find() ? Integer.parseInt(m.group(1)) : 0;
  }

  private static boolean isTransient(ErrorResponseException e) {
    int status = e.response() != null ? e.response().code() : 0;
    return status >= 500 || status == 429 || status == 408
        || TRANSIENT_CODES.contains(e.errorResponse().code());
  }

  private String describe(String operation, String name) {
    return "S3 " + operation + " " + name + " in bucket " + config.bucket() + " at "
        + config.endpoint() + " failed";
  }

  private IOException failure(String operation, String name, Exception e, int attempts) {
    String what = describe(operation, name) + (attempts > 1 ? " after " + attempts + " attempts" : "") + ": ";
    if (e instanceof ErrorResponseException response) {
      return new IOException(what + response.errorResponse().code() + " ("
          + response.errorResponse().message() + ")", e);
    }
    Throwable cause = e;
    if ((e instanceof IllegalStateException || e instanceof MinioException) && e.getCause() != null) {
      cause = e.getCause();
    }
    return new IOException(what + cause, cause instanceof IOException ? cause : e);
  }

  /** Exponential backoff with jitter: a random pause in [d/2, d], d doubling up to the maximum. */
  private void pause(int attempt) throws InterruptedIOException {
    S3Config.Transport t = config.transport();
    long initial = Math.max(1, t.initialBackoff().toMillis());
    long ceiling = Math.min(t.maxBackoff().toMillis(), initial << Math.min(attempt - 1, 30));
    long millis = ceiling / 2 + ThreadLocalRandom.current().nextLong(ceiling / 2 + 1);
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("interrupted while waiting to retry an S3 request");
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
