package dev.narflow.ops;

import dev.narflow.chunker.store.ChunkStore;
import dev.narflow.chunker.store.LayoutChunkStore;
import dev.narflow.chunker.store.LocalDirectoryBackend;
import dev.narflow.chunker.store.ObjectBackend;
import dev.narflow.chunker.store.S3Backend;
import dev.narflow.chunker.store.S3Config;
import dev.narflow.topics.castore.B3Digest;
import java.io.Closeable;
import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Where chunks go, from {@code --chunk-store URL} (DESIGN §6): {@code file:///path} or
 * {@code s3://bucket[/prefix]?endpoint=URL&region=R}, with S3 credentials from
 * {@code AWS_ACCESS_KEY_ID}/{@code AWS_SECRET_ACCESS_KEY} as every S3 tool reads them. Parsing
 * is strict: a URL that could mean two things, or carries credentials, is refused rather than
 * guessed at.
 */
public sealed interface ChunkStoreLocation {
  /** A local directory store. */
  record Local(Path directory) implements ChunkStoreLocation {
    public Local {
      Objects.requireNonNull(directory, "directory");
    }

    @Override
    public ObjectBackend openBackend() throws IOException {
      return LocalDirectoryBackend.open(directory);
    }

    @Override
    public String toString() {
      return directory.toUri().toString();
    }
  }

  /** An S3 bucket (AWS, MinIO, Ceph, …). */
  record S3(S3Config config) implements ChunkStoreLocation {
    public S3 {
      Objects.requireNonNull(config, "config");
    }

    /** Connects and checks the bucket. */
    @Override
    public ObjectBackend openBackend() throws IOException {
      return S3Backend.open(config);
    }

    /** Never shows the credentials. */
    @Override
    public String toString() {
      return "s3://" + config.bucket() + (config.prefix().isEmpty() ? "" : "/" + config.prefix())
          + " at " + config.endpoint();
    }
  }

  /** The store's objects; the caller closes the backend (a chunk store over it, usually). */
  ObjectBackend openBackend() throws IOException;

  /**
   * A chunk store over {@link #openBackend}, after one request to it, so that a store that is
   * unreachable, missing (no such bucket) or refusing our credentials shows at start as one line,
   * not in the first NAR.
   *
   * @throws ConfigurationException naming the store (never its credentials) and the reason
   */
  default ChunkStore openStore() throws ConfigurationException {
    Closeable opened = null; // the backend, then the store that owns it
    try {
      ObjectBackend backend = openBackend();
      opened = backend;
      ChunkStore store = LayoutChunkStore.builder(backend).build();
      opened = store;
      store.hasChunk(B3Digest.of(new byte[32]));
      return store;
    } catch (IOException | RuntimeException e) {
      if (opened != null) {
        try {
          opened.close();
        } catch (IOException | RuntimeException suppressed) {
          e.addSuppressed(suppressed);
        }
      }
      throw new ConfigurationException("chunk store " + this + ": " + e.getMessage(), e);
    }
  }

  String AWS_ACCESS_KEY_ID = "AWS_ACCESS_KEY_ID";
  String AWS_SECRET_ACCESS_KEY = "AWS_SECRET_ACCESS_KEY";

  /**
   * Parses a chunk store URL; S3 credentials come from {@code environment}.
   *
   * @throws IllegalArgumentException with a one-line reason when the URL is not one we take
   */
  static ChunkStoreLocation parse(String url, Map<String, String> environment) {
    URI uri;
    try {
      uri = new URI(url.strip());
    } catch (URISyntaxException e) {
      throw new IllegalArgumentException("not a URL: " + e.getReason());
    }
    String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
    return switch (scheme) {
      case "file" -> Parsing.local(uri);
      case "s3" -> Parsing.s3(uri, environment);
      case "" -> throw new IllegalArgumentException("no scheme: write file:///absolute/path"
          + " or s3://bucket[/prefix]?endpoint=URL");
      default -> throw new IllegalArgumentException("unsupported scheme " + uri.getScheme()
          + " (file:///path or s3://bucket[/prefix]?endpoint=URL&region=R)");
    };
  }

  /** Parsing details, kept out of the interface's public face. */
  final class Parsing {
    private static final Set<String> S3_PARAMETERS = Set.of("endpoint", "region");
    /** S3's rules for new bucket names (3–63 of a-z 0-9 . -, starting and ending alphanumeric). */
    private static final Pattern BUCKET = Pattern.compile("[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]");
    private static final Pattern REGION = Pattern.compile("[a-z0-9-]{1,64}");

    private Parsing() {}

    static Local local(URI uri) {
      if (uri.isOpaque()) {
        throw new IllegalArgumentException("write a file URL as file:///absolute/path");
      }
      if (uri.getRawAuthority() != null && !uri.getRawAuthority().isEmpty()
          && !uri.getRawAuthority().equals("localhost")) {
        throw new IllegalArgumentException("a file URL names a local directory,"
            + " not one on host " + uri.getRawAuthority() + " (file:///absolute/path)");
      }
      if (uri.getRawQuery() != null || uri.getRawFragment() != null) {
        throw new IllegalArgumentException("a file URL takes no ?query or #fragment");
      }
      String path = uri.getPath();
      if (path == null || path.isEmpty() || path.equals("/")) {
        throw new IllegalArgumentException("give a directory, not the file system root");
      }
      if (path.indexOf('\0') >= 0) throw new IllegalArgumentException("NUL in path");
      return new Local(Path.of(path).normalize());
    }

    static S3 s3(URI uri, Map<String, String> environment) {
      if (uri.isOpaque()) throw new IllegalArgumentException("write s3://bucket[/prefix]?endpoint=URL");
      if (uri.getRawUserInfo() != null) {
        throw new IllegalArgumentException("credentials do not go in the URL;"
            + " set " + AWS_ACCESS_KEY_ID + " and " + AWS_SECRET_ACCESS_KEY);
      }
      String bucket = uri.getRawAuthority();
      if (bucket == null || bucket.isEmpty()) throw new IllegalArgumentException("no bucket (s3://bucket/…)");
      if (!BUCKET.matcher(bucket).matches() || bucket.contains("..")) {
        throw new IllegalArgumentException("'" + bucket + "' is not a valid S3 bucket name"
            + " (3 to 63 of a-z, 0-9, '.', '-')");
      }
      if (uri.getRawFragment() != null) throw new IllegalArgumentException("an S3 URL takes no #fragment");
      String prefix = prefix(uri);
      Map<String, String> params = parameters(uri);
      String region = params.get("region");
      if (region != null && !REGION.matcher(region).matches()) {
        throw new IllegalArgumentException("'" + region + "' is not a region name");
      }
      URI endpoint = params.containsKey("endpoint")
          ? endpoint(params.get("endpoint"))
          : URI.create(region == null ? "https://s3.amazonaws.com" : "https://s3." + region + ".amazonaws.com");

      String accessKey = blankToNull(environment.get(AWS_ACCESS_KEY_ID));
      String secretKey = blankToNull(environment.get(AWS_SECRET_ACCESS_KEY));
      if ((accessKey == null) != (secretKey == null)) {
        throw new IllegalArgumentException((accessKey == null ? AWS_ACCESS_KEY_ID : AWS_SECRET_ACCESS_KEY)
            + " is not set, but " + (accessKey == null ? AWS_SECRET_ACCESS_KEY : AWS_ACCESS_KEY_ID)
            + " is: set both, or neither for anonymous access");
      }
      return new S3(new S3Config(endpoint, region, bucket, accessKey, secretKey, prefix, false));
    }

    private static String prefix(URI uri) {
      String path = uri.getPath() == null ? "" : uri.getPath();
      String prefix = path.startsWith("/") ? path.substring(1) : path;
      if (prefix.endsWith("/")) prefix = prefix.substring(0, prefix.length() - 1);
      if (prefix.isEmpty()) return "";
      for (String segment : prefix.split("/", -1)) {
        if (segment.isEmpty() || segment.equals(".") || segment.equals("..")) {
          throw new IllegalArgumentException("the key prefix '" + prefix
              + "' has an empty, '.' or '..' segment");
        }
        for (int i = 0; i < segment.length(); i++) {
          if (Character.isISOControl(segment.charAt(i))) {
            throw new IllegalArgumentException("control character in the key prefix");
          }
        }
      }
      return prefix;
    }

    private static Map<String, String> parameters(URI uri) {
      Map<String, String> params = new LinkedHashMap<>();
      String query = uri.getRawQuery();
      if (query == null || query.isEmpty()) return params;
      for (String pair : query.split("&")) {
        int eq = pair.indexOf('=');
        String name = decode(eq < 0 ? pair : pair.substring(0, eq));
        String value = eq < 0 ? "" : decode(pair.substring(eq + 1));
        if (!S3_PARAMETERS.contains(name)) {
          throw new IllegalArgumentException("unknown parameter '" + name + "' (endpoint, region)");
        }
        if (value.isEmpty()) throw new IllegalArgumentException("parameter " + name + " has no value");
        if (params.put(name, value) != null) {
          throw new IllegalArgumentException("parameter " + name + " given twice");
        }
      }
      return params;
    }

    private static URI endpoint(String value) {
      URI endpoint;
      try {
        endpoint = new URI(value);
      } catch (URISyntaxException e) {
        throw new IllegalArgumentException("endpoint '" + value + "' is not a URL: " + e.getReason());
      }
      if (endpoint.getRawUserInfo() != null) {
        throw new IllegalArgumentException("credentials do not go in the endpoint;"
            + " set " + AWS_ACCESS_KEY_ID + " and " + AWS_SECRET_ACCESS_KEY);
      }
      String scheme = endpoint.getScheme() == null ? "" : endpoint.getScheme().toLowerCase(Locale.ROOT);
      if (!scheme.equals("http") && !scheme.equals("https")) {
        throw new IllegalArgumentException("endpoint '" + value + "' must be an http:// or https:// URL");
      }
      if (endpoint.getHost() == null || endpoint.getHost().isEmpty()) {
        throw new IllegalArgumentException("endpoint '" + value + "' has no host");
      }
      if ((endpoint.getRawPath() != null && !endpoint.getRawPath().isEmpty() && !endpoint.getRawPath().equals("/"))
          || endpoint.getRawQuery() != null || endpoint.getRawFragment() != null) {
        throw new IllegalArgumentException("endpoint '" + value
            + "' must be just scheme, host and port (the bucket goes in s3://bucket)");
      }
      return URI.create(scheme + "://" + endpoint.getRawAuthority());
    }

    private static String decode(String s) {
      try {
        return URLDecoder.decode(s, StandardCharsets.UTF_8);
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("bad %-escape in '" + s + "'");
      }
    }

    private static String blankToNull(String s) {
      return s == null || s.isBlank() ? null : s;
    }
  }
}
