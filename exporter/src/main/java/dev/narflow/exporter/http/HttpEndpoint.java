package dev.narflow.exporter.http;

import java.io.Closeable;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Objects;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.handler.GracefulHandler;
import org.eclipse.jetty.util.thread.QueuedThreadPool;

/**
 * One of narflow's HTTP ports on Jetty, as they all are: a bounded thread pool, keep-alive with an
 * idle timeout, no server banner, errors in one line ({@link OneLineErrors}), and a graceful stop
 * that lets requests in progress finish within a deadline. The binary cache and a service's
 * metrics port differ only in their handler and sizes.
 */
public final class HttpEndpoint implements Closeable {
  /**
   * @param threadName names the request threads ({@code NAME-N})
   * @param maxThreads request threads at most
   * @param minThreads kept while idle
   * @param daemonThreads whether they leave the JVM free to exit (a port that must never be what
   *     keeps a stopping service alive)
   * @param selectors NIO selector threads; -1 for Jetty's default (from the cores)
   * @param idleTimeout an idle keep-alive connection is closed after it
   * @param stopTimeout how long {@link #close} lets requests in progress finish
   */
  public record Settings(String threadName, int maxThreads, int minThreads, boolean daemonThreads, int selectors,
      Duration idleTimeout, Duration stopTimeout) {
    public Settings {
      Objects.requireNonNull(threadName, "threadName");
      Objects.requireNonNull(idleTimeout, "idleTimeout");
      Objects.requireNonNull(stopTimeout, "stopTimeout");
    }
  }

  private final Server server;
  private final ServerConnector connector;
  private final String what;

  /**
   * Not listening yet: {@link #start}.
   *
   * @param what names the port in a start failure ("the exporter", "the metrics server")
   */
  public HttpEndpoint(String what, InetSocketAddress listen, Settings settings, Handler handler) {
    this.what = Objects.requireNonNull(what, "what");
    QueuedThreadPool threads = new QueuedThreadPool(settings.maxThreads(), settings.minThreads());
    threads.setName(settings.threadName());
    threads.setDaemon(settings.daemonThreads());
    server = new Server(threads);
    HttpConfiguration http = new HttpConfiguration();
    http.setSendServerVersion(false);
    http.setSendXPoweredBy(false);
    connector = settings.selectors() < 0 ? new ServerConnector(server, new HttpConnectionFactory(http))
        : new ServerConnector(server, 1, settings.selectors(), new HttpConnectionFactory(http));
    connector.setHost(listen.getHostString());
    connector.setPort(listen.getPort());
    connector.setIdleTimeout(settings.idleTimeout().toMillis());
    server.addConnector(connector);
    server.setHandler(new GracefulHandler(handler));
    server.setErrorHandler(new OneLineErrors());
    server.setStopTimeout(settings.stopTimeout().toMillis());
    server.setStopAtShutdown(false); // the command decides when to stop
  }

  /**
   * Binds and serves.
   *
   * @throws IOException when the address cannot be bound (in use, not local, no permission), or
   *     the server does not start for another reason (then naming {@code what})
   */
  public void start() throws IOException {
    try {
      server.start();
    } catch (IOException e) {
      close();
      throw e;
    } catch (Exception e) {
      close();
      throw new IOException(what + " did not start: " + e.getMessage(), e);
    }
  }

  /** The bound port (the one picked when listening on port 0). */
  public int port() {
    return connector.getLocalPort();
  }

  /** {@code http://HOST:PORT}. */
  public String url() {
    String host = connector.getHost() == null ? "127.0.0.1" : connector.getHost();
    if (host.contains(":")) host = "[" + host + "]";
    return "http://" + host + ":" + port();
  }

  /** Stops taking requests, lets those in progress finish within the stop timeout, then stops. */
  @Override
  public void close() {
    try {
      server.stop();
    } catch (Exception e) {
      // stopping: nothing is served either way
    }
  }
}
