package dev.narflow.chunker.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import org.gaul.s3proxy.S3Proxy;
import org.gaul.s3proxy.auth.AuthenticationType;
import org.gaul.s3proxy.blobstore.BlobStore;
import org.gaul.s3proxy.nio2blob.FilesystemNio2BlobStore;

/**
 * A real S3 server in the test JVM: S3Proxy over its file-system blob store, on a free port of
 * 127.0.0.1, with AWS signature v2/v4 authentication. Buckets are directories under {@link
 * #baseDir()}, objects files inside them, so tests can also look at (and damage) what was stored.
 *
 * <pre>{@code
 * try (S3ProxyServer s3 = S3ProxyServer.start()) {
 *   s3.createBucket("chunks");
 *   ... MinioClient.builder().endpoint(s3.endpoint().toString())
 *           .credentials(s3.accessKey(), s3.secretKey()) ...
 * }
 * }</pre>
 */
public final class S3ProxyServer implements AutoCloseable {
  private static final String ACCESS_KEY = "narflow-test";
  private static final String SECRET_KEY = "narflow-test-secret";

  private final S3Proxy proxy;
  private final BlobStore blobStore;
  private final Path baseDir;
  private final boolean ownsBaseDir;

  private S3ProxyServer(S3Proxy proxy, BlobStore blobStore, Path baseDir, boolean ownsBaseDir) {
    this.proxy = proxy;
    this.blobStore = blobStore;
    this.baseDir = baseDir;
    this.ownsBaseDir = ownsBaseDir;
  }

  /** A server over a fresh temporary directory, deleted on {@link #close()}. */
  public static S3ProxyServer start() throws Exception {
    return start(Files.createTempDirectory("s3proxy-"), true);
  }

  /** A server over {@code baseDir}, which is kept on {@link #close()}. */
  public static S3ProxyServer start(Path baseDir) throws Exception {
    return start(baseDir, false);
  }

  private static S3ProxyServer start(Path baseDir, boolean ownsBaseDir) throws Exception {
    BlobStore blobStore = new FilesystemNio2BlobStore(baseDir.toString());
    S3Proxy proxy =
        S3Proxy.builder()
            .blobStore(blobStore)
            .endpoint(URI.create("http://127.0.0.1:0"))
            .awsAuthentication(AuthenticationType.AWS_V2_OR_V4, ACCESS_KEY, SECRET_KEY)
            .jettyMaxThreads(16)
            .build();
    proxy.start();
    for (int i = 0; !"STARTED".equals(proxy.getState()); i++) {
      if (i == 500) {
        proxy.stop();
        throw new IllegalStateException("S3Proxy did not start: " + proxy.getState());
      }
      Thread.sleep(10);
    }
    return new S3ProxyServer(proxy, blobStore, baseDir, ownsBaseDir);
  }

  public URI endpoint() {
    return URI.create("http://127.0.0.1:" + proxy.getPort());
  }

  public String accessKey() {
    return ACCESS_KEY;
  }

  public String secretKey() {
    return SECRET_KEY;
  }

  public void createBucket(String name) {
    blobStore.createContainer(name);
  }

  /** The directory holding the buckets. */
  public Path baseDir() {
    return baseDir;
  }

  @Override
  public void close() throws Exception {
    try {
      proxy.stop();
      blobStore.close();
    } finally {
      if (ownsBaseDir) {
        deleteRecursively(baseDir);
      }
    }
  }

  private static void deleteRecursively(Path dir) {
    try {
      Files.walkFileTree(
          dir,
          new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs)
                throws IOException {
              Files.delete(file);
              return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult postVisitDirectory(Path d, IOException e) throws IOException {
              Files.delete(d);
              return FileVisitResult.CONTINUE;
            }
          });
    } catch (IOException e) {
      throw new UncheckedIOException("could not delete " + dir, e);
    }
  }
}
