package dev.narflow.ops.service;

import dev.narflow.exporter.http.HttpEndpoint;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.ByteArrayOutputStream;
import java.io.Closeable;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Supplier;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpMethod;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;

/**
 * The HTTP port of a service that has none of its own ({@code --metrics-listen HOST:PORT}, DESIGN
 * §6): {@code /metrics} is the Prometheus text format of a registry, {@code /healthz} answers 200
 * "ok" while the service is ready and 503 with the reason otherwise; anything else is a 404 in
 * one line. GET and HEAD only. A few threads: it is asked every few seconds, by machines.
 */
public final class MetricsServer implements Closeable {
  /** How long {@link #close} lets a scrape in progress finish. */
  private static final Duration STOP_TIMEOUT = Duration.ofSeconds(5);

  private final HttpEndpoint http;

  private MetricsServer(HttpEndpoint http) {
    this.http = http;
  }

  /**
   * Binds {@code listen} (port 0 picks one) and serves.
   *
   * @param notReadyReason why the service is not ready (one line for {@code /healthz}), or empty
   *     when it is; asked at every health check, so it must be quick
   * @throws IOException when the address cannot be bound (in use, not local, no permission)
   */
  public static MetricsServer start(InetSocketAddress listen, PrometheusRegistry registry,
      Supplier<Optional<String>> notReadyReason) throws IOException {
    Objects.requireNonNull(listen, "listen");
    // A few threads, one selector: it is asked every few seconds, by machines. Daemon threads:
    // never what keeps a stopping service alive.
    HttpEndpoint http = new HttpEndpoint("the metrics server", listen,
        new HttpEndpoint.Settings("metrics-http", 6, 2, true, 1, Duration.ofSeconds(30), STOP_TIMEOUT),
        new Routes(Objects.requireNonNull(registry, "registry"), Objects.requireNonNull(notReadyReason, "notReadyReason")));
    try {
      http.start();
    } catch (IOException e) {
      throw new IOException("cannot listen on " + listen.getHostString() + ":" + listen.getPort() + ": "
          + e.getMessage(), e);
    }
    return new MetricsServer(http);
  }

  /** The bound port (the one picked when listening on port 0). */
  public int port() {
    return http.port();
  }

  /** {@code http://HOST:PORT}. */
  public String url() {
    return http.url();
  }

  /** Stops taking requests, lets those in progress finish (5 s at most), and stops. */
  @Override
  public void close() {
    http.close();
  }

  private static final class Routes extends Handler.Abstract {
    private final PrometheusRegistry registry;
    private final Supplier<Optional<String>> notReadyReason;

    Routes(PrometheusRegistry registry, Supplier<Optional<String>> notReadyReason) {
      super(InvocationType.BLOCKING); // callbacks may read stores or Kafka's metrics
      this.registry = registry;
      this.notReadyReason = notReadyReason;
    }

    @Override
    public boolean handle(Request request, Response response, Callback callback) throws IOException {
      boolean head = HttpMethod.HEAD.is(request.getMethod());
      if (!head && !HttpMethod.GET.is(request.getMethod())) {
        response.getHeaders().put(HttpHeader.ALLOW, "GET, HEAD");
        return text(response, callback, 405, "only GET and HEAD", false);
      }
      switch (request.getHttpURI().getPath()) {
        case "/metrics" -> {
          ByteArrayOutputStream body = new ByteArrayOutputStream();
          PrometheusTextFormatWriter.create().write(body, registry.scrape());
          return send(response, callback, 200, PrometheusTextFormatWriter.CONTENT_TYPE, body.toByteArray(), head);
        }
        case "/healthz" -> {
          Optional<String> why = notReady();
          return why.isPresent() ? text(response, callback, 503, why.get(), head)
              : text(response, callback, 200, "ok", head);
        }
        default -> {
          return text(response, callback, 404, "not found (this port serves /metrics and /healthz)", head);
        }
      }
    }

    /** The service's reason, on one line; a check that throws is a reason too. */
    private Optional<String> notReady() {
      try {
        return notReadyReason.get().map(r -> r.isBlank() ? "not ready" : r.strip().replaceAll("\\s*\\R\\s*", " "));
      } catch (RuntimeException e) {
        return Optional.of("the readiness check failed: " + e);
      }
    }

    private static boolean text(Response response, Callback callback, int status, String line, boolean head) {
      return send(response, callback, status, "text/plain; charset=utf-8",
          (line + "\n").getBytes(StandardCharsets.UTF_8), head);
    }

    private static boolean send(Response response, Callback callback, int status, String type, byte[] body,
        boolean head) {
      response.setStatus(status);
      response.getHeaders().put(HttpHeader.CONTENT_TYPE, type);
      response.getHeaders().put(HttpHeader.CONTENT_LENGTH, body.length);
      response.write(true, head ? null : ByteBuffer.wrap(body), callback);
      return true;
    }
  }
}
