package dev.narflow.chunker.testing;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Locale;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A small HTTP/1.1 proxy on loopback that answers the next requests with faults — an S3 {@code
 * SlowDown} 503, an {@code InternalError} 500, a 503 without an S3 body, or a connection reset —
 * and forwards every other request unchanged to a real server (S3Proxy). It exists because S3Proxy
 * itself cannot be made to fail on demand; everything it forwards is answered by the real server.
 *
 * <p>Each forwarded request is sent upstream with {@code Connection: close} and the answer piped
 * back until the server closes, so one client connection carries one request and every request
 * passes the fault check. Requests must have a {@code Content-Length} body or none (as minio-java
 * sends them).
 */
public final class FaultInjectingProxy implements AutoCloseable {
  /** What to answer instead of forwarding. */
  public enum Fault {
    SLOW_DOWN_503("503 Slow Down", "SlowDown", "Please reduce your request rate."),
    INTERNAL_ERROR_500("500 Internal Server Error", "InternalError", "We encountered an internal error."),
    BARE_503("503 Service Unavailable", null, null),
    RESET(null, null, null);

    final String status;
    final String code;
    final String message;

    Fault(String status, String code, String message) {
      this.status = status;
      this.code = code;
      this.message = message;
    }
  }

  private final ServerSocket server;
  private final InetSocketAddress upstream;
  private final ExecutorService connections = Executors.newCachedThreadPool(r -> {
    Thread t = new Thread(r, "fault-proxy");
    t.setDaemon(true);
    return t;
  });
  private final Deque<Fault> faults = new ArrayDeque<>();
  private String faultMethod;
  private final AtomicInteger requests = new AtomicInteger();
  private final AtomicInteger injected = new AtomicInteger();

  private FaultInjectingProxy(ServerSocket server, InetSocketAddress upstream) {
    this.server = server;
    this.upstream = upstream;
  }

  /** A proxy in front of {@code target} (http://host:port). */
  public static FaultInjectingProxy start(URI target) throws IOException {
    ServerSocket server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    FaultInjectingProxy proxy =
        new FaultInjectingProxy(server, new InetSocketAddress(target.getHost(), target.getPort()));
    proxy.connections.execute(proxy::accept);
    return proxy;
  }

  public URI endpoint() {
    return URI.create("http://127.0.0.1:" + server.getLocalPort());
  }

  /** The next {@code count} requests with {@code method} (any method if null) get {@code fault}. */
  public synchronized void failNext(int count, Fault fault, String method) {
    faultMethod = method;
    for (int i = 0; i < count; i++) faults.add(fault);
  }

  /** Requests received so far, faulted or forwarded. */
  public int requests() {
    return requests.get();
  }

  /** Faults answered so far. */
  public int injected() {
    return injected.get();
  }

  private synchronized Fault nextFault(String method) {
    if (faults.isEmpty() || (faultMethod != null && !faultMethod.equals(method))) return null;
    return faults.poll();
  }

  private void accept() {
    while (!server.isClosed()) {
      try {
        Socket client = server.accept();
        connections.execute(() -> serve(client));
      } catch (IOException e) {
        return; // closed
      }
    }
  }

  private void serve(Socket client) {
    try (client) {
      InputStream in = client.getInputStream();
      byte[] head = readHead(in);
      if (head == null) return;
      String text = new String(head, StandardCharsets.ISO_8859_1);
      String method = text.substring(0, text.indexOf(' '));
      byte[] body = in.readNBytes(contentLength(text));
      requests.incrementAndGet();
      Fault fault = nextFault(method);
      if (fault != null) {
        injected.incrementAndGet();
        answer(client, fault, method);
        return;
      }
      try (Socket server = new Socket(upstream.getAddress(), upstream.getPort())) {
        OutputStream up = server.getOutputStream();
        up.write(withConnectionClose(text).getBytes(StandardCharsets.ISO_8859_1));
        up.write(body);
        up.flush();
        server.getInputStream().transferTo(client.getOutputStream());
      }
    } catch (IOException e) {
      // the client went away; nothing to do
    }
  }

  private static void answer(Socket client, Fault fault, String method) throws IOException {
    if (fault == Fault.RESET) {
      client.setSoLinger(true, 0); // close with RST, as a crashed load balancer does
      return;
    }
    String body = fault.code == null || method.equals("HEAD") ? ""
        : "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>" + fault.code + "</Code><Message>"
            + fault.message + "</Message><RequestId>fault</RequestId></Error>";
    String response = "HTTP/1.1 " + fault.status + "\r\nContent-Type: application/xml\r\n"
        + "Content-Length: " + body.getBytes(StandardCharsets.UTF_8).length
        + "\r\nConnection: close\r\n\r\n" + body;
    client.getOutputStream().write(response.getBytes(StandardCharsets.UTF_8));
    client.getOutputStream().flush();
  }

  /** The request line and headers up to the blank line, or null at a clean end of stream. */
  private static byte[] readHead(InputStream in) throws IOException {
    ByteArrayOutputStream head = new ByteArrayOutputStream();
    for (int b; (b = in.read()) >= 0; ) {
      head.write(b);
      byte[] h = head.toByteArray();
      int n = h.length;
      if (n >= 4 && h[n - 4] == '\r' && h[n - 3] == '\n' && h[n - 2] == '\r' && h[n - 1] == '\n') {
        return h;
      }
    }
    if (head.size() == 0) return null;
    throw new IOException("request head ended early");
  }

  private static int contentLength(String head) throws IOException {
    for (String line : head.split("\r\n")) {
      String lower = line.toLowerCase(Locale.ROOT);
      if (lower.startsWith("transfer-encoding:")) throw new IOException("chunked requests are not supported");
      if (lower.startsWith("content-length:")) return Integer.parseInt(line.substring(15).strip());
    }
    return 0;
  }

  private static String withConnectionClose(String head) {
    StringBuilder out = new StringBuilder();
    for (String line : head.split("\r\n")) {
      if (line.isEmpty() || line.toLowerCase(Locale.ROOT).startsWith("connection:")) continue;
      out.append(line).append("\r\n");
    }
    return out.append("Connection: close\r\n\r\n").toString();
  }

  @Override
  public void close() throws IOException {
    server.close();
    connections.shutdownNow();
  }
}
