package dev.narflow.ingest.testing;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.narflow.topics.testing.RealNix;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A binary cache written by real Nix ({@code nix copy --to file://DIR?compression=…&secret-key=…}),
 * signed with a fresh key named {@value #KEY_NAME}, served over HTTP on 127.0.0.1 by a small test
 * server that counts requests and can inject faults ({@link #faults()}). Edit or delete files in
 * {@link #dir()} to make a bad cache.
 *
 * <p>Each {@link #copy} goes through its own staging cache and moves the new paths' narinfos and
 * NARs into {@link #dir()}, so one cache can hold paths in several compressions (nix copy would
 * skip paths already there) and a path can be copied without its references.
 */
public final class NixCacheFixture implements AutoCloseable {
  public static final String KEY_NAME = "test-cache-1";

  private final Path workDir;
  private final Path dir;
  private final Path secretKeyFile;
  private final String publicKey;
  private final FaultInjector faults = new FaultInjector();
  private final Map<String, AtomicInteger> requests = new ConcurrentHashMap<>();
  private final AtomicInteger total = new AtomicInteger();
  private final Set<InetSocketAddress> clients = ConcurrentHashMap.newKeySet();
  private final CountDownLatch closing = new CountDownLatch(1);
  private final ExecutorService executor;
  private final HttpServer server;
  private final AtomicInteger stagings = new AtomicInteger();

  private NixCacheFixture(Path workDir) throws IOException {
    this.workDir = workDir;
    this.dir = Files.createDirectories(workDir.resolve("cache"));
    this.secretKeyFile = workDir.resolve("cache-secret-key");
    Path publicKeyFile = workDir.resolve("cache-public-key");
    RealNix.run("nix-store", "--generate-binary-cache-key", KEY_NAME, secretKeyFile.toString(), publicKeyFile.toString());
    this.publicKey = Files.readString(publicKeyFile).strip();
    // What nix copy writes into a new cache; written here so an empty cache is valid too.
    Files.writeString(dir.resolve("nix-cache-info"), "StoreDir: /nix/store\n");
    this.executor = Executors.newCachedThreadPool(r -> {
      Thread t = new Thread(r, "nix-cache-fixture-http");
      t.setDaemon(true);
      return t;
    });
    this.server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 50);
    server.setExecutor(executor);
    server.createContext("/", this::handle);
    server.start();
  }

  /** A fresh, empty cache in {@code workDir/cache}, its key in {@code workDir}, already serving. */
  public static NixCacheFixture create(Path workDir) {
    try {
      return new NixCacheFixture(workDir);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** nix-build a derivation ({@link RealNix#build}) and return its store path. */
  public String build(String name, String script, List<String> inputs) {
    return RealNix.build(workDir, name, script, inputs).toString();
  }

  /** Copies {@code storePath}'s closure into the cache with {@code compression} (xz, zstd, bzip2, none). */
  public void copy(String storePath, String compression) {
    copy(storePath, compression, true);
  }

  /**
   * Copies {@code storePath} (with its closure, or alone) into the cache with {@code compression};
   * paths already in the cache are left as they are.
   */
  public void copy(String storePath, String compression, boolean closure) {
    try {
      Path staging = workDir.resolve("staging-" + stagings.incrementAndGet());
      RealNix.run("nix", "copy", "--to",
          "file://" + staging + "?compression=" + compression + "&secret-key=" + secretKeyFile, storePath);
      List<String> paths = closure
          ? List.of(RealNix.run("nix-store", "-qR", storePath).out().split("\n"))
          : List.of(storePath);
      for (String p : paths) {
        String hash = hashPart(p);
        Path narInfo = staging.resolve(hash + ".narinfo");
        if (Files.exists(dir.resolve(hash + ".narinfo"))) continue;
        String url = field(Files.readString(narInfo), "URL");
        Path nar = dir.resolve(url);
        Files.createDirectories(nar.getParent());
        Files.move(staging.resolve(url), nar, StandardCopyOption.REPLACE_EXISTING);
        Files.move(narInfo, dir.resolve(hash + ".narinfo"));
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The narinfo file of {@code storePath} in {@link #dir()}. */
  public Path narInfoFile(String storePath) {
    return dir.resolve(hashPart(storePath) + ".narinfo");
  }

  /** The NAR file of {@code storePath} in {@link #dir()}, as its narinfo's URL names it. */
  public Path narFile(String storePath) {
    try {
      return dir.resolve(field(Files.readString(narInfoFile(storePath)), "URL"));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Rewrites one field of {@code storePath}'s narinfo ({@code null} value: removes the line). */
  public void editNarInfo(String storePath, String key, String value) {
    Path file = narInfoFile(storePath);
    try {
      StringBuilder out = new StringBuilder();
      for (String line : Files.readString(file).split("\n")) {
        if (line.startsWith(key + ": ")) {
          if (value != null) out.append(key).append(": ").append(value).append('\n');
        } else {
          out.append(line).append('\n');
        }
      }
      Files.writeString(file, out.toString());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** http://127.0.0.1:PORT */
  public URI url() {
    return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
  }

  /** {@code test-cache-1:<base64>}, for trusted keys. */
  public String publicKey() {
    return publicKey;
  }

  /** The file:// cache directory being served. */
  public Path dir() {
    return dir;
  }

  public FaultInjector faults() {
    return faults;
  }

  /** How often a URL path ending in {@code pathSuffix} was requested. */
  public int requestCount(String pathSuffix) {
    int n = 0;
    for (Map.Entry<String, AtomicInteger> e : requests.entrySet()) {
      if (e.getKey().endsWith(pathSuffix)) n += e.getValue().get();
    }
    return n;
  }

  public int totalRequests() {
    return total.get();
  }

  /** How many TCP connections requests came on (distinct client addresses): connection reuse shows here. */
  public int connectionCount() {
    return clients.size();
  }

  @Override
  public void close() {
    closing.countDown(); // releases stalled responses
    server.stop(0);
    executor.shutdownNow();
  }

  private static String hashPart(String storePath) {
    String base = storePath.substring(storePath.lastIndexOf('/') + 1);
    return base.substring(0, 32);
  }

  private static String field(String narInfo, String key) {
    for (String line : narInfo.split("\n")) {
      if (line.startsWith(key + ": ")) return line.substring(key.length() + 2);
    }
    throw new IllegalStateException("narinfo has no " + key + ": " + narInfo);
  }

  // ---- the HTTP side

  private void handle(HttpExchange ex) throws IOException {
    try (ex) {
      String path = ex.getRequestURI().getRawPath();
      requests.computeIfAbsent(path, k -> new AtomicInteger()).incrementAndGet();
      total.incrementAndGet();
      clients.add(ex.getRemoteAddress());
      FaultInjector.Fault fault = faults.take(path);
      if (fault != null && fault.kind() == FaultInjector.Kind.STATUS) {
        if (fault.retryAfterSeconds() >= 0) ex.getResponseHeaders().set("Retry-After", Integer.toString(fault.retryAfterSeconds()));
        sendText(ex, fault.status(), "injected fault " + fault.status() + "\n");
        return;
      }
      if (fault != null && fault.kind() == FaultInjector.Kind.STALL_BEFORE_HEADERS) {
        awaitClose();
        return;
      }
      Path file = servedFile(path);
      if (file == null || !ex.getRequestMethod().equals("GET")) {
        sendText(ex, file == null ? 404 : 405, "not here\n");
        return;
      }
      long size = Files.size(file);
      ex.getResponseHeaders().set("Content-Type", path.endsWith(".narinfo") ? "text/x-nix-narinfo" : "application/octet-stream");
      ex.sendResponseHeaders(200, size == 0 ? -1 : size);
      OutputStream out = ex.getResponseBody();
      try (InputStream in = Files.newInputStream(file)) {
        if (fault == null) {
          in.transferTo(out);
          return;
        }
        long cut = fault.bytes() < 0 ? size / 2 : Math.min(fault.bytes(), size);
        out.write(in.readNBytes((int) cut));
        out.flush();
        if (fault.kind() == FaultInjector.Kind.STALL_BODY) awaitClose();
        // TRUNCATE_BODY: closing the exchange short of its Content-Length makes the server drop the connection.
      }
    } catch (IOException e) {
      // the client went away (an aborted stall, a truncation): nothing to answer
    }
  }

  private void awaitClose() {
    try {
      closing.await(2, TimeUnit.MINUTES);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** The file under {@link #dir()} for a URL path; null for anything outside it or missing. */
  private Path servedFile(String rawPath) {
    String decoded = URI.create(rawPath).getPath();
    if (decoded == null || !decoded.startsWith("/")) return null;
    Path file = dir.resolve(decoded.substring(1)).normalize();
    if (!file.startsWith(dir) || !Files.isRegularFile(file)) return null;
    return file;
  }

  private static void sendText(HttpExchange ex, int status, String text) throws IOException {
    byte[] body = text.getBytes(StandardCharsets.UTF_8);
    ex.sendResponseHeaders(status, body.length);
    ex.getResponseBody().write(body);
  }
}
